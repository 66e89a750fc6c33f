/*
 * Fault injection for tests/faults.bats: an LD_PRELOAD library for the
 * glibc build of register (build/valgrind/register), which makes the kernel
 * seem to answer what a test needs, on binfmt_misc only (every other write
 * and fstatfs passes through untouched). Environment:
 *
 *   QUS_FAULT_REGISTER=ERRNO|short  a write to binfmt_misc's `register`
 *                                   fails with ERRNO (EINVAL, ENAMETOOLONG,
 *                                   ENOENT, EACCES, EEXIST, EIO, EPERM,
 *                                   ENOSPC), or writes one byte less
 *   QUS_FAULT_ONLY=NAME             ... only the registration of entry NAME
 *   QUS_FAULT_REMOVE=ERRNO          a write to an entry (a removal) fails
 *   QUS_FAULT_STATFS_AFTER=N        from the N-th fstatfs of a binfmt_misc
 *                                   descriptor on, it reports tmpfs: the
 *                                   mount was replaced under the program
 *
 * Built by mk/reliability.mk as build/faultinject/faultinject.so.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#define BINFMT_MAGIC 0x42494e4d
#define TMPFS_MAGIC 0x01021994

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EINVAL", EINVAL }, { "ENAMETOOLONG", ENAMETOOLONG }, { "ENOENT", ENOENT },
	{ "EACCES", EACCES }, { "EEXIST", EEXIST },             { "EIO", EIO },
	{ "EPERM", EPERM },   { "ENOSPC", ENOSPC },
};

/* The errno named by the environment variable VAR; 0 when unset, -1 for
 * "short". */
static int wanted(const char *var)
{
	const char *v = getenv(var);

	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "short") == 0)
		return -1;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(errnos[i].name, v) == 0)
			return errnos[i].value;
	fprintf(stderr, "faultinject: unknown %s=%s\n", var, v);
	abort();
}

typedef int (*fstatfs_fn)(int, struct statfs *);
typedef ssize_t (*write_fn)(int, const void *, size_t);

static int real_fstatfs(int fd, struct statfs *buf)
{
	static fstatfs_fn next;

	if (next == NULL)
		next = (fstatfs_fn)dlsym(RTLD_NEXT, "fstatfs");
	return next(fd, buf);
}

static int on_binfmt_misc(int fd)
{
	struct statfs s;

	return real_fstatfs(fd, &s) == 0 && s.f_type == BINFMT_MAGIC;
}

/* The file name FD was opened as, "" when unknown. */
static void name_of(int fd, char *out, size_t size)
{
	char proc[64];
	char target[4096];
	ssize_t n;
	const char *slash;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	slash = strrchr(target, '/');
	snprintf(out, size, "%s", slash != NULL ? slash + 1 : target);
}

/* Whether the register string BUF (":NAME:...") registers QUS_FAULT_ONLY. */
static int is_chosen(const char *buf, size_t len)
{
	const char *only = getenv("QUS_FAULT_ONLY");
	size_t n;

	if (only == NULL)
		return 1;
	n = strlen(only);
	return len > n + 1 && buf[0] == ':' && memcmp(buf + 1, only, n) == 0 && buf[n + 1] == ':';
}

/* NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name) */
ssize_t write(int fd, const void *buf, size_t len)
{
	static write_fn next;
	char name[256];
	int e;

	if (next == NULL)
		next = (write_fn)dlsym(RTLD_NEXT, "write");
	if (fd <= 2 || !on_binfmt_misc(fd))
		return next(fd, buf, len);
	name_of(fd, name, sizeof(name));
	if (strcmp(name, "register") == 0) {
		e = wanted("QUS_FAULT_REGISTER");
		if (e == -1 && len > 1 && is_chosen(buf, len))
			return next(fd, buf, len - 1);
		if (e > 0 && is_chosen(buf, len)) {
			errno = e;
			return -1;
		}
	} else if (strcmp(name, "status") != 0) {
		e = wanted("QUS_FAULT_REMOVE");
		if (e > 0) {
			errno = e;
			return -1;
		}
	}
	return next(fd, buf, len);
}

/* NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name) */
int fstatfs(int fd, struct statfs *buf)
{
	static long calls;
	const char *after = getenv("QUS_FAULT_STATFS_AFTER");
	int r = real_fstatfs(fd, buf);

	if (r == 0 && after != NULL && buf->f_type == BINFMT_MAGIC &&
	    ++calls >= strtol(after, NULL, 10))
		buf->f_type = TMPFS_MAGIC;
	return r;
}
