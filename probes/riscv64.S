/* probe-platform: linux/riscv64
 * probe-qemu: riscv64
 * probe-clang: --target=riscv64-linux-gnu
 *
 * The line sits in .rodata, as LLVM's assembler wants it here. */
	.section .rodata
msg:	.ascii "qus-probe linux/riscv64\n"
	.equ	len, 24		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	li	a0, 1			# stdout
	lla	a1, msg
	li	a2, len
	li	a7, 64			# write
	ecall
	li	a0, 0
	li	a7, 93			# exit
	ecall
