/* The QEMU user-mode targets that binfmt_misc can route programs to. */
#ifndef QUS_TARGETS_H
#define QUS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "elf.h"  /* ELF_HEAD_MAX: every magic fits in it */

struct target {
	const char *name;         /* QEMU's name; the entry is "qemu-<name>" */
	const char *interpreter;  /* emulator base name: i486 runs on qemu-i386 */
	const char *family;       /* targets of the host's family are not registered */
	const char *platforms;    /* OCI platforms, comma separated; "" when none */
	const unsigned char *magic;
	size_t magic_len;
	const unsigned char *mask;
	size_t mask_len;
};

#define TARGET_COUNT 34

extern const struct target targets[TARGET_COUNT];
extern const size_t target_count;

/* The target called NAME ("aarch64"), or NULL. */
const struct target *target_by_name(const char *name);

/* The target a user means by NAME: a QEMU target ("aarch64"), a Go or
 * Debian architecture name ("arm64", "386", "mips64le", "loong64", "armhf")
 * or an OCI platform ("linux/arm64", "linux/arm/v7"). NULL when unknown. */
const struct target *target_lookup(const char *name);

/* Whether `--install all` installs T: tonistiigi/binfmt's ten architectures
 * (amd64, 386, arm64, arm, riscv64, ppc64le, s390x, mips64, mips64le,
 * loong64), less those of this machine's family. */
bool target_in_install_all(const struct target *t);

/* Who takes a row of the table of other names (targets.c). */
enum arch_name_use {
	ARCH_QEMU = 1 << 0,   /* QEMU's normalisation of a CPU name: HOST_ARCH, uname -m */
	ARCH_USER = 1 << 1,   /* Go and Debian names a user gives: TARGET, --install */
	ARCH_UNAME = 1 << 2,  /* uname -m, for this machine's native platform */
};

/* Another name of a target. */
struct arch_name {
	const char *pattern;   /* a glob ("armv7*l") or a plain name ("arm64") */
	const char *target;    /* the QEMU target it names */
	unsigned uses;         /* enum arch_name_use bits */
	const char *platform;  /* ARCH_UNAME: the OCI platform of such a machine */
};

/* The first row of the table that NAME matches among those with one of
 * the USE bits, or NULL. */
const struct arch_name *target_arch_name(const char *name, unsigned use);

/* Index of T in targets[]. */
size_t target_index(const struct target *t);

/* Whether the first LEN bytes of a program, HEAD, would be routed by the
 * kernel to T's entry (the kernel's rule: every masked byte equal). */
bool target_matches(const struct target *t, const unsigned char *head, size_t len);

#endif
