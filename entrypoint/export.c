/*
 * Host configuration files, in the formats of QEMU's qemu-binfmt-conf.sh:
 * binfmt.d(5) files that systemd-binfmt loads at boot (-s), and templates
 * that Debian's `update-binfmts --import` reads (-d). Nothing here touches
 * binfmt_misc: the files say what to register, for this machine or, with
 * HOST_ARCH, another one.
 *
 * Each file is written whole under a temporary name in the same folder and
 * renamed into place, so that a boot or an import never reads half a file,
 * and a symlink planted at the final name is replaced, never followed.
 */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exit_status.h"
#include "report.h"
#include "streams.h"
#include "targets.h"

/* A file holds one register string or one template: the interpreter path
 * is the only long part, and the register string already bounds it. */
#define EXPORT_FILE_MAX (BINFMT_REGISTER_MAX + 512)

struct export_tally {
	unsigned written;
	unsigned skipped;
	unsigned failed;
};

struct format {
	const char *default_dir;
	const char *file_suffix;   /* the file is qemu-<target><suffix> */
	const char *reader;        /* who reads the file, for the output line */
	size_t (*render)(const struct plan *p, const struct plan_item *item, char *out,
			 size_t size);
};

/* binfmt.d(5): the register string on one line, as QEMU's script writes it. */
static size_t render_systemd(const struct plan *p, const struct plan_item *item, char *out,
			     size_t size)
{
	int n = snprintf(out, size, "%.*s\n", (int)item->line_len, item->line);

	(void)p;
	return n > 0 ? (size_t)n : 0;
}

static void escape_bytes(const unsigned char *bytes, size_t len, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && used < size; i++) {
		int n = snprintf(out + used, size - used, "\\x%02x", bytes[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* update-binfmts' import format: "key value" lines, the keys and order of
 * QEMU's script. Every byte is \xHH, as in the register string, and
 * update-binfmts hands both strings to the kernel as they are. */
static size_t render_debian(const struct plan *p, const struct plan_item *item, char *out,
			    size_t size)
{
	const struct target *t = item->target;
	char magic[ELF_HEAD_MAX * 4 + 1];
	char mask[ELF_HEAD_MAX * 4 + 1];
	int n;

	escape_bytes(t->magic, t->magic_len, magic, sizeof(magic));
	escape_bytes(t->mask, t->mask_len, mask, sizeof(mask));
	n = snprintf(out, size,
		     "package %s\ninterpreter %s\nmagic %s\nmask %s\n"
		     "credentials %s\npreserve %s\nfix_binary %s\n",
		     item->entry_name, item->interpreter, magic, mask,
		     yes_no(p->flags & BINFMT_FLAG_C), yes_no(p->flags & BINFMT_FLAG_P),
		     yes_no(p->flags & BINFMT_FLAG_F));
	return n > 0 ? (size_t)n : 0;
}

static const struct format systemd_format = {
	.default_dir = "/etc/binfmt.d",
	.file_suffix = ".conf",
	.reader = "systemd-binfmt.service",
	.render = render_systemd,
};

static const struct format debian_format = {
	.default_dir = "/usr/share/binfmts",
	.file_suffix = "",
	.reader = "update-binfmts",
	.render = render_debian,
};

static int usage_error(const char *message)
{
	report_error("%s", message);
	fputs("Try 'register --help' for the options.\n", stderr);
	return EXIT_USAGE;
}

static void list_targets(char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < target_count && used < size; i++) {
		int n = snprintf(out + used, size - used, " %s", targets[i].name);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* Checked before anything is written: a usage error writes nothing.
 * *ONLY is the one target of -s CPU, or NULL for -s ALL and -d. */
static int check_usage(const struct options *o, const struct target **only)
{
	char message[1024];

	*only = NULL;
	if (o->systemd != NULL && o->debian)
		return usage_error("--systemd and --debian write different files: give one "
				   "of them per run");
	if (o->systemd == NULL || strcmp(o->systemd, "ALL") == 0 ||
	    strcmp(o->systemd, "all") == 0)
		return 0;
	*only = target_by_name(o->systemd);
	if (*only == NULL) {
		char known[512];

		list_targets(known, sizeof(known));
		snprintf(message, sizeof(message),
			 "--systemd: unknown CPU '%s'; give ALL or one of:%s", o->systemd, known);
		return usage_error(message);
	}
	if (o->named_count > 0) {
		snprintf(message, sizeof(message),
			 "--systemd %s names its target already; to write the files of several "
			 "targets, give --systemd ALL and name them", o->systemd);
		return usage_error(message);
	}
	return 0;
}

/* Items the plan decided to register are written, also those it then set
 * aside for reasons that concern registering here and now only: a missing
 * emulator (it may be installed later, or the files are for another
 * machine) or a match with this machine's own programs (HOST_ARCH names
 * the machine the files are for). */
static bool to_write(const struct plan_item *item, const struct target *only)
{
	if (only != NULL && item->target != only)
		return false;
	switch (item->action) {
	case PLAN_REGISTER:
	case PLAN_SKIP_MISSING:
	case PLAN_FAIL_INTERPRETER:
	case PLAN_REFUSE_NATIVE:
		return true;
	case PLAN_SKIP_HOST:
	case PLAN_SKIP_FAMILY:
	case PLAN_SKIP_UNNAMED:
		break;
	}
	return false;
}

/* mkdir -p: the folder is created when missing (QEMU's script stops there
 * with "cannot write to DIR"; its users want the files). */
static int make_folder(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);
	struct stat st;

	if (len == 0 || len >= sizeof(path)) {
		report_error("--exportdir: '%s' is not a usable folder name", dir);
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (char *slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			report_errno(errno, "cannot create the folder %s", path);
			return -1;
		}
		*slash = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		report_errno(errno, "cannot create the folder %s", path);
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		report_error("%s is not a folder", dir);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A fresh temporary file beside NAME; its name goes to TMP. O_EXCL: never
 * reuse a file another process (another run) may be writing. */
static int create_temp(int dirfd, const char *name, char *tmp, size_t size)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		struct timespec now;
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &now);
		snprintf(tmp, size, ".%s.%ld.%ld.tmp", name, (long)getpid(),
			 (long)now.tv_nsec + attempt);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Write CONTENT to DIRFD/NAME atomically, mode 0644 whatever the umask.
 * Returns 0 or an errno value. */
static int write_file(int dirfd, const char *name, const char *content, size_t len)
{
	char tmp[512];
	int fd = create_temp(dirfd, name, tmp, sizeof(tmp));
	int err;

	if (fd < 0)
		return errno;
	err = fchmod(fd, 0644) != 0 ? errno : write_all(fd, content, len);
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
		err = errno;
	if (err != 0)
		unlinkat(dirfd, tmp, 0);
	return err;
}

static int export_item(int dirfd, const char *dir, const struct format *f,
		       const struct plan *p, const struct plan_item *item)
{
	char name[BINFMT_FIELD_MAX + 16];
	char content[EXPORT_FILE_MAX];
	size_t len = f->render(p, item, content, sizeof(content));
	int err;

	snprintf(name, sizeof(name), "%s%s", item->entry_name, f->file_suffix);
	err = len == 0 || len >= sizeof(content) ? ENAMETOOLONG
						   : write_file(dirfd, name, content, len);
	if (err != 0) {
		report_errno(err, "%s: cannot write %s/%s", item->entry_name, dir, name);
		return -1;
	}
	printf("Setting %s as binfmt interpreter for %s for %s in %s/%s\n", item->interpreter,
	       item->target->name, f->reader, dir, name);
	return 0;
}

/* With F, the loader (systemd-binfmt, update-binfmts) has the kernel open
 * each emulator: say so once when some are not there yet. */
static void note_missing_interpreters(const struct plan *p, const struct target *only)
{
	size_t missing = 0;
	const char *example = NULL;

	if (!(p->flags & BINFMT_FLAG_F))
		return;
	for (size_t i = 0; i < p->count; i++) {
		const struct plan_item *item = &p->items[i];

		if (to_write(item, only) && access(item->interpreter, X_OK) != 0) {
			missing++;
			if (example == NULL)
				example = item->interpreter;
		}
	}
	if (missing > 0)
		report_note("%zu emulator(s) not on this machine (first: %s): with --persistent "
			    "yes an entry loads only where its emulator exists", missing, example);
}

static void note_skip(const struct plan_item *item, const struct target *only)
{
	bool asked = item->named || (only != NULL && item->target == only);

	if (asked && item->action != PLAN_SKIP_UNNAMED)
		report_note("skipping %s: %s", item->target->name, item->why);
}

static void note_loading(const struct format *f, const char *dir)
{
	if (f == &systemd_format)
		report_note("systemd-binfmt.service loads /etc/binfmt.d/*.conf at boot; to load "
			    "these now: /lib/systemd/systemd-binfmt %s/qemu-*.conf", dir);
	else
		report_note("import each with: update-binfmts --importdir %s --import qemu-CPU",
			    dir);
}

/* Write each file in turn; one that fails does not stop the others. */
static void write_each(int dirfd, const char *dir, const struct format *f,
		       const struct plan *p, const struct target *only, struct export_tally *t)
{
	for (size_t i = 0; i < p->count; i++) {
		const struct plan_item *item = &p->items[i];

		if (to_write(item, only)) {
			if (export_item(dirfd, dir, f, p, item) == 0)
				t->written++;
			else
				t->failed++;
		} else if (only == NULL || item->target == only) {
			note_skip(item, only);
			t->skipped += item->action != PLAN_SKIP_UNNAMED;
		}
	}
}

static size_t count_to_write(const struct plan *p, const struct target *only)
{
	size_t n = 0;

	for (size_t i = 0; i < p->count; i++)
		n += to_write(&p->items[i], only);
	return n;
}

static int export_all(const struct format *f, const char *dir, const struct plan *p,
		      const struct target *only)
{
	struct export_tally t = { 0 };
	int dirfd = -1;

	/* Nothing to write (-s naming this machine's own CPU): create nothing. */
	if (count_to_write(p, only) > 0) {
		if (make_folder(dir) != 0)
			return EXIT_SOME_FAILED;
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			report_errno(errno, "cannot open the folder %s", dir);
			return EXIT_SOME_FAILED;
		}
		note_missing_interpreters(p, only);
	}
	write_each(dirfd, dir, f, p, only, &t);
	if (dirfd >= 0) {
		/* The renames are durable only once the folder itself is synced. */
		fsync(dirfd);
		close(dirfd);
	}
	/* QEMU's script prints only the "Setting ..." lines: the count is ours,
	 * so it goes where the notes go. */
	streams_flush_stdout();
	fprintf(stderr, "%u written, %u skipped, %u failed\n", t.written, t.skipped, t.failed);
	if (t.written > 0)
		note_loading(f, dir);
	return t.failed > 0 ? EXIT_SOME_FAILED : EXIT_DONE;
}

int export_run(const struct options *o, const struct plan *p)
{
	const struct format *f = o->debian ? &debian_format : &systemd_format;
	const struct target *only = NULL;
	int status = check_usage(o, &only);

	if (status != 0)
		return status;
	return export_all(f, o->exportdir != NULL ? o->exportdir : f->default_dir, p, only);
}
