/* probe-platform: linux/arm/v6
 * probe-qemu: arm
 * probe-clang: --target=armv6-linux-gnueabihf -marm
 *
 * ARMv6 instructions only (the address comes from a literal pool, not
 * MOVW/MOVT), so it runs on an ARM1176 and on everything newer. */
	.syntax unified
	.arm

	.section .rodata
msg:	.ascii "qus-probe linux/arm/v6\n"
	.equ	len, 23		/* a literal: LLVM's assemblers take no computed length as an immediate */
	.if	. - msg != len
	.error	"len is not the length of msg"
	.endif

	.text
	.globl _start
_start:
	mov	r0, #1			@ stdout
	ldr	r1, =msg
	mov	r2, #len
	mov	r7, #4			@ write
	svc	#0
	mov	r0, #0
	mov	r7, #1			@ exit
	svc	#0
	.ltorg
