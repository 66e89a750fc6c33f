/*
 * The command line a fuzzer input stands for, shared by the harnesses that
 * drive cli_parse: the first byte says which of QEMU_BIN_DIR, QEMU_SUFFIX
 * and HOST_ARCH are set, then NUL-separated strings give those values and
 * then argv[1...]. argv[0] is "register".
 */
#ifndef QUS_FUZZ_ARGS_H
#define QUS_FUZZ_ARGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../entrypoint/cli.h"

#define MAX_ARGS 96

struct fuzz_args {
	char *copy;                 /* the input, NUL-terminated; free() it */
	char *argv[MAX_ARGS + 1];
	int argc;
	struct environment env;
};

/* Returns 0, or -1 when the input is empty or memory runs out. */
static inline int fuzz_args_split(struct fuzz_args *a, const uint8_t *data, size_t size)
{
	const char *envval[3] = { NULL, NULL, NULL };
	size_t pos = 1;

	if (size == 0)
		return -1;
	a->copy = malloc(size + 1);
	if (a->copy == NULL)
		return -1;
	memcpy(a->copy, data, size);
	a->copy[size] = '\0';
	a->argc = 0;
	a->argv[a->argc++] = "register";
	for (unsigned v = 0; v < 3; v++) {
		if (!(data[0] & (1U << v)) || pos > size)
			continue;
		envval[v] = a->copy + pos;
		pos += strlen(a->copy + pos) + 1;
	}
	while (pos <= size && a->argc < MAX_ARGS) {
		a->argv[a->argc++] = a->copy + pos;
		pos += strlen(a->copy + pos) + 1;
	}
	a->argv[a->argc] = NULL;
	a->env.qemu_bin_dir = envval[0];
	a->env.qemu_suffix = envval[1];
	a->env.host_arch = envval[2];
	return 0;
}

#endif
