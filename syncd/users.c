/* SPDX-License-Identifier: ISC */
/*
 * users.c - the accounts of fleet service users, through the root helper.
 *
 * After a commit that changed a service user's record, and once at start,
 * the daemon runs `apitoken check --repair --fleet-users`, which creates,
 * locks or removes each account as its record says (apitoken(8)): one
 * accounts code path with create's, revoke's and delete's rules, and the
 * daemon itself runs no useradd and signals no process.  Always after the
 * commit, never inside it: a login sees the record at once, and nothing
 * waits on useradd with the store's write transaction open.  A daemon
 * killed before the helper ran leaves an account for the next start (or
 * an admin's check --repair) to settle: the helper judges each account
 * from the passwd files as they are.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "err.h"
#include "syncd.h"

static const char *helper_path, *store_dir;

void
users_init(const char *helper, const char *dir, const char *config)
{
	helper_path = helper;
	store_dir = dir;
	/* The helper reads it for root: the same shell, home and groups as
	 * this host's own service users get. */
	setenv("APITOKEN_CONFIG", config, 1);
}

static int
any_fn(const struct record *r, void *ctx)
{
	(void)ctx;
	return r->origin == ORIGIN_FLEET && r->service_user;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_list(t, NULL, any_fn, ctx, err);
}

bool
users_any(struct store *st)
{
	char err[ERR_MAX];

	/* A store that cannot be read is the helper's to report. */
	return store_read(st, scan_fn, NULL, err) != 0;
}

void
users_settle(void)
{
	const char *argv[] = { helper_path, "--store", store_dir, "check",
		"--repair", "--fleet-users", NULL };
	char line[1024];
	int fds[2], status, devnull;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		syslog(LOG_ERR, "fleet service users: pipe: %m");
		return;
	}
	if ((pid = fork()) < 0) {
		syslog(LOG_ERR, "fleet service users: fork: %m");
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* What it found and did, one log line each. */
	if ((f = fdopen(fds[0], "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			syslog(LOG_NOTICE, "apitoken check: %s", line);
		}
		fclose(f);
	} else
		close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			syslog(LOG_ERR, "fleet service users: waitpid: %m");
			return;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		syslog(LOG_ERR, "fleet service users: cannot run %s",
		    helper_path);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		syslog(LOG_WARNING,
		    "fleet service users: %s check --repair --fleet-users "
		    "left some unsettled (%s %d); the next change or start "
		    "tries again",
		    helper_path, WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
