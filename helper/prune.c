/* SPDX-License-Identifier: ISC */
/*
 * prune.c - apitoken prune [--older-than DURATION] [--dry-run] [--json]
 *
 * Removes tokens that can never log in again and have not for a while:
 * revoked, or expired, more than --older-than ago (30 days by default, as
 * GitLab keeps inactive tokens and their bot users).  Each goes through
 * the one delete path (change.c): its service user is removed, and a
 * tombstone stays, with its last use.  A kill half way leaves the pending
 * state that `apitoken check --repair` finishes, as for delete.
 *
 * Tombstones of tokens deleted more than --older-than ago are removed
 * then: the store's uid counter, which only moves up,
 * is what keeps uids from being handed out again, so an old tombstone is
 * only history, and history must not grow without bound.
 *
 * A suspended token is kept until it expires: a suspension is meant to be
 * lifted.  Pending records are check --repair's business, not ours.  A
 * token whose uses are all spent is revoked in its record first (as
 * check --repair does), then pruned like any revoked token.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"
#include "when.h"

#define PRUNE_DEFAULT_AGE (30 * 86400)

enum prune_reason {
	PRUNE_REVOKED,
	PRUNE_EXPIRED,
};

static const char *const reason_name[] = {
	[PRUNE_REVOKED] = "revoked",
	[PRUNE_EXPIRED] = "expired",
};

struct victim {
	struct record r;
	enum prune_reason why;
	int64_t since;
	bool done;
	char err[ERR_MAX];
};

struct scan {
	int64_t cutoff;
	/* live tokens with a use limit: spent ones are revoked first */
	int nlimited, lcap;
	struct record *limited;
	int n, cap;
	struct victim *v;
	/* tombstones deleted before the cutoff, to be removed */
	int ntomb, tcap;
	char (*tomb)[TOKEN_ID_LEN + 1];
};

static int
pick_tombstone(struct scan *s, const struct record *r)
{
	if (r->updated_at > s->cutoff)
		return 0;
	if (grow_room(&s->tomb, s->ntomb, &s->tcap, sizeof(*s->tomb)) < 0)
		return ERR_NOMEM;
	strcpy(s->tomb[s->ntomb++], r->id);
	return 0;
}

static int
compact_fn(struct store_txn *t, void *ctx, char *err)
{
	struct scan *s = ctx;
	int rc;

	for (int i = 0; i < s->ntomb; i++)
		if ((rc = store_txn_del(t, s->tomb[i], err)) < 0 &&
		    rc != ERR_NOTFOUND)
			return rc;
	return 0;
}

static int
pick_fn(const struct record *r, void *ctx)
{
	struct scan *s = ctx;
	enum prune_reason why;
	int64_t since;

	if (r->status == STATUS_DELETED && r->pending == PENDING_NONE)
		return pick_tombstone(s, r);
	if (r->status == STATUS_DELETED || r->status == STATUS_PENDING ||
	    r->pending != PENDING_NONE)
		return 0;

	if (r->expires_at != 0 && r->expires_at <= s->cutoff) {
		why = PRUNE_EXPIRED;
		since = r->expires_at;
	} else if (r->status == STATUS_REVOKED && r->updated_at <= s->cutoff) {
		/* Nothing changes a revoked record but delete: updated_at is
		 * the revocation. */
		why = PRUNE_REVOKED;
		since = r->updated_at;
	} else if (r->max_uses > 0 && r->status != STATUS_REVOKED) {
		if (grow_room(&s->limited, s->nlimited, &s->lcap,
		        sizeof(*s->limited)) < 0)
			return ERR_NOMEM;
		s->limited[s->nlimited++] = *r;
		return 0;
	} else
		return 0;
	if (grow_room(&s->v, s->n, &s->cap, sizeof(*s->v)) < 0)
		return ERR_NOMEM;
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].r = *r;
	s->v[s->n].why = why;
	s->v[s->n].since = since;
	s->n++;
	return 0;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	int rc = store_txn_list(t, NULL, pick_fn, ctx, err);

	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

static void
report(const struct invocation *inv, const struct scan *s, bool dry)
{
	char when[WHEN_BUF];
	json_t *all, *o;
	char *out;

	if (inv->json) {
		all = json_array();
		for (int i = 0; i < s->n; i++) {
			const struct victim *v = &s->v[i];

			o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b}",
			    "id", v->r.id, "name", v->r.name, "user", v->r.user,
			    "service_user", v->r.service_user, "reason",
			    reason_name[v->why], "since",
			    when_format(v->since, when), "pruned", v->done);
			if (o != NULL && v->err[0] != '\0')
				json_object_set_new(o, "error",
				    json_string(v->err));
			json_array_append_new(all, o);
		}
		if ((out = json_dumps(all,
		         JSON_INDENT(2) | JSON_PRESERVE_ORDER)) != NULL)
			puts(out);
		free(out);
		json_decref(all);
		return;
	}
	for (int i = 0; i < s->n; i++) {
		const struct victim *v = &s->v[i];

		if (v->err[0] != '\0')
			continue;
		printf("%s %s %s (%s%s): %s since %s\n",
		    dry ? "would prune" : "pruned", v->r.id, v->r.name,
		    v->r.user, v->r.service_user ? ", service user" : "",
		    reason_name[v->why], when_format(v->since, when));
	}
	if (s->n == 0)
		fprintf(stderr, "apitoken: nothing to prune\n");
}

int
cmd_prune(struct invocation *inv, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan s = { 0 };
	struct store *st = NULL;
	int64_t age = PRUNE_DEFAULT_AGE;
	bool dry = false;
	char err[ERR_MAX];
	int ch, rc, failed = 0, nspent = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (when_parse_duration(optarg, &age, err) < 0)
				return fail(EXIT_USAGE, "--older-than: %s",
				    err);
			break;
		case 'n':
			dry = true;
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("prune");
		default:
			return fail(EXIT_USAGE,
			    "prune: unknown or incomplete option '%.32s'; "
			    "see apitoken prune --help",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return fail(EXIT_USAGE,
		    "prune takes no arguments; see apitoken prune --help");
	if (!inv->root)
		return fail(EXIT_REFUSED, "prune is for root");
	s.cutoff = inv->now - age;
	rc = store_open(&st, inv->store_dir, dry ? STORE_RDONLY : 0, err);
	if (rc == ERR_NOTFOUND) {
		report(inv, &s, dry);
		return 0;
	}
	if (rc < 0 || (!dry && (rc = hold_lock(st, err)) < 0) ||
	    (rc = store_read(st, scan_fn, &s, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s", err);
		goto out;
	}
	/*
	 * A token whose uses are spent is revoked in its record now (the
	 * login that spent it could not write it), and pruned once that is
	 * --older-than ago, as any revoked token.
	 */
	for (int i = 0; i < s.nlimited && !dry; i++)
		if ((rc = token_revoke_spent(inv, st, &s.limited[i], err)) <
		    0) {
			fail(EXIT_REFUSED, "prune %s: %s", s.limited[i].id,
			    err);
			failed++;
		} else if (rc > 0)
			nspent++;
	for (int i = 0; i < s.n && !dry; i++) {
		struct victim *v = &s.v[i];

		if (token_delete(inv, st, &v->r, v->err) < 0) {
			fail(EXIT_REFUSED, "prune %s: %s", v->r.id, v->err);
			failed++;
			continue;
		}
		v->done = true;
		audit_change(inv, "pruned", &v->r, reason_name[v->why]);
	}
	if (!dry && s.ntomb > 0 && store_write(st, compact_fn, &s, err) < 0) {
		fail(EXIT_REFUSED, "prune: tombstones: %s", err);
		failed++;
		s.ntomb = 0;
	}
	/* Nothing is written to the caller's output while the lock is held. */
	hold_release();
	report(inv, &s, dry);
	if (nspent > 0)
		fprintf(stderr,
		    "apitoken: revoked %d token%s whose uses are all spent\n",
		    nspent, nspent == 1 ? "" : "s");
	if (s.ntomb > 0)
		fprintf(stderr,
		    "apitoken: %s %d tombstone%s of tokens deleted over %lld "
		    "days ago\n",
		    dry ? "would remove" : "removed", s.ntomb,
		    s.ntomb == 1 ? "" : "s", (long long)(age / 86400));
	rc = failed ? EXIT_REFUSED : 0;
out:
	free(s.v);
	free(s.tomb);
	free(s.limited);
	hold_release();
	store_close(st);
	return rc;
}
