/*
 * register --doctor [PROGRAM]: why foreign programs do, or do not, run here.
 * This file holds the machine's checks and the order they run in;
 * doctor_program.c those of PROGRAM, doctor_report.c how results print.
 *
 * It only looks. Each check prints one line: "ok", "info" (listed, or a
 * trade-off rather than a fault), "warning" or "problem", and under each
 * the command that fixes it when one exists. When binfmt_misc is not
 * mounted, it is mounted in a mount namespace of this process alone, to
 * look; never in a user namespace, where a mount would create a private
 * instance that hides the host's entries from the whole namespace.
 */
#include "doctor.h"
#include "doctor_check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binfmt.h"
#include "elf.h"
#include "exit_status.h"
#include "host.h"
#include "hostns.h"
#include "probe.h"
#include "targets.h"

#define HOST_BINFMT "/proc/sys/fs/binfmt_misc"

/* What to do when binfmt_misc cannot be opened to look. */
static const char *open_advice(enum binfmt_open_result r)
{
	if (r == BINFMT_OPEN_FOREIGN)
		return "give --mount the folder where binfmt_misc is mounted";
	if (r == BINFMT_OPEN_MAY_NOT_MOUNT)
		return "run the container with --privileged, or run register as root on the host";
	return NULL;
}

/* Open binfmt_misc where it is mounted or, outside user namespaces, mount
 * it in a mount namespace of this process alone. */
static bool open_binfmt(struct doctor *d)
{
	struct error err = { 0 };
	enum binfmt_open_result r;
	const char *dir = d->o->mount_dir;
	bool mounted = binfmt_mounted_at(dir);

	if (!mounted && d->userns) {
		doctor_emit(d, DOCTOR_WARNING, "mount", "mount", "sudo podman run --rm --privileged --pid=host "
		     "IMAGE --doctor", "binfmt_misc is not mounted at %s, and this process runs in a "
		     "user namespace (a rootless container?): mounting it here would create a "
		     "private instance that hides the host's entries from this namespace, so the "
		     "entries are not listed; ask a rootful container", dir);
		return false;
	}
	if (!mounted && (unshare(CLONE_NEWNS) != 0 ||
			 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)) {
		int e = errno;
		struct doctor_fix fix;

		snprintf(fix.text, sizeof(fix.text), "%s%s --doctor", d->run[0] == 'r' ? "sudo " : "",
			 d->run);
		doctor_emit(d, DOCTOR_PROBLEM, "mount", "mount", fix.text,
		     "binfmt_misc is not mounted at %s, and this process may not mount it to "
		     "look (%s): run it as root, or the container with --privileged", dir,
		     strerror(e));
		return false;
	}
	r = binfmt_open(&d->b, dir, false, !mounted, &err);
	if (r != BINFMT_OPEN_OK) {
		char why[2 * ERROR_MESSAGE_MAX];

		error_format(&err, open_advice(r), why, sizeof(why));
		doctor_emit(d, DOCTOR_PROBLEM, "mount", "mount", NULL, "%s", why);
		return false;
	}
	/* Probes go through the instance this process's execs use: only worth
	 * running when that is the one looked at (not another, by --mount). */
	d->probing = binfmt_serves_this_process(&d->b);
	if (mounted)
		doctor_emit(d, DOCTOR_OK, "mount", "mount", NULL, "binfmt_misc is mounted at %s", dir);
	else
		doctor_emit(d, DOCTOR_OK, "mount", "mount", NULL, "binfmt_misc was not mounted at %s; "
		     "mounted it in a mount namespace of this process alone, to look", dir);
	return true;
}

static bool check_status(struct doctor *d)
{
	struct doctor_fix fix;

	if (binfmt_status_enabled(&d->b, &d->enabled) != 0)
		d->enabled = true;  /* unreadable: let the entries speak */
	if (d->enabled)
		doctor_emit(d, DOCTOR_OK, "status", "status", NULL, "binfmt_misc is enabled");
	else
		doctor_emit(d, DOCTOR_PROBLEM, "status", "status", fix_echo(&fix, d, "1", "status"),
		     "binfmt_misc is disabled as a whole (0 was written to status): the kernel "
		     "uses no entry, and every foreign program fails with 'exec format error'");
	return true;
}

/* In a user namespace the kernel uses the nearest instance up the chain of
 * namespaces: one mounted in this namespace hides the host's entries. */
static bool check_userns(struct doctor *d)
{
	struct stat st;

	if (!d->userns) {
		doctor_emit(d, DOCTOR_OK, "userns", "userns", NULL, "not in a user namespace: these are the "
		     "machine's own entries");
		return true;
	}
	if (d->outer > 0 && stat(d->o->mount_dir, &st) == 0 &&
	    hostns_read_mounts(d->outer, st.st_dev).same_sb) {
		doctor_emit(d, DOCTOR_OK, "userns", "userns", NULL, "in a user namespace, but the binfmt_misc at "
		     "%s is the one of process %d, outside it", d->o->mount_dir, (int)d->outer);
		return true;
	}
	doctor_emit(d, DOCTOR_WARNING, "userns", "userns",
		    "sudo podman run --rm --privileged --pid=host IMAGE "
	     "--reset -p yes", "this process runs in a user namespace (a rootless container?) "
	     "and the binfmt_misc at %s is a private instance: programs started in this "
	     "namespace use only its entries, listed here, not the host's, and what is "
	     "registered here reaches no one else; register from a rootful container",
	     d->o->mount_dir);
	return true;
}

/* Linux >= 6.7 keeps the entries of the machine's instance only while
 * binfmt_misc is mounted somewhere. */
static bool check_persistence(struct doctor *d)
{
	struct doctor_fix fix;
	struct hostns_mounts m = d->here;
	const char *mount_fix = "mount -t binfmt_misc binfmt_misc " HOST_BINFMT;

	if (d->userns)
		return true;
	if (!hostns_kernel_at_least(6, 7)) {
		doctor_emit(d, DOCTOR_OK, "persistence", "persistence", NULL, "Linux < 6.7 keeps the entries "
		     "until they are removed or the machine restarts");
		return true;
	}
	if (d->outer > 0)
		m = hostns_read_mounts(d->outer, 0);
	if (!m.readable || (d->outer == 0 && hostns_in_pid_namespace())) {
		if (!d->b.mounted || d->count > 0)
			doctor_emit(d, DOCTOR_OK, "persistence", "persistence", NULL, "entries exist, so "
			     "something keeps binfmt_misc mounted (the host, or another container)");
		else
			doctor_emit(d, DOCTOR_WARNING, "persistence", "persistence",
			     fix_register(&fix, d, "--reset -p yes"), "this container cannot see the host "
			     "(run it with --pid=host), and no entry exists, so nothing keeps "
			     "binfmt_misc mounted: on Linux >= 6.7 the entries a container registers "
			     "vanish when it exits, unless register can mount it on the host");
	} else if (m.mounted) {
		doctor_emit(d, DOCTOR_OK, "persistence", "persistence", NULL, "the host keeps binfmt_misc "
		     "mounted: the entries outlive the containers that register them");
	} else if (m.automount) {
		doctor_emit(d, DOCTOR_WARNING, "persistence", "persistence", "ls " HOST_BINFMT,
		     "the host has systemd's automount at %s, but nothing opened it: on Linux >= "
		     "6.7 entries live only while binfmt_misc is mounted, so those a container "
		     "registers vanish when it exits; on the host, open it once", HOST_BINFMT);
	} else {
		doctor_emit(d, DOCTOR_WARNING, "persistence", "persistence", mount_fix, "the host keeps no "
		     "binfmt_misc mount: on Linux >= 6.7 entries live only while binfmt_misc is "
		     "mounted somewhere, so those a container registers vanish when it exits; "
		     "mount it on the host");
	}
	return true;
}

/* QEMU's entries are ours to judge: by name, or by interpreter. Their
 * target comes from the name, else from the programs they take. */
static void classify(struct doctor_entry *it)
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
	struct doctor *d = ctx;
	struct doctor_entry *it = &d->entries[d->count];

	if (strcmp(name, "register") == 0 || strcmp(name, "status") == 0)
		return 0;
	if (d->count == DOCTOR_ENTRIES_MAX)
		return E2BIG;
	d->count++;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->err = binfmt_read(&d->b, name, &it->e);
	classify(it);
	return 0;
}

/* The folder is read unsorted: binfmt_misc lists its newest entry first,
 * the order in which the kernel tries them. */
static bool load_entries(struct doctor *d)
{
	if (binfmt_each_name(d->b.dirfd, add_entry, d) != 0)
		doctor_emit(d, DOCTOR_INFO, "entries", "entries", NULL, "more than %d entries, or the folder "
		     "cannot be read: only the first %zu are looked at", DOCTOR_ENTRIES_MAX, d->count);
	return true;
}

/* The probes of IT's target that ran ("linux/arm64"), or -1 when one
 * failed; its name then in FAILED. */
static int run_probes(const struct doctor_entry *it, char *ran, size_t len, const char **failed)
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
static bool check_loop(struct doctor *d, const struct doctor_entry *it)
{
	struct doctor_fix fix;
	unsigned char head[ELF_HEAD_MAX];
	size_t n = elf_read_head_at(it->e.interpreter, head);

	fix_echo(&fix, d, "-1", it->name);

	if (binfmt_entry_matches(&it->e, d->self, d->self_len)) {
		doctor_emit(d, DOCTOR_PROBLEM, "native", it->name, fix.text, "takes this machine's own programs "
		     "(it matches this very program): every native exec goes to %s, which it "
		     "takes again, until the kernel gives up with 'too many levels of symbolic "
		     "links' (ELOOP); remove it", it->e.interpreter);
		return true;
	}
	if (binfmt_entry_matches(&it->e, head, n)) {
		doctor_emit(d, DOCTOR_PROBLEM, "native", it->name, fix.text,
			    "takes its own interpreter %s: every "
		     "exec it takes loops until the kernel gives up (ELOOP); remove it",
		     it->e.interpreter);
		return true;
	}
	return false;
}

/* An entry registered later that takes the same programs wins: this one
 * never sees them. */
static bool check_shadow(struct doctor *d, size_t i)
{
	struct doctor_fix fix;

	for (size_t j = 0; j < i; j++) {
		const struct doctor_entry *newer = &d->entries[j];

		if (newer->err != 0 || !newer->e.enabled ||
		    !binfmt_entries_overlap(&newer->e, &d->entries[i].e))
			continue;
		doctor_emit(d, DOCTOR_WARNING, "shadow", d->entries[i].name,
			    fix_echo(&fix, d, "-1", d->entries[i].name),
		     "shadowed by %s, registered later, which takes the same programs: the "
		     "kernel uses the newest matching entry, so this one is never used for "
		     "them; remove one of the two", newer->name);
		return true;
	}
	return false;
}

/* Without F the kernel opens the interpreter at each exec, in the mount
 * namespace of the program started: it must be there. */
static bool check_interpreter(struct doctor *d, const struct doctor_entry *it)
{
	struct doctor_fix fix;
	const char *where = NULL;

	if (it->e.flags & BINFMT_FLAG_F)
		return true;
	if (!doctor_exists_at("", it->e.interpreter, X_OK))
		where = "here";
	else if (d->root[0] != '\0' && !doctor_exists_at(d->root, it->e.interpreter, X_OK))
		where = "on the host";
	if (where == NULL)
		return true;
	doctor_emit(d, DOCTOR_PROBLEM, "interpreter", it->name, fix_register(&fix, d, "--reset -p yes"),
	     "its interpreter %s does not exist %s, and without flag F the kernel looks for it "
	     "at each exec, in the mount namespace of the program started: its programs fail "
	     "with 'no such file or directory'; register with -p yes (F) so that the kernel "
	     "opens the emulator once", it->e.interpreter, where);
	return false;
}

static void check_entry(struct doctor *d, size_t i)
{
	struct doctor_fix fix;
	const struct doctor_entry *it = &d->entries[i];
	char flags[5];
	char ran[256] = "";
	const char *failed = NULL;
	bool fine;

	binfmt_flags_format(it->e.flags, flags);
	if (it->err != 0 || !it->qemu) {
		doctor_emit(d, DOCTOR_INFO, "other", it->name, NULL, it->err != 0 ? "cannot read it (%s): "
		     "listed, not judged" : "not a QEMU entry (%s): listed, not judged",
		     it->err != 0 ? strerror(it->err) : it->e.interpreter);
		return;
	}
	if (!it->e.enabled) {
		doctor_emit(d, DOCTOR_PROBLEM, "enabled", it->name, fix_echo(&fix, d, "1", it->name),
			    "disabled (0 "
		     "was written to it): its programs fail with 'exec format error'");
		return;
	}
	if (check_loop(d, it))
		return;  /* it has to go: nothing else about it matters */
	fine = !check_shadow(d, i);
	fine = check_interpreter(d, it) && fine;
	/* With binfmt_misc disabled no probe can run: `status` says why. */
	if (fine && d->enabled && d->probing && it->target != NULL &&
	    run_probes(it, ran, sizeof(ran), &failed) < 0) {
		doctor_emit(d, DOCTOR_PROBLEM, "probe", it->name, fix_register(&fix, d, "--reset -p yes"),
		     "the %s probe, a tiny program of that platform, did not run through the "
		     "kernel: the emulator %s fails", failed, it->e.interpreter);
		return;
	}
	if (fine)
		doctor_emit(d, DOCTOR_OK, "entry", it->name, NULL, "enabled, flags %s, interpreter %s%s%s%s",
		     flags[0] != '\0' ? flags : "none", it->e.interpreter,
		     it->e.flags & BINFMT_FLAG_F ? " (opened at registration)" : " (no F: each "
		     "container and chroot needs it at that path)", ran[0] != '\0' ? "; probe ran: "
		     : "", ran);
}

/* Missing P and C are choices, each with its cost: said once, with the
 * command that makes the other choice. */
static bool check_tradeoffs(struct doctor *d)
{
	struct doctor_fix fix;
	unsigned total = 0;
	unsigned no_p = 0;
	unsigned no_c = 0;

	for (size_t i = 0; i < d->count; i++) {
		if (!d->entries[i].qemu || !d->entries[i].e.enabled)
			continue;
		total++;
		no_p += !(d->entries[i].e.flags & BINFMT_FLAG_P);
		no_c += !(d->entries[i].e.flags & BINFMT_FLAG_C);
	}
	if (no_p > 0)
		doctor_emit(d, DOCTOR_INFO, "flag-p", "flag P", fix_register(&fix, d, "--reset -p yes -g yes"),
		     "%u of %u QEMU entries lack P (preserve argv[0]): a program that runs itself "
		     "again by its argv[0], as busybox applets do, fails under them with 'applet "
		     "not found'. A trade-off, not an error: with P the emulator must know the "
		     "flag (QEMU does)", no_p, total);
	if (no_c > 0)
		doctor_emit(d, DOCTOR_INFO, "flag-c", "flag C", fix_register(&fix, d, "--reset -p yes -c yes"),
		     "%u of %u QEMU entries lack C (credentials): setuid programs such as sudo run "
		     "with the caller's credentials under them and fail ('sudo: effective uid is "
		     "not 0'). A trade-off, not an error: with C the emulator runs with the "
		     "program owner's credentials, root for sudo", no_c, total);
	return true;
}

static bool check_kernel(struct doctor *d)
{
	if (!binfmt_in_kernel() && !binfmt_mounted_at(d->o->mount_dir)) {
		doctor_emit(d, DOCTOR_PROBLEM, "kernel", "kernel", "modprobe binfmt_misc", "this kernel has no "
		     "binfmt_misc loaded; load it on the host");
		return false;
	}
	doctor_emit(d, DOCTOR_OK, "kernel", "kernel", NULL, "the kernel has binfmt_misc");
	return true;
}

static bool check_entries(struct doctor *d)
{
	struct doctor_fix fix;
	bool any = false;

	for (size_t i = 0; i < d->count; i++) {
		check_entry(d, i);
		any |= d->entries[i].qemu;
	}
	if (!any)
		doctor_emit(d, DOCTOR_PROBLEM, "entries", "entries", fix_register(&fix, d, "--reset -p yes"),
		     "no QEMU entry is registered: programs of other architectures fail with "
		     "'exec format error'");
	return true;
}

/* The machine's checks, in the order they print; one that returns false
 * leaves the rest nothing to look at. */
static bool (*const machine_checks[])(struct doctor *) = {
	check_kernel, open_binfmt, check_status, load_entries, check_userns,
	check_persistence, check_entries, check_tradeoffs, doctor_check_systemd,
};


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
static bool in_container(const struct doctor *d)
{
	return hostns_in_pid_namespace() || (d->outer > 0 && !d->userns);
}

int doctor_run(const struct options *o)
{
	static struct doctor_entry entries[DOCTOR_ENTRIES_MAX];
	static struct doctor doctor;
	struct doctor *d = &doctor;
	const char *host_name;

	d->o = o;
	d->entries = entries;
	d->b.dirfd = -1;
	d->b.registerfd = -1;
	d->enabled = true;
	d->host = host_detect(o->host_arch, &host_name);
	d->userns = hostns_in_user_namespace();
	d->outer = host_process();
	/* A user namespace has no business with the host's files, and may not
	 * be allowed to read them. */
	if (d->outer > 0 && !d->userns)
		snprintf(d->root, sizeof(d->root), "/proc/%d/root", (int)d->outer);
	d->run = in_container(d) ? "docker run --rm --privileged --pid=host IMAGE" : "register";
	d->self_len = elf_read_head_at("/proc/self/exe", d->self);
	d->here = hostns_read_mounts(0, 0);
	for (size_t i = 0; i < sizeof(machine_checks) / sizeof(machine_checks[0]); i++)
		if (!machine_checks[i](d))
			break;
	if (o->named_count == 1)
		doctor_check_program(d, o->named[0]);
	doctor_summary(d);
	binfmt_close(&d->b);
	return d->counts[DOCTOR_PROBLEM] > 0 ? EXIT_SOME_FAILED : EXIT_DONE;
}

