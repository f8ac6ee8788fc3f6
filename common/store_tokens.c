/* SPDX-License-Identifier: ISC */
/*
 * store_tokens.c - token records and the indexes kept in step with them:
 * by_user and by_name ("<user or name>\0<id>" -> id) and uids (uid -> id),
 * and the counter the service-user uid allocator moves up.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"

static const MDB_val next_uid_key = { 8, (void *)"next_uid" };

static int
get_in(struct store_txn *t, const char *id, struct record *r, char *err)
{
	MDB_val k = mkval(id, strlen(id)), v;
	int rc;

	rc = mdb_get(t->txn, t->st->tokens, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(err, ERR_NOTFOUND, "no token with id %s", id);
	if (rc != 0)
		return env_error(err, t->st->dir, rc);
	if ((rc = record_decode(v.mv_data, v.mv_size, r, err)) < 0)
		return rc;
	/* A damaged key must not hand back some other token's record. */
	if (strcmp(r->id, id) != 0) {
		memset(r, 0, sizeof(*r));
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: key %s holds another record",
		    t->st->dir, id);
	}
	return 0;
}

int
store_txn_get(struct store_txn *t, const char *id, struct record *r, char *err)
{
	if (!token_id_valid(id))
		return err_set(err, ERR_NOTFOUND, "no token with id %s", id);
	return get_in(t, id, r, err);
}

struct get_ctx {
	const char *id;
	struct record *r;
};

static int
get_fn(struct store_txn *t, void *ctx, char *err)
{
	struct get_ctx *g = ctx;
	return store_txn_get(t, g->id, g->r, err);
}

int
store_get(struct store *st, const char *id, struct record *r, char *err)
{
	struct get_ctx g = { id, r };
	return store_read(st, get_fn, &g, err);
}

/* Index keys: "<name or user>\0<id>". */
static size_t
index_key(char *buf, const char *a, const char *id)
{
	size_t n = strlen(a);

	memcpy(buf, a, n + 1);
	memcpy(buf + n + 1, id, TOKEN_ID_LEN);
	return n + 1 + TOKEN_ID_LEN;
}

static int
index_change(struct store_txn *t, const struct record *r, bool add, char *err)
{
	char key[NAME_MAX_LEN + USER_MAX_LEN + TOKEN_ID_LEN + 2];
	MDB_val k, v = mkval(r->id, TOKEN_ID_LEN);
	uint8_t uidb[4];
	int rc = 0;

	k = mkval(key, index_key(key, r->user, r->id));
	rc = add ? mdb_put(t->txn, t->st->by_user, &k, &v, 0) :
	           mdb_del(t->txn, t->st->by_user, &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND) {
		k = mkval(key, index_key(key, r->name, r->id));
		rc = add ? mdb_put(t->txn, t->st->by_name, &k, &v, 0) :
		           mdb_del(t->txn, t->st->by_name, &k, NULL);
	}
	if ((rc == 0 || rc == MDB_NOTFOUND) && r->service_user && r->uid != 0 &&
	    !add) {
		be32(uidb, r->uid);
		k = mkval(uidb, 4);
		rc = mdb_del(t->txn, t->st->uids, &k, NULL);
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		return 0;
	return txn_error(t, rc, err);
}

int
store_txn_put(struct store_txn *t, const struct record *r, char *err)
{
	struct record old;
	uint8_t buf[RECORD_MAX_ENCODED], uidb[4];
	MDB_val k = mkval(r->id, TOKEN_ID_LEN), v;
	int n, rc;

	if (!token_id_valid(r->id))
		return err_set(err, ERR_INVAL, "invalid token id");
	if ((n = record_encode(r, buf, sizeof(buf))) < 0)
		return err_set(err, ERR_LIMIT, "record too large");
	rc = get_in(t, r->id, &old, err);
	if (rc == 0)
		rc = index_change(t, &old, false, err);
	else if (rc == ERR_NOTFOUND)
		rc = 0;
	if (rc < 0)
		return rc;
	v = mkval(buf, (size_t)n);
	if ((rc = mdb_put(t->txn, t->st->tokens, &k, &v, 0)) != 0)
		return txn_error(t, rc, err);
	/* Tombstones keep their id and uid reserved but leave the name indexes.
	 */
	if (r->status != STATUS_DELETED &&
	    (rc = index_change(t, r, true, err)) < 0)
		return rc;
	if (r->service_user && r->uid != 0) {
		be32(uidb, r->uid);
		k = mkval(uidb, 4);
		v = mkval(r->id, TOKEN_ID_LEN);
		if ((rc = mdb_put(t->txn, t->st->uids, &k, &v, 0)) != 0)
			return txn_error(t, rc, err);
	}
	return 0;
}

int
store_txn_del(struct store_txn *t, const char *id, char *err)
{
	struct record old;
	MDB_val k = mkval(id, strlen(id));
	int rc;

	if ((rc = store_txn_get(t, id, &old, err)) < 0)
		return rc;
	if ((rc = index_change(t, &old, false, err)) < 0)
		return rc;
	if ((rc = mdb_del(t->txn, t->st->tokens, &k, NULL)) != 0)
		return txn_error(t, rc, err);
	return 0;
}

/* Visit records named by an index range "<prefix>\0*". */
static int
visit_index(struct store_txn *t, MDB_dbi dbi, const char *prefix,
    store_visit_fn fn, void *ctx, char *err)
{
	char key[NAME_MAX_LEN + USER_MAX_LEN + 2], id[TOKEN_ID_LEN + 1];
	size_t plen = strlen(prefix) + 1;
	struct record r;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	if (plen > sizeof(key))
		return 0;
	memcpy(key, prefix, plen);
	k = mkval(key, plen);
	if ((rc = mdb_cursor_open(t->txn, dbi, &cur)) != 0)
		return env_error(err, t->st->dir, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != plen + TOKEN_ID_LEN ||
		    memcmp(k.mv_data, key, plen) != 0)
			break;
		memcpy(id, (char *)k.mv_data + plen, TOKEN_ID_LEN);
		id[TOKEN_ID_LEN] = '\0';
		if ((rc = get_in(t, id, &r, err)) != 0 ||
		    (rc = fn(&r, ctx)) != 0)
			goto out;
	}
	rc = (rc == MDB_NOTFOUND || rc == 0) ? 0 :
	                                       env_error(err, t->st->dir, rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
store_txn_list(struct store_txn *t, const char *user, store_visit_fn fn,
    void *ctx, char *err)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct record r;
	int rc;

	if (user != NULL)
		return visit_index(t, t->st->by_user, user, fn, ctx, err);
	if ((rc = mdb_cursor_open(t->txn, t->st->tokens, &cur)) != 0)
		return env_error(err, t->st->dir, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = record_decode(v.mv_data, v.mv_size, &r, err)) != 0 ||
		    (rc = fn(&r, ctx)) != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : env_error(err, t->st->dir, rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
store_txn_by_name(struct store_txn *t, const char *name, store_visit_fn fn,
    void *ctx, char *err)
{
	return visit_index(t, t->st->by_name, name, fn, ctx, err);
}

int
store_txn_by_uid(struct store_txn *t, uint32_t uid, char id[TOKEN_ID_LEN + 1],
    char *err)
{
	uint8_t b[4];
	MDB_val k, v;
	int rc;

	be32(b, uid);
	k = mkval(b, 4);
	rc = mdb_get(t->txn, t->st->uids, &k, &v);
	if (rc == MDB_NOTFOUND)
		return ERR_NOTFOUND;
	if (rc != 0)
		return env_error(err, t->st->dir, rc);
	if (v.mv_size != TOKEN_ID_LEN)
		return err_set(err, ERR_CORRUPT, "%s: damaged uid index",
		    t->st->dir);
	memcpy(id, v.mv_data, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	return 0;
}

int
store_txn_next_uid(struct store_txn *t, uint32_t min, uint32_t max,
    int (*uid_free)(uint32_t uid), uint32_t *uid, char *err)
{
	char id[TOKEN_ID_LEN + 1];
	uint8_t b[4];
	MDB_val k = next_uid_key, v;
	uint32_t next = min;
	int rc;

	rc = mdb_get(t->txn, t->st->meta, &k, &v);
	if (rc == 0 && v.mv_size == 4 && get_be32(v.mv_data) > next)
		next = get_be32(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return env_error(err, t->st->dir, rc);
	for (; next <= max && next >= min; next++) {
		rc = store_txn_by_uid(t, next, id, err);
		if (rc == ERR_NOTFOUND && (uid_free == NULL || uid_free(next)))
			break;
		if (rc < 0 && rc != ERR_NOTFOUND)
			return rc;
	}
	if (next > max || next < min)
		return err_set(err, ERR_LIMIT,
		    "no free uid left in the service user range %u-%u", min,
		    max);
	*uid = next;
	be32(b, next + 1);
	v = mkval(b, 4);
	if ((rc = mdb_put(t->txn, t->st->meta, &k, &v, 0)) != 0)
		return txn_error(t, rc, err);
	return 0;
}
