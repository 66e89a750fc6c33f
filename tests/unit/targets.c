/*
 * The target table and its lookups: target_by_name (QEMU's names only),
 * target_lookup (QEMU, Go and Debian architecture names, OCI platforms),
 * host normalisation (uname -m and Debian names into QEMU's), and which
 * entry takes an ELF header built from the tests' own ELF facts
 * (tests/data/elf-machines.tsv, from the ELF specification and psABIs,
 * not from register's table): its own target's, and no other.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../../entrypoint/host.h"
#include "../../entrypoint/targets.h"
#include "tap.h"

#ifndef ELF_MACHINES
#error "ELF_MACHINES: the path of tests/data/elf-machines.tsv (mk/unit.mk sets it)"
#endif

static void by_name(void)
{
	const struct target *t = target_by_name("aarch64");

	ok(t != NULL && strcmp(t->name, "aarch64") == 0, "aarch64 is a target");
	is_str(t->interpreter, "qemu-aarch64", "its emulator");
	is_str(t->family, "arm", "its family");
	is_str(t->platforms, "linux/arm64", "its platform");
	is_str(target_by_name("i486")->interpreter, "qemu-i386", "i486 runs on qemu-i386");
	is_str(target_by_name("arm")->platforms, "linux/arm/v7,linux/arm/v6,linux/arm/v5",
	       "arm serves three platforms");
	ok(target_by_name("arm64") == NULL, "arm64 is no QEMU name");
	ok(target_by_name("AARCH64") == NULL, "names are case-sensitive");
	ok(target_by_name("") == NULL, "the empty name is none");
	ok(target_by_name("aarch6") == NULL && target_by_name("aarch64x") == NULL,
	   "no prefix or extension matches");
	is_int(target_count, TARGET_COUNT, "target_count is TARGET_COUNT");
	is_int(TARGET_COUNT, 34, "34 QEMU targets");
	bool indexed = true;
	for (size_t i = 0; i < target_count; i++)
		indexed &= target_index(&targets[i]) == i && target_by_name(targets[i].name) == &targets[i];
	ok(indexed, "every target is found by its name, at its index");
}

static const struct {
	const char *name;
	const char *target;
} lookups[] = {
	/* Go's GOARCH */
	{ "amd64", "x86_64" }, { "386", "i386" }, { "arm64", "aarch64" }, { "arm", "arm" },
	{ "riscv64", "riscv64" }, { "ppc64le", "ppc64le" }, { "ppc64", "ppc64" },
	{ "s390x", "s390x" }, { "mips", "mips" }, { "mipsle", "mipsel" },
	{ "mips64", "mips64" }, { "mips64le", "mips64el" }, { "loong64", "loongarch64" },
	/* Debian's architectures */
	{ "i386", "i386" }, { "armhf", "arm" }, { "armel", "arm" }, { "ppc64el", "ppc64le" },
	{ "mips64el", "mips64el" }, { "mipsel", "mipsel" },
	/* OCI platforms */
	{ "linux/amd64", "x86_64" }, { "linux/386", "i386" }, { "linux/arm64", "aarch64" },
	{ "linux/arm/v7", "arm" }, { "linux/arm/v6", "arm" }, { "linux/arm/v5", "arm" },
	{ "linux/riscv64", "riscv64" }, { "linux/ppc64le", "ppc64le" },
	{ "linux/s390x", "s390x" }, { "linux/mips64le", "mips64el" },
	{ "linux/mips64", "mips64" }, { "linux/mipsle", "mipsel" }, { "linux/mips", "mips" },
	{ "linux/loong64", "loongarch64" }, { "linux/ppc64", "ppc64" }, { "linux/ppc", "ppc" },
	{ "linux/sparc64", "sparc64" }, { "linux/m68k", "m68k" }, { "linux/sh4", "sh4" },
	{ "linux/riscv32", "riscv32" },
};

static const char *const unknown[] = {
	"", "foo", "x86", "ARM64", "linux", "linux/", "arm64/linux", "linux/arm64,linux/amd64",
	"linux/arm/v7,", "/linux/arm64", "linux/arm/v", "qemu-aarch64",
};

static void lookup(void)
{
	for (size_t i = 0; i < ARRAY_LEN(lookups); i++) {
		const struct target *t = target_lookup(lookups[i].name);
		is_str(t != NULL ? t->name : NULL, lookups[i].target, "%s means %s", lookups[i].name,
		       lookups[i].target);
	}
	bool all = true;
	for (size_t i = 0; i < target_count; i++)
		all &= target_lookup(targets[i].name) == &targets[i];
	ok(all, "every QEMU name looks up its own target");
	for (size_t i = 0; i < ARRAY_LEN(unknown); i++)
		ok(target_lookup(unknown[i]) == NULL, "'%s' is unknown", unknown[i]);
}

static const struct {
	const char *name;
	const char *target;  /* NULL: the name is left as it is */
} normalised[] = {
	{ "x86_64", "x86_64" }, { "amd64", "x86_64" }, { "i386", "i386" }, { "i486", "i386" },
	{ "i586", "i386" }, { "i686", "i386" }, { "arm64", "aarch64" }, { "aarch64", "aarch64" },
	{ "armhf", "arm" }, { "armel", "arm" }, { "armv7l", "arm" }, { "armv6l", "arm" },
	{ "armv5tel", "arm" }, { "armv4l", "arm" }, { "armv7b", "armeb" },
	{ "ppc64el", "ppc64le" }, { "ppc64le", "ppc64le" }, { "powerpc", "ppc" },
	{ "s390x", "s390x" }, { "riscv64", "riscv64" }, { "loongarch64", "loongarch64" },
	{ "i786", NULL }, { "armv3l", NULL }, { "sparc99", NULL }, { "", NULL },
};

static void host(void)
{
	const char *name = NULL;
	struct utsname uts;

	for (size_t i = 0; i < ARRAY_LEN(normalised); i++) {
		const char *in = normalised[i].name;
		const char *want = normalised[i].target != NULL ? normalised[i].target : in;
		const char *got = host_normalize(in);

		is_str(got, want, "uname -m '%s' is QEMU's '%s'", in, want);
		if (normalised[i].target == NULL)
			ok(got == in, "'%s' comes back as it is", in);
	}
	ok(host_detect("arm64", &name) == target_by_name("aarch64"), "HOST_ARCH=arm64: aarch64");
	is_str(name, "arm64", "the name looked up is HOST_ARCH's");
	ok(host_detect("armv7l", &name) == target_by_name("arm"), "HOST_ARCH=armv7l: arm");
	ok(host_detect("sparc99", &name) == NULL, "an unknown HOST_ARCH: no target");
	is_str(name, "sparc99", "and the name says which");
	ok(uname(&uts) == 0, "uname works");
	ok(host_detect(NULL, &name) == target_by_name(host_normalize(uts.machine)),
	   "no HOST_ARCH: this machine, %s", uts.machine);
	is_str(name, uts.machine, "named as uname -m names it");
}

/* An ELF header as a compiler for that machine writes it (the fields the
 * kernel and the entries look at), like tests/helpers/mkelf.c. */
static size_t elf_header(unsigned char *h, int bits, bool big_endian, unsigned machine,
			 unsigned type, uint32_t e_flags)
{
	size_t size = bits == 64 ? 64 : 52;

	memset(h, 0, ELF_HEAD_MAX);
	h[0] = 0x7f;
	h[1] = 'E';
	h[2] = 'L';
	h[3] = 'F';
	h[4] = bits == 64 ? 2 : 1;
	h[5] = big_endian ? 2 : 1;
	h[6] = 1;
	for (int i = 0; i < 2; i++) {
		int shift = big_endian ? 8 * (1 - i) : 8 * i;
		h[16 + i] = (unsigned char)(type >> shift);
		h[18 + i] = (unsigned char)(machine >> shift);
	}
	for (int i = 0; i < 4; i++) {
		int shift = big_endian ? 8 * (3 - i) : 8 * i;
		h[20 + i] = (unsigned char)(1U >> shift);                 /* e_version */
		h[(bits == 64 ? 48 : 36) + i] = (unsigned char)(e_flags >> shift);
	}
	return size;
}

/* Which targets take HEAD, as "name name ..." ("" for none). */
static void takers(const unsigned char *head, size_t len, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < target_count; i++)
		if (target_matches(&targets[i], head, len) && used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
						 targets[i].name);
}

/* One row of elf-machines.tsv: target, class, data, e_machine, e_flags. */
struct elf_fact {
	char name[64];
	int bits;
	bool big_endian;
	unsigned machine;
	uint32_t e_flags;
};

static bool parse_row(char *line, struct elf_fact *row)
{
	char *fields[5];
	char *save = NULL;
	char *end = NULL;
	size_t n = 0;

	for (char *f = strtok_r(line, "\t\n", &save); f != NULL && n < 5;
	     f = strtok_r(NULL, "\t\n", &save))
		fields[n++] = f;
	if (n != 5 || snprintf(row->name, sizeof(row->name), "%s", fields[0]) >= (int)sizeof(row->name))
		return false;
	row->bits = strcmp(fields[1], "64") == 0 ? 64 : 32;
	row->big_endian = strcmp(fields[2], "be") == 0;
	row->machine = (unsigned)strtoul(fields[3], &end, 16);
	if (*end != '\0')
		return false;
	row->e_flags = (uint32_t)strtoul(fields[4], &end, 16);
	return *end == '\0';
}

static int elf_facts(void)
{
	FILE *f = fopen(ELF_MACHINES, "r");
	char line[256];
	int rows = 0;

	ok(f != NULL, "the ELF facts are readable: %s", ELF_MACHINES);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct elf_fact row;
		unsigned char h[ELF_HEAD_MAX];
		char got[512];
		size_t len;

		if (line[0] == '#')
			continue;
		if (!parse_row(line, &row)) {
			ok(false, "a row of the ELF facts reads: %s", line);
			continue;
		}
		rows++;
		const struct target *t = target_by_name(row.name);

		len = elf_header(h, row.bits, row.big_endian, row.machine, 2, row.e_flags);
		takers(h, len, got, sizeof(got));
		is_str(got, row.name, "an executable of %s is taken by %s's entry only", row.name,
		       row.name);
		len = elf_header(h, row.bits, row.big_endian, row.machine, 3, row.e_flags);
		takers(h, len, got, sizeof(got));
		is_str(got, row.name, "so is a PIE/shared object of %s", row.name);
		ok(t != NULL && !target_matches(t, h, t->magic_len - 1),
		   "a head shorter than %s's magic matches nothing", row.name);
	}
	fclose(f);
	is_int(rows, TARGET_COUNT, "the ELF facts cover every target");
	return rows;
}

static void not_elf(void)
{
	static const unsigned char script[ELF_HEAD_MAX] = "#!/bin/sh\necho hello\n";
	unsigned char h[ELF_HEAD_MAX];
	char got[512];

	takers(script, sizeof(script), got, sizeof(got));
	is_str(got, "", "a script is taken by no entry");
	/* A relocatable object (e_type 1) is no program: no entry takes it. */
	elf_header(h, 64, false, 0xb7, 1, 0);
	takers(h, 64, got, sizeof(got));
	is_str(got, "", "an aarch64 .o file is taken by none");
	/* A core file (e_type 4) neither. */
	elf_header(h, 64, false, 0xb7, 4, 0);
	takers(h, 64, got, sizeof(got));
	is_str(got, "", "an aarch64 core file is taken by none");
}

int main(void)
{
	plan(13 + (int)ARRAY_LEN(lookups) + 1 + (int)ARRAY_LEN(unknown) +
	     (int)ARRAY_LEN(normalised) + 4 /* names kept */ + 8 + 1 + 3 * TARGET_COUNT + 1 + 3);
	by_name();
	lookup();
	host();
	elf_facts();
	not_elf();
	return done_testing();
}
