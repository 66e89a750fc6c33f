/*
 * bench-timer: run a command (or a sequence of commands) and measure it
 * precisely, for bench/run. A shell's `time` adds the shell's own fork and
 * its rounding; this forks and execs the command directly and reads
 * CLOCK_MONOTONIC around fork..wait, so what is measured is the command.
 *
 *     bench-timer [-n RUNS] [-a] [-m] [-v] COMMAND [ARG]... [';' COMMAND [ARG]...]...
 *
 * For each of RUNS runs (default 1) it runs the commands one after the
 * other and prints one line on stdout:
 *
 *     <nanoseconds> <peak RSS in KiB> <exit status>
 *
 * nanoseconds: wall time of the whole sequence; peak RSS: the largest
 * ru_maxrss among its processes (from wait4, so it is that run's own, not
 * the maximum over every child so far); exit status: the first non-zero one
 * (128+N for a signal), else 0. A command that fails does not stop the
 * sequence: the status says so and bench/run refuses the run.
 * With -a, one such line per command instead, in order: commands measured
 * alternately, exec after exec, so that a change of the machine's load
 * hits all of them alike.
 * With -m, a fourth field: the largest VmHWM (KiB) of the run's commands,
 * read from /proc/PID/status when each stops at its exit (ptrace, so this
 * mode is for memory, not for time). On Linux >= 6.2 ru_maxrss is read from
 * per-CPU counters without summing them, so it can miss up to 32 pages per
 * CPU (128 KiB steps here); VmHWM sums them (Linux >= 6.16).
 * The commands' stdout and stderr go to /dev/null unless -v.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 16

struct run_result {
	long long ns;
	long maxrss_kb;
	long hwm_kb;
	int status;
};

struct mode {
	int verbose; /* -v: keep the commands' output */
	int each;    /* -a: one line per command */
	int hwm;     /* -m: VmHWM at exit, through ptrace */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The child: silence it unless asked, then become the command. */
static void exec_command(char *const argv[], const struct mode *m)
{
	if (m->hwm && ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(126);
	if (!m->verbose) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "bench-timer: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void wait_child(pid_t pid, int *status, struct rusage *ru)
{
	while (wait4(pid, status, 0, ru) < 0) {
		if (errno != EINTR) {
			perror("bench-timer: wait4");
			exit(125);
		}
	}
}

/* VmHWM of a process stopped at its exit, in KiB (0 if unreadable). */
static long read_hwm_kb(pid_t pid)
{
	char path[64];
	char line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Under ptrace (-m): let the child run, read its VmHWM when it stops at
 * its exit, pass every other signal on. Returns with the child reaped. */
static void trace_child(pid_t pid, int *status, struct rusage *ru, long *hwm_kb)
{
	int sig = 0;

	/* ptrace's data argument is an integer carried in a pointer. */
	wait_child(pid, status, ru); /* the SIGTRAP of its exec */
	if (WIFSTOPPED(*status))
		ptrace(PTRACE_SETOPTIONS, pid, NULL,
		       (void *)(long)PTRACE_O_TRACEEXIT); // NOLINT(performance-no-int-to-ptr)
	while (WIFSTOPPED(*status)) {
		if (*status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			*hwm_kb = read_hwm_kb(pid);
		} else if (WSTOPSIG(*status) != SIGTRAP) {
			sig = WSTOPSIG(*status);
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig); // NOLINT(performance-no-int-to-ptr)
		sig = 0;
		wait_child(pid, status, ru);
	}
}

/* One command: fork, exec, wait4. Returns its exit status (128+N for a
 * signal), and raises r's peaks to the child's own. */
static int run_command(char *const argv[], const struct mode *m, struct run_result *r)
{
	struct rusage ru;
	long hwm = 0;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("bench-timer: fork");
		exit(125);
	}
	if (pid == 0)
		exec_command(argv, m);
	if (m->hwm)
		trace_child(pid, &status, &ru, &hwm);
	else
		wait_child(pid, &status, &ru);
	if (ru.ru_maxrss > r->maxrss_kb)
		r->maxrss_kb = ru.ru_maxrss;
	if (hwm > r->hwm_kb)
		r->hwm_kb = hwm;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void print_result(const struct run_result *r, const struct mode *m)
{
	if (m->hwm)
		printf("%lld %ld %d %ld\n", r->ns, r->maxrss_kb, r->status, r->hwm_kb);
	else
		printf("%lld %ld %d\n", r->ns, r->maxrss_kb, r->status);
}

/* One run: the commands in order. Prints the run's line, or with -a one
 * line per command. */
static void run_sequence(char **cmds[], int ncmds, const struct mode *m)
{
	struct run_result total = { 0, 0, 0, 0 };

	for (int i = 0; i < ncmds; i++) {
		struct run_result r = { 0, 0, 0, 0 };
		long long start = now_ns();

		r.status = run_command(cmds[i], m, &r);
		r.ns = now_ns() - start;
		if (m->each)
			print_result(&r, m);
		total.ns += r.ns;
		if (r.maxrss_kb > total.maxrss_kb)
			total.maxrss_kb = r.maxrss_kb;
		if (r.hwm_kb > total.hwm_kb)
			total.hwm_kb = r.hwm_kb;
		if (r.status != 0 && total.status == 0)
			total.status = r.status;
	}
	if (!m->each)
		print_result(&total, m);
}

/* Split argv at ";" tokens into NULL-terminated commands (in place). */
static int split_commands(char **argv, int argc, char **cmds[])
{
	int n = 0;

	cmds[n++] = argv;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], ";") != 0)
			continue;
		if (n == MAX_COMMANDS)
			return -1;
		argv[i] = NULL;
		cmds[n++] = &argv[i + 1];
	}
	for (int i = 0; i < n; i++)
		if (cmds[i][0] == NULL)
			return -1;
	return n;
}

static void usage(void)
{
	fputs("usage: bench-timer [-n RUNS] [-a] [-m] [-v] COMMAND [ARG]... [';' COMMAND [ARG]...]...\n",
	      stderr);
	exit(2);
}

int main(int argc, char *argv[])
{
	char **cmds[MAX_COMMANDS];
	struct mode m = { 0, 0, 0 };
	long runs = 1;
	int opt;
	int ncmds;

	while ((opt = getopt(argc, argv, "+n:amv")) != -1) {
		char *end = NULL;

		switch (opt) {
		case 'n':
			runs = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || runs < 1)
				usage();
			break;
		case 'a':
			m.each = 1;
			break;
		case 'm':
			m.hwm = 1;
			break;
		case 'v':
			m.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	ncmds = split_commands(&argv[optind], argc - optind, cmds);
	if (ncmds < 0)
		usage();
	for (long i = 0; i < runs; i++)
		run_sequence(cmds, ncmds, &m);
	return 0;
}
