/* Meeting the kernel with a plan: register, reset, uninstall. */
#ifndef QUS_APPLY_H
#define QUS_APPLY_H

#include <stdbool.h>

#include "binfmt.h"
#include "plan.h"
#include "report.h"

struct apply {
	const struct binfmt *b;
	const struct plan *plan;
	/* --install keeps what is there, as tonistiigi/binfmt does: an entry
	 * of the same name, even a different one, counts as installed. */
	bool keep_different;
	struct tally tally;
};

/* Register every item the plan says to, report each outcome, count it. */
void apply_plan(struct apply *a);

/* --reset: remove every entry whose name begins with "qemu-", and only
 * those. Returns 0, or -1 when the entries cannot be listed. */
int apply_reset(struct apply *a);

/* --uninstall LIST. Returns 0, or -1 when the entries cannot be listed. */
int apply_uninstall(struct apply *a, const char *list);

/* The note for a skipped target, when it deserves one. */
void apply_note_skip(const struct plan_item *item);

#endif
