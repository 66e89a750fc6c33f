/*
 * plan_build: the exact register string of several targets with each flag
 * and path option, what each target gets on an x86_64 and an aarch64 host,
 * names and lists that select targets, the kernel's length limit, and
 * plan_item_matches / plan_refuse_native on what the kernel would hold.
 */
#include <stdlib.h>
#include <string.h>

#include "../../entrypoint/binfmt.h"
#include "../../entrypoint/cli.h"
#include "../../entrypoint/error.h"
#include "../../entrypoint/plan.h"
#include "../../entrypoint/targets.h"
#include "line.h"
#include "tap.h"

static const struct environment no_env = { NULL, NULL, NULL };

static struct options o;
static struct plan p;
static struct error err;

/* plan_build for "register ARGS..." (NULL-terminated) on HOST. */
static int build_on(const char *host, const char *const *args)
{
	if (parse_line(&no_env, args, &o, &err) != 0) {
		diag("cli_parse refused the line: %s", err.message);
		return -2;
	}
	return plan_build(&o, target_by_name(host), &p, &err);
}

#define BUILD(...) build_on("x86_64", (const char *const[]){ __VA_ARGS__, NULL })
#define BUILD_ON(host, ...) build_on((host), (const char *const[]){ __VA_ARGS__, NULL })

/* The plan's item for target NAME; a name that is no target is a bug of
 * the test itself. */
static const struct plan_item *item(const char *name)
{
	const struct target *t = target_by_name(name);

	if (t == NULL) {
		diag("the test names no target: %s", name);
		abort();
	}
	return &p.items[target_index(t)];
}

static void is_line(const char *target, const char *want)
{
	const struct plan_item *it = item(target);

	is_str(it->line, want, "register string of %s", target);
	is_int(it->line_len, strlen(want), "its length, %s", target);
}

/* QEMU's qemu-binfmt-conf.sh magic and mask, as \xHH text. */
#define AARCH64_MAGIC "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00" \
		      "\\x00\\x00\\x02\\x00\\xb7\\x00"
#define AARCH64_MASK "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff" \
		     "\\xff\\xff\\xfe\\xff\\xff\\xff"

static void exact_strings(void)
{
	is_int(BUILD("--dry-run"), 0, "--dry-run plans");
	is_line("aarch64", ":qemu-aarch64:M::" AARCH64_MAGIC ":" AARCH64_MASK
		":/usr/bin/qemu-aarch64-static:");
	/* i486 programs run on qemu-i386; the magic differs in e_machine only. */
	is_int(BUILD("--dry-run", "-i", "yes"), 0, "--dry-run -i yes plans");
	is_line("i486", ":qemu-i486:M::\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00"
		"\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x06\\x00:\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe"
		"\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff"
		":/usr/bin/qemu-i386-static:");
	/* Big-endian microblaze: e_type in big-endian order (QEMU's own table
	 * has it backwards and never matches). */
	is_line("microblaze", ":qemu-microblaze:M::\\x7f\\x45\\x4c\\x46\\x01\\x02\\x01\\x00"
		"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\xba\\xab:\\xff\\xff\\xff\\xff"
		"\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff"
		":/usr/bin/qemu-microblaze-static:");
	/* Forty bytes: e_flags tells n32 from o32. */
	is_line("mipsn32el", ":qemu-mipsn32el:M::\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00"
		"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x08\\x00\\x01\\x00\\x00\\x00\\x00"
		"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x00\\x00:\\xff"
		"\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
		"\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		"\\x00\\x20\\x00\\x00\\x00:/usr/bin/qemu-mipsn32el-static:");
	is_line("loongarch64", ":qemu-loongarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00"
		"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x02\\x01:\\xff\\xff\\xff\\xff"
		"\\xff\\xff\\xff\\xfc\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff"
		":/usr/bin/qemu-loongarch64-static:");
	is_str(item("aarch64")->entry_name, "qemu-aarch64", "the entry is qemu-<target>");
	is_str(item("i486")->interpreter, "/usr/bin/qemu-i386-static", "i486's interpreter");
}

#define FLAGGED(letters, ...)                                                          \
	do {                                                                           \
		is_int(BUILD("--dry-run", __VA_ARGS__), 0, "flags %s plan", letters);  \
		is_line("aarch64", ":qemu-aarch64:M::" AARCH64_MAGIC ":" AARCH64_MASK  \
			":/usr/bin/qemu-aarch64-static:" letters);                      \
	} while (0)

static void flags(void)
{
	FLAGGED("F", "-p", "yes");
	FLAGGED("OC", "-c", "yes");
	FLAGGED("P", "-g", "yes");
	FLAGGED("POCF", "-p", "yes", "-c", "yes", "-g", "yes");
	FLAGGED("PF", "--persistent=yes", "--preserve-argv0=yes", "--credential=no");
	is_int(BUILD("--install", "arm64"), 0, "--install plans");
	is_int(p.flags, BINFMT_FLAG_P | BINFMT_FLAG_O | BINFMT_FLAG_C | BINFMT_FLAG_F,
	       "--install defaults to P, O, C and F");
	ok(strcmp(item("aarch64")->line + item("aarch64")->line_len - 5, ":POCF") == 0,
	   "and writes them in the kernel's order");
	is_int(BUILD("--install", "arm64", "-p", "no", "-c", "no"), 0, "--install -p no -c no");
	is_int(p.flags, BINFMT_FLAG_P, "leaves P only");
}

static void paths(void)
{
	const struct environment env = { "/opt/qemu", ".v10", NULL };

	is_int(BUILD("--dry-run", "-Q", "/opt/q/"), 0, "-Q with a trailing slash");
	is_str(item("riscv64")->interpreter, "/opt/q/qemu-riscv64-static", "adds no second slash");
	is_int(BUILD("--dry-run", "-Q", "/", "-F", ""), 0, "-Q / -F ''");
	is_str(item("riscv64")->interpreter, "/qemu-riscv64", "gives /qemu-riscv64");
	is_int(BUILD("--dry-run", "-F", "-v10.0"), 0, "-F -v10.0");
	is_str(item("s390x")->interpreter, "/usr/bin/qemu-s390x-v10.0", "appends the suffix");
	ok(strstr(item("s390x")->line, ":/usr/bin/qemu-s390x-v10.0:") != NULL,
	   "and the register string holds that path");
	is_int(parse_line(&env, (const char *const[]){ "--dry-run", NULL }, &o, &err), 0,
	       "QEMU_BIN_DIR, QEMU_SUFFIX parse");
	is_int(plan_build(&o, target_by_name("x86_64"), &p, &err), 0, "and plan");
	is_str(item("aarch64")->interpreter, "/opt/qemu/qemu-aarch64.v10", "from the environment");
}

static size_t count_action(enum plan_action action)
{
	size_t n = 0;

	for (size_t i = 0; i < p.count; i++)
		n += p.items[i].action == action;
	return n;
}

static void actions(void)
{
	is_int(BUILD("--reset", "-p", "yes"), 0, "--reset -p yes plans on x86_64");
	is_int(p.count, TARGET_COUNT, "every target has an item");
	is_int(count_action(PLAN_REGISTER), 31, "31 targets to register on x86_64");
	is_int(item("x86_64")->action, PLAN_SKIP_HOST, "x86_64: this machine's own");
	is_int(item("i386")->action, PLAN_SKIP_FAMILY, "i386: this machine's family");
	is_int(item("i486")->action, PLAN_SKIP_FAMILY, "i486: this machine's family");
	is_str(item("i386")->why, "i386 is of this machine's family (i386) and runs natively; "
	       "--ignore-family yes registers it", "and says why");
	is_str(item("x86_64")->why, "x86_64 is this machine's own architecture", "host: why");
	BUILD("--reset", "-i", "yes");
	is_int(count_action(PLAN_REGISTER), 33, "-i yes: 33, all but the host itself");

	is_int(BUILD_ON("aarch64", "--reset"), 0, "--reset plans on aarch64");
	is_int(item("aarch64")->action, PLAN_SKIP_HOST, "aarch64 host: aarch64 is its own");
	is_int(item("arm")->action, PLAN_SKIP_FAMILY, "arm is its family");
	is_int(item("x86_64")->action, PLAN_REGISTER, "x86_64 is registered there");
	is_int(item("aarch64_be")->action, PLAN_REGISTER, "aarch64_be (armeb family) too");

	is_int(BUILD("aarch64", "linux/riscv64", "386"), 0, "three names plan");
	is_int(count_action(PLAN_REGISTER), 2, "two of them registered");
	ok(item("aarch64")->named && item("riscv64")->named && item("i386")->named,
	   "the platform and the Go name are found");
	is_int(item("i386")->action, PLAN_SKIP_FAMILY, "a named target of the family is "
	       "still skipped");
	is_int(item("s390x")->action, PLAN_SKIP_UNNAMED, "an unnamed one is skipped");

	is_int(BUILD("--install", "arm64,linux/arm/v7,loong64"), 0, "--install LIST plans");
	is_int(count_action(PLAN_REGISTER), 3, "three targets");
	ok(item("arm")->named && item("loongarch64")->named, "linux/arm/v7 and loong64 found");
	is_int(BUILD("--install", "all"), 0, "--install all plans");
	is_int(count_action(PLAN_REGISTER), 8, "tonistiigi/binfmt's ten, less amd64 and 386");
	ok(item("aarch64")->in_all && item("loongarch64")->in_all && item("mips64el")->in_all &&
	   item("s390x")->action == PLAN_REGISTER, "arm64, loong64, mips64le, s390x among them");
	ok(!item("aarch64")->named, "all names none: a missing emulator is skipped, not failed");
	is_int(item("aarch64_be")->action, PLAN_SKIP_UNNAMED, "aarch64_be is not in all");
	is_int(item("i386")->action, PLAN_SKIP_FAMILY, "386 is this machine's family");
	is_int(BUILD("--install", "all,sparc64"), 0, "all and a name");
	is_int(count_action(PLAN_REGISTER), 9, "the 8 and sparc64");
	is_int(BUILD_ON("aarch64", "--install", "all"), 0, "--install all on aarch64");
	is_int(count_action(PLAN_REGISTER), 8, "ten, less arm64 and arm");
	is_int(item("x86_64")->action, PLAN_REGISTER, "amd64 is among them there");
	is_int(BUILD("--uninstall", "qemu-*"), 0, "--uninstall alone plans");
	is_int(count_action(PLAN_REGISTER), 0, "and registers nothing");
	is_int(BUILD("--install", "all", "--uninstall", "qemu-arm"), 0, "--install all "
	       "--uninstall ...");
	is_int(count_action(PLAN_REGISTER), 8, "registers all's 8");
}

static void name_errors(void)
{
	static const char known[] = "known targets: i386 i486 x86_64 alpha arm armeb sparc "
		"sparc32plus sparc64 ppc ppc64 ppc64le m68k mips mipsel mipsn32 mipsn32el mips64 "
		"mips64el sh4 sh4eb s390x aarch64 aarch64_be hppa riscv32 riscv64 xtensa xtensaeb "
		"microblaze microblazeel or1k hexagon loongarch64 (or architecture names such as "
		"arm64, 386, loong64, or platforms such as linux/arm/v7)";
	char want[1024];

	is_int(BUILD("aarch65"), -1, "an unknown TARGET is a usage error");
	snprintf(want, sizeof(want), "unknown target 'aarch65'; %s", known);
	is_str(err.message, want, "naming every known target");
	is_int(BUILD("--install", "arm64,sparc99"), -1, "an unknown name in --install");
	snprintf(want, sizeof(want), "unknown target 'sparc99' in --install; %s", known);
	is_str(err.message, want, "says where it was");
	is_int(BUILD("--install", "arm64,,riscv64"), -1, "an empty name in --install");
	is_str(err.message, "--install: 'arm64,,riscv64' holds an empty or overlong name", "its message");
	is_int(BUILD("--install", "arm64,"), 0, "a trailing comma in --install ends the list");
	is_int(BUILD("--install", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	       -1, "a name of 65 bytes in --install");
	is_str(err.message, "--install: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
	       "holds an empty or overlong name", "is overlong");
}

/* A folder of LEN bytes: "/" and then 'd's. */
static const char *folder(size_t len)
{
	static char path[4096];

	path[0] = '/';
	memset(path + 1, 'd', len - 1);
	path[len] = '\0';
	return path;
}

/* The longest register string is mipsn32el's: 40 bytes of magic and mask,
 * the longest name among them. Find the folder length that makes it exactly
 * the kernel's limit, then check one byte more. */
static void length_limit(void)
{
	size_t base;
	size_t fits;

	is_int(BUILD("--dry-run", "-Q", "/d"), 0, "a short folder plans");
	base = item("mipsn32el")->line_len;
	for (size_t i = 0; i < p.count; i++)
		if (p.items[i].line_len > base)
			diag("%s is longer than mipsn32el", p.items[i].target->name);
	fits = BINFMT_REGISTER_MAX - base + 2;
	is_int(BUILD("--dry-run", "-Q", folder(fits)), 0, "a folder of %zu bytes plans", fits);
	is_int(item("mipsn32el")->line_len, BINFMT_REGISTER_MAX,
	       "mipsn32el's string is then exactly %d bytes", BINFMT_REGISTER_MAX);
	is_int(BUILD("--dry-run", "-Q", folder(fits + 1)), -1, "one byte more is refused");
	is_str(err.message, "the register string for mipsn32el would be longer than the kernel's limit "
	       "of 1920 bytes; use a shorter --qemu-path", "naming the target and the limit");
	is_int(BUILD("--dry-run", "-Q", folder(BINFMT_REGISTER_MAX + 1)), -1,
	       "a folder longer than any register string");
	is_str(err.message, "the interpreter path for i386 is too long", "is refused at the first target");
}

/* What the kernel prints for the entry of plan item IT, made by hand. */
static int kernel_text(const struct plan_item *it, const char *flags_text, struct binfmt_entry *e)
{
	char text[2048];
	size_t n;
	const struct target *t = it->target;

	n = (size_t)snprintf(text, sizeof(text), "enabled\ninterpreter %s\nflags: %s\noffset 0\n"
			     "magic ", it->interpreter, flags_text);
	for (size_t i = 0; i < t->magic_len; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", t->magic[i]);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nmask ");
	for (size_t i = 0; i < t->mask_len; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", t->mask[i]);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	return binfmt_parse_entry(text, n, e);
}

static void matching(void)
{
	static struct binfmt_entry e;
	/* The first 20 bytes of an x86_64 executable. */
	static const unsigned char x86_64_head[20] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0,
						       0, 0, 0, 0, 0, 2, 0, 0x3e, 0 };

	BUILD("--reset", "-p", "yes");
	is_int(kernel_text(item("aarch64"), "F", &e), 0, "the kernel's text for aarch64 parses");
	ok(plan_item_matches(&p, item("aarch64"), &e), "an identical entry matches its item");
	kernel_text(item("aarch64"), "", &e);
	ok(!plan_item_matches(&p, item("aarch64"), &e), "one without F does not");
	kernel_text(item("riscv64"), "F", &e);
	ok(!plan_item_matches(&p, item("aarch64"), &e), "another target's entry does not");
	BUILD("--reset", "-p", "yes", "-Q", "/opt");
	kernel_text(item("aarch64"), "F", &e);
	BUILD("--reset", "-p", "yes");
	ok(!plan_item_matches(&p, item("aarch64"), &e), "nor one with another interpreter");

	/* HOST_ARCH=aarch64 on an x86_64 machine would register qemu-x86_64,
	 * which takes this machine's own programs. */
	BUILD_ON("aarch64", "--reset");
	is_int(item("x86_64")->action, PLAN_REGISTER, "on an aarch64 host x86_64 is planned");
	plan_refuse_native(&p, x86_64_head, sizeof(x86_64_head), "/proc/self/exe");
	is_int(item("x86_64")->action, PLAN_REFUSE_NATIVE, "until a native head refuses it");
	ok(strstr(item("x86_64")->why, "would match /proc/self/exe") != NULL, "naming the program");
	is_int(count_action(PLAN_REFUSE_NATIVE), 1, "and nothing else");
}

int main(void)
{
	plan(106);
	exact_strings();
	flags();
	paths();
	actions();
	name_errors();
	length_limit();
	matching();
	return done_testing();
}
