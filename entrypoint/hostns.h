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

/* The nearest ancestor in another mount namespace (with --pid=host, the
 * container engine's shim: the host's namespace), or 0 when there is none
 * in reach. Only looks. */
pid_t hostns_outer_ancestor(void);

enum hostns_result {
	HOSTNS_SAME,          /* this process already runs in the host's mount namespace */
	HOSTNS_UNREACHABLE,   /* in a container, and the host's namespace is out of reach */
	HOSTNS_KEPT,          /* the host already had binfmt_misc mounted */
	HOSTNS_MOUNTED,       /* mounted it there now */
	HOSTNS_FAILED,        /* reachable, but mounting failed: ERR says why */
};

/* Make sure binfmt_misc is mounted at PATH in the host's mount namespace,
 * found through the parent chain (the container engine's shim is this
 * container's parent when it runs with --pid=host); PID 1 is never looked
 * at. *VIA receives the PID of the process whose namespace was used. */
enum hostns_result hostns_keep_host_mount(const char *path, pid_t *via, struct error *err);

#endif
