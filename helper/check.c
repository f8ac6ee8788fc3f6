/* SPDX-License-Identifier: ISC */
/*
 * check.c - apitoken check [--repair]
 *
 * Finds what an interrupted create, revoke or delete left behind, and with
 * --repair finishes or undoes it:
 *   pending create  the token was never shown: remove the account if we
 *                   made it, keep a tombstone (rolled back)
 *   pending delete  remove the account if it is still there (finished)
 *   pending lock    lock and expire the account (finished)
 *   a service user left by a deleted token (removed)
 *   a token whose uses are all spent (revoked: the login that spent the
 *                   last use could not write the record)
 *   a token whose account is gone, has another uid or changed since the
 *                   token was made (account_state): it can never log in
 *                   again (tombstoned, as delete does; a userdel without
 *                   the forget-user hook leaves these); one whose
 *                   account cannot be looked up (an NSS error) is
 *                   reported and left alone
 *   a fleet service user whose account does not match its record
 *                   (fleet_users.c: created, locked or removed; the
 *                   record, the directory's, is left as it is)
 * Every account we create is preceded by its record (create writes PENDING
 * before useradd), so whatever a crash leaves has a record and is found
 * here; an account marked "apitoken ID" with no record at all is not ours
 * to judge (another store, or made by hand).
 * Exit 0 when nothing is wrong (or everything was repaired), 1 otherwise.
 * --json prints one object: consistent, and each finding with repaired.
 * --fleet-users looks at fleet service users only: apitoken-syncd runs
 * check --repair --fleet-users after each change, and must not settle
 * local tokens on an admin's behalf.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"

struct scan {
	int n, cap;
	struct record *v;
	bool fleet_only;
};

/* A settled local token that has an account to outlive. */
static bool
has_account(const struct record *r)
{
	return r->origin == ORIGIN_LOCAL && r->pending == PENDING_NONE &&
	    (r->status == STATUS_ACTIVE || r->status == STATUS_SUSPENDED ||
	        r->status == STATUS_REVOKED);
}

static int
keep_fn(const struct record *r, void *ctx)
{
	struct scan *s = ctx;

	if (s->fleet_only && (r->origin != ORIGIN_FLEET || !r->service_user))
		return 0;
	if (r->status != STATUS_PENDING && r->pending == PENDING_NONE &&
	    !r->service_user && r->max_uses == 0 && !has_account(r))
		return 0;
	if (grow_room(&s->v, s->n, &s->cap, sizeof(*s->v)) < 0)
		return ERR_NOMEM;
	s->v[s->n++] = *r;
	return 0;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	int rc = store_txn_list(t, NULL, keep_fn, ctx, err);

	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

/*
 * One leftover: report it (as text, or appended to found when --json), and
 * with repair fix it.  Returns 1 if still wrong.
 */
static int
fix(struct invocation *inv, struct store *st, struct record *r, bool repair,
    json_t *found)
{
	const char *what = NULL;
	char err[ERR_MAX];
	bool ours = account_is_ours(r), spent = false, unrepairable, repaired;
	struct usage u;
	enum account_state acct = ACCOUNT_SAME;
	enum fleet_user fu = FLEET_USER_SETTLED;
	int rc = 0;

	if (r->pending == PENDING_NONE && r->max_uses > 0 &&
	    store_usage_get(st, r->id, &u, NULL) == 0)
		spent = hygiene_spent(r, &u);
	if (r->origin == ORIGIN_FLEET) {
		if ((fu = fleet_user_state(r)) == FLEET_USER_SETTLED)
			return 0;
		what = fleet_user_text(fu);
	} else if (spent)
		what = "all of its uses are spent, not yet revoked in the "
		       "record";
	else if (r->pending == PENDING_CREATE)
		what = "create interrupted";
	else if (r->pending == PENDING_DELETE)
		what = "delete interrupted";
	else if (r->pending == PENDING_LOCK)
		what = "revoke interrupted before the account was locked";
	else if (r->service_user && r->status == STATUS_DELETED && ours)
		what = "service user left behind by a deleted token";
	else if (has_account(r) && (acct = account_state(r)) != ACCOUNT_SAME)
		what = account_state_text(acct);
	if (what == NULL)
		return 0;
	/* Only an answer is grounds for a repair: a lookup that failed may
	 * pass, and the token with it. */
	unrepairable = acct == ACCOUNT_UNKNOWN ||
	    (fu != FLEET_USER_SETTLED && !fleet_user_repairable(fu));
	if (!inv->json)
		printf("%s %s (%s): %s%s\n", r->id, r->name, r->user, what,
		    repair || unrepairable ? "" :
		                             "; run apitoken check --repair");
	if (!repair || acct == ACCOUNT_UNKNOWN)
		goto out;
	if (fu != FLEET_USER_SETTLED) {
		/* A refusal stands until the directory or the host changes. */
		if (!fleet_user_repairable(fu))
			goto out;
		if ((rc = fleet_user_repair(inv, r, fu, err)) == 0) {
			audit_change(inv, "repaired", r, fleet_user_done(fu));
			if (!inv->json)
				printf("%s: repaired\n", r->id);
		}
		goto out;
	}
	if (spent) {
		if ((rc = token_revoke_spent(inv, st, r, err)) >= 0) {
			rc = 0;
			if (!inv->json)
				printf("%s: revoked\n", r->id);
		}
		goto out;
	}
	if (r->pending == PENDING_LOCK) {
		if (ours && (rc = account_lock(r, err)) < 0)
			goto out;
		r->pending = PENDING_NONE;
	} else if (acct != ACCOUNT_SAME) {
		/* Not the account's to remove: it is gone or someone else's. */
		r->status = STATUS_DELETED;
		r->status_uid = (uint32_t)inv->ruid;
	} else {
		if (ours && (rc = account_delete(r, err)) < 0)
			goto out;
		/* A create stopped between groupadd and useradd leaves it. */
		if (r->service_user && (rc = account_delete_group(r, err)) < 0)
			goto out;
		r->status = STATUS_DELETED;
		r->pending = PENDING_NONE;
	}
	record_touch(r, inv->now, inv->caller);
	if ((rc = save_record(st, r, err)) == 0) {
		audit(inv, "repaired", r);
		if (!inv->json)
			printf("%s: repaired\n", r->id);
	}
out:
	if (rc < 0)
		fail(EXIT_REFUSED, "%s: %s", r->id, err);
	repaired = repair && rc == 0 && !unrepairable;
	json_array_append_new(found,
	    json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", r->id, "name", r->name,
	        "user", r->user, "problem", what, "repaired", repaired));
	return !repaired;
}

static void
print_json(bool consistent, json_t *found)
{
	json_t *o = json_pack("{s:b, s:o}", "consistent", consistent,
	    "findings", found != NULL ? json_incref(found) : json_array());

	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

int
cmd_check(struct invocation *inv, int argc, char **argv)
{
	struct scan s = { 0 };
	struct store *st = NULL;
	bool repair = false;
	char err[ERR_MAX];
	json_t *found;
	int left = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--repair") == 0)
			repair = true;
		else if (strcmp(argv[i], "--json") == 0)
			inv->json = true;
		else if (strcmp(argv[i], "--fleet-users") == 0)
			s.fleet_only = true;
		else if (strcmp(argv[i], "--help") == 0)
			command_help("check");
		else
			return fail(EXIT_USAGE,
			    "check: unknown option '%.32s'; usage: apitoken "
			    "check [--repair] [--fleet-users] [--json]",
			    argv[i]);
	}
	if (!inv->root)
		return fail(EXIT_REFUSED, "check is for root");
	rc = store_open(&st, inv->store_dir, repair ? 0 : STORE_RDONLY, err);
	if (rc == ERR_NOTFOUND) {
		if (inv->json)
			print_json(true, NULL);
		else
			puts("no store yet: nothing to check");
		return 0;
	}
	if (rc < 0 || (repair && (rc = hold_lock(st, err)) < 0) ||
	    (rc = store_read(st, scan_fn, &s, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	found = json_array();
	for (int i = 0; i < s.n; i++)
		left += fix(inv, st, &s.v[i], repair, found);
	if (inv->json)
		print_json(left == 0, found);
	else if (left == 0)
		puts(s.fleet_only ? "fleet service users consistent" :
		                    "store consistent");
	json_decref(found);
	rc = left == 0 ? 0 : EXIT_REFUSED;
out:
	free(s.v);
	hold_release();
	store_close(st);
	return rc;
}
