#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vreport(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* stdout first, so that a note lands after the lines it follows. */
	fflush(stdout);
	fprintf(stderr, "register: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void report_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void report_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("note: ", fmt, ap);
	va_end(ap);
}

void report_failure(const struct error *e, const char *advice)
{
	char line[2 * ERROR_MESSAGE_MAX];

	error_format(e, advice, line, sizeof(line));
	report_error("%s", line);
}

void report_errno(int errnum, const char *fmt, ...)
{
	struct error e = { .errnum = errnum };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	report_failure(&e, NULL);
}

static FILE *progress;

void report_progress_to_stderr(void)
{
	progress = stderr;
}

static FILE *progress_stream(void)
{
	return progress != NULL ? progress : stdout;
}

/* multiarch's /register and QEMU's script print exactly this. */
void report_registered(const struct plan_item *item)
{
	fprintf(progress_stream(), "Setting %s as binfmt interpreter for %s\n",
		item->interpreter, item->target->name);
}

void report_present(const struct plan_item *item)
{
	fprintf(progress_stream(), "Already registered: %s as binfmt interpreter for %s\n",
		item->interpreter, item->target->name);
}

void report_removed(const char *name)
{
	fprintf(progress_stream(), "Removed %s\n", name);
}

void report_summary(const struct tally *t)
{
	fprintf(progress_stream(),
		"%u registered, %u already present, %u removed, %u skipped, %u failed\n",
		t->registered, t->present, t->removed, t->skipped, t->failed);
}

void report_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void report_dry_run(const struct plan_item *item)
{
	fwrite(item->line, 1, item->line_len, stdout);
	fputc('\n', stdout);
}
