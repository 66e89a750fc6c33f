/* probe-platform: linux/ppc64le
 * probe-qemu: ppc64le
 * probe-clang: --target=powerpc64le-linux-gnu
 *
 * Static and not position-independent: the line's address fits the
 * 32-bit absolute lis/addi pair (lld places the image at 0x10000000). */
	.abiversion 2

	.section .rodata
msg:	.ascii "qus-probe linux/ppc64le\n"
	.equ	len, 24		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	li	0, 4			/* write */
	li	3, 1			/* stdout */
	lis	4, msg@ha
	addi	4, 4, msg@l
	li	5, len
	sc
	li	0, 1			/* exit */
	li	3, 0
	sc
