#include "elf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

size_t elf_read_head(int fd, unsigned char head[ELF_HEAD_MAX])
{
	ssize_t n;

	do
		n = read(fd, head, ELF_HEAD_MAX);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

size_t elf_read_head_at(const char *path, unsigned char head[ELF_HEAD_MAX])
{
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t n;

	if (fd < 0)
		return 0;
	n = elf_read_head(fd, head);
	close(fd);
	return n;
}

/* An unsigned field of SIZE bytes at P, in the file's byte order. */
static unsigned long long field(const unsigned char *p, unsigned size, bool big)
{
	unsigned long long v = 0;

	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[big ? i : size - 1 - i];
	return v;
}

/* From the program header at OFFSET: true when it is PT_INTERP, read into
 * X->interp, or when there is nothing more to read. */
static bool read_interp(int fd, off_t offset, struct elf_info *x)
{
	bool w = x->bits == 64;
	unsigned char ph[56];
	unsigned long long off;
	unsigned long long len;
	ssize_t got;

	if (pread(fd, ph, w ? 56 : 32, offset) != (w ? 56 : 32))
		return true;
	if (field(ph, 4, x->big) != 3)  /* PT_INTERP */
		return false;
	off = field(ph + (w ? 8 : 4), w ? 8 : 4, x->big);
	len = field(ph + (w ? 32 : 16), w ? 8 : 4, x->big);
	got = len < sizeof(x->interp) ? pread(fd, x->interp, len, (off_t)off) : -1;
	x->interp[got > 0 ? (size_t)got : 0] = '\0';
	return true;
}

bool elf_parse(int fd, const unsigned char *head, size_t len, struct elf_info *x)
{
	bool w;
	unsigned long long phoff;
	unsigned long long size;
	unsigned long long count;

	if (len < 64 || memcmp(head, "\177ELF", 4) != 0 || (head[4] != 1 && head[4] != 2))
		return false;
	w = head[4] == 2;
	x->bits = w ? 64 : 32;
	x->big = head[5] == 2;
	x->machine = (unsigned)field(head + 18, 2, x->big);
	x->interp[0] = '\0';
	phoff = field(head + (w ? 32 : 28), w ? 8 : 4, x->big);
	size = field(head + (w ? 54 : 42), 2, x->big);
	count = field(head + (w ? 56 : 44), 2, x->big);
	/* A crafted file may claim any count: 256 headers are more than any
	 * real program has. */
	for (unsigned long long i = 0; i < count && i < 256 && size >= (w ? 56 : 32); i++)
		if (read_interp(fd, (off_t)(phoff + i * size), x))
			break;
	return true;
}
