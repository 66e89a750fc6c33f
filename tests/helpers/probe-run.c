/*
 * Drives entrypoint/probe.c from tests/probes.bats.
 *
 *   probe-run FILE PLATFORM   run FILE as the probe of PLATFORM (it must
 *                             print "qus-probe PLATFORM"); prints "ran" or
 *                             "did not run", then what it left behind:
 *                             "fds: same" (or "fds: A -> B"), "children: none"
 *                             (or "children: left"), and "ms: N"
 *   probe-run --native        the native platforms, one per line
 *   probe-run --embedded      each embedded probe: "PLATFORM TARGET SIZE"
 *
 * Exit status: 0 ran (or listed), 1 did not run, 2 usage or FILE unreadable.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../../entrypoint/probe.h"

static unsigned char program[1 << 20];

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int run_file(const char *path, const char *platform)
{
	FILE *f = fopen(path, "rb");
	struct probe p = { platform, "none", program, 0 };

	if (f == NULL) {
		fprintf(stderr, "probe-run: %s: %s\n", path, strerror(errno));
		return 2;
	}
	p.size = fread(program, 1, sizeof(program), f);
	fclose(f);

	int before = open_fds();
	long start = now_ms();
	bool ran = probe_run(&p);
	long took = now_ms() - start;
	int after = open_fds();
	bool orphans = waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD;

	printf("%s\n", ran ? "ran" : "did not run");
	if (before == after)
		printf("fds: same\n");
	else
		printf("fds: %d -> %d\n", before, after);
	printf("children: %s\n", orphans ? "left" : "none");
	printf("ms: %ld\n", took);
	return ran ? 0 : 1;
}

int main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--native") == 0) {
		const char *names[16];
		size_t n = probe_native_platforms(names, 16);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--embedded") == 0) {
		for (size_t i = 0; i < probe_count; i++)
			printf("%s %s %zu\n", probes[i].platform, probes[i].target, probes[i].size);
		return 0;
	}
	if (argc == 3)
		return run_file(argv[1], argv[2]);
	fprintf(stderr, "usage: probe-run FILE PLATFORM | --native | --embedded\n");
	return 2;
}
