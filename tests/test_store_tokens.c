/* SPDX-License-Identifier: ISC */
/*
 * test_store_tokens.c - records and their indexes (store_tokens.c): by id,
 * user, name and uid, and the uid allocator that never reuses.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

START_TEST(put_get_roundtrip)
{
	struct store *st = tu_open(STORE_CREATE);
	struct record a, b;
	char err[ERR_MAX];

	sample_record(&a);
	tu_put(st, &a);
	ck_assert_int_eq(store_get(st, a.id, &b, err), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_int_eq(store_get(st, "0000000000AA", &b, err), ERR_NOTFOUND);
	ck_assert_int_eq(store_get(st, "bad id", &b, err), ERR_NOTFOUND);
	store_close(st);

	/* a reader sees it after reopening read-only */
	st = tu_open(STORE_RDONLY);
	ck_assert_int_eq(store_get(st, a.id, &b, err), 0);
	ck_assert_str_eq(b.name, a.name);
	store_close(st);
}
END_TEST

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
	struct store *st = tu_open(STORE_CREATE);
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
	tu_put(st, &a);
	tu_put(st, &b);
	tu_put(st, &c);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 3);
	ck_assert_int_eq(tu_count(st, "alice", NULL), 2);
	ck_assert_int_eq(tu_count(st, "bob", NULL), 1);
	ck_assert_int_eq(tu_count(st, "ali", NULL), 0); /* no prefix matches */
	ck_assert_int_eq(tu_count(st, NULL, "laptop"), 2);
	ck_assert_int_eq(tu_count(st, NULL, "lap"), 0);
	ck_assert_int_eq(tu_count(st, NULL, "ci"), 1);

	/* renaming moves the index entry */
	strcpy(a.name, "desktop");
	tu_put(st, &a);
	ck_assert_int_eq(tu_count(st, NULL, "laptop"), 1);
	ck_assert_int_eq(tu_count(st, NULL, "desktop"), 1);

	/* a tombstone leaves the name and user indexes but keeps the uid */
	c.status = STATUS_DELETED;
	tu_put(st, &c);
	ck_assert_int_eq(tu_count(st, "bob", NULL), 0);
	ck_assert_int_eq(tu_count(st, NULL, "laptop"), 0);
	ck_assert_int_eq(tu_count(st, NULL, NULL), 3);
	ck_assert_int_eq(store_read(st, uid_lookup_fn,
	                     &(struct uid_lookup){ c.uid, id }, err),
	    0);
	ck_assert_str_eq(id, c.id);
	ck_assert_int_eq(store_write(st, del_fn, b.id, err), 0);
	ck_assert_int_eq(tu_count(st, "alice", NULL), 1);
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
	struct store *st = tu_open(STORE_CREATE);
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
	tu_put(st, &r);
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

Suite *
store_tokens_suite(void)
{
	Suite *s = suite_create("store_tokens");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, put_get_roundtrip);
	tcase_add_test(tc, indexes_follow_changes);
	tcase_add_test(tc, uids_never_reused);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
