/* SPDX-License-Identifier: ISC */
/*
 * store_lock.c - the writers' lock, flock on helper.lock in the store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "err.h"
#include "store_int.h"

int
store_lock(struct store *st, char *err)
{
	char path[PATH_MAX + 16];
	int rc;

	if (st->lockfd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", st->dir, LOCK_FILE);
	st->lockfd =
	    open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    strerror(errno));
	if ((rc = env_check_path(path, false, NULL, err)) < 0)
		goto fail;
	while (flock(st->lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			rc = err_set(err, ERR_UNAVAIL, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
	return 0;
fail:
	close(st->lockfd);
	st->lockfd = -1;
	return rc;
}

void
store_unlock(struct store *st)
{
	if (st->lockfd >= 0) {
		close(st->lockfd);
		st->lockfd = -1;
	}
}
