/*
 * Write a synthetic ELF header, the way a compiler for another machine
 * would, so that tests can ask the kernel which binfmt_misc entry takes it.
 *
 *     mkelf OUT 32|64 le|be MACHINE exec|dyn [E_FLAGS [INTERP]]
 *
 * MACHINE and E_FLAGS are numbers (0xb7). The file is the bare header,
 * mode 0755: enough for the kernel to match it, nothing to run natively.
 * With INTERP, one program header follows: PT_INTERP, naming INTERP (any
 * bytes, as a crafted program may hold) as its dynamic loader.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(unsigned char *p, uint64_t v, int bytes, int big_endian)
{
	for (int i = 0; i < bytes; i++) {
		int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
		p[i] = (unsigned char)(v >> shift);
	}
}

/* One program header after the ELF header of H: PT_INTERP naming INTERP.
 * Returns the file's size, or 0 when INTERP does not fit in SIZE bytes. */
static size_t add_interp(unsigned char *h, size_t size, int is64, int be, const char *interp)
{
	const size_t ehsize = is64 ? 64 : 52;
	const size_t phsize = is64 ? 56 : 32;
	const size_t len = strlen(interp) + 1;
	unsigned char *ph = h + ehsize;

	if (len > size - ehsize - phsize)
		return 0;
	put(h + (is64 ? 32 : 28), ehsize, is64 ? 8 : 4, be);  /* e_phoff */
	put(h + (is64 ? 54 : 42), phsize, 2, be);             /* e_phentsize */
	put(h + (is64 ? 56 : 44), 1, 2, be);                  /* e_phnum */
	put(ph, 3, 4, be);                                    /* PT_INTERP */
	put(ph + (is64 ? 8 : 4), ehsize + phsize, is64 ? 8 : 4, be);  /* p_offset */
	put(ph + (is64 ? 32 : 16), len, is64 ? 8 : 4, be);            /* p_filesz */
	memcpy(h + ehsize + phsize, interp, len);
	return ehsize + phsize + len;
}

int main(int argc, char *argv[])
{
	unsigned char h[64 + 56 + 4096] = { 0x7f, 'E', 'L', 'F' };
	int fd;

	if (argc < 6 || argc > 8) {
		fputs("usage: mkelf OUT 32|64 le|be MACHINE exec|dyn [E_FLAGS [INTERP]]\n", stderr);
		return 2;
	}
	const int is64 = strcmp(argv[2], "64") == 0;
	const int be = strcmp(argv[3], "be") == 0;
	const uint32_t machine = (uint32_t)strtoul(argv[4], NULL, 0);
	const uint32_t type = strcmp(argv[5], "dyn") == 0 ? 3 : 2;
	const uint32_t flags = argc >= 7 ? (uint32_t)strtoul(argv[6], NULL, 0) : 0;
	const char *interp = argc == 8 ? argv[7] : NULL;
	const size_t ehsize = is64 ? 64 : 52;
	size_t size = ehsize;

	h[4] = is64 ? 2 : 1;        /* EI_CLASS */
	h[5] = be ? 2 : 1;          /* EI_DATA */
	h[6] = 1;                   /* EI_VERSION */
	put(h + 16, type, 2, be);   /* e_type */
	put(h + 18, machine, 2, be);
	put(h + 20, 1, 4, be);      /* e_version */
	put(h + (is64 ? 48 : 36), flags, 4, be);  /* e_flags */
	put(h + (is64 ? 52 : 40), (uint32_t)ehsize, 2, be);  /* e_ehsize */
	if (interp != NULL)
		size = add_interp(h, sizeof(h), is64, be, interp);
	if (size == 0) {
		fputs("mkelf: INTERP too long\n", stderr);
		return 2;
	}

	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, h, size) != (ssize_t)size || close(fd) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
