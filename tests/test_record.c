/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "blake2b.h"
#include "err.h"
#include "record.h"
#include "testutil.h"
#include "unit.h"

START_TEST(roundtrip)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED];
	int n;

	sample_record(&a);
	a.origin = ORIGIN_FLEET;
	ck_assert_int_eq(strlist_add(&a.hosts, "web"), 0);
	ck_assert_int_eq(strlist_add(&a.hosts, "db01"), 0);
	n = record_encode(&a, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[0], RECORD_VERSION);
	ck_assert_int_eq(record_decode(buf, (size_t)n, &b, NULL), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
}
END_TEST

/* The encoding is pinned: a field-order change must be a new version. */
START_TEST(fixed_byte_order)
{
	struct record a;
	uint8_t buf[RECORD_MAX_ENCODED];
	int n;

	memset(&a, 0, sizeof(a));
	strcpy(a.id, "0123456789AB");
	a.uid = 0x01020304;
	n = record_encode(&a, buf, sizeof(buf));
	/* version, then id as u16 length + bytes */
	ck_assert_int_eq(buf[0], 2);
	ck_assert_int_eq(buf[1], 0);
	ck_assert_int_eq(buf[2], 12);
	ck_assert_mem_eq(buf + 3, "0123456789AB", 12);
	/* three empty strings (name, description, user), then uid big-endian */
	ck_assert_mem_eq(buf + 15, "\0\0\0\0\0\0\x01\x02\x03\x04", 10);
	ck_assert_int_eq(n,
	    1 + 14 + 6 + 4 + 3 + 3 + 8 + 8 + 2 + 8 + 2 + 8 + 64 + 8 + 40 +
	        RECORD_SUM_LEN);
}
END_TEST

/* Records written before version 2 decode, the appended fields as 0. */
START_TEST(version_1_still_decodes)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED];
	size_t v1;
	int n;

	sample_record(&a);
	a.max_uses = 0;
	a.granted_lifetime = a.notified_expiry = 0;
	a.notified_days = 0;
	a.limits_uid = a.status_uid = 0;
	a.account_since = 0;
	n = record_encode(&a, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	/* Drop the 40 bytes of version 2's fields and re-seal as version 1. */
	v1 = (size_t)n - RECORD_SUM_LEN - 40;
	buf[0] = 1;
	blake2b(buf + v1, RECORD_SUM_LEN, buf, v1);
	ck_assert_int_eq(record_decode(buf, v1 + RECORD_SUM_LEN, &b, NULL), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
}
END_TEST

START_TEST(every_truncation_fails)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED];
	char err[ERR_MAX];
	int n;

	sample_record(&a);
	n = record_encode(&a, buf, sizeof(buf));
	for (int len = 0; len < n; len++) {
		ck_assert_int_eq(record_decode(buf, (size_t)len, &b, err),
		    ERR_CORRUPT);
		ck_assert(strstr(err, "damaged record") != NULL);
		ck_assert_str_eq(b.id, "");
	}
	buf[n] = 0;
	ck_assert_int_eq(record_decode(buf, (size_t)n + 1, &b, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "checksum") != NULL);
}
END_TEST

/* Flipping any bit anywhere in a record is detected. */
START_TEST(garbled_bytes_fail_cleanly)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED], m[RECORD_MAX_ENCODED];
	int n, errors = 0;

	sample_record(&a);
	n = record_encode(&a, buf, sizeof(buf));
	for (int i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(m, buf, (size_t)n);
			m[i] ^= (uint8_t)(1u << bit);
			if (record_decode(m, (size_t)n, &b, NULL) != 0)
				errors++;
		}
	/* The checksum catches every single flipped bit. */
	ck_assert_int_eq(errors, n * 8);
}
END_TEST

/* An origin this version does not know is damage, not a local record. */
START_TEST(unknown_origin_refused)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED];
	char err[ERR_MAX];
	int n;

	sample_record(&a);
	n = record_encode(&a, buf, sizeof(buf));
	/* origin is the byte before the empty hosts list, account_since and
	 * the sum */
	buf[n - RECORD_SUM_LEN - 10] = ORIGIN_FLEET + 1;
	blake2b(buf + n - RECORD_SUM_LEN, RECORD_SUM_LEN, buf,
	    (size_t)n - RECORD_SUM_LEN);
	ck_assert_int_eq(record_decode(buf, (size_t)n, &b, err), ERR_CORRUPT);
	ck_assert(strstr(err, "invalid origin") != NULL);
}
END_TEST

START_TEST(newer_version_refused)
{
	struct record a, b;
	uint8_t buf[RECORD_MAX_ENCODED];
	char err[ERR_MAX];
	int n;

	sample_record(&a);
	n = record_encode(&a, buf, sizeof(buf));
	buf[0] = RECORD_VERSION + 1;
	ck_assert_int_eq(record_decode(buf, (size_t)n, &b, err), ERR_CORRUPT);
	ck_assert(strstr(err, "not supported") != NULL);
}
END_TEST

START_TEST(field_bounds)
{
	struct record b;
	uint8_t buf[64] = { RECORD_VERSION, 0xff, 0xff };
	char err[ERR_MAX];
	struct strlist l = { 0 };
	char big[ITEM_MAX_LEN + 2];

	/* a string length far beyond the buffer, with a valid checksum */
	blake2b(buf + 3, RECORD_SUM_LEN, buf, 3);
	ck_assert_int_eq(record_decode(buf, 3 + RECORD_SUM_LEN, &b, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "string too long") != NULL);
	/* an id with a control character */
	memcpy(buf,
	    "\x01\x00\x0c"
	    "0123456789A\n",
	    15);
	blake2b(buf + 15, RECORD_SUM_LEN, buf, 15);
	ck_assert_int_eq(record_decode(buf, 15 + RECORD_SUM_LEN, &b, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "control character") != NULL);
	/* a wrong checksum is named as such */
	buf[15] ^= 1;
	ck_assert_int_eq(record_decode(buf, 15 + RECORD_SUM_LEN, &b, err),
	    ERR_CORRUPT);
	ck_assert(strstr(err, "checksum") != NULL);
	/* list bounds */
	for (int i = 0; i < LIST_MAX; i++) {
		char item[8];
		snprintf(item, sizeof(item), "s%d", i);
		ck_assert_int_eq(strlist_add(&l, item), 0);
	}
	ck_assert_int_eq(strlist_add(&l, "one-more"), ERR_LIMIT);
	ck_assert_int_eq(strlist_add(&l, "s3"), 0); /* duplicates are no-ops */
	l.n = 0;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(strlist_add(&l, big), ERR_LIMIT);
	ck_assert_int_eq(strlist_add(&l, "tab\there"), ERR_INVAL);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(usage_roundtrip_and_addresses)
{
	struct usage u, v;
	uint8_t buf[512];
	int n;

	memset(&u, 0, sizeof(u));
	usage_note_address(&u, "10.0.0.1");
	usage_note_address(&u, "10.0.0.2");
	usage_note_address(&u, "10.0.0.1");
	ck_assert_str_eq(u.last_used_from[0], "10.0.0.1");
	ck_assert_str_eq(u.last_used_from[1], "10.0.0.2");
	ck_assert_str_eq(u.last_used_from[2], "");
	for (int i = 0; i < 10; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", i);
		usage_note_address(&u, a);
	}
	ck_assert_str_eq(u.last_used_from[0], "192.0.2.9");
	ck_assert_str_eq(u.last_used_from[USAGE_ADDRS - 1], "192.0.2.6");
	u.recorded_uses = 42;
	usage_source_take(&u, "uid 1000", 50)->failures = 3;
	usage_source_take(&u, "2001:db8::/64", 60)->locked_until = 99;
	u.uses = 0x01020304;
	n = usage_encode(&u, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(usage_decode(buf, (size_t)n, &v, NULL), 0);
	ck_assert_mem_eq(&u, &v, sizeof(u));
	ck_assert_int_eq(usage_decode(buf, (size_t)n - 1, &v, NULL),
	    ERR_CORRUPT);
}
END_TEST

/*
 * Failures are kept for USAGE_SOURCES sources; a new one takes a free
 * slot, else pushes out an unlocked one before any that is locked out.
 */
START_TEST(usage_sources)
{
	struct usage u;
	char src[32];

	memset(&u, 0, sizeof(u));
	ck_assert_ptr_null(usage_source_find(&u, "192.0.2.1"));
	for (int i = 0; i < USAGE_SOURCES; i++) {
		struct usage_source *f;

		snprintf(src, sizeof(src), "192.0.2.%d", i);
		f = usage_source_take(&u, src, 100);
		f->window_start = 100 + i;
		if (i != 3)
			f->locked_until = 1000 + i;
	}
	ck_assert_ptr_eq(usage_source_take(&u, "192.0.2.5", 200),
	    usage_source_find(&u, "192.0.2.5"));
	ck_assert_int_eq(usage_locked_until(&u, 200), 1000 + USAGE_SOURCES - 1);
	/* the only unlocked one goes first, then the lockout that ends first */
	usage_source_take(&u, "198.51.100.1", 200)->locked_until = 3000;
	ck_assert_ptr_null(usage_source_find(&u, "192.0.2.3"));
	usage_source_take(&u, "198.51.100.2", 200);
	ck_assert_ptr_null(usage_source_find(&u, "192.0.2.0"));
	ck_assert_ptr_nonnull(usage_source_find(&u, "192.0.2.1"));
	ck_assert_int_eq(usage_locked_until(&u, 5000), 0);
}
END_TEST

/*
 * Usage written in version 1 (one failure counter for every source, no
 * uses) decodes, with neither failures nor uses kept.
 */
START_TEST(usage_version_1_still_decodes)
{
	struct usage u, v;
	uint8_t buf[512], v1[512];
	size_t head;
	int n;

	memset(&u, 0, sizeof(u));
	usage_note_address(&u, "10.0.0.1");
	u.last_used_at = 1764000000;
	u.recorded_uses = 7;
	u.uses = 5;
	n = usage_encode(&u, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[0], USAGE_VERSION);
	/* Version 2 without its empty sources (2 + 20 bytes each) and uses,
	 * then version 1's failures, window and lockout (20 bytes). */
	head = (size_t)n - RECORD_SUM_LEN - USAGE_SOURCES * 22 - 4;
	memcpy(v1, buf, head);
	v1[0] = 1;
	memset(v1 + head, 0x11, 20);
	blake2b(v1 + head + 20, RECORD_SUM_LEN, v1, head + 20);
	ck_assert_int_eq(usage_decode(v1, head + 20 + RECORD_SUM_LEN, &v, NULL),
	    0);
	u.uses = 0;
	ck_assert_mem_eq(&u, &v, sizeof(u));
	/* A version 1 entry with the fields of version 2 is not one. */
	buf[0] = 1;
	blake2b(buf + (size_t)n - RECORD_SUM_LEN, RECORD_SUM_LEN, buf,
	    (size_t)n - RECORD_SUM_LEN);
	ck_assert_int_eq(usage_decode(buf, (size_t)n, &v, NULL), ERR_CORRUPT);
}
END_TEST

START_TEST(status_and_expiry)
{
	struct record r;

	ck_assert_str_eq(record_status_name(STATUS_ACTIVE), "active");
	ck_assert_str_eq(record_status_name(STATUS_REVOKED), "revoked");
	ck_assert_str_eq(record_status_name(99), "unknown");
	memset(&r, 0, sizeof(r));
	ck_assert(!record_expired(&r, 1));
	r.expires_at = 100;
	ck_assert(!record_expired(&r, 99));
	ck_assert(record_expired(&r, 100));
}
END_TEST

Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, fixed_byte_order);
	tcase_add_test(tc, version_1_still_decodes);
	tcase_add_test(tc, every_truncation_fails);
	tcase_add_test(tc, garbled_bytes_fail_cleanly);
	tcase_add_test(tc, newer_version_refused);
	tcase_add_test(tc, unknown_origin_refused);
	tcase_add_test(tc, field_bounds);
	tcase_add_test(tc, usage_roundtrip_and_addresses);
	tcase_add_test(tc, usage_version_1_still_decodes);
	tcase_add_test(tc, status_and_expiry);
	tcase_add_test(tc, usage_sources);
	suite_add_tcase(s, tc);
	return s;
}
