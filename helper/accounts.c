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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apitoken.h"
#include "err.h"
#include "fdio.h"
#include "redact.h"
#include "verify.h"
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
	redact_text(out, first, sizeof(first));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(err, ERR_UNAVAIL, "cannot run %s", argv[0]);
	return err_set(err, ERR_UNAVAIL, "%s failed (%s %d)%s%s", argv[0],
	    WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    first[0] ? ": " : "", first);
}

/* chage -E takes a day; round up so the account outlives the token. */
#define EXPIRY_ROUND 86399

/* The account expires with the token: YYYY-MM-DD, or "" for never. */
static void
expiry_date(const struct record *r, char buf[16])
{
	char when[WHEN_BUF];

	buf[0] = '\0';
	if (r->expires_at != 0) {
		when_format(r->expires_at + EXPIRY_ROUND, when);
		snprintf(buf, 16, "%.10s", when);
	}
}

/* The account's expiry day in shadow (sp_expire, -1 for none); false when
 * it has no shadow entry or the lookup fails. */
static bool
shadow_expiry(const char *name, long *day)
{
	struct spwd sp, *found = NULL;
	char buf[16384];
	bool have = getspnam_r(name, &sp, buf, sizeof(buf), &found) == 0 &&
	    found != NULL;

	if (have)
		*day = sp.sp_expire;
	explicit_bzero(buf, sizeof(buf));
	return have;
}

int
account_create(const struct invocation *inv, const struct record *r, char *err)
{
	char uid[16], gecos[TOKEN_ID_LEN + 16],
	    groups[LIST_MAX * (ITEM_MAX_LEN + 1)] = "";
	char expires[16];
	const char *argv[24];
	int n = 0, rc;

	snprintf(uid, sizeof(uid), "%u", r->uid);
	snprintf(gecos, sizeof(gecos), GECOS_MARK "%s", r->id);
	expiry_date(r, expires);
	for (int i = 0; i < inv->conf.groups.n; i++) {
		strcat(groups, i ? "," : "");
		strcat(groups, inv->conf.groups.v[i]);
	}
	/*
	 * The group first, with the uid as its gid: both come from the range
	 * that is never reused, where useradd --user-group would take a gid
	 * from the system range, which groupdel frees for the next group.
	 */
	const char *group_argv[] = { "/usr/sbin/groupadd", "--system", "--gid",
		uid, "--", r->user, NULL };
	if ((rc = run(group_argv, err)) < 0)
		return rc;
	argv[n++] = "/usr/sbin/useradd";
	argv[n++] = "--system";
	argv[n++] = "--uid";
	argv[n++] = uid;
	argv[n++] = "--gid";
	argv[n++] = uid;
	argv[n++] = "--no-create-home";
	argv[n++] = "--home-dir";
	argv[n++] = inv->conf.home;
	argv[n++] = "--shell";
	argv[n++] = inv->conf.shell;
	argv[n++] = "--comment";
	argv[n++] = gecos;
	if (groups[0] != '\0') {
		argv[n++] = "--groups";
		argv[n++] = groups;
	}
	argv[n++] = "--";
	argv[n++] = r->user;
	argv[n] = NULL;
	if ((rc = run(argv, err)) < 0) {
		account_delete_group(r, NULL);
		return rc;
	}
	/* useradd --system ignores --expiredate: the expiry is set apart. */
	return expires[0] != '\0' ? account_set_expiry(r, err) : 0;
}

/*
 * Every process of uid, ended: a child that is that uid (and nothing else)
 * sends kill(-1, SIGKILL), which reaches exactly the processes that uid
 * may signal, and repeats until /proc shows none of them alive, then
 * waits for the zombies to be reaped.  A process that forks between
 * the passes of a /proc scan, which is how one pkill misses it, is caught
 * by the next kill(-1).  Linux's kill(-1) answers 0 whenever any other
 * process exists, so its return value cannot say when to stop.  The child
 * can itself be stopped or killed by the processes it is ending, so the
 * parent bounds it: a dead child is replaced, and after KILL_DEADLINE_MS
 * in all the account is reported as still busy.
 */
#define KILL_DEADLINE_MS 5000

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A process whose real or saved uid is uid; a zombie counts if zombies. */
static bool
alive_as(const char *pid, uid_t uid, bool zombies)
{
	char path[64], line[256];
	unsigned long ruid = 0, euid, suid = 0;
	bool state_ok = false, uid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return false; /* gone meanwhile */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "State:", 6) == 0)
			state_ok = zombies || strpbrk(line + 6, "ZX") == NULL;
		else if (sscanf(line, "Uid: %lu %lu %lu", &ruid, &euid,
		             &suid) == 3)
			uid_ok = ruid == uid || suid == uid;
	}
	fclose(f);
	return state_ok && uid_ok;
}

static bool
any_alive(uid_t uid, bool zombies)
{
	char self[16];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(self, sizeof(self), "%ld", (long)getpid());
	if ((d = opendir("/proc")) == NULL)
		return true;
	while (!found && (e = readdir(d)) != NULL)
		found = e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    strcmp(e->d_name, self) != 0 &&
		    alive_as(e->d_name, uid, zombies);
	closedir(d);
	return found;
}

static void __attribute__((noreturn)) killer(uid_t uid)
{
	const struct timespec moment = { 0, 1000000 };
	uid_t ru, eu, su;

	/* As root, kill(-1) would end every process on the host. */
	if (uid == 0 || setgroups(0, NULL) < 0 ||
	    setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0 ||
	    setresuid(uid, uid, uid) < 0 || getresuid(&ru, &eu, &su) < 0 ||
	    ru != uid || eu != uid || su != uid)
		_exit(2);
	do {
		kill(-1, SIGKILL);
		/* A killed process takes a moment to exit. */
		nanosleep(&moment, NULL);
	} while (any_alive(uid, false));
	/*
	 * userdel counts zombies as processes: wait for their parents (init,
	 * mostly) to reap them.
	 */
	while (any_alive(uid, true))
		nanosleep(&moment, NULL);
	_exit(0);
}

int
account_end_processes(uid_t uid, char *err)
{
	const struct timespec tick = { 0, 1000000 };
	int64_t deadline = now_ms() + KILL_DEADLINE_MS;
	int status;
	pid_t pid, got;

	if (uid == 0)
		return err_set(err, ERR_INVAL, "refusing to end uid 0");
	while (now_ms() < deadline) {
		if ((pid = fork()) < 0)
			return err_set(err, ERR_UNAVAIL, "fork: %s",
			    strerror(errno));
		if (pid == 0)
			killer(uid);
		while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
		    now_ms() < deadline)
			nanosleep(&tick, NULL);
		if (got == 0) {
			/* Stopped or starved by the processes it was ending. */
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (got < 0)
			return err_set(err, ERR_UNAVAIL, "waitpid: %s",
			    strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			return err_set(err, ERR_UNAVAIL,
			    "cannot become uid %u to end its processes",
			    (unsigned)uid);
		/* Killed by them: a fresh one goes on. */
	}
	return err_set(err, ERR_UNAVAIL,
	    "processes of uid %u still running (or not reaped) after %d s",
	    (unsigned)uid, KILL_DEADLINE_MS / 1000);
}

/* The expiry day a lock sets: the second day of 1970, long gone. */
#define LOCK_DAY 1

int
account_lock(const struct record *r, char *err)
{
	const char *argv[] = { "/usr/sbin/usermod", "--lock", "--expiredate",
		"1" /* LOCK_DAY */, "--", r->user, NULL };
	int rc;

	/* Its sessions end before the account changes, so none outlives it. */
	if ((rc = account_end_processes((uid_t)r->uid, err)) < 0)
		return rc;
	return run(argv, err);
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

bool
account_locked(const struct record *r)
{
	long day;

	/* usermod sets the lock and the expiry in one rewrite of shadow. */
	return shadow_expiry(r->user, &day) && day == LOCK_DAY;
}

bool
account_expiry_current(const struct record *r)
{
	long day,
	    want = r->expires_at != 0 ?
	    (long)((r->expires_at + EXPIRY_ROUND) / 86400) :
	    -1;

	return shadow_expiry(r->user, &day) && day == want;
}

int
account_delete(const struct record *r, char *err)
{
	const char *argv[] = { "/usr/sbin/userdel", "--", r->user, NULL };
	int rc;

	if ((rc = account_end_processes((uid_t)r->uid, err)) < 0)
		return rc;
	return run(argv, err);
}

int
account_delete_group(const struct record *r, char *err)
{
	const char *argv[] = { "/usr/sbin/groupdel", "--", r->user, NULL };
	struct group gr, *found = NULL;
	char buf[16384];

	/* Only the group create made: its name, and the token's uid as gid. */
	if (getgrnam_r(r->user, &gr, buf, sizeof(buf), &found) != 0 ||
	    found == NULL || gr.gr_gid != (gid_t)r->uid)
		return 0;
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

bool
account_is_service(const struct conf *conf, uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[16384];

	if (uid >= conf->uid_min && uid <= conf->uid_max)
		return true;
	return getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 &&
	    found != NULL &&
	    strncmp(pw.pw_gecos, GECOS_MARK, strlen(GECOS_MARK)) == 0;
}

int
account_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *found = NULL;
	char buf[16384];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0)
		return ERR_UNAVAIL;
	if (found == NULL)
		return ERR_NOTFOUND;
	*uid = pw.pw_uid;
	return 0;
}

bool
account_name_taken(const char *name)
{
	struct passwd pw, *pwf = NULL;
	struct group gr, *grf = NULL;
	char buf[16384];

	/* A failed lookup counts as taken: creating over it is not safe. */
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &pwf) != 0 || pwf != NULL)
		return true;
	return getgrnam_r(name, &gr, buf, sizeof(buf), &grf) != 0 ||
	    grf != NULL;
}

enum account_state
account_state(const struct record *r)
{
	int64_t since;
	uid_t uid;
	int rc;

	if ((rc = account_uid(r->user, &uid)) < 0)
		return rc == ERR_NOTFOUND ? ACCOUNT_GONE : ACCOUNT_UNKNOWN;
	if (uid != (uid_t)r->uid)
		return ACCOUNT_OTHER_UID;
	if (r->account_since == 0)
		return ACCOUNT_SAME;
	if (verify_account_since(r->user, &since) < 0)
		return ACCOUNT_UNKNOWN;
	return since == r->account_since ? ACCOUNT_SAME : ACCOUNT_CHANGED;
}

const char *
account_state_text(enum account_state s)
{
	switch (s) {
	case ACCOUNT_GONE:
		return "the account no longer exists";
	case ACCOUNT_OTHER_UID:
		return "the account name now has another uid";
	case ACCOUNT_CHANGED:
		return "the account changed since the token was made "
		       "(re-created, or its password changed)";
	case ACCOUNT_UNKNOWN:
		return "the account could not be looked up (a name service "
		       "error)";
	default:
		return "";
	}
}
