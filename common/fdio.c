/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "fdio.h"

static size_t
read_until(int fd, char *buf, size_t len, bool line)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r > 0) {
			got += (size_t)r;
			if (line && buf[got - 1] == '\n')
				break;
		} else if (r == 0 || errno != EINTR) {
			break;
		}
	}
	return got;
}

size_t
fdio_read_all(int fd, void *buf, size_t len)
{
	return read_until(fd, buf, len, false);
}

size_t
fdio_read_line(int fd, void *buf, size_t len)
{
	return read_until(fd, buf, len, true);
}
