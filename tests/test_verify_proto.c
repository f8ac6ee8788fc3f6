/* SPDX-License-Identifier: ISC */
/*
 * The verify protocol's codec, the verdict vocabulary and the verifier
 * policy: both sides of the protocol use these functions, so what they
 * accept and refuse is specified here.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "verdict.h"
#include "verifier.h"
#include "verify_proto.h"
#include "testutil.h"
#include "unit.h"

#define PW "apitok_0123456789AB_secret"

START_TEST(request_round_trip)
{
	char buf[VPROTO_REQUEST_MAX];
	struct vproto_request rq;
	int n;

	uid_t by = 1000;

	n = vproto_request_encode("alice", "nginx", "192.0.2.1", NULL, PW,
	    strlen(PW), buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert(vproto_request_complete(buf, (size_t)n));
	ck_assert(!vproto_request_complete(buf, (size_t)n - 1));
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n, &rq), 0);
	ck_assert_str_eq(rq.user, "alice");
	ck_assert_str_eq(rq.service, "nginx");
	ck_assert_str_eq(rq.rhost, "192.0.2.1");
	ck_assert_str_eq(rq.password, PW);
	ck_assert_uint_eq(rq.password_len, strlen(PW));
	ck_assert(!rq.has_run_by);
	/* no rhost travels as an empty field; su's user as RUN_BY */
	n = vproto_request_encode("alice", "su", NULL, &by, PW, strlen(PW), buf,
	    sizeof(buf));
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n, &rq), 0);
	ck_assert_str_eq(rq.rhost, "");
	ck_assert(rq.has_run_by);
	ck_assert_uint_eq(rq.run_by, 1000);
	by = 0;
	n = vproto_request_encode("alice", "su", NULL, &by, PW, strlen(PW), buf,
	    sizeof(buf));
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n, &rq), 0);
	ck_assert(rq.has_run_by);
	ck_assert_uint_eq(rq.run_by, 0);
}
END_TEST

START_TEST(request_refusals)
{
	static const char *const bad_uids[] = { "-1", "+5", "01", "1 ", "x",
		"4294967295", "4294967296", "99999999999" };
	char buf[VPROTO_REQUEST_MAX + 8], big[VPROTO_FIELD_MAX + 2];
	struct vproto_request rq;
	int n;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(vproto_request_encode(big, "s", NULL, NULL, PW,
	                     strlen(PW), buf, sizeof(buf)),
	    ERR_LIMIT);
	ck_assert_int_eq(vproto_request_encode("a\nb", "s", NULL, NULL, PW,
	                     strlen(PW), buf, sizeof(buf)),
	    ERR_INVAL);
	/* RUN_BY is a uid as the encoder writes it, or nothing */
	for (size_t i = 0; i < sizeof(bad_uids) / sizeof(bad_uids[0]); i++) {
		n = snprintf(buf, sizeof(buf), "%s%calice%csu%c%c%s%c%s%c",
		    VPROTO_MAGIC, 0, 0, 0, 0, bad_uids[i], 0, PW, 0);
		ck_assert_msg(vproto_request_decode(buf, (size_t)n, &rq) ==
		        ERR_INVAL,
		    "RUN_BY '%s' taken", bad_uids[i]);
	}
	n = vproto_request_encode("alice", "sshd", "", NULL, PW, strlen(PW),
	    buf, sizeof(buf));
	/* one byte short, one byte over, another magic, an empty user */
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n - 1, &rq),
	    ERR_INVAL);
	buf[n] = 'x';
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n + 1, &rq),
	    ERR_INVAL);
	buf[0] = 'b';
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n, &rq), ERR_INVAL);
	n = vproto_request_encode("", "sshd", "", NULL, PW, strlen(PW), buf,
	    sizeof(buf));
	ck_assert_int_eq(vproto_request_decode(buf, (size_t)n, &rq), ERR_INVAL);
	/* a request that fills the buffer without ending */
	memset(buf, 'a', sizeof(buf));
	ck_assert(!vproto_request_complete(buf, sizeof(buf)));
	ck_assert_int_eq(vproto_request_decode(buf, sizeof(buf), &rq),
	    ERR_INVAL);
}
END_TEST

START_TEST(answer_round_trip)
{
	struct verify_result in, out;
	char line[VPROTO_ANSWER_MAX];
	int n;

	memset(&in, 0, sizeof(in));
	in.code = VERIFY_OK;
	in.reason = VREASON_ACCEPTED;
	strcpy(in.rec.id, "0123456789AB");
	strcpy(in.rec.name, "ci-deploy");
	strlist_add(&in.rec.permissions, "deploy:read");
	strlist_add(&in.rec.permissions, "deploy:write");
	in.rec.expires_at = 1900000000;
	n = vproto_answer_encode(&in, line, sizeof(line));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(line,
	    "apitoken-verify-2\tok\taccepted\t0123456789AB\t"
	    "ci-deploy\tdeploy:read,deploy:write\t1900000000\n");
	ck_assert_int_eq(vproto_answer_decode(line, (size_t)n, &out), 0);
	ck_assert_int_eq(out.code, VERIFY_OK);
	ck_assert_int_eq(out.reason, VREASON_ACCEPTED);
	ck_assert_str_eq(out.rec.id, "0123456789AB");
	ck_assert_str_eq(out.rec.name, "ci-deploy");
	ck_assert_int_eq(out.rec.permissions.n, 2);
	ck_assert_str_eq(out.rec.permissions.v[1], "deploy:write");
	ck_assert_int_eq(out.rec.expires_at, 1900000000);
	/* every reason travels as itself, with its verdict */
	for (int r = 0; r < VREASON_COUNT; r++) {
		memset(&in, 0, sizeof(in));
		in.reason = (enum verify_reason)r;
		in.code = verdict_of(in.reason);
		if (in.code == VERIFY_OK)
			strcpy(in.rec.id, "0123456789AB");
		else
			strcpy(in.id, "0123456789AB");
		n = vproto_answer_encode(&in, line, sizeof(line));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(vproto_answer_decode(line, (size_t)n, &out),
		    0);
		ck_assert_int_eq(out.reason, r);
		ck_assert_int_eq(out.code, in.code);
		ck_assert_str_eq(out.id, "0123456789AB");
	}
}
END_TEST

START_TEST(answer_refusals)
{
	static const char *const bad[] = {
		"",
		"apitoken-verify-2\tok\taccepted\t0123456789AB\tn\t\t0",
		"apitoken-verify-1\tdenied\texpired\t\t\t\t0\n",
		"apitoken-verify-2\tok\texpired\t0123456789AB\tn\t\t0\n",
		"apitoken-verify-2\tdenied\taccepted\t\t\t\t0\n",
		"apitoken-verify-2\tdenied\tno-such-reason\t\t\t\t0\n",
		"apitoken-verify-2\tdenied\texpired\t\t\t\t0\textra\n",
		"apitoken-verify-2\tdenied\texpired\t\tname\t\t0\n",
		"apitoken-verify-2\tok\taccepted\t\tn\t\t0\n",
		"apitoken-verify-2\tok\taccepted\tlowercase-id\tn\t\t0\n",
		"apitoken-verify-2\tok\taccepted\t0123456789AB\tn\ta,,b\t0\n",
		"apitoken-verify-2\tok\taccepted\t0123456789AB\tn\t\t-1\n",
		"apitoken-verify-2\tok\taccepted\t0123456789AB\tn\t\t12x\n",
		"apitoken-verify-2\tok\taccepted\t0123456789AB\tn\x01\t\t0\n",
		"not an answer\n",
	};
	struct verify_result out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(vproto_answer_decode(bad[i], strlen(bad[i]),
		                  &out) == ERR_INVAL,
		    "accepted: %s", bad[i]);
		ck_assert_int_eq(out.code, VERIFY_DENIED);
		ck_assert_int_eq(out.reason, VREASON_BAD_ANSWER);
	}
}
END_TEST

START_TEST(reasons_have_names_and_text)
{
	enum verify_reason r;

	for (int i = 0; i < VREASON_COUNT; i++) {
		ck_assert_int_eq(verdict_reason_from_name(
		                     verdict_reason_name((enum verify_reason)i),
		                     &r),
		    0);
		ck_assert_int_eq(r, i);
		ck_assert_str_ne(verdict_reason_text((enum verify_reason)i),
		    "unknown reason");
	}
	ck_assert_int_eq(verdict_reason_from_name("nonsense", &r), -1);
	ck_assert_int_eq(verdict_of(VREASON_EXPIRED), VERIFY_DENIED);
	ck_assert_int_eq(verdict_of(VREASON_STORE), VERIFY_UNAVAIL);
}
END_TEST

START_TEST(verifier_lines)
{
	struct verifier_rule r;
	const char *why = NULL;

	ck_assert_int_eq(verifier_parse("www-data: nginx", &r, &why), 0);
	ck_assert(!r.group);
	ck_assert_str_eq(r.name, "www-data");
	ck_assert_int_eq(r.services.n, 1);
	ck_assert_int_eq(verifier_parse("@dovecot : dovecot, imap pop3", &r,
	                     &why),
	    0);
	ck_assert(r.group);
	ck_assert_str_eq(r.name, "dovecot");
	ck_assert_int_eq(r.services.n, 3);
	ck_assert_str_eq(r.services.v[2], "pop3");
	ck_assert_int_eq(verifier_parse("www-data", &r, &why), -1);
	ck_assert_int_eq(verifier_parse("www-data:", &r, &why), -1);
	ck_assert_int_eq(verifier_parse("www-data: *", &r, &why), -1);
	ck_assert(strstr(why, "'*'") != NULL);
	ck_assert_int_eq(verifier_parse("Bad Name: nginx", &r, &why), -1);
	ck_assert_int_eq(verifier_parse(": nginx", &r, &why), -1);
	ck_assert_int_eq(verifier_parse("@: nginx", &r, &why), -1);
	ck_assert_int_eq(verifier_parse("www: ngi/nx", &r, &why), -1);
}
END_TEST

START_TEST(verifier_lines_in_the_config)
{
	char dir[256], path[300], err[ERR_MAX];
	struct conf c;
	FILE *f;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/apitoken.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("verifier = www-data: nginx\nverifier = @mail: dovecot\n", f);
	fclose(f);
	ck_assert_int_eq(conf_load(path, &c, err), 0);
	ck_assert_int_eq(c.nverifiers, 2);
	ck_assert(c.verifiers[1].group);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("verifier = www-data: *\n", f);
	fclose(f);
	ck_assert_int_eq(conf_load(path, &c, err), ERR_INVAL);
	ck_assert(strstr(err, ":1:") != NULL);
	rm_tree(dir);
}
END_TEST

/* The policy, for the account running the test and a group it is in. */
START_TEST(verifier_policy)
{
	struct passwd *pw = getpwuid(getuid()), *other = getpwnam("nobody");
	struct group *gr = getgrgid(getgid());
	struct verifier_rule rules[2];
	struct verifier_caller who = { 4242, 4242, 0, { 0 } };
	struct verify_user user_pw;
	const char *why;
	char line[128];
	bool as_verifier;

	ck_assert_ptr_nonnull(pw);
	ck_assert_ptr_nonnull(other);
	ck_assert_ptr_nonnull(gr);
	/* nobody asks: only its own tokens, whatever the service */
	who.uid = other->pw_uid;
	who.gid = other->pw_gid;
	ck_assert_int_eq(verifier_allows(NULL, 0, &who, "nobody", "x", &user_pw,
	                     &as_verifier),
	    VREASON_ACCEPTED);
	ck_assert(!as_verifier);
	/* the lookup that told it, kept for verify_token */
	ck_assert_int_eq(user_pw.lookup, VLOOKUP_FOUND);
	ck_assert_int_eq(user_pw.uid, other->pw_uid);
	ck_assert_int_eq(verifier_allows(NULL, 0, &who, "zzapt-no-such-user",
	                     "x", &user_pw, &as_verifier),
	    VREASON_NOT_VERIFIER);
	ck_assert_int_eq(user_pw.lookup, VLOOKUP_NO_USER);
	ck_assert_int_eq(verifier_allows(NULL, 0, &who, pw->pw_name, "nginx",
	                     &user_pw, &as_verifier),
	    VREASON_NOT_VERIFIER);
	/* named as a verifier for nginx: nginx only */
	snprintf(line, sizeof(line), "nobody: nginx");
	ck_assert_int_eq(verifier_parse(line, &rules[0], &why), 0);
	ck_assert_int_eq(verifier_allows(rules, 1, &who, pw->pw_name, "nginx",
	                     &user_pw, &as_verifier),
	    VREASON_ACCEPTED);
	ck_assert(as_verifier);
	ck_assert_int_eq(verifier_allows(rules, 1, &who, pw->pw_name, "sshd",
	                     &user_pw, &as_verifier),
	    VREASON_VERIFIER_SERVICE);
	/* a group rule counts the primary group and the others */
	snprintf(line, sizeof(line), "@%s: dovecot", gr->gr_name);
	ck_assert_int_eq(verifier_parse(line, &rules[1], &why), 0);
	ck_assert_int_eq(verifier_allows(&rules[1], 1, &who, pw->pw_name,
	                     "dovecot", &user_pw, &as_verifier),
	    gr->gr_gid == who.gid ? VREASON_ACCEPTED : VREASON_NOT_VERIFIER);
	who.ngroups = 1;
	who.groups[0] = gr->gr_gid;
	ck_assert_int_eq(verifier_allows(&rules[1], 1, &who, pw->pw_name,
	                     "dovecot", &user_pw, &as_verifier),
	    VREASON_ACCEPTED);
	/* root may ask anything, and looks nobody up */
	who.uid = 0;
	ck_assert_int_eq(verifier_allows(NULL, 0, &who, "nobody", "x", &user_pw,
	                     &as_verifier),
	    VREASON_ACCEPTED);
	ck_assert_int_eq(user_pw.lookup, VLOOKUP_NOT_DONE);
}
END_TEST

Suite *
verify_proto_suite(void)
{
	Suite *s = suite_create("verify_proto");
	TCase *tc = tcase_create("codec and policy");

	tcase_add_test(tc, request_round_trip);
	tcase_add_test(tc, request_refusals);
	tcase_add_test(tc, answer_round_trip);
	tcase_add_test(tc, answer_refusals);
	tcase_add_test(tc, reasons_have_names_and_text);
	tcase_add_test(tc, verifier_lines);
	tcase_add_test(tc, verifier_lines_in_the_config);
	tcase_add_test(tc, verifier_policy);
	suite_add_tcase(s, tc);
	return s;
}
