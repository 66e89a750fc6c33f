/*
 * --doctor on a systemd host: systemd-binfmt, when it starts, removes every
 * entry and registers those of its binfmt.d(5) files, so any restart of it
 * wipes what a container registered. Which QEMU entries no file holds?
 */
#include "doctor_check.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"

/* Append the N bytes at S and a newline to the list LIST of SIZE bytes. */
static void append_line(char *list, size_t size, const char *s, size_t n)
{
	size_t used = strlen(list);

	if (used + n + 2 > size)
		return;
	memcpy(list + used, s, n);
	memcpy(list + used + n, "\n", 2);
}

/* The entry names the binfmt.d files register ("\nname\n" each), and the
 * files read so far: one of the same name in a later folder is masked. */
struct binfmt_d {
	const char *root;  /* the host's files: /proc/PID/root, or "" */
	const char *dir;
	char names[16384];
	char seen[4096];
};

static int read_conf(const char *file, void *ctx)
{
	struct binfmt_d *bd = ctx;
	char path[PATH_MAX + 64];
	char key[NAME_MAX + 3];
	char line[BINFMT_REGISTER_MAX + 2];
	size_t len = strlen(file);
	struct line_reader f;

	snprintf(key, sizeof(key), "\n%s\n", file);
	if (len < 6 || strcmp(file + len - 5, ".conf") != 0 || line_find(bd->seen, key) != NULL)
		return 0;
	append_line(bd->seen, sizeof(bd->seen), file, len);
	snprintf(path, sizeof(path), "%s%s/%s", bd->root, bd->dir, file);
	if (line_reader_open(&f, path) != 0)
		return 0;
	/* ":name:type:..." with any first character as the delimiter. */
	while (line_reader_next(&f, line, sizeof(line))) {
		const char stop[3] = { line[0], '\n', '\0' };
		size_t n = line[0] != '\0' ? strcspn(line + 1, stop) : 0;

		if (n > 0 && line[0] != '#' && line[0] != ';')
			append_line(bd->names, sizeof(bd->names), line + 1, n);
	}
	line_reader_close(&f);
	return 0;
}

/* binfmt.d(5): the folders, first to last; a file masks a later one of
 * the same name. */
static void read_binfmt_d(struct binfmt_d *bd, const char *root)
{
	static const char *const dirs[] = { "/etc/binfmt.d", "/run/binfmt.d",
					    "/usr/local/lib/binfmt.d", "/usr/lib/binfmt.d" };

	bd->root = root;
	snprintf(bd->names, sizeof(bd->names), "\n");
	snprintf(bd->seen, sizeof(bd->seen), "\n");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[PATH_MAX + 64];
		int fd;

		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		bd->dir = dirs[i];
		binfmt_each_name(fd, read_conf, bd);
		close(fd);
	}
}

/* systemd-binfmt, when it starts, removes every entry and registers those
 * of its binfmt.d files: any restart wipes what a container registered. */
bool doctor_check_systemd(struct doctor *d)
{
	static struct binfmt_d bd;
	struct doctor_fix fix;
	char list[512] = "";
	const struct doctor_entry *first = NULL;
	unsigned missing = 0;

	if (d->userns || !doctor_exists_at(d->root, "/run/systemd/system", F_OK))
		return true;
	read_binfmt_d(&bd, d->root);
	for (size_t i = 0; i < d->count; i++) {
		const char *name = d->entries[i].name;
		char key[NAME_MAX + 3];
		size_t used = strlen(list);

		snprintf(key, sizeof(key), "\n%.*s\n", NAME_MAX, name);
		if (!d->entries[i].qemu || line_find(bd.names, key) != NULL)
			continue;
		if (missing++ < 4)
			snprintf(list + used, sizeof(list) - used, "%s%.*s", used ? ", " : "",
				 NAME_MAX, name);
		first = first != NULL ? first : &d->entries[i];
	}
	if (first == NULL) {
		doctor_emit(d, DOCTOR_OK, "systemd", "systemd-binfmt", NULL, "every QEMU entry is in a "
		     "binfmt.d file: a restart of systemd-binfmt registers them again");
		return true;
	}
	if (strrchr(first->e.interpreter, '/') != NULL &&
	    doctor_exists_at(d->root, first->e.interpreter, X_OK)) {
		const char *slash = strrchr(first->e.interpreter, '/');
		snprintf(fix.text, sizeof(fix.text), "%s --systemd ALL -p yes -Q %.*s",
			 d->root[0] != '\0' || hostns_in_pid_namespace() ? "docker run --rm -v "
			 "/etc/binfmt.d:/etc/binfmt.d IMAGE" : "register",
			 (int)(slash - first->e.interpreter), first->e.interpreter);
	} else {
		fix_register(&fix, d, "--reset -p yes");
	}
	doctor_emit(d, DOCTOR_WARNING, "systemd", "systemd-binfmt", fix.text,
		    "this host runs systemd, and %u "
	     "QEMU entr%s (%s%s) %s in no binfmt.d file: systemd-binfmt removes every entry "
	     "when it starts again (a restart, an upgrade of systemd), and registers only "
	     "those of its files; keep them in binfmt.d files when the emulators are on the "
	     "host, or register again after such a restart", missing, missing == 1 ? "y" : "ies",
	     list, missing > 4 ? ", ..." : "", missing == 1 ? "is" : "are");
	return true;
}

