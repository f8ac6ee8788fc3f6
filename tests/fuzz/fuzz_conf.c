/* SPDX-License-Identifier: ISC */
/* Arbitrary bytes as apitoken.conf. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct conf c;
	char err[ERR_MAX];
	int fd;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/apitoken-fuzz-conf.%ld",
		    (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (conf_load(path, &c, err) == 0 &&
	    (c.uid_min > c.uid_max || c.default_services.n > LIST_MAX ||
	        c.shell[0] != '/'))
		abort();
	unlink(path);
	return 0;
}
