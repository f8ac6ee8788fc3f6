# SPDX-License-Identifier: ISC
# tests/helper/: see Makefile.am.  Filled in by its owner.

# apitoken again, for the tests alone: with its test hooks (crash points)
# and a throwaway store (and re-authentication PAM directory) compiled
# in, inside the build tree, so the crash
# tests of cli.sh and the setuid tests run in every build, also a plain
# ./configure, and never touch a real store.  Never installed.
TEST_STOREDIR = $(abs_top_builddir)/tests/helper/test-store
check_PROGRAMS += tests/helper/apitoken
tests_helper_apitoken_SOURCES = $(apitoken_SOURCES)
tests_helper_apitoken_CPPFLAGS = -I$(top_srcdir)/common -DSYSCONFDIR='"$(sysconfdir)"' \
	-DSTOREDIR='"$(TEST_STOREDIR)"' -DSBINDIR='"$(sbindir)"' -DAPITOKEN_TEST_HOOKS=1 \
	-DREAUTH_PAM_DIR='"$(TEST_STOREDIR).pam.d"'
tests_helper_apitoken_CFLAGS = $(apitoken_CFLAGS)
tests_helper_apitoken_LDFLAGS = $(apitoken_LDFLAGS)
tests_helper_apitoken_LDADD = $(apitoken_LDADD)
