/* SPDX-License-Identifier: ISC */
/*
 * test_store_lock.c - the writer lock (store_lock.c).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

START_TEST(writer_lock)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];
	int fd;

	ck_assert_int_eq(store_lock(st, err), 0);
	snprintf(path, sizeof(path), "%s/helper.lock", tu_dir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	store_unlock(st);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	store_close(st);
}
END_TEST

Suite *
store_lock_suite(void)
{
	Suite *s = suite_create("store_lock");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, writer_lock);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
