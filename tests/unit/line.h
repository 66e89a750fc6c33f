/* For the unit tests that start from a command line: cli_parse of
 * "register ARGS..." (ARGS NULL-terminated), as main() would call it. */
#ifndef QUS_UNIT_LINE_H
#define QUS_UNIT_LINE_H

#include "../../entrypoint/cli.h"
#include "../../entrypoint/error.h"

static inline int parse_line(const struct environment *env, const char *const *args,
			     struct options *o, struct error *err)
{
	char *argv[CLI_MAX_NAMED + 16];
	int argc = 0;

	argv[argc++] = (char *)"register";
	while (*args != NULL && argc < (int)(sizeof(argv) / sizeof(argv[0])) - 1)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	err->message[0] = '\0';
	return cli_parse(argc, argv, env, o, err);
}

#endif
