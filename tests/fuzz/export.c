/*
 * libFuzzer harness: the export formats (-s CPU|ALL for binfmt.d, -d for
 * update-binfmts). The input is a command line, as in cli.c; whatever
 * cli_parse takes for an export goes through plan_build and export_run,
 * always into a private folder on tmpfs (never the -e the input names).
 * Every file written there must be one the loaders read whole: a binfmt.d
 * file is one register string on one line, an update-binfmts template is
 * its seven "key value" lines, and no temporary file is left behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../entrypoint/cli.h"
#include "../../entrypoint/export.h"
#include "../../entrypoint/host.h"
#include "../../entrypoint/plan.h"
#include "args.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plan plan;
static char folder[64];

static void remove_folder(void)
{
	rmdir(folder);
}

static void make_folder(void)
{
	if (folder[0] != '\0')
		return;
	snprintf(folder, sizeof(folder), "/dev/shm/qus-fuzz-export.%d", (int)getpid());
	if (mkdir(folder, 0700) != 0)
		abort();
	atexit(remove_folder);
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static void check_systemd_file(const char *text, size_t len)
{
	if (len < 2 || text[len - 1] != '\n' || count_char(text, len, '\n') != 1 ||
	    count_char(text, len, ':') != 7 || strncmp(text, ":qemu-", 6) != 0 ||
	    len - 1 > 1920)
		abort();
}

static void check_debian_file(const char *text, size_t len)
{
	static const char *const keys[] = { "package ", "interpreter ", "magic ", "mask ",
					     "credentials ", "preserve ", "fix_binary " };
	const char *line = text;

	if (len == 0 || text[len - 1] != '\n' || count_char(text, len, '\n') != 7)
		abort();
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		if (strncmp(line, keys[k], strlen(keys[k])) != 0)
			abort();
		line = strchr(line, '\n') + 1;
	}
}

/* Read back, check and remove every file export_run wrote. */
static void check_and_clean(bool debian)
{
	DIR *dir = opendir(folder);
	struct dirent *d;
	static char text[8192];

	if (dir == NULL)
		abort();
	while ((d = readdir(dir)) != NULL) {
		char path[512];
		ssize_t n;
		int fd;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		/* Only qemu-<target>[.conf]: no temporary file, no other name. */
		if (strncmp(d->d_name, "qemu-", 5) != 0 || d->d_type != DT_REG)
			abort();
		snprintf(path, sizeof(path), "%s/%s", folder, d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			abort();
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n < 0)
			abort();
		text[n] = '\0';
		if (debian)
			check_debian_file(text, (size_t)n);
		else
			check_systemd_file(text, (size_t)n);
		unlink(path);
	}
	closedir(dir);
}

static void run_export(struct options *o)
{
	struct error err;
	const char *host_name = NULL;
	const struct target *host = host_detect(o->host_arch, &host_name);

	if (host == NULL || plan_build(o, host, &plan, &err) != 0)
		return;
	plan_check_interpreters(&plan, false);
	o->exportdir = folder;
	export_run(o, &plan);
	check_and_clean(o->debian);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_args a;
	struct options o;
	struct error err;

	if (fuzz_args_split(&a, data, size) != 0)
		return 0;
	make_folder();
	if (cli_parse(a.argc, a.argv, &a.env, &o, &err) == 0 && o.mode == MODE_EXPORT)
		run_export(&o);
	free(a.copy);
	return 0;
}
