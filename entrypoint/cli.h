/* The command line: options, their validation, the usage text. */
#ifndef QUS_CLI_H
#define QUS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

#define CLI_MAX_NAMED 64

/* The environment variables the program reads, passed in so that parsing
 * stays a pure function of its inputs. NULL means unset. */
struct environment {
	const char *qemu_bin_dir;  /* QEMU_BIN_DIR */
	const char *qemu_suffix;   /* QEMU_SUFFIX */
	const char *host_arch;     /* HOST_ARCH */
};

/* What the run is for; the options decide it. */
enum mode {
	MODE_STATUS_JSON,   /* no option asks for a change: the JSON status */
	MODE_STATUS_TABLE,  /* --status: the same, for people */
	MODE_REGISTER,      /* multiarch / QEMU script style: --reset -p yes ... */
	MODE_INSTALL,       /* tonistiigi/binfmt style: --install / --uninstall */
	MODE_EXPORT,        /* -s / -d: write binfmt.d or update-binfmts files */
	MODE_DRY_RUN,       /* --dry-run: print the register strings */
	MODE_DOCTOR,        /* --doctor [PROGRAM] */
};

struct options {
	enum mode mode;
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
	const char *install;       /* --install LIST|all, or NULL */
	const char *uninstall;     /* --uninstall LIST, or NULL */
	bool status_table;         /* --status */
	const char *systemd;       /* -s CPU|ALL, or NULL */
	bool debian;               /* -d */
	const char *exportdir;     /* -e DIR, or NULL for the format's default */
	unsigned watch_seconds;    /* --watch N; 0: do not watch */
	bool doctor;               /* --doctor; named[0] is the PROGRAM, if any */
	bool json;                 /* --json */
	bool verbose;              /* --verbose: the routine notes too */
	/* Which of -p, -c, -g were given: --install has other defaults. */
	bool persistent_set;
	bool credential_set;
	bool preserve_argv0_set;
};

/* Fill O from ARGV and ENV. On a usage error returns -1 with ERR (its
 * message without the program name); 0 otherwise. */
int cli_parse(int argc, char *const argv[], const struct environment *env,
	      struct options *o, struct error *err);

void cli_usage(FILE *out);

#endif
