#include "host.h"

#include <stddef.h>
#include <string.h>
#include <sys/utsname.h>

#include "glob.h"

/* QEMU 10's qemu_normalize(), pattern for pattern. */
static const struct {
	const char *pattern;
	const char *target;
} aliases[] = {
	{ "i[3-6]86", "i386" },
	{ "amd64", "x86_64" },
	{ "powerpc", "ppc" },
	{ "ppc64el", "ppc64le" },
	{ "armel", "arm" },
	{ "armhf", "arm" },
	{ "armv[4-9]*l", "arm" },
	{ "armv[4-9]*b", "armeb" },
	{ "arm64", "aarch64" },
};

const char *host_normalize(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (glob_match(aliases[i].pattern, name))
			return aliases[i].target;
	return name;
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
