/* What the --doctor checks share: the context every check takes, the one
 * way a check reports its result, and the fixes it prints. Internal to
 * doctor.c (the machine), doctor_program.c (PROGRAM), doctor_report.c. */
#ifndef QUS_DOCTOR_CHECK_H
#define QUS_DOCTOR_CHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "binfmt.h"
#include "cli.h"
#include "elf.h"
#include "hostns.h"
#include "targets.h"

#define DOCTOR_FIX_MAX (PATH_MAX + 256)
#define DOCTOR_ENTRIES_MAX 128  /* machines hold a few dozen entries */

enum doctor_level { DOCTOR_OK, DOCTOR_INFO, DOCTOR_WARNING, DOCTOR_PROBLEM };

/* One entry, as the kernel holds it. */
struct doctor_entry {
	char name[NAME_MAX + 1];
	int err;                      /* binfmt_read's result; 0 when read */
	bool qemu;                    /* ours to judge */
	const struct target *target;  /* NULL when it matches no target */
	struct binfmt_entry e;
};

/* What the checks know of this machine and of the run so far. */
struct doctor {
	const struct options *o;
	const char *run;              /* how a fix calls register */
	bool userns;                  /* in a user namespace (rootless) */
	pid_t outer;                  /* an ancestor in the host's mount namespace, or 0 */
	char root[32];                /* the host's files, when in reach: /proc/PID/root */
	const struct target *host;
	struct hostns_mounts here;    /* this process's mounts, before it mounted any */
	unsigned char self[ELF_HEAD_MAX];  /* the head of this very program */
	size_t self_len;
	struct binfmt b;
	bool enabled;                 /* binfmt_misc's `status` */
	bool probing;                 /* this process's own execs use these entries */
	struct doctor_entry *entries; /* in the kernel's order: newest first */
	size_t count;
	unsigned counts[4];           /* results printed, by level */
	bool later;                   /* JSON: a check was printed already */
};

/* One check's result: a line of text (and its fix under it), or one JSON
 * object, as --json asks. FIX may be NULL. */
void doctor_emit(struct doctor *d, enum doctor_level lv, const char *check,
		 const char *subject, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* The last line: how many problems and warnings (or the end of the JSON). */
void doctor_summary(struct doctor *d);

/* A fix, built by the check that prints it, in a buffer of its own. */
struct doctor_fix {
	char text[DOCTOR_FIX_MAX];
};

/* "echo VALUE > DIR/FILE": the exact command on an entry or `status`.
 * Returns FIX's text. */
const char *fix_echo(struct doctor_fix *fix, const struct doctor *d, const char *value,
		     const char *file);

/* "register ARGS", or the image's command, with the emulators' folder when
 * it is not the image's /usr/bin. Returns FIX's text. */
const char *fix_register(struct doctor_fix *fix, const struct doctor *d, const char *args);

/* Whether ROOT followed by PATH passes access(2) for MODE. */
bool doctor_exists_at(const char *root, const char *path, int mode);

/* On a systemd host, the QEMU entries that no binfmt.d file holds
 * (doctor_systemd.c). Returns true: the checks after it still run. */
bool doctor_check_systemd(struct doctor *d);

/* --doctor PROGRAM: what it is, which entry takes it, and how it runs. */
void doctor_check_program(struct doctor *d, const char *path);

#endif
