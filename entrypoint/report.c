#include "report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "streams.h"

static void vreport(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* stdout first, so that a note lands after the lines it follows. */
	streams_flush_stdout();
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

static bool verbose;

void report_set_verbose(bool on)
{
	verbose = on;
}

void report_detail(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vreport("note: ", fmt, ap);
	va_end(ap);
}

static enum report_style style = REPORT_MULTIARCH;

void report_set_style(enum report_style chosen)
{
	style = chosen;
}

/* The name tonistiigi/binfmt prints for a target: its Go architecture, the
 * second part of its first platform ("linux/arm/v7" -> "arm"); a target
 * without a platform goes by its QEMU name. */
static void install_name(const struct target *t, char *out, size_t size)
{
	const char *arch = strchr(t->platforms, '/');
	size_t len;

	if (arch == NULL) {
		snprintf(out, size, "%s", t->name);
		return;
	}
	arch++;
	len = strcspn(arch, "/,");
	snprintf(out, size, "%.*s", (int)len, arch);
}

/* "installing: arm64 " + WHAT, tonistiigi/binfmt's line, on stderr. */
static void installing(const struct plan_item *item, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void installing(const struct plan_item *item, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	install_name(item->target, name, sizeof(name));
	streams_flush_stdout();
	fprintf(stderr, "installing: %s ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* multiarch's /register and QEMU's script print exactly this, on stdout:
 * the one line there that their users' scripts grep. */
void report_registered(const struct plan_item *item)
{
	if (style == REPORT_TONISTIIGI)
		installing(item, "OK");
	else
		printf("Setting %s as binfmt interpreter for %s\n", item->interpreter,
		       item->target->name);
}

void report_present(const struct plan_item *item)
{
	if (style == REPORT_TONISTIIGI) {
		installing(item, "%s already registered", item->entry_name);
		return;
	}
	streams_flush_stdout();
	fprintf(stderr, "Already registered: %s as binfmt interpreter for %s\n",
		item->interpreter, item->target->name);
}

void report_failed(const struct plan_item *item, const char *fmt, ...)
{
	char message[BINFMT_REGISTER_MAX + 1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (style == REPORT_TONISTIIGI)
		installing(item, "%s: %s", item->entry_name, message);
	else
		report_error("%s: %s", item->entry_name, message);
}

void report_skipped(const struct plan_item *item)
{
	if (style == REPORT_TONISTIIGI)
		installing(item, "skipped: %s", item->why);
	else
		report_note("skipping %s: %s", item->target->name, item->why);
}

void report_removed(const char *name)
{
	streams_flush_stdout();
	fprintf(stderr, "Removed %s\n", name);
}

/* tonistiigi/binfmt: "uninstalling: aarch64 OK", "... not found". */
void report_uninstalled(const char *label, const char *cause)
{
	streams_flush_stdout();
	fprintf(stderr, "uninstalling: %s %s\n", label, cause != NULL ? cause : "OK");
}

void report_summary(const struct tally *t)
{
	if (style == REPORT_TONISTIIGI && !verbose)
		return;
	streams_flush_stdout();
	fprintf(stderr, "%u registered, %u already present, %u removed, %u skipped, %u failed\n",
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
