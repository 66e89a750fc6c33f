/*
 * libFuzzer harness: the reader of binfmt_misc entry files. register reads
 * what the kernel holds (its own entries and every other tool's) and must
 * never crash on it. Whatever binfmt_parse_entry accepts is written back in
 * the kernel's own format (fs/binfmt_misc.c, entry_status) and read again:
 * the second reading must give the same entry.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../entrypoint/binfmt.h"

/* Field by field: bytes after a string's NUL are no part of the entry. */
static bool same_entry(const struct binfmt_entry *a, const struct binfmt_entry *b)
{
	return a->enabled == b->enabled && a->by_extension == b->by_extension &&
	       a->flags == b->flags && (a->by_extension || a->offset == b->offset) &&
	       strcmp(a->interpreter, b->interpreter) == 0 &&
	       strcmp(a->extension, b->extension) == 0 && a->magic_len == b->magic_len &&
	       memcmp(a->magic, b->magic, a->magic_len) == 0 && a->mask_len == b->mask_len &&
	       memcmp(a->mask, b->mask, a->mask_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As large as the buffer binfmt_read gives the kernel's text. */
#define TEXT_MAX (PATH_MAX + 4 * BINFMT_FIELD_MAX + 128)

static struct binfmt_entry first, second;
static char text[TEXT_MAX];

static size_t put_hex(char *out, const unsigned char *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	return 2 * len;
}

/* The entry as the kernel prints it. */
static size_t format_entry(const struct binfmt_entry *e, char *out)
{
	char flags[5];
	size_t n;

	binfmt_flags_format(e->flags, flags);
	n = (size_t)sprintf(out, "%s\ninterpreter %s\nflags: %s\n",
			    e->enabled ? "enabled" : "disabled", e->interpreter, flags);
	if (e->by_extension && e->magic_len == 0)
		return n + (size_t)sprintf(out + n, "extension %s\n", e->extension);
	n += (size_t)sprintf(out + n, "offset %u\nmagic ", e->offset);
	n += put_hex(out + n, e->magic, e->magic_len);
	if (e->mask_len != 0) {
		memcpy(out + n, "\nmask ", 6);
		n += 6;
		n += put_hex(out + n, e->mask, e->mask_len);
	}
	out[n++] = '\n';
	out[n] = '\0';
	return n;
}

static void check_entry(const struct binfmt_entry *e)
{
	if (e->magic_len > BINFMT_FIELD_MAX || e->mask_len > BINFMT_FIELD_MAX)
		abort();
	if (e->mask_len != 0 && e->mask_len != e->magic_len)
		abort();
	if (memchr(e->interpreter, '\0', sizeof(e->interpreter)) == NULL ||
	    memchr(e->extension, '\0', sizeof(e->extension)) == NULL)
		abort();
	if (e->flags & ~(unsigned)(BINFMT_FLAG_P | BINFMT_FLAG_O | BINFMT_FLAG_C | BINFMT_FLAG_F))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	if (binfmt_parse_entry((const char *)data, size, &first) != 0)
		return 0;
	check_entry(&first);
	/* An entry is matched either by magic or by extension: a text with both
	 * is not the kernel's, and the round trip below does not apply. */
	if (first.by_extension && first.magic_len != 0)
		return 0;
	n = format_entry(&first, text);
	if (n >= sizeof(text))
		abort();
	if (binfmt_parse_entry(text, n, &second) != 0)
		abort();
	if (!same_entry(&first, &second))
		abort();
	return 0;
}
