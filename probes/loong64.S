/* probe-platform: linux/loong64
 * probe-qemu: loongarch64
 * probe-clang: --target=loongarch64-linux-gnu
 *
 * The line sits in .rodata, as LLVM's assembler wants it here. */
	.section .rodata
msg:	.ascii "qus-probe linux/loong64\n"
	.equ	len, 24		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	li.w	$a0, 1			# stdout
	la.pcrel $a1, msg
	li.w	$a2, len
	li.w	$a7, 64			# write
	syscall	0
	li.w	$a0, 0
	li.w	$a7, 93			# exit
	syscall	0
