/* SPDX-License-Identifier: ISC */
/*
 * unlock.c - apitoken unlock: lift a token's lockout, for every source.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "change.h"
#include "err.h"

struct unlock_ctx {
	int64_t now;
	bool was_locked;
};

static int
clear_lockout(struct usage *u, void *ctx)
{
	struct unlock_ctx *x = ctx;
	bool any = false;

	x->was_locked = usage_locked_until(u, x->now) != 0;
	/* A slot in use has a source; an unused one is all zeros. */
	for (int i = 0; i < USAGE_SOURCES; i++)
		any |= u->sources[i].source[0] != '\0';
	memset(u->sources, 0, sizeof(u->sources));
	return any ? 0 : 1;
}

/* Only root lifts a lockout: a user who could would make it pointless. */
int
cmd_unlock(struct invocation *inv, int argc, char **argv)
{
	struct change_args a = { 0 };
	struct unlock_ctx x = { inv->now, false };
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX];
	int rc;

	if ((rc = change_parse(inv, "unlock", argc, argv, &a)) != 0)
		return rc;
	if (!inv->root)
		return fail(EXIT_REFUSED, "only root may lift a lockout");
	if ((rc = change_begin(inv, &a, NULL, &st, &r)) != 0)
		goto out;
	if (store_usage_update(st, r.id, STORE_USAGE_WAIT_MS, clear_lockout, &x,
	        err) < 0) {
		rc = fail(EXIT_REFUSED, "unlock: %s", err);
		goto out;
	}
	/* Failures short of a lockout are cleared too, but nothing was lifted.
	 */
	if (x.was_locked)
		audit(inv, "unlocked", &r);
	rc = 0;
	if (inv->json)
		rc = print_record(inv, st, &r, NULL);
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
