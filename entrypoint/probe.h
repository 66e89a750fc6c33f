/* Probes: a tiny program per platform, built from source in probes/, run
 * through the kernel to learn which platforms really run here. */
#ifndef QUS_PROBE_H
#define QUS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct probe {
	const char *platform;          /* "linux/arm64" */
	const char *target;            /* the QEMU target that runs it: "aarch64" */
	const unsigned char *program;  /* the whole static executable */
	size_t size;
};

extern const struct probe probes[];
extern const size_t probe_count;

/* Run P's program through the kernel, as any program would be (from
 * memory: the image holds no extra files), with stdin and stderr on
 * /dev/null and an empty environment, in a process group of its own. True
 * when it printed the line "qus-probe <platform>" (among at most 1 KiB of
 * output) and exited 0 within 5 s; a program still running then is killed
 * with its group. Leaves no descriptor, child or grandchild behind. */
bool probe_run(const struct probe *p);

/* The same for the N probes of LIST at once, under one 5 s deadline for
 * all: RAN[i] tells for LIST[i]. */
void probe_run_all(const struct probe *list, size_t n, bool *ran);

/* Whether the embedded probes[I] ran. All embedded probes run together,
 * once, the first time any is asked for. */
bool probe_ran(size_t i);

/* The platforms this machine runs natively: uname's ("linux/amd64"), on
 * x86_64 "linux/amd64/v2" ... as the CPU has them, then those of the
 * host's family whose probe runs (linux/386 on x86_64, linux/arm/v7 and
 * v6 on arm64 with 32-bit support). Writes up to MAX distinct names into
 * OUT; returns how many. */
size_t probe_native_platforms(const char **out, size_t max);

#endif
