/* SPDX-License-Identifier: ISC */
/*
 * record_show.h - records as apitoken and apitoken-fleet show them: every
 * text escaped on the way out (utf8_escape), output that cannot be
 * written an error, never an empty success, and the JSON fields the two
 * print alike, so that a token of the fleet reads the same in both.
 *
 * Not part of libcommon, which the PAM module links: it needs jansson.
 * apitoken and apitoken-fleet compile it into themselves (helper/local.mk,
 * fleet/local.mk); it holds formatting only, nothing that needs privileges
 * or reads a store.
 *
 * The JSON of a record starts with these members, in this order; each
 * program's own follow them:
 *
 *   id, name, description, user     strings
 *   uid                             as the caller gives it
 *   service_user                    boolean
 *   services, permissions, allowed_addresses
 *                                   arrays of strings
 *   status                          the status the caller gives, by name
 *   expires_at                      RFC 3339 UTC, or null for never
 *   created, updated                {"at": time or null, "by": string}
 *   revision                        integer
 */
#ifndef APITOKEN_RECORD_SHOW_H
#define APITOKEN_RECORD_SHOW_H

#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "utf8.h"

/* Room for any text field of a record, escaped: the description is the
 * longest. */
struct shown {
	char b[UTF8_ESCAPED_MAX(DESC_MAX_LEN)];
};

/* s escaped into out, which is returned. */
const char *show_esc(const char *s, struct shown *out);

/*
 * A line of text: key (18 columns), the items of l escaped and separated
 * by ", ", or none when there are none; then " (note)" when note is not
 * NULL.
 */
void show_text_list(const char *key, const struct strlist *l, const char *none,
    const char *note);

/*
 * Lines of r as both print them: its permissions and the addresses it is
 * allowed from; when and by whom it was created and last updated, with
 * its revision.
 */
void show_text_limits(const struct record *r);
void show_text_history(const struct record *r);

/* After text output: 0 when it reached stdout, else ERR_UNAVAIL (err). */
int show_flushed(char *err);

/*
 * JSON values, NULL when out of memory: s escaped; t in RFC 3339, or null
 * for 0; the items of l escaped.
 */
json_t *show_json_text(const char *s);
json_t *show_json_time(int64_t t);
json_t *show_json_list(const struct strlist *l);

/*
 * The members above of r, with uid and status, and then the members of
 * the object more, in its order; the call takes the references uid and
 * more.  NULL when one of them could not be made, so that a token that
 * cannot be encoded fails the output rather than vanish from it.
 */
json_t *show_json_record(const struct record *r, int status, json_t *uid,
    json_t *more);

/*
 * j indented, in its members' order, and a newline on stdout, and j
 * released (NULL may be passed: the output could not be made).  The text
 * is wiped before it is freed: it may hold a new secret.  0, or ERR_NOMEM
 * or ERR_UNAVAIL with the reason in err.
 */
int show_json_print(json_t *j, char *err);

#endif
