/* SPDX-License-Identifier: ISC */
/*
 * notify.c - apitoken notify [--dry-run] [--json]
 *
 * Notices before a token expires, for a daily run (apitoken-notify.timer,
 * or cron): a token that can still log in and expires within one of the
 * notify_days thresholds (7 and 1 by default, GitLab's schedule) gets one
 * syslog line and, where sendmail is installed, a mail to whoever acts on
 * it: the token's user, or for a service user's token whoever created it.
 *
 * Each threshold is noticed once per expiry: the record keeps the expiry
 * and the threshold of its last notice, so a run may be missed, repeated
 * or doubled.  A token first seen 12 hours before it expires gets the
 * 1-day notice only.  A rotate or update that moves the expiry starts its
 * notices afresh.
 *
 * Mails go out before the record is marked, and with no lock held (a
 * local sendmail may still take its time): a mark that fails means a
 * notice sent twice, never one lost.  sendmail gets the recipient in its
 * argv after "--", and the message on stdin; every name in the message
 * passed input_valid_name() when the token was made.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"
#include "when.h"

struct notice {
	struct record r;
	uint16_t days; /* the threshold this notice is for */
	int64_t left;  /* seconds until the expiry */
	char rcpt[USER_MAX_LEN + 1];
	bool mailed;       /* sendmail took it */
	bool marked;       /* the record says it was sent */
	char why[ERR_MAX]; /* why it was not mailed, or not marked */
};

struct due {
	const struct conf *conf;
	int64_t now;
	int n, cap;
	struct notice *v;
};

/* The threshold due for r at now, or 0: the smallest it is within. */
static uint16_t
due_days(const struct conf *conf, const struct record *r, int64_t now)
{
	uint16_t days = 0;

	if (r->expires_at == 0 || !hygiene_live(r, now))
		return 0;
	for (int i = 0; i < conf->notify_days.n; i++)
		if (r->expires_at - now <=
		    (int64_t)conf->notify_days.v[i] * 86400)
			days = conf->notify_days.v[i];
	/* Noticed already for this expiry, at this threshold or a smaller. */
	if (days != 0 && r->notified_expiry == r->expires_at &&
	    r->notified_days != 0 && r->notified_days <= days)
		return 0;
	return days;
}

static int
pick_fn(const struct record *r, void *ctx)
{
	struct due *d = ctx;
	struct notice *n;
	uint16_t days = due_days(d->conf, r, d->now);

	if (days == 0)
		return 0;
	if (grow_room(&d->v, d->n, &d->cap, sizeof(*d->v)) < 0)
		return ERR_NOMEM;
	n = &d->v[d->n++];
	memset(n, 0, sizeof(*n));
	n->r = *r;
	n->days = days;
	n->left = r->expires_at - d->now;
	snprintf(n->rcpt, sizeof(n->rcpt), "%s",
	    r->service_user ? r->created_by : r->user);
	return 0;
}

/*
 * A spent token is revoked, whatever its record says yet: no notice.  Read
 * after the scan, whose transaction must not nest another store's.
 */
static void
drop_spent(struct store *st, struct due *d)
{
	struct usage u;
	int kept = 0;

	for (int i = 0; i < d->n; i++)
		if (d->v[i].r.max_uses == 0 ||
		    store_usage_get(st, d->v[i].r.id, &u, NULL) < 0 ||
		    !hygiene_spent(&d->v[i].r, &u))
			d->v[kept++] = d->v[i];
	d->n = kept;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	int rc = store_txn_list(t, NULL, pick_fn, ctx, err);

	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

/* Under the lock, on a fresh copy: the expiry may have moved meanwhile. */
static int
mark_fn(struct store_txn *t, void *ctx, char *err)
{
	const struct notice *n = ctx;
	struct record r;
	int rc;

	if ((rc = store_txn_get(t, n->r.id, &r, err)) < 0)
		return rc;
	if (r.expires_at != n->r.expires_at)
		return 0;
	r.notified_expiry = r.expires_at;
	r.notified_days = n->days;
	return store_txn_put(t, &r, err);
}

static long
days_left(const struct notice *n)
{
	return (long)((n->left + 86399) / 86400);
}

/* The message, as sendmail -i reads it: headers, a blank line, the text. */
static int
format_mail(const struct notice *n, char *buf, size_t cap)
{
	char when[WHEN_BUF], host[256] = "";

	gethostname(host, sizeof(host) - 1);
	return snprintf(buf, cap,
	    "To: %s\n"
	    "Subject: API token %s (%s) expires in %ld day%s\n"
	    "Auto-Submitted: auto-generated\n"
	    "\n"
	    "The API token %s (id %s) of user %s on %s expires at %s,\n"
	    "in %ld day%s.  From then on it no longer logs in.\n"
	    "\n"
	    "To keep access, rotate it before then:\n"
	    "    apitoken rotate %s --expires 90d\n"
	    "(or ask root to, if root set its expiry).\n"
	    "\n"
	    "-- apitoken notify\n",
	    n->rcpt, n->r.name, n->r.id, days_left(n),
	    days_left(n) == 1 ? "" : "s", n->r.name, n->r.id, n->r.user, host,
	    when_format(n->r.expires_at, when), days_left(n),
	    days_left(n) == 1 ? "" : "s", n->r.id);
}

/* 0 when sendmail took the message; otherwise why not, in err. */
static int
send_mail(const char *sendmail, const struct notice *n, char *err)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C", NULL };
	char *const argv[] = { (char *)sendmail, "-i", "--", (char *)n->rcpt,
		NULL };
	char msg[2048];
	int fds[2], status, len, devnull;
	pid_t pid;

	if ((len = format_mail(n, msg, sizeof(msg))) < 0 ||
	    (size_t)len >= sizeof(msg))
		return err_set(err, ERR_LIMIT, "message too long");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(err, ERR_UNAVAIL, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, ERR_UNAVAIL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(fds[0], STDIN_FILENO) < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0 ||
		    dup2(devnull, STDERR_FILENO) < 0)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execve(sendmail, argv, envp);
		_exit(127);
	}
	close(fds[0]);
	/* SIGPIPE is ignored (main.c): a sendmail that quits early is EPIPE. */
	if (write(fds[1], msg, (size_t)len) != len)
		len = -1;
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_set(err, ERR_UNAVAIL, "waitpid: %s",
			    strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && len >= 0)
		return 0;
	return err_set(err, ERR_UNAVAIL, "%s failed (%s %d)", sendmail,
	    WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void
notify_one(const struct invocation *inv, struct notice *n)
{
	char when[WHEN_BUF];
	int rc = 0;

	if (access(inv->conf.sendmail, X_OK) != 0)
		err_set(n->why, 0, "no sendmail at %.200s", inv->conf.sendmail);
	else if ((rc = send_mail(inv->conf.sendmail, n, n->why)) == 0)
		n->mailed = true;
	syslog(LOG_AUTHPRIV | LOG_NOTICE,
	    "token %s (%s) of user %s expires at %s, in %ld day%s: "
	    "%u-day notice to %s%s%s",
	    n->r.id, n->r.name, n->r.user, when_format(n->r.expires_at, when),
	    days_left(n), days_left(n) == 1 ? "" : "s", (unsigned)n->days,
	    n->rcpt,
	    n->mailed ? ", mailed" : ", not mailed: ", n->mailed ? "" : n->why);
	/* Without a sendmail this log line is the notice; one that sendmail
	 * refused is tried again next run. */
	n->marked = rc == 0;
}

static void
print_notices(const struct invocation *inv, const struct due *d, bool dry)
{
	char when[WHEN_BUF];
	json_t *all, *o;
	char *out;

	if (inv->json) {
		all = json_array();
		for (int i = 0; i < d->n; i++) {
			const struct notice *n = &d->v[i];

			o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, "
			              "s:b, s:b}",
			    "id", n->r.id, "name", n->r.name, "user", n->r.user,
			    "expires_at", when_format(n->r.expires_at, when),
			    "threshold_days", (int)n->days, "days_left",
			    (json_int_t)days_left(n), "recipient", n->rcpt,
			    "mailed", n->mailed, "marked", n->marked);
			if (o != NULL && n->why[0] != '\0')
				json_object_set_new(o, "not_mailed",
				    json_string(n->why));
			json_array_append_new(all, o);
		}
		if ((out = json_dumps(all,
		         JSON_INDENT(2) | JSON_PRESERVE_ORDER)) != NULL)
			puts(out);
		free(out);
		json_decref(all);
		return;
	}
	for (int i = 0; i < d->n; i++) {
		const struct notice *n = &d->v[i];

		printf("%s %s %s (%s): expires %s, in %ld day%s; %s %s\n",
		    dry ? "would notice" : "noticed", n->r.id, n->r.name,
		    n->r.user, when_format(n->r.expires_at, when), days_left(n),
		    days_left(n) == 1 ? "" : "s",
		    dry ? "to" : (n->mailed ? "mailed to" : "not mailed:"),
		    dry || n->mailed ? n->rcpt : n->why);
	}
	if (d->n == 0)
		fprintf(stderr, "apitoken: no notice due\n");
}

int
cmd_notify(struct invocation *inv, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct due d = { .conf = &inv->conf, .now = inv->now };
	struct store *st = NULL;
	bool dry = false;
	char err[ERR_MAX];
	int ch, rc, failed = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = true;
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("notify");
		default:
			return fail(EXIT_USAGE,
			    "notify: unknown or incomplete option '%.32s'; "
			    "see apitoken notify --help",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return fail(EXIT_USAGE,
		    "notify takes no arguments; see apitoken notify --help");
	if (!inv->root)
		return fail(EXIT_REFUSED, "notify is for root");
	rc = store_open(&st, inv->store_dir, dry ? STORE_RDONLY : 0, err);
	if (rc == ERR_NOTFOUND) {
		print_notices(inv, &d, dry);
		return 0;
	}
	if (rc < 0 || (rc = store_read(st, scan_fn, &d, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	drop_spent(st, &d);
	for (int i = 0; i < d.n && !dry; i++)
		notify_one(inv, &d.v[i]);
	if (!dry && d.n > 0) {
		if ((rc = hold_lock(st, err)) < 0) {
			rc = fail(EXIT_REFUSED,
			    "%s; the notices will be sent "
			    "again next run",
			    err);
			goto out;
		}
		for (int i = 0; i < d.n; i++) {
			struct notice *n = &d.v[i];

			if (n->marked && store_write(st, mark_fn, n, err) < 0) {
				n->marked = false;
				memcpy(n->why, err, sizeof(n->why));
			}
			failed += !n->marked;
		}
		hold_release();
	}
	print_notices(inv, &d, dry);
	for (int i = 0; i < d.n && !dry; i++)
		if (!d.v[i].marked)
			fail(EXIT_REFUSED,
			    "notice for %s: %s; it will be sent "
			    "again next run",
			    d.v[i].r.id, d.v[i].why);
	rc = failed ? EXIT_REFUSED : 0;
out:
	free(d.v);
	store_close(st);
	return rc;
}
