/*
 * Since Linux 6.7 the entries of the host's binfmt_misc instance live only
 * as long as some mount of it exists. A privileged container never finds
 * binfmt_misc mounted (a fresh procfs), so `register` mounts it itself; when
 * the host keeps no mount of its own, every entry vanishes as the container
 * exits. When the host's mount namespace is reachable, a mount made there
 * keeps them.
 */
#include "hostns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "binfmt.h"
#include "error.h"
#include "lines.h"

/* The initial namespaces have fixed inode numbers (PROC_USER_INIT_INO and
 * PROC_PID_INIT_INO in the kernel's proc_ns.h, stable since Linux 3.8). A
 * container's own procfs cannot tell its PID namespace from the host's by
 * NSpid, but the inode of /proc/self/ns/pid tells it. */
#define PROC_USER_INIT_INO 0xEFFFFFFDU
#define PROC_PID_INIT_INO 0xEFFFFFFCU

static bool namespace_is(const char *path, unsigned long long inode)
{
	struct stat st;

	return stat(path, &st) == 0 && (unsigned long long)st.st_ino == inode;
}

bool hostns_in_user_namespace(void)
{
	return !namespace_is("/proc/self/ns/user", PROC_USER_INIT_INO);
}

bool hostns_in_pid_namespace(void)
{
	return !namespace_is("/proc/self/ns/pid", PROC_PID_INIT_INO);
}

/* Read N whitespace-separated decimal numbers from S. Returns how many. */
static int read_numbers(const char *s, unsigned long long *out, int n)
{
	int got = 0;

	while (got < n) {
		const char *end;

		s += strspn(s, " \t");
		end = line_decimal(s, &out[got]);
		if (end == NULL)
			break;
		got++;
		s = end;
	}
	return got;
}

bool hostns_kernel_at_least(int major, int minor)
{
	struct utsname u;
	char *dot;
	unsigned long long kmajor;
	unsigned long long kminor;

	if (uname(&u) != 0 || read_numbers(u.release, &kmajor, 1) != 1)
		return false;
	dot = strchr(u.release, '.');
	if (dot == NULL || read_numbers(dot + 1, &kminor, 1) != 1)
		return false;
	return kmajor > (unsigned long long)major ||
	       (kmajor == (unsigned long long)major && kminor >= (unsigned long long)minor);
}

static pid_t parent_of(pid_t pid)
{
	char path[64];
	char line[256];
	unsigned long long ppid = 0;
	pid_t result = -1;
	struct line_reader f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (line_reader_open(&f, path) != 0)
		return -1;
	while (line_reader_next(&f, line, sizeof(line))) {
		if (strncmp(line, "PPid:", 5) == 0) {
			if (read_numbers(line + 5, &ppid, 1) == 1)
				result = (pid_t)ppid;
			break;
		}
	}
	line_reader_close(&f);
	return result;
}

static int mount_ns_id(pid_t pid, struct stat *st)
{
	char path[64];

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/ns/mnt");
	else
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, st);
}

/* The walk stops before PID 1: that is the machine's own init, never to be
 * touched. */
pid_t hostns_outer_ancestor(void)
{
	struct stat self;
	struct stat other;

	if (mount_ns_id(0, &self) != 0)
		return 0;
	for (pid_t pid = getppid(); pid > 1; pid = parent_of(pid)) {
		if (mount_ns_id(pid, &other) != 0)
			return 0;
		if (other.st_ino != self.st_ino || other.st_dev != self.st_dev)
			return pid;
	}
	return 0;
}

/* In the other namespace: mount binfmt_misc at PATH unless it is there. */
static enum hostns_result mount_in(int nsfd, int selffd, const char *path, struct error *err)
{
	enum hostns_result result = HOSTNS_KEPT;

	if (setns(nsfd, CLONE_NEWNS) != 0) {
		error_set(err, errno, "cannot enter the host's mount namespace");
		return HOSTNS_FAILED;
	}
	if (!binfmt_mounted_at(path)) {
		if (mount("binfmt_misc", path, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) == 0) {
			result = HOSTNS_MOUNTED;
		} else {
			error_set(err, errno, "cannot mount binfmt_misc at %s in the host's "
				  "mount namespace", path);
			result = HOSTNS_FAILED;
		}
	}
	/* Back home: without this the rest would run in the host's namespace. */
	if (setns(selffd, CLONE_NEWNS) != 0) {
		error_set(err, errno, "cannot return to this container's mount namespace");
		/* Nothing below may run in the wrong namespace. */
		_exit(3);
	}
	return result;
}

enum hostns_result hostns_keep_host_mount(const char *path, pid_t *via, struct error *err)
{
	char nspath[64];
	pid_t outer = hostns_outer_ancestor();
	int nsfd;
	int selffd;
	enum hostns_result result;

	*via = outer;
	if (outer == 0)
		return hostns_in_pid_namespace() ? HOSTNS_UNREACHABLE : HOSTNS_SAME;
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", (int)outer);
	nsfd = openat(AT_FDCWD, nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		error_set(err, errno, "cannot open %s", nspath);
		return HOSTNS_FAILED;
	}
	selffd = openat(AT_FDCWD, "/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (selffd < 0) {
		error_set(err, errno, "cannot open /proc/self/ns/mnt");
		close(nsfd);
		return HOSTNS_FAILED;
	}
	result = mount_in(nsfd, selffd, path, err);
	close(selffd);
	close(nsfd);
	return result;
}
