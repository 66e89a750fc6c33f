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

/* multiarch's /register and QEMU's script print exactly this. */
void report_registered(const struct plan_item *item)
{
	printf("Setting %s as binfmt interpreter for %s\n", item->interpreter,
	       item->target->name);
}

void report_present(const struct plan_item *item)
{
	printf("Already registered: %s as binfmt interpreter for %s\n", item->interpreter,
	       item->target->name);
}

void report_removed(const char *name)
{
	printf("Removed %s\n", name);
}

void report_summary(const struct tally *t)
{
	printf("%u registered, %u already present, %u removed, %u skipped, %u failed\n",
	       t->registered, t->present, t->removed, t->skipped, t->failed);
}

void report_dry_run(const struct plan_item *item)
{
	fwrite(item->line, 1, item->line_len, stdout);
	fputc('\n', stdout);
}

void report_status_header(const char *path, bool enabled, size_t count)
{
	printf("binfmt_misc at %s: %s, %zu entr%s\n", path, enabled ? "enabled" : "disabled",
	       count, count == 1 ? "y" : "ies");
}

void report_status_entry(const char *name, const struct binfmt_entry *e)
{
	char flags[5];

	binfmt_flags_format(e->flags, flags);
	printf("%-20s %-8s flags:%-4s %s\n", name, e->enabled ? "enabled" : "disabled",
	       flags, e->interpreter);
}

void report_status_unreadable(const char *name, int err)
{
	printf("%-20s (cannot read: %s)\n", name, strerror(err));
}
