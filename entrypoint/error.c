#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int error_set(struct error *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	e->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

void error_format(const struct error *e, const char *advice, char *out, size_t size)
{
	const char *why = e->errnum != 0 ? strerror(e->errnum) : NULL;

	if (why != NULL && advice != NULL)
		snprintf(out, size, "%s (%s): %s", e->message, why, advice);
	else if (why != NULL)
		snprintf(out, size, "%s: %s", e->message, why);
	else if (advice != NULL)
		snprintf(out, size, "%s; %s", e->message, advice);
	else
		snprintf(out, size, "%s", e->message);
}
