/* SPDX-License-Identifier: ISC */
/*
 * pamtest - pam_apitoken.so through real libpam.
 *
 * Each test writes a private store, configuration and service directory,
 * starts a real handle with pam_start_confdir and drives it with
 * pam_authenticate and pam_acct_mgmt.  Where the module's own code matters
 * (libpam turns a lone PAM_IGNORE into PAM_PERM_DENIED), the stack runs it
 * behind tests/pam/probe.c, which reports the exact code.  The module is
 * the built one, named by PAM_MODULE; the non-root test runs the same
 * sources built with test hooks (PAM_MODULE_HOOKS), whatever the build.
 * main() copies every file a test loads or runs into a directory that
 * `nobody` can reach: the build tree may be in a 0700 home.
 *
 * The fixture is pamfix.[ch]; the tests are test_root.c and
 * test_nonroot.c.
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

int
main(void)
{
	const char *base;
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("module");
	SRunner *sr;
	bool root = geteuid() == 0;
	int failed;

	base = getenv("TMPDIR");
	snprintf(lib, sizeof(lib), "%s/apitoken-pamlib.XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(lib) == NULL || chmod(lib, 0755) != 0) {
		fprintf(stderr, "pamtest: cannot make %s\n", lib);
		return EXIT_FAILURE;
	}
	if (copy_in("PAM_MODULE", "pam_apitoken.so", module) < 0 ||
	    copy_in("PAM_MODULE_HOOKS", "pam_apitoken_hooks.so", hooked) < 0 ||
	    copy_in("PAM_PROBE", "probe.so", probe) < 0 ||
	    copy_in("FAKE_HELPER", "fakehelper", fake) < 0) {
		remove_tree(lib);
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	/*
	 * Without root the module never reads a store (it asks the setuid
	 * helper), so the helper path is all an ordinary user can test.
	 */
	if (root)
		root_tests(tc);
	nonroot_tests(tc);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tree(lib);
	if (failed == 0 && !root) {
		printf("SKIP: only the non-root path ran and passed; the other "
		       "tests need root "
		       "(the module reads the store only as root)\n");
		return 77;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
