/* Where this process runs: host, container, user namespace; and keeping the
 * host's binfmt_misc mounted so that entries outlive a container. */
#ifndef QUS_HOSTNS_H
#define QUS_HOSTNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Whether this process is in a user namespace other than the initial one
 * (a rootless container): binfmt_misc mounted there is a private instance. */
bool hostns_in_user_namespace(void);

/* Whether this process is in a PID namespace other than the initial one
 * (a container started without --pid=host). */
bool hostns_in_pid_namespace(void);

/* Whether the running kernel is at least MAJOR.MINOR. */
bool hostns_kernel_at_least(int major, int minor);

/* The host's mount namespace, as register finds it: the machine's initial
 * mount namespace, known positively (its fixed nsfs inode since Linux 6.18,
 * else kthreadd's), in which the nearest ancestor of this process runs
 * (with --pid=host, the container engine's shim). PID 1 is never looked at. */
struct hostns_host {
	pid_t pid;                 /* that ancestor; 0 when none */
	int pidfd;                 /* its pidfd, so that its PID cannot be reused */
	char comm[32];             /* its name, for the messages */
	unsigned long long mntns;  /* the namespace's inode: mnt:[N] */
	char why[192];             /* HOSTNS_OUT_OF_REACH: why */
};

enum hostns_where {
	HOSTNS_HERE,          /* this process runs in it */
	HOSTNS_ABOVE,         /* an ancestor does: H->pid */
	HOSTNS_OUT_OF_REACH,  /* neither: H->why says why */
};

/* Find it; only looks. Release H afterwards. */
enum hostns_where hostns_find_host(struct hostns_host *h);

void hostns_host_release(struct hostns_host *h);

enum hostns_result {
	HOSTNS_SAME,          /* this process already runs in the host's mount namespace */
	HOSTNS_UNREACHABLE,   /* the host's namespace is out of reach: H->why */
	HOSTNS_KEPT,          /* the host already had binfmt_misc mounted */
	HOSTNS_MOUNTED,       /* mounted it there now */
	HOSTNS_FAILED,        /* reachable, but mounting failed: ERR says why */
};

/* Make sure binfmt_misc is mounted at PATH in the host's mount namespace
 * (hostns_find_host). The mount is made by a child that exists only for it:
 * this process keeps its own namespace, root and working folder (a chroot
 * stays a chroot). H says which namespace, through which process; release
 * it afterwards. */
enum hostns_result hostns_keep_host_mount(const char *path, struct hostns_host *h,
					  struct error *err);

/* What /proc/PID/mountinfo (PID 0: this process's) says about binfmt_misc. */
struct hostns_mounts {
	bool readable;
	bool mounted;      /* a binfmt_misc mount, anywhere */
	bool automount;    /* systemd's autofs at /proc/sys/fs/binfmt_misc */
	bool same_sb;      /* a binfmt_misc mount of the instance on device DEV */
};

struct hostns_mounts hostns_read_mounts(pid_t pid, dev_t dev);

#endif
