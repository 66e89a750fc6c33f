#include "cli.h"

#include <string.h>

#include "error.h"

#define DEFAULT_QEMU_PATH "/usr/bin"
#define DEFAULT_QEMU_SUFFIX "-static"
#define DEFAULT_MOUNT "/proc/sys/fs/binfmt_misc"

enum option_id {
	OPT_HELP,
	OPT_VERSION,
	OPT_DRY_RUN,
	OPT_RESET,
	OPT_PERSISTENT,
	OPT_CREDENTIAL,
	OPT_PRESERVE_ARGV0,
	OPT_IGNORE_FAMILY,
	OPT_QEMU_PATH,
	OPT_QEMU_SUFFIX,
	OPT_MOUNT,
	OPT_PRIVATE_INSTANCE,
	OPT_INSTALL,
	OPT_UNINSTALL,
	OPT_STATUS,
	OPT_SYSTEMD,
	OPT_DEBIAN,
	OPT_EXPORTDIR,
	OPT_WATCH,
	OPT_DOCTOR,
	OPT_JSON,
	OPT_VERBOSE,
};

struct option_spec {
	const char *long_name;
	char short_name;     /* 0: long form only */
	bool takes_value;
	bool registers;      /* asks for a change, so status mode is left */
	enum option_id id;
};

/* The spellings follow QEMU's qemu-binfmt-conf.sh and multiarch's /register,
 * which users' scripts already call. */
static const struct option_spec specs[] = {
	{ "help", 'h', false, false, OPT_HELP },
	{ "version", 0, false, false, OPT_VERSION },
	{ "dry-run", 0, false, true, OPT_DRY_RUN },
	{ "reset", 0, false, true, OPT_RESET },
	{ "persistent", 'p', true, true, OPT_PERSISTENT },
	{ "credential", 'c', true, true, OPT_CREDENTIAL },
	{ "preserve-argv0", 'g', true, true, OPT_PRESERVE_ARGV0 },
	{ "ignore-family", 'i', true, true, OPT_IGNORE_FAMILY },
	{ "qemu-path", 'Q', true, true, OPT_QEMU_PATH },
	{ "qemu-suffix", 'F', true, true, OPT_QEMU_SUFFIX },
	{ "mount", 0, true, false, OPT_MOUNT },
	{ "private-instance", 0, false, false, OPT_PRIVATE_INSTANCE },
	/* tonistiigi/binfmt's, which docker/setup-qemu-action calls. */
	{ "install", 0, true, true, OPT_INSTALL },
	{ "uninstall", 0, true, true, OPT_UNINSTALL },
	{ "status", 0, false, false, OPT_STATUS },
	/* QEMU's script: host configuration files instead of the kernel. */
	{ "systemd", 's', true, true, OPT_SYSTEMD },
	{ "debian", 'd', false, true, OPT_DEBIAN },
	{ "exportdir", 'e', true, true, OPT_EXPORTDIR },
	{ "watch", 0, true, true, OPT_WATCH },
	{ "doctor", 0, false, false, OPT_DOCTOR },
	{ "json", 0, false, false, OPT_JSON },
	{ "verbose", 0, false, false, OPT_VERBOSE },
};

#define SPEC_COUNT (sizeof(specs) / sizeof(specs[0]))

/* The option NAME (LEN bytes) means, as GNU getopt_long reads it (QEMU's
 * script parses its line with getopt): the exact name, else the only one
 * it abbreviates. NULL with ERR set when none or several. */
static const struct option_spec *find_long(const char *name, size_t len, struct error *err)
{
	const struct option_spec *found = NULL;
	size_t matches = 0;
	size_t used;

	for (size_t i = 0; i < SPEC_COUNT; i++) {
		if (strncmp(specs[i].long_name, name, len) != 0)
			continue;
		if (specs[i].long_name[len] == '\0')
			return &specs[i];
		found = &specs[i];
		matches++;
	}
	if (matches == 1)
		return found;
	if (matches == 0) {
		error_set(err, 0, "unknown option '--%.*s'", (int)len, name);
		return NULL;
	}
	error_set(err, 0, "option '--%.*s' is ambiguous; possibilities:", (int)len, name);
	used = strlen(err->message);
	for (size_t i = 0; i < SPEC_COUNT && used < sizeof(err->message); i++)
		if (strncmp(specs[i].long_name, name, len) == 0)
			used += (size_t)snprintf(err->message + used, sizeof(err->message) - used,
						 " '--%s'", specs[i].long_name);
	return NULL;
}

static const struct option_spec *find_short(char c)
{
	for (size_t i = 0; i < SPEC_COUNT; i++)
		if (specs[i].short_name == c)
			return &specs[i];
	return NULL;
}

static int parse_yes_no(const struct option_spec *s, const char *value, bool *out,
			struct error *err)
{
	if (strcmp(value, "yes") == 0)
		*out = true;
	else if (strcmp(value, "no") == 0)
		*out = false;
	else
		return error_set(err, 0, "--%s expects yes or no, not '%s'",
			    s->long_name, value);
	return 0;
}

/* A ".." component would let a path escape the folder the user meant. */
static bool has_dotdot_component(const char *path)
{
	for (const char *p = path; *p != '\0'; p++) {
		bool starts = p == path || p[-1] == '/';
		bool ends = p[1] == '.' && (p[2] == '\0' || p[2] == '/');
		if (p[0] == '.' && starts && ends)
			return true;
	}
	return false;
}

/* The interpreter path goes into a ':'-separated register string that ends at
 * a newline, and the kernel resolves it later from other mount namespaces:
 * only an absolute, plain path is safe there. */
static int check_qemu_path(const char *path, const char *source, struct error *err)
{
	if (path[0] != '/')
		return error_set(err, 0, "%s must be an absolute path, not '%s'", source, path);
	if (strpbrk(path, ":\n") != NULL)
		return error_set(err, 0, "%s must not contain ':' or a newline", source);
	if (has_dotdot_component(path))
		return error_set(err, 0, "%s must not contain a '..' component: '%s'", source, path);
	return 0;
}

static int check_qemu_suffix(const char *suffix, const char *source, struct error *err)
{
	if (strpbrk(suffix, "/:\n") != NULL)
		return error_set(err, 0, "%s must not contain '/', ':' or a newline", source);
	return 0;
}

/* An option whose value is a non-empty word or list. */
static int set_list(const struct option_spec *s, const char *value, const char **out,
		    struct error *err)
{
	if (value[0] == '\0')
		return error_set(err, 0, "--%s needs a non-empty value", s->long_name);
	*out = value;
	return 0;
}

static int parse_seconds(const char *value, unsigned *out, struct error *err)
{
	unsigned long v = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 86400)
			return error_set(err, 0, "--watch expects whole seconds from 1 to 86400, not '%s'",
					  value);
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (value[0] == '\0' || v < 1 || v > 86400)
		return error_set(err, 0, "--watch expects whole seconds from 1 to 86400, not '%s'", value);
	*out = (unsigned)v;
	return 0;
}

/* The field that an option without a value switches on, or NULL. */
static bool *switch_field(struct options *o, enum option_id id)
{
	switch (id) {
	case OPT_HELP: return &o->help;
	case OPT_VERSION: return &o->version;
	case OPT_DRY_RUN: return &o->dry_run;
	case OPT_RESET: return &o->reset;
	case OPT_PRIVATE_INSTANCE: return &o->private_instance;
	case OPT_STATUS: return &o->status_table;
	case OPT_DEBIAN: return &o->debian;
	case OPT_DOCTOR: return &o->doctor;
	case OPT_JSON: return &o->json;
	case OPT_VERBOSE: return &o->verbose;
	default: return NULL;
	}
}

/* An option that takes VALUE: checked, then kept. */
static int set_value(const struct option_spec *s, const char *value, struct options *o,
		     struct error *err)
{
	switch (s->id) {
	case OPT_PERSISTENT:
		o->persistent_set = true;
		return parse_yes_no(s, value, &o->persistent, err);
	case OPT_CREDENTIAL:
		o->credential_set = true;
		return parse_yes_no(s, value, &o->credential, err);
	case OPT_PRESERVE_ARGV0:
		o->preserve_argv0_set = true;
		return parse_yes_no(s, value, &o->preserve_argv0, err);
	case OPT_IGNORE_FAMILY:
		return parse_yes_no(s, value, &o->ignore_family, err);
	case OPT_QEMU_PATH:
		o->qemu_path = value;
		return check_qemu_path(value, "--qemu-path", err);
	case OPT_QEMU_SUFFIX:
		o->qemu_suffix = value;
		return check_qemu_suffix(value, "--qemu-suffix", err);
	case OPT_INSTALL:
		return set_list(s, value, &o->install, err);
	case OPT_UNINSTALL:
		return set_list(s, value, &o->uninstall, err);
	case OPT_SYSTEMD:
		return set_list(s, value, &o->systemd, err);
	case OPT_EXPORTDIR:
		return set_list(s, value, &o->exportdir, err);
	case OPT_WATCH:
		return parse_seconds(value, &o->watch_seconds, err);
	case OPT_MOUNT:
		if (value[0] == '\0')
			return error_set(err, 0, "--mount needs a folder");
		o->mount_dir = value;
		return 0;
	default:
		return error_set(err, 0, "internal error: unhandled option");
	}
}

static int apply_option(const struct option_spec *s, const char *value, struct options *o,
			struct error *err)
{
	bool *on = switch_field(o, s->id);

	if (on == NULL)
		return set_value(s, value, o, err);
	*on = true;
	return 0;
}

static void set_defaults(const struct environment *env, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->qemu_path = env->qemu_bin_dir != NULL ? env->qemu_bin_dir : DEFAULT_QEMU_PATH;
	o->qemu_suffix = env->qemu_suffix != NULL ? env->qemu_suffix : DEFAULT_QEMU_SUFFIX;
	o->mount_dir = DEFAULT_MOUNT;
	o->host_arch = env->host_arch;
}

static int check_environment(const struct environment *env, struct error *err)
{
	if (env->qemu_bin_dir != NULL &&
	    check_qemu_path(env->qemu_bin_dir, "QEMU_BIN_DIR", err) != 0)
		return -1;
	if (env->qemu_suffix != NULL &&
	    check_qemu_suffix(env->qemu_suffix, "QEMU_SUFFIX", err) != 0)
		return -1;
	if (env->host_arch != NULL && env->host_arch[0] == '\0')
		return error_set(err, 0, "HOST_ARCH is set but empty");
	return 0;
}

static int add_named(const char *name, struct options *o, struct error *err)
{
	if (o->named_count == CLI_MAX_NAMED)
		return error_set(err, 0, "too many targets named (at most %d)", CLI_MAX_NAMED);
	o->named[o->named_count++] = name;
	return 0;
}

/* One argument that starts with "--": "--name", "--name=value" or
 * "--name value". Returns how many arguments it used, or -1. */
static int parse_long(int argc, char *const argv[], int i, struct options *o,
		      struct error *err)
{
	const char *name = argv[i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct option_spec *s = len > 0 ? find_long(name, len, err) : NULL;
	const char *value = "";
	int used = 1;

	if (s == NULL)
		return len > 0 ? -1 : error_set(err, 0, "unknown option '%s'", argv[i]);
	if (s->takes_value) {
		if (eq != NULL) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[i + 1];
			used = 2;
		} else {
			return error_set(err, 0, "--%s needs a value", s->long_name);
		}
	} else if (eq != NULL) {
		return error_set(err, 0, "--%s takes no value", s->long_name);
	}
	if (s->registers)
		o->wants_registration = true;
	return apply_option(s, value, o, err) != 0 ? -1 : used;
}

/* "-x", "-xVALUE", "-x VALUE", or several bundled as GNU getopt takes them:
 * "-dpyes" is -d then -p yes (an option that takes a value takes the rest
 * of the argument, or the next one). Returns how many arguments it used,
 * or -1. */
static int parse_short(int argc, char *const argv[], int i, struct options *o,
		       struct error *err)
{
	for (const char *c = argv[i] + 1; *c != '\0'; c++) {
		const struct option_spec *s = find_short(*c);
		const char *value = "";
		int used = 1;

		if (s == NULL)
			return c == argv[i] + 1 && c[1] == '\0'
				? error_set(err, 0, "unknown option '%s'", argv[i])
				: error_set(err, 0, "unknown option '-%c' (in '%s')", *c,
					     argv[i]);
		if (s->takes_value) {
			if (c[1] != '\0') {
				value = c + 1;
			} else if (i + 1 < argc) {
				value = argv[i + 1];
				used = 2;
			} else {
				return error_set(err, 0, "-%c (--%s) needs a value",
						  s->short_name, s->long_name);
			}
		}
		if (s->registers)
			o->wants_registration = true;
		if (apply_option(s, value, o, err) != 0)
			return -1;
		if (s->takes_value)
			return used;
	}
	return 1;
}

/* --doctor only looks: nothing that changes or exports goes with it. */
static int check_doctor(const struct options *o, bool installing, bool exporting, struct error *err)
{
	if (o->wants_registration || installing || exporting || o->status_table)
		return error_set(err, 0, "--doctor only looks: it takes no other "
				  "option but --json, --mount and a PROGRAM");
	if (o->named_count > 1)
		return error_set(err, 0, "--doctor takes at most one PROGRAM");
	return 0;
}

/* One run does one job: refuse combinations that would leave it unclear
 * which, rather than guess. */
static int check_combinations(const struct options *o, bool installing, bool exporting,
			      struct error *err)
{
	if (o->exportdir != NULL && !exporting)
		return error_set(err, 0, "--exportdir goes with --systemd or --debian");
	if (o->json && !o->status_table)
		return error_set(err, 0, "--json goes with --doctor or --status");
	if (exporting && (installing || o->reset || o->watch_seconds || o->dry_run))
		return error_set(err, 0, "--systemd and --debian write files only: "
				  "they do not go with --install, --uninstall, --reset, --watch "
				  "or --dry-run");
	if (installing && (o->reset || o->named_count > 0))
		return error_set(err, 0, "--install and --uninstall name their targets "
				  "themselves: they do not go with --reset or TARGET arguments");
	if (o->dry_run && o->watch_seconds)
		return error_set(err, 0, "--dry-run does not go with --watch");
	if (o->status_table && o->wants_registration)
		return error_set(err, 0, "--status only looks: it does not go with "
				  "options that change entries");
	return 0;
}

static int decide_mode(struct options *o, struct error *err)
{
	bool exporting = o->systemd != NULL || o->debian;
	bool installing = o->install != NULL || o->uninstall != NULL;

	if (o->doctor) {
		o->mode = MODE_DOCTOR;
		return check_doctor(o, installing, exporting, err);
	}
	/* Any other name on the line is a TARGET to register. */
	if (o->named_count > 0)
		o->wants_registration = true;
	if (check_combinations(o, installing, exporting, err) != 0)
		return -1;
	if (exporting)
		o->mode = MODE_EXPORT;
	else if (o->dry_run)
		o->mode = MODE_DRY_RUN;
	else if (installing)
		o->mode = MODE_INSTALL;
	else if (o->wants_registration)
		o->mode = MODE_REGISTER;
	else if (o->status_table)
		o->mode = MODE_STATUS_TABLE;
	else
		o->mode = MODE_STATUS_JSON;
	return 0;
}

int cli_parse(int argc, char *const argv[], const struct environment *env,
	      struct options *o, struct error *err)
{
	bool options_ended = false;

	set_defaults(env, o);
	if (check_environment(env, err) != 0)
		return -1;
	for (int i = 1; i < argc;) {
		const char *arg = argv[i];
		int used;

		if (options_ended || arg[0] != '-' || arg[1] == '\0') {
			if (add_named(arg, o, err) != 0)
				return -1;
			i++;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_ended = true;
			i++;
			continue;
		}
		used = arg[1] == '-' ? parse_long(argc, argv, i, o, err)
				     : parse_short(argc, argv, i, o, err);
		if (used < 0)
			return -1;
		i += used;
	}
	return decide_mode(o, err);
}

void cli_usage(FILE *out)
{
	fputs(
"Usage: register [OPTION]... [TARGET]...\n"
"       register --install LIST|all [--uninstall LIST] [OPTION]...\n"
"       register --doctor [--json] [PROGRAM]\n"
"Register QEMU user-mode emulators with the kernel's binfmt_misc, so that\n"
"programs and containers of other CPU architectures run on this machine.\n"
"\n"
"With no option that asks for a change, print on stdout one JSON document,\n"
"{\"supported\": [platforms that run here], \"emulators\": [enabled entries]},\n"
"and change nothing. TARGETs (QEMU names such as aarch64 riscv64 s390x)\n"
"limit registration to those; by default every target not of this\n"
"machine's own CPU family is registered.\n"
"\n"
"Registering, as multiarch/qemu-user-static and QEMU's script do:\n"
"      --reset                  first remove every entry named qemu-*\n"
"                               (and nothing else)\n"
"  -p, --persistent yes|no      flag F: the kernel opens the emulator now\n"
"                               and keeps it, so it works in any container\n"
"                               or chroot (default no)\n"
"  -c, --credential yes|no      flags OC: setuid programs run with their\n"
"                               owner's credentials (default no)\n"
"  -g, --preserve-argv0 yes|no  flag P: pass the program's own argv[0]\n"
"                               (default no)\n"
"  -i, --ignore-family yes|no   also register targets of this machine's\n"
"                               family, except its own exact one (default no)\n"
"  -Q, --qemu-path DIR          folder of the emulators (default:\n"
"                               $QEMU_BIN_DIR, else /usr/bin)\n"
"  -F, --qemu-suffix SUFFIX     appended to qemu-<target> (default:\n"
"                               $QEMU_SUFFIX if set, else -static)\n"
"      --mount DIR              where binfmt_misc is, or is to be mounted\n"
"                               (default /proc/sys/fs/binfmt_misc)\n"
"      --private-instance       in a user namespace (rootless container),\n"
"                               mount a private binfmt_misc instance that\n"
"                               serves only that namespace (refused otherwise)\n"
"      --dry-run                print the register strings, one per line,\n"
"                               and touch nothing\n"
"      --watch SECONDS          after registering, stay and re-create any of\n"
"                               these entries that vanish or change\n"
"\n"
"Installing, as tonistiigi/binfmt does (docker/setup-qemu-action):\n"
"      --install LIST|all       register these: QEMU targets (aarch64), arch\n"
"                               names (arm64, riscv64, 386, loong64) or\n"
"                               platforms (linux/arm/v7), comma separated;\n"
"                               flags P, O, C and F unless -g, -c, -p no;\n"
"                               all: amd64 386 arm64 arm riscv64 ppc64le\n"
"                               s390x mips64 mips64le loong64, less this\n"
"                               machine's own\n"
"      --uninstall LIST         remove these entries: names, arch names,\n"
"                               platforms or globs (qemu-*)\n"
"      --status                 print a table of the entries and probes\n"
"\n"
"Host configuration files, as QEMU's script writes them:\n"
"  -s, --systemd CPU|ALL        write EXPORTDIR/qemu-CPU.conf for binfmt.d(5)\n"
"                               (default EXPORTDIR /etc/binfmt.d)\n"
"  -d, --debian                 write update-binfmts templates (default\n"
"                               EXPORTDIR /usr/share/binfmts)\n"
"  -e, --exportdir DIR          where -s and -d write\n"
"\n"
"Diagnosis:\n"
"      --doctor [PROGRAM]       explain why foreign programs do (not) run;\n"
"                               with PROGRAM, which entry takes it\n"
"      --json                   --doctor and --status as one JSON document\n"
"\n"
"      --verbose                also print the routine notes (binfmt_misc\n"
"                               mounted, what the flags mean, skipped targets)\n"
"  -h, --help                   print this help and exit\n"
"      --version                print the version and exit\n"
"\n"
"Environment: HOST_ARCH overrides uname -m; QEMU_BIN_DIR, QEMU_SUFFIX.\n"
"\n"
"Exit status: 0 all done; 1 some target failed (the others were done), or\n"
"--doctor found a problem; 2 usage or input error (nothing was changed);\n"
"3 binfmt_misc unusable (not mounted and may not be mounted, missing, not\n"
"writable, or a private instance that was not asked for); 4 all done, but\n"
"stdout could not be written (a closed pipe, a full disk): its output was\n"
"lost. A write error on stdout never stops a registration halfway.\n",
	      out);
}
