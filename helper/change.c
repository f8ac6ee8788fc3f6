/* SPDX-License-Identifier: ISC */
/*
 * change.c - suspend, activate, revoke, delete, rotate and unlock.
 *
 * Every change is one committed record first: that is the moment PAM sees
 * it.  What follows in the passwd files comes after, marked by a pending
 * state that `apitoken check --repair` finishes if we are killed:
 *   revoke  REVOKED + pending lock -> end its processes, usermod -L -e 1
 *           -> done
 *   delete  PENDING + pending delete -> end its processes, userdel ->
 *           DELETED (a tombstone that keeps the id and uid from reuse)
 * Only accounts we created are ever removed.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apitoken.h"
#include "err.h"
#include "fdio.h"
#include "token.h"
#include "when.h"

struct args {
	const char *what;
	const char *grace;
	const char *expires;
	int64_t expires_at; /* --expires, parsed */
	bool leaked;        /* revoke --token -: the token itself, on stdin */
	bool self;          /* rotate --self: the caller's own service token */
};

static int
parse(struct ctx *c, const char *cmd, int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "grace", required_argument, NULL, 'g' },
		{ "expires", required_argument, NULL, 'e' },
		{ "token", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "self", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c->json = true;
			break;
		case 'g':
			if (strcmp(cmd, "rotate") != 0)
				return fail(EXIT_USAGE,
				    "--grace is for rotate only");
			a->grace = optarg;
			break;
		case 'e':
			if (strcmp(cmd, "rotate") != 0)
				return fail(EXIT_USAGE,
				    "--expires is for rotate only");
			a->expires = optarg;
			break;
		case 's':
			if (strcmp(cmd, "rotate") != 0)
				return fail(EXIT_USAGE,
				    "--self is for rotate only");
			a->self = true;
			break;
		case 't':
			/* Never on the command line, where ps(1) shows it. */
			if (strcmp(cmd, "revoke") != 0 ||
			    strcmp(optarg, "-") != 0)
				return fail(EXIT_USAGE,
				    "--token - (the token on standard input) "
				    "is "
				    "for revoke only");
			a->leaked = true;
			break;
		case 'u':
			c->owner = optarg;
			break;
		case 'h':
			command_help(cmd);
		default:
			return fail(EXIT_USAGE,
			    "%s: unknown or incomplete option '%.32s'; see "
			    "apitoken %s --help",
			    cmd, argv[optind - 1], cmd);
		}
	}
	if (a->self) {
		if (optind != argc || a->expires != NULL || c->owner != NULL)
			return fail(EXIT_USAGE,
			    "rotate --self takes no ID, NAME, --user or "
			    "--expires: it "
			    "renews the caller's own token for what root "
			    "granted");
		return 0;
	}
	if (a->leaked) {
		if (optind != argc)
			return fail(EXIT_USAGE,
			    "revoke --token - takes no ID or NAME: the token "
			    "names itself");
		return 0;
	}
	if (optind != argc - 1)
		return fail(EXIT_USAGE, "usage: apitoken %s ID|NAME", cmd);
	a->what = argv[optind];
	if (strlen(a->what) > 64)
		return fail(EXIT_USAGE,
		    "'%.20s...' is neither a token id nor a name", a->what);
	return 0;
}

/*
 * What an owner may not undo: a suspension root made, and an expiry root
 * set (rotate --expires may bring it forward, never push it back).
 * 0, or the refusal's exit status, printed.
 */
static int
owner_may(const struct ctx *c, const struct args *a, const char *widen,
    const struct record *r)
{
	if (c->root || widen == NULL)
		return 0;
	if (strcmp(widen, "activate") == 0 && r->status == STATUS_SUSPENDED &&
	    r->status_uid != (uint32_t)c->ruid)
		return fail(EXIT_REFUSED,
		    "root suspended token %s; only root may activate it",
		    r->id);
	if (a->expires != NULL && r->limits_uid != (uint32_t)c->ruid &&
	    (a->expires_at == 0 ||
	        (r->expires_at != 0 && a->expires_at > r->expires_at)))
		return fail(EXIT_REFUSED,
		    "root set the expiry of token %s; you may bring it "
		    "forward, only root may extend it",
		    r->id);
	return 0;
}

/*
 * Open, lock and select; the caller closes st.  A change that widens a
 * token (widen names it) first asks a non-root caller for their password,
 * after the token is known to be theirs and allowed to them and before the
 * lock is taken, then selects and judges again by id under the lock: the
 * record may have moved meanwhile.
 */
static int
begin(struct ctx *c, const struct args *a, const char *widen, struct store **st,
    struct record *r)
{
	char err[ERR_MAX], id[TOKEN_ID_LEN + 1];
	const char *what = a->what;
	int rc;

	if ((rc = store_open(st, c->store_dir, 0, err)) < 0)
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_NOTFOUND ? "no tokens yet" : err);
	if (widen != NULL && !c->root) {
		if ((rc = select_token(c, *st, what, r)) != 0 ||
		    (rc = owner_may(c, a, widen, r)) != 0 ||
		    (rc = reauth(c, widen)) != 0)
			return rc;
		strcpy(id, r->id);
		what = id;
	}
	if ((rc = hold_lock(*st, err)) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if ((rc = select_token(c, *st, what, r)) != 0)
		return rc;
	return owner_may(c, a, widen, r);
}

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
begin_self(struct ctx *c, struct store **st, struct record *r)
{
	struct by_uid b = { (uint32_t)c->ruid, r };
	char err[ERR_MAX];
	int rc;

	if (c->root)
		return fail(EXIT_USAGE,
		    "rotate --self is for a service user's own token; root "
		    "names the token");
	if (!c->conf.self_service)
		return fail(EXIT_REFUSED, "self-service is off in %s",
		    c->conf_path);
	if ((rc = store_open(st, c->store_dir, 0, err)) < 0)
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_NOTFOUND ? "no tokens yet" : err);
	if ((rc = hold_lock(*st, err)) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	rc = store_read(*st, by_uid_fn, &b, err);
	if (rc == ERR_NOTFOUND || (rc == 0 && !r->service_user) ||
	    (rc == 0 && strcmp(r->user, c->caller) != 0))
		return fail(EXIT_REFUSED,
		    "%s is not the service user of a token", c->caller);
	if (rc < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if (r->status == STATUS_SUSPENDED)
		return fail(EXIT_REFUSED,
		    "token %s is suspended; only root may rotate it", r->id);
	return 0;
}

int
token_revoke(struct ctx *c, struct store *st, struct record *r, char *err)
{
	int rc;

	r->status = STATUS_REVOKED;
	r->status_uid = (uint32_t)c->ruid;
	r->pending = r->service_user ? PENDING_LOCK : PENDING_NONE;
	record_touch(r, c->now, c->caller);
	if ((rc = save_record(st, r, err)) < 0 || !r->service_user)
		return rc;
	crash_point(c, "revoke:after-record");
	if ((rc = account_lock(r, err)) < 0)
		return rc;
	r->pending = PENDING_NONE;
	return save_record(st, r, err);
}

int
token_revoke_spent(struct ctx *c, struct store *st, struct record *r, char *err)
{
	struct usage u;
	int rc;

	if (r->max_uses == 0 || store_usage_get(st, r->id, &u, NULL) < 0 ||
	    !hygiene_spent(r, &u))
		return 0;
	if ((rc = token_revoke(c, st, r, err)) < 0)
		return rc;
	audit_change(c, "revoked", r, "all of its uses are spent");
	return 1;
}

int
token_refuse_spent(struct store *st, const struct record *r, const char *what)
{
	struct usage u;

	if (r->max_uses == 0 || store_usage_get(st, r->id, &u, NULL) < 0 ||
	    !hygiene_spent(r, &u))
		return 0;
	return fail(EXIT_REFUSED,
	    "token %s has spent all of its %u uses: it is revoked, and "
	    "cannot be %s",
	    r->id, r->max_uses, what);
}

int
token_delete(struct ctx *c, struct store *st, struct record *r, char *err)
{
	int rc;

	if (r->service_user) {
		r->status = STATUS_PENDING;
		r->pending = PENDING_DELETE;
		record_touch(r, c->now, c->caller);
		if ((rc = save_record(st, r, err)) < 0)
			return rc;
		crash_point(c, "delete:after-pending");
		if (account_is_ours(r) && (rc = account_delete(r, err)) < 0)
			return rc;
		crash_point(c, "delete:after-userdel");
	}
	r->status = STATUS_DELETED;
	r->status_uid = (uint32_t)c->ruid;
	r->pending = PENDING_NONE;
	record_touch(r, c->now, c->caller);
	/* Its usage stays with the tombstone: when it was last used matters
	 * most once it is gone. */
	return save_record(st, r, err);
}

/*
 * The state changes.  A token must have status from (ANY: any but pending)
 * and must not have status to already; run does the steps described at
 * the top of the file, or, when NULL, the change is the one record write.
 * done is what the audit line says.
 */
#define ANY -1
static const struct action {
	const char *name;
	int from;
	enum record_status to;
	const char *done;
	int (
	    *run)(struct ctx *c, struct store *st, struct record *r, char *err);
} actions[] = {
	{ "suspend", STATUS_ACTIVE, STATUS_SUSPENDED, "suspended", NULL },
	{ "activate", STATUS_SUSPENDED, STATUS_ACTIVE, "activated", NULL },
	{ "revoke", ANY, STATUS_REVOKED, "revoked", token_revoke },
	{ "delete", ANY, STATUS_DELETED, "deleted", token_delete },
};

static const struct action *
find_action(const char *name)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, name) == 0)
			return &actions[i];
	return NULL;
}

/*
 * revoke --token -: a leaked token, read from stdin, revokes itself.  Its
 * checksum rejects a scanner's false positive offline; its id finds the
 * record; its hash proves it is that token's secret (the current one, or
 * the one before a rotate while its grace lasts), so a made-up string with
 * a real id revokes nothing.  Root only: the answer says whose it was.
 */
static int
revoke_leaked(struct ctx *c)
{
	char in[512], err[ERR_MAX], when[WHEN_BUF], id[TOKEN_ID_LEN + 1];
	struct store *st = NULL;
	struct token t;
	struct record r;
	uint8_t hash[TOKEN_HASH_LEN];
	const char *why = NULL;
	size_t n, start = 0;
	bool current, old;
	int rc;

	if (!c->root)
		return fail(EXIT_REFUSED, "revoke --token is for root");
	n = fdio_read_all(STDIN_FILENO, in, sizeof(in));
	while (start < n && isspace((unsigned char)in[start]))
		start++;
	while (n > start && isspace((unsigned char)in[n - 1]))
		n--;
	rc = token_parse(in + start, n - start, &t, &why);
	explicit_bzero(in, sizeof(in));
	if (rc < 0)
		return fail(EXIT_USAGE, "standard input holds no token (%s)",
		    why != NULL ? why : "malformed");
	token_hash(&t, hash);
	strcpy(id, t.id);
	token_wipe(&t);
	rc = EXIT_REFUSED;
	if (store_open(&st, c->store_dir, 0, err) < 0 ||
	    hold_lock(st, err) < 0) {
		fail(rc, "%s", err);
		goto out;
	}
	if (store_get(st, id, &r, err) < 0) {
		fail(rc, "no token %s in this store: not ours, or made up", id);
		goto out;
	}
	current = token_hash_equal(hash, r.hash);
	old = token_hash_equal(hash, r.old_hash) && r.old_hash_until > c->now;
	if (!current && !old) {
		fail(rc,
		    "the secret is not token %s's (made up, or an old one that "
		    "no longer works): nothing revoked",
		    r.id);
		goto out;
	}
	if (r.status == STATUS_PENDING || r.status == STATUS_DELETED ||
	    r.status == STATUS_REVOKED) {
		fprintf(stderr,
		    "apitoken: token %s '%s' of user %s is %s already; it "
		    "cannot log in\n",
		    r.id, r.name, r.user,
		    r.status == STATUS_PENDING ? "being changed" :
		                                 record_status_name(r.status));
		rc = 0;
		goto out;
	}
	if (token_revoke(c, st, &r, err) < 0) {
		fail(rc, "revoke: %s", err);
		goto out;
	}
	audit_change(c, "revoked", &r, "leaked token presented");
	if (c->json)
		print_record(c, st, &r, NULL);
	else
		fprintf(stderr,
		    "apitoken: leaked token %s '%s' of user %s%s (created %s "
		    "by %s) is revoked\n",
		    r.id, r.name, r.user,
		    r.service_user ? ", a service user" : "",
		    when_format(r.created_at, when), r.created_by);
	rc = 0;
out:
	explicit_bzero(hash, sizeof(hash));
	hold_release();
	store_close(st);
	return rc;
}

/* suspend, activate, revoke and delete: the command's name is the action. */
int
cmd_change(struct ctx *c, int argc, char **argv)
{
	const struct action *act = find_action(argv[0]);
	struct args a = { 0 };
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX];
	int rc;

	if (act == NULL)
		return fail(EXIT_USAGE, "unknown command '%.32s'", argv[0]);
	if ((rc = parse(c, act->name, argc, argv, &a)) != 0)
		return rc;
	if (a.leaked)
		return revoke_leaked(c);
	if ((rc = begin(c, &a,
	         strcmp(act->name, "activate") == 0 ? "activate" : NULL, &st,
	         &r)) != 0)
		goto out;
	rc = EXIT_REFUSED;
	if (select_settled(&r) != 0)
		goto out;
	if (act->from != ANY && (int)r.status != act->from) {
		fail(rc, "token %s is %s, not %s", r.id,
		    record_status_name(r.status),
		    record_status_name(act->from));
		goto out;
	}
	if (r.status == act->to) {
		fail(rc, "token %s is already %s", r.id,
		    record_status_name(r.status));
		goto out;
	}
	/* Spent is revoked in all but the record, which revoke catches up. */
	if (act->run == NULL && token_refuse_spent(st, &r, act->done) != 0)
		goto out;
	if (act->to == STATUS_ACTIVE && select_same_account(&r) != 0)
		goto out;
	if (act->run != NULL)
		rc = act->run(c, st, &r, err);
	else {
		r.status = act->to;
		r.status_uid = (uint32_t)c->ruid;
		record_touch(&r, c->now, c->caller);
		rc = save_record(st, &r, err);
	}
	if (rc < 0) {
		rc = fail(EXIT_REFUSED, "%s: %s", act->name, err);
		goto out;
	}
	audit(c, act->done, &r);
	rc = 0;
	if (c->json)
		rc = print_record(c, st, &r, NULL);
	else
		fprintf(stderr, "apitoken: token %s '%s' is %s\n", r.id, r.name,
		    record_status_name(r.status));
out:
	hold_release();
	store_close(st);
	return rc;
}

struct unlock_ctx {
	int64_t now;
	bool was_locked;
};

static int
clear_lockout(struct usage *u, void *ctx)
{
	struct unlock_ctx *x = ctx;

	static const struct usage_source none;
	bool any = false;

	x->was_locked = usage_locked_until(u, x->now) != 0;
	for (int i = 0; i < USAGE_SOURCES; i++)
		any |= memcmp(&u->sources[i], &none, sizeof(none)) != 0;
	memset(u->sources, 0, sizeof(u->sources));
	return any ? 0 : 1;
}

/* Only root lifts a lockout: a user who could would make it pointless. */
int
cmd_unlock(struct ctx *c, int argc, char **argv)
{
	struct args a = { 0 };
	struct unlock_ctx x = { c->now, false };
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX];
	int rc;

	if ((rc = parse(c, "unlock", argc, argv, &a)) != 0)
		return rc;
	if (!c->root)
		return fail(EXIT_REFUSED, "only root may lift a lockout");
	if ((rc = begin(c, &a, NULL, &st, &r)) != 0)
		goto out;
	if (store_usage_update(st, r.id, clear_lockout, &x, err) < 0) {
		rc = fail(EXIT_REFUSED, "unlock: %s", err);
		goto out;
	}
	/* Failures short of a lockout are cleared too, but nothing was lifted.
	 */
	if (x.was_locked)
		audit(c, "unlocked", &r);
	rc = 0;
	if (c->json)
		rc = print_record(c, st, &r, NULL);
	else if (x.was_locked)
		fprintf(stderr,
		    "apitoken: token %s '%s' is no longer locked out\n", r.id,
		    r.name);
	else
		fprintf(stderr,
		    "apitoken: token %s '%s' was not locked out; nothing to "
		    "lift\n",
		    r.id, r.name);
out:
	hold_release();
	store_close(st);
	return rc;
}

int
cmd_rotate(struct ctx *c, int argc, char **argv)
{
	struct args a = { 0 };
	struct store *st = NULL;
	struct record r;
	struct token t;
	char tok[TOKEN_LEN + 1] = "", err[ERR_MAX], when[WHEN_BUF];
	int64_t grace = 0, expires = 0;
	int rc;

	if ((rc = parse(c, "rotate", argc, argv, &a)) != 0)
		return rc;
	if (a.grace != NULL && when_parse_duration(a.grace, &grace, err) < 0)
		return fail(EXIT_USAGE, "--grace: %s", err);
	if (a.expires != NULL &&
	    when_parse_expiry(a.expires, c->now, &expires, err) < 0)
		return fail(EXIT_USAGE, "%s", err);
	a.expires_at = expires;
	if (a.expires != NULL && c->conf.max_lifetime != 0 &&
	    (expires == 0 || expires - c->now > c->conf.max_lifetime))
		return fail(EXIT_REFUSED,
		    "expiry beyond the maximum lifetime of %lld days set in %s",
		    (long long)(c->conf.max_lifetime / 86400), c->conf_path);
	/* The old secret is a token too: no grace beyond any token's lifetime.
	 */
	if (c->conf.max_lifetime != 0 && grace > c->conf.max_lifetime)
		return fail(EXIT_REFUSED,
		    "--grace %s is longer than max_lifetime (%lld days) in "
		    "%s",
		    a.grace, (long long)(c->conf.max_lifetime / 86400),
		    c->conf_path);
	if ((rc = a.self ? begin_self(c, &st, &r) :
	                   begin(c, &a, "rotate", &st, &r)) != 0)
		goto out;
	rc = EXIT_REFUSED;
	if (r.status != STATUS_ACTIVE && r.status != STATUS_SUSPENDED) {
		fail(rc,
		    "token %s is %s; only active or suspended tokens rotate",
		    r.id, record_status_name(r.status));
		goto out;
	}
	if (record_expired(&r, c->now)) {
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
		a.expires_at = c->now + r.granted_lifetime;
		if (c->conf.max_lifetime != 0 &&
		    r.granted_lifetime > c->conf.max_lifetime)
			a.expires_at = c->now + c->conf.max_lifetime;
		a.expires = "granted";
		expires = a.expires_at;
	}
	/* The old secret must not outlive the token it belongs to. */
	if (grace > 0 && (a.expires != NULL ? expires : r.expires_at) != 0 &&
	    c->now + grace > (a.expires != NULL ? expires : r.expires_at)) {
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
	r.old_hash_until = grace > 0 ? c->now + grace : 0;
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
		if (c->root) {
			r.limits_uid = (uint32_t)c->ruid;
			r.granted_lifetime = expires ? expires - c->now : 0;
		}
	}
	record_touch(&r, c->now, c->caller);
	if ((rc = save_record(st, &r, err)) < 0) {
		rc = fail(EXIT_REFUSED, "rotate: %s", err);
		goto out;
	}
	/*
	 * Killed here, the new secret is lost (never shown) and the old one is
	 * void unless --grace: the owner rotates again.  Nothing is usable that
	 * should not be, and the account's later expiry is only a convenience.
	 */
	crash_point(c, "rotate:after-record");
	if (r.service_user && (rc = account_set_expiry(&r, err)) < 0) {
		rc = fail(EXIT_REFUSED, "rotate: %s", err);
		goto out;
	}
	if (a.self)
		audit_change(c, "rotated", &r,
		    "self, renewed for what root granted");
	else
		audit(c, "rotated", &r);
	rc = 0;
	if (c->json)
		rc = print_record(c, st, &r, tok);
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
