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
 * /dev/null and an empty environment. True when it printed the line
 * "qus-probe <platform>" and exited 0 within 5 s; a program still running
 * then is killed. Leaves no descriptor or child behind. */
bool probe_run(const struct probe *p);

/* The platforms this machine runs natively: uname's ("linux/amd64"), on
 * x86_64 "linux/amd64/v2" ... as the CPU has them, then those of the
 * host's family whose probe runs (linux/386 on x86_64, linux/arm/v7 and
 * v6 on arm64 with 32-bit support). Writes up to MAX distinct names into
 * OUT; returns how many. */
size_t probe_native_platforms(const char **out, size_t max);

#endif
