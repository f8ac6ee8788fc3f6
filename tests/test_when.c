/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include "err.h"
#include "unit.h"
#include "when.h"

static int64_t
dur(const char *s)
{
	int64_t v = -1;
	char err[ERR_MAX] = "";

	ck_assert_msg(when_parse_duration(s, &v, err) == 0, "%s: %s", s, err);
	return v;
}

START_TEST(durations)
{
	char err[ERR_MAX];
	int64_t v;
	static const char *const bad[] = {
		"",
		"s",
		"10",
		"10x",
		"1.5h",
		"-1d",
		"+1d",
		" 1d",
		"1d ",
		"1dd",
		"0s",
		"0d",
		"99999999999999999999s",
		"400000w",
		"1D",
	};

	ck_assert_int_eq(dur("90s"), 90);
	ck_assert_int_eq(dur("15m"), 900);
	ck_assert_int_eq(dur("12h"), 43200);
	ck_assert_int_eq(dur("30d"), 2592000);
	ck_assert_int_eq(dur("2w"), 1209600);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(when_parse_duration(bad[i], &v, err) == ERR_INVAL,
		    "accepted '%s'", bad[i]);
		ck_assert(strlen(err) > 0);
	}
}
END_TEST

static int64_t
date(const char *s)
{
	int64_t v = -1;
	char err[ERR_MAX] = "";

	ck_assert_msg(when_parse_date(s, &v, err) == 0, "%s: %s", s, err);
	return v;
}

START_TEST(dates)
{
	char err[ERR_MAX];
	int64_t v;
	static const char *const bad[] = {
		"2026-13-01",
		"2026-00-10",
		"2026-02-30",
		"2025-02-29",
		"1969-12-31",
		"2026-1-01",
		"2026/12/31",
		"2026-12-31T",
		"2026-12-31T24:00:00Z",
		"2026-12-31T23:60:00Z",
		"2026-12-31T23:59:59",
		"2026-12-31T23:59:59+0100",
		"2026-12-31T23:59:59Zjunk",
		"2026-12-31x",
		"2026-12-31T23:59:59.Z",
		"2026-12-31T23:59:59+24:00",
		"tomorrow",
		"",
		/* out of range once the offset is applied; 0 would mean never
		 */
		"1970-01-01",
		"1970-01-01T00:30:00+01:00",
		"9999-12-31T08:30:00-16:00",
	};

	ck_assert_int_eq(date("1970-01-02"), 86400);
	ck_assert_int_eq(date("1970-01-01T00:00:01Z"), 1);
	ck_assert_int_eq(date("9999-12-31T23:59:59Z"), WHEN_MAX);
	ck_assert_int_eq(date("2026-12-31"), 1798675200);
	ck_assert_int_eq(date("2024-02-29"), 1709164800);
	ck_assert_int_eq(date("2026-12-31T00:00:00Z"), 1798675200);
	ck_assert_int_eq(date("2026-12-31t01:02:03z"), 1798675200 + 3723);
	ck_assert_int_eq(date("2026-12-31 01:02:03Z"), 1798675200 + 3723);
	ck_assert_int_eq(date("2026-12-31T01:02:03.999Z"), 1798675200 + 3723);
	ck_assert_int_eq(date("2026-12-31T02:00:00+02:00"), 1798675200);
	ck_assert_int_eq(date("2026-12-30T22:30:00-01:30"), 1798675200);
	ck_assert_int_eq(date("2016-12-31T23:59:60Z"),
	    date("2016-12-31T23:59:59Z"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(when_parse_date(bad[i], &v, err) == ERR_INVAL,
		    "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(expiry)
{
	const int64_t now = 1790000000;
	char err[ERR_MAX];
	int64_t v;

	ck_assert_int_eq(when_parse_expiry("never", now, &v, err), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(when_parse_expiry("30d", now, &v, err), 0);
	ck_assert_int_eq(v, now + 30 * 86400);
	ck_assert_int_eq(when_parse_expiry("2026-12-31", now, &v, err), 0);
	ck_assert_int_eq(v, 1798675200);
	ck_assert_int_eq(when_parse_expiry("2020-01-01", now, &v, err),
	    ERR_INVAL);
	ck_assert(strstr(err, "in the past") != NULL);
	ck_assert_int_eq(when_parse_expiry("Never", now, &v, err), ERR_INVAL);
	ck_assert(strstr(err, "invalid expiry") != NULL);
	ck_assert_int_eq(when_parse_expiry("2026-12-31T", now, &v, err),
	    ERR_INVAL);
	ck_assert(strstr(err, "invalid date") != NULL);
	ck_assert_int_eq(when_parse_expiry("9999-12-31T08:30:00-16:00", now, &v,
	                     err),
	    ERR_INVAL);
	ck_assert(strstr(err, "out of range") != NULL);
}
END_TEST

START_TEST(format)
{
	char buf[WHEN_BUF];

	ck_assert_str_eq(when_format(0, buf), "never");
	ck_assert_str_eq(when_format(1798675200, buf), "2026-12-31T00:00:00Z");
	ck_assert_str_eq(when_format(1709164800 + 3723, buf),
	    "2024-02-29T01:02:03Z");
	ck_assert_str_eq(when_format(-1, buf), "1969-12-31T23:59:59Z");
	/* format and parse agree */
	for (int64_t t = 1700000000; t < 1900000000; t += 9876543) {
		int64_t back;
		ck_assert_int_eq(when_parse_date(when_format(t, buf), &back,
		                     NULL),
		    0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

Suite *
when_suite(void)
{
	Suite *s = suite_create("when");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, durations);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, format);
	suite_add_tcase(s, tc);
	return s;
}
