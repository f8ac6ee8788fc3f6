/* SPDX-License-Identifier: ISC */
/*
 * accounts.c - service users, through shadow-utils only.
 *
 * useradd, usermod, chage and userdel take the passwd locks, write and rename
 * the files, and flush nscd and sssd; doing that by hand is how tools go wrong.
 * Each runs from an absolute path with a fixed argument list ending "--
 * NAME", a fixed environment, stdin from /dev/null and every fd above 2
 * closed.  Their first line of error output becomes ours.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apitoken.h"
#include "err.h"
#include "fdio.h"
#include "log.h"
#include "when.h"

#define GECOS_MARK "apitoken "

static int
run(const char *const argv[], char *err)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C", NULL };
	char out[512], first[256];
	size_t got;
	int fds[2], status, devnull;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(err, ERR_UNAVAIL, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, ERR_UNAVAIL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(fds[1]);
	got = fdio_read_all(fds[0], out, sizeof(out) - 1);
	out[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_set(err, ERR_UNAVAIL, "waitpid: %s",
			    strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	log_redact(out, first, sizeof(first));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(err, ERR_UNAVAIL, "cannot run %s", argv[0]);
	return err_set(err, ERR_UNAVAIL, "%s failed (%s %d)%s%s", argv[0],
	    WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    first[0] ? ": " : "", first);
}

/* The account expires with the token: YYYY-MM-DD, or "" for never. */
static void
expiry_date(const struct record *r, char buf[16])
{
	char when[WHEN_BUF];

	buf[0] = '\0';
	if (r->expires_at != 0) {
		/* chage -E takes a day; round up so the account outlives the
		 * token. */
		when_format(r->expires_at + 86399, when);
		snprintf(buf, 16, "%.10s", when);
	}
}

int
account_create(const struct ctx *c, const struct record *r, char *err)
{
	char uid[16], gecos[TOKEN_ID_LEN + 16],
	    groups[LIST_MAX * (ITEM_MAX_LEN + 1)] = "";
	char expires[16];
	const char *argv[24];
	int n = 0, rc;

	snprintf(uid, sizeof(uid), "%u", r->uid);
	snprintf(gecos, sizeof(gecos), GECOS_MARK "%s", r->id);
	expiry_date(r, expires);
	for (int i = 0; i < c->conf.groups.n; i++) {
		strcat(groups, i ? "," : "");
		strcat(groups, c->conf.groups.v[i]);
	}
	argv[n++] = "/usr/sbin/useradd";
	argv[n++] = "--system";
	argv[n++] = "--uid";
	argv[n++] = uid;
	argv[n++] = "--user-group";
	argv[n++] = "--no-create-home";
	argv[n++] = "--home-dir";
	argv[n++] = c->conf.home;
	argv[n++] = "--shell";
	argv[n++] = c->conf.shell;
	argv[n++] = "--comment";
	argv[n++] = gecos;
	if (groups[0] != '\0') {
		argv[n++] = "--groups";
		argv[n++] = groups;
	}
	argv[n++] = "--";
	argv[n++] = r->user;
	argv[n] = NULL;
	if ((rc = run(argv, err)) < 0)
		return rc;
	/* useradd --system ignores --expiredate: the expiry is set apart. */
	return expires[0] != '\0' ? account_set_expiry(r, err) : 0;
}

int
account_lock(const struct record *r, char *err)
{
	const char *argv[] = { "/usr/sbin/usermod", "--lock", "--expiredate",
		"1", "--", r->user, NULL };
	const char *kill_argv[] = { "/usr/bin/pkill", "-KILL", "-U", NULL,
		NULL };
	char uid[16];
	int rc;

	if ((rc = run(argv, err)) < 0)
		return rc;
	/* End its sessions too; pkill exits 1 when there were none. */
	snprintf(uid, sizeof(uid), "%u", r->uid);
	kill_argv[3] = uid;
	if (access(kill_argv[0], X_OK) == 0)
		run(kill_argv, NULL);
	return 0;
}

int
account_set_expiry(const struct record *r, char *err)
{
	char expires[16];
	/* chage, not usermod: it flushes nscd and sssd once, not twice (-1.3
	 * of 4.7 ms). */
	const char *argv[] = { "/usr/bin/chage", "--expiredate", expires, "--",
		r->user, NULL };

	expiry_date(r, expires);
	if (expires[0] == '\0')
		strcpy(expires, "-1"); /* never */
	return run(argv, err);
}

int
account_delete(const struct record *r, char *err)
{
	const char *argv[] = { "/usr/sbin/userdel", "--", r->user, NULL };
	const char *kill_argv[] = { "/usr/bin/pkill", "-KILL", "-U", NULL,
		NULL };
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", r->uid);
	kill_argv[3] = uid;
	if (access(kill_argv[0], X_OK) == 0)
		run(kill_argv, NULL);
	return run(argv, err);
}

int
account_is_ours(const struct record *r)
{
	struct passwd pw, *found = NULL;
	char buf[16384], gecos[TOKEN_ID_LEN + 16];

	snprintf(gecos, sizeof(gecos), GECOS_MARK "%s", r->id);
	return getpwnam_r(r->user, &pw, buf, sizeof(buf), &found) == 0 &&
	    found != NULL && pw.pw_uid == r->uid &&
	    strcmp(pw.pw_gecos, gecos) == 0;
}
