/*
 * register --doctor PROGRAM: what the program is (its ELF header, its
 * loader), which entry the kernel hands it to, and what happens when it
 * runs, once, with no argument, for at most RUN_SECONDS.
 */
#include "doctor_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf.h"
#include "spawn.h"
#include "streams.h"
#include "targets.h"

#define RUN_SECONDS 5

/* The entry the kernel hands HEAD to (the newest enabled one that matches);
 * *DISABLED gets a disabled one that matches, when no enabled one does. */
static const struct doctor_entry *taker(const struct doctor *d, const unsigned char *head,
					size_t n, const struct doctor_entry **disabled)
{
	*disabled = NULL;
	for (size_t i = 0; i < d->count; i++) {
		const struct doctor_entry *it = &d->entries[i];

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
static void explain_exec(struct doctor *d, const char *path, const struct run *r,
			 const struct doctor_entry *it, const struct elf_info *x,
			 const char *install_fix)
{
	struct doctor_fix fix;
	const char *why = strerror(r->exec_errno);

	if (r->exec_errno == ENOEXEC && !d->enabled)
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, fix_echo(&fix, d, "1", "status"),
			    "exec failed: "
		     "%s (ENOEXEC): binfmt_misc is disabled as a whole", why);
	else if (r->exec_errno == ENOEXEC)
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, install_fix, "exec failed: %s (ENOEXEC): "
		     "the kernel cannot run it itself, and no enabled entry takes it", why);
	else if (r->exec_errno == ENOENT && it != NULL && !doctor_exists_at("", it->e.interpreter, X_OK))
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, fix_register(&fix, d, "--reset -p yes"),
		     "exec failed: %s (ENOENT), although the program is there: %s takes it, and "
		     "its interpreter %s is missing here (no flag F)", why, it->name,
		     it->e.interpreter);
	else if (r->exec_errno == ENOENT && x->interp[0] != '\0' && !doctor_exists_at("", x->interp, F_OK))
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, NULL, "exec failed: %s (ENOENT), although "
		     "the program is there: its dynamic loader %s is missing; run it in a root "
		     "that has its libraries (a chroot, a container of its platform)", why,
		     x->interp);
	else if (r->exec_errno == ELOOP)
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, it != NULL ?
		     fix_echo(&fix, d, "-1", it->name) : NULL, "exec failed: %s (ELOOP): an exec "
		     "loop, an entry takes its own interpreter or this machine's programs", why);
	else
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, NULL, "exec failed: %s%s", why,
		     r->exec_errno == EACCES ? " (EACCES): not executable, or on a noexec mount" : "");
}

static void report_run(struct doctor *d, const char *path, const struct run *r,
		       const struct doctor_entry *it,
		       const struct elf_info *x)
{
	char via[NAME_MAX + 16] = "";
	int st = r->status;

	if (it != NULL)
		snprintf(via, sizeof(via), " (through %s)", it->name);
	if (r->timed_out)
		doctor_emit(d, DOCTOR_OK, "program-run", path, NULL, "ran%s, and was still running after "
		     "%d s: stopped it (its output began: \"%s\")", via, RUN_SECONDS, r->output);
	else if (WIFSIGNALED(st))
		doctor_emit(d, DOCTOR_WARNING, "program-run", path, NULL, "ran%s, and was killed by signal "
		     "%d; output: \"%s\"", via, WTERMSIG(st), r->output);
	else if (WEXITSTATUS(st) != 0 && x->interp[0] != '\0' && !doctor_exists_at("", x->interp, F_OK))
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, NULL, "started%s, but exited with status "
		     "%d: its dynamic loader %s is missing here (output: \"%s\"); run it in a root "
		     "that has its libraries (a chroot, a container of its platform)", via,
		     WEXITSTATUS(st), x->interp, r->output);
	else
		doctor_emit(d, DOCTOR_OK, "program-run", path, NULL, "ran%s with no argument: exit status %d; "
		     "output: \"%s\"", via, WEXITSTATUS(st), r->output);
}

/* Which entry takes the program, or why none needs to. */
static void check_taker(struct doctor *d, const char *path, const struct target *t,
			const struct doctor_entry *it, const struct doctor_entry *off,
			const char *install_fix)
{
	struct doctor_fix fix;
	bool own = t == d->host;
	bool family = d->host != NULL && strcmp(t->family, d->host->family) == 0;

	if (it != NULL && own)
		doctor_emit(d, DOCTOR_PROBLEM, "program-entry", path, fix_echo(&fix, d, "-1", it->name), "%s "
		     "takes it, a program of this machine's own architecture: an exec loop", it->name);
	else if (it != NULL)
		doctor_emit(d, DOCTOR_OK, "program-entry", path, NULL, "the kernel hands it to %s (interpreter "
		     "%s)", it->name, it->e.interpreter);
	else if (own || family)
		doctor_emit(d, DOCTOR_OK, "program-entry", path, NULL, "%s: the kernel runs it itself%s",
		     own ? "this machine's own architecture" : "of this machine's family",
		     own ? "" : ", where the CPU can");
	else if (off != NULL)
		doctor_emit(d, DOCTOR_PROBLEM, "program-entry", path, fix_echo(&fix, d, "1", off->name), "only "
		     "%s matches it, and it is disabled: exec fails with 'exec format error'",
		     off->name);
	else
		doctor_emit(d, DOCTOR_PROBLEM, "program-entry", path, install_fix, "no entry takes it: exec "
		     "fails with 'exec format error'");
}

void doctor_check_program(struct doctor *d, const char *path)
{
	unsigned char head[ELF_HEAD_MAX];
	struct doctor_fix install_fix;
	char arch[32];
	char args[64];
	struct elf_info x;
	struct run r;
	const struct target *t = NULL;
	const struct doctor_entry *off;
	const struct doctor_entry *it;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t n;
	bool elf;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		doctor_emit(d, DOCTOR_PROBLEM, "program", path, NULL, "cannot read it: %s", fd < 0 ?
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
		doctor_emit(d, DOCTOR_PROBLEM, "program", path, NULL, "ELF for machine %u, which no QEMU "
		     "target runs", x.machine);
		return;
	}
	if (t == NULL) {
		doctor_emit(d, DOCTOR_PROBLEM, "program", path, NULL, "not an ELF program%s", n > 1 &&
		     head[0] == '#' && head[1] == '!' ? " but a script: ask about the interpreter "
		     "on its first line" : "");
		return;
	}
	doctor_emit(d, DOCTOR_OK, "program", path, NULL, "ELF %u-bit %s for %s (%s), %s%s", x.bits,
	     x.big ? "MSB" : "LSB", t->name, t->platforms[0] != '\0' ? t->platforms : "no "
	     "platform", x.interp[0] != '\0' ? "dynamic, loader " : "static", x.interp);
	it = taker(d, head, n, &off);
	snprintf(args, sizeof(args), "--install %s", install_name(t, arch, sizeof(arch)));
	fix_register(&install_fix, d, args);
	check_taker(d, path, t, it, off, install_fix.text);
	if (access(path, X_OK) != 0) {
		doctor_emit(d, DOCTOR_INFO, "program-run", path, NULL, "not run: it is not executable");
		return;
	}
	if (!run_program(path, &r))
		doctor_emit(d, DOCTOR_PROBLEM, "program-run", path, NULL, "cannot start it: %s", strerror(errno));
	else if (r.exec_errno != 0)
		explain_exec(d, path, &r, it, &x, install_fix.text);
	else
		report_run(d, path, &r, it, &x);
}

/* The process through which the host's files and mounts are seen: an
 * ancestor in the machine's initial mount namespace, or 0. */
