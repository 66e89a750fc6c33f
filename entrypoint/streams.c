#include "streams.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_status.h"

/* Why stdout lost output, when a flush here saw it; 0 otherwise. */
static int stdout_errno;

/* stdout's buffer when it is not a terminal. musl's BUFSIZ is 1 KiB: stdio
 * then wrote the 31 lines of a --reset in 1 KiB pieces, cut mid-line, and
 * an engine that relays stdout and stderr on their own (docker run, with
 * no terminal) put the summary line, from stderr, into the middle of a
 * line of stdout. Every flush of ours comes at a line end; 64 KiB holds
 * any run's lines between two of them but a --status of hundreds of
 * entries. In .bss: the file does not grow. */
static char stdout_buffer[64 * 1024];

/* A descriptor of 0-2 that is closed would be taken by the next open: the
 * binfmt_misc folder or its `register` file, and then `printf` writes into
 * the kernel. /dev/null keeps the number; where there is none (a bare
 * chroot), a path-only descriptor does, on which every write fails. Not
 * close-on-exec: these are the standard streams of whatever register
 * starts. When neither can be opened, nothing is safe to do. */
static void occupy(int fd)
{
	int got = openat(AT_FDCWD, "/dev/null", O_RDWR);

	if (got < 0)
		got = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY);
	if (got != fd)
		_exit(EXIT_OUTPUT_LOST);
}

/* Nothing to do: its being there makes write(2) return EPIPE. */
static void on_sigpipe(int sig)
{
	(void)sig;
}

void streams_guard(void)
{
	/* A handler, not SIG_IGN: an ignored SIGPIPE is inherited through exec,
	 * by the probes and the programs --doctor runs; a handler is not. */
	struct sigaction sa = { .sa_handler = on_sigpipe, .sa_flags = SA_RESTART };

	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			occupy(fd);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	/* Not a terminal: fully buffered from the first line on (musl flushes
	 * stdout's first line by itself), so that a failing write happens in
	 * a flush of ours, which keeps its errno; and in a buffer that holds
	 * a whole run's lines, so that every write ends at a line end. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
}

void streams_flush_stdout(void)
{
	if (fflush(stdout) != 0 && stdout_errno == 0)
		stdout_errno = errno != 0 ? errno : EIO;
}

void streams_after_large_write(void)
{
	int e = errno;

	if (ferror(stdout) && stdout_errno == 0)
		stdout_errno = e != 0 ? e : EIO;
	streams_flush_stdout();
}

/* Why stdout failed, when no flush of ours saw it (stdio wrote a full
 * buffer itself): a pipe or socket whose reader has gone says POLLERR. */
static const char *stdout_failure(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	struct stat st;

	if (stdout_errno != 0)
		return strerror(stdout_errno);
	if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		return strerror(EPIPE);
	return "a write to it failed";
}

int streams_finish(int status)
{
	streams_flush_stdout();
	if (!ferror(stdout) && stdout_errno == 0)
		return status;
	fprintf(stderr, "register: the output to stdout was lost (%s)%s\n", stdout_failure(),
		status == EXIT_DONE ? ": everything else was done, as the other lines on stderr "
				      "say" : "");
	return status == EXIT_DONE ? EXIT_OUTPUT_LOST : status;
}
