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
#include "fleet_entry.h"
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
    const struct record *r, const char *csn, char *err)
{
	struct change *ch;

	if (csn != NULL && strlen(csn) != CSN_LEN)
		return err_set(err, ERR_INVAL, "bad entryCSN");
	if (grow_room(&b->v, b->n, &b->cap, sizeof(*b->v)) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	ch = &b->v[b->n++];
	memcpy(ch->uuid, uuid, FLEET_UUID_LEN);
	strcpy(ch->csn, csn != NULL ? csn : "");
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
 * The version ch carries is older than what the host has of its entry
 * (known, in state): older than the last version applied, or not newer
 * than the entry's delete.  The same version again is applied again (a
 * swept entry named anew).  CSNs compare as text, which is time order
 * when the providers' clocks agree, as OpenLDAP's mirror mode needs too.
 */
static bool
older(const struct change *ch, const char *known, enum fleet_csn_state state)
{
	int c;

	if (ch->csn[0] == '\0' || known[0] == '\0')
		return false;
	c = strcmp(ch->csn, known);
	return c < 0 || (c == 0 && state == FLEET_CSN_DELETED);
}

/* ch is left unapplied (older): say so, naming the token. */
static int
refused(struct store_txn *t, const struct change *ch, const char *known,
    enum fleet_csn_state state, char *err)
{
	char id[TOKEN_ID_LEN + 1] = "-";
	int rc;

	/* a version that could not be read has no record: name it by its map */
	if (!ch->gone)
		strcpy(id, ch->rec.id);
	else if ((rc = store_fleet_id_of(t, ch->uuid, id, err)) < 0 &&
	    rc != ERR_NOTFOUND)
		return rc;
	syslog(LOG_NOTICE,
	    "fleet token %s not changed: the provider's version (entryCSN "
	    "%s) is older than the host's %s (%s)",
	    id, ch->csn, state == FLEET_CSN_DELETED ? "delete" : "version",
	    known);
	return 0;
}

/*
 * The fleet record of uuid becomes a tombstone: refused, id kept.  *users
 * is set when it was a service user's.  The entry's CSN is left as it is:
 * apply keeps a delete's, and a record swept because a refresh did not
 * name it, or left behind by a new id, keeps the one of its last version,
 * as a provider that missed the entry's add may name it again later.
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
	if ((rc = store_txn_put(t, &ch->rec, err)) < 0 ||
	    (rc = store_fleet_set_csn(t, ch->uuid, ch->csn, FLEET_CSN_PRESENT,
	         err)) < 0)
		return rc;
	*users |= ch->rec.service_user;
	return store_fleet_bind(t, ch->uuid, ch->rec.id, err);
}

/* One change of a batch, unless the host has a newer version of it. */
static int
apply(struct store_txn *t, const struct change *ch, bool *users, char *err)
{
	char known[FLEET_CSN_MAX + 1] = "";
	enum fleet_csn_state state = FLEET_CSN_PRESENT;
	int rc;

	rc = store_fleet_csn(t, ch->uuid, known, &state, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (older(ch, known, state))
		return refused(t, ch, known, state, err);
	if (!ch->gone)
		return put(t, ch, users, err);
	/* The delete is kept at its CSN, or at the last version applied when
	 * it carries none: no version up to it comes back. */
	if (ch->csn[0] != '\0')
		strcpy(known, ch->csn);
	if (known[0] != '\0' &&
	    (rc = store_fleet_set_csn(t, ch->uuid, known, FLEET_CSN_DELETED,
	         err)) < 0)
		return rc;
	return drop(t, ch->uuid, users, err);
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
		rc = apply(t, &b->v[i], &k->users, err);
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

int
entry_record(LDAP *ld, LDAPMessage *e, struct record *r, char *err)
{
	char pwbuf[16384];
	struct passwd pw, *found = NULL;
	int rc;

	if ((rc = fleet_entry_record(ld, e, FLEET_ENTRY_HOST, r, err)) < 0)
		return rc;
	strcpy(r->created_by, "fleet");
	strcpy(r->updated_by, "fleet");
	/* A service user's uid is apitokenUidNumber, the same on every host. */
	if (r->service_user)
		return 0;
	if (getpwnam_r(r->user, &pw, pwbuf, sizeof(pwbuf), &found) == 0 &&
	    found != NULL)
		/* A personal token is bound to its owner's account here. */
		r->uid = pw.pw_uid;
	else
		/* No such account here: no uid matches, nothing logs in. */
		r->uid = UINT32_MAX;
	return 0;
}
