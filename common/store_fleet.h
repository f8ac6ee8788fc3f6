/* SPDX-License-Identifier: ISC */
/*
 * store_fleet.h - what a fleet replica keeps beside its records.
 *
 * apitoken-syncd copies token entries from a directory (RFC 4533
 * Content Synchronization) into the store as records of origin fleet.
 * The protocol names an entry by its entryUUID, and a delete carries
 * nothing else, so the store keeps, in its meta table:
 *
 *   fleet_cookie        the sync cookie of the last batch applied; it is
 *                       written in the same write transaction as that
 *                       batch, so records and cookie never disagree, even
 *                       after a SIGKILL.
 *   fleet_contact       when the replica last heard from a provider (unix
 *                       time, big-endian), for the staleness policy.
 *   fleet_uuid:<16 b>   entryUUID -> token id of every fleet record.
 *   fleet_csn:<16 b>    entryUUID -> the entryCSN of the last version
 *                       of that entry applied, and whether it was then
 *                       deleted.  Kept when the entry goes: a provider
 *                       that missed changes (a mirror peer cut off, a
 *                       restored backup) presents older versions, and
 *                       the CSN is how the replica knows to refuse them,
 *                       as OpenLDAP's own syncrepl consumer does.
 *
 * All functions run inside a transaction of store.h (store_read or
 * store_write); those that write need a write transaction.  Nothing here
 * is process-wide.
 */
#ifndef APITOKEN_STORE_FLEET_H
#define APITOKEN_STORE_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "token.h"

#define FLEET_UUID_LEN 16
#define FLEET_COOKIE_MAX 1024 /* syncprov's are under 100 bytes */

/* The stored cookie into buf (cap bytes): its length, 0 when none. */
int store_fleet_cookie(struct store_txn *t, uint8_t *buf, size_t cap,
    size_t *len, char *err);
/* Replace the cookie; len 0 removes it (the next sync is a full reload). */
int store_fleet_set_cookie(struct store_txn *t, const uint8_t *cookie,
    size_t len, char *err);

/* Last contact with a provider: *at is 0 when there never was one. */
int store_fleet_contact(struct store_txn *t, int64_t *at, char *err);
int store_fleet_set_contact(struct store_txn *t, int64_t at, char *err);

/* The token id of entryUUID uuid: 0 or ERR_NOTFOUND. */
int store_fleet_id_of(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char id[TOKEN_ID_LEN + 1], char *err);
/* Map uuid to id (replacing an older mapping) / forget uuid. */
int store_fleet_bind(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    const char *id, char *err);
int store_fleet_unbind(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char *err);

#define FLEET_CSN_MAX 64 /* OpenLDAP's are 40 bytes */

enum fleet_csn_state {
	FLEET_CSN_PRESENT = 1, /* the version of csn is the record */
	FLEET_CSN_DELETED = 2, /* deleted after the version of csn */
};

/*
 * The CSN kept for uuid into csn (NUL-terminated) and its state: 0 or
 * ERR_NOTFOUND.
 */
int store_fleet_csn(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char csn[FLEET_CSN_MAX + 1], enum fleet_csn_state *state, char *err);
/* Keep csn (1 to FLEET_CSN_MAX bytes, no NUL) and state for uuid. */
int store_fleet_set_csn(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    const char *csn, enum fleet_csn_state state, char *err);

/*
 * Every mapping, in uuid order; fn returns 0 to go on, anything else stops
 * (and is returned).  fn must not change the mappings: collect, then
 * change.
 */
typedef int (*store_fleet_visit_fn)(const uint8_t uuid[FLEET_UUID_LEN],
    const char *id, void *ctx);
int store_fleet_each(struct store_txn *t, store_fleet_visit_fn fn, void *ctx,
    char *err);

#endif
