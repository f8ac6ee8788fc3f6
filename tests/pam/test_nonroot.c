/* SPDX-License-Identifier: ISC */
/*
 * test_nonroot.c - the module run by a caller that is not root: it asks
 * the verifier (here tests/pam/fakehelper), and its account step stands
 * on that answer.
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

/*
 * What the unprivileged child reports besides a PAM code: exit statuses
 * above every PAM code, each with the reason the parent prints.
 */
enum child_exit {
	CHILD_NO_DROP = 100, /* setgroups/setresgid/setresuid failed */
	CHILD_NO_REACH,      /* a copy in tmp is out of the user's reach */
	CHILD_NO_START,      /* pam_start_confdir failed */
	CHILD_NO_PROBE,      /* the probe did not run the module */
};

static const char *
child_why(int status)
{
	switch (status) {
	case CHILD_NO_DROP:
		return "could not become nobody";
	case CHILD_NO_REACH:
		return "nobody cannot read the test's copies of the module, "
		       "probe or fake helper "
		       "(is TMPDIR inside a directory closed to others?)";
	case CHILD_NO_START:
		return "pam_start_confdir failed as nobody";
	case CHILD_NO_PROBE:
		return "the probe did not run the module as nobody (libpam "
		       "could not load it?)";
	default:
		return "the module's answer";
	}
}

/*
 * The non-root case in a forked child: no ck_assert here, since with
 * CK_FORK=no (valgrind.sh) a failed one would return into the test runner
 * inside the child, which would run the remaining tests as nobody.
 */
static int
child_auth(const char *password, const char *user, bool acct)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;
	const char *rc;
	int code;

	if (access(hooked, R_OK) != 0 || access(probe, R_OK) != 0 ||
	    access(fake, X_OK) != 0 || access(svc, R_OK | X_OK) != 0)
		return CHILD_NO_REACH;
	if (pam_start_confdir("sshd", user, &c, svc, &h) != PAM_SUCCESS)
		return CHILD_NO_START;
	answer = password;
	pam_putenv(h, "PROBE_RC");
	pam_authenticate(h, 0);
	rc = pam_getenv(h, "PROBE_RC");
	code = rc != NULL ? atoi(rc) : CHILD_NO_PROBE;
	if (acct && code == PAM_SUCCESS) {
		pam_putenv(h, "PROBE_RC");
		pam_acct_mgmt(h, 0);
		rc = pam_getenv(h, "PROBE_RC");
		code = rc != NULL ? atoi(rc) : CHILD_NO_PROBE;
	}
	pam_end(h, PAM_SUCCESS);
	return code;
}

/*
 * Without root the module asks the helper; tested against a fake one.  The
 * account step then stands on the helper's answer, its expiry rechecked:
 * it must not ignore, or a stack whose account step is this module alone
 * fails.
 */
START_TEST(non_root_asks_the_helper)
{
	static const struct {
		const char *pw;
		bool missing, acct;
		int want;
	} cases[] = {
		{ "apitok_FAKEOK_0123456789", false, false, PAM_SUCCESS },
		{ "apitok_FAKENO_0123456789", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKEKILL_01234567", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKEGARBLE_012345", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKESILENT_012345", false, false, PAM_AUTH_ERR },
		{ "not-a-token", false, false, PAM_IGNORE },
		/* As pam_unix when unix_chkpwd cannot run. */
		{ "apitok_FAKEOK_0123456789", true, false,
		    PAM_AUTHINFO_UNAVAIL },
		{ "apitok_FAKEOK_0123456789", false, true, PAM_SUCCESS },
		{ "apitok_FAKEEXPIRED_01234", false, true, PAM_ACCT_EXPIRED },
	};
	struct passwd *nobody = getpwnam("nobody");
	int status;
	pid_t pid;

	/* Only a test build honours APITOKEN_TEST_HELPER. */
	setenv("PAM_MODULE", hooked, 1);
	if (geteuid() != 0) {
		/* Already unprivileged: the helper path is the only path. */
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			setenv("APITOKEN_TEST_HELPER",
			    cases[i].missing ? "/nonexistent/apitoken" : fake,
			    1);
			ck_assert_int_eq(child_auth(cases[i].pw, me,
			                     cases[i].acct),
			    cases[i].want);
		}
		return;
	}
	ck_assert_msg(nobody != NULL,
	    "no account nobody to run the non-root case as");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 ||
			    setresgid(nobody->pw_gid, nobody->pw_gid,
			        nobody->pw_gid) < 0 ||
			    setresuid(nobody->pw_uid, nobody->pw_uid,
			        nobody->pw_uid) < 0)
				_exit(CHILD_NO_DROP);
			setenv("APITOKEN_TEST_HELPER",
			    cases[i].missing ? "/nonexistent/apitoken" : fake,
			    1);
			_exit(child_auth(cases[i].pw, "nobody", cases[i].acct));
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status),
		    "%s: the child as nobody died (status %d)", cases[i].pw,
		    status);
		ck_assert_msg(WEXITSTATUS(status) == cases[i].want,
		    "%s: got %d, want %d: %s (copies in %s)", cases[i].pw,
		    WEXITSTATUS(status), cases[i].want,
		    child_why(WEXITSTATUS(status)), tmp);
	}
}
END_TEST

void
nonroot_tests(TCase *tc)
{
	tcase_add_test(tc, non_root_asks_the_helper);
}
