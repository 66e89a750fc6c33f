/*
 * register: make this machine run programs of other CPU architectures by
 * registering QEMU's user-mode emulators with the kernel's binfmt_misc.
 *
 * The story: parse the command line, build the whole plan (any input error
 * is found here, before the first write), then meet the kernel: remove the
 * old qemu-* entries when asked, register each planned entry in one write,
 * and tell what happened, entry by entry and in one summary line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "binfmt.h"
#include "cli.h"
#include "doctor.h"
#include "export.h"
#include "host.h"
#include "hostns.h"
#include "lines.h"
#include "plan.h"
#include "report.h"
#include "status.h"
#include "targets.h"
#include "watch.h"

#ifndef REGISTER_VERSION
#define REGISTER_VERSION "0.0.0-dev"
#endif

enum exit_status {
	EXIT_DONE = 0,
	EXIT_SOME_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_BINFMT_UNUSABLE = 3,
};

/* Large: kept out of the stack of a program that may run as PID 1. */
static struct plan plan;

/* The image records the QEMU version it bundles beside the emulators. */
static void print_version(const struct options *o)
{
	char path[BINFMT_REGISTER_MAX + 64];
	char version[128];
	struct line_reader f;

	printf("register %s\n", REGISTER_VERSION);
	snprintf(path, sizeof(path), "%s/../share/qemu-user-static/version", o->qemu_path);
	if (line_reader_open(&f, path) != 0)
		return;
	if (line_reader_next(&f, version, sizeof(version))) {
		version[strcspn(version, "\n")] = '\0';
		printf("QEMU %s\n", version);
	}
	line_reader_close(&f);
}

#define HOST_BINFMT "/proc/sys/fs/binfmt_misc"

/* In a user namespace (a rootless container) a binfmt_misc mounted here is a
 * private instance: registration "succeeds" and the host gets nothing. */
static void explain_private_instance(const struct options *o)
{
	report_error("binfmt_misc is not mounted at %s, and this process runs in a user "
		     "namespace (a rootless container?): mounting it here would create a "
		     "private instance that serves only this namespace, and the host would "
		     "get nothing. Run a rootful, privileged container (sudo podman run --rm "
		     "--privileged ..., or docker run --rm --privileged ...), or add "
		     "--private-instance if a private instance is what you want",
		     o->mount_dir);
}

static int open_binfmt(const struct options *o, struct binfmt *b, bool for_changes)
{
	char err[1024];
	bool userns = hostns_in_user_namespace();

	switch (binfmt_open(b, o->mount_dir, for_changes, !userns || o->private_instance,
			    err, sizeof(err))) {
	case BINFMT_OPEN_OK:
		break;
	case BINFMT_OPEN_NOT_MOUNTED:
		explain_private_instance(o);
		return -1;
	case BINFMT_OPEN_FAILED:
		report_error("%s", err);
		return -1;
	}
	if (b->mounted)
		report_note("mounted binfmt_misc at %s%s", o->mount_dir,
			    userns ? " (a private instance of this user namespace)" : "");
	return 0;
}

static size_t entry_count(const struct binfmt *b)
{
	struct binfmt_names names;

	return binfmt_list(b, &names) == 0 ? names.count : 0;
}

/* Linux >= 6.7 keeps the host's entries only while binfmt_misc is mounted
 * somewhere. When this process had to mount it (a privileged container sees
 * a fresh procfs), make sure the host keeps a mount of its own, or say that
 * the entries will vanish with the container. */
static void keep_entries_alive(const struct binfmt *b)
{
	char err[512] = "";
	pid_t via = 0;
	bool empty = entry_count(b) == 0;

	if (!b->mounted || hostns_in_user_namespace())
		return;
	switch (hostns_keep_host_mount(HOST_BINFMT, &via, err, sizeof(err))) {
	case HOSTNS_SAME:
		return;
	case HOSTNS_KEPT:
		report_note("the host keeps binfmt_misc mounted (seen through process %d, this "
			    "container's parent): the entries outlive this container", (int)via);
		return;
	case HOSTNS_MOUNTED:
		report_note("mounted binfmt_misc at %s in the host's mount namespace (through "
			    "process %d, this container's parent), so that the entries outlive "
			    "this container", HOST_BINFMT, (int)via);
		return;
	case HOSTNS_FAILED:
		report_warning("%s", err);
		break;
	case HOSTNS_UNREACHABLE:
		break;
	}
	if (empty && hostns_kernel_at_least(6, 7))
		report_warning("the entries will vanish when this container exits: on Linux >= "
			       "6.7 the host keeps binfmt_misc entries only while binfmt_misc is "
			       "mounted somewhere, and this container had to mount it itself. "
			       "Fix: mount it on the host (mount -t binfmt_misc binfmt_misc %s), "
			       "or run this container with --pid=host so that register can mount "
			       "it in the host's mount namespace", HOST_BINFMT);
}

static void usage_error(const char *message)
{
	report_error("%s", message);
	fputs("Try 'register --help' for the options.\n", stderr);
}

/* Never register what would capture this machine's own programs: check
 * every entry against this very program and against its own interpreter. */
static void refuse_native_matches(void)
{
	int fd = openat(AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		unsigned char head[ELF_HEAD_MAX];
		ssize_t n = read(fd, head, sizeof(head));
		close(fd);
		if (n > 0)
			plan_refuse_native(&plan, head, (size_t)n, "this program");
	}
}

static int make_plan(const struct options *o)
{
	bool live = o->mode == MODE_REGISTER || o->mode == MODE_INSTALL;
	char err[1024];
	const char *host_name;
	const struct target *host = host_detect(o->host_arch, &host_name);

	if (host == NULL) {
		size_t used = 0;
		used += (size_t)snprintf(err, sizeof(err),
					 "unknown host architecture '%s'%s; known: ", host_name,
					 o->host_arch != NULL ? " (from HOST_ARCH)" : "");
		for (size_t i = 0; i < target_count && used < sizeof(err); i++)
			used += (size_t)snprintf(err + used, sizeof(err) - used, "%s%s",
						 i ? " " : "", targets[i].name);
		usage_error(err);
		return -1;
	}
	if (plan_build(o, host, &plan, err, sizeof(err)) != 0) {
		usage_error(err);
		return -1;
	}
	if (live) {
		/* What would loop is refused first: it says more than the rest. */
		refuse_native_matches();
	}
	plan_check_interpreters(&plan, live);
	return 0;
}

static int dry_run(void)
{
	int status = EXIT_DONE;

	for (size_t i = 0; i < plan.count; i++) {
		const struct plan_item *item = &plan.items[i];

		if (item->action == PLAN_REGISTER) {
			report_dry_run(item);
		} else if (item->action == PLAN_FAIL_INTERPRETER) {
			report_error("%s: %s", item->entry_name, item->why);
			status = EXIT_SOME_FAILED;
		} else {
			apply_note_skip(item);
		}
	}
	return status;
}


static void explain_flags(void)
{
	if (plan.flags & BINFMT_FLAG_C)
		report_note("--credential yes: setuid programs (sudo, su, ping) run emulated "
			    "with the credentials of their owner, root for most of them");
	if (!(plan.flags & BINFMT_FLAG_F))
		report_note("without --persistent yes the kernel looks up each interpreter "
			    "at every exec, in the mount namespace of the program started: "
			    "those paths must exist there (on the host, in each container "
			    "or chroot)");
}

/* Targets skipped because their emulator is absent (with F). Some missing
 * is normal, an image may ship only some; all of them is a wrong path. */
static size_t count_missing(void)
{
	size_t n = 0;

	for (size_t i = 0; i < plan.count; i++)
		n += plan.items[i].action == PLAN_SKIP_MISSING;
	return n;
}

/* The mount is checked again before each batch of writes. */
static int recheck(const struct binfmt *b)
{
	char err[1024];

	if (binfmt_recheck(b, err, sizeof(err)) == 0)
		return 0;
	report_error("%s", err);
	return -1;
}

/* Register (multiarch style) or install/uninstall (tonistiigi style), then,
 * with --watch, keep it so. */
static int change_entries(const struct options *o)
{
	bool installing = o->mode == MODE_INSTALL;
	bool registering = !installing || o->install != NULL;
	struct binfmt b;
	struct apply a = { .b = &b, .plan = &plan, .keep_different = installing };
	int status;

	if (installing)
		report_progress_to_stderr();
	if (open_binfmt(o, &b, true) != 0)
		return EXIT_BINFMT_UNUSABLE;
	keep_entries_alive(&b);
	if (registering)
		explain_flags();
	if (recheck(&b) != 0 || (o->reset && apply_reset(&a) != 0) ||
	    (o->uninstall != NULL && apply_uninstall(&a, o->uninstall) != 0) ||
	    recheck(&b) != 0) {
		binfmt_close(&b);
		return EXIT_BINFMT_UNUSABLE;
	}
	if (registering)
		apply_plan(&a);
	if (registering && a.tally.registered + a.tally.present + a.tally.failed == 0 &&
	    count_missing() > 0) {
		report_error("no emulator was found in %s: is --qemu-path (or QEMU_BIN_DIR) "
			     "right?", o->qemu_path);
		a.tally.failed++;
	}
	report_summary(&a.tally);
	if (installing && status_json(&b) != 0)
		report_error("cannot read %s: %s", b.path, strerror(errno));
	status = a.tally.failed > 0 ? EXIT_SOME_FAILED : EXIT_DONE;
	if (o->watch_seconds > 0)
		status = watch_run(&b, &plan, o->watch_seconds);
	binfmt_close(&b);
	return status;
}

static int show_status(const struct options *o)
{
	struct binfmt b;
	int r;

	if (open_binfmt(o, &b, false) != 0)
		return EXIT_BINFMT_UNUSABLE;
	r = o->mode == MODE_STATUS_TABLE ? status_table(&b, o->json) : status_json(&b);
	if (r != 0)
		report_error("cannot read %s: %s", o->mount_dir, strerror(errno));
	binfmt_close(&b);
	return r != 0 ? EXIT_BINFMT_UNUSABLE : EXIT_DONE;
}

/* Modes that need the plan need the host: --uninstall alone does not. */
static bool needs_plan(const struct options *o)
{
	return o->mode == MODE_REGISTER || o->mode == MODE_DRY_RUN || o->mode == MODE_EXPORT ||
	       (o->mode == MODE_INSTALL && o->install != NULL);
}

int main(int argc, char *argv[])
{
	const struct environment env = {
		.qemu_bin_dir = getenv("QEMU_BIN_DIR"),
		.qemu_suffix = getenv("QEMU_SUFFIX"),
		.host_arch = getenv("HOST_ARCH"),
	};
	struct options o;
	char err[1024];

	if (cli_parse(argc, argv, &env, &o, err, sizeof(err)) != 0) {
		usage_error(err);
		return EXIT_USAGE;
	}
	if (o.help) {
		cli_usage(stdout);
		return EXIT_DONE;
	}
	if (o.version) {
		print_version(&o);
		return EXIT_DONE;
	}
	if (needs_plan(&o) && make_plan(&o) != 0)
		return EXIT_USAGE;
	switch (o.mode) {
	case MODE_STATUS_JSON:
	case MODE_STATUS_TABLE:
		return show_status(&o);
	case MODE_DRY_RUN:
		return dry_run();
	case MODE_EXPORT:
		return export_run(&o, &plan);
	case MODE_DOCTOR:
		return doctor_run(&o);
	case MODE_REGISTER:
	case MODE_INSTALL:
		break;
	}
	return change_entries(&o);
}
