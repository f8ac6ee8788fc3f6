/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>

#include "daemonlog.h"

static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	/* A copy inherited by a child whose stderr went elsewhere does not
	 * count: the device and inode must be stderr's own. */
	return js != NULL && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
daemonlog_open(const char *ident, int facility, bool to_stderr)
{
	int opt = LOG_PID | LOG_NDELAY;

	if (to_stderr && !stderr_is_journal())
		opt |= LOG_PERROR;
	openlog(ident, opt, facility);
}
