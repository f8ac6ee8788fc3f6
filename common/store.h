/* SPDX-License-Identifier: ISC */
/*
 * store.h - the LMDB token store.
 *
 * A store is a directory (default STOREDIR, mode 0700, root's) holding
 *
 *   tokens.mdb, tokens.mdb-lock   token records and their indexes; every
 *                                 commit is fully durable.
 *   usage.mdb, usage.mdb-lock     last use, use counts and failure counters,
 *                                 written on logins with MDB_NOSYNC so that
 *                                 a login never waits on fsync.  Kept in a
 *                                 separate environment so that relaxed
 *                                 durability can never damage token data:
 *                                 losing it loses only statistics, except
 *                                 the uses of tokens with a use limit,
 *                                 which are synced (store_usage_count),
 *                                 and whose loss refuses those tokens.
 *   usage.lock                    the usage writers' gate (store_usage.c):
 *                                 a usage write waits for it at most a few
 *                                 milliseconds, then is skipped, so a
 *                                 stopped writer never stalls a login.
 *   helper.lock                   taken by writers to serialise multi-step
 *                                 operations (store + passwd files).
 *
 * The directory and files must be owned by root or by the calling process's
 * effective uid, and must not be writable by group or others; otherwise
 * store_open refuses, as sshd's StrictModes does.  Every LMDB error becomes
 * one of the codes of err.h with a message naming the store.
 *
 * Within one process the environment is shared: opening the same store
 * twice returns the same handle (LMDB forbids two environments on one file
 * in a process).  The last store_close keeps it for the next store_open,
 * which reuses it only while the directory and the data file are the same
 * (inode, owner, modes; the file not shorter) and the flags match;
 * otherwise the store is opened afresh with every check.
 * So a long-lived process pays for opening once, yet a store that was
 * restored, damaged or given away is noticed at the next open.  A data
 * file overwritten in place (same inode) is noticed at the next
 * transaction instead, which refuses with ERR_UNAVAIL and marks the handle
 * to be opened afresh (see txn_stale in store_txn.c).  A handle is
 * never used across fork(): a child that finds its parent's handle forgets
 * it and opens its own.  Callers such as a PAM module open and close the
 * store within each call and hold no transaction across calls.
 *
 * Threads may share a read-only handle: reads and usage writes from any
 * thread, at once.  Its maps are never moved under them (they are as large
 * as a store may grow from the start), except in a process whose address
 * space cannot hold that (RLIMIT_AS, 32 bits), where they are mapped to
 * size and such sharing is unsafe.  A read-write handle, which maps the
 * tokens to size and grows them, is for one thread: the helper.
 *
 * Writes run a caller's function inside one write transaction; when the map
 * is full the store grows it and runs the function again from the start, so
 * the function must only read and write through its store_txn.
 *
 * Process-wide effects (what a program that links the store, and an admin
 * of a host that loads the PAM module, should know):
 *
 *   - Signal handlers.  The first store_open installs handlers for SIGBUS
 *     and SIGSEGV, so that a fault in LMDB's maps (a damaged file, a full
 *     disk) becomes ERR_CORRUPT instead of killing the process (see
 *     store_fault.c).  They stay as long as the handle does, and the last
 *     store_close keeps the handle: in practice from the first store_open
 *     until the process exits.  The PAM module is linked -z nodelete, so in
 *     a host such as sshd, sudo or a screen locker that is the life of the
 *     host process.  A fault outside the store gets the previous handler
 *     back and recurs; a handler the host installs later is never replaced,
 *     but from then on faults in the store are the host's.
 *   - The cached handle.  One store per process: opening another directory
 *     while a handle exists is ERR_UNAVAIL, as is opening read-write what
 *     is open read-only.  Its maps and file descriptors (close-on-exec)
 *     stay until the process exits; a forked child leaves them alone.
 *   - The writers' lock.  store_lock's flock on helper.lock is released by
 *     store_unlock or when the handle is freed, NOT by store_close, which
 *     keeps the handle and so the lock: a process that took it holds it
 *     until it exits (the helper relies on that).  A child forked while it
 *     is held shares it until the child exits or execs.
 */
#ifndef APITOKEN_STORE_H
#define APITOKEN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define STORE_SCHEMA_VERSION 1

/* store_open flags */
#define STORE_RDONLY 0x1 /* never write token data (the PAM module) */
#define STORE_CREATE 0x2 /* create the store if the directory has none */
/*
 * With STORE_RDONLY: take none of LMDB's locks (MDB_NOLOCK), for a process
 * that the user it serves can stop (the setuid helper's verify mode).
 * LMDB's first opener holds an exclusive lock on the lock file while it
 * sets it up, and every reader takes the reader table's mutex: stopped
 * there, it would stall every login's open.  Without a reader slot a
 * writer may reuse pages under a long read, which then fails (records
 * carry checksums) instead of answering wrongly; reads here are one short
 * transaction.  Usage is only read, and a missing usage file reads as
 * none.
 */
#define STORE_NOLOCK 0x4

struct store;
struct store_txn;

/*
 * Open the store in dir.  Returns 0; ERR_NOTFOUND when there is no store
 * there (and STORE_CREATE was not given); ERR_UNAVAIL for permission,
 * ownership, mode and I/O problems; ERR_CORRUPT for damaged files or an
 * unknown schema version.
 */
int store_open(struct store **out, const char *dir, unsigned flags, char *err);
void store_close(struct store *st);

/* Visit callbacks return 0 to go on, anything else to stop (and it is
 * returned). */
typedef int (*store_visit_fn)(const struct record *r, void *ctx);
typedef int (*store_txn_fn)(struct store_txn *t, void *ctx, char *err);

/* Run fn in a read transaction / a write transaction (then commit). */
int store_read(struct store *st, store_txn_fn fn, void *ctx, char *err);
int store_write(struct store *st, store_txn_fn fn, void *ctx, char *err);

/* Record by id: 0, ERR_NOTFOUND, ERR_CORRUPT. */
int store_get(struct store *st, const char *id, struct record *r, char *err);

/* Inside a transaction: */
int store_txn_get(struct store_txn *t, const char *id, struct record *r,
    char *err);
/* Insert or replace r, keeping the user, name and uid indexes in step. */
int store_txn_put(struct store_txn *t, const struct record *r, char *err);
/*
 * Remove the record and its index entries entirely (not a tombstone).
 * Deletes are tombstones written with store_txn_put; this is for removing
 * old tombstones (prune, a user's create past max_tokens_per_user), which
 * hold nothing from reuse: store_txn_next_uid's counter keeps uids unique.
 */
int store_txn_del(struct store_txn *t, const char *id, char *err);
/* Every record (user == NULL) or those owned by user, in id order. */
int store_txn_list(struct store_txn *t, const char *user, store_visit_fn fn,
    void *ctx, char *err);
/* Records whose name is name, in id order. */
int store_txn_by_name(struct store_txn *t, const char *name, store_visit_fn fn,
    void *ctx, char *err);
/* Record id holding uid, if any: 0 or ERR_NOTFOUND. */
int store_txn_by_uid(struct store_txn *t, uint32_t uid,
    char id[TOKEN_ID_LEN + 1], char *err);
/*
 * Allocate the next service-user uid in [min, max] from a counter that only
 * moves up, skipping uids for which uid_free (if not NULL) returns 0, e.g.
 * uids already in passwd.
 * ERR_LIMIT when the range is used up.
 */
int store_txn_next_uid(struct store_txn *t, uint32_t min, uint32_t max,
    int (*uid_free)(uint32_t uid), uint32_t *uid, char *err);

/* Usage data, kept apart (see above).  A missing entry reads as zeros. */
int store_usage_get(struct store *st, const char *id, struct usage *u,
    char *err);
/*
 * Read-modify-write the usage entry of id: fn changes *u and returns 0 to
 * save it, 1 to leave it unchanged, or an error code.  It never waits
 * more than wait_ms for another usage writer: then it writes nothing and
 * returns ERR_UNAVAIL.  Whoever can stop the calling process (the user
 * who runs the setuid helper, or su) can therefore stop usage writes,
 * lockout counting among them, but never a login: such processes must
 * not write usage at all, or only within wait_ms.  A login of its own
 * (one PAM conversation per process) waits STORE_USAGE_WAIT_MS; a process
 * that answers many clients in one loop (apitoken-verifyd) passes 0: a
 * wait there would be every client's.
 */
#define STORE_USAGE_WAIT_MS 20
int store_usage_update(struct store *st, const char *id, int wait_ms,
    int (*fn)(struct usage *u, void *ctx), void *ctx, char *err);
/*
 * The same for a count that must be exact (the uses of a token with a use
 * limit, record.h): never skipped when due, so the caller refuses what it
 * could not count.  Refuses ERR_CORRUPT, writing nothing, when usage.mdb
 * is not older than since (the token's creation, in seconds: counts may
 * have been lost with an earlier usage.mdb) or its birth is unknown, and
 * when the entry of
 * id is damaged (a damaged entry is never read as no uses).  A commit is
 * synced to disk before 0 is returned.  Busy as store_usage_update:
 * ERR_UNAVAIL after wait_ms.  Not under STORE_NOLOCK (ERR_PERM).
 */
int store_usage_count(struct store *st, const char *id, int64_t since,
    int wait_ms, int (*fn)(struct usage *u, void *ctx), void *ctx, char *err);
/*
 * When usage.mdb was born (see store_usage_count), opening it (and, not
 * under STORE_NOLOCK, making it) when not open yet; *at is 0 when unknown.
 * create calls it before a token with a use limit is made, and makes the
 * token in a later second than that.
 */
int store_usage_birth(struct store *st, int64_t *at, char *err);

/*
 * Serialise writers across processes (flock on helper.lock).  Waits at most
 * STORE_LOCK_WAIT seconds, then returns ERR_UNAVAIL with a message naming
 * the holder's pid (which the holder writes into the file).  A holder
 * that a user can stop (the setuid helper) must therefore never wait on
 * anything of the user's while it holds it: see helper/hold.c.
 */
#define STORE_LOCK_WAIT 10
int store_lock(struct store *st, char *err);
void store_unlock(struct store *st);

/* Size of the tokens environment's map, for tests and diagnostics. */
size_t store_mapsize(const struct store *st);

#endif
