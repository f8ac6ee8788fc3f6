/* SPDX-License-Identifier: ISC */
/*
 * syncd.h - what the files of apitoken-syncd share.
 *
 *   main.c   options, configuration, the provider loop with failover
 *   sync.c   one RFC 4533 session: connect, TLS, bind, refresh(AndPersist)
 *   apply.c  directory entries to records; a batch and its cookie in one
 *            write transaction
 *   users.c  the accounts of fleet service users, through the root helper
 */
#ifndef APITOKEN_SYNCD_H
#define APITOKEN_SYNCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldap.h>

#include "conf.h"
#include "record.h"
#include "store.h"
#include "store_fleet.h"

/*
 * An OpenLDAP CSN (change sequence number), as entryCSN and the cookie
 * carry it: YYYYmmddHHMMSS.uuuuuuZ#count#sid#mod, the last three in hex,
 * 40 bytes that sort as text in time order.
 */
#define CSN_LEN 40
#define CSN_SID 30 /* where the 3-digit server id is */

/* One change the provider sent, by entryUUID. */
struct change {
	uint8_t uuid[FLEET_UUID_LEN];
	bool gone;             /* deleted (or out of scope) */
	char csn[CSN_LEN + 1]; /* the entry's entryCSN; "" for a delete */
	struct record rec;     /* the new record, when not gone */
};

/*
 * What has arrived since the last commit.  During a refresh the batch
 * grows until the refresh ends, so that a refresh is applied whole, with
 * the cookie that ends it; in the persist stage every message is a batch.
 */
struct batch {
	struct change *v;
	int n, cap;
	uint8_t (*seen)[FLEET_UUID_LEN]; /* the present phase's entries */
	int nseen, seencap;
	uint8_t cookie[FLEET_COOKIE_MAX];
	size_t cookie_len;
	bool new_cookie; /* cookie is to be stored with this batch */
	bool sweep;      /* drop every fleet record not in seen */
};

void batch_reset(struct batch *b);
void batch_free(struct batch *b);
/* r NULL: the entry is gone; csn NULL: a delete, which carries none. */
int batch_change(struct batch *b, const uint8_t uuid[FLEET_UUID_LEN],
    const struct record *r, const char *csn, char *err);
int batch_seen(struct batch *b, const uint8_t uuid[FLEET_UUID_LEN], char *err);
int batch_set_cookie(struct batch *b, const struct berval *c, char *err);
/*
 * Apply b, its cookie and the contact time now in one transaction; then,
 * when it changed a service user's record, users_settle.  A version of an
 * entry older than the one applied last (by entryCSN), or not newer than
 * its delete, is refused: a provider that missed changes does not undo
 * them on the host.
 */
int batch_commit(struct store *st, struct batch *b, int64_t now, char *err);

/*
 * The entry as a fleet record as a host stores it (fleet_entry.h), made
 * and changed by "fleet"; a personal token's uid is its owner's on this
 * host, UINT32_MAX when the host has no such account.  0, or ERR_INVAL
 * with the reason.
 */
int entry_record(LDAP *ld, LDAPMessage *e, struct record *r, char *err);

/*
 * users.c.  users_init: the helper to run (apitoken), the store it is to
 * look at and the configuration it is to read, which goes into the
 * process environment (APITOKEN_CONFIG).  users_settle runs apitoken
 * check --repair --fleet-users, waits for it and logs each line it
 * prints; a failure is logged and left for the next run.  Call it with no
 * transaction open.  users_any: the store holds a fleet service user's
 * record (or cannot be read).
 */
void users_init(const char *helper, const char *dir, const char *config);
void users_settle(void);
bool users_any(struct store *st);

struct syncd {
	struct conf conf;
	struct store *st;
	char host[ITEM_MAX_LEN + 1];
	bool once;
	int probe_interval; /* seconds between keep-alives of a quiet stream */
	volatile int *stop;
};

/*
 * One session with provider uri until it fails, ends (--once) or *stop.
 * 0 when a --once refresh was applied or on stop; SYNC_LOST when a
 * refresh had been applied and the session then failed (err says why),
 * so that the next provider is tried at once; an error when it never got
 * that far.
 */
#define SYNC_LOST 1
int sync_session(struct syncd *d, const char *uri, char *err);

#endif
