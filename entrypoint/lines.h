/* Reading small text files line by line without stdio: a FILE would bring
 * malloc into a program that otherwise never allocates. */
#ifndef QUS_LINES_H
#define QUS_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct line_reader {
	int fd;
	size_t start;    /* the unread bytes are buf[start, end) */
	size_t end;
	char buf[4096];
};

/* Open PATH, a regular file (never blocking on a FIFO). Returns 0, or -1
 * with errno (EINVAL: not a regular file). */
int line_reader_open(struct line_reader *r, const char *path);

/* As fgets: the next line, with its newline, into LINE (SIZE bytes, always
 * NUL-terminated); a longer line comes in pieces. False at the end. */
bool line_reader_next(struct line_reader *r, char *line, size_t size);

void line_reader_close(struct line_reader *r);

/* The first place NEEDLE occurs in LINE, or NULL. A plain scan: the lines
 * are short, and libc's strstr would add a kilobyte to the program. */
const char *line_find(const char *line, const char *needle);

/* The decimal number at S (digits only) into *VALUE. Returns the end of it,
 * or NULL when S does not start with a digit or the number overflows. In
 * place of strtoull, which brings libc's whole number scanner. */
const char *line_decimal(const char *s, unsigned long long *value);

#endif
