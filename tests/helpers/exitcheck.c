/*
 * Linked into build/exitcheck/register only (mk/reliability.mk), never into
 * the shipped program: at exit, after main returns or exit() is called, say
 * on stderr how many file descriptors the process opened and left open (any
 * beyond 0, 1 and 2 that were not already open when it started: a test
 * runner's inherited ones do not count), and the process's peak resident
 * memory, so that tests/races.bats can count leaks inside the process:
 *
 *   register: exitcheck: fds=0 hwm_kb=412 pid=1234
 *
 * The peak is VmHWM of /proc/self/status, this program's own: getrusage's
 * ru_maxrss also counts the forking shell's memory from before the exec.
 *
 * followed by one "register: exitcheck: open fd N -> TARGET" line per
 * descriptor left open.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FD_TRACKED 1024

static bool open_at_start[FD_TRACKED];

/* Calls FN for each open descriptor above 2 but the one reading the list. */
static void each_fd(void (*fn)(int fd, void *arg), void *arg)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;

	if (dir == NULL) {
		fprintf(stderr, "register: exitcheck: cannot open /proc/self/fd\n");
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(d->d_name, &end, 10);

		if (d->d_name[0] != '.' && *end == '\0' && fd > 2 && fd != dirfd(dir))
			fn((int)fd, arg);
	}
	closedir(dir);
}

static void note_start(int fd, void *arg)
{
	(void)arg;
	if (fd < FD_TRACKED)
		open_at_start[fd] = true;
}

static void __attribute__((constructor)) exitcheck_start(void)
{
	each_fd(note_start, NULL);
}

struct leaks {
	int fds[64];
	size_t count;
};

static void note_leak(int fd, void *arg)
{
	struct leaks *l = arg;

	if (fd < FD_TRACKED && open_at_start[fd])
		return;
	if (l->count < sizeof(l->fds) / sizeof(l->fds[0]))
		l->fds[l->count] = fd;
	l->count++;
}

static void report_fd(int fd)
{
	char link[64];
	char target[512];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "register: exitcheck: open fd %d -> %s\n", fd, target);
}

/* VmHWM in KB, or -1. */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static void __attribute__((destructor)) exitcheck_end(void)
{
	struct leaks l = { .count = 0 };

	each_fd(note_leak, &l);
	fprintf(stderr, "register: exitcheck: fds=%zu hwm_kb=%ld pid=%d\n", l.count, peak_rss_kb(),
		(int)getpid());
	for (size_t i = 0; i < l.count && i < sizeof(l.fds) / sizeof(l.fds[0]); i++)
		report_fd(l.fds[i]);
}
