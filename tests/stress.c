/* SPDX-License-Identifier: ISC */
/*
 * stress - logins racing a writer; zero wrong answers allowed.
 *
 *   stress [SECONDS]   (default 3; `make stress` runs longer)
 *
 * Sets up a store with four kinds of token: always active, revoked before
 * the start, deleted before the start, and "flapping" (the writer keeps
 * suspending, activating, rotating and revoking it).  READERS processes
 * call verify_token in a loop while one writer process commits changes and
 * adds new tokens (growing the map).  A reader fails the test if an
 * always-active token is ever refused, a revoked or deleted one is ever
 * accepted, any answer is VERIFY_UNAVAIL, or a flapping token is accepted
 * with a secret that was never valid.  Afterwards the store must open and
 * every record decode.
 */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "store.h"
#include "token.h"
#include "verify.h"
#include "when.h"

#define READERS 4

enum {
	ACTIVE,
	REVOKED,
	DELETED,
	FLAPPING,
	NKINDS
};

static char dir[PATH_MAX], me[USER_MAX_LEN + 1];
static uid_t my_uid;
static char tokens[NKINDS][TOKEN_LEN + 1];
static char never_valid[TOKEN_LEN + 1]; /* right id of FLAPPING, wrong secret */
static struct record recs[NKINDS];

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "stress: %s: %s\n", what, err);
	exit(1);
}

static void
make(int kind, struct store *st)
{
	struct record *r = &recs[kind];
	struct token t;
	char err[ERR_MAX];

	memset(r, 0, sizeof(*r));
	if (token_generate(&t, NULL, tokens[kind]) < 0)
		die("token", "no randomness");
	strcpy(r->id, t.id);
	snprintf(r->name, sizeof(r->name), "kind-%d", kind);
	strcpy(r->user, me);
	r->uid = my_uid;
	strlist_add(&r->services, "stress");
	r->status = kind == REVOKED ? STATUS_REVOKED :
	    kind == DELETED         ? STATUS_DELETED :
	                              STATUS_ACTIVE;
	token_hash(&t, r->hash);
	if (store_write(st, put_fn, r, err) < 0)
		die("put", err);
	if (kind == FLAPPING)
		token_generate(&t, r->id, never_valid);
}

static char last_detail[512];

static int
check(const char *tok, const struct conf *c)
{
	struct verify_request req = {
		.password = tok,
		.password_len = strlen(tok),
		.user = me,
		.service = "stress",
		.rhost = "192.0.2.1",
		.store_dir = dir,
		.now = when_now(),
	};
	struct verify_result res;

	int v = verify_token(c, &req, &res);

	snprintf(last_detail, sizeof(last_detail), "%s (%s)",
	    verdict_reason_text(res.reason), res.detail);
	return v;
}

static void
reader(time_t end)
{
	struct conf c;
	long n = 0;

	conf_defaults(&c);
	c.lockout_attempts = 0;
	while (time(NULL) < end) {
		if (check(tokens[ACTIVE], &c) != VERIFY_OK)
			die("always-active token refused", last_detail);
		if (check(tokens[REVOKED], &c) != VERIFY_DENIED)
			die("revoked token not denied", last_detail);
		if (check(tokens[DELETED], &c) != VERIFY_DENIED)
			die("deleted token not denied", last_detail);
		if (check(tokens[FLAPPING], &c) == VERIFY_UNAVAIL)
			die("flapping token: store unavailable", last_detail);
		if (check(never_valid, &c) != VERIFY_DENIED)
			die("never-valid secret not denied", last_detail);
		n++;
	}
	printf("stress: reader %d: %ld rounds, no wrong answer\n",
	    (int)getpid(), n);
	exit(0);
}

static void
writer(time_t end)
{
	static const uint8_t cycle[] = { STATUS_SUSPENDED, STATUS_ACTIVE,
		STATUS_REVOKED, STATUS_ACTIVE };
	struct record extra, *f = &recs[FLAPPING];
	struct store *st;
	struct token t;
	char err[ERR_MAX], text[TOKEN_LEN + 1];
	long n = 0;

	if (store_open(&st, dir, 0, err) < 0)
		die("writer open", err);
	while (time(NULL) < end) {
		f->status = cycle[n % sizeof(cycle)];
		f->revision++;
		if (store_write(st, put_fn, f, err) < 0)
			die("writer", err);
		/* New tokens keep the map growing under the readers. */
		token_generate(&t, NULL, text);
		extra = *f;
		strcpy(extra.id, t.id);
		snprintf(extra.name, sizeof(extra.name), "extra-%ld", n);
		if (store_write(st, put_fn, &extra, err) < 0)
			die("writer", err);
		n++;
	}
	store_close(st);
	printf("stress: writer: %ld commits\n", 2 * n);
	exit(0);
}

static int
count_fn(const struct record *r, void *ctx)
{
	(void)r;
	(*(long *)ctx)++;
	return 0;
}

static int
list_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_list(t, NULL, count_fn, ctx, err);
}

int
main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 3, status, failed = 0;
	const char *base = getenv("TMPDIR");
	char err[ERR_MAX], cmd[PATH_MAX + 16];
	struct store *st;
	time_t end;
	long records = 0;

	struct passwd *pw = getpwuid(geteuid());

	/* The tokens belong to whoever runs the test: a real account. */
	if (pw == NULL)
		die("getpwuid", "no account for this uid");
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	my_uid = pw->pw_uid;
	snprintf(dir, sizeof(dir), "%s/apitoken-stress.XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", dir);
	strcat(dir, "/store");
	if (store_open(&st, dir, STORE_CREATE, err) < 0)
		die("open", err);
	for (int k = 0; k < NKINDS; k++)
		make(k, st);
	store_close(st);

	end = time(NULL) + seconds;
	for (int i = 0; i <= READERS; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork", "failed");
		if (pid == 0) {
			if (i == READERS)
				writer(end);
			reader(end);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;

	if (store_open(&st, dir, STORE_RDONLY, err) < 0 ||
	    store_read(st, list_fn, &records, err) < 0)
		die("store after the race", err);
	store_close(st);
	printf("stress: store consistent afterwards, %ld records\n", records);
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 6),
	    dir);
	if (system(cmd) != 0)
		fprintf(stderr, "stress: could not remove %s\n", dir);
	return failed;
}
