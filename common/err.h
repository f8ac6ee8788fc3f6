/* SPDX-License-Identifier: ISC */
/*
 * err.h - the error convention shared by everything in common/.
 *
 * Functions return 0 on success or one of the negative codes below.  Those
 * that can fail for reasons a person must read take a caller-owned buffer
 * `char *err` of ERR_MAX bytes and write one line into it (no newline).
 * The code says what class of failure it was, so callers can map it onto
 * PAM results or exit statuses without parsing the text.
 *
 * The one exception: a pure parser, which does no I/O and keeps no state
 * (cidr_parse, token_parse), returns ERR_INVAL and sets a `const char
 * **why` to a static string saying what is wrong with its input, for the
 * caller to put into its own message.  Nothing else returns text, and
 * callers decide on codes and enums, never by comparing text.
 *
 * The helper's commands (helper/) return an exit status instead: 0, or
 * EXIT_REFUSED / EXIT_USAGE from fail(), which has printed the line.
 */
#ifndef APITOKEN_ERR_H
#define APITOKEN_ERR_H

#include <stddef.h>

#define ERR_MAX 256

enum {
	ERR_INVAL = -1,    /* malformed input: bad token, bad option value */
	ERR_NOTFOUND = -2, /* no such record, file or account */
	ERR_CORRUPT = -3,  /* stored data is damaged or of an unknown version */
	ERR_UNAVAIL = -4,  /* store cannot be used: permissions, I/O, locking */
	ERR_NOSPACE = -5,  /* disk or map full */
	ERR_EXISTS = -6,   /* the name, id or account already exists */
	ERR_NOMEM = -7,
	ERR_PERM = -8,  /* the caller may not do this */
	ERR_LIMIT = -9, /* a fixed bound was exceeded (list length, size) */
};

/* Format a message into err (ERR_MAX bytes) and return code; err may be NULL.
 */
int err_set(char *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
