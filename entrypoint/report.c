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
	char shown[4 * BINFMT_FIELD_MAX];

	report_escape(name, shown, sizeof(shown));
	streams_flush_stdout();
	fprintf(stderr, "Removed %s\n", shown);
}

/* tonistiigi/binfmt: "uninstalling: aarch64 OK", "... not found". */
void report_uninstalled(const char *label, const char *cause)
{
	char shown[4 * BINFMT_FIELD_MAX];

	report_escape(label, shown, sizeof(shown));
	streams_flush_stdout();
	fprintf(stderr, "uninstalling: %s %s\n", shown, cause != NULL ? cause : "OK");
}

void report_summary(const struct tally *t)
{
	if (style == REPORT_TONISTIIGI && !verbose)
		return;
	streams_flush_stdout();
	fprintf(stderr, "%u registered, %u already present, %u removed, %u skipped, %u failed\n",
		t->registered, t->present, t->removed, t->skipped, t->failed);
}

/* How many bytes of S make one valid UTF-8 character: 1 for ASCII, 2 to 4
 * for a well-formed sequence (no overlong form, surrogate or code point
 * past U+10FFFF), 0 when S starts with a byte that begins none. */
static size_t utf8_char(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
		 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;

	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

/* Whether the N bytes at S are a character a terminal prints as itself:
 * not a C0 or C1 control character, not DEL. */
static bool printable(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] >= 0x20 && s[0] < 0x7f;
	return !(n == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

/* The character at P as text, into PIECE: itself, or escaped as \\xHH
 * byte by byte (a backslash as \\\\). *N gets how many bytes it took. */
static size_t escape_char(const unsigned char *p, size_t *n, char piece[16])
{
	size_t len = 0;

	*n = utf8_char(p);
	if (*n > 0 && printable(p, *n) && *p != '\\') {
		memcpy(piece, p, *n);
		return *n;
	}
	if (*p == '\\') {
		piece[0] = '\\';
		piece[1] = '\\';
		return 2;
	}
	*n = *n > 0 ? *n : 1;
	for (size_t i = 0; i < *n; i++)
		len += (size_t)snprintf(piece + len, 16 - len, "\\x%02x", p[i]);
	return len;
}

size_t report_escape(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	while (*p != '\0') {
		char piece[16];
		size_t n;
		size_t len = escape_char(p, &n, piece);

		if (used + len >= size)
			break;  /* cut short, never inside a character or an escape */
		memcpy(out + used, piece, len);
		used += len;
		p += n;
	}
	if (size > 0)
		out[used] = '\0';
	return used;
}

void report_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		char piece[16];
		size_t n;
		size_t len = escape_char(p, &n, piece);

		fwrite(piece, 1, len, stdout);
		p += n;
	}
}

/* S as a JSON string: valid UTF-8 as it is, what JSON requires escaped
 * (the quote, the backslash, control characters below U+0020), and each
 * byte that is not UTF-8 as U+FFFD. */
void report_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p != '\0') {
		size_t n = utf8_char(p);

		if (n == 0) {
			fputs("\\ufffd", stdout);
			p++;
		} else if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p < 0x20) {
			printf("\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, stdout);
			p += n;
		}
	}
	putchar('"');
}

void report_dry_run(const struct plan_item *item)
{
	fwrite(item->line, 1, item->line_len, stdout);
	fputc('\n', stdout);
}
