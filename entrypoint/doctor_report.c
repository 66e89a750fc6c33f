/*
 * How --doctor reports: each check's result as one line of text, with the
 * fix under it, or as one object of a JSON document; the counts; the fixes
 * themselves, built into the buffer of the check that prints them.
 */
#include "doctor_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static const char *const level_names[] = { "ok", "info", "warning", "problem" };

/* One check's result, printed at once (text) or as one JSON object. */
void doctor_emit(struct doctor *d, enum doctor_level lv, const char *check,
		 const char *subject, const char *fix, const char *fmt, ...)
{
	char msg[2 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->counts[lv]++;
	if (!d->o->json) {
		/* Names, paths and a program's PT_INTERP come from outside: each
		 * line is escaped, so that none can add a line or a terminal
		 * escape of its own. */
		printf("%-8s ", level_names[lv]);
		report_text(subject);
		fputs(": ", stdout);
		report_text(msg);
		putchar('\n');
		if (fix != NULL) {
			printf("%-8s %s: ", "", lv == DOCTOR_INFO ? "change" : "fix");
			report_text(fix);
			putchar('\n');
		}
		return;
	}
	printf("%s\n    {\"check\": ", d->later ? "," : "{\n  \"checks\": [");
	d->later = true;
	report_json_string(check);
	fputs(", \"subject\": ", stdout);
	report_json_string(subject);
	printf(", \"level\": \"%s\", \"message\": ", level_names[lv]);
	report_json_string(msg);
	fputs(", \"fix\": ", stdout);
	if (fix != NULL)
		report_json_string(fix);
	else
		fputs("null", stdout);
	putchar('}');
}

const char *fix_echo(struct doctor_fix *fix, const struct doctor *d, const char *value,
		     const char *file)
{
	/* Written, not read: cppcheck's whole-program pass takes the array
	 * member for a read of the caller's fresh buffer. */
	char *out = fix->text;  /* cppcheck-suppress ctuuninitvar */

	snprintf(out, DOCTOR_FIX_MAX, "echo %s > %s/%s", value, d->o->mount_dir, file);
	return out;
}

/* With QEMU_BIN_DIR (-Q) when the emulators are not in the image's /usr/bin. */
const char *fix_register(struct doctor_fix *fix, const struct doctor *d, const char *args)
{
	bool elsewhere = strcmp(d->o->qemu_path, "/usr/bin") != 0;
	char *out = fix->text;  /* cppcheck-suppress ctuuninitvar */

	snprintf(out, DOCTOR_FIX_MAX, "%s %s%s%s", d->run, args, elsewhere ? " -Q " : "",
		 elsewhere ? d->o->qemu_path : "");
	return out;
}

bool doctor_exists_at(const char *root, const char *path, int mode)
{
	char full[PATH_MAX + 64];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, mode) == 0;
}

/* This process's own mounts, read before it mounts anything. */

void doctor_summary(struct doctor *d)
{
	if (d->o->json)
		printf("%s\n  ],\n  \"problems\": %u,\n  \"warnings\": %u\n}\n",
		       d->later ? "" : "{\n  \"checks\": [", d->counts[DOCTOR_PROBLEM],
		       d->counts[DOCTOR_WARNING]);
	else
		printf("%u problem%s, %u warning%s\n", d->counts[DOCTOR_PROBLEM],
		       d->counts[DOCTOR_PROBLEM] == 1 ? "" : "s", d->counts[DOCTOR_WARNING],
		       d->counts[DOCTOR_WARNING] == 1 ? "" : "s");
}
