# SPDX-License-Identifier: ISC
# Check unit tests for common/, and for authd's HTTP parser (authd/http.c,
# compiled in here: it faces untrusted clients).
check_PROGRAMS += tests/unit
TESTS += tests/unit
if HAVE_CHECK
tests_unit_SOURCES = tests/unit.c tests/unit.h \
	tests/testutil.c tests/testutil.h \
	tests/test_token.c tests/test_record.c tests/test_store.c \
	tests/test_store_env.c tests/test_store_tokens.c tests/test_store_txn.c \
	tests/test_store_lock.c tests/test_store_usage.c tests/test_store_fault.c \
	tests/test_store_fleet.c \
	tests/test_fdio.c tests/test_conf.c tests/test_when.c tests/test_cidr.c tests/test_redact.c tests/test_utf8.c \
	tests/test_verify.c tests/test_verify_usage.c tests/verifyfix.c tests/verifyfix.h \
	tests/test_verify_proto.c tests/test_daemon.c \
	tests/test_http.c authd/http.c authd/authd.h
tests_unit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/authd
tests_unit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SODIUM_CFLAGS) $(LMDB_CFLAGS)
tests_unit_LDADD = common/libdaemon.la common/libtokengen.la $(CHECK_LIBS)
else
tests_unit_SOURCES = tests/skip.c
tests_unit_CPPFLAGS = -DSKIP_WHY='"Check was not found by configure (apt-get install check)"'
endif

# apitoken-syncd's batches against a store (syncd/apply.c): a program of
# its own, as apply.c needs libldap, which the other unit tests never load.
if FLEET
if HAVE_CHECK
check_PROGRAMS += tests/syncd_apply
TESTS += tests/syncd_apply
tests_syncd_apply_SOURCES = tests/test_apply.c tests/testutil.c tests/testutil.h \
	syncd/apply.c syncd/users.c syncd/syncd.h \
	common/fleet_entry.c common/fleet_entry.h
tests_syncd_apply_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/syncd
tests_syncd_apply_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LMDB_CFLAGS) \
	$(LDAP_CFLAGS) $(SODIUM_CFLAGS)
tests_syncd_apply_LDADD = common/libtokengen.la $(CHECK_LIBS) $(LDAP_LIBS) \
	$(SODIUM_LIBS)
endif
endif

# Fuzzing with libFuzzer: `make fuzz` builds each target with clang under
# ASan+UBSan and runs it for FUZZ_SECONDS from its seed corpus; any crash,
# leak or sanitizer report fails.  Findings land in tests/fuzz/ of the build.
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_TARGETS = token record conf parse args verify vproto http
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
EXTRA_DIST += $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%.c) tests/fuzz/corpus

fuzz:
	@set -e; mkdir -p tests/fuzz; \
	common=; for f in $(common_libcommon_la_SOURCES); do \
		case $$f in *.c) common="$$common $(srcdir)/$$f";; esac; done; \
	for t in $(FUZZ_TARGETS); do \
		case $$t in \
		verify) extra=$(srcdir)/common/token_gen.c;; \
		http) extra=$(srcdir)/authd/http.c;; \
		*) extra=;; \
		esac; \
		$(FUZZ_CC) $(FUZZ_FLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
			-I$(srcdir)/helper -I$(srcdir)/authd $(SODIUM_CFLAGS) $(LMDB_CFLAGS) -o tests/fuzz/fuzz_$$t \
			$(srcdir)/tests/fuzz/fuzz_$$t.c $$common $$extra $(SODIUM_LIBS) $(LMDB_LIBS); \
		rm -rf tests/fuzz/work-$$t; mkdir -p tests/fuzz/work-$$t; \
		printf 'fuzz %-8s %ss: ' $$t $(FUZZ_SECONDS); \
		if ! tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/crash-$$t- tests/fuzz/work-$$t \
			$(srcdir)/tests/fuzz/corpus/$$t > tests/fuzz/fuzz_$$t.log 2>&1; then \
			echo FAILED; tail -40 tests/fuzz/fuzz_$$t.log; exit 1; fi; \
		grep -E '^stat::number_of_executed_units' tests/fuzz/fuzz_$$t.log | \
			sed 's/.*: *\([0-9]*\)/\1 runs, no finding/'; \
	done

.PHONY: fuzz

# Logins racing a writer: a few seconds in make check, longer in make stress.
check_PROGRAMS += tests/stress
TESTS += tests/stress
tests_stress_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(LMDB_CFLAGS)
tests_stress_LDADD = common/libtokengen.la
STRESS_SECONDS = 120

stress: tests/stress
	tests/stress $(STRESS_SECONDS)

.PHONY: stress

# Shell tests: as root they create accounts and PAM services (cleaned up on
# every exit path); elsewhere they skip with 77 and say why.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
# pamtester and sshd cannot load a sanitizer-built module (ASan must come
# first in a program); in those builds tests/pam/pamtest covers the module.
if !SANITIZERS
TESTS += tests/e2e/login.sh tests/e2e/sshd.sh tests/e2e/aliases.sh tests/e2e/surun.sh \
	tests/e2e/nginx.sh \
	tests/e2e/apache.sh \
	tests/e2e/dovecot.sh tests/e2e/saslauthd.sh tests/e2e/systemd.sh
endif
EXTRA_DIST += tests/e2e/lib.sh tests/e2e/login.sh tests/e2e/sshd.sh tests/e2e/aliases.sh \
	tests/e2e/surun.sh \
	tests/e2e/nginx.sh tests/e2e/apache.sh tests/e2e/dovecot.sh tests/e2e/saslauthd.sh \
	tests/e2e/systemd.sh tests/sdns.sh

# The verify service, its policy and hostile clients.  No PAM module is
# loaded, so this runs in sanitizer builds too.
check_PROGRAMS += tests/verifyd/vclient
tests_verifyd_vclient_LDADD = common/libcommon.la
TESTS += tests/verifyd/service.sh
EXTRA_DIST += tests/verifyd/service.sh

# nginx's auth_request through apitoken-authd: nginx loads no PAM module
# here, so this runs in sanitizer builds too.
check_PROGRAMS += tests/authd/hclient
TESTS += tests/e2e/authreq.sh
EXTRA_DIST += tests/e2e/authreq.sh

# What the README, SECURITY.md and the example stacks promise.
TESTS += tests/docs.sh
EXTRA_DIST += tests/docs.sh
