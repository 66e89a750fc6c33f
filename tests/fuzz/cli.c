/*
 * libFuzzer harness: the command line. The input is split at NUL bytes into
 * arguments; its first byte says which of QEMU_BIN_DIR, QEMU_SUFFIX and
 * HOST_ARCH are set (bits 0, 1, 2), and the first arguments give their
 * values. Whatever cli_parse accepts then goes through host detection and
 * plan_build, which turn the options into register strings: those must
 * stay within the kernel's limits and hold no injected field or line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../entrypoint/cli.h"
#include "../../entrypoint/host.h"
#include "../../entrypoint/plan.h"
#include "args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plan plan;

/* A register string is ":name:M::magic:mask:interpreter:flags": seven
 * colons, no newline, at most 1920 bytes. Anything else would let a path
 * or suffix add fields or a second registration. */
static void check_line(const struct plan_item *item)
{
	size_t colons = 0;

	if (item->line_len != strlen(item->line) || item->line_len > BINFMT_REGISTER_MAX)
		abort();
	if (memchr(item->line, '\n', item->line_len) != NULL)
		abort();
	for (size_t i = 0; i < item->line_len; i++)
		colons += item->line[i] == ':';
	if (colons != 7)
		abort();
	if (strncmp(item->line + 1, item->entry_name, strlen(item->entry_name)) != 0)
		abort();
}

static void check_plan(const struct options *o)
{
	struct error err;
	const char *host_name = NULL;
	const struct target *host = host_detect(o->host_arch, &host_name);

	if (host == NULL)
		return;
	err.message[0] = '\0';
	if (plan_build(o, host, &plan, &err) != 0) {
		if (strnlen(err.message, sizeof(err.message)) >= sizeof(err.message) ||
		    err.message[0] == '\0')
			abort();
		return;
	}
	if (plan.count != TARGET_COUNT)
		abort();
	for (size_t i = 0; i < plan.count; i++)
		if (plan.items[i].action == PLAN_REGISTER)
			check_line(&plan.items[i]);
}

static void check_options(const struct options *o, int argc, const char *const argv[])
{
	if (o->mode > MODE_DOCTOR || o->named_count > CLI_MAX_NAMED)
		abort();
	if (o->qemu_path == NULL || o->qemu_path[0] != '/' || o->qemu_suffix == NULL ||
	    o->mount_dir == NULL || o->mount_dir[0] == '\0')
		abort();
	/* Every named target is one of the arguments, never a copy or a
	 * pointer into the middle of something else. */
	for (size_t i = 0; i < o->named_count; i++) {
		bool found = false;
		for (int a = 1; a < argc && !found; a++)
			found = o->named[i] == argv[a];
		if (!found)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_args a;
	struct options o;
	struct error err;

	if (fuzz_args_split(&a, data, size) != 0)
		return 0;
	err.message[0] = '\0';
	if (cli_parse(a.argc, a.argv, &a.env, &o, &err) != 0) {
		if (err.message[0] == '\0' ||
		    strnlen(err.message, sizeof(err.message)) >= sizeof(err.message))
			abort();
	} else {
		check_options(&o, a.argc, (const char *const *)a.argv);
		check_plan(&o);
	}
	free(a.copy);
	return 0;
}
