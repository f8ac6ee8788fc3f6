# SPDX-License-Identifier: ISC
# PAM integration tests: the built module through real libpam.
check_PROGRAMS += tests/pam/pamtest tests/pam/fakehelper
TESTS += tests/pam/pamtest
# memcheck cannot run sanitizer builds; there ASan and UBSan do that job.
if !SANITIZERS
TESTS += tests/pam/valgrind.sh
endif
EXTRA_DIST += tests/pam/valgrind.sh
if HAVE_CHECK
if HAVE_PAM_CONFDIR
tests_pam_pamtest_SOURCES = tests/pam/pamtest.c tests/pam/pamfix.c tests/pam/pamfix.h \
	tests/pam/test_root.c tests/pam/test_nonroot.c
tests_pam_pamtest_CPPFLAGS = $(AM_CPPFLAGS)
tests_pam_pamtest_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PAM_CFLAGS) $(LMDB_CFLAGS)
# Exported so the module's pam_syslog calls land in the test (see pamtest.c).
tests_pam_pamtest_LDFLAGS = -export-dynamic
tests_pam_pamtest_LDADD = common/libtokengen.la $(CHECK_LIBS) $(PAM_LIBS) -lpthread
else
tests_pam_pamtest_SOURCES = tests/skip.c
tests_pam_pamtest_CPPFLAGS = -DSKIP_WHY='"libpam lacks pam_start_confdir (Linux-PAM >= 1.4)"'
endif
else
tests_pam_pamtest_SOURCES = tests/skip.c
tests_pam_pamtest_CPPFLAGS = -DSKIP_WHY='"Check was not found by configure (apt-get install check)"'
endif
tests_pam_fakehelper_SOURCES = tests/pam/fakehelper.c
tests_pam_fakehelper_LDADD = common/libcommon.la
# A test-only module that reports pam_apitoken's exact return codes.
check_LTLIBRARIES = tests/pam/probe.la
tests_pam_probe_la_SOURCES = tests/pam/probe.c
tests_pam_probe_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_pam_probe_la_LIBADD = $(PAM_LIBS) -ldl
# The module again, with its test hooks (APITOKEN_TEST_HELPER), so the
# non-root path runs against the fake helper in every build, not only in
# one configured with --enable-test-hooks.  Never installed.
check_LTLIBRARIES += tests/pam/pam_apitoken_hooks.la
tests_pam_pam_apitoken_hooks_la_SOURCES = $(pam_pam_apitoken_la_SOURCES)
tests_pam_pam_apitoken_hooks_la_CPPFLAGS = $(AM_CPPFLAGS) -DAPITOKEN_TEST_HOOKS=1
tests_pam_pam_apitoken_hooks_la_CFLAGS = $(pam_pam_apitoken_la_CFLAGS)
tests_pam_pam_apitoken_hooks_la_LDFLAGS = $(pam_pam_apitoken_la_LDFLAGS) -rpath /nowhere
tests_pam_pam_apitoken_hooks_la_LIBADD = $(pam_pam_apitoken_la_LIBADD)
