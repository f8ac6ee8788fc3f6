# SPDX-License-Identifier: ISC
# Benchmarks: built and run only by `make bench`, never by `make check`.
EXTRA_PROGRAMS = bench/pambench bench/bulkload bench/nullprog bench/fleetwatch
bench_pambench_LDADD = common/libcommon.la $(PAM_LIBS)
bench_bulkload_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(LMDB_CFLAGS)
bench_bulkload_LDADD = common/libtokengen.la
bench_nullprog_LDFLAGS = -all-static
bench_fleetwatch_LDADD = common/libcommon.la
CLEANFILES += $(EXTRA_PROGRAMS)
EXTRA_DIST += bench/run bench/lib.sh bench/fleet

if HAVE_PAM_CONFDIR
bench: $(EXTRA_PROGRAMS) all
	MODULE=$(abs_builddir)/pam/.libs/pam_apitoken.so \
	APITOKEN=$(abs_builddir)/apitoken \
	PAMBENCH=$(abs_builddir)/bench/pambench \
	BULKLOAD=$(abs_builddir)/bench/bulkload \
	NULLPROG=$(abs_builddir)/bench/nullprog \
	VERIFYD=$(abs_builddir)/apitoken-verifyd \
	SYNCD=$(abs_builddir)/apitoken-syncd \
	FLEETWATCH=$(abs_builddir)/bench/fleetwatch \
	AUTHD=$(abs_builddir)/apitoken-authd \
	STOREDIR=$(storedir) \
	TEST_HOOKS=`grep -q '^#define APITOKEN_TEST_HOOKS' config.h && echo yes || echo no` \
	$(SHELL) $(srcdir)/bench/run

else
bench:
	@echo "make bench needs pam_start_confdir (Linux-PAM >= 1.4), which this libpam lacks" >&2; exit 1
endif

.PHONY: bench
