/*
 * A stand-in interpreter for binfmt_misc tests. Registered in place of an
 * emulator (under the emulator's name, through a symlink), it prints the
 * name it was called by and the program it was asked to run, so a test can
 * tell which entry the kernel chose for a program:
 *     qemu-aarch64-static /tmp/x/aarch64.elf
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char *argv[])
{
	const char *slash = strrchr(argv[0], '/');

	printf("%s", slash != NULL ? slash + 1 : argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	putchar('\n');
	return 0;
}
