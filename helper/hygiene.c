/* SPDX-License-Identifier: ISC */
/*
 * hygiene.c - what counts as expiring, unused and never-expiring: one
 * definition for list's filters, report and notify.
 *
 * Only tokens that can log in, or could again (active and suspended, not
 * expired, uses not spent), are judged: a revoked, expired, spent or
 * deleted token is no longer a risk, only a record.
 * "Last use" falls back to the creation time when no use was recorded,
 * and usage data is not durable (store.h): a lost usage store can make a
 * token look older than it is, never fresher.
 */
#include "config.h"

#include <string.h>

#include "apitoken.h"

bool
hygiene_live(const struct record *r, int64_t now)
{
	return (r->status == STATUS_ACTIVE || r->status == STATUS_SUSPENDED) &&
	    !record_expired(r, now);
}

bool
hygiene_spent(const struct record *r, const struct usage *u)
{
	return r->max_uses > 0 && u->uses >= r->max_uses &&
	    (r->status == STATUS_ACTIVE || r->status == STATUS_SUSPENDED);
}

uint32_t
hygiene_uses_left(const struct record *r, const struct usage *u)
{
	return u->uses >= r->max_uses ? 0 : r->max_uses - u->uses;
}

int64_t
hygiene_last_use(const struct record *r, const struct usage *u)
{
	return u->last_used_at > r->created_at ? u->last_used_at :
	                                         r->created_at;
}

bool
hygiene_match(const struct filter *f, const struct record *r,
    const struct usage *u, int64_t now)
{
	if (f->expiring == 0 && f->unused == 0 && !f->never_expires)
		return true;
	if (!hygiene_live(r, now) || hygiene_spent(r, u))
		return false;
	if (f->expiring != 0 &&
	    (r->expires_at == 0 || r->expires_at <= now ||
	        r->expires_at - now > f->expiring))
		return false;
	if (f->unused != 0 && now - hygiene_last_use(r, u) < f->unused)
		return false;
	if (f->never_expires && r->expires_at != 0)
		return false;
	return true;
}
