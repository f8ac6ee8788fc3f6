/* SPDX-License-Identifier: ISC */
/*
 * store_txn.c - store_read and store_write: running a caller's function in
 * a transaction under the fault guard, and growing the map when a write
 * finds it full.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"

/*
 * A store_txn_fn call, packaged for fault_guard().  A read transaction is
 * begun inside the guard (beginning one takes a reader slot through the
 * lock file's map); store_write begins its own before.
 */
struct txn_call {
	store_txn_fn fn;
	struct store_txn *t;
	void *ctx;
	char *err;
	bool begin_read;
};

/*
 * A data file overwritten in place under an open environment (a restore
 * with cp: same inode, so store_open's checks cannot see it) is read
 * through the lock file's count of transactions, whose parity picks one
 * of the restored file's two meta pages, perhaps the older: a revoked
 * token read as active, and a writer building on it.  A transaction newer
 * than the newest meta page of the file can only mean that.  Refuse, and
 * mark the handle for reopening: the lock file is set up again from the
 * file once every process has closed it, and from then on all is read as
 * restored.  Under MDB_NOLOCK the newest meta page is always the one read.
 */
int
txn_stale(struct store *st, MDB_txn *txn, bool write, char *err)
{
	MDB_envinfo info;
	/* A write transaction's id is the one it will commit. */
	size_t id = mdb_txn_id(txn) - (write ? 1 : 0);

	if (st->flags & STORE_NOLOCK || mdb_env_info(st->env, &info) != 0)
		return 0;
	if (st->stale || id > info.me_last_txnid) {
		st->stale = true;
		return err_set(err, ERR_UNAVAIL,
		    "%s: %s was replaced while the store was open (restored "
		    "in place?); stop the programs using the store so that "
		    "it is opened afresh",
		    st->dir, TOKENS_FILE);
	}
	return 0;
}

static int
txn_call(void *arg)
{
	struct txn_call *call = arg;
	int rc;

	if (call->begin_read &&
	    (rc = env_begin(call->t->st->env, MDB_RDONLY, &call->t->txn)) != 0)
		return env_error(call->err, call->t->st->dir, rc);
	if ((rc = txn_stale(call->t->st, call->t->txn, !call->begin_read,
	         call->err)) < 0)
		return rc;
	return call->fn(call->t, call->ctx, call->err);
}

size_t
store_mapsize(const struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	return info.me_mapsize;
}

int
txn_grow(MDB_env *env, const char *dir, char *err)
{
	MDB_envinfo info;
	size_t want;
	int rc;

	mdb_env_info(env, &info);
	if (info.me_mapsize >= MAP_MAX)
		return err_set(err, ERR_NOSPACE,
		    "%s: store is full (map size %zu bytes)", dir,
		    info.me_mapsize);
	want = info.me_mapsize * 2 > MAP_MAX ? MAP_MAX : info.me_mapsize * 2;
	if ((rc = mdb_env_set_mapsize(env, want)) != 0)
		return env_error(err, dir, rc);
	return 0;
}

int
store_read(struct store *st, store_txn_fn fn, void *ctx, char *err)
{
	struct store_txn t = { .st = st };
	int rc;

	rc = fault_guard(st->dir, &st->damaged, txn_call,
	    &(struct txn_call){ fn, &t, ctx, err, true }, err);
	fault_end_read(t.txn, st->damaged);
	return rc;
}

int
store_write(struct store *st, store_txn_fn fn, void *ctx, char *err)
{
	struct store_txn t = { .st = st };
	int rc;

	if (st->flags & STORE_RDONLY)
		return err_set(err, ERR_PERM, "%s: store is open read-only",
		    st->dir);
	for (;;) {
		t.mapfull = false;
		if ((rc = env_begin(st->env, 0, &t.txn)) != 0)
			return env_error(err, st->dir, rc);
		rc = fault_guard(st->dir, &st->damaged, txn_call,
		    &(struct txn_call){ fn, &t, ctx, err, false }, err);
		if (rc != 0) {
			mdb_txn_abort(t.txn);
			if (!t.mapfull)
				return rc;
		} else if ((rc = mdb_txn_commit(t.txn)) != 0) {
			/* A failed commit has already freed the txn. */
			if (rc != MDB_MAP_FULL)
				return env_error(err, st->dir, rc);
		} else
			return 0;
		if ((rc = txn_grow(st->env, st->dir, err)) < 0)
			return rc;
	}
}

/* An LMDB error inside a write txn; MAP_FULL is noted so store_write grows
 * the map and runs the function again. */
int
txn_error(struct store_txn *t, int rc, char *err)
{
	if (rc == MDB_MAP_FULL)
		t->mapfull = true;
	return env_error(err, t->st->dir, rc);
}
