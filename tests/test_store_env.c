/* SPDX-License-Identifier: ISC */
/*
 * test_store_env.c - opening a store (store_env.c): paths, modes and owners
 * checked, the schema recognised, damage and foreign files refused, maps that
 * fit the address space.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

START_TEST(missing_store_not_created_without_flag)
{
	struct store *st;
	char err[ERR_MAX];

	ck_assert_int_eq(store_open(&st, tu_dir, 0, err), ERR_NOTFOUND);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_NOTFOUND);
	ck_assert_int_eq(access(tu_dir, F_OK), -1);
}
END_TEST

START_TEST(create_modes)
{
	struct store *st = tu_open(STORE_CREATE);
	char path[PATH_MAX + 32];
	struct stat sb;

	store_close(st);
	ck_assert_int_eq(stat(tu_dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/tokens.mdb-lock", tu_dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(readonly_refuses_writes)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record a;
	char err[ERR_MAX];

	store_close(st);
	st = tu_open(STORE_RDONLY);
	sample_record(&a);
	ck_assert_int_eq(store_write(st, tu_put_fn, &a, err), ERR_PERM);
	store_close(st);
}
END_TEST

START_TEST(refuses_bad_permissions)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];

	store_close(st);
	ck_assert_int_eq(chmod(tu_dir, 0720), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_UNAVAIL);
	ck_assert(strstr(err, "bad modes") != NULL);
	ck_assert_int_eq(chmod(tu_dir, 0702), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, 0, err), ERR_UNAVAIL);
	ck_assert_int_eq(chmod(tu_dir, 0700), 0);

	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_UNAVAIL);
	ck_assert(strstr(err, "tokens.mdb: bad modes") != NULL);
	ck_assert_int_eq(chmod(path, 0600), 0);

	snprintf(path, sizeof(path), "%s/tokens.mdb-lock", tu_dir);
	ck_assert_int_eq(chmod(path, 0606), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_UNAVAIL);
	ck_assert(strstr(err, "-lock: bad modes") != NULL);
	ck_assert_int_eq(chmod(path, 0600), 0);

	st = tu_open(STORE_RDONLY);
	store_close(st);
}
END_TEST

START_TEST(refuses_foreign_owner)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX];

	store_close(st);
	if (geteuid() != 0)
		return; /* only root can give the directory away */
	ck_assert_int_eq(chown(tu_dir, 65534, 0), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_UNAVAIL);
	ck_assert(strstr(err, "bad ownership") != NULL);
}
END_TEST

START_TEST(refuses_symlinks)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX], link[PATH_MAX + 16], path[PATH_MAX + 32],
	    moved[PATH_MAX + 32];

	store_close(st);
	snprintf(link, sizeof(link), "%s/link", tu_tmp);
	ck_assert_int_eq(symlink(tu_dir, link), 0);
	ck_assert_int_eq(store_open(&st, link, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "symbolic link") != NULL);

	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	snprintf(moved, sizeof(moved), "%s/elsewhere.mdb", tu_tmp);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(symlink(moved, path), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_UNAVAIL);
	ck_assert(strstr(err, "symbolic link") != NULL);
}
END_TEST

START_TEST(zero_length_store)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];
	struct stat sb;

	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "empty") != NULL);
	/* a writer must not silently start over on top of it */
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_CREATE, err),
	    ERR_CORRUPT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

START_TEST(garbage_and_truncated_store)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record r;
	char err[ERR_MAX], path[PATH_MAX + 32];
	uint8_t junk[16384];
	struct stat sb;

	for (int i = 0; i < 50; i++) {
		sample_record(&r);
		tu_put(st, &r);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);

	/* random bytes over the headers */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919 + 13);
	tu_write_file(path, junk, sizeof(junk));
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "tokens.mdb") != NULL);
	ck_assert_int_eq(store_open(&st, tu_dir, 0, err), ERR_CORRUPT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)sizeof(junk));
}
END_TEST

static int
put_raw_meta(const char *d, const char *key, const void *val, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(key), (void *)key }, v = { n, (void *)val };
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/tokens.mdb", d);
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	if (mdb_env_open(env, path, MDB_NOSUBDIR, 0600) != 0)
		return -1;
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, "meta", 0, &dbi);
	mdb_put(txn, dbi, &k, &v, 0);
	mdb_txn_commit(txn);
	mdb_env_close(env);
	return 0;
}

START_TEST(unknown_schema_refused)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX];

	store_close(st);
	ck_assert_int_eq(put_raw_meta(tu_dir, "schema_version", "\0\0\0\x02",
	                     4),
	    0);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_RDONLY, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "schema version 2 is not supported") != NULL);
	ck_assert_int_eq(store_open(&st, tu_dir, 0, err), ERR_CORRUPT);
	ck_assert_int_eq(put_raw_meta(tu_dir, "schema_version", "x", 1), 0);
	ck_assert_int_eq(store_open(&st, tu_dir, 0, err), ERR_CORRUPT);
	ck_assert(strstr(err, "no valid schema version") != NULL);
}
END_TEST

START_TEST(foreign_lmdb_refused)
{
	MDB_env *env;
	char err[ERR_MAX], path[PATH_MAX + 32];
	struct store *st;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 1, "k" }, v = { 1, "v" };

	ck_assert_int_eq(mkdir(tu_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/tokens.mdb", tu_dir);
	mdb_env_create(&env);
	ck_assert_int_eq(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_put(txn, dbi, &k, &v, 0);
	mdb_txn_commit(txn);
	mdb_env_close(env);
	ck_assert_int_eq(store_open(&st, tu_dir, STORE_CREATE, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "not an apitoken store") != NULL);
}
END_TEST

/*
 * Under an RLIMIT_AS (Dovecot's auth workers run PAM under 256 MiB) the
 * whole-store maps do not fit: the store is mapped to size instead and
 * works.  Not under ASan, whose shadow memory needs terabytes of it.
 */
#ifndef TU_HAVE_ASAN
START_TEST(limited_address_space)
{
	struct store *st = tu_open(STORE_CREATE);
	struct rlimit lim = { 256UL << 20, 256UL << 20 };
	struct record r, back;
	struct usage u;
	pid_t pid;
	int status;

	sample_record(&r);
	tu_put(st, &r);
	store_close(st);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_AS, &lim) != 0 ||
		    store_open(&st, tu_dir, STORE_RDONLY, NULL) != 0)
			_exit(1);
		if (store_get(st, r.id, &back, NULL) != 0 ||
		    strcmp(back.id, r.id) != 0)
			_exit(2);
		if (store_usage_update(st, r.id, STORE_USAGE_WAIT_MS,
		        tu_usage_bump, "192.0.2.1", NULL) != 0 ||
		    store_usage_get(st, r.id, &u, NULL) != 0 ||
		    u.recorded_uses != 1)
			_exit(3);
		store_close(st);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child: status %#x", status);
}
END_TEST
#endif

Suite *
store_env_suite(void)
{
	Suite *s = suite_create("store_env");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, missing_store_not_created_without_flag);
	tcase_add_test(tc, create_modes);
	tcase_add_test(tc, readonly_refuses_writes);
	tcase_add_test(tc, refuses_bad_permissions);
	tcase_add_test(tc, refuses_foreign_owner);
	tcase_add_test(tc, refuses_symlinks);
	tcase_add_test(tc, zero_length_store);
	tcase_add_test(tc, garbage_and_truncated_store);
	tcase_add_test(tc, unknown_schema_refused);
	tcase_add_test(tc, foreign_lmdb_refused);
#ifndef TU_HAVE_ASAN
	tcase_add_test(tc, limited_address_space);
#endif
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
