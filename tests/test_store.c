/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
/*
 * A fault in a damaged store is survived by jumping out of LMDB mid-call,
 * stranding what that call had allocated (see store.c): not a leak to
 * report.  The ordinary paths are leak-checked by the other tests.
 */
#ifdef HAVE_ASAN
#include <sanitizer/lsan_interface.h>
#define leaks_ignored(on) ((on) ? __lsan_disable() : __lsan_enable())
#else
#define leaks_ignored(on) ((void)0)
#endif

static char tmp[PATH_MAX], dir[PATH_MAX + 8];

static void
setup(void)
{
	make_tmpdir(tmp, sizeof(tmp));
	snprintf(dir, sizeof(dir), "%s/store", tmp);
}

static void
teardown(void)
{
	rm_tree(tmp);
}

static struct store *
open_ok(unsigned flags)
{
	struct store *st;
	char err[ERR_MAX] = "";
	int rc = store_open(&st, dir, flags, err);

	ck_assert_msg(rc == 0, "store_open: %d %s", rc, err);
	return st;
}

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

static void
put(struct store *st, struct record *r)
{
	char err[ERR_MAX] = "";
	int rc = store_write(st, put_fn, r, err);

	ck_assert_msg(rc == 0, "put: %d %s", rc, err);
}

START_TEST(missing_store_not_created_without_flag)
{
	struct store *st;
	char err[ERR_MAX];

	ck_assert_int_eq(store_open(&st, dir, 0, err), ERR_NOTFOUND);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_NOTFOUND);
	ck_assert_int_eq(access(dir, F_OK), -1);
}
END_TEST

START_TEST(create_modes)
{
	struct store *st = open_ok(STORE_CREATE);
	char path[PATH_MAX + 32];
	struct stat sb;

	store_close(st);
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/tokens.mdb-lock", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(put_get_roundtrip)
{
	struct store *st = open_ok(STORE_CREATE);
	struct record a, b;
	char err[ERR_MAX];

	sample_record(&a);
	put(st, &a);
	ck_assert_int_eq(store_get(st, a.id, &b, err), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_int_eq(store_get(st, "0000000000AA", &b, err), ERR_NOTFOUND);
	ck_assert_int_eq(store_get(st, "bad id", &b, err), ERR_NOTFOUND);
	store_close(st);

	/* a reader sees it after reopening read-only */
	st = open_ok(STORE_RDONLY);
	ck_assert_int_eq(store_get(st, a.id, &b, err), 0);
	ck_assert_str_eq(b.name, a.name);
	store_close(st);
}
END_TEST

START_TEST(readonly_refuses_writes)
{
	struct store *st = open_ok(STORE_CREATE);
	struct record a;
	char err[ERR_MAX];

	store_close(st);
	st = open_ok(STORE_RDONLY);
	sample_record(&a);
	ck_assert_int_eq(store_write(st, put_fn, &a, err), ERR_PERM);
	store_close(st);
}
END_TEST

struct collect {
	int n;
	char ids[64][TOKEN_ID_LEN + 1];
};

static int
collect_fn(const struct record *r, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < 64)
		strcpy(c->ids[c->n], r->id);
	c->n++;
	return 0;
}

struct query {
	const char *user, *name;
	struct collect c;
};

static int
list_fn(struct store_txn *t, void *ctx, char *err)
{
	struct query *q = ctx;

	if (q->name != NULL)
		return store_txn_by_name(t, q->name, collect_fn, &q->c, err);
	return store_txn_list(t, q->user, collect_fn, &q->c, err);
}

static int
count(struct store *st, const char *user, const char *name)
{
	struct query q = { user, name, { 0 } };
	char err[ERR_MAX];

	ck_assert_int_eq(store_read(st, list_fn, &q, err), 0);
	return q.c.n;
}

static int
del_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_del(t, ctx, err);
}

struct uid_lookup {
	uint32_t uid;
	char *id;
};

static int
uid_lookup_fn(struct store_txn *t, void *ctx, char *err)
{
	struct uid_lookup *q = ctx;
	return store_txn_by_uid(t, q->uid, q->id, err);
}

START_TEST(indexes_follow_changes)
{
	struct store *st = open_ok(STORE_CREATE);
	struct record a, b, c;
	char err[ERR_MAX], id[TOKEN_ID_LEN + 1];

	sample_record(&a);
	strcpy(a.user, "alice");
	strcpy(a.name, "laptop");
	a.service_user = false;
	a.uid = 1000;
	sample_record(&b);
	strcpy(b.user, "alice");
	strcpy(b.name, "ci");
	b.service_user = false;
	sample_record(&c);
	strcpy(c.user, "bob");
	strcpy(c.name, "laptop");
	put(st, &a);
	put(st, &b);
	put(st, &c);
	ck_assert_int_eq(count(st, NULL, NULL), 3);
	ck_assert_int_eq(count(st, "alice", NULL), 2);
	ck_assert_int_eq(count(st, "bob", NULL), 1);
	ck_assert_int_eq(count(st, "ali", NULL), 0); /* no prefix matches */
	ck_assert_int_eq(count(st, NULL, "laptop"), 2);
	ck_assert_int_eq(count(st, NULL, "lap"), 0);
	ck_assert_int_eq(count(st, NULL, "ci"), 1);

	/* renaming moves the index entry */
	strcpy(a.name, "desktop");
	put(st, &a);
	ck_assert_int_eq(count(st, NULL, "laptop"), 1);
	ck_assert_int_eq(count(st, NULL, "desktop"), 1);

	/* a tombstone leaves the name and user indexes but keeps the uid */
	c.status = STATUS_DELETED;
	put(st, &c);
	ck_assert_int_eq(count(st, "bob", NULL), 0);
	ck_assert_int_eq(count(st, NULL, "laptop"), 0);
	ck_assert_int_eq(count(st, NULL, NULL), 3);
	ck_assert_int_eq(store_read(st, uid_lookup_fn,
	                     &(struct uid_lookup){ c.uid, id }, err),
	    0);
	ck_assert_str_eq(id, c.id);
	ck_assert_int_eq(store_write(st, del_fn, b.id, err), 0);
	ck_assert_int_eq(count(st, "alice", NULL), 1);
	ck_assert_int_eq(store_write(st, del_fn, b.id, err), ERR_NOTFOUND);
	store_close(st);
}
END_TEST

struct uidq {
	uint32_t min, max, got;
	int (*free_fn)(uint32_t);
	char id[TOKEN_ID_LEN + 1];
};

static int
next_uid_fn(struct store_txn *t, void *ctx, char *err)
{
	struct uidq *q = ctx;
	return store_txn_next_uid(t, q->min, q->max, q->free_fn, &q->got, err);
}

static int
by_uid_fn(struct store_txn *t, void *ctx, char *err)
{
	struct uidq *q = ctx;
	return store_txn_by_uid(t, q->got, q->id, err);
}

static int
odd_only(uint32_t uid)
{
	return uid % 2 == 1;
}

START_TEST(uids_never_reused)
{
	struct store *st = open_ok(STORE_CREATE);
	struct uidq q = { 61000, 61005, 0, NULL, "" };
	struct record r;
	char err[ERR_MAX];

	ck_assert_int_eq(store_write(st, next_uid_fn, &q, err), 0);
	ck_assert_uint_eq(q.got, 61000);
	ck_assert_int_eq(store_write(st, next_uid_fn, &q, err), 0);
	ck_assert_uint_eq(q.got, 61001);
	/* a tombstoned service user keeps its uid in the index */
	sample_record(&r);
	r.uid = 61002;
	r.status = STATUS_DELETED;
	put(st, &r);
	q.got = 61002;
	ck_assert_int_eq(store_read(st, by_uid_fn, &q, err), 0);
	ck_assert_str_eq(q.id, r.id);
	/* the counter only moves up, and skips uids the callback says are taken
	 */
	q.free_fn = odd_only;
	ck_assert_int_eq(store_write(st, next_uid_fn, &q, err), 0);
	ck_assert_uint_eq(q.got, 61003);
	ck_assert_int_eq(store_write(st, next_uid_fn, &q, err), 0);
	ck_assert_uint_eq(q.got, 61005);
	ck_assert_int_eq(store_write(st, next_uid_fn, &q, err), ERR_LIMIT);
	ck_assert(strstr(err, "no free uid") != NULL);
	store_close(st);
}
END_TEST

/* The map starts at 1 MiB; thousands of records force it to grow. */
START_TEST(map_grows)
{
	struct store *st = open_ok(STORE_CREATE);
	size_t first = store_mapsize(st);
	struct record r, back;
	char err[ERR_MAX], keep[TOKEN_ID_LEN + 1] = "";

	for (int i = 0; i < 6000; i++) {
		sample_record(&r);
		snprintf(r.name, sizeof(r.name), "token-%d", i);
		r.service_user = false;
		put(st, &r);
		if (i == 0)
			strcpy(keep, r.id);
	}
	ck_assert_uint_gt(store_mapsize(st), first);
	ck_assert_int_eq(store_get(st, keep, &back, err), 0);
	ck_assert_int_eq(count(st, NULL, NULL), 6000);
	store_close(st);

	/* a reader opened afterwards adopts the larger map */
	st = open_ok(STORE_RDONLY);
	ck_assert_int_eq(count(st, NULL, NULL), 6000);
	store_close(st);
}
END_TEST

/* A reader that was open while the writer grew the map keeps working. */
START_TEST(reader_survives_resize)
{
	struct store *st = open_ok(STORE_CREATE);
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
		    store_open(&w, dir, 0, NULL) != 0)
			_exit(1);
		for (int i = 0; i < 6000; i++) {
			sample_record(&r);
			r.service_user = false;
			if (store_write(w, put_fn, &r, NULL) != 0)
				_exit(2);
		}
		store_close(w);
		_exit(0);
	}
	st = open_ok(STORE_RDONLY);
	ck_assert_int_eq(count(st, NULL, NULL), 0);
	ck_assert_int_eq(write(fds[1], "go", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(count(st, NULL, NULL), 6000);
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
	struct store *st = open_ok(STORE_CREATE);
	struct record r;
	pthread_t t[4];
	pid_t pid;
	int status, fds[2];
	void *failures;
	char c;

	sample_record(&probe_rec);
	put(st, &probe_rec);
	store_close(st);
	/* The writer is forked before any thread exists, then let go. */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *w;
		if (read(fds[0], &c, 1) != 1 ||
		    store_open(&w, dir, 0, NULL) != 0)
			_exit(1);
		for (int i = 0; i < 6000; i++) {
			sample_record(&r);
			r.service_user = false;
			if (store_write(w, put_fn, &r, NULL) != 0)
				_exit(2);
		}
		store_close(w);
		_exit(0);
	}
	st = open_ok(STORE_RDONLY);
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
	ck_assert_int_eq(count(st, NULL, NULL), 6001);
	store_close(st);
}
END_TEST

static void
write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

START_TEST(refuses_bad_permissions)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];

	store_close(st);
	ck_assert_int_eq(chmod(dir, 0720), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "bad modes") != NULL);
	ck_assert_int_eq(chmod(dir, 0702), 0);
	ck_assert_int_eq(store_open(&st, dir, 0, err), ERR_UNAVAIL);
	ck_assert_int_eq(chmod(dir, 0700), 0);

	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "tokens.mdb: bad modes") != NULL);
	ck_assert_int_eq(chmod(path, 0600), 0);

	snprintf(path, sizeof(path), "%s/tokens.mdb-lock", dir);
	ck_assert_int_eq(chmod(path, 0606), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "-lock: bad modes") != NULL);
	ck_assert_int_eq(chmod(path, 0600), 0);

	st = open_ok(STORE_RDONLY);
	store_close(st);
}
END_TEST

START_TEST(refuses_foreign_owner)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX];

	store_close(st);
	if (geteuid() != 0)
		return; /* only root can give the directory away */
	ck_assert_int_eq(chown(dir, 65534, 0), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "bad ownership") != NULL);
}
END_TEST

START_TEST(refuses_symlinks)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX], link[PATH_MAX + 16], path[PATH_MAX + 32],
	    moved[PATH_MAX + 32];

	store_close(st);
	snprintf(link, sizeof(link), "%s/link", tmp);
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(store_open(&st, link, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "symbolic link") != NULL);

	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	snprintf(moved, sizeof(moved), "%s/elsewhere.mdb", tmp);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(symlink(moved, path), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "symbolic link") != NULL);
}
END_TEST

START_TEST(zero_length_store)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];
	struct stat sb;

	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_CORRUPT);
	ck_assert(strstr(err, "empty") != NULL);
	/* a writer must not silently start over on top of it */
	ck_assert_int_eq(store_open(&st, dir, STORE_CREATE, err), ERR_CORRUPT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

START_TEST(garbage_and_truncated_store)
{
	struct store *st = open_ok(STORE_CREATE);
	struct record r;
	char err[ERR_MAX], path[PATH_MAX + 32];
	uint8_t junk[16384];
	struct stat sb;

	for (int i = 0; i < 50; i++) {
		sample_record(&r);
		put(st, &r);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);

	/* random bytes over the headers */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919 + 13);
	write_file(path, junk, sizeof(junk));
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_CORRUPT);
	ck_assert(strstr(err, "tokens.mdb") != NULL);
	ck_assert_int_eq(store_open(&st, dir, 0, err), ERR_CORRUPT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)sizeof(junk));
}
END_TEST

/* A store cut short after its meta pages: opening or reading fails cleanly. */
START_TEST(truncated_tail)
{
	struct store *st = open_ok(STORE_CREATE);
	struct record r, back;
	char err[ERR_MAX], path[PATH_MAX + 32], ids[400][TOKEN_ID_LEN + 1];
	int rc, bad = 0;

	for (int i = 0; i < 400; i++) {
		sample_record(&r);
		put(st, &r);
		strcpy(ids[i], r.id);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	ck_assert_int_eq(truncate(path, 3 * 4096), 0);
	rc = store_open(&st, dir, STORE_RDONLY, err);
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
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX];

	store_close(st);
	ck_assert_int_eq(put_raw_meta(dir, "schema_version", "\0\0\0\x02", 4),
	    0);
	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, err), ERR_CORRUPT);
	ck_assert(strstr(err, "schema version 2 is not supported") != NULL);
	ck_assert_int_eq(store_open(&st, dir, 0, err), ERR_CORRUPT);
	ck_assert_int_eq(put_raw_meta(dir, "schema_version", "x", 1), 0);
	ck_assert_int_eq(store_open(&st, dir, 0, err), ERR_CORRUPT);
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

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	mdb_env_create(&env);
	ck_assert_int_eq(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_put(txn, dbi, &k, &v, 0);
	mdb_txn_commit(txn);
	mdb_env_close(env);
	ck_assert_int_eq(store_open(&st, dir, STORE_CREATE, err), ERR_CORRUPT);
	ck_assert(strstr(err, "not an apitoken store") != NULL);
}
END_TEST

START_TEST(shared_handle_in_process)
{
	struct store *a = open_ok(STORE_CREATE), *b, *c;
	char err[ERR_MAX], other[PATH_MAX + 16];

	b = open_ok(STORE_RDONLY); /* read-only use of the open writer */
	ck_assert_ptr_eq(a, b);
	snprintf(other, sizeof(other), "%s/other", tmp);
	ck_assert_int_eq(store_open(&c, other, STORE_CREATE, err), ERR_UNAVAIL);
	store_close(b);
	store_close(a);
	a = open_ok(STORE_RDONLY);
	ck_assert_int_eq(store_open(&c, dir, 0, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "read-only") != NULL);
	store_close(a);
}
END_TEST

/* A child of a process holding the store opens its own handle. */
START_TEST(fork_gets_own_handle)
{
	struct store *st = open_ok(STORE_CREATE), *child;
	struct record r, back;
	pid_t pid;
	int status;

	sample_record(&r);
	put(st, &r);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_open(&child, dir, STORE_RDONLY, NULL) != 0 ||
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
	if (store_open(&st, dir, STORE_RDONLY, err) != 0)
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
	struct store *st = open_ok(STORE_CREATE);
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
	snprintf(lock, sizeof(lock), "%s/usage.mdb-lock", dir);
	ck_assert_ptr_nonnull(realpath(lock, real));
	ck_assert_int_eq(fds_open_on(real), 1);
	store_close(st);
}
END_TEST

static int
bump(struct usage *u, void *ctx)
{
	u->use_count++;
	usage_note_address(u, ctx);
	return 0;
}

static int
leave(struct usage *u, void *ctx)
{
	(void)u;
	(void)ctx;
	return 1;
}

START_TEST(usage_data)
{
	struct store *st = open_ok(STORE_CREATE);
	struct usage u;
	char err[ERR_MAX], path[PATH_MAX + 32];
	struct stat sb;

	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.use_count, 0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB", bump,
	                     "192.0.2.1", err),
	    0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB", bump,
	                     "192.0.2.2", err),
	    0);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB", leave, NULL,
	                     err),
	    0);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.use_count, 2);
	ck_assert_str_eq(u.last_used_from[0], "192.0.2.2");
	ck_assert_int_eq(store_usage_del(st, "0123456789AB", err), 0);
	ck_assert_int_eq(store_usage_get(st, "0123456789AB", &u, err), 0);
	ck_assert_uint_eq(u.use_count, 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s/usage.mdb", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);

	/* a read-only (PAM) handle can still record usage */
	st = open_ok(STORE_RDONLY);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB", bump,
	                     "192.0.2.3", err),
	    0);
	store_close(st);
}
END_TEST

/*
 * Under an RLIMIT_AS (Dovecot's auth workers run PAM under 256 MiB) the
 * whole-store maps do not fit: the store is mapped to size instead and
 * works.  Not under ASan, whose shadow memory needs terabytes of it.
 */
#ifndef HAVE_ASAN
START_TEST(limited_address_space)
{
	struct store *st = open_ok(STORE_CREATE);
	struct rlimit lim = { 256UL << 20, 256UL << 20 };
	struct record r, back;
	struct usage u;
	pid_t pid;
	int status;

	sample_record(&r);
	put(st, &r);
	store_close(st);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_AS, &lim) != 0 ||
		    store_open(&st, dir, STORE_RDONLY, NULL) != 0)
			_exit(1);
		if (store_get(st, r.id, &back, NULL) != 0 ||
		    strcmp(back.id, r.id) != 0)
			_exit(2);
		if (store_usage_update(st, r.id, bump, "192.0.2.1", NULL) !=
		        0 ||
		    store_usage_get(st, r.id, &u, NULL) != 0 ||
		    u.use_count != 1)
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

START_TEST(writer_lock)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32];
	int fd;

	ck_assert_int_eq(store_lock(st, err), 0);
	snprintf(path, sizeof(path), "%s/helper.lock", dir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	store_unlock(st);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	store_close(st);
}
END_TEST

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY),
	    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/*
 * A usage file damaged under a process that holds it open: the write that
 * faults fails cleanly and gives the writer lock back, so another process
 * (once the file is good again) records usage without waiting for this
 * one to exit.
 */
START_TEST(usage_fault_releases_the_writer_lock)
{
	struct store *st = open_ok(STORE_CREATE);
	char err[ERR_MAX], path[PATH_MAX + 32], good[PATH_MAX + 32];
	int status;
	pid_t pid;

	ck_assert_int_eq(store_usage_update(st, "0123456789AB", bump,
	                     "192.0.2.1", err),
	    0);
	snprintf(path, sizeof(path), "%s/usage.mdb", dir);
	snprintf(good, sizeof(good), "%s/usage.good", tmp);
	copy_file(path, good);
	/* the two meta pages stay, the tree beyond them is gone: a read faults
	 */
	ck_assert_int_eq(truncate(path, 2 * sysconf(_SC_PAGESIZE)), 0);
	leaks_ignored(1);
	ck_assert_int_eq(store_usage_update(st, "0123456789AB", bump,
	                     "192.0.2.2", err),
	    ERR_CORRUPT);
	store_close(st);
	leaks_ignored(0);
	copy_file(good, path);
	if ((pid = fork()) == 0) {
		alarm(10);
		st = open_ok(STORE_RDONLY);
		_exit(store_usage_update(st, "0123456789AB", bump, "192.0.2.3",
		          err) == 0 ?
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
	struct store *st = open_ok(STORE_CREATE);
	struct record r, back;
	char err[ERR_MAX], good[PATH_MAX + 32], path[PATH_MAX + 32];
	struct stat sb;
	int ok = 0, refused = 0, fd, rc;

	sample_record(&r);
	put(st, &r);
	store_close(st);
	snprintf(path, sizeof(path), "%s/tokens.mdb", dir);
	snprintf(good, sizeof(good), "%s/good.mdb", tmp);
	copy_file(path, good);
	ck_assert_int_eq(stat(good, &sb), 0);
	srand(20261124);
	for (int trial = 0; trial < 3000; trial++) {
		copy_file(good, path);
		fd = open(path, O_RDWR);
		for (int k = 0; k < 3; k++) {
			unsigned char b = (unsigned char)rand();
			ck_assert_int_eq(pwrite(fd, &b, 1, rand() % sb.st_size),
			    1);
		}
		close(fd);
		leaks_ignored(1);
		if (store_open(&st, dir, STORE_RDONLY, err) != 0) {
			leaks_ignored(0);
			refused++;
			continue;
		}
		rc = store_get(st, r.id, &back, err);
		store_close(st);
		leaks_ignored(0);
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
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, missing_store_not_created_without_flag);
	tcase_add_test(tc, create_modes);
	tcase_add_test(tc, put_get_roundtrip);
	tcase_add_test(tc, readonly_refuses_writes);
	tcase_add_test(tc, indexes_follow_changes);
	tcase_add_test(tc, uids_never_reused);
	tcase_add_test(tc, map_grows);
	tcase_add_test(tc, reader_survives_resize);
	tcase_add_test(tc, threaded_readers_survive_resize);
#ifndef HAVE_ASAN
	tcase_add_test(tc, limited_address_space);
#endif
	tcase_add_test(tc, refuses_bad_permissions);
	tcase_add_test(tc, refuses_foreign_owner);
	tcase_add_test(tc, refuses_symlinks);
	tcase_add_test(tc, zero_length_store);
	tcase_add_test(tc, garbage_and_truncated_store);
	tcase_add_test(tc, truncated_tail);
	tcase_add_test(tc, unknown_schema_refused);
	tcase_add_test(tc, foreign_lmdb_refused);
	tcase_add_test(tc, shared_handle_in_process);
	tcase_add_test(tc, fork_gets_own_handle);
	tcase_add_test(tc, usage_data);
	tcase_add_test(tc, threads_share_one_usage_env);
	tcase_add_test(tc, writer_lock);
	tcase_add_test(tc, random_damage_never_crashes);
	tcase_add_test(tc, usage_fault_releases_the_writer_lock);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
