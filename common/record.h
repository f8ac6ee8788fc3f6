/* SPDX-License-Identifier: ISC */
/*
 * record.h - a token record and its on-disk encoding.
 *
 * Records are encoded explicitly, never as struct dumps:
 *
 *   u8  encoding version (RECORD_VERSION)
 *   then every field of struct record in declaration order, where
 *   integers are big-endian (u8, u32, i64, u64), strings are a u16 length
 *   followed by that many bytes (no NUL, no control characters), and lists
 *   are a u8 count followed by that many strings.
 *
 *   and last, 8 bytes of BLAKE2b over everything before them.
 *
 * LMDB keeps no checksums, so without ours a damaged byte could turn into a
 * different but valid record (a revoked token active again).  Decoding
 * checks the version, then the checksum, then every length against the
 * buffer and against the bounds below, and rejects trailing bytes; a record
 * that fails any check is ERR_CORRUPT, a record of a newer version
 * ERR_CORRUPT with a message that says so.  Version 1 records, which end
 * after old_hash_until, still decode: the fields version 2 appended read
 * as 0 (no use limit, no notice sent, lifetime as created, a local
 * record, no account evidence).  Usage data (last
 * use, counters) lives in struct usage, stored apart from the record because it
 * is written on logins (see store.h).
 */
#ifndef APITOKEN_RECORD_H
#define APITOKEN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define RECORD_VERSION 2
#define USAGE_VERSION 2 /* struct usage's encoding, as records' */
#define RECORD_SUM_LEN 8

#define NAME_MAX_LEN 32 /* token names double as user names */
#define USER_MAX_LEN 32
#define DESC_MAX_LEN 256
#define ITEM_MAX_LEN 64 /* one service, permission or CIDR */
#define LIST_MAX 16     /* entries in each list */
#define ADDR_MAX_LEN 46 /* INET6_ADDRSTRLEN */
#define USAGE_ADDRS 4   /* distinct recent source addresses kept */
#define USAGE_SOURCES 8 /* sources whose failures are counted at once */
#define SOURCE_MAX_LEN 64
#define USES_MAX 100000 /* create --uses: beyond this, set no limit */

/* The encoded size is bounded so callers can use fixed buffers. */
#define RECORD_MAX_ENCODED 8192
#define USAGE_MAX_ENCODED 1024

enum record_status {
	STATUS_ACTIVE = 0,
	STATUS_SUSPENDED = 1,
	STATUS_REVOKED = 2,
	STATUS_PENDING = 3, /* create or delete in progress; never usable */
	STATUS_DELETED = 4, /* tombstone: keeps the id and uid from reuse */
};

enum record_origin {
	ORIGIN_LOCAL = 0,
	ORIGIN_FLEET = 1,
};

/* What a pending record is waiting for (see apitoken check). */
enum record_pending {
	PENDING_NONE = 0,
	PENDING_CREATE = 1, /* service user may or may not exist yet */
	PENDING_DELETE = 2, /* service user may or may not be gone yet */
	PENDING_LOCK = 3,   /* revoked; service user not yet locked */
};

struct strlist {
	uint8_t n;
	char v[LIST_MAX][ITEM_MAX_LEN + 1];
};

struct record {
	char id[TOKEN_ID_LEN + 1];
	char name[NAME_MAX_LEN + 1];
	char description[DESC_MAX_LEN + 1];
	char user[USER_MAX_LEN + 1];
	uint32_t uid;
	bool service_user; /* the account was created by us */
	uint8_t status;    /* enum record_status */
	uint8_t pending;   /* enum record_pending */
	struct strlist services;
	struct strlist permissions;
	struct strlist allowed_addresses;
	int64_t expires_at; /* unix time; 0 = never */
	int64_t created_at;
	char created_by[USER_MAX_LEN + 1];
	int64_t updated_at;
	char updated_by[USER_MAX_LEN + 1];
	uint64_t revision;
	uint8_t hash[TOKEN_HASH_LEN];
	/* After rotate --grace: the previous secret stays valid until then. */
	uint8_t old_hash[TOKEN_HASH_LEN];
	int64_t old_hash_until; /* 0 = no previous secret */
	/*
	 * Version 2 appends these; a version-1 record reads them as 0.
	 */
	/* Logins allowed in all (create --uses); 0 = no limit.  The count
	 * is usage's uses. */
	uint32_t max_uses;
	int64_t granted_lifetime; /* what root last granted (rotate --self) */
	int64_t notified_expiry;  /* the expiry the last notice was about */
	uint16_t notified_days;   /* that notice's threshold; 0 = none sent */
	/*
	 * Who last set the limits (expiry, services, permissions, addresses)
	 * and the status, as uids: an owner may not undo what root (0) set.
	 */
	uint32_t limits_uid;
	uint32_t status_uid;
	/*
	 * Where the record comes from: a fleet record is a replica written by
	 * apitoken-syncd from the directory and changed only there; hosts is
	 * its apitokenHost list (host names, host groups, "*").
	 */
	uint8_t origin; /* enum record_origin */
	struct strlist hosts;
	/*
	 * The account the token was made for, beyond its name and uid: its
	 * shadow last-change day (sp_lstchg) then, which a re-created account
	 * (and a password change) moves.  0 = no evidence (no shadow entry, as
	 * for a directory user; a fleet token): name and uid alone decide.
	 */
	int64_t account_since;
};

/*
 * Failed attempts on one token from one source (see verify.h: an address,
 * an IPv6 /64, or the local uid that asked).  An unused slot has an empty
 * source.
 */
struct usage_source {
	char source[SOURCE_MAX_LEN + 1];
	uint32_t failures; /* within the current window */
	int64_t window_start;
	int64_t locked_until; /* 0 = not locked out */
};

struct usage {
	int64_t last_used_at;                               /* 0 = never */
	char last_used_from[USAGE_ADDRS][ADDR_MAX_LEN + 1]; /* newest first */
	/* Logins recorded: one per usage_write_interval (or new address). */
	uint64_t recorded_uses;
	struct usage_source sources[USAGE_SOURCES];
	/*
	 * Logins counted against the record's max_uses: exact, never
	 * throttled (see store_usage_count).  Version 1 entries, which have
	 * no sources, read it as 0.
	 */
	uint32_t uses;
};

/* Encode r into buf (RECORD_MAX_ENCODED bytes); returns the length or
 * ERR_LIMIT. */
int record_encode(const struct record *r, uint8_t *buf, size_t cap);

/* Decode len bytes into r; 0, or ERR_CORRUPT with a reason in err. */
int record_decode(const uint8_t *buf, size_t len, struct record *r, char *err);

int usage_encode(const struct usage *u, uint8_t *buf, size_t cap);
int usage_decode(const uint8_t *buf, size_t len, struct usage *u, char *err);

/* Add addr to the front of u->last_used_from, removing an older copy. */
void usage_note_address(struct usage *u, const char *addr);

/* The failures of source in u, or NULL when it has none on record. */
struct usage_source *usage_source_find(struct usage *u, const char *source);

/*
 * The slot of source in u, made when there is none: a free one, else the
 * unlocked one whose window began first, else the one whose lockout ends
 * first (a source that fills every slot can only push out its own).
 */
struct usage_source *usage_source_take(struct usage *u, const char *source,
    int64_t now);

/* The latest end of a lockout in force at now in u; 0 when none is. */
int64_t usage_locked_until(const struct usage *u, int64_t now);

/* "active", "suspended", ...; "unknown" for values out of range. */
const char *record_status_name(int status);

/* True when the record is past its expiry at time now. */
bool record_expired(const struct record *r, int64_t now);

/* r was changed at now by the account named by: updated_at, updated_by,
 * and one revision more.  by is at most USER_MAX_LEN bytes. */
void record_touch(struct record *r, int64_t now, const char *by);

/* True when s is in list l. */
bool strlist_contains(const struct strlist *l, const char *s);

/* Append s; ERR_LIMIT when full or s too long, ERR_INVAL for control chars. */
int strlist_add(struct strlist *l, const char *s);

/*
 * Copy src into a field of capacity cap (including the NUL) when it fits
 * and contains no control characters; otherwise ERR_LIMIT / ERR_INVAL.
 */
int field_set(char *dst, size_t cap, const char *src);

#endif
