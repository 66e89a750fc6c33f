/* probe-platform: linux/386
 * probe-qemu: i386
 * probe-clang: --target=i386-linux-gnu
 *
 * On an x86_64 host this runs natively when the kernel has IA-32
 * emulation; elsewhere through qemu-i386. */
	.section .rodata
msg:	.ascii "qus-probe linux/386\n"
	.equ	len, 20		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	movl	$4, %eax		/* write */
	movl	$1, %ebx		/* stdout */
	movl	$msg, %ecx
	movl	$len, %edx
	int	$0x80
	movl	$1, %eax		/* exit */
	xorl	%ebx, %ebx
	int	$0x80
