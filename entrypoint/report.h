/* What the program tells people: result lines, notes, errors, the summary. */
#ifndef QUS_REPORT_H
#define QUS_REPORT_H

#include <stdbool.h>

#include "binfmt.h"
#include "error.h"
#include "plan.h"

struct tally {
	unsigned registered;
	unsigned present;
	unsigned removed;
	unsigned skipped;
	unsigned failed;
};

/* Whose lines the progress follows: users' scripts grep one or the other. */
enum report_style {
	/* multiarch/qemu-user-static and QEMU's script: on stdout only the
	 * "Setting ..." line of each entry registered; all else on stderr. */
	REPORT_MULTIARCH,
	/* tonistiigi/binfmt (--install, --uninstall): "installing: arm64 OK",
	 * "uninstalling: aarch64 OK" ... on stderr; stdout holds the JSON. */
	REPORT_TONISTIIGI,
};

void report_set_style(enum report_style chosen);

/* --verbose: also print the notes that are routine (report_detail). */
void report_set_verbose(bool on);

/* "register: MESSAGE" on stderr. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "register: warning: MESSAGE" on stderr. */
void report_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "register: note: MESSAGE" on stderr: something the user should know. */
void report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only with --verbose: what happens on every ordinary run (a
 * container mounting binfmt_misc, the meaning of the default flags). */
void report_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "register: " and E as error_format writes it (with ADVICE, or NULL). */
void report_failure(const struct error *e, const char *advice);
/* The same for a message and the errno that says why: "register: MESSAGE: STRERROR". */
void report_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One target's outcome, in the style set: registered now; already there
 * (identical, or kept as --install keeps it); failed, with the cause; or
 * skipped although named (the plan says why). */
void report_registered(const struct plan_item *item);
void report_present(const struct plan_item *item);
void report_failed(const struct plan_item *item, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void report_skipped(const struct plan_item *item);

/* Removals. --reset: the entry NAME. --uninstall: LABEL is the name as
 * tonistiigi/binfmt prints it (the entry's name, or the target's for an
 * arch or platform name); CAUSE NULL when it went, else why not. */
void report_removed(const char *name);
void report_uninstalled(const char *label, const char *cause);

/* "31 registered, 0 already present, ..." on stderr (tonistiigi's style
 * prints none: only with --verbose). */
void report_summary(const struct tally *t);

/* S as a JSON string on stdout: valid UTF-8 as it is, the quote, the
 * backslash and control characters escaped as JSON requires, a byte that
 * is not UTF-8 as \ufffd. The document stays valid whatever a name holds. */
void report_json_string(const char *s);

/* S, which came from outside (the kernel, a program, the command line), as
 * text that cannot act on a terminal or add a line: control characters
 * (C0, DEL, C1), bytes that are not UTF-8, and the backslash are escaped
 * (\xHH, \\); printable UTF-8 is kept. report_text prints it on stdout;
 * report_escape writes it into OUT (SIZE bytes, cut at a whole character)
 * and returns its length. */
void report_text(const char *s);
size_t report_escape(const char *s, char *out, size_t size);

/* One --dry-run line: the register string. */
void report_dry_run(const struct plan_item *item);

#endif
