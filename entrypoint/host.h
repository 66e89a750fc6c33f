/* Which machine this is, in QEMU's words. */
#ifndef QUS_HOST_H
#define QUS_HOST_H

#include "targets.h"

/* The target this machine runs natively: HOST_ARCH when given (non-NULL),
 * else uname -m, normalised as QEMU's qemu-binfmt-conf.sh does (amd64 ->
 * x86_64, armhf -> arm, ...). NULL when the name is not a QEMU target; then
 * *name_out points at the name that was looked up. */
const struct target *host_detect(const char *host_arch, const char **name_out);

/* Normalise a CPU name (uname -m or a Debian architecture) into a QEMU
 * target name. Returns NAME itself or a static string. */
const char *host_normalize(const char *name);

#endif
