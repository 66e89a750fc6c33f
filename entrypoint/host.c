#include "host.h"

#include <stddef.h>
#include <sys/utsname.h>

/* QEMU 10's qemu_normalize(): the ARCH_QEMU rows of targets.c's table. */
const char *host_normalize(const char *name)
{
	const struct arch_name *a = target_arch_name(name, ARCH_QEMU);

	return a != NULL ? a->target : name;
}

const struct target *host_detect(const char *host_arch, const char **name_out)
{
	static struct utsname uts;
	const char *raw = host_arch;

	if (raw == NULL) {
		if (uname(&uts) != 0)
			uts.machine[0] = '\0';
		raw = uts.machine;
	}
	*name_out = raw;
	return target_by_name(host_normalize(raw));
}
