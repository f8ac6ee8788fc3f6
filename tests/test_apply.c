/* SPDX-License-Identifier: ISC */
/*
 * test_apply.c - apitoken-syncd's batches against a store (syncd/apply.c):
 * which version of an entry a host keeps, by entryCSN.  A program of its
 * own (tests/syncd_apply), as apply.c needs libldap, which tests/unit
 * does not link.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"
#include "store_fleet.h"
#include "syncd.h"
#include "testutil.h"

#define CSN(s) "20261202101500.0000" s "Z#000000#001#000000"
#define OLD CSN("01")
#define V1 CSN("02")
#define V2 CSN("03")
#define V3 CSN("04")

static const uint8_t uuid[FLEET_UUID_LEN] = { 7, 7, 7 };
static struct record base;

/* One change (a version of base with status and name, or gone) applied. */
static void
apply(struct store *st, const char *csn, int status, const char *name,
    bool gone)
{
	struct batch b;
	struct record r = base;
	char err[ERR_MAX];

	memset(&b, 0, sizeof(b));
	r.status = status;
	strcpy(r.name, name);
	ck_assert_int_eq(batch_change(&b, uuid, gone ? NULL : &r, csn, err), 0);
	ck_assert_msg(batch_commit(st, &b, 1, err) == 0, "%s", err);
	batch_free(&b);
}

/* A refresh's present phase that names nothing: every record is swept. */
static void
sweep(struct store *st)
{
	struct batch b;
	char err[ERR_MAX];

	memset(&b, 0, sizeof(b));
	b.sweep = true;
	ck_assert_msg(batch_commit(st, &b, 1, err) == 0, "%s", err);
	batch_free(&b);
}

/* The record's status and name are want_status and want_name. */
static void
holds(struct store *st, int want_status, const char *want_name)
{
	struct record r;
	char err[ERR_MAX];

	ck_assert_int_eq(store_get(st, base.id, &r, err), 0);
	ck_assert_int_eq(r.status, want_status);
	ck_assert_str_eq(r.name, want_name);
}

static void
setup(void)
{
	tu_store_setup();
	sample_record(&base);
	base.origin = ORIGIN_FLEET;
	base.service_user = false; /* no accounts: users_settle stays idle */
}

START_TEST(older_versions_refused)
{
	struct store *st = tu_open(STORE_CREATE);

	apply(st, V1, STATUS_ACTIVE, "one", false);
	holds(st, STATUS_ACTIVE, "one");
	apply(st, V2, STATUS_REVOKED, "two", false);
	holds(st, STATUS_REVOKED, "two");
	/* a provider behind presents the version before the revoke */
	apply(st, V1, STATUS_ACTIVE, "one", false);
	apply(st, OLD, STATUS_ACTIVE, "old", false);
	holds(st, STATUS_REVOKED, "two");
	/* the same version again is applied again */
	apply(st, V2, STATUS_REVOKED, "two again", false);
	holds(st, STATUS_REVOKED, "two again");
	store_close(st);
}
END_TEST

START_TEST(delete_refuses_its_version)
{
	struct store *st = tu_open(STORE_CREATE);

	apply(st, V1, STATUS_ACTIVE, "one", false);
	/* a delete carries no CSN: the last version applied is deleted */
	apply(st, NULL, 0, "", true);
	holds(st, STATUS_DELETED, "one");
	apply(st, V1, STATUS_ACTIVE, "one", false);
	apply(st, OLD, STATUS_ACTIVE, "old", false);
	holds(st, STATUS_DELETED, "one");
	/* in scope again, in a newer version: back */
	apply(st, V2, STATUS_ACTIVE, "two", false);
	holds(st, STATUS_ACTIVE, "two");
	store_close(st);
}
END_TEST

START_TEST(unreadable_versions)
{
	struct store *st = tu_open(STORE_CREATE);

	apply(st, V2, STATUS_ACTIVE, "two", false);
	/* an older version that cannot be read is stale, not a delete */
	apply(st, V1, 0, "", true);
	holds(st, STATUS_ACTIVE, "two");
	/* a newer one is gone, and so are the versions before it */
	apply(st, V3, 0, "", true);
	holds(st, STATUS_DELETED, "two");
	apply(st, V3, STATUS_ACTIVE, "three", false);
	holds(st, STATUS_DELETED, "two");
	store_close(st);
}
END_TEST

START_TEST(swept_entry_named_again)
{
	struct store *st = tu_open(STORE_CREATE);

	apply(st, V2, STATUS_ACTIVE, "two", false);
	/* a provider that missed the add reloads without it */
	sweep(st);
	holds(st, STATUS_DELETED, "two");
	/* caught up, it names the same version: applied */
	apply(st, V2, STATUS_ACTIVE, "two", false);
	holds(st, STATUS_ACTIVE, "two");
	/* an older one still is not */
	sweep(st);
	apply(st, V1, STATUS_ACTIVE, "one", false);
	holds(st, STATUS_DELETED, "two");
	store_close(st);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("syncd_apply");
	TCase *tc = tcase_create("csn");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, tu_store_teardown);
	tcase_add_test(tc, older_versions_refused);
	tcase_add_test(tc, delete_refuses_its_version);
	tcase_add_test(tc, unreadable_versions);
	tcase_add_test(tc, swept_entry_named_again);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
