/* SPDX-License-Identifier: ISC */
/*
 * change.c - suspend, activate, revoke and delete, and what the commands
 * that change one token share (change.h: rotate.c, unlock.c, leak.c).
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

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "change.h"
#include "err.h"
#include "token.h"

int
change_parse(struct invocation *inv, const char *cmd, int argc, char **argv,
    struct change_args *a)
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
			inv->json = true;
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
			inv->owner = optarg;
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
		if (optind != argc || a->expires != NULL || inv->owner != NULL)
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
owner_may(const struct invocation *inv, const struct change_args *a,
    const char *widen, const struct record *r)
{
	if (inv->root || widen == NULL)
		return 0;
	if (strcmp(widen, "activate") == 0 && r->status == STATUS_SUSPENDED &&
	    r->status_uid != (uint32_t)inv->ruid)
		return fail(EXIT_REFUSED,
		    "root suspended token %s; only root may activate it",
		    r->id);
	if (a->expires != NULL && r->limits_uid != (uint32_t)inv->ruid &&
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
int
change_begin(struct invocation *inv, const struct change_args *a,
    const char *widen, struct store **st, struct record *r)
{
	char err[ERR_MAX], id[TOKEN_ID_LEN + 1];
	const char *what = a->what;
	int rc;

	if ((rc = store_open(st, inv->store_dir, 0, err)) < 0)
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_NOTFOUND ? "no tokens yet" : err);
	if (widen != NULL && !inv->root) {
		if ((rc = select_token(inv, *st, what, r)) != 0 ||
		    (rc = owner_may(inv, a, widen, r)) != 0 ||
		    (rc = reauth(inv, widen)) != 0)
			return rc;
		strcpy(id, r->id);
		what = id;
	}
	if ((rc = hold_lock(*st, err)) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if ((rc = select_token(inv, *st, what, r)) != 0)
		return rc;
	return owner_may(inv, a, widen, r);
}

int
token_revoke(struct invocation *inv, struct store *st, struct record *r,
    char *err)
{
	int rc;

	r->status = STATUS_REVOKED;
	r->status_uid = (uint32_t)inv->ruid;
	r->pending = r->service_user ? PENDING_LOCK : PENDING_NONE;
	record_touch(r, inv->now, inv->caller);
	if ((rc = save_record(st, r, err)) < 0 || !r->service_user)
		return rc;
	crash_point(inv, "revoke:after-record");
	if ((rc = account_lock(r, err)) < 0)
		return rc;
	r->pending = PENDING_NONE;
	return save_record(st, r, err);
}

int
token_revoke_spent(struct invocation *inv, struct store *st, struct record *r,
    char *err)
{
	struct usage u;
	int rc;

	if (r->max_uses == 0 || store_usage_get(st, r->id, &u, NULL) < 0 ||
	    !hygiene_spent(r, &u))
		return 0;
	if ((rc = token_revoke(inv, st, r, err)) < 0)
		return rc;
	audit_change(inv, "revoked", r, "all of its uses are spent");
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
token_delete(struct invocation *inv, struct store *st, struct record *r,
    char *err)
{
	int rc;

	if (r->service_user) {
		r->status = STATUS_PENDING;
		r->pending = PENDING_DELETE;
		record_touch(r, inv->now, inv->caller);
		if ((rc = save_record(st, r, err)) < 0)
			return rc;
		crash_point(inv, "delete:after-pending");
		if (account_is_ours(r) && (rc = account_delete(r, err)) < 0)
			return rc;
		crash_point(inv, "delete:after-userdel");
	}
	r->status = STATUS_DELETED;
	r->status_uid = (uint32_t)inv->ruid;
	r->pending = PENDING_NONE;
	record_touch(r, inv->now, inv->caller);
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
	int (*run)(struct invocation *inv, struct store *st, struct record *r,
	    char *err);
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

/* suspend, activate, revoke and delete: the command's name is the action. */
int
cmd_change(struct invocation *inv, int argc, char **argv)
{
	const struct action *act = find_action(argv[0]);
	struct change_args a = { 0 };
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX];
	int rc;

	if (act == NULL)
		return fail(EXIT_USAGE, "unknown command '%.32s'", argv[0]);
	if ((rc = change_parse(inv, act->name, argc, argv, &a)) != 0)
		return rc;
	if (a.leaked)
		return revoke_leaked(inv);
	if ((rc = change_begin(inv, &a,
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
		rc = act->run(inv, st, &r, err);
	else {
		r.status = act->to;
		r.status_uid = (uint32_t)inv->ruid;
		record_touch(&r, inv->now, inv->caller);
		rc = save_record(st, &r, err);
	}
	if (rc < 0) {
		rc = fail(EXIT_REFUSED, "%s: %s", act->name, err);
		goto out;
	}
	audit(inv, act->done, &r);
	rc = 0;
	if (inv->json)
		rc = print_record(inv, st, &r, NULL);
	else
		fprintf(stderr, "apitoken: token %s '%s' is %s\n", r.id, r.name,
		    record_status_name(r.status));
out:
	hold_release();
	store_close(st);
	return rc;
}
