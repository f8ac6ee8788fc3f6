/* SPDX-License-Identifier: ISC */
/*
 * test_root.c - the module run by root, reading the store itself: every
 * refusal, status, source address, the account step after changes, the
 * expiry notice, lockout, stacks sharing one prompt, a small thread stack,
 * a kept handle seeing a changed configuration, and what is logged.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include "err.h"
#include "store.h"
#include "token.h"
#include "when.h"
#include "pamfix.h"

START_TEST(right_token)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;
	const char *v;

	make_token(&r, tok);
	h = start("sshd", me, "192.0.2.7");
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	ck_assert_int_eq(prompts, 1);
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_ID"));
	ck_assert_str_eq(v, r.id);
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_NAME"));
	ck_assert_str_eq(v, "laptop");
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_PERMISSIONS"));
	ck_assert_str_eq(v, "deploy:read,deploy:write");
	ck_assert_int_eq(run_acct(h), PAM_SUCCESS);
	pam_end(h, PAM_SUCCESS);
	ck_assert(strstr(logged, "accepted") != NULL);
	ck_assert(strstr(logged, r.id) != NULL);
	ck_assert(
	    strstr(logged, tok + TOKEN_PREFIX_LEN + TOKEN_ID_LEN + 1) == NULL);
}
END_TEST

/* The same through the whole stack, as an application sees it. */
START_TEST(whole_stack)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	h = start("sshd", me, "192.0.2.7");
	answer = tok;
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(h, 0), PAM_SUCCESS);
	pam_end(h, PAM_SUCCESS);
	h = start("sshd", me, "192.0.2.7");
	answer = "hunter2";
	ck_assert_int_ne(pam_authenticate(h, 0), PAM_SUCCESS);
	pam_end(h, PAM_AUTH_ERR);
}
END_TEST

START_TEST(refusals)
{
	struct record r;
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	struct token t;
	static const int positions[] = { 0, 6, 7, 13, 18, 19, 20, 35, 51, 52,
		57 };

	make_token(&r, tok);
	/* another secret under the same id */
	ck_assert_int_eq(token_generate(&t, r.id, bad), 0);
	ck_assert_int_eq(auth(bad, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "wrong secret") != NULL);
	/* one-character typos anywhere: prefix damage is "not a token" */
	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		strcpy(bad, tok);
		bad[positions[i]] = bad[positions[i]] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(auth(bad, me, "sshd", NULL),
		    positions[i] < TOKEN_PREFIX_LEN ? PAM_IGNORE :
		                                      PAM_AUTH_ERR);
	}
	/* another user's token; an account that does not exist */
	ck_assert_int_eq(auth(tok, "nobody", "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "another user") != NULL);
	ck_assert_int_eq(auth(tok, "zzapt-no-such-user", "sshd", NULL),
	    PAM_USER_UNKNOWN);
	/* a service the token is not for */
	ck_assert_int_eq(auth(tok, me, "sudo", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "service not allowed") != NULL);
	/* and it still works */
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
}
END_TEST

/*
 * Some PAM hosts authenticate in threads with small stacks (64 KiB): the
 * module keeps its big buffers (the configuration, records, passwd
 * lookups) off the stack, for a token and for a plain password alike.
 * An overflow here is a SIGSEGV of the test.  (At 32 KiB libpam's own
 * audit record overflows first, after the module has returned.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (256 * 1024) /* ASan's redzones widen every frame */
#else
#define SMALL_STACK (64 * 1024)
#endif

struct small_run {
	const char *password;
	int auth, acct;
};

static void *
small_stack_login(void *arg)
{
	struct small_run *run = arg;
	pam_handle_t *h = start("sshd", me, "192.0.2.7");

	answer = run->password;
	run->auth = run_auth(h);
	run->acct = run->auth == PAM_SUCCESS ? run_acct(h) : -1;
	pam_end(h, run->auth);
	return NULL;
}

static void
in_small_thread(struct small_run *run)
{
	pthread_attr_t attr;
	pthread_t th;

	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
	ck_assert_int_eq(pthread_create(&th, &attr, small_stack_login, run), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	pthread_attr_destroy(&attr);
}

START_TEST(small_thread_stack)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	struct small_run good = { tok, -1, -1 }, plain = { "hunter2", -1, -1 };

	make_token(&r, tok);
	in_small_thread(&good);
	ck_assert_int_eq(good.auth, PAM_SUCCESS);
	ck_assert_int_eq(good.acct, PAM_SUCCESS);
	in_small_thread(&plain);
	ck_assert_int_eq(plain.auth, PAM_IGNORE);
}
END_TEST

START_TEST(states)
{
	static const struct {
		int status;
		int64_t expires;
		const char *why;
	} cases[] = {
		{ STATUS_SUSPENDED, 0, "token suspended" },
		{ STATUS_REVOKED, 0, "token revoked" },
		{ STATUS_PENDING, 0, "unknown token id" },
		{ STATUS_DELETED, 0, "unknown token id" },
		{ STATUS_ACTIVE, 1000, "token expired" },
	};
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.status = (uint8_t)cases[i].status;
		r.expires_at = cases[i].expires;
		save(&r);
		ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
		ck_assert_msg(strstr(logged, cases[i].why) != NULL,
		    "no '%s' in log", cases[i].why);
	}
}
END_TEST

START_TEST(source_addresses)
{
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	strlist_add(&r.allowed_addresses, "192.0.2.0/24");
	strlist_add(&r.allowed_addresses, "2001:db8::/32");
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", "192.0.2.200"), PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "192.0.3.1"), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", "2001:db8:1::5"), PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "2001:db9::5"), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", "::ffff:192.0.2.9"),
	    PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "host.example.com"),
	    PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "source address not allowed") != NULL);
}
END_TEST

START_TEST(not_tokens_are_ignored)
{
	static char big[1 << 20];

	/* no store exists: a password that is not a token never looks for one
	 */
	ck_assert_int_eq(auth("hunter2", me, "sshd", NULL), PAM_IGNORE);
	ck_assert_int_eq(auth("", me, "sshd", NULL), PAM_IGNORE);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(auth(big, me, "sshd", NULL), PAM_IGNORE);
	/* a megabyte that starts like a token is a damaged token */
	memcpy(big, "apitok_", 7);
	ck_assert_int_eq(auth(big, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "xxxxxxxxxx") == NULL);
	ck_assert_uint_lt(logged_len, 4096);
}
END_TEST

START_TEST(damaged_store_fails_closed)
{
	struct record r;
	char tok[TOKEN_LEN + 1], path[PATH_MAX + 32];
	static const char junk[] =
	    "this is not an LMDB file at all, not even close";

	make_token(&r, tok);
	snprintf(path, sizeof(path), "%s/tokens.mdb", store);
	ck_assert_int_eq(chmod(store, 0777), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert(strstr(logged, "bad modes") != NULL);
	ck_assert_int_eq(chmod(store, 0700), 0);
	ck_assert_int_eq(truncate(path, 8192), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	write_text(path, junk, 0600);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	unlink(path);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	/* and a bad configuration is no better */
	write_text(conf, "fail_delay = 0\nself_servce = yes\n", 0644);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert(strstr(logged, "unknown key") != NULL);
	ck_assert(
	    strstr(logged, tok + TOKEN_PREFIX_LEN + TOKEN_ID_LEN + 1) == NULL);
}
END_TEST

START_TEST(account_after_changes)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	/* a login that did not use a token is none of this module's business */
	h = start("sshd", me, NULL);
	ck_assert_int_eq(run_acct(h), PAM_IGNORE);
	pam_end(h, PAM_SUCCESS);
	/* suspended between auth and account */
	h = start("sshd", me, NULL);
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	r.status = STATUS_SUSPENDED;
	save(&r);
	ck_assert_int_eq(run_acct(h), PAM_PERM_DENIED);
	pam_end(h, PAM_SUCCESS);
	/* expired between auth and account */
	r.status = STATUS_ACTIVE;
	r.expires_at = when_now() + 3600;
	save(&r);
	h = start("sshd", me, NULL);
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	r.expires_at = 1000;
	save(&r);
	ck_assert_int_eq(run_acct(h), PAM_ACCT_EXPIRED);
	pam_end(h, PAM_SUCCESS);
}
END_TEST

START_TEST(expiry_warning)
{
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	r.expires_at = when_now() + 3 * 86400 + 60;
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
	ck_assert_msg(strstr(infos, "expires in 3 days") != NULL, "info: '%s'",
	    infos);
	infos[0] = '\0';
	r.expires_at = when_now() + 30 * 86400;
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
	ck_assert_str_eq(infos, "");
}
END_TEST

START_TEST(lockout)
{
	struct record r;
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	struct token t;

	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, bad), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(auth(bad, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "locked out") != NULL);
}
END_TEST

/*
 * A handle keeps the settings it loaded (for handles that authenticate
 * many times), but an edit of the file between two attempts takes effect.
 */
START_TEST(config_edit_seen_by_a_kept_handle)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	h = start("sshd", me, NULL);
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	write_text(conf,
	    "fail_delay = 0\nlockout_attempts = 3\ndefault_services = login\n",
	    0644);
	ck_assert_int_eq(run_auth(h), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "service not allowed") != NULL);
	write_text(conf, "fail_delay = 0\nlockout_attempts = 3\nbogus = 1\n",
	    0644);
	ck_assert_int_eq(run_auth(h), PAM_AUTHINFO_UNAVAIL);
	pam_end(h, PAM_SUCCESS);
}
END_TEST

/* use_first_pass and try_first_pass: one prompt for the whole stack. */
START_TEST(first_pass_stacks)
{
	struct record r;
	char tok[TOKEN_LEN + 1], line[8 * PATH_MAX];
	pam_handle_t *h;

	make_token(&r, tok);
	strlist_add(&r.services, "first");
	strlist_add(&r.services, "then-unix");
	save(&r);
	/* pam_unix asks and fails on the token; the module reuses the answer */
	snprintf(line, sizeof(line),
	    "auth optional pam_unix.so\n"
	    "auth sufficient %s %s %s use_first_pass\n"
	    "auth required pam_deny.so\n",
	    module, args[0], args[1]);
	service("first", line);
	h = start("first", me, NULL);
	answer = tok;
	ck_assert_msg(pam_authenticate(h, 0) == PAM_SUCCESS, "log: %s", logged);
	ck_assert_int_eq(prompts, 1);
	pam_end(h, PAM_SUCCESS);
	/* the module asks and ignores a plain password; pam_unix reuses it */
	prompts = 0;
	snprintf(line, sizeof(line),
	    "auth sufficient %s %s %s\n"
	    "auth required pam_unix.so try_first_pass\n",
	    module, args[0], args[1]);
	service("then-unix", line);
	h = start("then-unix", me, NULL);
	answer = "not the password";
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_AUTH_ERR);
	ck_assert_int_eq(prompts, 1);
	pam_end(h, PAM_AUTH_ERR);
	/* a token that fails does not get through pam_unix either */
	prompts = 0;
	h = start("then-unix", me, NULL);
	r.status = STATUS_REVOKED;
	save(&r);
	answer = tok;
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pam_end(h, PAM_AUTH_ERR);
}
END_TEST

START_TEST(unknown_argument_logged)
{
	char line[8 * PATH_MAX];
	pam_handle_t *h;

	snprintf(line, sizeof(line), "auth required %s %s %s frobnicate=yes\n",
	    probe, args[0], args[1]);
	service("odd", line);
	h = start("odd", me, NULL);
	answer = "hunter2";
	ck_assert_int_eq(run_auth(h), PAM_IGNORE);
	pam_end(h, PAM_IGNORE);
	ck_assert(strstr(logged, "unknown or invalid option: frobnicate=yes") !=
	    NULL);
}
END_TEST

void
root_tests(TCase *tc)
{
	tcase_add_test(tc, right_token);
	tcase_add_test(tc, whole_stack);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, states);
	tcase_add_test(tc, source_addresses);
	tcase_add_test(tc, not_tokens_are_ignored);
	tcase_add_test(tc, damaged_store_fails_closed);
	tcase_add_test(tc, account_after_changes);
	tcase_add_test(tc, expiry_warning);
	tcase_add_test(tc, lockout);
	tcase_add_test(tc, first_pass_stacks);
	tcase_add_test(tc, small_thread_stack);
	tcase_add_test(tc, unknown_argument_logged);
	tcase_add_test(tc, config_edit_seen_by_a_kept_handle);
}
