#include "streams.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* A descriptor of 0-2 that is closed would be taken by the next open: the
 * binfmt_misc folder or its `register` file, and then `printf` writes into
 * the kernel. /dev/null keeps the number; where there is none (a bare
 * chroot), a path-only descriptor does, on which every write fails. Not
 * close-on-exec: these are the standard streams of whatever register
 * starts. When neither can be opened, nothing is safe to do. */
static void occupy(int fd)
{
	int got = openat(AT_FDCWD, "/dev/null", O_RDWR);

	if (got < 0)
		got = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY);
	if (got != fd)
		_exit(4);
}

void streams_guard(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			occupy(fd);
}
