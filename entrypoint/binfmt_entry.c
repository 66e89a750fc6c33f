/*
 * The text of binfmt_misc entries, both ways: the kernel's own (each entry
 * file, fs/binfmt_misc.c's entry_status) read into a struct binfmt_entry,
 * and the register strings it takes, built from data. Also the kernel's
 * matching rule (check_file), for looking without running anything.
 */
#include "binfmt_entry.h"

#include <stdio.h>
#include <string.h>

void binfmt_flags_format(unsigned flags, char out[5])
{
	size_t n = 0;

	if (flags & BINFMT_FLAG_P)
		out[n++] = 'P';
	if (flags & BINFMT_FLAG_O)
		out[n++] = 'O';
	if (flags & BINFMT_FLAG_C)
		out[n++] = 'C';
	if (flags & BINFMT_FLAG_F)
		out[n++] = 'F';
	out[n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, size_t len, unsigned char *out, size_t *out_len)
{
	if (len % 2 != 0 || len / 2 > BINFMT_FIELD_MAX)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_value(s[i]);
		int lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*out_len = len / 2;
	return 0;
}

static int parse_flags(const char *s, size_t len, unsigned *flags)
{
	*flags = 0;
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case 'P': *flags |= BINFMT_FLAG_P; break;
		case 'O': *flags |= BINFMT_FLAG_O; break;
		case 'C': *flags |= BINFMT_FLAG_C; break;
		case 'F': *flags |= BINFMT_FLAG_F; break;
		default: return -1;
		}
	}
	return 0;
}

static int copy_field(const char *s, size_t len, char *out, size_t size)
{
	if (len >= size)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static bool starts(const char *line, size_t len, const char *key, size_t *skip)
{
	size_t k = strlen(key);

	if (len < k || memcmp(line, key, k) != 0)
		return false;
	*skip = k;
	return true;
}

static int parse_offset(const char *s, size_t len, unsigned *offset)
{
	unsigned long v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*offset = (unsigned)v;
	return 0;
}

/* One line of an entry file; the line's own newline is not included. */
static int parse_entry_line(const char *line, size_t len, size_t number,
			    struct binfmt_entry *e, unsigned *seen)
{
	size_t k;

	if (number == 0) {
		if (len == 7 && memcmp(line, "enabled", 7) == 0)
			e->enabled = true;
		else if (len != 8 || memcmp(line, "disabled", 8) != 0)
			return -1;
		*seen |= 1;
		return 0;
	}
	if (starts(line, len, "interpreter ", &k)) {
		*seen |= 2;
		return copy_field(line + k, len - k, e->interpreter, sizeof(e->interpreter));
	}
	if (starts(line, len, "flags: ", &k) || starts(line, len, "flags:", &k)) {
		*seen |= 4;
		return parse_flags(line + k, len - k, &e->flags);
	}
	if (starts(line, len, "offset ", &k))
		return parse_offset(line + k, len - k, &e->offset);
	if (starts(line, len, "magic ", &k)) {
		*seen |= 8;
		return parse_hex(line + k, len - k, e->magic, &e->magic_len);
	}
	if (starts(line, len, "mask ", &k))
		return parse_hex(line + k, len - k, e->mask, &e->mask_len);
	if (starts(line, len, "extension ", &k)) {
		*seen |= 8;
		e->by_extension = true;
		return copy_field(line + k, len - k, e->extension, sizeof(e->extension));
	}
	return -1;
}

int binfmt_parse_entry(const char *text, size_t len, struct binfmt_entry *e)
{
	unsigned seen = 0;
	size_t number = 0;

	memset(e, 0, sizeof(*e));
	/* The kernel's text never holds a NUL byte: one would cut the
	 * interpreter or extension short, and a different entry be read. */
	if (memchr(text, '\0', len) != NULL)
		return -1;
	for (size_t start = 0; start < len; number++) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;

		if (parse_entry_line(text + start, end - start, number, e, &seen) != 0)
			return -1;
		start = end + 1;
	}
	/* State, interpreter, flags and what to match are always present. */
	if (seen != 15)
		return -1;
	if (e->mask_len != 0 && e->mask_len != e->magic_len)
		return -1;
	return 0;
}

static size_t append_hex(char *out, size_t used, size_t size, const unsigned char *bytes,
			 size_t len)
{
	for (size_t i = 0; i < len && used < size; i++) {
		int n = snprintf(out + used, size - used, "\\x%02x", bytes[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	return used;
}

size_t binfmt_magic_line(const char *name, const struct binfmt_magic *m,
			 const char *interpreter, unsigned flags, char *out, size_t size)
{
	char letters[5];
	size_t used;
	int n = m->offset != 0 ? snprintf(out, size, ":%s:M:%u:", name, m->offset)
			       : snprintf(out, size, ":%s:M::", name);

	binfmt_flags_format(flags, letters);
	used = n > 0 ? (size_t)n : size;
	used = append_hex(out, used, size, m->magic, m->magic_len);
	if (used < size)
		out[used++] = ':';
	used = append_hex(out, used, size, m->mask, m->mask_len);
	if (used < size) {
		n = snprintf(out + used, size - used, ":%s:%s", interpreter, letters);
		used += n > 0 ? (size_t)n : size;
	}
	return used < size && used <= BINFMT_REGISTER_MAX ? used : 0;
}

size_t binfmt_entry_line(const char *name, const struct binfmt_entry *e, char *out,
			 size_t size)
{
	const struct binfmt_magic m = { e->offset, e->magic, e->magic_len, e->mask,
					e->mask_len };
	char flags[5];
	int n;

	if (!e->by_extension)
		return binfmt_magic_line(name, &m, e->interpreter, e->flags, out, size);
	binfmt_flags_format(e->flags, flags);
	n = snprintf(out, size, ":%s:E::%s::%s:%s", name, e->extension, e->interpreter, flags);
	return n > 0 && (size_t)n < size && n <= BINFMT_REGISTER_MAX ? (size_t)n : 0;
}

bool binfmt_entry_matches(const struct binfmt_entry *e, const unsigned char *head, size_t len)
{
	if (e->by_extension || e->offset + e->magic_len > len)
		return false;
	for (size_t i = 0; i < e->magic_len; i++) {
		unsigned mask = e->mask_len != 0 ? e->mask[i] : 0xff;
		if ((head[e->offset + i] ^ e->magic[i]) & mask)
			return false;
	}
	return true;
}

bool binfmt_entries_overlap(const struct binfmt_entry *a, const struct binfmt_entry *b)
{
	size_t from = a->offset > b->offset ? a->offset : b->offset;
	size_t a_end = a->offset + a->magic_len;
	size_t b_end = b->offset + b->magic_len;

	if (a->by_extension || b->by_extension)
		return a->by_extension && b->by_extension &&
		       strcmp(a->extension, b->extension) == 0;
	for (size_t p = from; p < a_end && p < b_end; p++) {
		size_t i = p - a->offset;
		size_t j = p - b->offset;
		unsigned ma = a->mask_len != 0 ? a->mask[i] : 0xff;
		unsigned mb = b->mask_len != 0 ? b->mask[j] : 0xff;
		if ((a->magic[i] ^ b->magic[j]) & ma & mb)
			return false;
	}
	return true;
}
