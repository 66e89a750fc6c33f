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
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

/* The machine's initial mount namespace, known positively, never as "one
 * that is not mine": since Linux 6.18 nsfs gives it a fixed inode number
 * (MNT_NS_INIT_INO in the kernel's uapi nsfs.h; before, namespace inodes
 * start at 0xF0000000, so no other can have it); on any kernel it is the
 * namespace of kthreadd, PID 2 of the initial PID namespace (the only
 * process besides init whose parent is 0), a kernel thread whose
 * namespaces are the initial ones. */
#define PROC_MNT_INIT_INO 0xEFFFFFF8U
#define WALK_MAX 64  /* ancestors looked at, at most */

static int mount_ns_of(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, st);
}

static bool is_initial_mntns(const struct stat *st)
{
	static int known = -1;  /* kthreadd's namespace: -1 not looked at, 0 out of sight */
	static struct stat kthreadd;

	if ((unsigned long long)st->st_ino == PROC_MNT_INIT_INO)
		return true;
	if (known < 0)
		known = !hostns_in_pid_namespace() && parent_of(2) == 0 &&
			mount_ns_of(2, &kthreadd) == 0;
	return known == 1 && st->st_ino == kthreadd.st_ino && st->st_dev == kthreadd.st_dev;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Whether the process behind PIDFD is still running: its pidfd becomes
 * readable when it exits. While it runs, its PID is its own. */
static bool still_running(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

static void name_of(pid_t pid, char *comm, size_t size)
{
	char path[64];
	struct line_reader f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	comm[0] = '\0';
	if (line_reader_open(&f, path) != 0)
		return;
	if (line_reader_next(&f, comm, size))
		comm[strcspn(comm, "\n")] = '\0';
	line_reader_close(&f);
}

/* Look at ancestor PID, the parent of the process behind CHILD_FD (this
 * process when -1): take its pidfd first, check that it is still that
 * parent, read its mount namespace, and check that it still runs, so that
 * what was read is its own and not a later process's that got its PID.
 * Returns its pidfd, or -1 (raced, or out of reach). */
static int look_at(pid_t pid, pid_t child, int child_fd, struct stat *ns)
{
	int fd = pidfd_of(pid);

	if (fd < 0)
		return -1;
	if ((child_fd < 0 ? getppid() : parent_of(child)) != pid ||
	    (child_fd >= 0 && !still_running(child_fd)) || mount_ns_of(pid, ns) != 0 ||
	    !still_running(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

enum hostns_where hostns_find_host(struct hostns_host *h)
{
	struct stat ns;
	pid_t child = 0;
	int child_fd = -1;

	memset(h, 0, sizeof(*h));
	h->pidfd = -1;
	if (stat("/proc/self/ns/mnt", &ns) == 0 && is_initial_mntns(&ns))
		return HOSTNS_HERE;
	/* PID 1 is the machine's own init (or a container's): never looked at. */
	pid_t pid = getppid();

	for (int hops = 0; pid > 1 && hops < WALK_MAX; hops++, pid = parent_of(pid)) {
		int fd = look_at(pid, child, child_fd, &ns);

		if (child_fd >= 0)
			close(child_fd);
		child_fd = fd;
		child = pid;
		if (fd < 0) {
			snprintf(h->why, sizeof(h->why), "process %d, above this one, could not "
				 "be looked at (it ended, or may not be seen from here)", (int)pid);
			return HOSTNS_OUT_OF_REACH;
		}
		if (is_initial_mntns(&ns)) {
			h->pid = pid;
			h->pidfd = fd;
			h->mntns = (unsigned long long)ns.st_ino;
			name_of(pid, h->comm, sizeof(h->comm));
			return HOSTNS_ABOVE;
		}
	}
	if (child_fd >= 0)
		close(child_fd);
	snprintf(h->why, sizeof(h->why), hostns_in_pid_namespace()
		 ? "this process runs in a PID namespace of its own (no --pid=host), where "
		   "the host's processes cannot be seen"
		 : "no process above this one runs in the machine's initial mount namespace");
	return HOSTNS_OUT_OF_REACH;
}

void hostns_host_release(struct hostns_host *h)
{
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
}

/* What the child that goes to the host's namespace says, as its exit status. */
enum trip { TRIP_KEPT = 10, TRIP_MOUNTED, TRIP_NOT_HOST, TRIP_FAILED };

/* In the child: enter the host's mount namespace through its pidfd (Linux
 * >= 5.8; the entries need this only from 6.7 on), check that it is the
 * initial one, and mount binfmt_misc at PATH unless it is there. ERRFD
 * gets the errno of a failure. Never returns. */
_Noreturn static void trip(const struct hostns_host *h, const char *path, int errfd)
{
	struct stat ns;
	enum trip result = TRIP_KEPT;
	int e;

	if (setns(h->pidfd, CLONE_NEWNS) != 0)
		result = TRIP_FAILED;
	else if (stat("/proc/self/ns/mnt", &ns) != 0 || !is_initial_mntns(&ns))
		result = TRIP_NOT_HOST;
	else if (!binfmt_mounted_at(path))
		result = mount("binfmt_misc", path, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			       NULL) == 0 ? TRIP_MOUNTED : TRIP_FAILED;
	e = errno;
	if (result == TRIP_FAILED && write(errfd, &e, sizeof(e)) < 0)
		_exit(result);
	_exit(result);
}

/* Go to the host's mount namespace in a child that lives only for that:
 * entering a mount namespace resets the root and the working folder to
 * that namespace's, and this process, maybe in a chroot, keeps both. */
static enum hostns_result mount_through_child(const struct hostns_host *h, const char *path,
					      struct error *err)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction saved;
	int status = 0;
	int e = 0;
	int fds[2] = { -1, -1 };
	pid_t pid = -1;

	/* Our child stays ours to reap, whatever SIGCHLD was set to. */
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &saved);
	if (pipe2(fds, O_CLOEXEC) == 0)
		pid = fork();
	if (pid == 0) {
		close(fds[0]);
		trip(h, path, fds[1]);
	}
	e = errno;
	close(fds[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && read(fds[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
		e = 0;
	close(fds[0]);
	sigaction(SIGCHLD, &saved, NULL);
	status = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : TRIP_FAILED;
	if (status == TRIP_KEPT || status == TRIP_MOUNTED)
		return status == TRIP_KEPT ? HOSTNS_KEPT : HOSTNS_MOUNTED;
	error_set(err, status == TRIP_NOT_HOST ? 0 : e, "%s binfmt_misc at %s in the host's "
		  "mount namespace, through process %d", status == TRIP_NOT_HOST
		  ? "did not mount (that namespace was not the machine's initial one)"
		  : "cannot mount", path, (int)h->pid);
	return HOSTNS_FAILED;
}

enum hostns_result hostns_keep_host_mount(const char *path, struct hostns_host *h,
					  struct error *err)
{
	switch (hostns_find_host(h)) {
	case HOSTNS_HERE:
		return HOSTNS_SAME;
	case HOSTNS_OUT_OF_REACH:
		return HOSTNS_UNREACHABLE;
	case HOSTNS_ABOVE:
		break;
	}
	return mount_through_child(h, path, err);
}

/* The field N places after P's, in a line of space-separated fields. */
static const char *skip_fields(const char *p, int n)
{
	while (n-- > 0 && p != NULL) {
		p = strchr(p, ' ');
		p = p != NULL ? p + 1 : NULL;
	}
	return p;
}

static bool field_is(const char *p, const char *word)
{
	size_t len = strlen(word);

	return p != NULL && strncmp(p, word, len) == 0 && (p[len] == ' ' || p[len] == '\n');
}

struct hostns_mounts hostns_read_mounts(pid_t pid, dev_t dev)
{
	struct hostns_mounts m = { 0 };
	char path[64];
	char line[1024];
	struct line_reader f;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	else
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if (line_reader_open(&f, path) != 0)
		return m;
	m.readable = true;
	/* "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS... - TYPE SOURCE ..." */
	while (line_reader_next(&f, line, sizeof(line))) {
		const char *dash = line_find(line, " - ");
		const char *type = dash != NULL ? dash + 3 : NULL;
		const char *device = skip_fields(line, 2);
		unsigned long long major = 0;
		unsigned long long minor = 0;
		const char *end = device != NULL ? line_decimal(device, &major) : NULL;

		if (end != NULL && *end == ':')
			line_decimal(end + 1, &minor);

		if (field_is(type, "binfmt_misc")) {
			m.mounted = true;
			m.same_sb |= makedev((unsigned)major, (unsigned)minor) == dev;
		}
		m.automount |= field_is(type, "autofs") &&
			       field_is(skip_fields(line, 4), "/proc/sys/fs/binfmt_misc");
	}
	line_reader_close(&f);
	return m;
}
