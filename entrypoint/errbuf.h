/* Error messages handed back to the caller, who decides how to report them. */
#ifndef QUS_ERRBUF_H
#define QUS_ERRBUF_H

#include <stddef.h>

/* Format a message into ERR (ERRLEN bytes) and return -1, so that a
 * failing step can `return errbuf_set(err, errlen, "...", ...);`. */
int errbuf_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
