/* SPDX-License-Identifier: ISC */
/* select.c - from what a user typed to a record they may manage. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "err.h"

static int
write_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

int
save_record(struct store *st, const struct record *r, char *err)
{
	return store_write(st, write_fn, (void *)r, err);
}

struct matches {
	const struct invocation *inv;
	bool tombstones; /* a deleted token counts too */
	int n, services;
	struct record first, service;
	char ids[256];
};

/* A user may manage their own personal tokens; root every token. */
static bool
may_manage(const struct invocation *inv, const struct record *r)
{
	return inv->root ||
	    (!r->service_user && strcmp(r->user, inv->caller) == 0);
}

static int
match_fn(const struct record *r, void *ctx)
{
	struct matches *m = ctx;
	size_t used = strlen(m->ids);

	if ((r->status == STATUS_DELETED && !m->tombstones) ||
	    !may_manage(m->inv, r) ||
	    (m->inv->owner != NULL && strcmp(r->user, m->inv->owner) != 0))
		return 0;
	if (m->n++ == 0)
		m->first = *r;
	if (r->service_user && r->status != STATUS_DELETED &&
	    m->services++ == 0)
		m->service = *r;
	snprintf(m->ids + used, sizeof(m->ids) - used, "%s%s", used ? ", " : "",
	    r->id);
	return 0;
}

struct find {
	const char *what;
	struct matches m;
	int rc;
};

static int
find_fn(struct store_txn *t, void *ctx, char *err)
{
	struct find *f = ctx;
	struct record r;

	if (token_id_valid(f->what)) {
		f->rc = store_txn_get(t, f->what, &r, err);
		if (f->rc == 0)
			match_fn(&r, &f->m);
		return f->rc == ERR_NOTFOUND ? 0 : f->rc;
	}
	return store_txn_by_name(t, f->what, match_fn, &f->m, err);
}

static int
select_in(struct invocation *inv, struct store *st, const char *what,
    bool tombstones, struct record *r)
{
	struct find f = { .what = what,
		.m = { .inv = inv, .tombstones = tombstones } };
	char err[ERR_MAX];

	if (store_read(st, find_fn, &f, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	/* Another account's token looks exactly like no token at all. */
	if (f.m.n == 0)
		return fail(EXIT_REFUSED, "no token '%.64s'%s%s", what,
		    inv->root ? "" : " among yours",
		    inv->root && inv->owner != NULL ? " of that user" : "");
	if (f.m.n > 1 && f.m.services == 1 && inv->owner == NULL) {
		*r = f.m.service;
		return 0;
	}
	if (f.m.n > 1)
		return fail(EXIT_REFUSED,
		    "'%.64s' names %d tokens (%s): use an id, or --user "
		    "for the owner's",
		    what, f.m.n, f.m.ids);
	*r = f.m.first;
	return 0;
}

int
select_token(struct invocation *inv, struct store *st, const char *what,
    struct record *r)
{
	int rc;

	if ((rc = select_in(inv, st, what, false, r)) != 0)
		return rc;
	/* A replica changed here would differ from every other host. */
	if (r->origin == ORIGIN_FLEET)
		return fail(EXIT_REFUSED,
		    "token %s is a fleet token, managed in the directory "
		    "%.128s: change it there, not on this host",
		    r->id,
		    inv->conf.fleet_base[0] != '\0' ? inv->conf.fleet_base :
		                                      "of fleet_providers");
	return 0;
}

int
select_shown(struct invocation *inv, struct store *st, const char *what,
    struct record *r)
{
	return select_in(inv, st, what, true, r);
}

int
select_settled(const struct record *r)
{
	if (r->status != STATUS_PENDING)
		return 0;
	return fail(EXIT_REFUSED,
	    "token %s has an operation in progress; run apitoken check "
	    "--repair",
	    r->id);
}

int
select_same_account(const struct record *r)
{
	enum account_state why = account_state(r);

	if (why == ACCOUNT_SAME)
		return 0;
	if (why == ACCOUNT_UNKNOWN)
		return fail(EXIT_REFUSED, "token %s of %s: %s; try again",
		    r->id, r->user, account_state_text(why));
	return fail(EXIT_REFUSED,
	    "token %s of %s: %s; it can never log in again (create a new "
	    "one)",
	    r->id, r->user, account_state_text(why));
}
