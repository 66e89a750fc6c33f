/* One error convention: a failing step fills a struct error (what failed,
 * and the errno that says why, when there is one) and returns -1; the
 * caller decides how to report it, and the printer adds strerror's text. */
#ifndef QUS_ERROR_H
#define QUS_ERROR_H

#include <stddef.h>

#define ERROR_MESSAGE_MAX 1024

struct error {
	int errnum;                        /* errno of the failed operation; 0: none */
	char message[ERROR_MESSAGE_MAX];   /* what failed, without strerror's text */
};

/* Fill E and return -1, so that a failing step can
 * `return error_set(err, errno, "cannot open %s", path);`. */
int error_set(struct error *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* E as one line of text into OUT (SIZE bytes): "MESSAGE: STRERROR", or with
 * ADVICE (what to do; NULL for none) "MESSAGE (STRERROR): ADVICE"; without
 * an errno "MESSAGE" or "MESSAGE; ADVICE". */
void error_format(const struct error *e, const char *advice, char *out, size_t size);

#endif
