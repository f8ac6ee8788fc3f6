/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "fdio.h"

size_t
fdio_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, (char *)buf + got, len - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	return got;
}
