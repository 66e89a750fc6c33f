/*
 * Write a synthetic ELF header, the way a compiler for another machine
 * would, so that tests can ask the kernel which binfmt_misc entry takes it.
 *
 *     mkelf OUT 32|64 le|be MACHINE exec|dyn [E_FLAGS]
 *
 * MACHINE and E_FLAGS are numbers (0xb7). The file is the bare header,
 * mode 0755: enough for the kernel to match it, nothing to run natively.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(unsigned char *p, uint32_t v, int bytes, int big_endian)
{
	for (int i = 0; i < bytes; i++) {
		int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
		p[i] = (unsigned char)(v >> shift);
	}
}

int main(int argc, char *argv[])
{
	unsigned char h[64] = { 0x7f, 'E', 'L', 'F' };
	int fd;

	if (argc < 6 || argc > 7) {
		fputs("usage: mkelf OUT 32|64 le|be MACHINE exec|dyn [E_FLAGS]\n", stderr);
		return 2;
	}
	const int is64 = strcmp(argv[2], "64") == 0;
	const int be = strcmp(argv[3], "be") == 0;
	const uint32_t machine = (uint32_t)strtoul(argv[4], NULL, 0);
	const uint32_t type = strcmp(argv[5], "dyn") == 0 ? 3 : 2;
	const uint32_t flags = argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 0) : 0;
	const size_t size = is64 ? 64 : 52;

	h[4] = is64 ? 2 : 1;        /* EI_CLASS */
	h[5] = be ? 2 : 1;          /* EI_DATA */
	h[6] = 1;                   /* EI_VERSION */
	put(h + 16, type, 2, be);   /* e_type */
	put(h + 18, machine, 2, be);
	put(h + 20, 1, 4, be);      /* e_version */
	put(h + (is64 ? 48 : 36), flags, 4, be);  /* e_flags */
	put(h + (is64 ? 52 : 40), (uint32_t)size, 2, be);  /* e_ehsize */

	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, h, size) != (ssize_t)size || close(fd) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
