/*
 * libFuzzer harness: every lookup of a name a user or the machine gives:
 * target_by_name (QEMU names), target_lookup (arch names and platforms),
 * host_normalize and host_detect (uname -m, HOST_ARCH), and target_matches
 * on the same bytes read as the head of a program.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../entrypoint/host.h"
#include "../../entrypoint/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_target(const struct target *t)
{
	return t >= targets && t < targets + TARGET_COUNT;
}

/* The kernel's rule (fs/binfmt_misc.c, check_file): every byte equal under
 * the mask, within the bytes it read. */
static bool kernel_matches(const struct target *t, const uint8_t *head, size_t len)
{
	if (len < t->magic_len)
		return false;
	for (size_t i = 0; i < t->magic_len; i++) {
		unsigned char m = t->mask_len != 0 ? t->mask[i] : 0xff;
		if ((head[i] ^ t->magic[i]) & m)
			return false;
	}
	return true;
}

static void check_names(const char *name)
{
	const struct target *t = target_by_name(name);
	const char *normal = host_normalize(name);
	const char *raw = NULL;
	const struct target *h = host_detect(name, &raw);

	if (t != NULL && (!is_target(t) || strcmp(t->name, name) != 0))
		abort();
	/* Either unchanged, or one of QEMU's names. */
	if (normal != name && target_by_name(normal) == NULL)
		abort();
	if (raw != name || (h != NULL && h != target_by_name(normal)))
		abort();
	/* A QEMU name means its own target, whatever else it could mean. */
	const struct target *l = target_lookup(name);
	if ((l != NULL && !is_target(l)) || (t != NULL && l != t))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);

	if (name == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	check_names(name);
	for (size_t i = 0; i < target_count; i++)
		if (target_matches(&targets[i], data, size) != kernel_matches(&targets[i], data, size))
			abort();
	free(name);
	return 0;
}
