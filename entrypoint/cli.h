/* The command line: options, their validation, the usage text. */
#ifndef QUS_CLI_H
#define QUS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_NAMED 64

/* The environment variables the program reads, passed in so that parsing
 * stays a pure function of its inputs. NULL means unset. */
struct environment {
	const char *qemu_bin_dir;  /* QEMU_BIN_DIR */
	const char *qemu_suffix;   /* QEMU_SUFFIX */
	const char *host_arch;     /* HOST_ARCH */
};

struct options {
	bool help;
	bool version;
	bool dry_run;
	bool reset;
	bool persistent;       /* flag F */
	bool credential;       /* flags O and C */
	bool preserve_argv0;   /* flag P */
	bool ignore_family;
	/* In a user namespace, a binfmt_misc mounted here is a private instance
	 * that serves nobody else: only with this is that what the user wants. */
	bool private_instance;
	/* Some option or target on the line asks to register; without one the
	 * program only reports what the kernel holds. */
	bool wants_registration;
	const char *qemu_path;
	const char *qemu_suffix;
	const char *mount_dir;
	const char *host_arch;
	const char *named[CLI_MAX_NAMED];  /* targets named on the line */
	size_t named_count;
};

/* Fill O from ARGV and ENV. On a usage error returns -1 with a message in
 * ERR (without the program name); 0 otherwise. */
int cli_parse(int argc, char *const argv[], const struct environment *env,
	      struct options *o, char *err, size_t errlen);

void cli_usage(FILE *out);

#endif
