/* SPDX-License-Identifier: ISC */
/*
 * verify_usage.c - what a login writes to the usage store, and decides
 * there: last use, the lockout's count per source, a use limit's count
 * (verify.h, steps 6 and 7; verify_usage.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "verify_usage.h"

/*
 * Where an attempt comes from, for the lockout (verify.h, step 6): the
 * host block of an address, a name as the service gave it, else the uid
 * that asked.
 */
void
verify_usage_source(const struct verify_request *req, char *buf, size_t cap)
{
	if (req->rhost != NULL && *req->rhost != '\0') {
		if (cidr_host_block(req->rhost, buf, cap) < 0)
			snprintf(buf, cap, "host %s", req->rhost);
	} else {
		snprintf(buf, cap, "uid %u", (unsigned)req->caller_uid);
	}
}

/* Throttled like GitLab's last_used_at, unless something changed. */
bool
verify_usage_due(const struct verify_usage *x, const struct usage *u)
{
	return x->req->now - u->last_used_at >= x->cf->usage_write_interval ||
	    (x->req->rhost != NULL &&
	        strcmp(u->last_used_from[0], x->req->rhost) != 0);
}

/* An accepted login, in u. */
static void
put_use(const struct verify_usage *x, struct usage *u)
{
	u->last_used_at = x->req->now;
	u->recorded_uses++;
	if (x->req->rhost != NULL && cidr_is_address(x->req->rhost))
		usage_note_address(u, x->req->rhost);
}

/* Note an accepted login in u; false when no write is due. */
static bool
note_use(const struct verify_usage *x, struct usage *u)
{
	if (!verify_usage_due(x, u))
		return false;
	put_use(x, u);
	return true;
}

/* store_usage_update callbacks: 0 writes *u back, 1 leaves it. */
int
verify_usage_record(struct usage *u, void *ctx)
{
	return note_use(ctx, u) ? 0 : 1;
}

/*
 * The failures of the attempt's source in u (NULL with none, or with no
 * lockout configured); x->locked when that source is locked out now.
 */
static struct usage_source *
source_of(struct verify_usage *x, struct usage *u)
{
	struct usage_source *f = x->cf->lockout_attempts > 0 ?
	    usage_source_find(u, x->source) :
	    NULL;

	x->locked = f != NULL && f->locked_until > x->req->now;
	return f;
}

/*
 * The attempt, decided and counted in one transaction (verify.h, step 6):
 * what the transaction reads is every attempt committed before it, so a
 * lockout another attempt set meanwhile refuses this one too.
 */
int
verify_usage_attempt(struct usage *u, void *ctx)
{
	struct verify_usage *x = ctx;
	const struct conf *cf = x->cf;
	int64_t now = x->req->now;
	struct usage_source *f = source_of(x, u);
	bool changed = false;

	if (x->locked)
		return 1;
	if (!x->match) {
		f = usage_source_take(u, x->source, now);
		if (now - f->window_start >= cf->lockout_window) {
			f->window_start = now;
			f->failures = 0;
		}
		if (++f->failures >= cf->lockout_attempts) {
			f->locked_until = now + cf->lockout_time;
			f->failures = 0;
		}
		return 0;
	}
	if (f != NULL) {
		memset(f, 0, sizeof(*f));
		changed = true;
	}
	if (x->accepted && note_use(x, u))
		changed = true;
	return changed ? 0 : 1;
}

/*
 * One use of a token with a use limit (verify.h, step 7), in the one
 * transaction that re-reads the count, and decides and clears the
 * source's lockout as verify_usage_attempt does: never throttled.
 */
int
verify_usage_count(struct usage *u, void *ctx)
{
	struct verify_usage *x = ctx;
	struct usage_source *f = source_of(x, u);

	if (x->locked)
		return 1;
	if (u->uses >= x->max_uses) {
		x->spent = true;
		return 1;
	}
	if (f != NULL)
		memset(f, 0, sizeof(*f));
	u->uses++;
	put_use(x, u);
	return 0;
}
