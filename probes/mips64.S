/* probe-platform: linux/mips64
 * probe-qemu: mips64
 * probe-clang: --target=mips64-linux-gnuabi64 -mno-abicalls -fno-pic
 *
 * The n64 ABI, big-endian. Not PIC (-mno-abicalls): dla builds the
 * line's absolute address, and no GOT is needed. Syscall numbers of n64
 * start at 5000. */
	.set	noreorder

	.section .rodata
msg:	.ascii "qus-probe linux/mips64\n"
	.equ	len, 23		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl __start		# the entry point lld looks for on MIPS
	.globl _start
__start:
_start:
	li	$a0, 1			# stdout
	dla	$a1, msg
	li	$a2, len
	li	$v0, 5001		# write
	syscall
	li	$a0, 0
	li	$v0, 5058		# exit
	syscall
