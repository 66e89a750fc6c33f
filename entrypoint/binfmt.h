/* The kernel interface: the binfmt_misc filesystem, and each entry in it
 * (their text is binfmt_entry.h's). */
#ifndef QUS_BINFMT_H
#define QUS_BINFMT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "binfmt_entry.h"
#include "error.h"

#define BINFMT_MAGIC_FS 0x42494e4d  /* statfs f_type of binfmt_misc */

/* An open binfmt_misc filesystem. */
struct binfmt {
	const char *path;
	int dirfd;
	int registerfd;   /* open for writing, or -1 when only looking */
	bool mounted;     /* this process mounted it */
};

enum binfmt_open_result {
	BINFMT_OPEN_OK,
	BINFMT_OPEN_FAILED,         /* ERR says why */
	BINFMT_OPEN_NOT_MOUNTED,    /* it would have to be mounted, and MAY_MOUNT is false */
	BINFMT_OPEN_FOREIGN,        /* PATH is another, non-empty folder: never mounted over */
	BINFMT_OPEN_MAY_NOT_MOUNT,  /* not mounted, and this process may not mount it */
	BINFMT_OPEN_READ_ONLY,      /* `register` cannot be opened for writing */
};

/* Open the binfmt_misc filesystem at PATH, mounting it there when nothing
 * is mounted (an empty folder) and MAY_MOUNT allows. With FOR_CHANGES, also
 * open `register` for writing, so that a read-only or unprivileged instance
 * is found before the first change. Any result but OK and NOT_MOUNTED comes
 * with ERR; what to do about it is the caller's to say. */
enum binfmt_open_result binfmt_open(struct binfmt *b, const char *path, bool for_changes,
				    bool may_mount, struct error *err);

/* Whether the instance open in B is the one this process's own execs go
 * through (so that a probe run here tests its entries): the one it mounted
 * itself, or the one mounted at /proc/sys/fs/binfmt_misc. Not another
 * instance reached by --mount, whose entries serve other processes. */
bool binfmt_serves_this_process(const struct binfmt *b);

/* Check, again, that what is open is still binfmt_misc (fstatfs), before a
 * batch of writes. Returns 0, or -1 with ERR. */
int binfmt_recheck(const struct binfmt *b, struct error *err);

/* Whether the kernel has binfmt_misc (/proc/filesystems; true when that
 * cannot be read: the mount will tell). */
bool binfmt_in_kernel(void);

/* Whether PATH is where a binfmt_misc filesystem is mounted (statfs). */
bool binfmt_mounted_at(const char *path);

void binfmt_close(struct binfmt *b);

/* Register LINE in a single write(2). Returns 0 or the kernel's errno. */
int binfmt_register(const struct binfmt *b, const char *line, size_t len);

/* Remove entry NAME. Returns 0 or errno (ENOENT: already gone). */
int binfmt_remove(const struct binfmt *b, const char *name);

/* Disable entry NAME (write 0 to it). Returns 0 or errno. */
int binfmt_disable(const struct binfmt *b, const char *name);

/* Read entry NAME. Returns 0, errno (ENOENT: no such entry), or EBADMSG
 * when the kernel's text cannot be parsed. */
int binfmt_read(const struct binfmt *b, const char *name, struct binfmt_entry *e);

/* Call FN for each name in the folder open at DIRFD, "." and ".." aside,
 * in the order the filesystem lists them (binfmt_misc: newest entry first,
 * the order in which the kernel tries them). Stops when FN returns non-zero
 * (an errno value, or 1 for "found") and returns that; returns the errno
 * when the folder cannot be read, 0 when every name was seen. */
int binfmt_each_name(int dirfd, int (*fn)(const char *name, void *ctx), void *ctx);

/* The names of all entries (not `register` or `status`), sorted. The kernel
 * sets no limit on their number (each name up to 255 bytes), so they live
 * in an anonymous mapping sized to the folder, not in malloc's heap. */
struct binfmt_names {
	const char **names;
	size_t count;
	void *map;         /* the mapping: the pointers, then the names */
	size_t map_size;
};

/* Fill NAMES. Returns 0 or an errno. Release it afterwards. */
int binfmt_list(const struct binfmt *b, struct binfmt_names *names);

void binfmt_names_release(struct binfmt_names *names);

/* Whether the kernel has binfmt_misc enabled as a whole (`status`).
 * Returns 0 or errno. */
int binfmt_status_enabled(const struct binfmt *b, bool *enabled);

#endif
