/*
 * binfmt_parse_entry: texts that the kernel really printed for entries of
 * each kind (read from a private binfmt_misc instance on Linux 6.18:
 * magic with and without a mask, an offset, by extension, disabled), and
 * malformed ones, each of which must be refused rather than half-read.
 * Also binfmt_flags_format, the kernel's order of flag letters.
 */
#include <stdio.h>
#include <string.h>

#include "../../entrypoint/binfmt.h"
#include "tap.h"

static struct binfmt_entry e;

static int parse(const char *text)
{
	return binfmt_parse_entry(text, strlen(text), &e);
}

static const unsigned char aarch64_magic[] = {
	0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0xb7, 0x00,
};
static const unsigned char aarch64_mask[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff,
};

static void kernel_texts(void)
{
	/* `register --install arm64`'s entry, flags P, O, C, F. */
	is_int(parse("enabled\n"
		     "interpreter /usr/bin/qemu-aarch64-static\n"
		     "flags: POCF\n"
		     "offset 0\n"
		     "magic 7f454c460201010000000000000000000200b700\n"
		     "mask ffffffffffffff00fffffffffffffffffeffffff\n"), 0, "a QEMU entry parses");
	ok(e.enabled && !e.by_extension, "enabled, by magic");
	is_str(e.interpreter, "/usr/bin/qemu-aarch64-static", "interpreter");
	is_int(e.flags, BINFMT_FLAG_P | BINFMT_FLAG_O | BINFMT_FLAG_C | BINFMT_FLAG_F, "flags POCF");
	is_int(e.offset, 0, "offset 0");
	is_bytes(e.magic, e.magic_len, aarch64_magic, sizeof(aarch64_magic), "magic, decoded");
	is_bytes(e.mask, e.mask_len, aarch64_mask, sizeof(aarch64_mask), "mask, decoded");

	/* No flag: the kernel still writes "flags: " with its space. */
	is_int(parse("disabled\n"
		     "interpreter /usr/bin/wine\n"
		     "flags: \n"
		     "offset 2\n"
		     "magic 4d5a\n"), 0, "a disabled entry without mask or flags parses");
	ok(!e.enabled, "disabled");
	is_int(e.flags, 0, "no flag");
	is_int(e.offset, 2, "offset 2");
	is_bytes(e.magic, e.magic_len, "MZ", 2, "magic MZ");
	is_int(e.mask_len, 0, "no mask: every bit counts");

	is_int(parse("enabled\n"
		     "interpreter /usr/bin/wine\n"
		     "flags: P\n"
		     "extension .exe\n"), 0, "an entry by extension parses");
	ok(e.by_extension, "by extension");
	is_str(e.extension, ".exe", "its extension, as the kernel prints it");
	is_int(e.flags, BINFMT_FLAG_P, "flag P");
	is_int(e.magic_len, 0, "and no magic");

	/* C reads back as OC: the kernel implies O. */
	is_int(parse("enabled\n"
		     "interpreter /usr/bin/qemu-arm-static\n"
		     "flags: OC\n"
		     "offset 0\n"
		     "magic 7f454c4601010100000000000000000002002800\n"
		     "mask ffffffffffffff00fffffffffffffffffeffffff\n"), 0, "flags OC parse");
	is_int(e.flags, BINFMT_FLAG_O | BINFMT_FLAG_C, "as O and C");

	is_int(parse("enabled\ninterpreter /i\nflags: F\noffset 255\nmagic 00\n"), 0,
	       "the largest offset parses");
	is_int(e.offset, 255, "offset 255");
	is_int(parse("enabled\ninterpreter /i\nflags:\noffset 0\nmagic 7F\n"), 0,
	       "'flags:' without its space, upper-case hex, parse");
	is_bytes(e.magic, e.magic_len, "\x7f", 1, "magic 7F");
	is_int(parse("enabled\ninterpreter /i\nflags: \noffset 0\nmagic 00"), 0,
	       "a text cut before its last newline parses");
}

/* Each must be refused, whatever it would have filled in. */
static void malformed(void)
{
	static const struct {
		const char *why;
		const char *text;
	} bad[] = {
		{ "empty", "" },
		{ "state only", "enabled\n" },
		{ "no interpreter", "enabled\nflags: F\noffset 0\nmagic 00\n" },
		{ "no flags line", "enabled\ninterpreter /i\noffset 0\nmagic 00\n" },
		{ "neither magic nor extension", "enabled\ninterpreter /i\nflags: F\noffset 0\n" },
		{ "unknown state", "Enabled\ninterpreter /i\nflags: F\noffset 0\nmagic 00\n" },
		{ "state not first", "interpreter /i\nenabled\nflags: F\noffset 0\nmagic 00\n" },
		{ "unknown flag", "enabled\ninterpreter /i\nflags: FX\noffset 0\nmagic 00\n" },
		{ "flag in lower case", "enabled\ninterpreter /i\nflags: f\noffset 0\nmagic 00\n" },
		{ "odd hex", "enabled\ninterpreter /i\nflags: F\noffset 0\nmagic 7f4\n" },
		{ "not hex", "enabled\ninterpreter /i\nflags: F\noffset 0\nmagic zz\n" },
		{ "mask shorter than magic",
		  "enabled\ninterpreter /i\nflags: F\noffset 0\nmagic 7f45\nmask ff\n" },
		{ "mask longer than magic",
		  "enabled\ninterpreter /i\nflags: F\noffset 0\nmagic 7f\nmask ffff\n" },
		{ "offset not a number", "enabled\ninterpreter /i\nflags: F\noffset x\nmagic 00\n" },
		{ "offset of 4 digits", "enabled\ninterpreter /i\nflags: F\noffset 1000\nmagic 00\n" },
		{ "empty offset", "enabled\ninterpreter /i\nflags: F\noffset \nmagic 00\n" },
		{ "negative offset", "enabled\ninterpreter /i\nflags: F\noffset -1\nmagic 00\n" },
		{ "unknown line", "enabled\ninterpreter /i\nflags: F\nowner root\nmagic 00\n" },
		{ "empty line", "enabled\n\ninterpreter /i\nflags: F\noffset 0\nmagic 00\n" },
		{ "CRLF", "enabled\r\ninterpreter /i\r\nflags: F\r\noffset 0\r\nmagic 00\r\n" },
		{ "a mask alone", "enabled\ninterpreter /i\nflags: F\noffset 0\nmask ff\n" },
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		is_int(parse(bad[i].text), -1, "refused: %s", bad[i].why);
}

static void limits(void)
{
	static char text[8192];
	static const char nul_text[] = "enabled\ninterpreter /usr/bin/qemu-arm\0-static\n"
				       "flags: F\noffset 0\nmagic 00\n";
	size_t n;

	is_int(binfmt_parse_entry(nul_text, sizeof(nul_text) - 1, &e), -1,
	       "refused: a NUL byte in the text (it would cut the interpreter short)");

	/* 256 bytes of magic fit (the kernel's buffer); 257 do not. */
	n = (size_t)snprintf(text, sizeof(text), "enabled\ninterpreter /i\nflags: \noffset 0\nmagic ");
	for (int i = 0; i < BINFMT_FIELD_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "ab");
	text[n] = '\0';
	is_int(binfmt_parse_entry(text, n, &e), 0, "256 bytes of magic parse");
	is_int(e.magic_len, BINFMT_FIELD_MAX, "all 256 of them");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "cd");
	is_int(binfmt_parse_entry(text, n, &e), -1, "refused: 257 bytes of magic");

	/* An interpreter of PATH_MAX bytes would not fit with its NUL. */
	n = (size_t)snprintf(text, sizeof(text), "enabled\ninterpreter /");
	memset(text + n, 'i', PATH_MAX - 1);
	n += PATH_MAX - 1;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nflags: \noffset 0\nmagic 00\n");
	is_int(binfmt_parse_entry(text, n, &e), -1, "refused: an interpreter of PATH_MAX bytes");
	n = (size_t)snprintf(text, sizeof(text), "enabled\ninterpreter /");
	memset(text + n, 'i', PATH_MAX - 2);
	n += PATH_MAX - 2;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nflags: \noffset 0\nmagic 00\n");
	is_int(binfmt_parse_entry(text, n, &e), 0, "one byte shorter parses");
	is_int(strlen(e.interpreter), PATH_MAX - 1, "whole");

	n = (size_t)snprintf(text, sizeof(text), "enabled\ninterpreter /i\nflags: \nextension ");
	memset(text + n, 'x', BINFMT_FIELD_MAX);
	n += BINFMT_FIELD_MAX;
	text[n++] = '\n';
	is_int(binfmt_parse_entry(text, n, &e), -1, "refused: an extension of 256 bytes");
}

static void flag_letters(void)
{
	static const struct {
		unsigned flags;
		const char *letters;
	} cases[] = {
		{ 0, "" },
		{ BINFMT_FLAG_F, "F" },
		{ BINFMT_FLAG_O | BINFMT_FLAG_C, "OC" },
		{ BINFMT_FLAG_F | BINFMT_FLAG_P, "PF" },
		{ BINFMT_FLAG_F | BINFMT_FLAG_C | BINFMT_FLAG_O | BINFMT_FLAG_P, "POCF" },
	};
	char out[5];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		binfmt_flags_format(cases[i].flags, out);
		is_str(out, cases[i].letters, "flags %#x are written '%s'", cases[i].flags,
		       cases[i].letters);
	}
	/* Written and read back, every combination is the same. */
	unsigned first_wrong = 16;
	for (unsigned flags = 0; flags < 16 && first_wrong == 16; flags++) {
		char text[128];

		binfmt_flags_format(flags, out);
		snprintf(text, sizeof(text), "enabled\ninterpreter /i\nflags: %s\noffset 0\nmagic 00\n",
			 out);
		if (parse(text) != 0 || e.flags != flags)
			first_wrong = flags;
	}
	is_int(first_wrong, 16, "all 16 combinations of flags read back as written "
	       "(16: none differs)");
}

int main(void)
{
	plan(60);
	kernel_texts();
	malformed();
	limits();
	flag_letters();
	return done_testing();
}
