/* SPDX-License-Identifier: ISC */
/*
 * store_int.h - what the files of the store share; not for users of store.h.
 *
 *   store.c         store_open/store_close and the process-wide handle cache
 *   store_fault.c   the SIGBUS/SIGSEGV guard and environments abandoned to it
 *   store_env.c     path and mode checks, opening an environment, the schema
 *   store_txn.c     store_read/store_write: the runner that grows the map
 *   store_tokens.c  records, their user/name/uid indexes, the uid allocator
 *   store_usage.c   the usage environment
 *   store_lock.c    the writers' lock
 *   store_fleet.c   a fleet replica's cookie, contact time, entryUUID map
 */
#ifndef APITOKEN_STORE_INT_H
#define APITOKEN_STORE_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <lmdb.h>

#include "store.h"

/* A small start keeps tiny stores tiny; the writer doubles it on demand. */
#define MAP_INITIAL ((size_t)1 << 20)
#define MAP_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 34 : 30))
#define MAX_DBS 8
#define MAX_READERS 256

#define TOKENS_FILE "tokens.mdb"
#define USAGE_FILE "usage.mdb"
#define LOCK_FILE "helper.lock"
#define USAGE_LOCK_FILE "usage.lock"

struct store {
	char dir[PATH_MAX];
	unsigned flags;
	int refs;
	pid_t pid;
	MDB_env *env;
	MDB_dbi meta, tokens, by_user, by_name, uids;
	MDB_env *uenv; /* usage environment, opened on first use */
	MDB_dbi usage, umeta;
	int64_t ucreated; /* usage.mdb's birth (usage_birth); 0 = unknown */
	int lockfd;
	bool damaged, udamaged; /* a guarded read faulted: refuse further use */
	bool stale; /* tokens.mdb was replaced under it: reopen (txn_stale) */
	struct stat dir_sb, file_sb; /* as checked at open; see still_valid */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	bool mapfull;
};

/*
 * Taken by store_open/store_close around the handle cache, and around the
 * first open of a handle's usage environment (see store_usage.c).
 */
extern pthread_mutex_t store_registry_mu;

static inline MDB_val
mkval(const void *p, size_t n)
{
	MDB_val v = { n, (void *)p };
	return v;
}

static inline void
be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static inline uint32_t
get_be32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* store_fault.c: see there. */
void fault_install(void);
void fault_remove(void);
int fault_guard(const char *dir, bool *damaged, int (*fn)(void *), void *arg,
    char *err);
void fault_abandon(MDB_env *env, MDB_txn *txn);
void fault_end_read(MDB_txn *txn, bool damaged);

/* store_env.c */
int env_error(char *err, const char *where, int rc);
int env_check_path(const char *path, bool dir, off_t *size, char *err);
int env_refuse_broken_lmdb(char *err);
/* What env_open may do with a data file that is missing or empty. */
enum env_make {
	ENV_EXISTING, /* a missing or empty file is an error */
	ENV_MAKE,     /* a missing one is made; an empty one is damage */
	/*
	 * An empty one too is left to LMDB, which initialises it under its
	 * lock file: it may be being made by another process this moment.
	 * For a file whose loss is noticed otherwise (usage.mdb's birth).
	 */
	ENV_MAKE_OVER_EMPTY,
};
int env_open(const char *dir, const char *file, unsigned envflags,
    enum env_make make, bool shared, MDB_env **out, bool *fresh, char *err);
int env_begin(MDB_env *env, unsigned flags, MDB_txn **txn);
int env_open_dbis(struct store *st, bool fresh, MDB_txn **txnp, char *err);

/* store_txn.c */
int txn_grow(MDB_env *env, const char *dir, char *err);
int txn_stale(struct store *st, MDB_txn *txn, bool write, char *err);
int txn_error(struct store_txn *t, int rc, char *err);

#endif
