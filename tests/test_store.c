/* SPDX-License-Identifier: ISC */
/*
 * test_store.c - the process-wide handle cache (store.c): one handle per store
 * and process, a new one after fork.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

START_TEST(shared_handle_in_process)
{
	struct store *a = tu_open(STORE_CREATE), *b, *c;
	char err[ERR_MAX], other[PATH_MAX + 16];

	b = tu_open(STORE_RDONLY); /* read-only use of the open writer */
	ck_assert_ptr_eq(a, b);
	snprintf(other, sizeof(other), "%s/other", tu_tmp);
	ck_assert_int_eq(store_open(&c, other, STORE_CREATE, err), ERR_UNAVAIL);
	store_close(b);
	store_close(a);
	a = tu_open(STORE_RDONLY);
	ck_assert_int_eq(store_open(&c, tu_dir, 0, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "read-only") != NULL);
	store_close(a);
}
END_TEST

/* A child of a process holding the store opens its own handle. */
START_TEST(fork_gets_own_handle)
{
	struct store *st = tu_open(STORE_CREATE), *child;
	struct record r, back;
	pid_t pid;
	int status;

	sample_record(&r);
	tu_put(st, &r);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_open(&child, tu_dir, STORE_RDONLY, NULL) != 0 ||
		    child == st || store_get(child, r.id, &back, NULL) != 0)
			_exit(1);
		store_close(child);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(store_get(st, r.id, &back, NULL), 0);
	store_close(st);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, shared_handle_in_process);
	tcase_add_test(tc, fork_gets_own_handle);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
