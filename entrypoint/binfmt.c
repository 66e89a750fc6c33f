#include "binfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lines.h"

/* Entry files are opened relative to the mount, never through a symlink:
 * a folder that only pretends to be binfmt_misc gets no writes. */
#define ENTRY_OPEN_FLAGS (O_CLOEXEC | O_NOFOLLOW)

/* The one test of what a filesystem is: its statfs magic. */
static bool is_binfmt_fs(const struct statfs *sfs)
{
	return sfs->f_type == BINFMT_MAGIC_FS;
}

static bool is_binfmt_misc(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && is_binfmt_fs(&sfs);
}

bool binfmt_in_kernel(void)
{
	char line[128];
	bool found = false;
	struct line_reader f;

	if (line_reader_open(&f, "/proc/filesystems") != 0)
		return true;  /* cannot tell: the mount will */
	while (!found && line_reader_next(&f, line, sizeof(line)))
		found = strcmp(line, "nodev\tbinfmt_misc\n") == 0;
	line_reader_close(&f);
	return found;
}

bool binfmt_mounted_at(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && is_binfmt_fs(&sfs);
}

/* The kernel's directory records, read with getdents64(2): no DIR, no
 * allocation, and the same code on musl and glibc. */
struct dirent64_record {
	unsigned long long d_ino;   /* cppcheck-suppress unusedStructMember */
	long long d_off;            /* cppcheck-suppress unusedStructMember */
	unsigned short d_reclen;
	unsigned char d_type;       /* cppcheck-suppress unusedStructMember */
	char d_name[];
};

int binfmt_each_name(int dirfd, int (*fn)(const char *name, void *ctx), void *ctx)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | ENTRY_OPEN_FLAGS);
	char buf[4096] __attribute__((aligned(8)));
	long n;
	int result = 0;

	if (fd < 0)
		return errno;
	while (result == 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; result == 0 && off < n;) {
			const struct dirent64_record *d = (const void *)(buf + off);
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				result = fn(d->d_name, ctx);
			off += d->d_reclen;
		}
	}
	if (n < 0 && result == 0)
		result = errno;
	close(fd);
	return result;
}

static int found_one(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return 1;
}

/* Returns 0 or errno. */
static int folder_is_empty(int dirfd, bool *empty)
{
	int r = binfmt_each_name(dirfd, found_one, NULL);

	*empty = r == 0;
	return r == 1 ? 0 : r;
}

static int open_folder(const char *path, int *fd, struct error *err)
{
	*fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT && strcmp(path, "/proc/sys/fs/binfmt_misc") == 0)
		return error_set(err, 0, "%s does not exist: this kernel has no binfmt_misc "
				 "loaded; on the host run: modprobe binfmt_misc", path);
	return error_set(err, errno, "cannot open %s", path);
}

/* Only an empty folder may have binfmt_misc mounted over it: mounting over
 * files would hide them, and a folder that holds a `register` of its own is
 * somebody else's. */
static enum binfmt_open_result check_mountable(const struct binfmt *b, struct error *err)
{
	bool empty = false;
	int r = folder_is_empty(b->dirfd, &empty);

	if (r != 0) {
		error_set(err, r, "cannot read %s", b->path);
		return BINFMT_OPEN_FAILED;
	}
	if (empty)
		return BINFMT_OPEN_OK;
	error_set(err, 0, "%s is not a binfmt_misc filesystem and is not empty: refusing to "
		  "mount over it or to write into it", b->path);
	return BINFMT_OPEN_FOREIGN;
}

static enum binfmt_open_result mount_here(struct binfmt *b, struct error *err)
{
	if (mount("binfmt_misc", b->path, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) != 0) {
		int e = errno;
		if (e == EPERM || e == EACCES) {
			error_set(err, e, "binfmt_misc is not mounted at %s and this process may "
				  "not mount it", b->path);
			return BINFMT_OPEN_MAY_NOT_MOUNT;
		}
		if (e == ENODEV)
			error_set(err, 0, "this kernel has no binfmt_misc: on the host run: "
				  "modprobe binfmt_misc");
		else
			error_set(err, e, "cannot mount binfmt_misc at %s", b->path);
		return BINFMT_OPEN_FAILED;
	}
	b->mounted = true;
	close(b->dirfd);
	if (open_folder(b->path, &b->dirfd, err) != 0)
		return BINFMT_OPEN_FAILED;
	if (!is_binfmt_misc(b->dirfd)) {
		error_set(err, 0, "mounted binfmt_misc at %s, but %s is still not binfmt_misc "
			  "(a folder mounted over it?)", b->path, b->path);
		return BINFMT_OPEN_FAILED;
	}
	return BINFMT_OPEN_OK;
}

static enum binfmt_open_result open_register(struct binfmt *b, struct error *err)
{
	b->registerfd = openat(b->dirfd, "register", O_WRONLY | ENTRY_OPEN_FLAGS);
	if (b->registerfd >= 0)
		return BINFMT_OPEN_OK;
	error_set(err, errno, "%s/register is not writable", b->path);
	return BINFMT_OPEN_READ_ONLY;
}

/* Mount binfmt_misc over an empty folder, when allowed to. */
static enum binfmt_open_result mount_if_absent(struct binfmt *b, bool may_mount,
					       struct error *err)
{
	enum binfmt_open_result r;

	if (is_binfmt_misc(b->dirfd))
		return BINFMT_OPEN_OK;
	r = check_mountable(b, err);
	if (r != BINFMT_OPEN_OK)
		return r;
	if (!may_mount)
		return BINFMT_OPEN_NOT_MOUNTED;
	return mount_here(b, err);
}

enum binfmt_open_result binfmt_open(struct binfmt *b, const char *path, bool for_changes,
				    bool may_mount, struct error *err)
{
	enum binfmt_open_result r;

	b->path = path;
	b->registerfd = -1;
	b->mounted = false;
	if (open_folder(path, &b->dirfd, err) != 0)
		return BINFMT_OPEN_FAILED;
	r = mount_if_absent(b, may_mount, err);
	if (r == BINFMT_OPEN_OK && for_changes)
		r = open_register(b, err);
	if (r != BINFMT_OPEN_OK)
		binfmt_close(b);
	return r;
}

bool binfmt_serves_this_process(const struct binfmt *b)
{
	struct stat here;
	struct stat ours;

	return b->mounted || (fstat(b->dirfd, &here) == 0 &&
			      stat("/proc/sys/fs/binfmt_misc", &ours) == 0 &&
			      here.st_dev == ours.st_dev);
}

int binfmt_recheck(const struct binfmt *b, struct error *err)
{
	if (is_binfmt_misc(b->dirfd) && (b->registerfd < 0 || is_binfmt_misc(b->registerfd)))
		return 0;
	return error_set(err, 0, "%s is no longer a binfmt_misc filesystem; stopped", b->path);
}

void binfmt_close(struct binfmt *b)
{
	if (b->registerfd >= 0)
		close(b->registerfd);
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->registerfd = -1;
	b->dirfd = -1;
}

int binfmt_register(const struct binfmt *b, const char *line, size_t len)
{
	ssize_t n = write(b->registerfd, line, len);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

static int write_entry(const struct binfmt *b, const char *name, const char *text)
{
	int fd = openat(b->dirfd, name, O_WRONLY | ENTRY_OPEN_FLAGS);
	int result = 0;
	size_t len = strlen(text);

	if (fd < 0)
		return errno;
	if (write(fd, text, len) != (ssize_t)len)
		result = errno != 0 ? errno : EIO;
	close(fd);
	return result;
}

static bool is_control_file(const char *name)
{
	return strcmp(name, "register") == 0 || strcmp(name, "status") == 0;
}

int binfmt_remove(const struct binfmt *b, const char *name)
{
	/* "-1" written to `status` would remove every entry of every tool. */
	if (is_control_file(name))
		return EPERM;
	return write_entry(b, name, "-1");
}

int binfmt_disable(const struct binfmt *b, const char *name)
{
	if (is_control_file(name))
		return EPERM;
	return write_entry(b, name, "0");
}

static ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | ENTRY_OPEN_FLAGS);
	size_t used = 0;

	if (fd < 0)
		return -1;
	while (used < size) {
		ssize_t n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			errno = e;
			return n < 0 ? -1 : (ssize_t)used;
		}
		used += (size_t)n;
	}
	close(fd);
	errno = EFBIG;
	return -1;
}

int binfmt_read(const struct binfmt *b, const char *name, struct binfmt_entry *e)
{
	char text[PATH_MAX + 4 * BINFMT_FIELD_MAX + 128];
	ssize_t n;

	if (is_control_file(name))
		return EINVAL;
	n = read_file_at(b->dirfd, name, text, sizeof(text));
	if (n < 0)
		return errno;
	return binfmt_parse_entry(text, (size_t)n, e) == 0 ? 0 : EBADMSG;
}

int binfmt_status_enabled(const struct binfmt *b, bool *enabled)
{
	char text[32];
	ssize_t n = read_file_at(b->dirfd, "status", text, sizeof(text));

	if (n < 0)
		return errno;
	*enabled = n >= 7 && memcmp(text, "enabled", 7) == 0;
	return 0;
}

/* The folder is read twice: once to measure it, once to copy the names
 * into a mapping of that size. Entries registered in between get some room;
 * when more came than that, it is read again. */
#define LIST_SLACK ((size_t)64)
#define LIST_ATTEMPTS 4

struct list_fill {
	struct binfmt_names *names;
	size_t capacity;   /* of names->names */
	char *pool;
	size_t pool_used;
	size_t pool_size;
};

static int measure_name(const char *name, void *ctx)
{
	struct list_fill *f = ctx;

	if (!is_control_file(name)) {
		f->capacity++;
		f->pool_size += strlen(name) + 1;
	}
	return 0;
}

static int add_name(const char *name, void *ctx)
{
	struct list_fill *f = ctx;
	size_t len = strlen(name) + 1;

	if (is_control_file(name))
		return 0;
	if (f->names->count == f->capacity || f->pool_used + len > f->pool_size)
		return -1;  /* more than measured: read it again */
	memcpy(f->pool + f->pool_used, name, len);
	f->names->names[f->names->count++] = f->pool + f->pool_used;
	f->pool_used += len;
	return 0;
}

/* Move the name at ROOT down the heap NAMES[0, N) to its place. */
static void sift_down(const char **names, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && strcmp(names[child], names[child + 1]) < 0)
			child++;
		if (strcmp(names[root], names[child]) >= 0)
			return;
		const char *t = names[root];
		names[root] = names[child];
		names[child] = t;
	}
}

/* Heapsort: n log n for any number of names, in a few dozen bytes of code
 * (libc's qsort would add a kilobyte to a program that counts them). */
static void sort_names(const char **names, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(names, i, n);
	for (size_t end = n; end-- > 1;) {
		const char *t = names[0];
		names[0] = names[end];
		names[end] = t;
		sift_down(names, 0, end);
	}
}

/* Map room for CAPACITY names of POOL_SIZE bytes in all. */
static int map_list(struct list_fill *f)
{
	struct binfmt_names *names = f->names;
	size_t pointers = f->capacity * sizeof(*names->names);
	void *map;

	names->map_size = pointers + f->pool_size;
	map = mmap(NULL, names->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED) {
		names->map_size = 0;
		return -1;
	}
	names->map = map;
	names->names = map;
	f->pool = (char *)map + pointers;
	return 0;
}

int binfmt_list(const struct binfmt *b, struct binfmt_names *names)
{
	memset(names, 0, sizeof(*names));
	for (int attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
		struct list_fill f = { .names = names };
		int r = binfmt_each_name(b->dirfd, measure_name, &f);

		if (r != 0)
			return r;
		f.capacity += LIST_SLACK;
		f.pool_size += LIST_SLACK * ((size_t)NAME_MAX + 1);
		if (map_list(&f) != 0)
			return errno;
		r = binfmt_each_name(b->dirfd, add_name, &f);
		if (r == 0) {
			sort_names(names->names, names->count);
			return 0;
		}
		binfmt_names_release(names);
		if (r > 0)
			return r;
	}
	return EAGAIN;  /* the folder kept growing while it was read */
}

void binfmt_names_release(struct binfmt_names *names)
{
	if (names->map != NULL)
		munmap(names->map, names->map_size);
	memset(names, 0, sizeof(*names));
}
