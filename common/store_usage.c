/* SPDX-License-Identifier: ISC */
/*
 * store_usage.c - the usage environment (usage.mdb): opened on first use,
 * written on logins without fsync, grown like the tokens map, and written
 * only through the gate below.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"
#include "when.h"

/*
 * A usage call packaged for fault_guard(): opening the environment, or
 * reading the entry of id in a new transaction (a write one when write).
 * A fault leaves that transaction in txn, for the caller to end.
 */
struct usage_call {
	struct store *st;
	MDB_txn *txn;
	const char *id;
	struct usage *u;
	char *err;
	bool write;
};

static const MDB_val birth_key = { 10, (void *)"created_at" };

/*
 * usage.mdb's birth, kept in its table "meta": when it was made or, for
 * one made before births were kept, first opened by a writer since.  A
 * use counted before it may have been lost with an earlier usage.mdb
 * (deleted, restored from a backup), so a token with a use limit that is
 * older than its usage store is not counted from 0 (store_usage_count).
 * In txn, a write one when create; MDB_NOTFOUND when there is none and
 * !create.
 */
static int
usage_birth(struct store *st, MDB_txn *txn, bool create)
{
	MDB_val v;
	uint8_t b[8];
	uint64_t at = 0;
	int rc;

	st->ucreated = 0;
	if ((rc = mdb_dbi_open(txn, "meta", create ? MDB_CREATE : 0,
	         &st->umeta)) != 0)
		return rc;
	rc = mdb_get(txn, st->umeta, (MDB_val *)&birth_key, &v);
	if (rc == 0 && v.mv_size != sizeof(b))
		return MDB_CORRUPTED;
	if (rc == MDB_NOTFOUND && create) {
		at = (uint64_t)when_now();
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(at >> (56 - 8 * i));
		v = mkval(b, sizeof(b));
		rc = mdb_put(txn, st->umeta, (MDB_val *)&birth_key, &v, 0);
	} else if (rc == 0)
		for (int i = 0; i < 8; i++)
			at = at << 8 | ((const uint8_t *)v.mv_data)[i];
	if (rc == 0)
		st->ucreated = (int64_t)at;
	return rc;
}

static int
usage_env_open(void *arg)
{
	struct usage_call *a = arg;
	struct store *st = a->st;
	char *err = a->err;
	bool fresh, nolock = st->flags & STORE_NOLOCK;
	int rc;

	/*
	 * Statistics only: never fsync, so logins never wait on the disk.
	 * Made by the first login that writes, and first logins may come at
	 * once: one that finds the file still empty lets LMDB wait for its
	 * maker.  One lost or emptied is made afresh, with a later birth than
	 * its tokens' (store_usage_count).
	 */
	rc = env_open(st->dir, USAGE_FILE,
	    nolock ? MDB_RDONLY | MDB_NOLOCK : MDB_NOSYNC,
	    nolock ? ENV_EXISTING : ENV_MAKE_OVER_EMPTY, true, &st->uenv,
	    &fresh, err);
	if (rc < 0)
		return rc;
	/* A write transaction only the first time, to create the tables. */
	for (int create = 0; create < (nolock ? 1 : 2); create++) {
		if ((rc = env_begin(st->uenv, create ? 0 : MDB_RDONLY,
		         &a->txn)) != 0)
			break;
		rc = mdb_dbi_open(a->txn, "usage", create ? MDB_CREATE : 0,
		    &st->usage);
		/* Read-only, an unknown birth only means nothing is counted. */
		if (rc == 0 &&
		    (rc = usage_birth(st, a->txn, create)) == MDB_NOTFOUND &&
		    nolock)
			rc = 0;
		if (rc != 0)
			mdb_txn_abort(a->txn);
		else
			rc = mdb_txn_commit(a->txn);
		a->txn = NULL;
		if (rc != MDB_NOTFOUND)
			break;
	}
	if (rc != 0) {
		mdb_env_close(st->uenv);
		st->uenv = NULL;
		return env_error(err, st->dir, rc);
	}
	return 0;
}

static int
usage_env(struct store *st, char *err)
{
	struct usage_call a = { st, NULL, NULL, NULL, err, false };
	char path[PATH_MAX + 16];
	int rc = 0;

	/*
	 * Threads share the handle, so two first logins can race here; a second
	 * open of the same environment in one process may take its lock file
	 * for unused and reset it under every reader.  One opens, under the
	 * registry's mutex; the rest find it open.
	 */
	pthread_mutex_lock(&store_registry_mu);
	if (st->uenv == NULL) {
		rc = fault_guard(st->dir, &st->udamaged, usage_env_open, &a,
		    err);
		if (st->udamaged) {
			fault_abandon(st->uenv, a.txn);
			st->uenv = NULL;
		}
	}
	pthread_mutex_unlock(&store_registry_mu);
	if (rc < 0)
		return rc;
	/*
	 * A handle lives as long as its process: the file's owner and modes
	 * are checked again at every use, so that one given away or made
	 * writable meanwhile is refused here too (an lstat).
	 */
	snprintf(path, sizeof(path), "%s/%s", st->dir, USAGE_FILE);
	return env_check_path(path, false, NULL, err);
}

/*
 * Begin a transaction (a write one when a->write), then read and decode the
 * usage entry of id; a missing one reads as zeros.
 */
static int
usage_read(void *arg)
{
	struct usage_call *a = arg;
	MDB_val k = mkval(a->id, strlen(a->id)), v;
	int rc;

	memset(a->u, 0, sizeof(*a->u));
	if ((rc = env_begin(a->st->uenv, a->write ? 0 : MDB_RDONLY, &a->txn)) !=
	    0)
		return env_error(a->err, a->st->dir, rc);
	rc = mdb_get(a->txn, a->st->usage, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return env_error(a->err, a->st->dir, rc);
	return usage_decode(v.mv_data, v.mv_size, a->u, a->err);
}

/*
 * The usage writers' gate: an flock on usage.lock, taken before LMDB's
 * writer mutex and never waited on for more than USAGE_GATE_WAIT_MS.
 * LMDB's mutex waits for ever, and a login that writes usage must not wait
 * for a writer that is stopped (frozen, SIGSTOPped, paged out on a dying
 * disk): with every writer passing the gate first the mutex is never
 * contended, and a login that finds the gate busy skips its write.  A
 * separate open per call: flock excludes open files, so threads of one
 * process exclude each other too.  Waits at most wait_ms; returns the
 * locked fd, ERR_UNAVAIL when busy or on a bad lock file.
 */
static int
usage_gate(const struct store *st, int wait_ms, char *err)
{
	const struct timespec ms = { 0, 1000000 };
	char path[PATH_MAX + 16];
	int fd, rc, waited = 0;

	snprintf(path, sizeof(path), "%s/%s", st->dir, USAGE_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) <
	    0)
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    strerror(errno));
	if ((rc = env_check_path(path, false, NULL, err)) < 0) {
		close(fd);
		return rc;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited++ >= wait_ms) {
			rc = err_set(err, ERR_UNAVAIL, "%s: %s", path,
			    errno == EWOULDBLOCK ?
			        "busy: another process is writing usage" :
			        strerror(errno));
			close(fd);
			return rc;
		}
		nanosleep(&ms, NULL);
	}
	return fd;
}

int
store_usage_get(struct store *st, const char *id, struct usage *u, char *err)
{
	struct usage_call a = { st, NULL, id, u, err, false };
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = usage_env(st, err)) < 0)
		return rc;
	rc = fault_guard(st->dir, &st->udamaged, usage_read, &a, err);
	fault_end_read(a.txn, st->udamaged);
	return rc;
}

/*
 * The write under the gate.  exact (store_usage_count): a damaged entry is
 * refused rather than replaced, and the commit reaches the disk before
 * this returns.
 */
static int
usage_update(struct store *st, const char *id,
    int (*fn)(struct usage *u, void *ctx), void *ctx, bool exact, char *err)
{
	MDB_txn *txn;
	MDB_val k = mkval(id, strlen(id)), v;
	struct usage u;
	struct usage_call a = { st, NULL, id, &u, err, true };
	uint8_t buf[USAGE_MAX_ENCODED];
	int rc, mrc, n;

	for (;;) {
		a.txn = NULL;
		rc = fault_guard(st->dir, &st->udamaged, usage_read, &a, err);
		if (st->udamaged) {
			/*
			 * The write transaction holds the usage writer lock:
			 * keep it and every other login's usage write waits for
			 * this process to exit (login(1) lives as long as the
			 * session).  The fault was in a read, nothing is
			 * written yet, and abort touches only the lock page
			 * that taking the lock already touched.
			 */
			if (a.txn != NULL)
				mdb_txn_abort(a.txn);
			return rc;
		}
		if ((txn = a.txn) == NULL)
			return rc;
		/* A record that only fails to decode is replaced rather than
		 * blocking logins; a count is not, or spent uses come back. */
		if (rc < 0 && exact) {
			mdb_txn_abort(txn);
			return rc;
		}
		if (rc < 0)
			memset(&u, 0, sizeof(u));
		if ((rc = fn(&u, ctx)) != 0) {
			mdb_txn_abort(txn);
			return rc > 0 ? 0 : rc;
		}
		n = usage_encode(&u, buf, sizeof(buf));
		v = mkval(buf, (size_t)n);
		if ((mrc = mdb_put(txn, st->usage, &k, &v, 0)) != 0)
			mdb_txn_abort(txn);
		else
			mrc = mdb_txn_commit(txn);
		/*
		 * The environment never syncs on commit; a use it gave back in
		 * a power cut would be a login more than allowed.
		 */
		if (mrc == 0 && exact && (mrc = mdb_env_sync(st->uenv, 1)) != 0)
			return env_error(err, st->dir, mrc);
		if (mrc == 0)
			return 0;
		if (mrc != MDB_MAP_FULL)
			return env_error(err, st->dir, mrc);
		if ((rc = txn_grow(st->uenv, st->dir, err)) < 0)
			return rc;
	}
}

/*
 * Every usage write: through the gate.  An exact one (store_usage_count)
 * first refuses a usage store not older than since, and is synced.
 */
static int
usage_write(struct store *st, const char *id, bool exact, int64_t since,
    int wait_ms, int (*fn)(struct usage *u, void *ctx), void *ctx, char *err)
{
	int gate, rc;

	if (st->flags & STORE_NOLOCK)
		return err_set(err, ERR_PERM, "%s: usage is read-only here",
		    st->dir);
	if ((rc = usage_env(st, err)) < 0)
		return rc;
	/* In the same second is not older: seconds are all a record has. */
	if (exact && (st->ucreated == 0 || st->ucreated >= since))
		return err_set(err, ERR_CORRUPT,
		    "%s/%s is younger than token %s: its count of uses may "
		    "have been lost",
		    st->dir, USAGE_FILE, id);
	if ((gate = usage_gate(st, wait_ms, err)) < 0)
		return gate;
	rc = usage_update(st, id, fn, ctx, exact, err);
	close(gate);
	return rc;
}

int
store_usage_update(struct store *st, const char *id, int wait_ms,
    int (*fn)(struct usage *u, void *ctx), void *ctx, char *err)
{
	return usage_write(st, id, false, 0, wait_ms, fn, ctx, err);
}

int
store_usage_count(struct store *st, const char *id, int64_t since, int wait_ms,
    int (*fn)(struct usage *u, void *ctx), void *ctx, char *err)
{
	return usage_write(st, id, true, since, wait_ms, fn, ctx, err);
}

int
store_usage_birth(struct store *st, int64_t *at, char *err)
{
	int rc;

	*at = 0;
	if ((rc = usage_env(st, err)) < 0)
		return rc;
	*at = st->ucreated;
	return 0;
}
