/* probe-platform: linux/s390x
 * probe-qemu: s390x
 * probe-clang: --target=s390x-linux-gnu
 *
 * LARL needs its target at an even address, hence the alignment. */
	.section .rodata
	.balign	2
msg:	.ascii "qus-probe linux/s390x\n"
	.equ	len, 22		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	lghi	%r2, 1			/* stdout */
	larl	%r3, msg
	lghi	%r4, len
	svc	4			/* write */
	lghi	%r2, 0
	svc	1			/* exit */
