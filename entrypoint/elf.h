/* Reading the start of an executable: what binfmt_misc matches on, and the
 * ELF facts that say what a program is. */
#ifndef QUS_ELF_H
#define QUS_ELF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The kernel reads at most this many bytes of a program for matching
 * (BINPRM_BUF_SIZE); offset + magic length must stay within it. */
#define ELF_HEAD_MAX 256

struct elf_info {
	unsigned bits;           /* 32 or 64 */
	bool big;                /* big-endian */
	unsigned machine;        /* e_machine */
	char interp[PATH_MAX];   /* PT_INTERP: the dynamic loader; "" when static */
};

/* The first bytes of the file open at FD, up to ELF_HEAD_MAX, in one read
 * as the kernel takes them. Returns how many (0 when none could be read). */
size_t elf_read_head(int fd, unsigned char head[ELF_HEAD_MAX]);

/* The same for the file at PATH, opened without blocking (a FIFO there
 * gives nothing rather than a hang). */
size_t elf_read_head_at(const char *path, unsigned char head[ELF_HEAD_MAX]);

/* Whether HEAD (LEN bytes read from the start of FD) is an ELF header; then
 * fill X from it, and X->interp from the program headers, read from FD. */
bool elf_parse(int fd, const unsigned char *head, size_t len, struct elf_info *x);

#endif
