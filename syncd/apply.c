/* SPDX-License-Identifier: ISC */
/*
 * apply.c - directory entries to fleet records, and batches committed with
 * their cookie in one write transaction: a SIGKILL anywhere leaves the
 * store at the last cookie, and the next session resumes from there.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "err.h"
#include "grow.h"
#include "syncd.h"
#include "token.h"

void
batch_reset(struct batch *b)
{
	b->n = b->nseen = 0;
	b->new_cookie = b->sweep = false;
}

void
batch_free(struct batch *b)
{
	free(b->v);
	free(b->seen);
	memset(b, 0, sizeof(*b));
}

int
batch_seen(struct batch *b, const uint8_t uuid[FLEET_UUID_LEN], char *err)
{
	if (grow_room(&b->seen, b->nseen, &b->seencap, FLEET_UUID_LEN) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	memcpy(b->seen[b->nseen++], uuid, FLEET_UUID_LEN);
	return 0;
}

int
batch_change(struct batch *b, const uint8_t uuid[FLEET_UUID_LEN],
    const struct record *r, char *err)
{
	struct change *ch;

	if (grow_room(&b->v, b->n, &b->cap, sizeof(*b->v)) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	ch = &b->v[b->n++];
	memcpy(ch->uuid, uuid, FLEET_UUID_LEN);
	ch->gone = r == NULL;
	if (r != NULL)
		ch->rec = *r;
	return r != NULL ? batch_seen(b, uuid, err) : 0;
}

int
batch_set_cookie(struct batch *b, const struct berval *cookie, char *err)
{
	if (cookie->bv_len > FLEET_COOKIE_MAX)
		return err_set(err, ERR_LIMIT, "sync cookie of %lu bytes",
		    (unsigned long)cookie->bv_len);
	memcpy(b->cookie, cookie->bv_val, cookie->bv_len);
	b->cookie_len = cookie->bv_len;
	b->new_cookie = true;
	return 0;
}

/*
 * The fleet record of uuid becomes a tombstone: refused, id kept.  *users
 * is set when it was a service user's.
 */
static int
drop(struct store_txn *t, const uint8_t uuid[FLEET_UUID_LEN], bool *users,
    char *err)
{
	char id[TOKEN_ID_LEN + 1];
	struct record r;
	int rc;

	if ((rc = store_fleet_id_of(t, uuid, id, err)) == ERR_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if ((rc = store_txn_get(t, id, &r, err)) < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (rc == 0 && r.origin == ORIGIN_FLEET && r.status != STATUS_DELETED) {
		r.status = STATUS_DELETED;
		r.updated_at = time(NULL);
		if ((rc = store_txn_put(t, &r, err)) < 0)
			return rc;
		*users |= r.service_user;
		syslog(LOG_NOTICE, "fleet token %s removed", id);
	}
	return store_fleet_unbind(t, uuid, err);
}

static int
put(struct store_txn *t, const struct change *ch, bool *users, char *err)
{
	char id[TOKEN_ID_LEN + 1];
	struct record old;
	int rc;

	/* An entry renamed to another id leaves its old id behind. */
	rc = store_fleet_id_of(t, ch->uuid, id, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (rc == 0 && strcmp(id, ch->rec.id) != 0 &&
	    (rc = drop(t, ch->uuid, users, err)) < 0)
		return rc;
	rc = store_txn_get(t, ch->rec.id, &old, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (rc == 0 && old.origin != ORIGIN_FLEET) {
		syslog(LOG_ERR,
		    "fleet token %s refused: a local token has that id",
		    ch->rec.id);
		return 0;
	}
	if ((rc = store_txn_put(t, &ch->rec, err)) < 0)
		return rc;
	*users |= ch->rec.service_user;
	return store_fleet_bind(t, ch->uuid, ch->rec.id, err);
}

static int
uuid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, FLEET_UUID_LEN);
}

struct sweep {
	const struct batch *b;
	uint8_t (*gone)[FLEET_UUID_LEN];
	int n, cap;
};

static int
sweep_visit(const uint8_t uuid[FLEET_UUID_LEN], const char *id, void *ctx)
{
	struct sweep *s = ctx;

	(void)id;
	if (s->b->nseen > 0 &&
	    bsearch(uuid, s->b->seen, s->b->nseen, FLEET_UUID_LEN, uuid_cmp))
		return 0;
	if (grow_room(&s->gone, s->n, &s->cap, FLEET_UUID_LEN) < 0)
		return ERR_NOMEM;
	memcpy(s->gone[s->n++], uuid, FLEET_UUID_LEN);
	return 0;
}

struct commit {
	struct batch *b;
	int64_t now;
	bool users; /* a service user's record changed */
};

static int
commit_fn(struct store_txn *t, void *ctx, char *err)
{
	struct commit *k = ctx;
	struct batch *b = k->b;
	struct sweep s = { .b = b };
	int rc = 0;

	k->users = false;
	for (int i = 0; i < b->n && rc == 0; i++)
		rc = b->v[i].gone ? drop(t, b->v[i].uuid, &k->users, err) :
		                    put(t, &b->v[i], &k->users, err);
	if (rc == 0 && b->sweep) {
		/* What the present phase did not name is gone. */
		/* none seen: no array, which qsort and bsearch must not get */
		if (b->nseen > 0)
			qsort(b->seen, b->nseen, FLEET_UUID_LEN, uuid_cmp);
		rc = store_fleet_each(t, sweep_visit, &s, err);
		if (rc == ERR_NOMEM)
			err_set(err, rc, "out of memory");
		for (int i = 0; i < s.n && rc == 0; i++)
			rc = drop(t, s.gone[i], &k->users, err);
		free(s.gone);
	}
	if (rc == 0 && b->new_cookie)
		rc = store_fleet_set_cookie(t, b->cookie, b->cookie_len, err);
	if (rc == 0)
		rc = store_fleet_set_contact(t, k->now, err);
	return rc;
}

int
batch_commit(struct store *st, struct batch *b, int64_t now, char *err)
{
	struct commit k = { b, now, false };
	int rc;

#ifdef APITOKEN_TEST_HOOKS
	/* Crash point: the batch arrived, nothing of it is written. */
	if (b->n > 0 && getenv("APITOKEN_SYNCD_CRASH_BEFORE_COMMIT") != NULL)
		abort();
#endif
	rc = store_write(st, commit_fn, &k, err);
	if (rc == 0)
		batch_reset(b);
	if (rc == 0 && k.users)
		users_settle();
	return rc;
}

/* GeneralizedTime as the directory writes it: YYYYMMDDHHMMSSZ. */
static int
gentime(const struct berval *v, int64_t *out)
{
	struct tm tm;
	char buf[32];
	char *end;

	if (v->bv_len < 15 || v->bv_len >= sizeof(buf))
		return -1;
	memcpy(buf, v->bv_val, v->bv_len);
	buf[v->bv_len] = '\0';
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%Y%m%d%H%M%S", &tm);
	/* fractions of a second are dropped */
	if (end != NULL && *end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (end == NULL || strcmp(end, "Z") != 0)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* The one value of attribute a as a string into dst (cap); 1 when absent. */
static int
one(LDAP *ld, LDAPMessage *e, const char *a, char *dst, size_t cap)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc;

	if (v == NULL || v[0] == NULL) {
		ldap_value_free_len(v);
		return 1;
	}
	rc = v[0]->bv_len < cap &&
	        memchr(v[0]->bv_val, 0, v[0]->bv_len) == NULL ?
	    0 :
	    -1;
	if (rc == 0) {
		memcpy(dst, v[0]->bv_val, v[0]->bv_len);
		dst[v[0]->bv_len] = '\0';
		rc = field_set(dst, cap, dst) < 0 ? -1 : 0;
	}
	ldap_value_free_len(v);
	return rc;
}

static int
list(LDAP *ld, LDAPMessage *e, const char *a, struct strlist *l)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	char item[ITEM_MAX_LEN + 1];
	int rc = 0;

	l->n = 0;
	for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++) {
		if (v[i]->bv_len > ITEM_MAX_LEN ||
		    memchr(v[i]->bv_val, 0, v[i]->bv_len) != NULL) {
			rc = -1;
			break;
		}
		memcpy(item, v[i]->bv_val, v[i]->bv_len);
		item[v[i]->bv_len] = '\0';
		rc = strlist_add(l, item) < 0 ? -1 : 0;
	}
	ldap_value_free_len(v);
	return rc;
}

static int
hash(LDAP *ld, LDAPMessage *e, const char *a, uint8_t out[TOKEN_HASH_LEN])
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc = 1;

	if (v != NULL && v[0] != NULL) {
		rc = v[0]->bv_len == TOKEN_HASH_LEN ? 0 : -1;
		if (rc == 0)
			memcpy(out, v[0]->bv_val, TOKEN_HASH_LEN);
	}
	ldap_value_free_len(v);
	return rc;
}

static int
timeval(LDAP *ld, LDAPMessage *e, const char *a, int64_t *out)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc = 1;

	*out = 0;
	if (v != NULL && v[0] != NULL)
		rc = gentime(v[0], out);
	ldap_value_free_len(v);
	return rc;
}

int
entry_record(LDAP *ld, LDAPMessage *e, struct record *r, char *err)
{
	char buf[64], pwbuf[16384];
	struct passwd pw, *found = NULL;
	char *end;

	memset(r, 0, sizeof(*r));
	r->origin = ORIGIN_FLEET;
	if (one(ld, e, "apitokenId", r->id, sizeof(r->id)) != 0 ||
	    !token_id_valid(r->id))
		return err_set(err, ERR_INVAL, "no valid apitokenId");
	if (hash(ld, e, "apitokenSecretHash", r->hash) != 0)
		return err_set(err, ERR_INVAL, "no valid apitokenSecretHash");
	if (hash(ld, e, "apitokenGraceHash", r->old_hash) < 0 ||
	    timeval(ld, e, "apitokenGraceNotAfter", &r->old_hash_until) < 0)
		return err_set(err, ERR_INVAL, "bad grace hash or time");
	if (one(ld, e, "apitokenOwner", r->user, sizeof(r->user)) != 0)
		return err_set(err, ERR_INVAL, "no valid apitokenOwner");
	if (one(ld, e, "cn", r->name, sizeof(r->name)) < 0 ||
	    one(ld, e, "description", r->description, sizeof(r->description)) <
	        0)
		return err_set(err, ERR_INVAL, "bad cn or description");
	if (one(ld, e, "apitokenStatus", buf, sizeof(buf)) != 0)
		return err_set(err, ERR_INVAL, "no apitokenStatus");
	if (strcasecmp(buf, "active") == 0)
		r->status = STATUS_ACTIVE;
	else if (strcasecmp(buf, "suspended") == 0)
		r->status = STATUS_SUSPENDED;
	else /* revoked, and anything this version does not know */
		r->status = STATUS_REVOKED;
	if (list(ld, e, "apitokenService", &r->services) < 0 ||
	    list(ld, e, "apitokenPermission", &r->permissions) < 0 ||
	    list(ld, e, "apitokenAllowFrom", &r->allowed_addresses) < 0 ||
	    list(ld, e, "apitokenHost", &r->hosts) < 0)
		return err_set(err, ERR_INVAL, "a list too long or bad");
	if (timeval(ld, e, "apitokenNotAfter", &r->expires_at) < 0 ||
	    timeval(ld, e, "createTimestamp", &r->created_at) < 0 ||
	    timeval(ld, e, "modifyTimestamp", &r->updated_at) < 0)
		return err_set(err, ERR_INVAL, "bad time");
	strcpy(r->created_by, "fleet");
	strcpy(r->updated_by, "fleet");
	if (one(ld, e, "apitokenRevision", buf, sizeof(buf)) == 0)
		r->revision = strtoull(buf, NULL, 10);
	if (one(ld, e, "apitokenServiceUser", buf, sizeof(buf)) == 0)
		r->service_user = strcmp(buf, "TRUE") == 0;
	if (r->service_user) {
		if (one(ld, e, "apitokenUidNumber", buf, sizeof(buf)) != 0 ||
		    (r->uid = (uint32_t)strtoul(buf, &end, 10)) == 0 ||
		    *end != '\0')
			return err_set(err, ERR_INVAL,
			    "a service user without apitokenUidNumber");
	} else if (getpwnam_r(r->user, &pw, pwbuf, sizeof(pwbuf), &found) ==
	        0 &&
	    found != NULL) {
		/* A personal token is bound to the account as this host has it.
		 */
		r->uid = pw.pw_uid;
	} else {
		/* No such account here: no uid matches, nothing logs in. */
		r->uid = UINT32_MAX;
	}
	return 0;
}
