/*
 * One way to run another program (the probes, --doctor PROGRAM): in a
 * process group of its own, so that whatever it leaves behind (an
 * emulator's or a script's children, running as root) is killed with it;
 * under one deadline for all that run at once; with what it prints read as
 * it comes, so that it never blocks on a full pipe. Only our own children's
 * groups are ever signalled, by their PIDs.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every disposition back to its default: an ignored SIGPIPE or SIGINT of
 * ours would otherwise pass through exec. */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);  /* SIGKILL, SIGSTOP: EINVAL, as they should */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Stdin and stderr on /dev/null (closed when a scratch container has
 * none), stdout on the pipe. Everything above 0-2 first, so that no dup2
 * below overwrites a source. */
static int set_stdio(const struct spawn_request *r, int out)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipe_w = fcntl(out, F_DUPFD_CLOEXEC, 3);

	if (null >= 0)
		null = fcntl(null, F_DUPFD_CLOEXEC, 3);
	if (pipe_w < 0 || dup2(pipe_w, STDOUT_FILENO) < 0)
		return -1;
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	else
		close(STDIN_FILENO);
	if (r->stderr_too)
		dup2(pipe_w, STDERR_FILENO);
	else if (null >= 0)
		dup2(null, STDERR_FILENO);
	else
		close(STDERR_FILENO);
	return 0;
}

/* In the child: its own process group, its stdio, then the program. Why
 * exec failed goes back through REPORT, closed on a successful exec. */
_Noreturn static void child_exec(const struct spawn_request *r, int out, int report)
{
	char *const *envp = r->envp != NULL ? r->envp : environ;
	/* Without FD_CLOEXEC: binfmt_misc refuses (ENOENT) a program run from
	 * a descriptor that the emulator could not reopen. */
	int prog = r->path == NULL ? fcntl(r->fd, F_DUPFD, 3) : -1;
	int e;

	report = fcntl(report, F_DUPFD_CLOEXEC, 3);
	setpgid(0, 0);
	if ((r->path == NULL && prog < 0) || set_stdio(r, out) != 0)
		_exit(127);
	reset_signals();
	if (r->path != NULL)
		execve(r->path, r->argv, envp);
	else
		fexecve(prog, r->argv, envp);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Fork R's child into S; 0 or errno. Returns once the child has exec'd
 * (or failed to): its process group exists from then on. */
static int start(const struct spawn_request *r, struct spawn *s)
{
	int out[2];
	int report[2];

	if (pipe2(out, O_CLOEXEC) != 0)
		return errno;
	if (pipe2(report, O_CLOEXEC) != 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return e;
	}
	s->pid = fork();
	if (s->pid == 0)
		child_exec(r, out[1], report[1]);
	close(out[1]);
	close(report[1]);
	if (s->pid < 0) {
		int e = errno;
		close(out[0]);
		close(report[0]);
		return e;
	}
	setpgid(s->pid, s->pid);  /* also here: no window where it is not its own */
	s->out = out[0];
	if (read(report[0], &s->exec_errno, sizeof(s->exec_errno)) <= 0)
		s->exec_errno = 0;
	close(report[0]);
	return 0;
}

static struct timespec deadline_in(unsigned ms)
{
	struct timespec t;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ns = t.tv_nsec + (long long)(ms % 1000) * 1000000;
	t.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
	t.tv_nsec = (long)(ns % 1000000000);
	return t;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* What is in S's pipe now; the pipe is closed at its end. */
static void read_output(struct spawn *s)
{
	char buf[4096];
	ssize_t n = read(s->out, buf, sizeof(buf));
	size_t room = sizeof(s->output) - s->len;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->out);
		s->out = -1;
		return;
	}
	if ((size_t)n > room)
		s->overflow = true;
	memcpy(s->output + s->len, buf, (size_t)n < room ? (size_t)n : room);
	s->len += (size_t)n < room ? (size_t)n : room;
}

/* Kill what is left of S's group, then reap S. The leader is not reaped
 * before the group is signalled: until then its PID, and so the group's
 * ID, cannot be taken by another process. */
static void end(struct spawn *s, bool timed_out)
{
	pid_t r;

	killpg(s->pid, SIGKILL);
	do
		r = waitpid(s->pid, &s->status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		s->status = 127 << 8;  /* lost: never taken for a clean exit */
	s->timed_out = timed_out;
	s->ended = true;
}

/* Whether S has exited, without reaping it. */
static bool has_exited(const struct spawn *s)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno != EINTR;
	return info.si_pid != 0;
}

/* Wait for output or a child's exit (SIGCHLD through SFD; without one,
 * a short tick), until DEADLINE. */
static void wait_some(struct spawn *runs, size_t n, int sfd, long left)
{
	struct pollfd fds[SPAWN_MAX + 1];
	struct spawn *owner[SPAWN_MAX + 1];
	nfds_t count = 0;
	struct signalfd_siginfo info;

	if (sfd >= 0)
		fds[count++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (size_t i = 0; i < n; i++) {
		if (runs[i].out < 0)
			continue;
		owner[count] = &runs[i];
		fds[count++] = (struct pollfd){ .fd = runs[i].out, .events = POLLIN };
	}
	if (poll(fds, count, (int)(sfd >= 0 || left < 10 ? left : 10)) <= 0)
		return;
	while (sfd >= 0 && read(sfd, &info, sizeof(info)) > 0)
		;
	for (nfds_t i = sfd >= 0 ? 1 : 0; i < count; i++)
		if (fds[i].revents != 0)
			read_output(owner[i]);
}

static size_t running(const struct spawn *runs, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += !runs[i].ended;
	return count;
}

static void wait_all(struct spawn *runs, size_t n, int sfd, const struct timespec *deadline)
{
	while (running(runs, n) > 0) {
		long left = ms_left(deadline);

		for (size_t i = 0; i < n; i++) {
			if (runs[i].ended)
				continue;
			if (has_exited(&runs[i]))
				end(&runs[i], false);
			else if (left == 0)
				end(&runs[i], true);
		}
		if (running(runs, n) > 0)
			wait_some(runs, n, sfd, left);
	}
}

/* What is left in the pipe, without waiting for its other holders (a
 * process that escaped its group). */
static void drain(struct spawn *s)
{
	struct pollfd p = { .fd = s->out, .events = POLLIN };

	while (s->out >= 0 && poll(&p, 1, 0) > 0)
		read_output(s);
	if (s->out >= 0)
		close(s->out);
	s->out = -1;
}

void spawn_run(const struct spawn_request *requests, struct spawn *runs, size_t n,
	       unsigned timeout_ms)
{
	/* Our children must stay ours to reap: with SIGCHLD ignored (inherited
	 * from whoever started us) the kernel would reap them itself. */
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction saved;
	struct timespec deadline;
	sigset_t chld;
	sigset_t mask;
	int sfd;

	if (n > SPAWN_MAX)
		n = SPAWN_MAX;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &saved);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &mask);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	deadline = deadline_in(timeout_ms);
	for (size_t i = 0; i < n; i++) {
		memset(&runs[i], 0, sizeof(runs[i]));
		runs[i].out = -1;
		runs[i].start_errno = start(&requests[i], &runs[i]);
		runs[i].ended = runs[i].start_errno != 0;
	}
	wait_all(runs, n, sfd, &deadline);
	for (size_t i = 0; i < n; i++)
		drain(&runs[i]);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigaction(SIGCHLD, &saved, NULL);
}
