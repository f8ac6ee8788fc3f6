/* SPDX-License-Identifier: ISC */
/* list.c - apitoken list [--user USER] [--all] [--json]; apitoken show ID|NAME
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"
#include "when.h"

struct collect {
	bool all;
	const char *user; /* only this user's, when set */
	int n, cap;
	struct record *v;
};

static int
collect_fn(const struct record *r, void *ctx)
{
	struct collect *acc = ctx;

	if ((r->status == STATUS_DELETED && !acc->all) ||
	    (acc->user != NULL && strcmp(r->user, acc->user) != 0))
		return 0;
	if (grow_room(&acc->v, acc->n, &acc->cap, sizeof(*acc->v)) < 0)
		return ERR_NOMEM;
	acc->v[acc->n++] = *r;
	return 0;
}

struct query {
	const char *user;
	struct collect col;
};

static int
query_fn(struct store_txn *t, void *ctx, char *err)
{
	struct query *q = ctx;
	int rc;

	/*
	 * Tombstones have left the owner index: a user's whole history (--all)
	 * is a scan of every record, kept by owner.
	 */
	if (q->col.all && q->user != NULL) {
		q->col.user = q->user;
		rc = store_txn_list(t, NULL, collect_fn, &q->col, err);
	} else
		rc = store_txn_list(t, q->user, collect_fn, &q->col, err);

	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

/* Open the store for reading; a store not created yet lists as empty. */
static int
open_for_reading(struct invocation *inv, struct store **st)
{
	char err[ERR_MAX];
	int rc = store_open(st, inv->store_dir, STORE_RDONLY, err);

	if (rc == ERR_NOTFOUND) {
		*st = NULL;
		return 0;
	}
	return rc < 0 ? fail(EXIT_REFUSED, "%s", err) : 0;
}

int
cmd_list(struct invocation *inv, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'a' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "unused", required_argument, NULL, 'U' },
		{ "never-expires", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct query q = { 0 };
	struct filter f = { 0 };
	struct store *st = NULL;
	struct usage u;
	char err[ERR_MAX];
	int ch, rc, kept = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			q.user = optarg;
			break;
		case 'a':
			q.col.all = true;
			break;
		case 'e':
		case 'U':
			if (when_parse_duration(optarg,
			        ch == 'e' ? &f.expiring : &f.unused, err) < 0)
				return fail(EXIT_USAGE, "--%s: %s",
				    ch == 'e' ? "expiring" : "unused", err);
			break;
		case 'n':
			f.never_expires = true;
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("list");
		default:
			return fail(EXIT_USAGE,
			    "list: unknown or incomplete option '%.32s'; see "
			    "apitoken list --help",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "list takes no arguments");
	/* A user sees their own tokens; asking for another's is refused
	 * outright. */
	if (!inv->root) {
		if (q.user != NULL && strcmp(q.user, inv->caller) != 0)
			return fail(EXIT_REFUSED,
			    "you may list your own tokens only");
		q.user = inv->caller;
	}
	if ((rc = open_for_reading(inv, &st)) != 0)
		return rc;
	if (st != NULL && store_read(st, query_fn, &q, err) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	/* A mistyped name must not pass for a user without tokens. */
	if (q.col.n == 0 && q.user != NULL &&
	    account_uid(q.user, &(uid_t){ 0 }) < 0) {
		rc = fail(EXIT_REFUSED,
		    "no account '%.32s', nor any token of it", q.user);
		goto out;
	}
	/* The hygiene filters (hygiene.c) need each token's last use. */
	for (int i = 0; i < q.col.n; i++) {
		if (store_usage_get(st, q.col.v[i].id, &u, NULL) < 0)
			memset(&u, 0, sizeof(u));
		if (hygiene_match(&f, &q.col.v[i], &u, inv->now))
			q.col.v[kept++] = q.col.v[i];
	}
	q.col.n = kept;
	rc = print_table(inv, st, q.col.v, q.col.n);
out:
	free(q.col.v);
	store_close(st);
	return rc;
}

int
cmd_show(struct invocation *inv, int argc, char **argv)
{
	struct store *st = NULL;
	struct record r;
	int rc;

	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			inv->owner = optarg;
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("show");
		default:
			return fail(EXIT_USAGE,
			    "usage: apitoken show ID|NAME [--user USER] "
			    "[--json]");
		}
	}
	if (optind != argc - 1)
		return fail(EXIT_USAGE,
		    "usage: apitoken show ID|NAME [--user USER] [--json]");
	what = argv[optind];
	if (strlen(what) > 64)
		return fail(EXIT_USAGE,
		    "'%.20s...' is neither a token id nor a name", what);
	if ((rc = open_for_reading(inv, &st)) != 0)
		return rc;
	if (st == NULL)
		return fail(EXIT_REFUSED, "no token '%.64s'", what);
	if ((rc = select_shown(inv, st, what, &r)) == 0)
		rc = print_record(inv, st, &r, NULL);
	store_close(st);
	return rc;
}
