/*
 * glob_match: the patterns --uninstall takes and the ones host
 * normalisation uses (QEMU's qemu_normalize: i[3-6]86, armv[4-9]*l, ...),
 * and the edge cases of `*`, `?` and bracket expressions.
 */
#include "../../entrypoint/glob.h"
#include "tap.h"

static const struct {
	const char *pattern;
	const char *s;
	bool matches;
} cases[] = {
	/* --uninstall's globs */
	{ "qemu-*", "qemu-aarch64", true },
	{ "qemu-*", "qemu-", true },
	{ "qemu-*", "qemu", false },
	{ "qemu-*", "xqemu-arm", false },
	{ "qemu-arm*", "qemu-armeb", true },
	{ "qemu-arm*", "qemu-aarch64", false },
	{ "qemu-mips*el", "qemu-mipsn32el", true },
	{ "qemu-mips*el", "qemu-mips64", false },
	{ "qemu-?390x", "qemu-s390x", true },
	/* host normalisation's */
	{ "i[3-6]86", "i386", true },
	{ "i[3-6]86", "i686", true },
	{ "i[3-6]86", "i786", false },
	{ "i[3-6]86", "i86", false },
	{ "i[3-6]86", "i3866", false },
	{ "armv[4-9]*l", "armv7l", true },
	{ "armv[4-9]*l", "armv5tel", true },
	{ "armv[4-9]*l", "armv4l", true },
	{ "armv[4-9]*l", "armv3l", false },
	{ "armv[4-9]*l", "armv7b", false },
	{ "armv[4-9]*b", "armv7b", true },
	/* literal text */
	{ "", "", true },
	{ "", "a", false },
	{ "abc", "abc", true },
	{ "abc", "abcd", false },
	{ "abcd", "abc", false },
	/* `*` */
	{ "*", "", true },
	{ "*", "anything", true },
	{ "**", "x", true },
	{ "a*", "a", true },
	{ "*a", "ba", true },
	{ "*a", "ab", false },
	{ "a*b*c", "aXbYbZc", true },
	{ "a*b*c", "aXbYbZ", false },
	{ "*ab", "aab", true },
	{ "*aab", "aaab", true },
	/* `?` */
	{ "?", "", false },
	{ "?", "x", true },
	{ "?", "xy", false },
	{ "??*", "xy", true },
	/* bracket expressions */
	{ "[abc]", "b", true },
	{ "[abc]", "d", false },
	{ "[!abc]", "d", true },
	{ "[!abc]", "a", false },
	{ "[a-c]x", "cx", true },
	{ "[a-c]x", "dx", false },
	{ "[0-9a-f]", "e", true },
	{ "[a-]", "-", true },
	{ "[a-]", "b", false },
	{ "[]a]", "]", true },
	{ "[]a]", "a", true },
	{ "[!]]", "]", false },
	{ "[!]]", "x", true },
	/* a bracket that never closes is a literal '[' */
	{ "[abc", "[abc", true },
	{ "[abc", "a", false },
	{ "x[", "x[", true },
	/* bytes, not locales */
	{ "\xc3\xa9", "\xc3\xa9", true },
};

int main(void)
{
	plan((int)ARRAY_LEN(cases));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		is_int(glob_match(cases[i].pattern, cases[i].s), cases[i].matches,
		       "'%s' %s '%s'", cases[i].pattern, cases[i].matches ? "matches" : "does not match",
		       cases[i].s);
	return done_testing();
}
