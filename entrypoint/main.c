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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "binfmt.h"
#include "cli.h"
#include "doctor.h"
#include "elf.h"
#include "error.h"
#include "exit_status.h"
#include "export.h"
#include "host.h"
#include "hostns.h"
#include "lines.h"
#include "plan.h"
#include "report.h"
#include "status.h"
#include "streams.h"
#include "targets.h"
#include "watch.h"

#ifndef REGISTER_VERSION
#define REGISTER_VERSION "0.0.0-dev"
#endif

/* Large: kept out of the stack of a program that may run as PID 1. */
static struct plan plan;
static struct apply apply;

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

/* What to do when binfmt_misc cannot be opened: the remedy depends on
 * where register runs, which binfmt.c does not know. */
static const char *open_advice(enum binfmt_open_result r)
{
	switch (r) {
	case BINFMT_OPEN_FOREIGN:
		return "give --mount the folder where binfmt_misc is mounted";
	case BINFMT_OPEN_MAY_NOT_MOUNT:
	case BINFMT_OPEN_READ_ONLY:
		return "run the container with --privileged, or run register as root on the host";
	case BINFMT_OPEN_OK:
	case BINFMT_OPEN_FAILED:
	case BINFMT_OPEN_NOT_MOUNTED:
		break;
	}
	return NULL;
}

static int open_binfmt(const struct options *o, struct binfmt *b, bool for_changes)
{
	struct error err;
	bool userns = hostns_in_user_namespace();
	enum binfmt_open_result r = binfmt_open(b, o->mount_dir, for_changes,
						!userns || o->private_instance, &err);

	if (r == BINFMT_OPEN_NOT_MOUNTED) {
		explain_private_instance(o);
		return -1;
	}
	if (r != BINFMT_OPEN_OK) {
		report_failure(&err, open_advice(r));
		return -1;
	}
	/* Routine in every container, whose procfs is fresh. */
	if (b->mounted)
		report_detail("mounted binfmt_misc at %s%s", o->mount_dir,
			      userns ? " (a private instance of this user namespace)" : "");
	return 0;
}

static size_t entry_count(const struct binfmt *b)
{
	struct binfmt_names names;
	size_t count;

	if (binfmt_list(b, &names) != 0)
		return 0;
	count = names.count;
	binfmt_names_release(&names);
	return count;
}

/* Linux >= 6.7 keeps the host's entries only while binfmt_misc is mounted
 * somewhere. When this process had to mount it (a privileged container sees
 * a fresh procfs), make sure the host keeps a mount of its own, or say that
 * the entries will vanish with the container. */
static void keep_entries_alive(const struct binfmt *b)
{
	struct error err = { 0 };
	char line[ERROR_MESSAGE_MAX + 64];
	struct hostns_host host;
	bool empty = entry_count(b) == 0;
	enum hostns_result r;

	if (!b->mounted || hostns_in_user_namespace())
		return;
	r = hostns_keep_host_mount(HOST_BINFMT, &host, &err);
	hostns_host_release(&host);
	/* Which namespace, and through which process: said in every case. */
	switch (r) {
	case HOSTNS_SAME:
		return;
	case HOSTNS_KEPT:
		report_detail("the host keeps binfmt_misc mounted (seen in the machine's initial "
			      "mount namespace, mnt:[%llu], through process %d (%s)): the entries "
			      "outlive this container", host.mntns, (int)host.pid, host.comm);
		return;
	case HOSTNS_MOUNTED:
		report_note("mounted binfmt_misc at %s in the host's mount namespace (the "
			    "machine's initial one, mnt:[%llu], entered through process %d (%s)), "
			    "so that the entries outlive this container", HOST_BINFMT, host.mntns,
			    (int)host.pid, host.comm);
		return;
	case HOSTNS_FAILED:
		error_format(&err, NULL, line, sizeof(line));
		report_warning("%s", line);
		break;
	case HOSTNS_UNREACHABLE:
		break;
	}
	if (empty && hostns_kernel_at_least(6, 7))
		report_warning("the entries will vanish when this container exits: on Linux >= "
			       "6.7 the host keeps binfmt_misc entries only while binfmt_misc is "
			       "mounted somewhere, and this container had to mount it itself%s%s. "
			       "Fix: mount it on the host (mount -t binfmt_misc binfmt_misc %s), "
			       "or run this container with --pid=host so that register can mount "
			       "it in the host's mount namespace", r == HOSTNS_UNREACHABLE
			       ? "; the host's mount namespace is out of reach: " : "",
			       r == HOSTNS_UNREACHABLE ? host.why : "", HOST_BINFMT);
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
	unsigned char head[ELF_HEAD_MAX];
	size_t n = elf_read_head_at("/proc/self/exe", head);

	if (n > 0)
		plan_refuse_native(&plan, head, n, "this program");
}

static void unknown_host(const struct options *o, const char *host_name)
{
	char message[ERROR_MESSAGE_MAX];
	size_t used = (size_t)snprintf(message, sizeof(message),
				       "unknown host architecture '%s'%s; known: ", host_name,
				       o->host_arch != NULL ? " (from HOST_ARCH)" : "");

	for (size_t i = 0; i < target_count && used < sizeof(message); i++)
		used += (size_t)snprintf(message + used, sizeof(message) - used, "%s%s",
					 i ? " " : "", targets[i].name);
	usage_error(message);
}

static int make_plan(const struct options *o)
{
	bool live = o->mode == MODE_REGISTER || o->mode == MODE_INSTALL;
	struct error err;
	const char *host_name;
	const struct target *host = host_detect(o->host_arch, &host_name);

	if (host == NULL) {
		unknown_host(o, host_name);
		return -1;
	}
	if (plan_build(o, host, &plan, &err) != 0) {
		usage_error(err.message);
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
		report_detail("--credential yes: setuid programs (sudo, su, ping) run emulated "
			      "with the credentials of their owner, root for most of them");
	if (!(plan.flags & BINFMT_FLAG_F))
		report_detail("without --persistent yes the kernel looks up each interpreter "
			      "at every exec, in the mount namespace of the program started: "
			      "those paths must exist there (on the host, in each container "
			      "or chroot)");
}

/* How many plan items have ACTION. */
static size_t count_action(enum plan_action action)
{
	size_t n = 0;

	for (size_t i = 0; i < plan.count; i++)
		n += plan.items[i].action == action;
	return n;
}

/* Targets skipped because their emulator is absent (with F). Some missing
 * is normal, an image may ship only some; all of them is a wrong path. */
static size_t count_missing(void)
{
	return count_action(PLAN_SKIP_MISSING);
}

/* The mount is checked again before each batch of writes. */
static int recheck(const struct binfmt *b)
{
	struct error err;

	if (binfmt_recheck(b, &err) == 0)
		return 0;
	report_failure(&err, NULL);
	return -1;
}

/* With F, every target skipped for a missing emulator and nothing else
 * done means the folder is wrong: a failure, not a quiet success. */
static void require_some_emulator(const struct options *o, struct apply *a)
{
	const struct tally *t = &a->tally;

	if (t->registered + t->present + t->failed > 0 || count_missing() == 0)
		return;
	report_error("no emulator was found in %s: is --qemu-path (or QEMU_BIN_DIR) right?",
		     o->qemu_path);
	a->tally.failed++;
}

static void register_plan(const struct options *o, struct apply *a)
{
	apply_plan(a);
	require_some_emulator(o, a);
}

/* A run that removes entries in order to register (--reset, --uninstall
 * with --install) and can register nothing would only remove: it stops
 * before any change, having said why of each target. True when it did. */
static bool refuse_to_only_remove(const struct options *o, struct apply *a, const char *option)
{
	if (count_action(PLAN_REGISTER) > 0)
		return false;
	register_plan(o, a);  /* no item to write: it only reports */
	report_error("%s: nothing can be registered, so nothing was removed", option);
	if (a->tally.failed == 0)
		a->tally.failed++;
	report_summary(&a->tally);
	return true;
}

/* The one struct apply of this run, for binfmt_misc B. */
static struct apply *start_apply(struct binfmt *b)
{
	memset(&apply, 0, sizeof(apply));
	apply.b = b;
	apply.plan = &plan;
	return &apply;
}

static int first_pass_status(const struct apply *a)
{
	return a->tally.failed > 0 ? EXIT_SOME_FAILED : EXIT_DONE;
}

static int close_binfmt(struct binfmt *b, int status)
{
	binfmt_close(b);
	return status;
}

/* --watch: the first pass's status stands, whatever the watch sees. */
static void watch_if_asked(const struct options *o, struct apply *a)
{
	if (o->watch_seconds > 0)
		watch_run(a, o->watch_seconds);
}

static void hold_signals_if_watching(const struct options *o)
{
	if (o->watch_seconds > 0)
		watch_hold_signals();
}

/* Open binfmt_misc to change it, and keep the host's entries alive. */
static int open_for_changes(const struct options *o, struct binfmt *b)
{
	if (open_binfmt(o, b, true) != 0)
		return -1;
	keep_entries_alive(b);
	return 0;
}

/* The multiarch / QEMU script style: [--reset] then register the plan. */
static int register_targets(const struct options *o)
{
	struct binfmt b;
	struct apply *a = start_apply(&b);
	int status;

	a->replace_different = o->reset;
	if (o->reset && refuse_to_only_remove(o, a, "--reset"))
		return EXIT_SOME_FAILED;
	hold_signals_if_watching(o);
	if (open_for_changes(o, &b) != 0)
		return EXIT_BINFMT_UNUSABLE;
	explain_flags();
	if (recheck(&b) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	if (o->reset && apply_reset(a) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	if (recheck(&b) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	register_plan(o, a);
	report_summary(&a->tally);
	status = first_pass_status(a);
	watch_if_asked(o, a);
	return close_binfmt(&b, status);
}

/* --install's JSON status on stdout, what setup-qemu-action parses; STATUS
 * is the run's own. */
static int print_status_json(const struct binfmt *b, int status)
{
	int r = status_json(b);

	if (r != 0)
		report_errno(r, "cannot read %s", b->path);
	return status;
}

/* The tonistiigi/binfmt style: [--uninstall LIST] then [--install LIST],
 * its progress lines on stderr and the JSON status on stdout. */
static int install_targets(const struct options *o)
{
	struct binfmt b;
	struct apply *a = start_apply(&b);
	int status;

	a->keep_different = true;
	hold_signals_if_watching(o);
	if (open_for_changes(o, &b) != 0)
		return EXIT_BINFMT_UNUSABLE;
	if (o->install != NULL)
		explain_flags();
	if (o->install != NULL && o->uninstall != NULL &&
	    refuse_to_only_remove(o, a, "--uninstall"))
		return close_binfmt(&b, print_status_json(&b, EXIT_SOME_FAILED));
	if (recheck(&b) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	if (o->uninstall != NULL && apply_uninstall(a, o->uninstall) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	if (recheck(&b) != 0)
		return close_binfmt(&b, EXIT_BINFMT_UNUSABLE);
	if (o->install != NULL)
		register_plan(o, a);
	report_summary(&a->tally);
	status = print_status_json(&b, first_pass_status(a));
	watch_if_asked(o, a);
	return close_binfmt(&b, status);
}

static int show_status(const struct options *o)
{
	struct binfmt b;
	int r;

	if (open_binfmt(o, &b, false) != 0)
		return EXIT_BINFMT_UNUSABLE;
	r = o->mode == MODE_STATUS_TABLE ? status_table(&b, o->json) : status_json(&b);
	if (r != 0)
		report_errno(r, "cannot read %s", o->mount_dir);
	binfmt_close(&b);
	return r != 0 ? EXIT_BINFMT_UNUSABLE : EXIT_DONE;
}

/* Modes that need the plan need the host: --uninstall alone does not. */
static bool needs_plan(const struct options *o)
{
	return o->mode == MODE_REGISTER || o->mode == MODE_DRY_RUN || o->mode == MODE_EXPORT ||
	       (o->mode == MODE_INSTALL && o->install != NULL);
}

static int run(int argc, char *argv[])
{
	const struct environment env = {
		.qemu_bin_dir = getenv("QEMU_BIN_DIR"),
		.qemu_suffix = getenv("QEMU_SUFFIX"),
		.host_arch = getenv("HOST_ARCH"),
	};
	struct options o;
	struct error err;

	if (cli_parse(argc, argv, &env, &o, &err) != 0) {
		usage_error(err.message);
		return EXIT_USAGE;
	}
	if (o.help) {
		cli_usage(stdout);
		streams_after_large_write();
		return EXIT_DONE;
	}
	if (o.version) {
		print_version(&o);
		return EXIT_DONE;
	}
	report_set_verbose(o.verbose);
	if (o.mode == MODE_INSTALL)
		report_set_style(REPORT_TONISTIIGI);
	if (needs_plan(&o) && make_plan(&o) != 0) {
		/* tonistiigi/binfmt's callers parse stdout whatever happened:
		 * they get the state, which nothing changed. */
		if (o.mode == MODE_INSTALL)
			show_status(&o);
		return EXIT_USAGE;
	}
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
		return register_targets(&o);
	case MODE_INSTALL:
		return install_targets(&o);
	}
	return EXIT_USAGE;
}

int main(int argc, char *argv[])
{
	streams_guard();
	return streams_finish(run(argc, argv));
}
