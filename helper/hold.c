/* SPDX-License-Identifier: ISC */
/*
 * hold.c - holding the writers' lock (helper.lock) so that the caller
 * cannot make root wait: while it is held, nothing is written to the
 * caller's stdout, stderr or syslog.
 *
 * The caller gives the helper its stdout and stderr: a full pipe, or a
 * terminal stopped with Ctrl-S, blocks a write for as long as the caller
 * likes, and a full /dev/log queue blocks syslog.  So hold_lock points
 * fds 1 and 2 at memory files (children such as useradd inherit them) and
 * hold_log queues audit lines; hold_release drops the lock first and only
 * then writes what was kept, in order within each stream.  main()
 * releases after the command returns, and at exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "apitoken.h"
#include "err.h"

#define HOLD_LOG_MAX 4096 /* audit lines kept; prune writes one a token */

static struct {
	struct store *st;
	int saved[2]; /* the caller's fds 1 and 2 */
	int mem[2];   /* what goes to them meanwhile */
	struct {
		int prio;
		char *msg;
	} log[HOLD_LOG_MAX];
	int nlog;
	bool registered;
} held = { .saved = { -1, -1 }, .mem = { -1, -1 } };

/* Put fd back as the caller gave it and copy out what was kept for it. */
static void
restore(int i)
{
	int fd = i + 1;
	char buf[4096];
	ssize_t n;

	if (held.saved[i] < 0)
		return;
	dup2(held.saved[i], fd);
	close(held.saved[i]);
	held.saved[i] = -1;
	if (lseek(held.mem[i], 0, SEEK_SET) == 0)
		while ((n = read(held.mem[i], buf, sizeof(buf))) > 0)
			for (ssize_t off = 0, w; off < n; off += w)
				if ((w = write(fd, buf + off,
				         (size_t)(n - off))) < 0) {
					if (errno != EINTR)
						goto done;
					w = 0;
				}
done:
	close(held.mem[i]);
	held.mem[i] = -1;
}

void
hold_release(void)
{
	if (held.st == NULL)
		return;
	fflush(stdout);
	fflush(stderr);
	store_unlock(held.st);
	held.st = NULL;
	for (int i = 0; i < 2; i++)
		restore(i);
	for (int i = 0; i < held.nlog; i++) {
		syslog(held.log[i].prio, "%s", held.log[i].msg);
		free(held.log[i].msg);
	}
	held.nlog = 0;
}

int
hold_lock(struct store *st, char *err)
{
	int rc;

	if (held.st != NULL)
		return 0;
	if ((rc = store_lock(st, err)) < 0)
		return rc;
	if (!held.registered)
		held.registered = atexit(hold_release) == 0;
	fflush(stdout);
	fflush(stderr);
	held.st = st;
	for (int i = 0; i < 2; i++)
		if ((held.mem[i] =
		            memfd_create("apitoken-output", MFD_CLOEXEC)) < 0 ||
		    (held.saved[i] = fcntl(i + 1, F_DUPFD_CLOEXEC, 3)) < 0 ||
		    dup2(held.mem[i], i + 1) < 0) {
			rc = err_set(err, ERR_UNAVAIL,
			    "cannot set the output aside: %s", strerror(errno));
			hold_release();
			return rc;
		}
	return 0;
}

void
hold_log(int prio, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (held.st == NULL)
		vsyslog(prio, fmt, ap);
	else if (held.nlog < HOLD_LOG_MAX && vasprintf(&msg, fmt, ap) >= 0) {
		held.log[held.nlog].prio = prio;
		held.log[held.nlog++].msg = msg;
	}
	va_end(ap);
}
