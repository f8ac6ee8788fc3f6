/* SPDX-License-Identifier: ISC */
/*
 * test_verify.c - the login decision: what verify_token accepts, and why
 * it refuses what it refuses.  What a login counts: test_verify_usage.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "store.h"
#include "store_fleet.h"
#include "testutil.h"
#include "unit.h"
#include "verifyfix.h"

START_TEST(accepts_right_token)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	vf_make_token(&r, tok);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_OK);
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

	ck_assert_msg(store_open(&st, vf_dir, 0, err) == 0, "%s", err);
	ck_assert_msg(store_write(st, contact_fn, &at, err) == 0, "%s", err);
	store_close(st);
}

/* A fleet token only where its hosts say; strict staleness only for it. */
START_TEST(fleet_host_scope_and_staleness)
{
	struct record r, local;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], ltok[TOKEN_LEN + 1];

	vf_make_token(&local, ltok);
	vf_make_token(&r, tok);
	r.origin = ORIGIN_FLEET;
	ck_assert_int_eq(strlist_add(&r.hosts, "db"), 0);
	vf_save(&r);
	strcpy(vf_conf.fleet_host, "web01");
	ck_assert_int_eq(strlist_add(&vf_conf.fleet_host_groups, "web"), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_HOST);
	ck_assert_str_eq(verdict_reason_text(res.reason),
	    "fleet token not for this host or its host groups");
	/* by name, by group, by * */
	const char *ok[] = { "WEB01", "web", "*" };
	for (size_t i = 0; i < 3; i++) {
		r.hosts.n = 0;
		ck_assert_int_eq(strlist_add(&r.hosts, ok[i]), 0);
		vf_save(&r);
		ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
		    VERIFY_OK);
	}
	/* strict: never heard from the directory, then too long ago */
	vf_conf.fleet_strict = true;
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_STALE);
	contact(NOW - vf_conf.fleet_stale_after - 1);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_FLEET_STALE);
	ck_assert_int_eq(vf_try(ltok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	contact(NOW - vf_conf.fleet_stale_after);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	/* best_effort keeps the last view */
	contact(NOW - 10 * vf_conf.fleet_stale_after);
	vf_conf.fleet_strict = false;
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(not_a_token_is_ignored_before_io)
{
	struct verify_result res;

	/* no store exists at all: a plain password must not even look */
	ck_assert_int_eq(vf_try("hunter2", vf_me, "sshd", NULL, &res),
	    VERIFY_NOT_TOKEN);
	ck_assert_int_eq(vf_try("", vf_me, "sshd", NULL, &res),
	    VERIFY_NOT_TOKEN);
	/* a damaged token is denied, still without I/O */
	ck_assert_int_eq(vf_try("apitok_0123456789AB_x", vf_me, "sshd", NULL,
	                     &res),
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

	vf_make_token(&r, tok);
	strcpy(bad, tok);
	bad[30] = bad[30] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(vf_try(bad, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_MALFORMED);
	ck_assert_str_eq(res.detail, "bad checksum");

	/* a well-formed token with the right id but another secret */
	ck_assert_int_eq(token_generate(&t, r.id, other), 0);
	ck_assert_int_eq(vf_try(other, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_WRONG_SECRET);
	ck_assert_str_eq(res.id, r.id);
	ck_assert_str_eq(res.rec.id, ""); /* nothing of the record leaks out */

	/* an id that does not exist */
	ck_assert_int_eq(token_generate(&t, NULL, other), 0);
	ck_assert_int_eq(vf_try(other, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UNKNOWN_ID);

	ck_assert_int_eq(vf_try(tok, "nobody", "sshd", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_OTHER_USER);
	ck_assert_int_eq(vf_try(tok, vf_me, "sudo", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SERVICE);
	ck_assert_int_eq(vf_try(tok, vf_me, NULL, NULL, &res), VERIFY_DENIED);
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

	vf_make_token(&r, tok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.status = (uint8_t)cases[i].status;
		vf_save(&r);
		ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
		    VERIFY_DENIED);
		ck_assert_int_eq(res.reason, cases[i].reason);
	}
	r.status = STATUS_ACTIVE;
	r.expires_at = NOW;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_EXPIRED);
	r.expires_at = NOW + 1;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(services_and_addresses)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	vf_make_token(&r, tok);
	strlist_add(&r.services, "login");
	strlist_add(&r.allowed_addresses, "192.0.2.0/24");
	strlist_add(&r.allowed_addresses, "2001:db8::/32");
	vf_save(&r);
	/* the record's own list replaces the default */
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", "192.0.2.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "192.0.2.1", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "2001:db8::7", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "::ffff:192.0.2.9", &res),
	    VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "192.0.3.1", &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ADDRESS);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "client.example.com",
	                     &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(vf_try(tok, vf_me, "login", "", &res), VERIFY_DENIED);
	/* "*" allows every service */
	strlist_add(&r.services, "*");
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "anything", "192.0.2.1", &res),
	    VERIFY_OK);
}
END_TEST

/* A program's token covers its distribution's variants, not the reverse. */
START_TEST(service_variants)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	vf_make_token(&r, tok);
	strlist_add(&r.services, "su");
	strlist_add(&r.services, "sudo");
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "su", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "su-l", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "sudo-i", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "runuser-l", NULL, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SERVICE);
	ck_assert_int_eq(vf_try(tok, vf_me, "sul", NULL, &res), VERIFY_DENIED);
	memset(&r.services, 0, sizeof(r.services));
	strlist_add(&r.services, "su-l");
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "su-l", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "su", NULL, &res), VERIFY_DENIED);
	ck_assert_str_eq(verify_service_program("sudo-i"), "sudo");
	ck_assert_ptr_null(verify_service_program("sudo"));
}
END_TEST

START_TEST(store_problems_are_unavailable)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], path[PATH_MAX + 32];

	vf_make_token(&r, tok);
	snprintf(path, sizeof(path), "%s/tokens.mdb", vf_dir);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
	    VERIFY_UNAVAIL);
	ck_assert(strstr(res.detail, "empty") != NULL);
	rm_tree(vf_dir);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res),
	    VERIFY_UNAVAIL);
}
END_TEST

START_TEST(grace_after_rotate)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1], fresh[TOKEN_LEN + 1];
	struct token t;

	vf_make_token(&r, tok);
	memcpy(r.old_hash, r.hash, TOKEN_HASH_LEN);
	r.old_hash_until = NOW + 60;
	ck_assert_int_eq(token_generate(&t, r.id, fresh), 0);
	token_hash(&t, r.hash);
	vf_save(&r);
	ck_assert_int_eq(vf_try(fresh, vf_me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	r.old_hash_until = NOW;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(vf_try(fresh, vf_me, "sshd", NULL, &res), VERIFY_OK);
}
END_TEST

START_TEST(account_recheck)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	vf_make_token(&r, tok);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_OK);
	ck_assert_int_eq(verify_account(vf_dir, r.id, "nobody", NOW, VPROC_OWN,
	                     &res),
	    VERIFY_DENIED);
	r.status = STATUS_SUSPENDED;
	vf_save(&r);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_SUSPENDED);
	ck_assert_int_eq(verify_account(vf_dir, "0000000000AA", vf_me, NOW,
	                     VPROC_OWN, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_DELETED);
	/* the name is the same, the account is not: refused, at auth and after
	 */
	r.status = STATUS_ACTIVE;
	r.uid = vf_uid + 4242;
	vf_save(&r);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
}
END_TEST

/*
 * A lookup of the user that the verify service made for its policy is the
 * one verify_token goes by: it does not look again (it would find vf_me).
 */
static enum verify_code
try_looked_up(const char *tok, enum verify_lookup lookup, uid_t uid,
    struct verify_result *res)
{
	struct verify_request req = {
		.password = tok,
		.password_len = strlen(tok),
		.user = vf_me,
		.service = "sshd",
		.caller_uid = vf_caller,
		.store_dir = vf_dir,
		.now = NOW,
		.looked_up = { lookup, uid },
	};

	return verify_token(&vf_conf, &req, res);
}

START_TEST(user_looked_up_once)
{
	struct record r;
	struct verify_result res;
	char tok[TOKEN_LEN + 1];

	vf_make_token(&r, tok);
	ck_assert_int_eq(try_looked_up(tok, VLOOKUP_FOUND, vf_uid, &res),
	    VERIFY_OK);
	ck_assert_int_eq(try_looked_up(tok, VLOOKUP_NO_USER, 0, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
	ck_assert_int_eq(try_looked_up(tok, VLOOKUP_FOUND, vf_uid + 1, &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_UID_CHANGED);
	ck_assert_int_eq(try_looked_up(tok, VLOOKUP_NOT_DONE, 0, &res),
	    VERIFY_OK);
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
	int64_t since;

	if (verify_account_since(vf_me, &since) < 0 || since == 0)
		return; /* no readable shadow entry: nothing to compare */
	vf_make_token(&r, tok);
	r.account_since = since;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_OK);
	r.account_since = since - 1;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ACCOUNT_CHANGED);
	ck_assert_int_eq(verify_account(vf_dir, r.id, vf_me, NOW, VPROC_OWN,
	                     &res),
	    VERIFY_DENIED);
	ck_assert_int_eq(res.reason, VREASON_ACCOUNT_CHANGED);
	ck_assert_int_eq(verdict_of(VREASON_ACCOUNT_CHANGED), VERIFY_DENIED);
	r.account_since = 0;
	vf_save(&r);
	ck_assert_int_eq(vf_try(tok, vf_me, "sshd", NULL, &res), VERIFY_OK);
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

	vf_conf.lockout_attempts =
	    3; /* the lockout read happens for both too */
	vf_make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, wrong), 0);
	ck_assert_int_eq(token_generate(&t, NULL, unknown), 0);
	before = token_hash_count;
	ck_assert_int_eq(vf_try(wrong, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	for_wrong = token_hash_count - before;
	before = token_hash_count;
	ck_assert_int_eq(vf_try(unknown, vf_me, "sshd", NULL, &res),
	    VERIFY_DENIED);
	for_unknown = token_hash_count - before;
	before = token_hash_count;
	ck_assert_int_eq(vf_try("apitok_0123456789AB_short", vf_me, "sshd",
	                     NULL, &res),
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

	tcase_add_checked_fixture(tc, vf_setup, vf_teardown);
	tcase_add_test(tc, accepts_right_token);
	tcase_add_test(tc, user_looked_up_once);
	tcase_add_test(tc, not_a_token_is_ignored_before_io);
	tcase_add_test(tc, denials);
	tcase_add_test(tc, states);
	tcase_add_test(tc, services_and_addresses);
	tcase_add_test(tc, service_variants);
	tcase_add_test(tc, store_problems_are_unavailable);
	tcase_add_test(tc, grace_after_rotate);
	tcase_add_test(tc, account_recheck);
	tcase_add_test(tc, account_changed);
#ifdef APITOKEN_TEST_HOOKS
	tcase_add_test(tc, same_work_for_unknown_id);
	tcase_add_test(tc, fleet_host_scope_and_staleness);
#endif
	suite_add_tcase(s, tc);
	return s;
}
