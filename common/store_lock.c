/* SPDX-License-Identifier: ISC */
/*
 * store_lock.c - the writers' lock, flock on helper.lock in the store,
 * waited for at most STORE_LOCK_WAIT seconds.  The holder writes its pid
 * into the file, so that whoever gives up can say who holds it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store_int.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid the holder wrote, or 0 when there is none to read. */
static long
holder_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && (*end == '\n' || *end == '\0') && pid > 0 ? pid :
	                                                                 0;
}

/*
 * Wait for the lock in steps of 50 ms: flock's blocking wait cannot be
 * bounded without a signal, and an alarm would be the caller's too.
 */
static int
wait_lock(int fd, const char *path, char *err)
{
	const struct timespec step = { 0, 50 * 1000000 };
	int64_t give_up = now_ms() + STORE_LOCK_WAIT * 1000;
	long pid;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return err_set(err, ERR_UNAVAIL, "%s: %s", path,
			    strerror(errno));
		if (now_ms() >= give_up) {
			if ((pid = holder_pid(fd)) > 0)
				return err_set(err, ERR_UNAVAIL,
				    "%s is held by pid %ld: gave up after %d "
				    "s; try again once it has finished",
				    path, pid, STORE_LOCK_WAIT);
			return err_set(err, ERR_UNAVAIL,
			    "%s is held by another process: gave up after %d "
			    "s; try again once it has finished",
			    path, STORE_LOCK_WAIT);
		}
		nanosleep(&step, NULL);
	}
	return 0;
}

int
store_lock(struct store *st, char *err)
{
	char path[PATH_MAX + 16], pid[24];
	int rc, n;

	if (st->lockfd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", st->dir, LOCK_FILE);
	st->lockfd =
	    open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    strerror(errno));
	if ((rc = env_check_path(path, false, NULL, err)) < 0 ||
	    (rc = wait_lock(st->lockfd, path, err)) < 0)
		goto fail;
	/* Only for the message above: a failed write costs only the pid. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lockfd, 0) == 0 &&
	    pwrite(st->lockfd, pid, (size_t)n, 0) != n)
		(void)ftruncate(st->lockfd, 0);
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
