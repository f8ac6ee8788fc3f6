# SPDX-License-Identifier: ISC
# tests/helper/: the apitoken command as root, as a user and setuid, under
# faults and races (shell tests; the rules for .sh are in tests/local.mk).
TESTS += tests/helper/cli.sh tests/helper/setuid.sh tests/helper/faults.sh \
	tests/helper/race.sh tests/helper/lifecycle.sh tests/helper/policy.sh \
	tests/helper/edges.sh tests/helper/locks.sh tests/helper/notify.sh
EXTRA_DIST += tests/helper/cli.sh tests/helper/setuid.sh tests/helper/faults.sh \
	tests/helper/race.sh tests/helper/lifecycle.sh tests/helper/policy.sh \
	tests/helper/edges.sh tests/helper/locks.sh tests/helper/notify.sh tests/helper/tty.py
# locks.sh and setuid.sh share the test build's compiled-in store.
tests/helper/locks.log: tests/helper/setuid.log

# A usage writer that stops inside its write (locks.sh).
check_PROGRAMS += tests/helper/usagehold
tests_helper_usagehold_SOURCES = tests/helper/usagehold.c
tests_helper_usagehold_LDADD = common/libcommon.la

# The accounts behind tokens: ending a service user's processes, who may
# mint what, re-created accounts.
TESTS += tests/helper/accounts.sh
EXTRA_DIST += tests/helper/accounts.sh

# Tokens with a use limit (create --uses): exact under concurrent logins,
# revoked for real by check --repair and prune, fail closed.
TESTS += tests/helper/uses.sh
EXTRA_DIST += tests/helper/uses.sh

# apitoken again, for the tests alone: with its test hooks (crash points)
# and a throwaway store (and re-authentication PAM directory) compiled
# in, inside the build tree, so the crash
# tests of cli.sh and the setuid tests run in every build, also a plain
# ./configure, and never touch a real store.  Never installed.
TEST_STOREDIR = $(abs_top_builddir)/tests/helper/test-store
check_PROGRAMS += tests/helper/apitoken
tests_helper_apitoken_SOURCES = $(apitoken_SOURCES)
tests_helper_apitoken_CPPFLAGS = -I$(top_srcdir)/common -DSYSCONFDIR='"$(sysconfdir)"' \
	-DSTOREDIR='"$(TEST_STOREDIR)"' -DSBINDIR='"$(sbindir)"' -DAPITOKEN_TEST_HOOKS=1
# Without pam_start_confdir it reads /etc/pam.d, and setuid.sh skips.
if HAVE_PAM_CONFDIR
tests_helper_apitoken_CPPFLAGS += -DREAUTH_PAM_DIR='"$(TEST_STOREDIR).pam.d"'
endif
tests_helper_apitoken_CFLAGS = $(apitoken_CFLAGS)
tests_helper_apitoken_LDFLAGS = $(apitoken_LDFLAGS)
tests_helper_apitoken_LDADD = $(apitoken_LDADD)

# policy.sh runs the test build setuid too, and so uses the same compiled-in
# store as setuid.sh and locks.sh: one after the other, never at once.
tests/helper/policy.log: tests/helper/locks.log
