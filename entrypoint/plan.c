#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "error.h"
#include "words.h"

static void set_why(struct plan_item *item, enum plan_action action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(struct plan_item *item, enum plan_action action, const char *fmt, ...)
{
	va_list ap;

	item->action = action;
	va_start(ap, fmt);
	vsnprintf(item->why, sizeof(item->why), fmt, ap);
	va_end(ap);
}

static void list_target_names(char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < target_count && used < size; i++) {
		int n = snprintf(out + used, size - used, "%s%s", i ? " " : "", targets[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int mark(struct plan *p, const char *name, const char *where, struct error *err)
{
	const struct target *t = target_lookup(name);

	if (t == NULL) {
		char known[512];
		list_target_names(known, sizeof(known));
		return error_set(err, 0, "unknown target '%s'%s; known targets: %s (or "
				  "architecture names such as arm64, 386, loong64, or platforms "
				  "such as linux/arm/v7)", name, where, known);
	}
	p->items[target_index(t)].named = true;
	return 0;
}

/* "all" in --install: tonistiigi/binfmt's set, each target in it that is
 * not of this machine's family and whose emulator is here. */
static void mark_install_all(struct plan *p)
{
	for (size_t i = 0; i < p->count; i++)
		if (target_in_install_all(p->items[i].target))
			p->items[i].in_all = true;
}

/* --install LIST: comma-separated names, and "all". */
static int mark_install_list(const char *list, struct plan *p, struct error *err)
{
	const char *cursor = list;
	char name[64];
	int r;

	while ((r = words_next(&cursor, name, sizeof(name))) != 0) {
		if (r < 0)
			return error_set(err, 0, "--install: '%s' holds an empty or overlong "
					  "name", list);
		if (strcmp(name, "all") == 0)
			mark_install_all(p);
		else if (mark(p, name, " in --install", err) != 0)
			return -1;
	}
	return 0;
}

/* Which targets the user chose: by name on the line or in --install.
 * *ANY_NAMED tells whether the choice is limited to those (the multiarch
 * style without TARGETs registers every one). */
static int mark_named(const struct options *o, struct plan *p, bool *any_named,
		      struct error *err)
{
	for (size_t i = 0; i < o->named_count; i++)
		if (mark(p, o->named[i], "", err) != 0)
			return -1;
	if (o->install != NULL && mark_install_list(o->install, p, err) != 0)
		return -1;
	/* --uninstall alone registers nothing. */
	*any_named = o->named_count > 0 || o->install != NULL || o->uninstall != NULL;
	return 0;
}

/* The register string of ITEM, with FLAGS. Returns -1 when it would not fit. */
static int build_line(struct plan_item *item, unsigned flags)
{
	const struct target *t = item->target;
	const struct binfmt_magic m = { 0, t->magic, t->magic_len, t->mask, t->mask_len };

	item->line_len = binfmt_magic_line(item->entry_name, &m, item->interpreter, flags,
					   item->line, sizeof(item->line));
	return item->line_len > 0 ? 0 : -1;
}

static void decide(const struct options *o, const struct target *host, struct plan_item *item,
		   bool any_named)
{
	const struct target *t = item->target;

	item->action = PLAN_REGISTER;
	if (t == host)
		set_why(item, PLAN_SKIP_HOST, "%s is this machine's own architecture", t->name);
	else if (strcmp(t->interpreter, host->interpreter) == 0)
		/* QEMU's script takes i486 for i386 in its exact-host check: an
		 * i386-family kernel runs EM_486 programs itself. */
		set_why(item, PLAN_SKIP_HOST, "%s runs on this machine's own architecture (%s)",
			t->name, host->name);
	else if (!o->ignore_family && strcmp(t->family, host->family) == 0)
		set_why(item, PLAN_SKIP_FAMILY,
			"%s is of this machine's family (%s) and runs natively; "
			"--ignore-family yes registers it", t->name, t->family);
	else if (any_named && !item->named && !item->in_all)
		item->action = PLAN_SKIP_UNNAMED;
}

/* The flags asked for. --install has tonistiigi/binfmt's defaults, P, O, C
 * and F, which its users expect; the multiarch style has QEMU's, none. */
static unsigned choose_flags(const struct options *o)
{
	bool install = o->install != NULL;
	bool persistent = o->persistent_set ? o->persistent : install;
	bool credential = o->credential_set ? o->credential : install;
	bool preserve = o->preserve_argv0_set ? o->preserve_argv0 : install;

	return (persistent ? BINFMT_FLAG_F : 0U) |
	       (credential ? BINFMT_FLAG_O | BINFMT_FLAG_C : 0U) |
	       (preserve ? BINFMT_FLAG_P : 0U);
}

int plan_build(const struct options *o, const struct target *host, struct plan *p,
	       struct error *err)
{
	bool any_named = false;

	memset(p, 0, sizeof(*p));
	p->host = host;
	p->count = target_count;
	p->flags = choose_flags(o);
	for (size_t i = 0; i < p->count; i++)
		p->items[i].target = &targets[i];
	if (mark_named(o, p, &any_named, err) != 0)
		return -1;
	for (size_t i = 0; i < p->count; i++) {
		struct plan_item *item = &p->items[i];
		const struct target *t = item->target;
		int n;

		snprintf(item->entry_name, sizeof(item->entry_name), "qemu-%s", t->name);
		n = snprintf(item->interpreter, sizeof(item->interpreter), "%s%s%s%s",
			     o->qemu_path,
			     o->qemu_path[strlen(o->qemu_path) - 1] == '/' ? "" : "/",
			     t->interpreter, o->qemu_suffix);
		if (n < 0 || (size_t)n >= sizeof(item->interpreter))
			return error_set(err, 0, "the interpreter path for %s is too long",
				    t->name);
		decide(o, host, item, any_named);
		if (build_line(item, p->flags) != 0)
			return error_set(err, 0, "the register string for %s would be longer than the "
				    "kernel's limit of %d bytes; use a shorter --qemu-path",
				    t->name, BINFMT_REGISTER_MAX);
	}
	return 0;
}

/* With F the kernel opens the interpreter when registering; without it, at
 * each exec, where the program runs. One open per interpreter serves both
 * checks: fstat for a usable file, and its first bytes for the exec loop.
 * O_NONBLOCK: a FIFO at that path would block the open (and a read) until
 * some writer came; only a regular file is ever read. */
static void check_interpreter(struct plan_item *item, unsigned flags, bool refuse_loops)
{
	bool fixed = flags & BINFMT_FLAG_F;
	unsigned char head[ELF_HEAD_MAX];
	struct stat st;
	size_t n;
	int fd = openat(AT_FDCWD, item->interpreter, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		int e = errno;
		if (!fixed)
			return;  /* looked up later, where programs run */
		if (e == ENOENT && !item->named)
			set_why(item, PLAN_SKIP_MISSING, "%s is not here (with --persistent yes the "
				"interpreter must exist when registering)", item->interpreter);
		else
			set_why(item, PLAN_FAIL_INTERPRETER, "cannot use interpreter %s: %s (with "
				"--persistent yes it must exist when registering)",
				item->interpreter, strerror(e));
		return;
	}
	if (fstat(fd, &st) != 0)
		st.st_mode = S_IFREG | 0755;  /* unknown: the kernel will say */
	if (!S_ISREG(st.st_mode)) {
		/* Without F it is looked up again at each exec, elsewhere. */
		if (fixed)
			set_why(item, PLAN_FAIL_INTERPRETER, "interpreter %s is not a regular "
				"file", item->interpreter);
	} else if (fixed && !(st.st_mode & 0111)) {
		set_why(item, PLAN_FAIL_INTERPRETER, "interpreter %s is not executable",
			item->interpreter);
	} else if (refuse_loops && (n = elf_read_head(fd, head)) > 0 &&
		   target_matches(item->target, head, n)) {
		set_why(item, PLAN_REFUSE_NATIVE, "refusing to register: the entry would match "
			"its own interpreter %s (exec loop); is HOST_ARCH right?",
			item->interpreter);
	}
	close(fd);
}

void plan_check_interpreters(struct plan *p, bool refuse_loops)
{
	if (!(p->flags & BINFMT_FLAG_F) && !refuse_loops)
		return;
	for (size_t i = 0; i < p->count; i++)
		if (p->items[i].action == PLAN_REGISTER)
			check_interpreter(&p->items[i], p->flags, refuse_loops);
}

void plan_refuse_native(struct plan *p, const unsigned char *head, size_t len,
			const char *name)
{
	for (size_t i = 0; i < p->count; i++) {
		struct plan_item *item = &p->items[i];

		if (item->action == PLAN_REGISTER && target_matches(item->target, head, len))
			set_why(item, PLAN_REFUSE_NATIVE,
				"refusing to register: the entry would match %s, a program "
				"native to this machine, and send every native program to the "
				"emulator (exec loop; with F the host is unusable until it is "
				"removed). Is HOST_ARCH right?", name);
	}
}

bool plan_item_matches(const struct plan *p, const struct plan_item *item,
		       const struct binfmt_entry *e)
{
	const struct target *t = item->target;

	return !e->by_extension && e->offset == 0 && e->flags == p->flags &&
	       strcmp(e->interpreter, item->interpreter) == 0 &&
	       e->magic_len == t->magic_len && memcmp(e->magic, t->magic, t->magic_len) == 0 &&
	       e->mask_len == t->mask_len && memcmp(e->mask, t->mask, t->mask_len) == 0;
}
