/* SPDX-License-Identifier: ISC */
/*
 * create.c - apitoken create NAME [options]
 *
 * A personal token (--user) is one write.  A service user takes three
 * steps, so that a kill at any moment leaves nothing usable behind:
 *   1. the record, PENDING (create), with a uid reserved   (PAM refuses it)
 *   2. useradd                                              (account exists)
 *   3. the record ACTIVE                                    (usable; printed)
 * `apitoken check --repair` rolls back a create stopped after step 1 or 2:
 * the token was never shown, so there is nothing to finish.
 * Either kind records the account's shadow last-change day
 * (account_since), which no rotate or update ever re-reads: a token made
 * for one account never works for a later one of the same name and uid.
 */
#include "config.h"

#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apitoken.h"
#include "cidr.h"
#include "err.h"
#include "grow.h"
#include "token.h"
#include "verify.h"
#include "when.h"

static int
uid_free(uint32_t uid)
{
	return getpwuid((uid_t)uid) == NULL && getgrgid((gid_t)uid) == NULL;
}

/* A user's tokens as max_tokens_per_user counts them, and their tombstones. */
struct owned {
	const char *user;
	unsigned live;
	int ntomb, cap;
	struct tomb {
		int64_t at;
		char id[TOKEN_ID_LEN + 1];
	} * tomb;
};

struct create {
	const struct invocation *inv;
	struct record *r;
	bool service;
	uint32_t min, max;
	struct owned owned;
	int ngone; /* the oldest tombstones of owned, removed */
};

struct dup {
	const char *user;
	bool service, found;
};

/* A name is the owner's once; a service token's name is nobody else's. */
static int
dup_fn(const struct record *r, void *ctx)
{
	struct dup *d = ctx;

	if (r->status != STATUS_DELETED &&
	    (strcmp(r->user, d->user) == 0 || (d->service && r->service_user)))
		d->found = true;
	return 0;
}

static int
owned_fn(const struct record *r, void *ctx)
{
	struct owned *o = ctx;

	if (strcmp(r->user, o->user) != 0)
		return 0;
	if (r->status != STATUS_DELETED) {
		o->live++;
		return 0;
	}
	if (grow_room(&o->tomb, o->ntomb, &o->cap, sizeof(*o->tomb)) < 0)
		return ERR_NOMEM;
	o->tomb[o->ntomb].at = r->updated_at;
	strcpy(o->tomb[o->ntomb].id, r->id);
	o->ntomb++;
	return 0;
}

static int
older_first(const void *a, const void *b)
{
	const struct tomb *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

/*
 * A user's own create: refused at max_tokens_per_user, and their oldest
 * tombstones removed so that fewer than that many stay.  A tombstone keeps
 * nothing from reuse that the store's uid counter does not, so the number
 * of records a user can leave behind is bounded.
 */
static int
limit(struct store_txn *t, struct create *x, char *err)
{
	unsigned max = x->inv->conf.max_tokens_per_user;
	struct owned *o = &x->owned;
	int rc;

	o->user = x->r->user;
	o->live = 0;
	o->ntomb = x->ngone = 0;
	if (x->inv->root || max == 0)
		return 0;
	/* Every record: tombstones are in no index by user. */
	if ((rc = store_txn_list(t, NULL, owned_fn, o, err)) < 0)
		return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
	if (o->live >= max)
		return err_set(err, ERR_LIMIT,
		    "you have %u tokens, as many as max_tokens_per_user in %s "
		    "allows; delete one, or ask root",
		    o->live, x->inv->conf_path);
	if (o->ntomb > 1)
		qsort(o->tomb, (size_t)o->ntomb, sizeof(*o->tomb), older_first);
	x->ngone = o->ntomb >= (int)max ? o->ntomb - (int)max + 1 : 0;
	for (int i = 0; i < x->ngone; i++)
		if ((rc = store_txn_del(t, o->tomb[i].id, err)) < 0)
			return rc;
	return 0;
}

static int
reserve_fn(struct store_txn *t, void *ctx, char *err)
{
	struct create *x = ctx;
	struct dup d = { x->r->user, x->service, false };
	int rc;

	if ((rc = store_txn_by_name(t, x->r->name, dup_fn, &d, err)) < 0)
		return rc;
	if (d.found && x->service)
		return err_set(err, ERR_EXISTS,
		    "a service token named '%s' already exists", x->r->name);
	if (d.found)
		return err_set(err, ERR_EXISTS,
		    "%s already has a token named '%s'", x->r->user,
		    x->r->name);
	if ((rc = limit(t, x, err)) < 0)
		return rc;
	if (x->service &&
	    (rc = store_txn_next_uid(t, x->min, x->max, uid_free, &x->r->uid,
	         err)) < 0)
		return rc;
	return store_txn_put(t, x->r, err);
}

/* --uses N: 1 to USES_MAX, decimal digits only; 0 or -1. */
static int
parse_uses(const char *s, uint32_t *n)
{
	uint32_t v = 0;

	if (*s == '\0' || strlen(s) > 6)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (v < 1 || v > USES_MAX)
		return -1;
	*n = v;
	return 0;
}

/*
 * A token with a use limit is counted in usage.mdb, which must be older
 * than the token: a login refuses one whose usage store was born in the
 * token's second or later, since its count may have been lost
 * (store_usage_count).  So the usage store is made first, if need be, and
 * the token is made in a later second, waiting out the current one when
 * the usage store is that new (once in a store's life).
 */
static int
usage_ready(const struct invocation *inv, struct store *st, struct record *r,
    char *err)
{
	const struct timespec tick = { 0, 100000000 };
	int64_t born, now = r->created_at;
	int rc;

	if ((rc = store_usage_birth(st, &born, err)) < 0)
		return rc;
	for (int i = 0; born != 0 && born >= now && i < 20; i++) {
		nanosleep(&tick, NULL);
		now = when_now();
	}
	if (born == 0 || born >= now)
		return err_set(err, ERR_UNAVAIL,
		    "%s/usage.mdb cannot count uses: it has no birth time "
		    "before now",
		    inv->store_dir);
	r->created_at = r->updated_at = now;
	return 0;
}

/* Options into r; 0, or an exit status. */
static int
parse(struct invocation *inv, int argc, char **argv, struct record *r,
    const char **user)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "description", required_argument, NULL, 'd' },
		{ "expires", required_argument, NULL, 'e' },
		{ "service", required_argument, NULL, 's' },
		{ "permission", required_argument, NULL, 'p' },
		{ "allow-from", required_argument, NULL, 'a' },
		{ "uses", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *expires = NULL, *why, *bad;
	char err[ERR_MAX];
	struct cidr block;
	int ch;

	*user = NULL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (optarg != NULL && (bad = input_problem(optarg)) != NULL)
			return fail(EXIT_USAGE, "--%s: %s",
			    input_opt_name(opts, ch), bad);
		switch (ch) {
		case 'u':
			*user = optarg;
			break;
		case 'd':
			if (!input_valid_text(optarg) ||
			    field_set(r->description, sizeof(r->description),
			        optarg) < 0)
				return fail(EXIT_USAGE,
				    "--description: at most %d bytes of "
				    "printable UTF-8",
				    DESC_MAX_LEN);
			break;
		case 'e':
			expires = optarg;
			break;
		case 's':
		case 'p':
			if (!input_valid_item(optarg) ||
			    strlist_add(ch == 's' ? &r->services :
			                            &r->permissions,
			        optarg) < 0)
				return fail(EXIT_USAGE,
				    "--%s '%.64s': at most %d of them, each "
				    "letters, digits and _ . : - *",
				    ch == 's' ? "service" : "permission",
				    optarg, LIST_MAX);
			break;
		case 'a':
			if (cidr_parse(optarg, &block, &why) < 0)
				return fail(EXIT_USAGE,
				    "--allow-from '%.64s': %s", optarg, why);
			if (strlist_add(&r->allowed_addresses, optarg) < 0)
				return fail(EXIT_USAGE,
				    "--allow-from: at most %d blocks",
				    LIST_MAX);
			break;
		case 'n':
			if (parse_uses(optarg, &r->max_uses) < 0)
				return fail(EXIT_USAGE,
				    "--uses '%.32s': a number of logins from 1 "
				    "to %d",
				    optarg, USES_MAX);
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("create");
		default:
			return fail(EXIT_USAGE,
			    "create: unknown or incomplete option '%.32s'; "
			    "see apitoken create --help",
			    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fail(EXIT_USAGE,
		    "create takes one NAME; see apitoken create --help");
	if ((bad = input_problem(argv[optind])) != NULL)
		return fail(EXIT_USAGE, "NAME: %s", bad);
	if (!input_valid_name(argv[optind]))
		return fail(EXIT_USAGE,
		    "invalid name '%.64s': use a-z, 0-9, _ and -, starting "
		    "with a letter or _, at most %d",
		    argv[optind], NAME_MAX_LEN);
	strcpy(r->name, argv[optind]);
	if (expires == NULL)
		r->expires_at = inv->conf.default_lifetime ?
		    inv->now + inv->conf.default_lifetime :
		    0;
	else if (when_parse_expiry(expires, inv->now, &r->expires_at, err) < 0)
		return fail(EXIT_USAGE, "%s", err);
	if (inv->conf.max_lifetime != 0 &&
	    (r->expires_at == 0 ||
	        r->expires_at - inv->now > inv->conf.max_lifetime))
		return fail(EXIT_REFUSED,
		    "expiry beyond the maximum lifetime of %lld days set in %s",
		    (long long)(inv->conf.max_lifetime / 86400),
		    inv->conf_path);
	/* What rotate --self may renew the token for, and no more. */
	r->granted_lifetime = r->expires_at ? r->expires_at - inv->now : 0;
	return 0;
}

int
cmd_create(struct invocation *inv, int argc, char **argv)
{
	struct record r;
	struct token t;
	uid_t uid;
	struct store *st = NULL;
	struct create x = { .inv = inv,
		.r = &r,
		.min = inv->conf.uid_min,
		.max = inv->conf.uid_max };
	char tok[TOKEN_LEN + 1] = "", err[ERR_MAX];
	const char *user;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = parse(inv, argc, argv, &r, &user)) != 0)
		return rc;
	x.service = user == NULL;
	if (x.service) {
		if (!inv->root)
			return fail(EXIT_REFUSED,
			    "only root may create service users; for your own "
			    "account use --user %s",
			    inv->caller);
		if (account_name_taken(r.name))
			return fail(EXIT_REFUSED,
			    "an account or group named '%s' already exists",
			    r.name);
		strcpy(r.user, r.name);
		r.service_user = true;
	} else {
		/*
		 * A service user's access is its service token's, which root
		 * revokes; a token of its own would outlive that.
		 */
		if (!inv->root && account_is_service(&inv->conf, inv->ruid))
			return fail(EXIT_REFUSED,
			    "%s is a service user: it may not make tokens for "
			    "itself; ask root",
			    inv->caller);
		if (!inv->root &&
		    (strcmp(user, inv->caller) != 0 || !inv->conf.self_service))
			return fail(EXIT_REFUSED,
			    inv->conf.self_service ?
			        "you may create tokens for your own account "
			        "(%s) only" :
			        "self-service tokens are disabled (%s); ask "
			        "root",
			    inv->conf.self_service ? inv->caller :
			                             inv->conf_path);
		if (strlen(user) > USER_MAX_LEN ||
		    (rc = account_uid(user, &uid)) == ERR_NOTFOUND)
			return fail(EXIT_REFUSED, "no account '%.64s'", user);
		if (rc < 0)
			return fail(EXIT_REFUSED,
			    "cannot look up the account '%s'", user);
		strcpy(r.user, user);
		r.uid = (uint32_t)uid;
	}
	if ((rc = policy_self_service(inv, &r)) != 0)
		return rc;
	/* Everything that could refuse without a password has; now ask. */
	if ((rc = reauth(inv, "create")) != 0)
		return rc;
	/*
	 * The account as it is now, so that a token never follows a later
	 * account of the same name and uid (verify.c account_open).  A service
	 * user's is read once useradd has made it.
	 */
	if (!x.service && verify_account_since(r.user, &r.account_since) < 0)
		return fail(EXIT_REFUSED, "cannot read the shadow entry of %s",
		    r.user);
	if (token_generate(&t, NULL, tok) < 0)
		return fail(EXIT_REFUSED, "cannot get random bytes");
	strcpy(r.id, t.id);
	token_hash(&t, r.hash);
	token_wipe(&t);
	r.created_at = r.updated_at = inv->now;
	strcpy(r.created_by, inv->caller);
	strcpy(r.updated_by, inv->caller);
	r.revision = 1;
	r.limits_uid = r.status_uid = (uint32_t)inv->ruid;
	r.status = x.service ? STATUS_PENDING : STATUS_ACTIVE;
	r.pending = x.service ? PENDING_CREATE : PENDING_NONE;

	if ((rc = store_open(&st, inv->store_dir, STORE_CREATE, err)) < 0 ||
	    (rc = hold_lock(st, err)) < 0 ||
	    (r.max_uses > 0 && (rc = usage_ready(inv, st, &r, err)) < 0) ||
	    (rc = store_write(st, reserve_fn, &x, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	if (x.service) {
		crash_point(inv, "create:after-pending");
		if (account_create(inv, &r, err) < 0) {
			/* Roll back: the uid stays reserved in the tombstone.
			 */
			fail(EXIT_REFUSED, "cannot create service user %s: %s",
			    r.user, err);
			r.status = STATUS_DELETED;
			r.pending = PENDING_NONE;
			if (save_record(st, &r, err) < 0)
				fail(EXIT_REFUSED,
				    "%s (run apitoken check --repair)", err);
			rc = EXIT_REFUSED;
			goto out;
		}
		crash_point(inv, "create:after-useradd");
		/* Left pending, as if cut short here: repair undoes it. */
		if (verify_account_since(r.user, &r.account_since) < 0) {
			rc = fail(EXIT_REFUSED,
			    "cannot read the shadow entry of %s (run apitoken "
			    "check --repair)",
			    r.user);
			goto out;
		}
		r.status = STATUS_ACTIVE;
		r.pending = PENDING_NONE;
		if ((rc = save_record(st, &r, err)) < 0) {
			rc = fail(EXIT_REFUSED,
			    "%s (run apitoken check --repair)", err);
			goto out;
		}
	}
	audit(inv, "created", &r);
	rc = 0;
	if (inv->json)
		rc = print_record(inv, st, &r, tok);
	else {
		/* Plain output is the token alone, so T=$(apitoken create x)
		 * works. */
		char when[WHEN_BUF];
		char uses[48] = "";
		if (r.max_uses > 0)
			snprintf(uses, sizeof(uses), ", good for %u login%s",
			    r.max_uses, r.max_uses == 1 ? "" : "s");
		fprintf(stdout, "%s\n", tok);
		fprintf(stderr,
		    "apitoken: created token %s '%s' for %s%s, expires %s%s; "
		    "this is the only time it is shown\n",
		    r.id, r.name, r.user,
		    r.service_user ? " (new service user)" : "",
		    when_format(r.expires_at, when), uses);
	}
out:
	explicit_bzero(tok, sizeof(tok));
	free(x.owned.tomb);
	hold_release();
	store_close(st);
	return rc;
}
