/* The entries of binfmt_misc as text and as data: parsing what the kernel
 * prints, building the register strings it takes, and matching a program's
 * first bytes the way the kernel does. No system call here. */
#ifndef QUS_BINFMT_ENTRY_H
#define QUS_BINFMT_ENTRY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The kernel refuses a register string longer than this (fs/binfmt_misc.c). */
#define BINFMT_REGISTER_MAX 1920
#define BINFMT_FIELD_MAX 256

enum binfmt_flag {
	BINFMT_FLAG_P = 1 << 0,  /* preserve argv[0] */
	BINFMT_FLAG_O = 1 << 1,  /* open the binary, pass an fd */
	BINFMT_FLAG_C = 1 << 2,  /* credentials of the binary */
	BINFMT_FLAG_F = 1 << 3,  /* fix the interpreter at registration */
};

/* What the kernel reports for one entry. */
struct binfmt_entry {
	bool enabled;
	bool by_extension;       /* type E: matched by file name extension */
	unsigned flags;          /* enum binfmt_flag bits */
	unsigned offset;
	char interpreter[PATH_MAX];
	char extension[BINFMT_FIELD_MAX];
	unsigned char magic[BINFMT_FIELD_MAX];
	size_t magic_len;
	unsigned char mask[BINFMT_FIELD_MAX];
	size_t mask_len;         /* 0: no mask, every bit counts */
};

/* Flag letters in the kernel's canonical order, "POCF", NUL-terminated. */
void binfmt_flags_format(unsigned flags, char out[5]);

/* Parse the text of an entry file. Returns 0, or -1 when it is not one. */
int binfmt_parse_entry(const char *text, size_t len, struct binfmt_entry *e);

/* What a magic entry matches: MAGIC at OFFSET, where MASK has bits. */
struct binfmt_magic {
	unsigned offset;
	const unsigned char *magic;
	size_t magic_len;
	const unsigned char *mask;  /* MASK_LEN 0: every bit counts */
	size_t mask_len;
};

/* ":NAME:M:OFFSET:MAGIC:MASK:INTERPRETER:FLAGS", the format of QEMU's
 * qemu-binfmt-conf.sh, every magic and mask byte as \xHH (the kernel
 * decodes them), OFFSET empty when 0, into OUT (SIZE bytes). Returns its
 * length, or 0 when it would not fit SIZE or the kernel's limit. */
size_t binfmt_magic_line(const char *name, const struct binfmt_magic *m,
			 const char *interpreter, unsigned flags, char *out, size_t size);

/* The register string that registers E again under NAME, as it was (its
 * enabled state aside), into OUT (SIZE bytes). Returns its length, or 0
 * when it would not fit the kernel's limit. */
size_t binfmt_entry_line(const char *name, const struct binfmt_entry *e, char *out,
			 size_t size);

/* Whether the kernel would hand a program starting with HEAD (LEN bytes)
 * to E: every byte of its magic equal where its mask has bits. */
bool binfmt_entry_matches(const struct binfmt_entry *e, const unsigned char *head, size_t len);

/* Whether some program would match both A and B: every byte both look at
 * agrees wherever both masks care (or, by extension, the same extension). */
bool binfmt_entries_overlap(const struct binfmt_entry *a, const struct binfmt_entry *b);

#endif
