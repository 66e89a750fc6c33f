/*
 * elf.c: reading a program's head as the kernel takes it (elf_read_head,
 * elf_read_head_at: short files, empty ones, a FIFO, a folder) and its ELF
 * facts (elf_parse: class, byte order, machine, PT_INTERP), on this very
 * program and on ELF files written here field by field (a dynamic aarch64
 * program, a dynamic big-endian mips one, a static one) and broken ones:
 * truncated, of an unknown class, with program headers that lie.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../entrypoint/elf.h"
#include "../../entrypoint/host.h"
#include "../../entrypoint/targets.h"
#include "tap.h"

static char dir[PATH_MAX];

static void put(unsigned char *p, uint64_t v, int size, bool big)
{
	for (int i = 0; i < size; i++)
		p[i] = (unsigned char)(v >> (big ? 8 * (size - 1 - i) : 8 * i));
}

/* How to lay out a test program; the zero values give a sane one. */
struct layout {
	int bits;                 /* 32 or 64 */
	bool big;
	unsigned machine;
	const char *interp;       /* PT_INTERP's text; NULL: static, no PT_INTERP */
	unsigned phnum;           /* 0: the real count (2 or 1) */
	unsigned phentsize;       /* 0: the real size */
	uint64_t interp_len;      /* 0: the text's length and its NUL */
	uint64_t interp_offset;   /* 0: where the text is */
};

/* The PT_INTERP program header at PH and its TEXT at offset TEXT_AT of F. */
static void put_interp(unsigned char *f, unsigned char *ph, size_t text_at,
		       const struct layout *l)
{
	bool w = l->bits == 64;
	uint64_t offset = l->interp_offset ? l->interp_offset : text_at;
	uint64_t len = l->interp_len ? l->interp_len : strlen(l->interp) + 1;

	put(ph, 3, 4, l->big);
	put(ph + (w ? 8 : 4), offset, w ? 8 : 4, l->big);
	put(ph + (w ? 32 : 16), len, w ? 8 : 4, l->big);
	memcpy(f + text_at, l->interp, strlen(l->interp) + 1);
}

static const char *write_bytes(const char *name, const void *bytes, size_t len);

/* Write an ELF file to DIR/NAME: the header, a PT_LOAD, then PT_INTERP and
 * its text when there is one. Returns its path. */
static const char *write_elf(const char *name, const struct layout *l)
{
	unsigned char f[4096] = { 0x7f, 'E', 'L', 'F' };
	bool w = l->bits == 64;
	size_t ehsize = w ? 64 : 52;
	size_t phsize = w ? 56 : 32;
	unsigned count = l->interp != NULL ? 2 : 1;
	size_t text_at = ehsize + count * phsize;

	f[4] = w ? 2 : 1;
	f[5] = l->big ? 2 : 1;
	f[6] = 1;
	put(f + 16, l->interp != NULL ? 3 : 2, 2, l->big);   /* e_type: DYN or EXEC */
	put(f + 18, l->machine, 2, l->big);
	put(f + 20, 1, 4, l->big);                            /* e_version */
	put(f + (w ? 32 : 28), ehsize, w ? 8 : 4, l->big);    /* e_phoff */
	put(f + (w ? 52 : 40), ehsize, 2, l->big);            /* e_ehsize */
	put(f + (w ? 54 : 42), l->phentsize ? l->phentsize : phsize, 2, l->big);
	put(f + (w ? 56 : 44), l->phnum ? l->phnum : count, 2, l->big);
	put(f + ehsize, 1, 4, l->big);                        /* PT_LOAD */
	if (l->interp == NULL)
		return write_bytes(name, f, text_at);
	put_interp(f, f + ehsize + phsize, text_at, l);
	return write_bytes(name, f, text_at + strlen(l->interp) + 1);
}

static const char *write_bytes(const char *name, const void *bytes, size_t len)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len || close(fd) != 0)
		diag("cannot write %s", path);
	return path;
}

/* elf_parse of the file at PATH, its head read with elf_read_head. */
static bool parse_file(const char *path, struct elf_info *x)
{
	unsigned char head[ELF_HEAD_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is_elf;

	if (fd < 0) {
		diag("cannot open %s", path);
		return false;
	}
	is_elf = elf_parse(fd, head, elf_read_head(fd, head), x);
	close(fd);
	return is_elf;
}

static void heads(void)
{
	unsigned char big[300];
	unsigned char head[ELF_HEAD_MAX];
	const char *path;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)i;
	path = write_bytes("300-bytes", big, sizeof(big));
	is_int(elf_read_head_at(path, head), ELF_HEAD_MAX, "a longer file: the first 256 bytes");
	is_bytes(head, ELF_HEAD_MAX, big, ELF_HEAD_MAX, "exactly those");
	path = write_bytes("10-bytes", big, 10);
	is_int(elf_read_head_at(path, head), 10, "a file of 10 bytes: those 10");
	path = write_bytes("empty", "", 0);
	is_int(elf_read_head_at(path, head), 0, "an empty file: nothing");
	is_int(elf_read_head_at("/nonexistent/program", head), 0, "a missing file: nothing");
	is_int(elf_read_head_at(dir, head), 0, "a folder: nothing");

	/* A FIFO with no writer would block a plain open for ever. */
	char fifo[PATH_MAX + 16];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ok(mkfifo(fifo, 0600) == 0, "a FIFO is made");
	is_int(elf_read_head_at(fifo, head), 0, "a FIFO without writer: nothing, and no hang");
	unlink(fifo);
}

/* The machine this test was compiled for, as e_machine says it. */
static unsigned native_machine(void)
{
#if defined(__x86_64__)
	return 62;
#elif defined(__aarch64__)
	return 183;
#elif defined(__i386__)
	return 3;
#elif defined(__arm__)
	return 40;
#elif defined(__powerpc64__)
	return 21;
#elif defined(__s390x__)
	return 22;
#elif defined(__riscv)
	return 243;
#else
	return 0;
#endif
}

static void this_program(void)
{
	static struct elf_info x;
	unsigned char head[ELF_HEAD_MAX];
	const char *name = NULL;
	const struct target *host = host_detect(NULL, &name);
	size_t n = elf_read_head_at("/proc/self/exe", head);

	is_int(n, ELF_HEAD_MAX, "this program's head: 256 bytes");
	ok(parse_file("/proc/self/exe", &x), "this program is ELF");
	is_int(x.bits, sizeof(void *) * 8, "of this machine's word size");
	is_int(x.machine, native_machine(), "for this machine (e_machine %u)", native_machine());
	ok(x.interp[0] == '/' && access(x.interp, X_OK) == 0,
	   "dynamic (gcc, glibc): its loader %s is here", x.interp);
	ok(host != NULL && target_matches(host, head, n),
	   "its head is taken by this machine's own target, %s", host != NULL ? host->name : name);
}

static void written_programs(void)
{
	static struct elf_info x;
	const struct layout aarch64 = { 64, false, 183, "/lib/ld-linux-aarch64.so.1", 0, 0, 0, 0 };
	const struct layout mips = { 32, true, 8, "/lib/ld.so.1", 0, 0, 0, 0 };
	const struct layout s390x_static = { 64, true, 22, NULL, 0, 0, 0, 0 };
	const struct layout riscv32 = { 32, false, 243, "/lib/ld-linux-riscv32-ilp32d.so.1",
					0, 0, 0, 0 };

	ok(parse_file(write_elf("aarch64", &aarch64), &x), "a dynamic aarch64 program is ELF");
	ok(x.bits == 64 && !x.big && x.machine == 183, "64-bit, little-endian, e_machine 183");
	is_str(x.interp, "/lib/ld-linux-aarch64.so.1", "its loader, from PT_INTERP");
	ok(parse_file(write_elf("mips", &mips), &x), "a dynamic big-endian mips program is ELF");
	ok(x.bits == 32 && x.big && x.machine == 8, "32-bit, big-endian, e_machine 8");
	is_str(x.interp, "/lib/ld.so.1", "its loader");
	ok(parse_file(write_elf("s390x", &s390x_static), &x), "a static s390x program is ELF");
	ok(x.bits == 64 && x.big && x.machine == 22, "64-bit, big-endian, e_machine 22");
	is_str(x.interp, "", "static: no loader");
	ok(parse_file(write_elf("riscv32", &riscv32), &x), "a dynamic riscv32 program is ELF");
	ok(x.bits == 32 && !x.big && x.machine == 243, "32-bit, little-endian, e_machine 243");
	is_str(x.interp, "/lib/ld-linux-riscv32-ilp32d.so.1", "its loader");
}

static void broken_programs(void)
{
	static struct elf_info x;
	static const char script[] = "#!/bin/sh\necho this is no ELF program, but long enough "
				     "to be read as one if it were\n";
	unsigned char head[ELF_HEAD_MAX] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	const struct layout many = { 64, false, 183, "/lib/ld.so", 65535, 0, 0, 0 };
	const struct layout small_entries = { 64, false, 183, "/lib/ld.so", 0, 16, 0, 0 };
	const struct layout long_interp = { 64, false, 183, "/lib/ld.so", 0, 0, PATH_MAX, 0 };
	const struct layout far_interp = { 32, true, 8, "/lib/ld.so", 0, 0, 0, 1U << 30 };

	ok(!parse_file(write_bytes("script", script, sizeof(script) - 1), &x), "a script is no ELF");
	ok(!elf_parse(-1, head, 63, &x), "63 bytes of an ELF header are not one");
	head[4] = 3;
	ok(!elf_parse(-1, head, sizeof(head), &x), "nor is a header of class 3");
	head[4] = 0;
	ok(!elf_parse(-1, head, sizeof(head), &x), "nor one of class 0");

	/* Program headers that lie are read as far as they hold, no further. */
	ok(parse_file(write_elf("many", &many), &x), "65535 program headers claimed: still ELF");
	is_str(x.interp, "/lib/ld.so", "the real PT_INTERP is found first");
	ok(parse_file(write_elf("small-entries", &small_entries), &x),
	   "program headers of 16 bytes: ELF");
	is_str(x.interp, "", "too small to hold a PT_INTERP: none read");
	ok(parse_file(write_elf("long-interp", &long_interp), &x), "a PT_INTERP of PATH_MAX "
	   "bytes: ELF");
	is_str(x.interp, "", "too long for a path: none read");
	ok(parse_file(write_elf("far-interp", &far_interp), &x), "a PT_INTERP beyond the end: ELF");
	is_str(x.interp, "", "nothing there: none read");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	plan(38);
	snprintf(dir, sizeof(dir), "%s/unit-elf.XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		diag("cannot make a temporary folder %s", dir);
		return 1;
	}
	heads();
	this_program();
	written_programs();
	broken_programs();
	{
		static const char *const files[] = { "300-bytes", "10-bytes", "empty", "aarch64",
			"mips", "s390x", "riscv32", "script", "many", "small-entries", "long-interp",
			"far-interp" };
		char path[PATH_MAX + 64];

		for (size_t i = 0; i < ARRAY_LEN(files); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return done_testing();
}
