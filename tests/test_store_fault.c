/* SPDX-License-Identifier: ISC */
/*
 * test_store_fault.c - surviving damage (store_fault.c): a fault inside LMDB
 * becomes an error, never a crash or a different record, and gives its locks
 * back.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

/* A store cut short after its meta pages: opening or reading fails cleanly. */
START_TEST(truncated_tail)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r, back;
	char err[ERR_MAX], path[PATH_MAX + 32], ids[400][TOKEN_ID_LEN + 1];
	int rc, bad = 0;

	for (int i = 0; i < 400; i++) {
		sample_record(&r);
		tu_put(st, &r);
		strcpy(ids[i], r.id);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	ck_assert_int_eq(truncate(path, 3 * 4096), 0);
	rc = store_open(&st, tu_dir, STORE_RDONLY, err);
	if (rc == 0) {
		for (int i = 0; i < 400; i++) {
			rc = store_get(st, ids[i], &back, err);
			ck_assert(
			    rc == 0 || rc == ERR_CORRUPT || rc == ERR_UNAVAIL);
			if (rc != 0)
				bad++;
		}
		store_close(st);
		ck_assert_int_gt(bad, 0);
	} else
		ck_assert(rc == ERR_CORRUPT || rc == ERR_UNAVAIL);
}
END_TEST

/*
 * A usage file damaged under a process that holds it open: the write that
 * faults fails cleanly and gives the writer lock back, so another process
 * (once the file is good again) records usage without waiting for this
 * one to exit.
 */
START_TEST(usage_fault_releases_the_writer_lock)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32], good[PATH_MAX + 32];
	int status;
	pid_t pid;

	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    0);
	snprintf(path, sizeof(path), "%s/usage.mdb", tu_dir);
	snprintf(good, sizeof(good), "%s/usage.good", tu_tmp);
	tu_copy_file(path, good);
	/* the two meta pages stay, the tree beyond them is gone: a read faults
	 */
	ck_assert_int_eq(truncate(path, 2 * sysconf(_SC_PAGESIZE)), 0);
	tu_leaks_ignored(1);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.2",
	                     err),
	    ERR_CORRUPT);
	store_close(st);
	tu_leaks_ignored(0);
	tu_copy_file(good, path);
	if ((pid = fork()) == 0) {
		alarm(10);
		st = tu_open(STORE_RDONLY);
		_exit(
		    store_usage_update(st, "0123456789AB", STORE_USAGE_WAIT_MS,
		        tu_usage_bump, "192.0.2.3", err) == 0 ?
		        0 :
		        1);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the other process %s",
	    WIFSIGNALED(status) ? "waited for the lock" : "failed");
}
END_TEST

/*
 * LMDB has no checksums: random damage must give an error or the intact
 * record, never a crash of the process and never a different record.
 * The seed is fixed, so a failure reproduces.
 */
START_TEST(random_damage_never_crashes)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r, back;
	char err[ERR_MAX], good[PATH_MAX + 32], path[PATH_MAX + 32];
	struct stat sb;
	int ok = 0, refused = 0, fd, rc;

	sample_record(&r);
	tu_put(st, &r);
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	snprintf(good, sizeof(good), "%s/good.mdb", tu_tmp);
	tu_copy_file(path, good);
	ck_assert_int_eq(stat(good, &sb), 0);
	srand(20261124);
	for (int trial = 0; trial < 3000; trial++) {
		tu_copy_file(good, path);
		fd = open(path, O_RDWR);
		for (int k = 0; k < 3; k++) {
			unsigned char b = (unsigned char)rand();
			ck_assert_int_eq(pwrite(fd, &b, 1, rand() % sb.st_size),
			    1);
		}
		close(fd);
		tu_leaks_ignored(1);
		if (store_open(&st, tu_dir, STORE_RDONLY, err) != 0) {
			tu_leaks_ignored(0);
			refused++;
			continue;
		}
		rc = store_get(st, r.id, &back, err);
		store_close(st);
		tu_leaks_ignored(0);
		if (rc == 0) {
			ck_assert_mem_eq(&back, &r, sizeof(r));
			ok++;
		} else
			refused++;
	}
	ck_assert_int_gt(refused, 0);
	ck_assert_int_gt(ok, 0);
}
END_TEST

Suite *
store_fault_suite(void)
{
	Suite *s = suite_create("store_fault");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, truncated_tail);
	tcase_add_test(tc, usage_fault_releases_the_writer_lock);
	tcase_add_test(tc, random_damage_never_crashes);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
