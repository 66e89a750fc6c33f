/* probe-platform: linux/arm/v7
 * probe-qemu: arm
 * probe-clang: --target=armv7a-linux-gnueabihf -marm
 *
 * The first instruction, DMB, exists from ARMv7 on: an ARMv6 CPU (QEMU's
 * arm1176, a Raspberry Pi 1) stops here with SIGILL, so this probe runs
 * only where ARMv7 programs do. MOVW/MOVT are ARMv6T2+ as well. */
	.syntax unified
	.arm

	.section .rodata
msg:	.ascii "qus-probe linux/arm/v7\n"
	.equ	len, 23		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	dmb	ish
	movw	r1, #:lower16:msg
	movt	r1, #:upper16:msg
	mov	r0, #1			@ stdout
	mov	r2, #len
	mov	r7, #4			@ write
	svc	#0
	mov	r0, #0
	mov	r7, #1			@ exit
	svc	#0
