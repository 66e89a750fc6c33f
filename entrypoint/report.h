/* What the program tells people: result lines, notes, errors, the summary. */
#ifndef QUS_REPORT_H
#define QUS_REPORT_H

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

/* "register: MESSAGE" on stderr. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "register: warning: MESSAGE" on stderr. */
void report_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "register: note: MESSAGE" on stderr. */
void report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "register: " and E as error_format writes it (with ADVICE, or NULL). */
void report_failure(const struct error *e, const char *advice);
/* The same for a message and the errno that says why: "register: MESSAGE: STRERROR". */
void report_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress lines go to stdout, or to stderr when stdout carries a document
 * (--install prints JSON there). */
void report_progress_to_stderr(void);

/* The line users and scripts grep for, on stdout. */
void report_registered(const struct plan_item *item);
void report_present(const struct plan_item *item);
void report_removed(const char *name);
void report_summary(const struct tally *t);

/* S as a JSON string on stdout. Bytes outside printable ASCII become
 * \u00XX: the document stays valid JSON whatever a name holds. */
void report_json_string(const char *s);

/* One --dry-run line: the register string. */
void report_dry_run(const struct plan_item *item);

#endif
