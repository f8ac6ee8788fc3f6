/* SPDX-License-Identifier: ISC */
/*
 * test_store_usage.c - the usage environment (store_usage.c): counters and
 * addresses, and one environment shared by all threads of a process.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

/*
 * Threads of one process share one handle, and must share its usage
 * environment too: LMDB forbids opening an environment twice in a process
 * (the second open can take its lock file for a fresh one and reset it).
 */
#define RACERS 8
static pthread_barrier_t start_line;

static void *
first_usage_read(void *arg)
{
	struct store *st;
	struct usage u;
	char err[ERR_MAX];
	intptr_t rc;

	(void)arg;
	if (store_open(&st, tu_dir, STORE_RDONLY, err) != 0)
		return (void *)-1;
	pthread_barrier_wait(&start_line);
	rc = store_usage_get(st, "0123456789AB", &u, err);
	store_close(st);
	return (void *)rc;
}

static int
fds_open_on(const char *path)
{
	char link[300], target[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;
	int count = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			count += strcmp(target, path) == 0;
		}
	}
	closedir(d);
	return count;
}

START_TEST(threads_share_one_usage_env)
{
	struct store *st = tu_open(STORE_CREATE);
	pthread_t t[RACERS];
	char lock[PATH_MAX + 32], real[PATH_MAX];
	void *rc;

	ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, first_usage_read,
		                     NULL),
		    0);
	for (int i = 0; i < RACERS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rc), 0);
		ck_assert_int_eq((intptr_t)rc, 0);
	}
	pthread_barrier_destroy(&start_line);
	snprintf(lock, sizeof(lock), "%s/usage.mdb-lock", tu_dir);
	ck_assert_ptr_nonnull(realpath(lock, real));
	ck_assert_int_eq(fds_open_on(real), 1);
	store_close(st);
}
END_TEST

static int
leave(struct usage *u, void *ctx)
{
	(void)u;
	(void)ctx;
	return 1;
}

START_TEST(usage_data)
{
	struct store *st = tu_open(STORE_CREATE);
	struct usage u;
	char err[ERR_MAX], path[PATH_MAX + 32];
	struct stat sb;

	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.recorded_uses, 0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.2",
	                     err),
	    0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, leave, NULL, err),
	    0);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.recorded_uses, 2);
	ck_assert_str_eq(u.last_used_from[0], "192.0.2.2");
	store_close(st);
	snprintf(path, sizeof(path), "%s/usage.mdb", tu_dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);

	/* a read-only (PAM) handle can still record usage */
	st = tu_open(STORE_RDONLY);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.3",
	                     err),
	    0);
	store_close(st);
}
END_TEST

/*
 * An empty usage.mdb is what a first login finds while another makes it,
 * and what is left of one emptied: a login writes into it, made afresh
 * with a new birth, rather than count it as damage (which would leave
 * that login's failure uncounted).
 */
START_TEST(empty_usage_is_made)
{
	struct store *st = tu_open(STORE_CREATE);
	struct usage u;
	char err[ERR_MAX], path[PATH_MAX + 32];
	int64_t born;
	int fd;

	store_close(st);
	snprintf(path, sizeof(path), "%s/usage.mdb", tu_dir);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), 0);
	close(fd);
	st = tu_open(STORE_RDONLY);
	ck_assert_msg(store_usage_update(st, "0123456789AB",
	                  STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                  err) == 0,
	    "%s", err);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.recorded_uses, 1);
	ck_assert_int_eq(store_usage_birth(st, &born, err), 0);
	ck_assert_int_gt(born, 0);
	store_close(st);
}
END_TEST

/* In a child, so that this process opens usage.mdb only once: make the
 * store, then store raw bytes as the usage entry of id. */
static void
child_put_raw(const char *id, const char *bytes)
{
	char path[PATH_MAX + 32];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(id), (void *)id },
	        v = { strlen(bytes), (void *)bytes };
	struct store *st;
	int64_t born;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		st = tu_open(STORE_CREATE);
		if (store_usage_birth(st, &born, NULL) != 0 || born == 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/usage.mdb", tu_dir);
		if (mdb_env_create(&env) != 0 ||
		    mdb_env_set_maxdbs(env, 8) != 0 ||
		    mdb_env_open(env, path, MDB_NOSUBDIR, 0600) != 0 ||
		    mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
		    mdb_dbi_open(txn, "usage", 0, &dbi) != 0 ||
		    mdb_put(txn, dbi, &k, &v, 0) != 0 ||
		    mdb_txn_commit(txn) != 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
}

/*
 * An exact count (store_usage_count): refused in a usage store not older
 * than the token; counted otherwise; a damaged entry is refused, never
 * read as no uses, where other usage writes replace it.
 */
START_TEST(exact_counts)
{
	struct store *st;
	struct usage u;
	char err[ERR_MAX];
	int64_t born;

	child_put_raw("0123456789AB", "not a usage entry");
	st = tu_open(0);
	ck_assert_int_eq(store_usage_birth(st, &born, err), 0);
	ck_assert_int_gt(born, 0);
	ck_assert_int_eq(store_usage_count(st, "ABCDEFGHJKMN", born,
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    ERR_CORRUPT);
	ck_assert_msg(strstr(err, "younger") != NULL, "%s", err);
	ck_assert_int_eq(store_usage_count(st, "ABCDEFGHJKMN", born + 1,
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    0);
	ck_assert_int_eq(store_usage_get(st, "ABCDEFGHJKMN", &u, err), 0);
	ck_assert_uint_eq(u.recorded_uses, 1);
	/* the damaged entry: refused by the exact count, left as it is */
	ck_assert_int_eq(store_usage_count(st, "0123456789AB", born + 1,
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    ERR_CORRUPT);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err),
	    ERR_CORRUPT);
	/* replaced by an ordinary usage write, which must not block logins */
	ck_assert_int_eq(store_usage_update(st, "0123456789AB",
	                     STORE_USAGE_WAIT_MS, tu_usage_bump, "192.0.2.1",
	                     err),
	    0);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	store_close(st);
}
END_TEST

Suite *
store_usage_suite(void)
{
	Suite *s = suite_create("store_usage");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, threads_share_one_usage_env);
	tcase_add_test(tc, usage_data);
	tcase_add_test(tc, empty_usage_is_made);
	tcase_add_test(tc, exact_counts);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
