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

static int
txn_call(void *arg)
{
	struct txn_call *c = arg;
	int rc;

	if (c->begin_read &&
	    (rc = env_begin(c->t->st->env, MDB_RDONLY, &c->t->txn)) != 0)
		return env_error(c->err, c->t->st->dir, rc);
	return c->fn(c->t, c->ctx, c->err);
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
