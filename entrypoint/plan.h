/* What to register, skip or refuse, and why: decided before the first write. */
#ifndef QUS_PLAN_H
#define QUS_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "binfmt.h"
#include "cli.h"
#include "error.h"
#include "targets.h"

enum plan_action {
	PLAN_REGISTER,
	PLAN_SKIP_HOST,          /* this machine's own target */
	PLAN_SKIP_FAMILY,        /* runs natively, or nearly: same family */
	PLAN_SKIP_UNNAMED,       /* targets were named, not this one */
	PLAN_SKIP_MISSING,       /* with F, all targets: the image lacks it */
	PLAN_FAIL_INTERPRETER,   /* with F, named: missing or unusable */
	PLAN_REFUSE_NATIVE,      /* would capture this machine's own programs */
};

struct plan_item {
	const struct target *target;
	enum plan_action action;
	bool named;                          /* named on the command line */
	bool in_all;                         /* in --install all's set */
	char entry_name[BINFMT_FIELD_MAX];   /* qemu-<target> */
	/* The register string holds the path, so it is never longer. */
	char interpreter[BINFMT_REGISTER_MAX + 1];
	char line[BINFMT_REGISTER_MAX + 1];  /* the register string */
	size_t line_len;
	char why[BINFMT_REGISTER_MAX + 512]; /* for skips and failures */
};

struct plan {
	const struct target *host;
	unsigned flags;                      /* enum binfmt_flag bits */
	struct plan_item items[TARGET_COUNT];
	size_t count;
};

/* Decide, from the options and the host, what each target gets, and build
 * its register string. Returns 0, or -1 with a usage error in ERR. */
int plan_build(const struct options *o, const struct target *host, struct plan *p,
	       struct error *err);

/* With F the kernel opens the interpreter at registration: look at each one
 * now. A missing one skips its target (an image may ship only some); for a
 * named target it is a failure, as is one that is not an executable file.
 * With REFUSE_LOOPS (a live registration), also refuse each entry that would
 * match its own interpreter: every exec of the interpreter would call the
 * interpreter again (ELOOP). */
void plan_check_interpreters(struct plan *p, bool refuse_loops);

/* Refuse every entry that would match HEAD, the start of one of this
 * machine's own executables (NAME says which, for the message). */
void plan_refuse_native(struct plan *p, const unsigned char *head, size_t len,
			const char *name);

/* Whether what the kernel holds is exactly what ITEM would register
 * (interpreter, flags, offset, magic, mask); the enabled state aside. */
bool plan_item_matches(const struct plan *p, const struct plan_item *item,
		       const struct binfmt_entry *e);

#endif
