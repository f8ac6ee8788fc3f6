# SPDX-License-Identifier: ISC
# common/: the core shared by the PAM module and the helper.  Built PIC as a
# libtool convenience library so the module can link it.
noinst_LTLIBRARIES += common/libcommon.la
common_libcommon_la_SOURCES = \
	common/err.c common/err.h \
	common/fdio.c common/fdio.h \
	common/grow.c common/grow.h \
	common/token.c common/token.h \
	common/blake2b.c common/blake2b.h \
	common/record.c common/record.h \
	common/store.h common/store_int.h common/store.c \
	common/store_fault.c common/store_env.c common/store_txn.c \
	common/store_tokens.c common/store_usage.c common/store_lock.c \
	common/store_fleet.c common/store_fleet.h \
	common/conf.c common/conf.h \
	common/when.c common/when.h \
	common/cidr.c common/cidr.h \
	common/redact.c common/redact.h \
	common/input.c common/input.h \
	common/utf8.c common/utf8.h \
	common/verdict.c common/verdict.h \
	common/verify.c common/verify.h common/verify_usage.c common/verify_usage.h \
	common/verify_proto.c common/verify_proto.h \
	common/verifier.c common/verifier.h
common_libcommon_la_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS)
common_libcommon_la_LIBADD = $(LMDB_LIBS)

# What the daemons alone do: fork, take fd 3 from systemd, bind a socket,
# open the log.  Never in libcommon: the PAM module links that, and none of
# this may run inside an application.
noinst_LTLIBRARIES += common/libdaemon.la
common_libdaemon_la_SOURCES = common/daemon.c common/daemon.h
common_libdaemon_la_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS)

# Token generation alone needs libsodium (its CSPRNG); the PAM module, which
# never creates tokens, links only libcommon and so never loads libsodium.
noinst_LTLIBRARIES += common/libtokengen.la
common_libtokengen_la_SOURCES = common/token_gen.c
common_libtokengen_la_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
common_libtokengen_la_LIBADD = common/libcommon.la $(SODIUM_LIBS)
