/* SPDX-License-Identifier: ISC */
/*
 * test_store_fleet.c - a replica's cookie, contact time, entryUUID map and
 * entryCSNs (store_fleet.c): written with the records in one transaction.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "store.h"
#include "store_fleet.h"
#include "testutil.h"
#include "unit.h"

static const uint8_t uuid_a[FLEET_UUID_LEN] = { 1, 2, 3 };
static const uint8_t uuid_b[FLEET_UUID_LEN] = { 1, 2, 4 };

/* One batch: a record, its uuid and the cookie; a failing one leaves none. */
static int
batch(struct store_txn *t, void *ctx, char *err)
{
	struct record r;
	int rc;

	sample_record(&r);
	strcpy(r.id, "0123456789AB");
	r.origin = ORIGIN_FLEET;
	if ((rc = store_txn_put(t, &r, err)) < 0 ||
	    (rc = store_fleet_bind(t, uuid_a, r.id, err)) < 0 ||
	    (rc = store_fleet_bind(t, uuid_b, "ZZZZZZZZZZZZ", err)) < 0 ||
	    (rc = store_fleet_set_cookie(t, (const uint8_t *)"rid=001,csn=1",
	         13, err)) < 0 ||
	    (rc = store_fleet_set_contact(t, (int64_t)1 << 40, err)) < 0)
		return rc;
	return ctx != NULL ? err_set(err, ERR_INVAL, "abort") : 0;
}

static int
count(const uint8_t uuid[FLEET_UUID_LEN], const char *id, void *ctx)
{
	(void)uuid;
	ck_assert(token_id_valid(id));
	(*(int *)ctx)++;
	return 0;
}

static int
check(struct store_txn *t, void *ctx, char *err)
{
	uint8_t c[FLEET_COOKIE_MAX];
	char id[TOKEN_ID_LEN + 1];
	size_t len;
	int64_t at;
	int n = 0;

	ck_assert_int_eq(store_fleet_cookie(t, c, sizeof(c), &len, err), 0);
	ck_assert_int_eq(store_fleet_contact(t, &at, err), 0);
	ck_assert_int_eq(store_fleet_each(t, count, &n, err), 0);
	if (ctx == NULL) {
		ck_assert_int_eq(len, 0);
		ck_assert_int_eq(at, 0);
		ck_assert_int_eq(n, 0);
		ck_assert_int_eq(store_fleet_id_of(t, uuid_a, id, err),
		    ERR_NOTFOUND);
		return 0;
	}
	ck_assert_int_eq(len, 13);
	ck_assert_mem_eq(c, "rid=001,csn=1", 13);
	ck_assert(at == (int64_t)1 << 40);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_fleet_id_of(t, uuid_a, id, err), 0);
	ck_assert_str_eq(id, "0123456789AB");
	return 0;
}

static int
forget(struct store_txn *t, void *ctx, char *err)
{
	(void)ctx;
	ck_assert_int_eq(store_fleet_unbind(t, uuid_a, err), 0);
	ck_assert_int_eq(store_fleet_unbind(t, uuid_b, err), 0);
	return store_fleet_set_cookie(t, NULL, 0, err);
}

/* After forget: no cookie, no mapping; the contact time stays. */
static int
forgotten(struct store_txn *t, void *ctx, char *err)
{
	uint8_t c[FLEET_COOKIE_MAX];
	size_t len;
	int64_t at;
	int n = 0;

	(void)ctx;
	ck_assert_int_eq(store_fleet_cookie(t, c, sizeof(c), &len, err), 0);
	ck_assert_int_eq(len, 0);
	ck_assert_int_eq(store_fleet_each(t, count, &n, err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_fleet_contact(t, &at, err), 0);
	ck_assert(at == (int64_t)1 << 40);
	return 0;
}

START_TEST(batch_and_cookie_commit_together)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX];
	struct record r;

	ck_assert_int_eq(store_write(st, batch, st, err), ERR_INVAL);
	ck_assert_int_eq(store_read(st, check, NULL, err), 0);
	ck_assert_int_eq(store_get(st, "0123456789AB", &r, err), ERR_NOTFOUND);
	ck_assert_int_eq(store_write(st, batch, NULL, err), 0);
	ck_assert_int_eq(store_read(st, check, st, err), 0);
	ck_assert_int_eq(store_get(st, "0123456789AB", &r, err), 0);
	ck_assert_int_eq(r.origin, ORIGIN_FLEET);
	ck_assert_int_eq(store_write(st, forget, NULL, err), 0);
	ck_assert_int_eq(store_read(st, forgotten, NULL, err), 0);
	store_close(st);
}
END_TEST

#define CSN_1 "20261202101500.000001Z#000000#001#000000"
#define CSN_2 "20261202101501.000001Z#000000#002#000000"

static int
keep_csns(struct store_txn *t, void *ctx, char *err)
{
	int rc;

	(void)ctx;
	if ((rc = store_fleet_set_csn(t, uuid_a, CSN_1, FLEET_CSN_PRESENT,
	         err)) < 0 ||
	    (rc = store_fleet_set_csn(t, uuid_a, CSN_2, FLEET_CSN_DELETED,
	         err)) < 0 ||
	    (rc = store_fleet_bind(t, uuid_a, "0123456789AB", err)) < 0)
		return rc;
	return store_fleet_unbind(t, uuid_a, err);
}

/* The last CSN written wins, and unbinding the uuid does not forget it. */
static int
csns_kept(struct store_txn *t, void *ctx, char *err)
{
	char csn[FLEET_CSN_MAX + 1], id[TOKEN_ID_LEN + 1];
	enum fleet_csn_state state;
	int n = 0;

	(void)ctx;
	ck_assert_int_eq(store_fleet_csn(t, uuid_a, csn, &state, err), 0);
	ck_assert_str_eq(csn, CSN_2);
	ck_assert_int_eq(state, FLEET_CSN_DELETED);
	ck_assert_int_eq(store_fleet_csn(t, uuid_b, csn, &state, err),
	    ERR_NOTFOUND);
	ck_assert_int_eq(store_fleet_id_of(t, uuid_a, id, err), ERR_NOTFOUND);
	/* the CSNs are not mappings: each visits none of them */
	ck_assert_int_eq(store_fleet_each(t, count, &n, err), 0);
	ck_assert_int_eq(n, 0);
	return 0;
}

static int
bad_csns(struct store_txn *t, void *ctx, char *err)
{
	char big[FLEET_CSN_MAX + 2];

	(void)ctx;
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(store_fleet_set_csn(t, uuid_b, "", FLEET_CSN_PRESENT,
	                     err),
	    ERR_INVAL);
	ck_assert_int_eq(store_fleet_set_csn(t, uuid_b, big, FLEET_CSN_PRESENT,
	                     err),
	    ERR_INVAL);
	ck_assert_int_eq(store_fleet_set_csn(t, uuid_b, CSN_1, 0, err),
	    ERR_INVAL);
	return 0;
}

START_TEST(entry_csn_kept_by_uuid)
{
	struct store *st = tu_open(STORE_CREATE);
	char err[ERR_MAX];

	ck_assert_int_eq(store_write(st, keep_csns, NULL, err), 0);
	ck_assert_int_eq(store_read(st, csns_kept, NULL, err), 0);
	ck_assert_int_eq(store_write(st, bad_csns, NULL, err), 0);
	store_close(st);
}
END_TEST

Suite *
store_fleet_suite(void)
{
	Suite *s = suite_create("store_fleet");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_store_setup, tu_store_teardown);
	tcase_add_test(tc, batch_and_cookie_commit_together);
	tcase_add_test(tc, entry_csn_kept_by_uuid);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
