/*
 * register --doctor [PROGRAM]: why foreign programs do, or do not, run here.
 *
 * It only looks. Each check prints one line: "ok", "info" (listed, or a
 * trade-off rather than a fault), "warning" or "problem", and under each
 * the command that fixes it when one exists. When binfmt_misc is not
 * mounted, it is mounted in a mount namespace of this process alone, to
 * look; never in a user namespace, where a mount would create a private
 * instance that hides the host's entries from the whole namespace.
 */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binfmt.h"
#include "elf.h"
#include "exit_status.h"
#include "host.h"
#include "hostns.h"
#include "probe.h"
#include "spawn.h"
#include "targets.h"
#include "lines.h"
#include "report.h"
#include "streams.h"

#define HOST_BINFMT "/proc/sys/fs/binfmt_misc"
#define RUN_SECONDS 5
#define FIX_MAX (PATH_MAX + 256)
#define ENTRIES_MAX 128  /* machines hold a few dozen entries */

enum level { LEVEL_OK, LEVEL_INFO, LEVEL_WARNING, LEVEL_PROBLEM };
static const char *const level_names[] = { "ok", "info", "warning", "problem" };

/* One entry, as the kernel holds it. */
struct item {
	char name[NAME_MAX + 1];
	int err;                      /* binfmt_read's result; 0 when read */
	bool qemu;                    /* ours to judge */
	const struct target *target;  /* NULL when it matches no target */
	struct binfmt_entry e;
};

static struct {
	const struct options *o;
	const char *run;              /* how a fix calls register */
	unsigned counts[4];
	bool later;                   /* JSON: a check was printed already */
	bool userns;                  /* in a user namespace (rootless) */
	pid_t outer;                  /* in the host's mount namespace, or 0 */
	char root[32];                /* the host's files, when in reach: /proc/PID/root */
	const struct target *host;
	struct binfmt b;
	bool enabled;                 /* binfmt_misc's `status` */
	bool probing;                 /* this process's own execs use these entries */
	size_t count;                 /* of items[] */
	unsigned char self[ELF_HEAD_MAX];  /* the head of this very program */
	size_t self_len;
} d;

/* The entries, in the kernel's order: newest first. */
static struct item items[ENTRIES_MAX];

static void emit(enum level lv, const char *check, const char *subject, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One check's result, printed at once (text) or as one JSON object. */
static void emit(enum level lv, const char *check, const char *subject, const char *fix,
		 const char *fmt, ...)
{
	char msg[2 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.counts[lv]++;
	if (!d.o->json) {
		/* Names, paths and a program's PT_INTERP come from outside: each
		 * line is escaped, so that none can add a line or a terminal
		 * escape of its own. */
		printf("%-8s ", level_names[lv]);
		report_text(subject);
		fputs(": ", stdout);
		report_text(msg);
		putchar('\n');
		if (fix != NULL) {
			printf("%-8s %s: ", "", lv == LEVEL_INFO ? "change" : "fix");
			report_text(fix);
			putchar('\n');
		}
		return;
	}
	printf("%s\n    {\"check\": ", d.later ? "," : "{\n  \"checks\": [");
	d.later = true;
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

/* A fix is built just before the line it goes with. */
static char fix_buf[FIX_MAX];

/* "echo VALUE > DIR/FILE": the exact command on an entry or `status`. */
static const char *echo_fix(const char *value, const char *file)
{
	snprintf(fix_buf, sizeof(fix_buf), "echo %s > %s/%s", value, d.o->mount_dir, file);
	return fix_buf;
}

/* "register ARGS", or the image's command; with the emulators' folder
 * when it is not the image's /usr/bin (QEMU_BIN_DIR). */
static const char *register_fix(const char *args)
{
	bool elsewhere = strcmp(d.o->qemu_path, "/usr/bin") != 0;

	snprintf(fix_buf, sizeof(fix_buf), "%s %s%s%s", d.run, args, elsewhere ? " -Q " : "",
		 elsewhere ? d.o->qemu_path : "");
	return fix_buf;
}

static bool exists_at(const char *root, const char *path, int mode)
{
	char full[PATH_MAX + 64];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, mode) == 0;
}

/* This process's own mounts, read before it mounts anything. */
static struct hostns_mounts here;

/* Open binfmt_misc where it is mounted or, outside user namespaces, mount
 * it in a mount namespace of this process alone. */
/* What to do when binfmt_misc cannot be opened to look. */
static const char *open_advice(enum binfmt_open_result r)
{
	if (r == BINFMT_OPEN_FOREIGN)
		return "give --mount the folder where binfmt_misc is mounted";
	if (r == BINFMT_OPEN_MAY_NOT_MOUNT)
		return "run the container with --privileged, or run register as root on the host";
	return NULL;
}

static bool open_binfmt(void)
{
	struct error err = { 0 };
	enum binfmt_open_result r;
	const char *dir = d.o->mount_dir;
	bool mounted = binfmt_mounted_at(dir);

	if (!mounted && d.userns) {
		emit(LEVEL_WARNING, "mount", "mount", "sudo podman run --rm --privileged --pid=host "
		     "IMAGE --doctor", "binfmt_misc is not mounted at %s, and this process runs in a "
		     "user namespace (a rootless container?): mounting it here would create a "
		     "private instance that hides the host's entries from this namespace, so the "
		     "entries are not listed; ask a rootful container", dir);
		return false;
	}
	if (!mounted && (unshare(CLONE_NEWNS) != 0 ||
			 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)) {
		snprintf(fix_buf, sizeof(fix_buf), "%s%s --doctor", d.run[0] == 'r' ? "sudo " : "",
			 d.run);
		emit(LEVEL_PROBLEM, "mount", "mount", fix_buf,
		     "binfmt_misc is not mounted at %s, and this process may not mount it to "
		     "look (%s): run it as root, or the container with --privileged", dir,
		     strerror(errno));
		return false;
	}
	r = binfmt_open(&d.b, dir, false, !mounted, &err);
	if (r != BINFMT_OPEN_OK) {
		char why[2 * ERROR_MESSAGE_MAX];

		error_format(&err, open_advice(r), why, sizeof(why));
		emit(LEVEL_PROBLEM, "mount", "mount", NULL, "%s", why);
		return false;
	}
	/* Probes go through the instance this process's execs use: only worth
	 * running when that is the one looked at (not another, by --mount). */
	d.probing = binfmt_serves_this_process(&d.b);
	if (mounted)
		emit(LEVEL_OK, "mount", "mount", NULL, "binfmt_misc is mounted at %s", dir);
	else
		emit(LEVEL_OK, "mount", "mount", NULL, "binfmt_misc was not mounted at %s; "
		     "mounted it in a mount namespace of this process alone, to look", dir);
	return true;
}

static bool check_status(void)
{
	if (binfmt_status_enabled(&d.b, &d.enabled) != 0)
		d.enabled = true;  /* unreadable: let the entries speak */
	if (d.enabled)
		emit(LEVEL_OK, "status", "status", NULL, "binfmt_misc is enabled");
	else
		emit(LEVEL_PROBLEM, "status", "status", echo_fix("1", "status"),
		     "binfmt_misc is disabled as a whole (0 was written to status): the kernel "
		     "uses no entry, and every foreign program fails with 'exec format error'");
	return true;
}

/* In a user namespace the kernel uses the nearest instance up the chain of
 * namespaces: one mounted in this namespace hides the host's entries. */
static bool check_userns(void)
{
	struct stat st;

	if (!d.userns) {
		emit(LEVEL_OK, "userns", "userns", NULL, "not in a user namespace: these are the "
		     "machine's own entries");
		return true;
	}
	if (d.outer > 0 && stat(d.o->mount_dir, &st) == 0 && hostns_read_mounts(d.outer, st.st_dev).same_sb) {
		emit(LEVEL_OK, "userns", "userns", NULL, "in a user namespace, but the binfmt_misc at "
		     "%s is the one of process %d, outside it", d.o->mount_dir, (int)d.outer);
		return true;
	}
	emit(LEVEL_WARNING, "userns", "userns", "sudo podman run --rm --privileged --pid=host IMAGE "
	     "--reset -p yes", "this process runs in a user namespace (a rootless container?) "
	     "and the binfmt_misc at %s is a private instance: programs started in this "
	     "namespace use only its entries, listed here, not the host's, and what is "
	     "registered here reaches no one else; register from a rootful container",
	     d.o->mount_dir);
	return true;
}

/* Linux >= 6.7 keeps the entries of the machine's instance only while
 * binfmt_misc is mounted somewhere. */
static bool check_persistence(void)
{
	struct hostns_mounts m = here;
	const char *mount_fix = "mount -t binfmt_misc binfmt_misc " HOST_BINFMT;

	if (d.userns)
		return true;
	if (!hostns_kernel_at_least(6, 7)) {
		emit(LEVEL_OK, "persistence", "persistence", NULL, "Linux < 6.7 keeps the entries "
		     "until they are removed or the machine restarts");
		return true;
	}
	if (d.outer > 0)
		m = hostns_read_mounts(d.outer, 0);
	if (!m.readable || (d.outer == 0 && hostns_in_pid_namespace())) {
		if (!d.b.mounted || d.count > 0)
			emit(LEVEL_OK, "persistence", "persistence", NULL, "entries exist, so "
			     "something keeps binfmt_misc mounted (the host, or another container)");
		else
			emit(LEVEL_WARNING, "persistence", "persistence",
			     register_fix("--reset -p yes"), "this container cannot see the host "
			     "(run it with --pid=host), and no entry exists, so nothing keeps "
			     "binfmt_misc mounted: on Linux >= 6.7 the entries a container registers "
			     "vanish when it exits, unless register can mount it on the host");
	} else if (m.mounted) {
		emit(LEVEL_OK, "persistence", "persistence", NULL, "the host keeps binfmt_misc "
		     "mounted: the entries outlive the containers that register them");
	} else if (m.automount) {
		emit(LEVEL_WARNING, "persistence", "persistence", "ls " HOST_BINFMT,
		     "the host has systemd's automount at %s, but nothing opened it: on Linux >= "
		     "6.7 entries live only while binfmt_misc is mounted, so those a container "
		     "registers vanish when it exits; on the host, open it once", HOST_BINFMT);
	} else {
		emit(LEVEL_WARNING, "persistence", "persistence", mount_fix, "the host keeps no "
		     "binfmt_misc mount: on Linux >= 6.7 entries live only while binfmt_misc is "
		     "mounted somewhere, so those a container registers vanish when it exits; "
		     "mount it on the host");
	}
	return true;
}

/* QEMU's entries are ours to judge: by name, or by interpreter. Their
 * target comes from the name, else from the programs they take. */
static void classify(struct item *it)
{
	const char *base = strrchr(it->e.interpreter, '/');

	base = base != NULL ? base + 1 : it->e.interpreter;
	it->qemu = it->err == 0 && (strncmp(it->name, "qemu-", 5) == 0 ||
				    strncmp(base, "qemu-", 5) == 0);
	if (!it->qemu)
		return;
	if (strncmp(it->name, "qemu-", 5) == 0)
		it->target = target_by_name(it->name + 5);
	for (size_t i = 0; i < target_count && it->target == NULL; i++)
		if (binfmt_entry_matches(&it->e, targets[i].magic, targets[i].magic_len))
			it->target = &targets[i];
}

static int add_entry(const char *name, void *ctx)
{
	struct item *it = &items[d.count];

	(void)ctx;
	if (strcmp(name, "register") == 0 || strcmp(name, "status") == 0)
		return 0;
	if (d.count == ENTRIES_MAX)
		return E2BIG;
	d.count++;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->err = binfmt_read(&d.b, name, &it->e);
	classify(it);
	return 0;
}

/* The folder is read unsorted: binfmt_misc lists its newest entry first,
 * the order in which the kernel tries them. */
static bool load_entries(void)
{
	if (binfmt_each_name(d.b.dirfd, add_entry, NULL) != 0)
		emit(LEVEL_INFO, "entries", "entries", NULL, "more than %d entries, or the folder "
		     "cannot be read: only the first %zu are looked at", ENTRIES_MAX, d.count);
	return true;
}

/* The probes of IT's target that ran ("linux/arm64"), or -1 when one
 * failed; its name then in FAILED. */
static int run_probes(const struct item *it, char *ran, size_t len, const char **failed)
{
	size_t used = 0;
	int count = 0;

	ran[0] = '\0';
	for (size_t i = 0; i < probe_count; i++) {
		if (strcmp(probes[i].target, it->target->name) != 0)
			continue;
		if (!probe_ran(i)) {
			*failed = probes[i].platform;
			return -1;
		}
		used += (size_t)snprintf(ran + used, used < len ? len - used : 0, "%s%s",
					 count++ ? ", " : "", probes[i].platform);
	}
	return count;
}

/* An entry that takes this machine's own programs, or its own interpreter:
 * every exec it takes comes back to it until the kernel gives up (ELOOP). */
static bool check_loop(const struct item *it)
{
	unsigned char head[ELF_HEAD_MAX];
	size_t n = elf_read_head_at(it->e.interpreter, head);
	const char *fix = echo_fix("-1", it->name);

	if (binfmt_entry_matches(&it->e, d.self, d.self_len)) {
		emit(LEVEL_PROBLEM, "native", it->name, fix, "takes this machine's own programs "
		     "(it matches this very program): every native exec goes to %s, which it "
		     "takes again, until the kernel gives up with 'too many levels of symbolic "
		     "links' (ELOOP); remove it", it->e.interpreter);
		return true;
	}
	if (binfmt_entry_matches(&it->e, head, n)) {
		emit(LEVEL_PROBLEM, "native", it->name, fix, "takes its own interpreter %s: every "
		     "exec it takes loops until the kernel gives up (ELOOP); remove it",
		     it->e.interpreter);
		return true;
	}
	return false;
}

/* An entry registered later that takes the same programs wins: this one
 * never sees them. */
static bool check_shadow(size_t i)
{
	for (size_t j = 0; j < i; j++) {
		const struct item *newer = &items[j];

		if (newer->err != 0 || !newer->e.enabled ||
		    !binfmt_entries_overlap(&newer->e, &items[i].e))
			continue;
		emit(LEVEL_WARNING, "shadow", items[i].name, echo_fix("-1", items[i].name),
		     "shadowed by %s, registered later, which takes the same programs: the "
		     "kernel uses the newest matching entry, so this one is never used for "
		     "them; remove one of the two", newer->name);
		return true;
	}
	return false;
}

/* Without F the kernel opens the interpreter at each exec, in the mount
 * namespace of the program started: it must be there. */
static bool check_interpreter(const struct item *it)
{
	const char *where = NULL;

	if (it->e.flags & BINFMT_FLAG_F)
		return true;
	if (!exists_at("", it->e.interpreter, X_OK))
		where = "here";
	else if (d.root[0] != '\0' && !exists_at(d.root, it->e.interpreter, X_OK))
		where = "on the host";
	if (where == NULL)
		return true;
	emit(LEVEL_PROBLEM, "interpreter", it->name, register_fix("--reset -p yes"),
	     "its interpreter %s does not exist %s, and without flag F the kernel looks for it "
	     "at each exec, in the mount namespace of the program started: its programs fail "
	     "with 'no such file or directory'; register with -p yes (F) so that the kernel "
	     "opens the emulator once", it->e.interpreter, where);
	return false;
}

static void check_entry(size_t i)
{
	const struct item *it = &items[i];
	char flags[5];
	char ran[256] = "";
	const char *failed = NULL;
	bool fine;

	binfmt_flags_format(it->e.flags, flags);
	if (it->err != 0 || !it->qemu) {
		emit(LEVEL_INFO, "other", it->name, NULL, it->err != 0 ? "cannot read it (%s): "
		     "listed, not judged" : "not a QEMU entry (%s): listed, not judged",
		     it->err != 0 ? strerror(it->err) : it->e.interpreter);
		return;
	}
	if (!it->e.enabled) {
		emit(LEVEL_PROBLEM, "enabled", it->name, echo_fix("1", it->name), "disabled (0 "
		     "was written to it): its programs fail with 'exec format error'");
		return;
	}
	if (check_loop(it))
		return;  /* it has to go: nothing else about it matters */
	fine = !check_shadow(i);
	fine = check_interpreter(it) && fine;
	/* With binfmt_misc disabled no probe can run: `status` says why. */
	if (fine && d.enabled && d.probing && it->target != NULL &&
	    run_probes(it, ran, sizeof(ran), &failed) < 0) {
		emit(LEVEL_PROBLEM, "probe", it->name, register_fix("--reset -p yes"),
		     "the %s probe, a tiny program of that platform, did not run through the "
		     "kernel: the emulator %s fails", failed, it->e.interpreter);
		return;
	}
	if (fine)
		emit(LEVEL_OK, "entry", it->name, NULL, "enabled, flags %s, interpreter %s%s%s%s",
		     flags[0] != '\0' ? flags : "none", it->e.interpreter,
		     it->e.flags & BINFMT_FLAG_F ? " (opened at registration)" : " (no F: each "
		     "container and chroot needs it at that path)", ran[0] != '\0' ? "; probe ran: "
		     : "", ran);
}

/* Missing P and C are choices, each with its cost: said once, with the
 * command that makes the other choice. */
static bool check_tradeoffs(void)
{
	unsigned total = 0;
	unsigned no_p = 0;
	unsigned no_c = 0;

	for (size_t i = 0; i < d.count; i++) {
		if (!items[i].qemu || !items[i].e.enabled)
			continue;
		total++;
		no_p += !(items[i].e.flags & BINFMT_FLAG_P);
		no_c += !(items[i].e.flags & BINFMT_FLAG_C);
	}
	if (no_p > 0)
		emit(LEVEL_INFO, "flag-p", "flag P", register_fix("--reset -p yes -g yes"),
		     "%u of %u QEMU entries lack P (preserve argv[0]): a program that runs itself "
		     "again by its argv[0], as busybox applets do, fails under them with 'applet "
		     "not found'. A trade-off, not an error: with P the emulator must know the "
		     "flag (QEMU does)", no_p, total);
	if (no_c > 0)
		emit(LEVEL_INFO, "flag-c", "flag C", register_fix("--reset -p yes -c yes"),
		     "%u of %u QEMU entries lack C (credentials): setuid programs such as sudo run "
		     "with the caller's credentials under them and fail ('sudo: effective uid is "
		     "not 0'). A trade-off, not an error: with C the emulator runs with the "
		     "program owner's credentials, root for sudo", no_c, total);
	return true;
}

/* Append the N bytes at S and a newline to the list LIST of SIZE bytes. */
static void append_line(char *list, size_t size, const char *s, size_t n)
{
	size_t used = strlen(list);

	if (used + n + 2 > size)
		return;
	memcpy(list + used, s, n);
	memcpy(list + used + n, "\n", 2);
}

/* The entry names the binfmt.d files register ("\nname\n" each), and the
 * files read so far: one of the same name in a later folder is masked. */
struct binfmt_d {
	const char *dir;
	char names[16384];
	char seen[4096];
};

static int read_conf(const char *file, void *ctx)
{
	struct binfmt_d *bd = ctx;
	char path[PATH_MAX + 64];
	char key[NAME_MAX + 3];
	char line[BINFMT_REGISTER_MAX + 2];
	size_t len = strlen(file);
	struct line_reader f;

	snprintf(key, sizeof(key), "\n%s\n", file);
	if (len < 6 || strcmp(file + len - 5, ".conf") != 0 || line_find(bd->seen, key) != NULL)
		return 0;
	append_line(bd->seen, sizeof(bd->seen), file, len);
	snprintf(path, sizeof(path), "%s%s/%s", d.root, bd->dir, file);
	if (line_reader_open(&f, path) != 0)
		return 0;
	/* ":name:type:..." with any first character as the delimiter. */
	while (line_reader_next(&f, line, sizeof(line))) {
		const char stop[3] = { line[0], '\n', '\0' };
		size_t n = line[0] != '\0' ? strcspn(line + 1, stop) : 0;

		if (n > 0 && line[0] != '#' && line[0] != ';')
			append_line(bd->names, sizeof(bd->names), line + 1, n);
	}
	line_reader_close(&f);
	return 0;
}

/* binfmt.d(5): the folders, first to last; a file masks a later one of
 * the same name. */
static void read_binfmt_d(struct binfmt_d *bd)
{
	static const char *const dirs[] = { "/etc/binfmt.d", "/run/binfmt.d",
					    "/usr/local/lib/binfmt.d", "/usr/lib/binfmt.d" };

	snprintf(bd->names, sizeof(bd->names), "\n");
	snprintf(bd->seen, sizeof(bd->seen), "\n");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[PATH_MAX + 64];
		int fd;

		snprintf(path, sizeof(path), "%s%s", d.root, dirs[i]);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		bd->dir = dirs[i];
		binfmt_each_name(fd, read_conf, bd);
		close(fd);
	}
}

/* systemd-binfmt, when it starts, removes every entry and registers those
 * of its binfmt.d files: any restart wipes what a container registered. */
static bool check_systemd(void)
{
	static struct binfmt_d bd;
	char list[512] = "";
	const struct item *first = NULL;
	unsigned missing = 0;

	if (d.userns || !exists_at(d.root, "/run/systemd/system", F_OK))
		return true;
	read_binfmt_d(&bd);
	for (size_t i = 0; i < d.count; i++) {
		const char *name = items[i].name;
		char key[NAME_MAX + 3];
		size_t used = strlen(list);

		snprintf(key, sizeof(key), "\n%.*s\n", NAME_MAX, name);
		if (!items[i].qemu || line_find(bd.names, key) != NULL)
			continue;
		if (missing++ < 4)
			snprintf(list + used, sizeof(list) - used, "%s%.*s", used ? ", " : "",
				 NAME_MAX, name);
		first = first != NULL ? first : &items[i];
	}
	if (first == NULL) {
		emit(LEVEL_OK, "systemd", "systemd-binfmt", NULL, "every QEMU entry is in a "
		     "binfmt.d file: a restart of systemd-binfmt registers them again");
		return true;
	}
	if (strrchr(first->e.interpreter, '/') != NULL &&
	    exists_at(d.root, first->e.interpreter, X_OK)) {
		const char *slash = strrchr(first->e.interpreter, '/');
		snprintf(fix_buf, sizeof(fix_buf), "%s --systemd ALL -p yes -Q %.*s",
			 d.root[0] != '\0' || hostns_in_pid_namespace() ? "docker run --rm -v "
			 "/etc/binfmt.d:/etc/binfmt.d IMAGE" : "register",
			 (int)(slash - first->e.interpreter), first->e.interpreter);
	} else {
		register_fix("--reset -p yes");
	}
	emit(LEVEL_WARNING, "systemd", "systemd-binfmt", fix_buf, "this host runs systemd, and %u "
	     "QEMU entr%s (%s%s) %s in no binfmt.d file: systemd-binfmt removes every entry "
	     "when it starts again (a restart, an upgrade of systemd), and registers only "
	     "those of its files; keep them in binfmt.d files when the emulators are on the "
	     "host, or register again after such a restart", missing, missing == 1 ? "y" : "ies",
	     list, missing > 4 ? ", ..." : "", missing == 1 ? "is" : "are");
	return true;
}

static bool check_kernel(void)
{
	if (!binfmt_in_kernel() && !binfmt_mounted_at(d.o->mount_dir)) {
		emit(LEVEL_PROBLEM, "kernel", "kernel", "modprobe binfmt_misc", "this kernel has no "
		     "binfmt_misc loaded; load it on the host");
		return false;
	}
	emit(LEVEL_OK, "kernel", "kernel", NULL, "the kernel has binfmt_misc");
	return true;
}

static bool check_entries(void)
{
	bool any = false;

	for (size_t i = 0; i < d.count; i++) {
		check_entry(i);
		any |= items[i].qemu;
	}
	if (!any)
		emit(LEVEL_PROBLEM, "entries", "entries", register_fix("--reset -p yes"),
		     "no QEMU entry is registered: programs of other architectures fail with "
		     "'exec format error'");
	return true;
}

/* The machine's checks, in the order they print; one that returns false
 * leaves the rest nothing to look at. */
static bool (*const machine_checks[])(void) = {
	check_kernel, open_binfmt, check_status, load_entries, check_userns,
	check_persistence, check_entries, check_tradeoffs, check_systemd,
};

/* ----- --doctor PROGRAM ----- */

/* The entry the kernel hands HEAD to (the newest enabled one that matches);
 * *DISABLED gets a disabled one that matches, when no enabled one does. */
static const struct item *taker(const unsigned char *head, size_t n, const struct item **disabled)
{
	*disabled = NULL;
	for (size_t i = 0; i < d.count; i++) {
		const struct item *it = &items[i];

		if (it->err != 0 || !binfmt_entry_matches(&it->e, head, n))
			continue;
		if (it->e.enabled)
			return it;
		if (*disabled == NULL)
			*disabled = it;
	}
	return NULL;
}

/* What --install calls T: its platform's architecture (arm64), else its
 * QEMU name. */
static const char *install_name(const struct target *t, char *buf, size_t size)
{
	const char *p = t->platforms;

	if (strncmp(p, "linux/", 6) != 0)
		return t->name;
	p += 6;
	snprintf(buf, size, "%.*s", (int)strcspn(p, "/,"), p);
	return buf;
}

struct run {
	int exec_errno;     /* exec failed with this; 0 when it ran */
	int status;         /* waitpid's */
	bool timed_out;
	char output[128];   /* the start of its first line, printable */
};

/* Run PATH with no argument, through the kernel like any program, in a
 * process group of its own; stop it, and whatever it started, after
 * RUN_SECONDS. False (with errno) when it could not be started. */
static bool run_program(const char *path, struct run *r)
{
	char *argv[] = { (char *)path, NULL };
	const struct spawn_request request = { .path = path, .argv = argv, .stderr_too = true };
	static struct spawn run;
	size_t n = 0;

	streams_flush_stdout();
	spawn_run(&request, &run, 1, RUN_SECONDS * 1000);
	if (run.start_errno != 0) {
		errno = run.start_errno;
		return false;
	}
	r->exec_errno = run.exec_errno;
	r->status = run.status;
	r->timed_out = run.timed_out;
	/* It goes into a line of the report: the first line, printable. */
	for (size_t i = 0; i < run.len && run.output[i] != '\n' && n + 1 < sizeof(r->output); i++) {
		char c = run.output[i];

		if (c < ' ' || c > '~')
			c = '?';
		r->output[n++] = c;
	}
	r->output[n] = '\0';
	return true;
}

/* Why the exec failed, in the user's words, and the fix. */
static void explain_exec(const char *path, const struct run *r, const struct item *it,
			 const struct elf_info *x, const char *install_fix)
{
	const char *why = strerror(r->exec_errno);

	if (r->exec_errno == ENOEXEC && !d.enabled)
		emit(LEVEL_PROBLEM, "program-run", path, echo_fix("1", "status"), "exec failed: "
		     "%s (ENOEXEC): binfmt_misc is disabled as a whole", why);
	else if (r->exec_errno == ENOEXEC)
		emit(LEVEL_PROBLEM, "program-run", path, install_fix, "exec failed: %s (ENOEXEC): "
		     "the kernel cannot run it itself, and no enabled entry takes it", why);
	else if (r->exec_errno == ENOENT && it != NULL && !exists_at("", it->e.interpreter, X_OK))
		emit(LEVEL_PROBLEM, "program-run", path, register_fix("--reset -p yes"),
		     "exec failed: %s (ENOENT), although the program is there: %s takes it, and "
		     "its interpreter %s is missing here (no flag F)", why, it->name,
		     it->e.interpreter);
	else if (r->exec_errno == ENOENT && x->interp[0] != '\0' && !exists_at("", x->interp, F_OK))
		emit(LEVEL_PROBLEM, "program-run", path, NULL, "exec failed: %s (ENOENT), although "
		     "the program is there: its dynamic loader %s is missing; run it in a root "
		     "that has its libraries (a chroot, a container of its platform)", why,
		     x->interp);
	else if (r->exec_errno == ELOOP)
		emit(LEVEL_PROBLEM, "program-run", path, it != NULL ?
		     echo_fix("-1", it->name) : NULL, "exec failed: %s (ELOOP): an exec "
		     "loop, an entry takes its own interpreter or this machine's programs", why);
	else
		emit(LEVEL_PROBLEM, "program-run", path, NULL, "exec failed: %s%s", why,
		     r->exec_errno == EACCES ? " (EACCES): not executable, or on a noexec mount" : "");
}

static void report_run(const char *path, const struct run *r, const struct item *it,
		       const struct elf_info *x)
{
	char via[NAME_MAX + 16] = "";
	int st = r->status;

	if (it != NULL)
		snprintf(via, sizeof(via), " (through %s)", it->name);
	if (r->timed_out)
		emit(LEVEL_OK, "program-run", path, NULL, "ran%s, and was still running after "
		     "%d s: stopped it (its output began: \"%s\")", via, RUN_SECONDS, r->output);
	else if (WIFSIGNALED(st))
		emit(LEVEL_WARNING, "program-run", path, NULL, "ran%s, and was killed by signal "
		     "%d; output: \"%s\"", via, WTERMSIG(st), r->output);
	else if (WEXITSTATUS(st) != 0 && x->interp[0] != '\0' && !exists_at("", x->interp, F_OK))
		emit(LEVEL_PROBLEM, "program-run", path, NULL, "started%s, but exited with status "
		     "%d: its dynamic loader %s is missing here (output: \"%s\"); run it in a root "
		     "that has its libraries (a chroot, a container of its platform)", via,
		     WEXITSTATUS(st), x->interp, r->output);
	else
		emit(LEVEL_OK, "program-run", path, NULL, "ran%s with no argument: exit status %d; "
		     "output: \"%s\"", via, WEXITSTATUS(st), r->output);
}

/* Which entry takes the program, or why none needs to. */
static void check_taker(const char *path, const struct target *t, const struct item *it,
			const struct item *off, const char *install_fix)
{
	bool own = t == d.host;
	bool family = d.host != NULL && strcmp(t->family, d.host->family) == 0;

	if (it != NULL && own)
		emit(LEVEL_PROBLEM, "program-entry", path, echo_fix("-1", it->name), "%s "
		     "takes it, a program of this machine's own architecture: an exec loop", it->name);
	else if (it != NULL)
		emit(LEVEL_OK, "program-entry", path, NULL, "the kernel hands it to %s (interpreter "
		     "%s)", it->name, it->e.interpreter);
	else if (own || family)
		emit(LEVEL_OK, "program-entry", path, NULL, "%s: the kernel runs it itself%s",
		     own ? "this machine's own architecture" : "of this machine's family",
		     own ? "" : ", where the CPU can");
	else if (off != NULL)
		emit(LEVEL_PROBLEM, "program-entry", path, echo_fix("1", off->name), "only "
		     "%s matches it, and it is disabled: exec fails with 'exec format error'",
		     off->name);
	else
		emit(LEVEL_PROBLEM, "program-entry", path, install_fix, "no entry takes it: exec "
		     "fails with 'exec format error'");
}

static void check_program(const char *path)
{
	unsigned char head[ELF_HEAD_MAX];
	char fix[FIX_MAX];
	char arch[32];
	char args[64];
	struct elf_info x;
	struct run r;
	const struct target *t = NULL;
	const struct item *off;
	const struct item *it;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t n;
	bool elf;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		emit(LEVEL_PROBLEM, "program", path, NULL, "cannot read it: %s", fd < 0 ?
		     strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return;
	}
	n = elf_read_head(fd, head);
	elf = elf_parse(fd, head, n, &x);
	close(fd);
	for (size_t i = 0; elf && i < target_count && t == NULL; i++)
		if (target_matches(&targets[i], head, n))
			t = &targets[i];
	if (t == NULL && elf) {
		emit(LEVEL_PROBLEM, "program", path, NULL, "ELF for machine %u, which no QEMU "
		     "target runs", x.machine);
		return;
	}
	if (t == NULL) {
		emit(LEVEL_PROBLEM, "program", path, NULL, "not an ELF program%s", n > 1 &&
		     head[0] == '#' && head[1] == '!' ? " but a script: ask about the interpreter "
		     "on its first line" : "");
		return;
	}
	emit(LEVEL_OK, "program", path, NULL, "ELF %u-bit %s for %s (%s), %s%s", x.bits,
	     x.big ? "MSB" : "LSB", t->name, t->platforms[0] != '\0' ? t->platforms : "no "
	     "platform", x.interp[0] != '\0' ? "dynamic, loader " : "static", x.interp);
	it = taker(head, n, &off);
	snprintf(args, sizeof(args), "--install %s", install_name(t, arch, sizeof(arch)));
	snprintf(fix, sizeof(fix), "%s", register_fix(args));
	check_taker(path, t, it, off, fix);
	if (access(path, X_OK) != 0) {
		emit(LEVEL_INFO, "program-run", path, NULL, "not run: it is not executable");
		return;
	}
	if (!run_program(path, &r))
		emit(LEVEL_PROBLEM, "program-run", path, NULL, "cannot start it: %s", strerror(errno));
	else if (r.exec_errno != 0)
		explain_exec(path, &r, it, &x, fix);
	else
		report_run(path, &r, it, &x);
}

/* The process through which the host's files and mounts are seen: an
 * ancestor in the machine's initial mount namespace, or 0. */
static pid_t host_process(void)
{
	struct hostns_host host;
	pid_t pid = hostns_find_host(&host) == HOSTNS_ABOVE ? host.pid : 0;

	hostns_host_release(&host);
	return pid;
}

/* Fixes name the image when this runs in a container: one in a PID
 * namespace of its own, or (--pid=host) below a process of another mount
 * namespace. /.dockerenv would say nothing: some machines are built from
 * container images and keep it. */
static bool in_container(void)
{
	return hostns_in_pid_namespace() || (d.outer > 0 && !d.userns);
}

int doctor_run(const struct options *o)
{
	const char *host_name;

	d.o = o;
	d.b.dirfd = -1;
	d.b.registerfd = -1;
	d.enabled = true;
	d.host = host_detect(o->host_arch, &host_name);
	d.userns = hostns_in_user_namespace();
	d.outer = host_process();
	/* A user namespace has no business with the host's files, and may not
	 * be allowed to read them. */
	if (d.outer > 0 && !d.userns)
		snprintf(d.root, sizeof(d.root), "/proc/%d/root", (int)d.outer);
	d.run = in_container() ? "docker run --rm --privileged --pid=host IMAGE" : "register";
	d.self_len = elf_read_head_at("/proc/self/exe", d.self);
	here = hostns_read_mounts(0, 0);
	for (size_t i = 0; i < sizeof(machine_checks) / sizeof(machine_checks[0]); i++)
		if (!machine_checks[i]())
			break;
	if (o->named_count == 1)
		check_program(o->named[0]);
	if (o->json)
		printf("%s\n  ],\n  \"problems\": %u,\n  \"warnings\": %u\n}\n",
		       d.later ? "" : "{\n  \"checks\": [", d.counts[LEVEL_PROBLEM],
		       d.counts[LEVEL_WARNING]);
	else
		printf("%u problem%s, %u warning%s\n", d.counts[LEVEL_PROBLEM],
		       d.counts[LEVEL_PROBLEM] == 1 ? "" : "s", d.counts[LEVEL_WARNING],
		       d.counts[LEVEL_WARNING] == 1 ? "" : "s");
	binfmt_close(&d.b);
	return d.counts[LEVEL_PROBLEM] > 0 ? EXIT_SOME_FAILED : EXIT_DONE;
}
