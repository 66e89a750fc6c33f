/*
 * Meeting the kernel: register each planned entry (or accept the identical
 * one already there), remove the qemu-* entries for --reset, remove what
 * --uninstall names, and, for --watch, put back what vanished. Every
 * outcome is reported and counted.
 */
#include "apply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "glob.h"
#include "report.h"
#include "targets.h"
#include "words.h"

/* A target the user named is never skipped in silence. Of the others, only
 * a missing emulator is told, and only with --verbose: an image may ship
 * some emulators and not others, as tonistiigi/binfmt's `all` expects. */
void apply_note_skip(const struct plan_item *item)
{
	if (item->named && item->action != PLAN_SKIP_UNNAMED)
		report_skipped(item);
	else if (item->action == PLAN_SKIP_MISSING)
		report_detail("skipping %s: %s", item->target->name, item->why);
}

static const char *register_cause(const struct apply *a, int err, const struct plan_item *item,
				  char *buf, size_t len)
{
	bool fixed = a->plan->flags & BINFMT_FLAG_F;

	switch (err) {
	case ENOENT:
		snprintf(buf, len, fixed ? "the interpreter %s does not exist (with --persistent "
				   "yes the kernel opens it when registering)"
				 : "the kernel answered ENOENT for interpreter %s",
			 item->interpreter);
		break;
	case EINVAL:
		snprintf(buf, len, "the kernel rejected the entry as invalid (EINVAL)%s",
			 fixed ? "; kernels older than 4.8 do not know flag F: use "
				 "--persistent no there" : "");
		break;
	case EACCES:
		snprintf(buf, len, "the kernel may not open the interpreter %s (permission "
			 "denied: is it executable, and not on a noexec mount?)",
			 item->interpreter);
		break;
	default:
		snprintf(buf, len, "the kernel refused the entry: %s", strerror(err));
		break;
	}
	return buf;
}

static const char *interpreter_of(const struct binfmt_entry *e)
{
	return e->by_extension ? "(by extension)" : e->interpreter;
}

static enum apply_outcome judge_existing(struct apply *a, const struct plan_item *item,
					 const struct binfmt_entry *e)
{
	struct tally *t = &a->tally;
	char flags[5];

	if (plan_item_matches(a->plan, item, e) && e->enabled) {
		report_present(item);
		t->present++;
		return APPLY_IN_PLACE;
	}
	binfmt_flags_format(e->flags, flags);
	if (a->keep_different && e->enabled) {
		report_present(item);
		report_note("%s: already registered differently (interpreter %s, flags: %s); "
			    "left as is: --uninstall it first to replace it", item->entry_name,
			    interpreter_of(e), flags);
		t->present++;
		return APPLY_KEPT;
	}
	t->failed++;
	if (!e->enabled) {
		/* --reset goes with the multiarch style only; --install users
		 * replace an entry with --uninstall first. */
		report_failed(item, "registered but disabled (0 was written to it); %s",
			      a->keep_different
			     ? "--uninstall it, then --install it again"
			     : "run with --reset to enable it again");
		return APPLY_FAILED;
	}
	report_failed(item, "a different entry is already registered (interpreter %s, "
		      "flags: %s); run with --reset to replace it", interpreter_of(e), flags);
	return APPLY_FAILED;
}

/* The kernel refused the replacement of an entry this run removed: register
 * the old one again, as it was (disabled again if it was). */
static void put_old_back(struct apply *a, size_t i)
{
	const struct plan_item *item = &a->plan->items[i];
	int r = a->old[i][0] != '\0' ? binfmt_register(a->b, a->old[i], strlen(a->old[i]))
				       : EBADMSG;

	if (r == 0 && a->old_disabled[i])
		r = binfmt_disable(a->b, item->entry_name);
	if (r == 0)
		report_error("%s: registered the old entry again, as it was", item->entry_name);
	else
		report_errno(r, "%s: could not register the old entry again", item->entry_name);
}

/* One write per target: the kernel tells whether the name is taken (EEXIST),
 * and only then is the entry read and judged. An entry removed between the
 * two (a concurrent --uninstall) is written again, a bounded number of times. */
static enum apply_outcome register_item(struct apply *a, const struct plan_item *item)
{
	char cause[BINFMT_REGISTER_MAX + 256];
	struct binfmt_entry e;
	int r = ENOENT;

	for (int attempt = 0; attempt < 3 && r == ENOENT; attempt++) {
		r = binfmt_register(a->b, item->line, item->line_len);
		if (r == 0) {
			report_registered(item);
			a->tally.registered++;
			return APPLY_IN_PLACE;
		}
		if (r != EEXIST) {
			report_failed(item, "%s", register_cause(a, r, item, cause, sizeof(cause)));
			a->tally.failed++;
			if (a->replacing[item - a->plan->items])
				put_old_back(a, (size_t)(item - a->plan->items));
			return APPLY_FAILED;
		}
		r = binfmt_read(a->b, item->entry_name, &e);
		if (r == 0)
			return judge_existing(a, item, &e);
	}
	report_failed(item, "cannot read the existing entry: %s", strerror(r));
	a->tally.failed++;
	return APPLY_FAILED;
}

static void apply_item(struct apply *a, const struct plan_item *item)
{
	struct tally *t = &a->tally;
	size_t i = (size_t)(item - a->plan->items);

	if (a->kept[i])
		return;  /* said and counted when it was kept */
	switch (item->action) {
	case PLAN_REGISTER:
		a->outcome[i] = register_item(a, item);
		break;
	case PLAN_FAIL_INTERPRETER:
	case PLAN_REFUSE_NATIVE:
		report_failed(item, "%s", item->why);
		t->failed++;
		break;
	case PLAN_SKIP_HOST:
	case PLAN_SKIP_FAMILY:
	case PLAN_SKIP_UNNAMED:
	case PLAN_SKIP_MISSING:
		apply_note_skip(item);
		t->skipped++;
		break;
	}
}

/* Remove entry NAME. LABEL: NULL for --reset, else what --uninstall
 * reports it as. Returns whether it went now. */
static bool remove_entry(struct apply *a, const char *name, const char *label)
{
	struct tally *t = &a->tally;
	char cause[512];
	int r = binfmt_remove(a->b, name);

	if (r == 0) {
		if (label != NULL)
			report_uninstalled(label, NULL);
		else
			report_removed(name);
		t->removed++;
		return true;
	}
	if (r == ENOENT) {  /* another process removed it */
		if (label != NULL)
			report_uninstalled(label, "not found");
		return false;
	}
	t->failed++;
	if (label == NULL) {
		report_errno(r, "%s: cannot remove", name);
		return false;
	}
	snprintf(cause, sizeof(cause), "cannot remove %s: %s", name, strerror(r));
	report_uninstalled(label, cause);
	return false;
}

/* The plan item whose entry is NAME, or NULL. */
static const struct plan_item *item_named(const struct plan *p, const char *name)
{
	const struct target *t = strncmp(name, "qemu-", 5) == 0 ? target_by_name(name + 5) : NULL;
	size_t i = t != NULL ? target_index(t) : 0;

	return t != NULL && i < p->count ? &p->items[i] : NULL;
}

/* Whether ITEM was to be registered but cannot be: its emulator is missing
 * or unusable. Its old entry is all this run could leave in its place. */
static bool cannot_replace(const struct plan_item *item)
{
	return item->action == PLAN_SKIP_MISSING || item->action == PLAN_FAIL_INTERPRETER;
}

/* Remember the entry NAME (of plan item I) as a register string, so that
 * it can be put back. */
static void save_old(struct apply *a, size_t i, const char *name)
{
	struct binfmt_entry e;

	a->old[i][0] = '\0';
	if (binfmt_read(a->b, name, &e) != 0)
		return;
	a->old_disabled[i] = !e.enabled;
	if (binfmt_entry_line(name, &e, a->old[i], sizeof(a->old[i])) == 0)
		a->old[i][0] = '\0';
}

/* The entry NAME stays: ITEM, its replacement, cannot be registered. */
static void report_kept(const char *name, const char *label, const struct plan_item *item)
{
	char cause[BINFMT_REGISTER_MAX + 1024];

	if (label == NULL) {
		report_error("%s: kept as it is: its replacement cannot be registered: %s",
			     name, item->why);
		return;
	}
	snprintf(cause, sizeof(cause), "%s kept as it is: its replacement cannot be "
		 "registered: %s", name, item->why);
	report_uninstalled(label, cause);
}

/* Remove NAME unless this run cannot put back what would replace it.
 * LABEL as for remove_entry. */
static void remove_replaceable(struct apply *a, const char *name, const char *label)
{
	const struct plan_item *item = item_named(a->plan, name);
	size_t i = item != NULL ? (size_t)(item - a->plan->items) : 0;

	if (item != NULL && cannot_replace(item)) {
		if (!a->kept[i]) {
			report_kept(name, label, item);
			a->tally.failed++;
		}
		a->kept[i] = true;
		return;
	}
	if (item != NULL && item->action == PLAN_REGISTER)
		save_old(a, i, name);
	if (remove_entry(a, name, label) && item != NULL && item->action == PLAN_REGISTER)
		a->replacing[i] = true;
}

/* --reset: remove every entry whose name begins with "qemu-", and only those:
 * other tools' entries (Java, Wine, WSL, Python) are never touched. */
int apply_reset(struct apply *a)
{
	struct binfmt_names names;
	int r = binfmt_list(a->b, &names);

	if (r != 0) {
		report_errno(r, "cannot list %s", a->b->path);
		return -1;
	}
	for (size_t i = 0; i < names.count; i++)
		if (strncmp(names.names[i], "qemu-", 5) == 0)
			remove_replaceable(a, names.names[i], NULL);
	binfmt_names_release(&names);
	return 0;
}

static bool is_glob(const char *item)
{
	return strpbrk(item, "*?[") != NULL;
}

/* Whether an --uninstall ITEM means ENTRY: its exact name (any entry, even
 * another tool's), a glob (only qemu-* entries), or a target, architecture
 * or platform name (its qemu-<target> entry). */
static bool uninstall_matches(const char *item, const char *entry)
{
	const struct target *t;

	if (strcmp(item, entry) == 0)
		return true;
	if (is_glob(item))
		return strncmp(entry, "qemu-", 5) == 0 && glob_match(item, entry);
	t = target_lookup(item);
	return t != NULL && strncmp(entry, "qemu-", 5) == 0 && strcmp(entry + 5, t->name) == 0;
}

/* The name tonistiigi/binfmt reports an --uninstall ITEM by: each entry a
 * glob or an exact name matched, else the target an arch or platform name
 * means ("arm64" and "linux/arm64" are "aarch64"), else ITEM itself. */
static const char *uninstall_label(const char *item, const char *entry)
{
	const struct target *t;

	if (entry != NULL && (is_glob(item) || strcmp(item, entry) == 0))
		return entry;
	t = target_lookup(item);
	return t != NULL ? t->name : item;
}

int apply_uninstall(struct apply *a, const char *list)
{
	struct binfmt_names names;
	const char *cursor = list;
	char item[256];
	int r = binfmt_list(a->b, &names);

	if (r != 0) {
		report_errno(r, "cannot list %s", a->b->path);
		return -1;
	}
	while ((r = words_next(&cursor, item, sizeof(item))) != 0) {
		size_t matched = 0;

		if (r < 0) {
			report_note("--uninstall: skipped an empty or overlong name in '%s'", list);
			continue;
		}
		for (size_t i = 0; i < names.count; i++) {
			if (uninstall_matches(item, names.names[i])) {
				remove_replaceable(a, names.names[i],
						   uninstall_label(item, names.names[i]));
				matched++;
			}
		}
		if (matched == 0)
			report_uninstalled(uninstall_label(item, NULL), "not found");
	}
	binfmt_names_release(&names);
	return 0;
}

void apply_plan(struct apply *a)
{
	for (size_t i = 0; i < a->plan->count; i++)
		apply_item(a, &a->plan->items[i]);
}

/* Say once, until it changes again, why the watch leaves ITEM's entry E. */
static void tell_left_alone(struct apply *a, size_t i, const struct binfmt_entry *e)
{
	const struct plan_item *item = &a->plan->items[i];
	char flags[5];

	if (a->told[i])
		return;
	a->told[i] = true;
	binfmt_flags_format(e->flags, flags);
	if (plan_item_matches(a->plan, item, e))
		report_warning("watch: %s is disabled (0 was written to it); left as is",
			       item->entry_name);
	else
		report_warning("watch: %s was replaced by a different entry (interpreter %s, "
			       "flags: %s); left as is: %s", item->entry_name, interpreter_of(e),
			       flags, a->keep_different ? "--uninstall it, then --install it "
			       "again" : "run with --reset to replace it");
}

/* One write puts it back; EEXIST means another process just did. */
static void put_back(struct apply *a, const struct plan_item *item, const char *had)
{
	int r = binfmt_register(a->b, item->line, item->line_len);

	if (r == 0)
		report_note("watch: re-created %s (it had %s)", item->entry_name, had);
	else if (r != EEXIST)
		report_errno(r, "watch: cannot re-create %s", item->entry_name);
}

static void repair_item(struct apply *a, size_t i)
{
	const struct plan_item *item = &a->plan->items[i];
	struct binfmt_entry e;
	int r = binfmt_read(a->b, item->entry_name, &e);
	bool ours = r == 0 && plan_item_matches(a->plan, item, &e);

	if (ours && e.enabled) {
		a->told[i] = false;
		return;
	}
	if (r != 0) {
		a->told[i] = false;
		put_back(a, item, "vanished");
	} else if (!ours && a->replace_different) {
		/* A removal refused now is tried again at the next pass. */
		if (binfmt_remove(a->b, item->entry_name) == 0)
			put_back(a, item, "changed");
	} else {
		tell_left_alone(a, i, &e);
	}
}

void apply_repair(struct apply *a)
{
	struct error err;

	if (binfmt_recheck(a->b, &err) != 0) {
		char line[ERROR_MESSAGE_MAX + 64];

		error_format(&err, NULL, line, sizeof(line));
		report_error("watch: %s", line);
		return;
	}
	for (size_t i = 0; i < a->plan->count; i++)
		if (a->outcome[i] == APPLY_IN_PLACE)
			repair_item(a, i);
}
