# Check unit tests for common/.
check_PROGRAMS += tests/unit
TESTS += tests/unit
tests_unit_SOURCES = tests/unit.c tests/unit.h \
	tests/test_token.c tests/test_record.c tests/test_store.c \
	tests/test_conf.c tests/test_when.c tests/test_cidr.c tests/test_log.c \
	tests/test_verify.c
tests_unit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SODIUM_CFLAGS) $(LMDB_CFLAGS)
tests_unit_LDADD = common/libcommon.la $(CHECK_LIBS)
