/* SPDX-License-Identifier: ISC */
/*
 * test_store_txn.c - the transaction runner (store_txn.c): the map grows under
 * writers while readers, in other processes and in threads, keep reading.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* The map starts at 1 MiB; thousands of records force it to grow. */
START_TEST(map_grows)
{
	struct store *st = tu_open(STORE_CREATE);
	size_t first = store_mapsize(st);
	struct record r, back;
	char err[ERR_MAX], keep[TOKEN_ID_LEN + 1] = "";

	for (int i = 0; i < 6000; i++) {
		sample_record(&r);
		snprintf(r.name, sizeof(r.name), "token-%d", i);
		r.service_user = false;
		tu_put(st, &r);
		if (i == 0)
			strcpy(keep, r.id);
	}
	ck_assert_uint_gt(store_mapsize(st), first);
	ck_assert_int_eq(store_get(st, keep, &back, err), 0);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 6000);
	store_close(st);

	/* a reader opened afterwards adopts the larger map */
	st = tu_open(STORE_RDONLY);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 6000);
	store_close(st);
}
END_TEST

/* A reader that was open while the writer grew the map keeps working. */
START_TEST(reader_survives_resize)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r;
	pid_t pid;
	int status, fds[2];
	char c;

	store_close(st);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the writer, in another process as in real life */
		struct store *w;
		if (read(fds[0], &c, 1) != 1 ||
		    store_open(&w, tu_dir, 0, NULL) != 0)
			_exit(1);
		for (int i = 0; i < 6000; i++) {
			sample_record(&r);
			r.service_user = false;
			if (store_write(w, tu_put_fn, &r, NULL) != 0)
				_exit(2);
		}
		store_close(w);
		_exit(0);
	}
	st = tu_open(STORE_RDONLY);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 0);
	ck_assert_int_eq(write(fds[1], "go", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 6000);
	store_close(st);
}
END_TEST

/*
 * The same with readers in several threads of one process: remapping for
 * one of them must never pull the map from under another's transaction.
 */
static atomic_int writer_done;
static struct record probe_rec;

static void *
read_until_done(void *arg)
{
	struct store *st = arg;
	struct record back;
	intptr_t failures = 0;

	while (!writer_done)
		failures += store_get(st, probe_rec.id, &back, NULL) != 0 ||
		    strcmp(back.id, probe_rec.id) != 0;
	return (void *)failures;
}

START_TEST(threaded_readers_survive_resize)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r;
	pthread_t t[4];
	pid_t pid;
	int status, fds[2];
	void *failures;
	char c;

	sample_record(&probe_rec);
	tu_put(st, &probe_rec);
	store_close(st);
	/* The writer is forked before any thread exists, then let go. */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *w;
		if (read(fds[0], &c, 1) != 1 ||
		    store_open(&w, tu_dir, 0, NULL) != 0)
			_exit(1);
		for (int i = 0; i < 6000; i++) {
			sample_record(&r);
			r.service_user = false;
			if (store_write(w, tu_put_fn, &r, NULL) != 0)
				_exit(2);
		}
		store_close(w);
		_exit(0);
	}
	st = tu_open(STORE_RDONLY);
	writer_done = 0;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, read_until_done,
		                     st),
		    0);
	ck_assert_int_eq(write(fds[1], "go", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	writer_done = 1;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &failures), 0);
		ck_assert_int_eq((intptr_t)failures, 0);
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 6001);
	store_close(st);
}
END_TEST

/*
 * tokens.mdb restored in place (same inode) under a process that keeps the
 * store open: its next read must not go through a stale meta page (which
 * here shows a revoked token active); it refuses, and a fresh open reads
 * the restored file.
 */
START_TEST(restore_in_place_is_noticed)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r, other, back;
	char path[PATH_MAX + 32], err[ERR_MAX] = "";
	struct stat sb;
	char *copy;
	int fd;

	sample_record(&r);
	r.status = STATUS_ACTIVE;
	tu_put(st, &r);
	r.status = STATUS_REVOKED;
	tu_put(st, &r);
	/* The backup: its meta pages are the active and the revoked state. */
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_ptr_nonnull(copy = malloc((size_t)sb.st_size));
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	ck_assert_int_eq(pread(fd, copy, (size_t)sb.st_size, 0), sb.st_size);
	/* One more commit: the lock file's count now has the parity of the
	 * backup's older, active, meta page. */
	sample_record(&other);
	tu_put(st, &other);
	ck_assert_int_eq(pwrite(fd, copy, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	free(copy);

	ck_assert_int_eq(store_get(st, r.id, &back, err), ERR_UNAVAIL);
	ck_assert_msg(strstr(err, "replaced") != NULL, "%s", err);
	store_close(st);
	st = tu_open(STORE_RDONLY);
	ck_assert_int_eq(store_get(st, r.id, &back, err), 0);
	ck_assert_int_eq(back.status, STATUS_REVOKED);
	store_close(st);
}
END_TEST

Suite *
store_txn_suite(void)
{
	Suite *s = suite_create("store_txn");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, map_grows);
	tcase_add_test(tc, reader_survives_resize);
	tcase_add_test(tc, threaded_readers_survive_resize);
	tcase_add_test(tc, restore_in_place_is_noticed);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
