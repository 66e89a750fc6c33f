/* Running other programs under watch: each in a process group of its own,
 * all at once under one deadline, their output captured up to a cap, and
 * every process of each group killed and the child reaped when it is done. */
#ifndef QUS_SPAWN_H
#define QUS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_OUTPUT_MAX 1024  /* what is kept of a program's output */
#define SPAWN_MAX 32           /* programs run at once */

struct spawn_request {
	const char *path;     /* the program to exec; NULL: FD instead */
	int fd;               /* with PATH NULL: fexecve(2) this file, kept open across the exec */
	char *const *argv;
	char *const *envp;    /* NULL: this process's own environment */
	bool stderr_too;      /* stderr into the output as well; else /dev/null */
};

struct spawn {
	pid_t pid;            /* the child, leader of its own process group */
	int start_errno;      /* 0, or why it could not be started (pipe, fork) */
	int exec_errno;       /* 0, or why exec failed in the child */
	int status;           /* waitpid(2)'s, once reaped */
	bool timed_out;       /* still running at the deadline: killed */
	bool overflow;        /* it wrote more than OUTPUT holds; the rest was read and dropped */
	size_t len;           /* of OUTPUT */
	char output[SPAWN_OUTPUT_MAX];  /* its stdout (and stderr), not NUL-terminated */
	int out;              /* the pipe's read end while open, else -1 */
	bool ended;           /* reaped */
};

/* Run the N (at most SPAWN_MAX) REQUESTS at once, into RUNS, and wait for
 * them for TIMEOUT_MS in all: a child that exits has the rest of its group
 * killed, one still running at the deadline is killed with its group.
 * Each starts with stdin on /dev/null (closed where there is none), the
 * signal mask empty and every signal's disposition at its default. When it
 * returns, every child is reaped and every descriptor it opened is closed. */
void spawn_run(const struct spawn_request *requests, struct spawn *runs, size_t n,
	       unsigned timeout_ms);

#endif
