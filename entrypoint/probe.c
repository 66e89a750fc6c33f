#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "spawn.h"
#include "targets.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* A probe prints one short line at once; an emulator that takes longer
 * than this hangs, and the platform counts as not running. All the probes
 * run at once, under this one deadline. */
#define PROBE_TIMEOUT_MS 5000
#define PROBE_LINE_MAX 64

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* The program, in an anonymous file: a FROM-scratch image has no /tmp,
 * and nothing is left behind. Close-on-exec like every fd here. MFD_EXEC
 * (Linux >= 6.3) keeps it executable where vm.memfd_noexec would seal
 * it; older kernels refuse the flag (EINVAL) and need none. */
static int program_fd(const struct probe *p)
{
	int fd = memfd_create("qus-probe", MFD_CLOEXEC | MFD_EXEC);
	size_t done = 0;

	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("qus-probe", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	while (done < p->size) {
		ssize_t n = write(fd, p->program + done, p->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}

/* Whether OUT (LEN bytes) holds LINE (ending in a newline) as one whole
 * line. Only the probe writes that line, but QEMU may write to the same
 * stdout: qemu-ppc64le 10.0 prints "Could not resolve /dev/fd/N" when it
 * cannot realpath() a program run from memory, as a probe is. */
static bool has_line(const char *out, size_t len, const char *line)
{
	size_t n = strlen(line);

	for (size_t at = 0; at + n <= len;) {
		const char *nl = memchr(out + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - out) + 1 : len;
		if (end - at == n && memcmp(out + at, line, n) == 0)
			return true;
		at = end;
	}
	return false;
}

/* Whether RUN shows that P ran: its line, then exit status 0, in time. */
static bool judge(const struct probe *p, const struct spawn *run)
{
	char expected[PROBE_LINE_MAX];
	int n = snprintf(expected, sizeof(expected), "qus-probe %s\n", p->platform);

	if (n < 0 || (size_t)n >= sizeof(expected))
		return false;
	return run->start_errno == 0 && run->exec_errno == 0 && !run->timed_out &&
	       !run->overflow && WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0 &&
	       has_line(run->output, run->len, expected);
}

void probe_run_all(const struct probe *list, size_t n, bool *ran)
{
	static char arg0[] = "qus-probe";
	static char *const argv[] = { arg0, NULL };
	static char *const envp[] = { NULL };  /* no QEMU_CPU or the like from ours */
	static struct spawn runs[SPAWN_MAX];
	struct spawn_request requests[SPAWN_MAX] = { 0 };
	size_t which[SPAWN_MAX];
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = i < SPAWN_MAX ? program_fd(&list[i]) : -1;

		ran[i] = false;
		if (fd < 0)
			continue;
		requests[count] = (struct spawn_request){ .fd = fd, .argv = argv, .envp = envp };
		which[count++] = i;
	}
	spawn_run(requests, runs, count, PROBE_TIMEOUT_MS);
	for (size_t k = 0; k < count; k++) {
		close(requests[k].fd);
		ran[which[k]] = judge(&list[which[k]], &runs[k]);
	}
}

bool probe_run(const struct probe *p)
{
	bool ran;

	probe_run_all(p, 1, &ran);
	return ran;
}

bool probe_ran(size_t i)
{
	static bool tried;
	static bool ran[SPAWN_MAX];

	if (!tried)
		probe_run_all(probes, probe_count < SPAWN_MAX ? probe_count : SPAWN_MAX, ran);
	tried = true;
	return i < probe_count && i < SPAWN_MAX && ran[i];
}

/* uname -m -> the OCI platform of programs built for this machine: the
 * ARCH_UNAME rows of targets.c's table. */
static const char *machine_platform(const char *machine)
{
	const struct arch_name *a = target_arch_name(machine, ARCH_UNAME);

	return a != NULL ? a->platform : NULL;
}

static bool listed(const char *const *out, size_t n, const char *platform)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i], platform) == 0)
			return true;
	return false;
}

/* Append PLATFORM to OUT unless it is there or OUT is full; the new count. */
static size_t add(const char **out, size_t n, size_t max, const char *platform)
{
	if (n < max && !listed(out, n, platform))
		out[n++] = platform;
	return n;
}

#if defined(__x86_64__) || defined(__i386__)
/* The x86-64 micro-architecture level (1-4) of this CPU, as the psABI
 * defines them; AVX and AVX-512 count only when the kernel saves their
 * registers (XCR0), as in Go's and glibc's checks. */
static int x86_level(void)
{
	unsigned a = 0;
	unsigned b = 0;
	unsigned d = 0;
	unsigned c1 = 0;   /* leaf 1, ECX */
	unsigned b7 = 0;   /* leaf 7 subleaf 0, EBX */
	unsigned c81 = 0;  /* leaf 0x80000001, ECX */
	unsigned xcr0 = 0; /* the register state the kernel saves */
	unsigned hi = 0;

	if (!__get_cpuid(1, &a, &b, &c1, &d))
		return 1;
	__get_cpuid_count(7, 0, &a, &b7, &hi, &d);
	__get_cpuid(0x80000001, &a, &b, &c81, &d);
	if (c1 & (1U << 27)) /* osxsave: XGETBV works */
		__asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));

	/* cx16 lahf_lm popcnt sse3 sse4_1 sse4_2 ssse3 */
	const unsigned v2_c1 = 1U << 13 | 1U << 23 | 1U << 0 | 1U << 19 | 1U << 20 | 1U << 9;
	/* avx f16c fma movbe osxsave; bmi1 avx2 bmi2; lzcnt; XMM and YMM state */
	const unsigned v3_c1 = 1U << 28 | 1U << 29 | 1U << 12 | 1U << 22 | 1U << 27;
	const unsigned v3_b7 = 1U << 3 | 1U << 5 | 1U << 8;
	/* avx512f avx512dq avx512cd avx512bw avx512vl; opmask and ZMM state */
	const unsigned v4_b7 = 1U << 16 | 1U << 17 | 1U << 28 | 1U << 30 | 1U << 31;

	if ((c1 & v2_c1) != v2_c1 || !(c81 & 1U))
		return 1;
	if ((c1 & v3_c1) != v3_c1 || (b7 & v3_b7) != v3_b7 || !(c81 & (1U << 5)) ||
	    (xcr0 & 0x6) != 0x6)
		return 2;
	if ((b7 & v4_b7) != v4_b7 || (xcr0 & 0xe6) != 0xe6)
		return 3;
	return 4;
}
#endif

static size_t add_x86_levels(const char **out, size_t n, size_t max)
{
#if defined(__x86_64__) || defined(__i386__)
	static const char *const levels[] = { "linux/amd64/v2", "linux/amd64/v3",
					      "linux/amd64/v4" };
	int level = x86_level();

	for (int i = 2; i <= level; i++)
		n = add(out, n, max, levels[i - 2]);
#else
	(void)out;
	(void)max;
#endif
	return n;
}

/* Platforms that this machine's kernel runs without an emulator: 386 on
 * x86_64, 32-bit ARM on arm64, when the kernel has that compat support.
 * Their probes are of the host's own family (no entry of ours serves
 * them), so running one tells. */
static size_t add_compat(const char **out, size_t n, size_t max, const char *family)
{
	for (size_t i = 0; i < probe_count; i++) {
		const struct target *t = target_by_name(probes[i].target);
		if (t != NULL && strcmp(t->family, family) == 0 &&
		    !listed(out, n, probes[i].platform) && probe_ran(i))
			n = add(out, n, max, probes[i].platform);
	}
	return n;
}

size_t probe_native_platforms(const char **out, size_t max)
{
	struct utsname uts;
	const char *platform;
	const struct target *host;
	size_t n = 0;

	if (uname(&uts) != 0)
		return 0;
	platform = machine_platform(uts.machine);
	if (platform == NULL)
		return 0;
	n = add(out, n, max, platform);
	if (strcmp(uts.machine, "x86_64") == 0)
		n = add_x86_levels(out, n, max);
	host = target_by_name(host_normalize(uts.machine));
	if (host != NULL)
		n = add_compat(out, n, max, host->family);
	return n;
}
