/*
 * cli_parse: which mode each command line selects, what each option sets
 * in every spelling (--name value, --name=value, -x value, -xvalue), the
 * environment's defaults, and every usage error's exact message.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../../entrypoint/cli.h"
#include "line.h"
#include "tap.h"

static const struct environment no_env = { NULL, NULL, NULL };

static struct options o;
static struct error err;

static int parse_env(const struct environment *env, const char *const *args)
{
	return parse_line(env, args, &o, &err);
}

#define PARSE(...) parse_env(&no_env, (const char *const[]){ __VA_ARGS__, NULL })
#define PARSE_ENV(env, ...) parse_env((env), (const char *const[]){ __VA_ARGS__, NULL })

static void modes(void)
{
	is_int(parse_env(&no_env, (const char *const[]){ NULL }), 0, "no argument parses");
	is_int(o.mode, MODE_STATUS_JSON, "no argument: the JSON status");
	ok(!o.wants_registration, "no argument asks for no change");

	PARSE("--status");
	is_int(o.mode, MODE_STATUS_TABLE, "--status: the table");
	is_int(PARSE("--status", "--json"), 0, "--status --json parses");
	ok(o.mode == MODE_STATUS_TABLE && o.json, "--status --json: the table mode, as JSON");

	PARSE("--reset");
	ok(o.mode == MODE_REGISTER && o.reset, "--reset registers");
	PARSE("-p", "yes");
	ok(o.mode == MODE_REGISTER && o.persistent, "-p yes alone registers");
	PARSE("aarch64", "riscv64");
	ok(o.mode == MODE_REGISTER && o.wants_registration, "a TARGET alone registers");
	is_int(o.named_count, 2, "two TARGETs are named");
	is_str(o.named[1], "riscv64", "in their order");

	PARSE("--install", "arm64");
	ok(o.mode == MODE_INSTALL, "--install: install mode");
	PARSE("--uninstall", "qemu-*");
	ok(o.mode == MODE_INSTALL, "--uninstall alone: install mode");
	PARSE("-s", "ALL");
	ok(o.mode == MODE_EXPORT, "-s ALL: export mode");
	PARSE("-d");
	ok(o.mode == MODE_EXPORT && o.debian, "-d: export mode");
	PARSE("--dry-run", "-p", "yes");
	ok(o.mode == MODE_DRY_RUN && o.dry_run, "--dry-run -p yes: dry-run mode");
	PARSE("--doctor");
	ok(o.mode == MODE_DOCTOR && o.doctor && o.named_count == 0, "--doctor: doctor mode");
	is_int(PARSE("--doctor", "--json", "--mount", "/m", "./prog"), 0,
	       "--doctor --json --mount DIR PROGRAM parses");
	ok(o.mode == MODE_DOCTOR && o.json && strcmp(o.mount_dir, "/m") == 0,
	   "--doctor takes --json and --mount");
	is_str(o.named[0], "./prog", "--doctor's PROGRAM is named[0]");
	ok(!o.wants_registration, "--doctor PROGRAM is not a TARGET to register");

	PARSE("--reset", "--watch", "5");
	ok(o.mode == MODE_REGISTER && o.watch_seconds == 5, "--watch 5 with --reset: register, watch");
	PARSE("--help");
	ok(o.help && o.mode == MODE_STATUS_JSON, "--help sets help, changes no mode");
	PARSE("-h");
	ok(o.help, "-h is --help");
	PARSE("--version");
	ok(o.version && !o.wants_registration, "--version sets version");
	/* --mount and --private-instance only say where and how. */
	PARSE("--mount", "/m", "--private-instance");
	ok(o.mode == MODE_STATUS_JSON && o.private_instance, "--mount and --private-instance "
	   "ask for no change");
	/* --verbose only says more. */
	PARSE("--verbose");
	ok(o.verbose && o.mode == MODE_STATUS_JSON, "--verbose asks for no change");
	PARSE("--install", "all", "--verbose");
	ok(o.verbose && o.mode == MODE_INSTALL, "--verbose goes with --install");
	is_int(PARSE("--verbose=yes"), -1, "--verbose takes no value");
}

static void defaults_and_environment(void)
{
	const struct environment env = { "/opt/qemu", "-x", "arm64" };

	PARSE("--reset");
	is_str(o.qemu_path, "/usr/bin", "default --qemu-path: /usr/bin");
	is_str(o.qemu_suffix, "-static", "default --qemu-suffix: -static");
	is_str(o.mount_dir, "/proc/sys/fs/binfmt_misc", "default --mount");
	ok(o.host_arch == NULL, "no HOST_ARCH: NULL (uname -m decides)");
	ok(!o.persistent && !o.credential && !o.preserve_argv0 && !o.ignore_family,
	   "default flags: none, and --ignore-family no");
	ok(!o.persistent_set && !o.credential_set && !o.preserve_argv0_set,
	   "no flag option given: none is marked as set");

	PARSE_ENV(&env, "--reset");
	is_str(o.qemu_path, "/opt/qemu", "QEMU_BIN_DIR is the default folder");
	is_str(o.qemu_suffix, "-x", "QEMU_SUFFIX is the default suffix");
	is_str(o.host_arch, "arm64", "HOST_ARCH is passed on as given");
	PARSE_ENV(&env, "-Q", "/q", "-F", "-y");
	ok(strcmp(o.qemu_path, "/q") == 0 && strcmp(o.qemu_suffix, "-y") == 0,
	   "-Q and -F override QEMU_BIN_DIR and QEMU_SUFFIX");
	is_int(PARSE("-F", ""), 0, "an empty suffix is allowed");
	is_str(o.qemu_suffix, "", "and kept empty");
}

/* A yes|no option in its four spellings, each setting FIELD and *_SET. */
#define YES_NO(longname, shortname, field, field_set)                                      \
	do {                                                                               \
		PARSE("--" longname, "yes");                                               \
		ok(o.field && o.field_set, "--%s yes", longname);                          \
		PARSE("--" longname "=no");                                                \
		ok(!o.field && o.field_set, "--%s=no", longname);                          \
		PARSE("-" shortname, "yes");                                               \
		ok(o.field && o.field_set, "-%s yes", shortname);                          \
		PARSE("-" shortname "no");                                                 \
		ok(!o.field && o.field_set, "-%sno", shortname);                           \
	} while (0)

/* Options that keep a string: in each spelling, the field and its value. */
#define FIELD(name) offsetof(struct options, name)
static const struct {
	const char *args[3];
	size_t field;
	const char *want;
} values[] = {
	{ { "--qemu-path", "/a" }, FIELD(qemu_path), "/a" },
	{ { "--qemu-path=/b/" }, FIELD(qemu_path), "/b/" },
	{ { "-Q/c" }, FIELD(qemu_path), "/c" },
	/* a '..' inside a name is no '..' component */
	{ { "-Q", "/a/..b/c.." }, FIELD(qemu_path), "/a/..b/c.." },
	{ { "--qemu-suffix", "-v10" }, FIELD(qemu_suffix), "-v10" },
	{ { "-F.bin" }, FIELD(qemu_suffix), ".bin" },
	{ { "--mount=/x/y" }, FIELD(mount_dir), "/x/y" },
	{ { "--mount", "/z" }, FIELD(mount_dir), "/z" },
	/* a list is kept as given */
	{ { "--install", "arm64,linux/riscv64" }, FIELD(install), "arm64,linux/riscv64" },
	{ { "--uninstall=qemu-*" }, FIELD(uninstall), "qemu-*" },
	{ { "--systemd", "aarch64" }, FIELD(systemd), "aarch64" },
	{ { "-sALL" }, FIELD(systemd), "ALL" },
	{ { "-d", "-e/etc/binfmt.d" }, FIELD(exportdir), "/etc/binfmt.d" },
	{ { "--debian", "--exportdir=/d" }, FIELD(exportdir), "/d" },
};

static void every_option(void)
{
	YES_NO("persistent", "p", persistent, persistent_set);
	YES_NO("credential", "c", credential, credential_set);
	YES_NO("preserve-argv0", "g", preserve_argv0, preserve_argv0_set);
	/* --ignore-family has the same default everywhere: nothing marks it set. */
	PARSE("--ignore-family", "yes");
	ok(o.ignore_family, "--ignore-family yes");
	PARSE("-ino");
	ok(!o.ignore_family && o.mode == MODE_REGISTER, "-ino (and it registers)");

	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		parse_env(&no_env, values[i].args);
		is_str(*(const char *const *)((const char *)&o + values[i].field), values[i].want,
		       "%s %s", values[i].args[0], values[i].args[1] != NULL ? values[i].args[1] : "");
	}
	PARSE("--private-instance");
	ok(o.private_instance, "--private-instance");
	PARSE("--install=all", "--uninstall", "qemu-*");
	ok(strcmp(o.install, "all") == 0 && strcmp(o.uninstall, "qemu-*") == 0,
	   "--install=all with --uninstall LIST");
	PARSE("--status");
	ok(o.status_table, "--status");
	PARSE("--debian");
	ok(o.debian, "--debian");
	PARSE("--reset", "--watch=86400");
	is_int(o.watch_seconds, 86400, "--watch=86400, the longest");
	PARSE("--reset", "--watch", "1");
	is_int(o.watch_seconds, 1, "--watch 1, the shortest");
	PARSE("--dry-run");
	ok(o.dry_run && o.wants_registration, "--dry-run");
	PARSE("--doctor", "--json");
	ok(o.doctor && o.json, "--doctor --json");
}

static void expect_error(int result, const char *message)
{
	if (!is_int(result, -1, "usage error: %s", message))
		return;
	is_str(err.message, message, "the message is exact");
}

static void arguments(void)
{
	PARSE("--", "-p", "--reset");
	is_int(o.named_count, 2, "after --, options are TARGETs");
	ok(strcmp(o.named[0], "-p") == 0 && !o.reset, "-- -p --reset: two names, no reset");
	PARSE("-");
	ok(o.named_count == 1 && strcmp(o.named[0], "-") == 0, "'-' alone is a name");
	PARSE("aarch64", "--reset");
	ok(o.reset && o.named_count == 1, "--reset is accepted after a TARGET");
	/* As GNU getopt reads them, and so QEMU's script. */
	PARSE("--persist", "yes", "--qemu-p=/q");
	ok(o.persistent_set && o.persistent && strcmp(o.qemu_path, "/q") == 0,
	   "--persist yes --qemu-p=/q: unambiguous abbreviations");
	PARSE("-dpyes");
	ok(o.debian && o.persistent_set && o.persistent, "-dpyes is -d -p yes");
	PARSE("-dp", "no", "-cyes");
	ok(o.debian && o.persistent_set && !o.persistent && o.credential,
	   "-dp no: the value is the next argument");
	/* -p takes the next argument as its value, even one that looks like
	 * an option, as getopt does. */
	expect_error(PARSE("-p", "--reset"), "--persistent expects yes or no, not '--reset'");
}

#define ERROR(message, ...) expect_error(PARSE(__VA_ARGS__), (message))
#define ERROR_ENV(env, message, ...) expect_error(PARSE_ENV((env), __VA_ARGS__), (message))

static void usage_errors(void)
{
	ERROR("--persistent expects yes or no, not 'maybe'", "-p", "maybe");
	ERROR("--credential expects yes or no, not 'YES'", "--credential=YES");
	ERROR("--preserve-argv0 expects yes or no, not ''", "-g", "");
	ERROR("--ignore-family expects yes or no, not '1'", "-i1");
	ERROR("--qemu-path must be an absolute path, not 'usr/bin'", "-Q", "usr/bin");
	ERROR("--qemu-path must be an absolute path, not ''", "--qemu-path=");
	ERROR("--qemu-path must not contain ':' or a newline", "-Q", "/a:b");
	ERROR("--qemu-path must not contain ':' or a newline", "-Q", "/a\nb");
	ERROR("--qemu-path must not contain a '..' component: '/a/../b'", "-Q", "/a/../b");
	ERROR("--qemu-path must not contain a '..' component: '/a/..'", "-Q", "/a/..");
	ERROR("--qemu-suffix must not contain '/', ':' or a newline", "-F", "/x");
	ERROR("--qemu-suffix must not contain '/', ':' or a newline", "-F", "a:b");
	ERROR("--qemu-suffix must not contain '/', ':' or a newline", "-F", "\n");
	ERROR("--install needs a non-empty value", "--install=");
	ERROR("--uninstall needs a non-empty value", "--uninstall", "");
	ERROR("--systemd needs a non-empty value", "-s", "");
	ERROR("--exportdir needs a non-empty value", "-d", "-e", "");
	ERROR("--watch expects whole seconds from 1 to 86400, not '0'", "--reset", "--watch", "0");
	ERROR("--watch expects whole seconds from 1 to 86400, not '86401'", "--watch", "86401");
	ERROR("--watch expects whole seconds from 1 to 86400, not '5s'", "--watch", "5s");
	ERROR("--watch expects whole seconds from 1 to 86400, not '-1'", "--watch", "-1");
	ERROR("--watch expects whole seconds from 1 to 86400, not ''", "--watch=");
	ERROR("--watch expects whole seconds from 1 to 86400, not '18446744073709551617'",
	      "--watch", "18446744073709551617");
	ERROR("--mount needs a folder", "--mount=");
	ERROR("unknown option '--bogus'", "--bogus");
	ERROR("unknown option '--bogus'", "--bogus=1");
	/* GNU getopt's abbreviations: only an ambiguous one is an error. */
	ERROR("option '--qemu' is ambiguous; possibilities: '--qemu-path' '--qemu-suffix'",
	      "--qemu", "/x");
	ERROR("unknown option '--persistentx'", "--persistentx", "yes");
	ERROR("unknown option '-x'", "-x");
	ERROR("unknown option '-x' (in '-hx')", "-hx");
	ERROR("--persistent needs a value", "--persistent");
	ERROR("-p (--persistent) needs a value", "-p");
	ERROR("-Q (--qemu-path) needs a value", "-Q");
	ERROR("--reset takes no value", "--reset=yes");
	ERROR("--doctor only looks: it takes no other option but --json, --mount and a PROGRAM",
	      "--doctor", "--reset");
	ERROR("--doctor only looks: it takes no other option but --json, --mount and a PROGRAM",
	      "--doctor", "--install", "arm64");
	ERROR("--doctor only looks: it takes no other option but --json, --mount and a PROGRAM",
	      "--doctor", "-d");
	ERROR("--doctor only looks: it takes no other option but --json, --mount and a PROGRAM",
	      "--doctor", "--status");
	ERROR("--doctor takes at most one PROGRAM", "--doctor", "a", "b");
	ERROR("--exportdir goes with --systemd or --debian", "-e", "/d");
	ERROR("--json goes with --doctor or --status", "--json");
	ERROR("--json goes with --doctor or --status", "--reset", "--json");
	ERROR("--systemd and --debian write files only: they do not go with --install, "
	      "--uninstall, --reset, --watch or --dry-run", "-d", "--reset");
	ERROR("--systemd and --debian write files only: they do not go with --install, "
	      "--uninstall, --reset, --watch or --dry-run", "-s", "ALL", "--install", "all");
	ERROR("--systemd and --debian write files only: they do not go with --install, "
	      "--uninstall, --reset, --watch or --dry-run", "-s", "ALL", "--watch", "3");
	ERROR("--systemd and --debian write files only: they do not go with --install, "
	      "--uninstall, --reset, --watch or --dry-run", "-d", "--dry-run");
	ERROR("--install and --uninstall name their targets themselves: they do not go with "
	      "--reset or TARGET arguments", "--install", "all", "--reset");
	ERROR("--install and --uninstall name their targets themselves: they do not go with "
	      "--reset or TARGET arguments", "--uninstall", "qemu-*", "aarch64");
	ERROR("--dry-run does not go with --watch", "--dry-run", "--watch", "2");
	ERROR("--status only looks: it does not go with options that change entries",
	      "--status", "--reset");
	ERROR("--status only looks: it does not go with options that change entries",
	      "--status", "aarch64");
}

static void environment_errors(void)
{
	const struct environment relative = { "usr/bin", NULL, NULL };
	const struct environment colon = { "/a:b", NULL, NULL };
	const struct environment dotdot = { "/a/../b", NULL, NULL };
	const struct environment suffix = { NULL, "a/b", NULL };
	const struct environment empty_host = { NULL, NULL, "" };

	ERROR_ENV(&relative, "QEMU_BIN_DIR must be an absolute path, not 'usr/bin'", "--reset");
	ERROR_ENV(&colon, "QEMU_BIN_DIR must not contain ':' or a newline", "--reset");
	ERROR_ENV(&dotdot, "QEMU_BIN_DIR must not contain a '..' component: '/a/../b'", "--reset");
	ERROR_ENV(&suffix, "QEMU_SUFFIX must not contain '/', ':' or a newline", "--reset");
	ERROR_ENV(&empty_host, "HOST_ARCH is set but empty", "--reset");
	/* Checked even when an option would override it: the environment is
	 * wrong either way, and saying so is better than a surprise later. */
	ERROR_ENV(&relative, "QEMU_BIN_DIR must be an absolute path, not 'usr/bin'", "-Q", "/q");
}

static void too_many_targets(void)
{
	const char *args[CLI_MAX_NAMED + 2];
	char names[CLI_MAX_NAMED + 1][8];

	for (int i = 0; i <= CLI_MAX_NAMED; i++) {
		snprintf(names[i], sizeof(names[i]), "t%d", i);
		args[i] = names[i];
	}
	args[CLI_MAX_NAMED] = NULL;
	is_int(parse_env(&no_env, args), 0, "%d TARGETs are accepted", CLI_MAX_NAMED);
	is_int(o.named_count, CLI_MAX_NAMED, "and all are kept");
	args[CLI_MAX_NAMED] = names[CLI_MAX_NAMED];
	args[CLI_MAX_NAMED + 1] = NULL;
	expect_error(parse_env(&no_env, args), "too many targets named (at most 64)");
}

int main(void)
{
	plan(204);
	modes();
	defaults_and_environment();
	every_option();
	arguments();
	usage_errors();
	environment_errors();
	too_many_targets();
	return done_testing();
}
