/* Meeting the kernel with a plan: register, reset, uninstall, and the
 * watch's repairs, all under the same rules. */
#ifndef QUS_APPLY_H
#define QUS_APPLY_H

#include <stdbool.h>

#include "binfmt.h"
#include "plan.h"
#include "report.h"

/* What the first pass did with each planned item. The watch repairs only
 * what it put in place: never an entry --install kept, nor one that was
 * refused or failed. */
enum apply_outcome {
	APPLY_UNTOUCHED,   /* skipped, refused, or not planned */
	APPLY_IN_PLACE,    /* registered now, or found identical */
	APPLY_KEPT,        /* --install kept a different entry of that name */
	APPLY_FAILED,      /* the kernel refused it, or another entry is in the way */
};

struct apply {
	const struct binfmt *b;
	const struct plan *plan;
	/* --install keeps what is there, as tonistiigi/binfmt does: an entry
	 * of the same name, even a different one, counts as installed. */
	bool keep_different;
	/* --reset: this run replaces qemu-* entries; the watch, too, then
	 * replaces one of its own that someone changed. */
	bool replace_different;
	struct tally tally;
	enum apply_outcome outcome[TARGET_COUNT];  /* by plan item */
	bool told[TARGET_COUNT];  /* the watch said why it leaves an entry alone */
	/* --reset and --uninstall never remove what this run cannot put back:
	 * an entry whose replacement the plan cannot register stays (kept);
	 * one removed to be replaced (replacing) is registered again from OLD
	 * when the kernel refuses its replacement. */
	bool kept[TARGET_COUNT];
	bool replacing[TARGET_COUNT];
	bool old_disabled[TARGET_COUNT];
	char old[TARGET_COUNT][BINFMT_REGISTER_MAX + 1];  /* "" when it cannot be */
};

/* Register every item the plan says to, report each outcome, count it. */
void apply_plan(struct apply *a);

/* The watch's pass: check the mount again, then put back each entry of
 * apply_plan's that vanished (or, with replace_different, changed); say
 * once why one is left alone (disabled, or replaced without --reset). */
void apply_repair(struct apply *a);

/* --reset: remove every entry whose name begins with "qemu-", and only
 * those, but for the ones whose replacement cannot be registered (kept,
 * and counted as failed). Returns 0, or -1 when the entries cannot be
 * listed. */
int apply_reset(struct apply *a);

/* --uninstall LIST, with the same exception for entries that --install
 * replaces. Returns 0, or -1 when the entries cannot be listed. */
int apply_uninstall(struct apply *a, const char *list);

/* The note for a skipped target, when it deserves one. */
void apply_note_skip(const struct plan_item *item);

#endif
