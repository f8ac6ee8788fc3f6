/* SPDX-License-Identifier: ISC */
/*
 * forget.c - apitoken forget-user NAME [UID]
 *
 * An account is going (or gone): every token of it becomes a tombstone,
 * as delete leaves one (the record goes, the id and uid stay from reuse),
 * so that no token outlives its account, whatever account is made later
 * with that name or uid.  With UID, only the tokens made for that uid.
 * It is the userdel hook: shadow-utils' userdel runs USERDEL_CMD as `CMD
 * USER` before it writes the passwd files (holding their locks), Debian's
 * deluser runs deluser.local as `deluser.local USER UID GID HOME` after;
 * both can run the forget-user script installed with this program.
 *
 * No account is touched: a service user's own removal is delete's, and
 * one left behind is check --repair's.  A record with an operation in
 * progress is skipped, since it is ours: delete and check --repair run
 * userdel, and so this hook, while they hold the store lock, and the
 * scan that finds nothing to do takes no lock.  Exit 0 also when the
 * account had no tokens.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"

struct forget {
	const char *user;
	bool by_uid;
	uint32_t uid;
	int n, cap;
	struct record *v;
};

/* A token of the account that could still be used or changed. */
static bool
doomed(const struct forget *f, const struct record *r)
{
	return r->origin == ORIGIN_LOCAL && r->status != STATUS_DELETED &&
	    r->status != STATUS_PENDING && strcmp(r->user, f->user) == 0 &&
	    (!f->by_uid || r->uid == f->uid);
}

static int
collect_fn(const struct record *r, void *ctx)
{
	struct forget *f = ctx;

	if (!doomed(f, r))
		return 0;
	if (grow_room(&f->v, f->n, &f->cap, sizeof(*f->v)) < 0)
		return ERR_NOMEM;
	f->v[f->n++] = *r;
	return 0;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	struct forget *f = ctx;
	int rc;

	f->n = 0;
	/* Every record: a revoked token is in no index by user. */
	rc = store_txn_list(t, NULL, collect_fn, f, err);
	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

static int
parse(struct invocation *inv, int argc, char **argv, struct forget *f)
{
	const char *args[2];
	char *end;
	int n = 0;
	unsigned long v;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			inv->json = true;
		else if (strcmp(argv[i], "--help") == 0)
			command_help("forget-user");
		else if (argv[i][0] == '-' || n == 2)
			return fail(EXIT_USAGE,
			    "forget-user: unexpected '%.32s'; usage: apitoken "
			    "forget-user NAME [UID] [--json]",
			    argv[i]);
		else
			args[n++] = argv[i];
	}
	if (n == 0)
		return fail(EXIT_USAGE,
		    "forget-user takes the NAME of the account (and its UID)");
	if (!input_valid_name(args[0]))
		return fail(EXIT_USAGE, "invalid account name '%.64s'",
		    args[0]);
	f->user = args[0];
	if (n == 2) {
		errno = 0;
		v = strtoul(args[1], &end, 10);
		if (errno != 0 || end == args[1] || *end != '\0' ||
		    args[1][0] == '-' || v > UINT32_MAX)
			return fail(EXIT_USAGE, "invalid uid '%.32s'", args[1]);
		f->by_uid = true;
		f->uid = (uint32_t)v;
	}
	return 0;
}

int
cmd_forget_user(struct invocation *inv, int argc, char **argv)
{
	struct forget f = { 0 };
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX];
	int rc, done = 0;

	if ((rc = parse(inv, argc, argv, &f)) != 0)
		return rc;
	if (!inv->root)
		return fail(EXIT_REFUSED, "forget-user is for root");
	rc = store_open(&st, inv->store_dir, 0, err);
	if (rc == ERR_NOTFOUND) {
		rc = inv->json ? print_table(inv, NULL, NULL, 0) : 0;
		goto out;
	}
	/* Looked at first without the lock, which delete may hold. */
	if (rc < 0 || (rc = store_read(st, scan_fn, &f, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	if (f.n > 0 &&
	    ((rc = hold_lock(st, err)) < 0 ||
	        (rc = store_read(st, scan_fn, &f, err)) < 0)) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	rc = 0;
	for (int i = 0; i < f.n; i++) {
		r = f.v[i];
		r.status = STATUS_DELETED;
		r.status_uid = (uint32_t)inv->ruid;
		r.pending = PENDING_NONE;
		record_touch(&r, inv->now, inv->caller);
		if (save_record(st, &r, err) < 0) {
			rc = fail(EXIT_REFUSED, "%s: %s", r.id, err);
			continue;
		}
		f.v[done++] = r;
		audit_change(inv, "deleted", &r, "its account is removed");
		if (!inv->json)
			printf("%s %s (%s): deleted, its account is removed\n",
			    r.id, r.name, r.user);
	}
	if (inv->json && print_table(inv, st, f.v, done) != 0)
		rc = EXIT_REFUSED;
out:
	free(f.v);
	hold_release();
	store_close(st);
	return rc;
}
