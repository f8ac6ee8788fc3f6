/* SPDX-License-Identifier: ISC */
/*
 * test_verify_usage.c - what a login counts in the usage store: the
 * lockout per token and source, and tokens with a use limit.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"
#include "verifier.h"
#include "verifyfix.h"
#include "verify_proto.h"

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

	vf_make_token(r, tok);
	ck_assert_msg(store_open(&st, vf_dir, 0, err) == 0, "%s", err);
	ck_assert_msg(store_usage_birth(st, &born, err) == 0, "%s", err);
	store_close(st);
	ck_assert_int_gt(born, 0);
	r->max_uses = max_uses;
	r->created_at = born + 1;
	vf_save(r);
}

static void
usage_of(const char *id, struct usage *u)
{
	struct store *st;

	ck_assert_int_eq(store_open(&st, vf_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_usage_get(st, id, u, NULL), 0);
	store_close(st);
}

static uint32_t
uses_of(const char *id)
{
	struct usage u;

	usage_of(id, &u);
	return u.uses;
}

static enum verify_code
try_stoppable(const char *pw, struct verify_result *res)
{
	struct verify_request req = {
		.password = pw,
		.password_len = strlen(pw),
		.user = vf_me,
		.service = "sshd",
		.store_dir = vf_dir,
		.now = NOW,
		.process = VPROC_STOPPABLE,
	};

	return verify_token(&vf_conf, &req, res);
}

START_TEST(lockout_and_usage)
{
	struct record r;
	struct verify_result res;
	struct usage u;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	vf_conf.lockout_attempts = 3;
	vf_make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.5", &res),
	    VERIFY_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", NULL, &res),
		    VERIFY_DENIED);
	/* now even the right secret is refused, without looking at it */
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);

	usage_of(r.id, &u);
	ck_assert_int_eq(usage_locked_until(&u, NOW),
	    NOW + vf_conf.lockout_time);
	ck_assert_ptr_nonnull(usage_source_find(&u, "uid 0"));
	ck_assert_uint_eq(u.recorded_uses, 1);
	ck_assert_str_eq(u.last_used_from[0], "192.0.2.5");
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

	vf_conf.lockout_attempts = 3;
	vf_make_token(&r, tok);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	snprintf(path, sizeof(path), "%s/usage.mdb", vf_dir);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
	    VERIFY_UNAVAIL);
	ck_assert_msg(strstr(res.detail, "usage.mdb") != NULL, "%s",
	    res.detail);
	/* Without a lockout there is nothing to fail closed on. */
	vf_conf.lockout_attempts = 0;
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

/* Counters are per token: one token's success never clears another's. */
START_TEST(lockout_is_per_token)
{
	struct record a, b;
	struct verify_result res;
	char ta[TOKEN_LEN + 1], tb[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;

	vf_conf.lockout_attempts = 3;
	vf_make_token(&a, ta);
	vf_make_token(&b, tb);
	ck_assert_int_eq(token_generate(&t, a.id, wrong), 0);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tb, vf_me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	/* the third failure of a locks a, whatever b did in between */
	ck_assert_int_eq(vf_try(ta, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(vf_try(tb, vf_me, "sshd", NULL, &res), VERIFY_OK);
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

	vf_conf.lockout_attempts = 3;
	vf_make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "192.0.2.66",
		                     &res),
		    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.66", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.5", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);

	vf_caller = 1000;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vf_try(wrong, vf_me, "su", NULL, &res),
		    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	vf_caller = 0;
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);

	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "2001:db8::1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "2001:db8::2", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "2001:db8::3:4", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "2001:db8::99", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "2001:db8:0:1::1", &res),
	    VERIFY_OK);
	/* a right secret clears its source's failures, no other's */
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.66", &res),
	    VERIFY_DENIED);
}
END_TEST

/*
 * verifier_answer for caller who, on behalf of run_by (NULL: none), as
 * apitoken-verifyd answers it: the decoded verdict.
 */
static enum verify_code
ask_as(uid_t who_uid, const uid_t *run_by, const char *pw,
    struct verify_result *res)
{
	struct verifier_caller who = { who_uid, who_uid, 0, { 0 } };
	char req[VPROTO_REQUEST_MAX], answer[VPROTO_ANSWER_MAX];
	int64_t delay;
	size_t len;
	int n;

	n = vproto_request_encode(vf_me, "sshd", NULL, run_by, pw, strlen(pw),
	    req, sizeof(req));
	ck_assert_int_gt(n, 0);
	len = verifier_answer(&vf_conf, vf_dir, NOW, &who, VPROC_SHARED_LOOP,
	    req, (size_t)n, answer, sizeof(answer), &delay);
	ck_assert_int_eq(vproto_answer_decode(answer, len, res), 0);
	return res->code;
}

/*
 * su and sudo ask the verify service as root for the user who ran them
 * (RUN_BY): that user's failures are theirs alone, as the same su's
 * would be in process; nobody but root may name another uid.
 */
START_TEST(run_by_is_the_source_from_root_only)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;
	uid_t mallory = 1000, alice = 1001;

	vf_conf.lockout_attempts = 2;
	vf_make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ask_as(0, &mallory, wrong, &res),
		    VERIFY_DENIED);
	ck_assert_int_eq(ask_as(0, &mallory, tok, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_int_eq(ask_as(0, &alice, tok, &res), VERIFY_OK);
	ck_assert_int_eq(ask_as(0, NULL, tok, &res), VERIFY_OK);
	/* the same source as mallory's own process would be */
	vf_caller = mallory;
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	vf_caller = 0;
	/* from anyone but root, a RUN_BY is refused before any secret */
	ck_assert_int_eq(ask_as(alice, &alice, tok, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_BAD_REQUEST);
	ck_assert_int_eq(ask_as(alice, &mallory, wrong, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_BAD_REQUEST);
	ck_assert_int_eq(ask_as(0, &alice, tok, &res), VERIFY_OK);
}
END_TEST

/*
 * Guesses that run at once are counted before any is answered: of many
 * concurrent wrong secrets from one source, no more than lockout_attempts
 * are told "wrong secret", the rest "locked out".  (Read first, count
 * later, and every one of them got its answer.)  A guess that found the
 * usage gate busy for longer than it waits is uncounted and told only
 * that: on a loaded machine that can happen, and must not add an answer.
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
	int go[2], out[2], answered = 0, refused = 0, uncounted = 0, counted;
	unsigned char why;

	vf_conf.lockout_attempts = 3;
	vf_make_token(&r, tok);
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
			vf_try(wrong, vf_me, "sshd", "192.0.2.9", &res);
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
		else if (why == VREASON_UNCOUNTED)
			uncounted++;
		else
			ck_abort_msg("a guess was answered %s",
			    verdict_reason_name(why));
	}
	close(out[0]);
	while (wait(NULL) > 0)
		;
	counted = GUESSERS - uncounted;
	ck_assert_int_eq(answered, counted < 3 ? counted : 3);
	ck_assert_int_eq(refused, counted - answered);
	if (counted >= 3) {
		ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.9", &res),
		    VERIFY_DENIED);
		ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	}
}
END_TEST

static int
hold_usage_gate(void)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/usage.lock", vf_dir);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT, 0600), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	return fd;
}

/*
 * An attempt that cannot be counted (the usage gate held past its bound):
 * a wrong secret is refused as uncounted, never told it is wrong, so a
 * stopped writer adds no guesses; a right one from a source that has
 * failed is refused too; from any other source it logs in.
 */
START_TEST(busy_gate_answers_no_uncounted_guess)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	struct token t;
	struct usage u;
	int fd;

	vf_conf.lockout_attempts = 3;
	vf_make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "192.0.2.8", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_WRONG_SECRET);
	fd = hold_usage_gate();
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "192.0.2.9", &res),
	    VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_UNCOUNTED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.8", &res),
	    VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_UNCOUNTED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.9", &res),
	    VERIFY_OK);
	close(fd);
	/* nothing was counted while the gate was held */
	usage_of(r.id, &u);
	ck_assert_ptr_null(usage_source_find(&u, "192.0.2.9"));
	ck_assert_int_eq(usage_source_find(&u, "192.0.2.8")->failures, 1);
}
END_TEST

/* Exactly max_uses logins, each counted; the account step counts none. */
START_TEST(use_limit_counts_exactly)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	make_limited(&r, tok, 2);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.7", &res),
	    VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 1);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 1);
	/* Never throttled: a second login within usage_write_interval counts.
	 */
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.7", &res),
	    VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 2);
	/* The login that spent the last use passes its account step. */
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
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
			_exit(vf_try(tok, vf_me, "sshd", NULL, &res) ==
			            VERIFY_OK ?
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
	while (vf_try(tok, vf_me, "sshd", NULL, &res) == VERIFY_OK)
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

	vf_conf.lockout_attempts = 2;
	make_limited(&r, tok, 3);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_LOCKED_OUT);
	ck_assert_uint_eq(uses_of(r.id), 1);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "198.51.100.1", &res),
	    VERIFY_OK);
	ck_assert_uint_eq(uses_of(r.id), 2);
}
END_TEST

/* Whatever cannot count a use refuses the token, and only that token. */
START_TEST(use_limit_fails_closed)
{
	struct record r, plain;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], ptok[TOKEN_LEN + 1];
	int fd;

	make_limited(&r, tok, 5);
	vf_make_token(&plain, ptok);
	/* the setuid helper of a user writes nothing, so it cannot count */
	ck_assert_int_eq(try_stoppable(tok, &res), VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_NEED_ROOT);
	ck_assert_int_eq(try_stoppable(ptok, &res), VERIFY_OK);
	/* another usage writer holds the gate past its bound */
	fd = hold_usage_gate();
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
	    VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_UNCOUNTED);
	ck_assert_msg(strstr(res.detail, "busy") != NULL, "%s", res.detail);
	ck_assert_int_eq(vf_try(ptok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	close(fd);
	ck_assert_uint_eq(uses_of(r.id), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	/* a usage store born in the token's second: its count may be lost */
	r.created_at -= 1;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
	    VERIFY_UNAVAIL);
	ck_assert_int_eq(res.reason, VREASON_USES_UNCOUNTED);
	ck_assert_msg(strstr(res.detail, "younger") != NULL, "%s", res.detail);
	ck_assert_int_eq(vf_try(ptok, vf_me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

Suite *
verify_usage_suite(void)
{
	Suite *s = suite_create("verify_usage");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, vf_setup, vf_teardown);
	tcase_add_test(tc, lockout_and_usage);
	tcase_add_test(tc, unsafe_usage_fails_closed);
	tcase_add_test(tc, lockout_is_per_token);
	tcase_add_test(tc, lockout_is_per_source);
	tcase_add_test(tc, run_by_is_the_source_from_root_only);
	tcase_add_test(tc, concurrent_guesses_are_counted);
	tcase_add_test(tc, busy_gate_answers_no_uncounted_guess);
	tcase_add_test(tc, use_limit_counts_exactly);
	tcase_add_test(tc, use_limit_under_concurrent_logins);
	tcase_add_test(tc, use_limit_fails_closed);
	tcase_add_test(tc, use_limit_with_lockout);
	suite_add_tcase(s, tc);
	return s;
}
