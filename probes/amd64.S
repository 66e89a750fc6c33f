/* probe-platform: linux/amd64
 * probe-qemu: x86_64
 * probe-clang: --target=x86_64-linux-gnu
 *
 * Baseline x86-64 only (no v2+ instructions): it answers "do amd64
 * programs run here", the levels come from CPUID. */
	.section .rodata
msg:	.ascii "qus-probe linux/amd64\n"
	.equ	len, 22		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	movl	$1, %eax		/* write */
	movl	$1, %edi		/* stdout */
	leaq	msg(%rip), %rsi
	movl	$len, %edx
	syscall
	movl	$60, %eax		/* exit */
	xorl	%edi, %edi
	syscall
