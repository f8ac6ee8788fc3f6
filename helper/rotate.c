/* SPDX-License-Identifier: ISC */
/*
 * rotate.c - apitoken rotate: a new secret under the same id, the old one
 * kept for --grace; rotate --self, a service user renewing its own token
 * for what root granted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "change.h"
#include "err.h"
#include "token.h"
#include "when.h"

struct by_uid {
	uint32_t uid;
	struct record *r;
};

static int
by_uid_fn(struct store_txn *t, void *ctx, char *err)
{
	struct by_uid *b = ctx;
	char id[TOKEN_ID_LEN + 1];
	int rc = store_txn_by_uid(t, b->uid, id, err);

	return rc < 0 ? rc : store_txn_get(t, id, b->r, err);
}

/*
 * rotate --self: the token whose service user is the caller.  Running as
 * that account is the proof (it has no password to ask for): whoever can
 * could use the token anyway.  Open, lock and find it; the caller closes st.
 */
static int
begin_self(struct invocation *inv, struct store **st, struct record *r)
{
	struct by_uid b = { (uint32_t)inv->ruid, r };
	char err[ERR_MAX];
	int rc;

	if (inv->root)
		return fail(EXIT_USAGE,
		    "rotate --self is for a service user's own token; root "
		    "names the token");
	if (!inv->conf.self_service)
		return fail(EXIT_REFUSED, "self-service is off in %s",
		    inv->conf_path);
	if ((rc = store_open(st, inv->store_dir, 0, err)) < 0)
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_NOTFOUND ? "no tokens yet" : err);
	if ((rc = hold_lock(*st, err)) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	rc = store_read(*st, by_uid_fn, &b, err);
	if (rc == ERR_NOTFOUND || (rc == 0 && !r->service_user) ||
	    (rc == 0 && strcmp(r->user, inv->caller) != 0))
		return fail(EXIT_REFUSED,
		    "%s is not the service user of a token", inv->caller);
	if (rc < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if (r->status == STATUS_SUSPENDED)
		return fail(EXIT_REFUSED,
		    "token %s is suspended; only root may rotate it", r->id);
	return 0;
}

int
cmd_rotate(struct invocation *inv, int argc, char **argv)
{
	struct change_args a = { 0 };
	struct store *st = NULL;
	struct record r;
	struct token t;
	char tok[TOKEN_LEN + 1] = "", err[ERR_MAX], when[WHEN_BUF];
	int64_t grace = 0, expires = 0;
	int rc;

	if ((rc = change_parse(inv, "rotate", argc, argv, &a)) != 0)
		return rc;
	if (a.grace != NULL && when_parse_duration(a.grace, &grace, err) < 0)
		return fail(EXIT_USAGE, "--grace: %s", err);
	if (a.expires != NULL &&
	    when_parse_expiry(a.expires, inv->now, &expires, err) < 0)
		return fail(EXIT_USAGE, "%s", err);
	a.expires_at = expires;
	if (a.expires != NULL && inv->conf.max_lifetime != 0 &&
	    (expires == 0 || expires - inv->now > inv->conf.max_lifetime))
		return fail(EXIT_REFUSED,
		    "expiry beyond the maximum lifetime of %lld days set in %s",
		    (long long)(inv->conf.max_lifetime / 86400),
		    inv->conf_path);
	/* The old secret is a token too: no grace beyond any token's lifetime.
	 */
	if (inv->conf.max_lifetime != 0 && grace > inv->conf.max_lifetime)
		return fail(EXIT_REFUSED,
		    "--grace %s is longer than max_lifetime (%lld days) in "
		    "%s",
		    a.grace, (long long)(inv->conf.max_lifetime / 86400),
		    inv->conf_path);
	if ((rc = a.self ? begin_self(inv, &st, &r) :
	                   change_begin(inv, &a, "rotate", &st, &r)) != 0)
		goto out;
	rc = EXIT_REFUSED;
	if (r.status != STATUS_ACTIVE && r.status != STATUS_SUSPENDED) {
		fail(rc,
		    "token %s is %s; only active or suspended tokens rotate",
		    r.id, record_status_name(r.status));
		goto out;
	}
	if (record_expired(&r, inv->now)) {
		fail(rc, "token %s has expired; create a new one", r.id);
		goto out;
	}
	/* A new secret keeps max_uses and the count: rotating renews no
	 * uses. */
	if (token_refuse_spent(st, &r, "rotated") != 0)
		goto out;
	/* Never a new secret for an account the token was not made for. */
	if (select_same_account(&r) != 0)
		goto out;
	/*
	 * Renewed as Vault renews: for the lifetime root last granted, from
	 * now, never past max_lifetime, never when root granted no expiry to
	 * move.  Services, permissions and addresses stay: never wider.
	 */
	if (a.self && r.granted_lifetime > 0 && r.expires_at != 0) {
		a.expires_at = inv->now + r.granted_lifetime;
		if (inv->conf.max_lifetime != 0 &&
		    r.granted_lifetime > inv->conf.max_lifetime)
			a.expires_at = inv->now + inv->conf.max_lifetime;
		a.expires = "granted";
		expires = a.expires_at;
	}
	/* The old secret must not outlive the token it belongs to. */
	if (grace > 0 && (a.expires != NULL ? expires : r.expires_at) != 0 &&
	    inv->now + grace > (a.expires != NULL ? expires : r.expires_at)) {
		fail(rc,
		    "--grace %s ends after the token expires; give a shorter "
		    "one",
		    a.grace);
		goto out;
	}
	if (token_generate(&t, r.id, tok) < 0) {
		fail(rc, "cannot get random bytes");
		goto out;
	}
	memcpy(r.old_hash, r.hash, TOKEN_HASH_LEN);
	r.old_hash_until = grace > 0 ? inv->now + grace : 0;
	token_hash(&t, r.hash);
	token_wipe(&t);
	/*
	 * A new secret keeps the token's expiry: rotating must never revive
	 * or extend a token behind the back of whoever set its lifetime.  Only
	 * --expires moves it, within the configured maximum.
	 */
	if (a.expires != NULL) {
		r.expires_at = expires;
		/* An owner's earlier expiry stays within root's limits. */
		if (inv->root) {
			r.limits_uid = (uint32_t)inv->ruid;
			r.granted_lifetime = expires ? expires - inv->now : 0;
		}
	}
	record_touch(&r, inv->now, inv->caller);
	if ((rc = save_record(st, &r, err)) < 0) {
		rc = fail(EXIT_REFUSED, "rotate: %s", err);
		goto out;
	}
	/*
	 * Killed here, the new secret is lost (never shown) and the old one is
	 * void unless --grace: the owner rotates again.  Nothing is usable that
	 * should not be, and the account's later expiry is only a convenience.
	 */
	crash_point(inv, "rotate:after-record");
	if (r.service_user && (rc = account_set_expiry(&r, err)) < 0) {
		rc = fail(EXIT_REFUSED, "rotate: %s", err);
		goto out;
	}
	if (a.self)
		audit_change(inv, "rotated", &r,
		    "self, renewed for what root granted");
	else
		audit(inv, "rotated", &r);
	rc = 0;
	if (inv->json)
		rc = print_record(inv, st, &r, tok);
	else {
		printf("%s\n", tok);
		fprintf(stderr,
		    "apitoken: new secret for token %s '%s', expires %s%s; "
		    "this is the only time it is shown\n",
		    r.id, r.name, when_format(r.expires_at, when),
		    grace > 0 ? "; the old secret works for the grace period" :
		                "");
	}
out:
	explicit_bzero(tok, sizeof(tok));
	hold_release();
	store_close(st);
	return rc;
}
