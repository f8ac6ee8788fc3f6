/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "when.h"

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no TZ involved. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static unsigned
days_in_month(int y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Exactly n digits at s; -1 otherwise. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
when_parse_duration(const char *s, int64_t *secs, char *err)
{
	static const struct {
		char unit;
		int64_t mult;
	} units[] = {
		{ 's', 1 },
		{ 'm', 60 },
		{ 'h', 3600 },
		{ 'd', 86400 },
		{ 'w', 604800 },
	};
	const char *p = s;
	int64_t n = 0;

	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10)
			return err_set(err, ERR_INVAL,
			    "duration '%.40s' is too large", s);
		n = n * 10 + (*p - '0');
	}
	if (p[0] == '\0' || p[1] != '\0')
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit != *p)
			continue;
		if (n == 0)
			return err_set(err, ERR_INVAL,
			    "duration '%.40s' must be greater than zero", s);
		/* Cap at 1000 years: larger values are typos, and it keeps sums
		 * safe. */
		if (n > (int64_t)1000 * 366 * 86400 / units[i].mult)
			return err_set(err, ERR_INVAL,
			    "duration '%.40s' is too large", s);
		*secs = n * units[i].mult;
		return 0;
	}
bad:
	return err_set(err, ERR_INVAL,
	    "invalid duration '%.40s': expected a number and a unit (s, m, h, "
	    "d, w), e.g. 30d",
	    s);
}

int
when_parse_date(const char *s, int64_t *t, char *err)
{
	int y, hh = 0, mm = 0, ss = 0, oh, om;
	unsigned mo, d;
	const char *p;
	int64_t v, off = 0;

	y = digits(s, 4);
	if (y < 1970 || s[4] != '-' ||
	    (int)(mo = (unsigned)digits(s + 5, 2)) < 1 || mo > 12 ||
	    s[7] != '-' || (int)(d = (unsigned)digits(s + 8, 2)) < 1 ||
	    d > days_in_month(y, mo))
		goto bad;
	p = s + 10;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			goto bad;
		/* Each read is guarded by the one before, so none passes the
		 * NUL. */
		if ((hh = digits(p + 1, 2)) < 0 || p[3] != ':' ||
		    (mm = digits(p + 4, 2)) < 0 || p[6] != ':' ||
		    (ss = digits(p + 7, 2)) < 0 || hh > 23 || mm > 59 ||
		    ss > 60)
			goto bad;
		if (ss == 60)
			ss = 59; /* a leap second is the last second of its
			            minute */
		p += 9;
		if (*p == '.') {
			if (!isdigit((unsigned char)*++p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
			off = 0;
		else if ((*p == '+' || *p == '-') &&
		    (oh = digits(p + 1, 2)) >= 0 && oh <= 23 && p[3] == ':' &&
		    (om = digits(p + 4, 2)) >= 0 && om <= 59 && p[6] == '\0')
			off = (*p == '-' ? -1 : 1) *
			    (int64_t)(oh * 3600 + om * 60);
		else
			goto bad;
	}
	v = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - off;
	/*
	 * An offset can carry the instant outside what when_format writes and
	 * this reads back (UTC years 1970-9999), and 0 means "never".
	 */
	if (v <= 0 || v > WHEN_MAX)
		return err_set(err, ERR_INVAL,
		    "date '%.40s' is out of range (1970-01-01T00:00:01Z to "
		    "9999-12-31T23:59:59Z)",
		    s);
	*t = v;
	return 0;
bad:
	return err_set(err, ERR_INVAL,
	    "invalid date '%.40s': expected YYYY-MM-DD or RFC 3339 "
	    "(2026-12-31T23:59:59Z)",
	    s);
}

int
when_parse_expiry(const char *s, int64_t now, int64_t *t, char *err)
{
	int64_t v;
	int rc;

	if (strcmp(s, "never") == 0) {
		*t = 0;
		return 0;
	}
	/* What looks like a date keeps the date parser's own reason. */
	if (strlen(s) >= 10 && s[4] == '-') {
		if ((rc = when_parse_date(s, &v, err)) < 0)
			return rc;
	} else if (when_parse_duration(s, &v, err) == 0)
		v += now;
	else
		return err_set(err, ERR_INVAL,
		    "invalid expiry '%.40s': expected YYYY-MM-DD, RFC 3339, a "
		    "duration such as 30d, or never",
		    s);
	if (v <= now)
		return err_set(err, ERR_INVAL, "expiry '%.40s' is in the past",
		    s);
	*t = v;
	return 0;
}

const char *
when_format(int64_t t, char buf[WHEN_BUF])
{
	int64_t days, rem;
	unsigned m, d;
	int y;

	if (t == 0)
		return strcpy(buf, "never");
	days = t / 86400;
	rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, WHEN_BUF, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return buf;
}

int64_t
when_now(void)
{
#ifdef APITOKEN_TEST_HOOKS
	const char *pin = getenv("APITOKEN_TEST_NOW");

	if (pin != NULL && *pin != '\0')
		return strtoll(pin, NULL, 10);
#endif
	return (int64_t)time(NULL);
}
