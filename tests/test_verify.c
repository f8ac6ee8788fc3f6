/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "store.h"
#include "store_fleet.h"
#include "testutil.h"
#include "unit.h"
#include "verify.h"

#define NOW 1790000000

static char tmp[PATH_MAX], dir[PATH_MAX + 8], me[USER_MAX_LEN + 1];
static uid_t my_uid, caller;
static struct conf conf;

static void
setup(void)
{
	struct passwd *pw = getpwuid(geteuid());

	/* Tokens here belong to whoever runs the tests: a real account. */
	ck_assert_ptr_nonnull(pw);
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	my_uid = pw->pw_uid;
	make_tmpdir(tmp, sizeof(tmp));
	snprintf(dir, sizeof(dir), "%s/store", tmp);
	conf_defaults(&conf);
	caller = 0;
}

static void
teardown(void)
{
	rm_tree(tmp);
}

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

static void
save(struct record *r)
{
	struct store *st;
	char err[ERR_MAX] = "";

	ck_assert_msg(store_open(&st, dir, STORE_CREATE, err) == 0, "%s", err);
	ck_assert_msg(store_write(st, put_fn, r, err) == 0, "%s", err);
	store_close(st);
}

/* Store an active personal token of alice and return its text in tok. */
static void
make_token(struct record *r, char tok[TOKEN_LEN + 1])
{
	struct token t;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(token_generate(&t, NULL, tok), 0);
	strcpy(r->id, t.id);
	strcpy(r->name, "laptop");
	strcpy(r->user, me);
	r->uid = my_uid;
	r->status = STATUS_ACTIVE;
	r->created_at = NOW - 100;
	token_hash(&t, r->hash);
	save(r);
}

static enum verify_code
try(const char *pw, const char *user, const char *service, const char *rhost,
    struct verify_result *res)
{
	struct verify_request req = {
		.password = pw,
		.password_len = strlen(pw),
		.user = user,
		.service = service,
		.rhost = rhost,
		.caller_uid = caller,
		.store_dir = dir,
		.now = NOW,
	};

	return verify_token(&conf, &req, res);
}

START_TEST(accepts_right_token)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.1", &res), VERIFY_OK);
	ck_assert_str_eq(res.id, r.id);
	ck_assert_str_eq(res.rec.name, "laptop");
	ck_assert_int_eq(res.reason, VREASON_ACCEPTED);
}
END_TEST

static int
contact_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_fleet_set_contact(t, *(int64_t *)ctx, err);
}

static void
contact(int64_t at)
{
	struct store *st;
	char err[ERR_MAX] = "";

	ck_assert_msg(store_open(&st, dir, 0, err) == 0, "%s", err);
	ck_assert_msg(store_write(st, contact_fn, &at, err) == 0, "%s", err);
	store_close(st);
}

/* A fleet token only where its hosts say; strict staleness only for it. */
START_TEST(fleet_host_scope_and_staleness)
{
	struct record r, local;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], ltok[TOKEN_LEN + 1];

	make_token(&local, ltok);
	make_token(&r, tok);
	r.origin = ORIGIN_FLEET;
	ck_assert_int_eq(strlist_add(&r.hosts, "db"), 0);
	save(&r);
	strcpy(conf.fleet_host, "web01");
	ck_assert_int_eq(strlist_add(&conf.fleet_host_groups, "web"), 0);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_HOST);
	ck_assert_str_eq(verdict_reason_text(res.reason),
	    "fleet token not for this host or its host groups");
	/* by name, by group, by * */
	const char *ok[] = { "WEB01", "web", "*" };
	for (size_t i = 0; i < 3; i++) {
		r.hosts.n = 0;
		ck_assert_int_eq(strlist_add(&r.hosts, ok[i]), 0);
		save(&r);
		ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	}
	/* strict: never heard from the directory, then too long ago */
	conf.fleet_strict = true;
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_STALE);
	contact(NOW - conf.fleet_stale_after - 1);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_STALE);
	ck_assert_int_eq(try(ltok, me, "sshd", NULL, &res), VERIFY_OK);
	contact(NOW - conf.fleet_stale_after);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	/* best_effort keeps the last view */
	contact(NOW - 10 * conf.fleet_stale_after);
	conf.fleet_strict = false;
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(not_a_token_is_ignored_before_io)
{
	struct verify_result res;

	/* no store exists at all: a plain password must not even look */
	ck_assert_int_eq(try("hunter2", me, "sshd", NULL, &res),
	    VERIFY_NOT_TOKEN);
	ck_assert_int_eq(try("", me, "sshd", NULL, &res), VERIFY_NOT_TOKEN);
	/* a damaged token is denied, still without I/O */
	ck_assert_int_eq(try("apitok_0123456789AB_x", me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_MALFORMED);
	ck_assert_str_eq(res.detail, "too short");
	ck_assert_str_eq(res.id, "0123456789AB");
}
END_TEST

START_TEST(denials)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1], other[TOKEN_LEN + 1];
	struct token t;

	make_token(&r, tok);
	strcpy(bad, tok);
	bad[30] = bad[30] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(try(bad, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_MALFORMED);
	ck_assert_str_eq(res.detail, "bad checksum");

	/* a well-formed token with the right id but another secret */
	ck_assert_int_eq(token_generate(&t, r.id, other), 0);
	ck_assert_int_eq(try(other, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_WRONG_SECRET);
	ck_assert_str_eq(res.id, r.id);
	ck_assert_str_eq(res.rec.id, ""); /* nothing of the record leaks out */

	/* an id that does not exist */
	ck_assert_int_eq(token_generate(&t, NULL, other), 0);
	ck_assert_int_eq(try(other, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UNKNOWN_ID);

	ck_assert_int_eq(try(tok, "nobody", "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_OTHER_USER);
	ck_assert_int_eq(try(tok, me, "sudo", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SERVICE);
	ck_assert_int_eq(try(tok, me, NULL, NULL, &res), VERIFY_DENIED);
}
END_TEST

START_TEST(states)
{
	static const struct {
		int status;
		enum verify_reason reason;
	} cases[] = {
		{ STATUS_SUSPENDED, VREASON_SUSPENDED },
		{ STATUS_REVOKED, VREASON_REVOKED },
		{ STATUS_PENDING, VREASON_UNKNOWN_ID },
		{ STATUS_DELETED, VREASON_UNKNOWN_ID },
	};
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.status = (uint8_t)cases[i].status;
		save(&r);
		ck_assert_int_eq(try(tok, me, "sshd", NULL, &res),
		    VERIFY_DENIED);
		ck_assert_int_eq(res.reason, cases[i].reason);
	}
	r.status = STATUS_ACTIVE;
	r.expires_at = NOW;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_EXPIRED);
	r.expires_at = NOW + 1;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(services_and_addresses)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	strlist_add(&r.services, "login");
	strlist_add(&r.allowed_addresses, "192.0.2.0/24");
	strlist_add(&r.allowed_addresses, "2001:db8::/32");
	save(&r);
	/* the record's own list replaces the default */
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "login", "192.0.2.1", &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "login", "2001:db8::7", &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "login", "::ffff:192.0.2.9", &res),
	    VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "login", "192.0.3.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ADDRESS);
	ck_assert_int_eq(try(tok, me, "login", "client.example.com", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "login", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "login", "", &res), VERIFY_DENIED);
	/* "*" allows every service */
	strlist_add(&r.services, "*");
	save(&r);
	ck_assert_int_eq(try(tok, me, "anything", "192.0.2.1", &res),
	    VERIFY_OK);
}
END_TEST

/* A program's token covers its distribution's variants, not the reverse. */
START_TEST(service_variants)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	strlist_add(&r.services, "su");
	strlist_add(&r.services, "sudo");
	save(&r);
	ck_assert_int_eq(try(tok, me, "su", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "su-l", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "sudo-i", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "runuser-l", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SERVICE);
	ck_assert_int_eq(try(tok, me, "sul", NULL, &res), VERIFY_DENIED);
	memset(&r.services, 0, sizeof(r.services));
	strlist_add(&r.services, "su-l");
	save(&r);
	ck_assert_int_eq(try(tok, me, "su-l", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "su", NULL, &res), VERIFY_DENIED);
	ck_assert_str_eq(verify_service_program("sudo-i"), "sudo");
	ck_assert_ptr_null(verify_service_program("sudo"));
}
END_TEST

START_TEST(store_problems_are_unavailable)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], path[PATH_MAX + 32];

	make_token(&r, tok);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_UNAVAIL);
	ck_assert(strstr(res.detail, "empty") != NULL);
	rm_tree(dir);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_UNAVAIL);
}
END_TEST

START_TEST(grace_after_rotate)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], fresh[TOKEN_LEN + 1];
	struct token t;

	make_token(&r, tok);
	memcpy(r.old_hash, r.hash, TOKEN_HASH_LEN);
	r.old_hash_until = NOW + 60;
	ck_assert_int_eq(token_generate(&t, r.id, fresh), 0);
	token_hash(&t, r.hash);
	save(&r);
	ck_assert_int_eq(try(fresh, me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	r.old_hash_until = NOW;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(try(fresh, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(lockout_and_usage)
{
	struct record r;
	struct verify_result res;
	struct store *st;
	struct usage u;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	conf.lockout_attempts = 3;
	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.5", &res), VERIFY_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(try(wrong, me, "sshd", NULL, &res),
		    VERIFY_DENIED);
	/* now even the right secret is refused, without looking at it */
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);

	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_usage_get(st, r.id, &u, NULL), 0);
	ck_assert_int_eq(usage_locked_until(&u, NOW), NOW + conf.lockout_time);
	ck_assert_ptr_nonnull(usage_source_find(&u, "uid 0"));
	ck_assert_uint_eq(u.recorded_uses, 1);
	ck_assert_str_eq(u.last_used_from[0], "192.0.2.5");
	store_close(st);
}
END_TEST

/*
 * A usage.mdb writable by others is refused by the store; with a lockout
 * configured that must refuse the login, not switch the lockout off.
 */
START_TEST(unsafe_usage_fails_closed)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], path[PATH_MAX + 32];

	conf.lockout_attempts = 3;
	make_token(&r, tok);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	snprintf(path, sizeof(path), "%s/usage.mdb", dir);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_UNAVAIL);
	ck_assert_msg(strstr(res.detail, "usage.mdb") != NULL, "%s",
	    res.detail);
	/* Without a lockout there is nothing to fail closed on. */
	conf.lockout_attempts = 0;
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

/* Counters are per token: one token's success never clears another's. */
START_TEST(lockout_is_per_token)
{
	struct record a, b;
	struct verify_result res;
	char ta[TOKEN_LEN + 1], tb[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	conf.lockout_attempts = 3;
	make_token(&a, ta);
	make_token(&b, tb);
	ck_assert_int_eq(token_generate(&t, a.id, wrong), 0);
	ck_assert_int_eq(try(wrong, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(try(wrong, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(try(tb, me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(try(wrong, me, "sshd", NULL, &res), VERIFY_DENIED);
	/* the third failure of a locks a, whatever b did in between */
	ck_assert_int_eq(try(ta, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(try(tb, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

/*
 * One source's failures lock out that source only: an address (an IPv6
 * one by its /64), or without an address the uid that asked.  Knowing a
 * token's public id is not enough to lock its owner out.
 */
START_TEST(lockout_is_per_source)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	conf.lockout_attempts = 3;
	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(try(wrong, me, "sshd", "192.0.2.66", &res),
		    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.66", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.5", &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);

	caller = 1000;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(try(wrong, me, "su", NULL, &res),
		    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	caller = 0;
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);

	ck_assert_int_eq(try(wrong, me, "sshd", "2001:db8::1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(wrong, me, "sshd", "2001:db8::2", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(wrong, me, "sshd", "2001:db8::3:4", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", "2001:db8::99", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(try(tok, me, "sshd", "2001:db8:0:1::1", &res),
	    VERIFY_OK);
	/* a right secret clears its source's failures, no other's */
	ck_assert_int_eq(try(wrong, me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(wrong, me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", "198.51.100.1", &res), VERIFY_OK);
	ck_assert_int_eq(try(wrong, me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", "198.51.100.1", &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.66", &res),
	    VERIFY_DENIED);
}
END_TEST

/*
 * Guesses that run at once are counted before any is answered: of many
 * concurrent wrong secrets from one source, no more than lockout_attempts
 * are told "wrong secret", the rest "locked out".  (Read first, count
 * later, and every one of them got its answer.)
 */
START_TEST(concurrent_guesses_are_counted)
{
	enum {
		GUESSERS = 8
	};
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;
	int go[2], out[2], answered = 0, refused = 0;
	unsigned char why;

	conf.lockout_attempts = 3;
	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(out), 0);
	for (int i = 0; i < GUESSERS; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			char c;

			close(go[1]);
			/* all start together: when the parent closes go */
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			try(wrong, me, "sshd", "192.0.2.9", &res);
			why = (unsigned char)res.reason;
			_exit(write(out[1], &why, 1) == 1 ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);
	close(out[1]);
	while (read(out[0], &why, 1) == 1) {
		if (why == VREASON_WRONG_SECRET)
			answered++;
		else if (why == VREASON_LOCKED_OUT)
			refused++;
		else
			ck_abort_msg("a guess was answered %s",
			    verdict_reason_name(why));
	}
	close(out[0]);
	while (wait(NULL) > 0)
		;
	ck_assert_int_eq(answered, 3);
	ck_assert_int_eq(refused, GUESSERS - 3);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.9", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
}
END_TEST

START_TEST(account_recheck)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res), VERIFY_OK);
	ck_assert_int_eq(verify_account(dir, r.id, "nobody", NOW, &res),
	    VERIFY_DENIED);
	r.status = STATUS_SUSPENDED;
	save(&r);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SUSPENDED);
	ck_assert_int_eq(verify_account(dir, "0000000000AA", me, NOW, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_DELETED);
	/* the name is the same, the account is not: refused, at auth and after
	 */
	r.status = STATUS_ACTIVE;
	r.uid = my_uid + 4242;
	save(&r);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
}
END_TEST

/*
 * Name and uid the same, but not the shadow last-change day recorded at
 * create: the account was re-created (or its password changed) since, and
 * the token is refused at auth and after.  A record with no day (0) is
 * judged by name and uid alone.
 */
START_TEST(account_changed)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];
	int64_t since = verify_account_since(me);

	if (since == 0)
		return; /* no readable shadow entry: nothing to compare */
	make_token(&r, tok);
	r.account_since = since;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res), VERIFY_OK);
	r.account_since = since - 1;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ACCOUNT_CHANGED);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ACCOUNT_CHANGED);
	ck_assert_int_eq(verdict_of(VREASON_ACCOUNT_CHANGED), VERIFY_DENIED);
	r.account_since = 0;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

/*
 * A token of alice good for max_uses logins, made as create makes one: its
 * usage store first, the token in a later second.
 */
static void
make_limited(struct record *r, char tok[TOKEN_LEN + 1], uint32_t max_uses)
{
	struct store *st;
	char err[ERR_MAX] = "";
	int64_t born;

	make_token(r, tok);
	ck_assert_msg(store_open(&st, dir, 0, err) == 0, "%s", err);
	ck_assert_msg(store_usage_birth(st, &born, err) == 0, "%s", err);
	store_close(st);
	ck_assert_int_gt(born, 0);
	r->max_uses = max_uses;
	r->created_at = born + 1;
	save(r);
}

static uint32_t
uses_of(const char *id)
{
	struct store *st;
	struct usage u;

	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_usage_get(st, id, &u, NULL), 0);
	store_close(st);
	return u.uses;
}

static enum verify_code
try_stoppable(const char *pw, struct verify_result *res)
{
	struct verify_request req = {
		.password = pw,
		.password_len = strlen(pw),
		.user = me,
		.service = "sshd",
		.store_dir = dir,
		.now = NOW,
		.stoppable = true,
	};

	return verify_token(&conf, &req, res);
}

/* Exactly max_uses logins, each counted; the account step counts none. */
START_TEST(use_limit_counts_exactly)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_limited(&r, tok, 2);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.7", &res), VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 1);
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res), VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 1);
	/* Never throttled: a second login within usage_write_interval counts.
	 */
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.7", &res), VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 2);
	/* The login that spent the last use passes its account step. */
	ck_assert_int_eq(verify_account(dir, r.id, me, NOW, &res), VERIFY_OK);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_USES_SPENT);
	ck_assert_uint_eq(uses_of(r.id), 2);
	/* A stoppable verifier can still say spent: that needs no write. */
	ck_assert_int_eq(try_stoppable(tok, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_USES_SPENT);
}
END_TEST

/* Logins in many processes at once: never more than max_uses accepted. */
START_TEST(use_limit_under_concurrent_logins)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];
	pid_t kids[16];
	int status, ok = 0, more = 0;

	make_limited(&r, tok, 3);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_ge(kids[i] = fork(), 0);
		if (kids[i] == 0)
			_exit(try(tok, me, "sshd", NULL, &res) == VERIFY_OK ?
			        0 :
			        res.reason == VREASON_USES_SPENT     ? 1 :
			        res.reason == VREASON_USES_UNCOUNTED ? 2 :
			                                               3);
	}
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert(WIFEXITED(status));
		/* refused as spent, or as busy (uncounted): nothing else */
		ck_assert_int_lt(WEXITSTATUS(status), 3);
		ok += WEXITSTATUS(status) == 0;
	}
	ck_assert_int_le(ok, 3);
	ck_assert_uint_eq(uses_of(r.id), (uint32_t)ok);
	/* What a busy writer refused is still there, and no more. */
	while (try(tok, me, "sshd", NULL, &res) == VERIFY_OK)
		more++;
	ck_assert_int_eq(res.reason, VREASON_USES_SPENT);
	ck_assert_int_eq(ok + more, 3);
}
END_TEST

/* With a lockout, a locked-out source spends nothing; another still can. */
START_TEST(use_limit_with_lockout)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	conf.lockout_attempts = 2;
	make_limited(&r, tok, 3);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.1", &res), VERIFY_OK);
	ck_assert_int_eq(try(wrong, me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(wrong, me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(try(tok, me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_uint_eq(uses_of(r.id), 1);
	ck_assert_int_eq(try(tok, me, "sshd", "198.51.100.1", &res), VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 2);
}
END_TEST

/* Whatever cannot count a use refuses the token, and only that token. */
START_TEST(use_limit_fails_closed)
{
	struct record r, plain;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], ptok[TOKEN_LEN + 1], path[PATH_MAX + 32];
	int fd;

	make_limited(&r, tok, 5);
	make_token(&plain, ptok);
	/* the setuid helper of a user writes nothing, so it cannot count */
	ck_assert_int_eq(try_stoppable(tok, &res), VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_NEED_ROOT);
	ck_assert_int_eq(try_stoppable(ptok, &res), VERIFY_OK);
	/* another usage writer holds the gate past its bound */
	snprintf(path, sizeof(path), "%s/usage.lock", dir);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT, 0600), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_UNCOUNTED);
	ck_assert_msg(strstr(res.detail, "busy") != NULL, "%s", res.detail);
	ck_assert_int_eq(try(ptok, me, "sshd", NULL, &res), VERIFY_OK);
	close(fd);
	ck_assert_uint_eq(uses_of(r.id), 0);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_OK);
	/* a usage store born in the token's second: its count may be lost */
	r.created_at -= 1;
	save(&r);
	ck_assert_int_eq(try(tok, me, "sshd", NULL, &res), VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_UNCOUNTED);
	ck_assert_msg(strstr(res.detail, "younger") != NULL, "%s", res.detail);
	ck_assert_int_eq(try(ptok, me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

#ifdef APITOKEN_TEST_HOOKS
/* Ids cannot be probed by time: an unknown id costs what a known one does. */
START_TEST(same_work_for_unknown_id)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1], unknown[TOKEN_LEN + 1];
	unsigned long before, for_wrong, for_unknown, for_malformed;
	struct token t;

	conf.lockout_attempts = 3; /* the lockout read happens for both too */
	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(token_generate(&t, NULL, unknown), 0);
	before = token_hash_count;
	ck_assert_int_eq(try(wrong, me, "sshd", NULL, &res), VERIFY_DENIED);
	for_wrong = token_hash_count - before;
	before = token_hash_count;
	ck_assert_int_eq(try(unknown, me, "sshd", NULL, &res), VERIFY_DENIED);
	for_unknown = token_hash_count - before;
	before = token_hash_count;
	ck_assert_int_eq(try("apitok_0123456789AB_short", me, "sshd", NULL,
	                     &res),
	    VERIFY_DENIED);
	for_malformed = token_hash_count - before;
	ck_assert_uint_eq(for_wrong, 1);
	ck_assert_uint_eq(for_unknown, for_wrong);
	ck_assert_uint_eq(for_malformed, 0);
}
END_TEST
#endif

Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, accepts_right_token);
	tcase_add_test(tc, not_a_token_is_ignored_before_io);
	tcase_add_test(tc, denials);
	tcase_add_test(tc, states);
	tcase_add_test(tc, services_and_addresses);
	tcase_add_test(tc, service_variants);
	tcase_add_test(tc, store_problems_are_unavailable);
	tcase_add_test(tc, grace_after_rotate);
	tcase_add_test(tc, lockout_and_usage);
	tcase_add_test(tc, unsafe_usage_fails_closed);
	tcase_add_test(tc, account_recheck);
	tcase_add_test(tc, account_changed);
	tcase_add_test(tc, use_limit_counts_exactly);
	tcase_add_test(tc, use_limit_under_concurrent_logins);
	tcase_add_test(tc, use_limit_fails_closed);
	tcase_add_test(tc, use_limit_with_lockout);
	tcase_add_test(tc, lockout_is_per_token);
	tcase_add_test(tc, lockout_is_per_source);
	tcase_add_test(tc, concurrent_guesses_are_counted);
#ifdef APITOKEN_TEST_HOOKS
	tcase_add_test(tc, same_work_for_unknown_id);
	tcase_add_test(tc, fleet_host_scope_and_staleness);
#endif
	suite_add_tcase(s, tc);
	return s;
}
