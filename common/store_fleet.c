/* SPDX-License-Identifier: ISC */
/*
 * store_fleet.c - the replica's cookie, contact time, entryUUID map and
 * entryCSNs.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <lmdb.h>

#include "err.h"
#include "store_fleet.h"
#include "store_int.h"

/* The per-entry keys: a prefix, then the 16 bytes of the entryUUID. */
#define UUID_PREFIX "fleet_uuid:"
#define UUID_PREFIX_LEN (sizeof(UUID_PREFIX) - 1)
#define UUID_KEY_LEN (UUID_PREFIX_LEN + FLEET_UUID_LEN)
#define CSN_PREFIX "fleet_csn:"
#define KEY_MAX UUID_KEY_LEN /* the longer prefix */

static const MDB_val cookie_key = { 12, (void *)"fleet_cookie" };
static const MDB_val contact_key = { 13, (void *)"fleet_contact" };

static MDB_val
entry_key(uint8_t buf[KEY_MAX], const char *prefix,
    const uint8_t uuid[FLEET_UUID_LEN])
{
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	memcpy(buf + n, uuid, FLEET_UUID_LEN);
	return mkval(buf, n + FLEET_UUID_LEN);
}

/* The meta value of k: 0, ERR_NOTFOUND, or the transaction's error. */
static int
meta_get(struct store_txn *t, const MDB_val *k, MDB_val *v, char *err)
{
	int rc = mdb_get(t->txn, t->st->meta, (MDB_val *)k, v);

	if (rc == MDB_NOTFOUND)
		return ERR_NOTFOUND;
	return rc == 0 ? 0 : txn_error(t, rc, err);
}

int
store_fleet_cookie(struct store_txn *t, uint8_t *buf, size_t cap, size_t *len,
    char *err)
{
	MDB_val v;
	int rc;

	*len = 0;
	if ((rc = meta_get(t, &cookie_key, &v, err)) < 0)
		return rc == ERR_NOTFOUND ? 0 : rc;
	if (v.mv_size > cap || v.mv_size > FLEET_COOKIE_MAX)
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: sync cookie", t->st->dir);
	memcpy(buf, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return 0;
}

int
store_fleet_set_cookie(struct store_txn *t, const uint8_t *cookie, size_t len,
    char *err)
{
	MDB_val v = mkval(cookie, len);
	int rc;

	if (len > FLEET_COOKIE_MAX)
		return err_set(err, ERR_LIMIT, "sync cookie of %zu bytes", len);
	if (len == 0) {
		rc = mdb_del(t->txn, t->st->meta, (MDB_val *)&cookie_key, NULL);
		return rc == 0 || rc == MDB_NOTFOUND ? 0 :
		                                       txn_error(t, rc, err);
	}
	rc = mdb_put(t->txn, t->st->meta, (MDB_val *)&cookie_key, &v, 0);
	return rc == 0 ? 0 : txn_error(t, rc, err);
}

int
store_fleet_contact(struct store_txn *t, int64_t *at, char *err)
{
	MDB_val v;
	int rc;

	*at = 0;
	if ((rc = meta_get(t, &contact_key, &v, err)) < 0)
		return rc == ERR_NOTFOUND ? 0 : rc;
	if (v.mv_size != 8)
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: fleet contact time", t->st->dir);
	*at = (int64_t)((uint64_t)get_be32(v.mv_data) << 32 |
	    get_be32((const uint8_t *)v.mv_data + 4));
	return 0;
}

int
store_fleet_set_contact(struct store_txn *t, int64_t at, char *err)
{
	uint8_t b[8];
	MDB_val v = mkval(b, sizeof(b));
	int rc;

	be32(b, (uint32_t)((uint64_t)at >> 32));
	be32(b + 4, (uint32_t)at);
	rc = mdb_put(t->txn, t->st->meta, (MDB_val *)&contact_key, &v, 0);
	return rc == 0 ? 0 : txn_error(t, rc, err);
}

int
store_fleet_id_of(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char id[TOKEN_ID_LEN + 1], char *err)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = entry_key(kb, UUID_PREFIX, uuid), v;
	int rc;

	if ((rc = meta_get(t, &k, &v, err)) < 0)
		return rc;
	if (v.mv_size != TOKEN_ID_LEN)
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: entryUUID map", t->st->dir);
	memcpy(id, v.mv_data, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	return 0;
}

int
store_fleet_bind(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    const char *id, char *err)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = entry_key(kb, UUID_PREFIX, uuid),
	        v = mkval(id, TOKEN_ID_LEN);
	int rc;

	if (!token_id_valid(id))
		return err_set(err, ERR_INVAL, "invalid token id");
	rc = mdb_put(t->txn, t->st->meta, &k, &v, 0);
	return rc == 0 ? 0 : txn_error(t, rc, err);
}

int
store_fleet_unbind(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char *err)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = entry_key(kb, UUID_PREFIX, uuid);
	int rc;

	rc = mdb_del(t->txn, t->st->meta, &k, NULL);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : txn_error(t, rc, err);
}

/* The value: one byte of state, then the CSN. */
int
store_fleet_csn(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    char csn[FLEET_CSN_MAX + 1], enum fleet_csn_state *state, char *err)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = entry_key(kb, CSN_PREFIX, uuid), v;
	const uint8_t *p;
	int rc;

	if ((rc = meta_get(t, &k, &v, err)) < 0)
		return rc;
	p = v.mv_data;
	if (v.mv_size < 2 || v.mv_size > FLEET_CSN_MAX + 1 ||
	    (p[0] != FLEET_CSN_PRESENT && p[0] != FLEET_CSN_DELETED) ||
	    memchr(p + 1, '\0', v.mv_size - 1) != NULL)
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: entryCSN of a fleet entry", t->st->dir);
	*state = p[0];
	memcpy(csn, p + 1, v.mv_size - 1);
	csn[v.mv_size - 1] = '\0';
	return 0;
}

int
store_fleet_set_csn(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN],
    const char *csn, enum fleet_csn_state state, char *err)
{
	uint8_t kb[KEY_MAX], vb[1 + FLEET_CSN_MAX];
	size_t len = strlen(csn);
	MDB_val k = entry_key(kb, CSN_PREFIX, uuid), v = mkval(vb, 1 + len);
	int rc;

	if (len == 0 || len > FLEET_CSN_MAX ||
	    (state != FLEET_CSN_PRESENT && state != FLEET_CSN_DELETED))
		return err_set(err, ERR_INVAL, "invalid entryCSN");
	vb[0] = (uint8_t)state;
	memcpy(vb + 1, csn, len);
	rc = mdb_put(t->txn, t->st->meta, &k, &v, 0);
	return rc == 0 ? 0 : txn_error(t, rc, err);
}

int
store_fleet_each(struct store_txn *t, store_fleet_visit_fn fn, void *ctx,
    char *err)
{
	MDB_cursor *cur;
	MDB_val k = mkval(UUID_PREFIX, UUID_PREFIX_LEN), v;
	char id[TOKEN_ID_LEN + 1];
	int rc, ret = 0;

	if ((rc = mdb_cursor_open(t->txn, t->st->meta, &cur)) != 0)
		return txn_error(t, rc, err);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < UUID_PREFIX_LEN ||
		    memcmp(k.mv_data, UUID_PREFIX, UUID_PREFIX_LEN) != 0)
			break;
		if (k.mv_size != UUID_KEY_LEN || v.mv_size != TOKEN_ID_LEN) {
			ret = err_set(err, ERR_CORRUPT,
			    "%s: damaged store: entryUUID map", t->st->dir);
			break;
		}
		memcpy(id, v.mv_data, TOKEN_ID_LEN);
		id[TOKEN_ID_LEN] = '\0';
		ret = fn((const uint8_t *)k.mv_data + UUID_PREFIX_LEN, id, ctx);
		if (ret != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
		ret = txn_error(t, rc, err);
	return ret;
}
