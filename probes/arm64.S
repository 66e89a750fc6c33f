/* probe-platform: linux/arm64
 * probe-qemu: aarch64
 * probe-clang: --target=aarch64-linux-gnu
 *
 * Writes its line to stdout and exits 0: that it runs at all is the news. */
	.section .rodata
msg:	.ascii "qus-probe linux/arm64\n"
	.equ	len, 22		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	mov	x0, #1			/* stdout */
	adrp	x1, msg
	add	x1, x1, :lo12:msg
	mov	x2, #len
	mov	x8, #64			/* write */
	svc	#0
	mov	x0, #0
	mov	x8, #93			/* exit */
	svc	#0
