/* SPDX-License-Identifier: ISC */
/*
 * when.h - dates and durations as users type them.  All times are UTC unix
 * seconds; nothing here reads TZ or the locale, so it behaves the same in a
 * setuid program with a hostile environment.
 *
 *   DATE      2026-12-31            (that day, 00:00:00 UTC)
 *             2026-12-31T08:30:00Z  (RFC 3339; fraction ignored; Z or +HH:MM)
 *   DURATION  a positive number and one unit: 90s 15m 12h 30d 2w
 *   never     no expiry
 */
#ifndef APITOKEN_WHEN_H
#define APITOKEN_WHEN_H

#include <stdint.h>

#define WHEN_BUF 32

/* DURATION into seconds; 0 or ERR_INVAL with a reason in err. */
int when_parse_duration(const char *s, int64_t *secs, char *err);

#define WHEN_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/*
 * DATE into a unix time; 0 or ERR_INVAL with a reason in err.  The instant
 * must fall in 1970-01-01T00:00:01Z .. WHEN_MAX, whatever the offset.
 */
int when_parse_date(const char *s, int64_t *t, char *err);

/*
 * An --expires value: DATE, DURATION counted from now, or "never" (*t = 0).
 * A time not after now is refused.
 */
int when_parse_expiry(const char *s, int64_t now, int64_t *t, char *err);

/* RFC 3339 in UTC ("2026-12-31T00:00:00Z"), or "never" for 0. */
const char *when_format(int64_t t, char buf[WHEN_BUF]);

/* The current time; tests may pin it with APITOKEN_TEST_NOW in test builds. */
int64_t when_now(void);

#endif
