#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int planned = -1;
static int run;
static int failed;

void tap_plan(int count)
{
	planned = count;
	printf("1..%d\n", count);
	fflush(stdout);
}

/* A name goes on one line, and a '#' in it would start a TAP directive
 * (.ci/run counts any "ok N ...# skip" line as a skip, escaped or not):
 * newlines are written as \n, and '#' as "(hash)". */
static void print_name(const char *fmt, va_list ap) TAP_FMT(1, 0);
static void print_name(const char *fmt, va_list ap)
{
	char name[512];

	vsnprintf(name, sizeof(name), fmt, ap);
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '#')
			fputs("(hash)", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
}

static bool report(bool passed, const char *file, int line, const char *fmt, va_list ap)
	TAP_FMT(4, 0);
static bool report(bool passed, const char *file, int line, const char *fmt, va_list ap)
{
	run++;
	printf("%sok %d - ", passed ? "" : "not ", run);
	print_name(fmt, ap);
	putchar('\n');
	if (!passed) {
		failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	fflush(stdout);
	return passed;
}

bool tap_ok(bool passed, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(passed, file, line, fmt, ap);
	va_end(ap);
	return passed;
}

bool tap_is_int(long long got, long long want, const char *file, int line,
		const char *fmt, ...)
{
	bool passed = got == want;
	va_list ap;

	va_start(ap, fmt);
	report(passed, file, line, fmt, ap);
	va_end(ap);
	if (!passed)
		printf("#          got: %lld\n#     expected: %lld\n", got, want);
	fflush(stdout);
	return passed;
}

static void print_quoted(const char *label, const char *s)
{
	printf("# %12s: ", label);
	if (s == NULL) {
		puts("NULL");
		return;
	}
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	puts("'");
}

bool tap_is_str(const char *got, const char *want, const char *file, int line,
		const char *fmt, ...)
{
	bool passed = got == want || (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_list ap;

	va_start(ap, fmt);
	report(passed, file, line, fmt, ap);
	va_end(ap);
	if (!passed) {
		print_quoted("got", got);
		print_quoted("expected", want);
	}
	fflush(stdout);
	return passed;
}

/* Up to 16 bytes from OFFSET, in hex. */
static void print_hex(const char *label, const unsigned char *p, size_t len, size_t offset)
{
	printf("# %12s:", label);
	for (size_t i = offset; i < len && i < offset + 16; i++)
		printf(" %02x", p[i]);
	printf("%s (%zu bytes)\n", len > offset + 16 ? " ..." : "", len);
}

bool tap_is_bytes(const void *got, size_t got_len, const void *want, size_t want_len,
		  const char *file, int line, const char *fmt, ...)
{
	const unsigned char *g = got;
	const unsigned char *w = want;
	size_t first = 0;
	bool passed;
	va_list ap;

	while (first < got_len && first < want_len && g[first] == w[first])
		first++;
	passed = got_len == want_len && first == got_len;
	va_start(ap, fmt);
	report(passed, file, line, fmt, ap);
	va_end(ap);
	if (!passed) {
		printf("#     first difference at byte %zu\n", first);
		print_hex("got", g, got_len, first);
		print_hex("expected", w, want_len, first);
	}
	fflush(stdout);
	return passed;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int tap_done(void)
{
	if (planned < 0) {
		printf("1..%d\n", run);
		planned = run;
	}
	if (run != planned)
		printf("# planned %d tests but ran %d\n", planned, run);
	if (failed > 0)
		printf("# failed %d of %d tests\n", failed, run);
	fflush(stdout);
	return failed == 0 && run == planned ? 0 : 1;
}
