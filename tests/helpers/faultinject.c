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
 *   QUS_FAULT_TIMES=N               ... only the first N such registrations
 *   QUS_FAULT_REMOVE=ERRNO          a write to an entry (a removal) fails
 *   QUS_FAULT_STATFS_AFTER=N        from the N-th fstatfs of a binfmt_misc
 *                                   descriptor on, it reports tmpfs: the
 *                                   mount was replaced under the program
 *
 * And, for tests/hostns.bats, namespaces that seem to be the machine's own
 * (stat and fstat of namespace files, as seen by the program):
 *
 *   QUS_FAKE_INITIAL_USERNS=1       /proc/self/ns/user is the initial user
 *                                   namespace (inode 0xEFFFFFFD)
 *   QUS_FAKE_INITIAL_MNTNS=INODE    the mount namespace of that inode is the
 *                                   machine's initial one (0xEFFFFFF8); the
 *                                   real initial one is not, and kthreadd
 *                                   (/proc/2) is out of sight
 *
 * Built by mk/reliability.mk as build/faultinject/faultinject.so.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Whether the register string BUF (":NAME:...") registers QUS_FAULT_ONLY,
 * within the first QUS_FAULT_TIMES of those. */
static int is_chosen(const char *buf, size_t len)
{
	static long seen;
	const char *only = getenv("QUS_FAULT_ONLY");
	const char *times = getenv("QUS_FAULT_TIMES");

	if (only != NULL) {
		size_t n = strlen(only);
		if (len <= n + 1 || buf[0] != ':' || memcmp(buf + 1, only, n) != 0 ||
		    buf[n + 1] != ':')
			return 0;
	}
	return times == NULL || ++seen <= strtol(times, NULL, 10);
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

/* ----- namespaces that seem to be the machine's own ----- */

#define USER_NS_INIT_INO 0xEFFFFFFDULL
#define MNT_NS_INIT_INO 0xEFFFFFF8ULL

typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);

static int real_stat(const char *path, struct stat *st)
{
	static stat_fn next;

	if (next == NULL)
		next = (stat_fn)dlsym(RTLD_NEXT, "stat");
	return next(path, st);
}

static int real_fstat(int fd, struct stat *st)
{
	static fstat_fn next;

	if (next == NULL)
		next = (fstat_fn)dlsym(RTLD_NEXT, "fstat");
	return next(fd, st);
}

/* Rewrite the inode of a mount namespace file as QUS_FAKE_INITIAL_MNTNS says. */
static void fake_mntns(struct stat *st)
{
	const char *fake = getenv("QUS_FAKE_INITIAL_MNTNS");
	static dev_t nsfs;
	struct stat own;

	if (fake == NULL)
		return;
	if (nsfs == 0 && real_stat("/proc/self/ns/mnt", &own) == 0)
		nsfs = own.st_dev;
	if (st->st_dev != nsfs)
		return;
	if ((unsigned long long)st->st_ino == strtoull(fake, NULL, 10))
		st->st_ino = MNT_NS_INIT_INO;
	else if ((unsigned long long)st->st_ino == MNT_NS_INIT_INO)
		st->st_ino = MNT_NS_INIT_INO - 0x100;
}

/* NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name) */
int stat(const char *path, struct stat *st)
{
	int r;

	if (getenv("QUS_FAKE_INITIAL_MNTNS") != NULL && strncmp(path, "/proc/2/", 8) == 0) {
		errno = ENOENT;
		return -1;
	}
	r = real_stat(path, st);
	if (r != 0)
		return r;
	if (getenv("QUS_FAKE_INITIAL_USERNS") != NULL && strcmp(path, "/proc/self/ns/user") == 0)
		st->st_ino = USER_NS_INIT_INO;
	fake_mntns(st);
	return 0;
}

/* NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name) */
int fstat(int fd, struct stat *st)
{
	int r = real_fstat(fd, st);

	if (r == 0)
		fake_mntns(st);
	return r;
}
