#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* O_NONBLOCK and a regular file only: a FIFO planted at one of these paths
 * (the bundled version file, a binfmt.d file) would block the open, or
 * the read, for ever. procfs files are regular too. */
int line_reader_open(struct line_reader *r, const char *path)
{
	struct stat st;

	r->start = r->end = 0;
	r->fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (r->fd < 0)
		return -1;
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(r->fd);
		r->fd = -1;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Move what is left to the front and read more after it. */
static bool refill(struct line_reader *r)
{
	ssize_t n;

	memmove(r->buf, r->buf + r->start, r->end - r->start);
	r->end -= r->start;
	r->start = 0;
	do
		n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	r->end += (size_t)n;
	return true;
}

bool line_reader_next(struct line_reader *r, char *line, size_t size)
{
	size_t n;

	if (size == 0)
		return false;
	for (;;) {
		const char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		n = nl != NULL ? (size_t)(nl - (r->buf + r->start)) + 1 : r->end - r->start;
		if (nl != NULL || n >= size - 1 || r->end - r->start == sizeof(r->buf))
			break;
		if (!refill(r))
			break;
	}
	if (n == 0)
		return false;
	if (n > size - 1)
		n = size - 1;
	memcpy(line, r->buf + r->start, n);
	line[n] = '\0';
	r->start += n;
	return true;
}

void line_reader_close(struct line_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

const char *line_find(const char *line, const char *needle)
{
	size_t n = strlen(needle);

	for (; *line != '\0'; line++)
		if (strncmp(line, needle, n) == 0)
			return line;
	return n == 0 ? line : NULL;
}

const char *line_decimal(const char *s, unsigned long long *value)
{
	unsigned long long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (v > (~0ULL - digit) / 10)
			return NULL;
		v = v * 10 + digit;
	}
	if (p == s)
		return NULL;
	*value = v;
	return p;
}
