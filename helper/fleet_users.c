/* SPDX-License-Identifier: ISC */
/*
 * fleet_users.c - the accounts of fleet service users follow their replica
 * records: apitoken-syncd writes the records and then runs check --repair
 * --fleet-users, which brings each account in line through accounts.c.
 *
 * The record is the directory's and is never written here.  The account
 * is judged from what the passwd, group and shadow files show now, so a
 * step that was cut short (the daemon killed between its commit and this,
 * a useradd interrupted) is found again by the next run:
 *   active, suspended  the account exists with the central uid, made as
 *                      create makes a service user, and expires with the
 *                      token
 *   revoked            its processes ended, the account locked and
 *                      expired, as revoke does
 *   deleted            its processes ended, the account removed, as
 *                      delete does
 * Only an account made for this token (its name, the central uid and the
 * GECOS marker with its id: account_is_ours) is ever changed.  A name or
 * uid that another account or group holds is refused: nothing is made or
 * changed, and the token, whose uid no account of its name has, cannot
 * log in.  A lock is never undone: a revoke is final, as it is locally.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "apitoken.h"
#include "err.h"

/* A failed lookup counts as taken, as it does for create. */
static enum fleet_user
collision(const struct record *r)
{
	struct passwd pw, *pwf = NULL;
	struct group gr, *grf = NULL;
	char buf[16384];

	if (getpwnam_r(r->user, &pw, buf, sizeof(buf), &pwf) != 0 ||
	    pwf != NULL)
		return FLEET_USER_NAME_TAKEN;
	if (getpwuid_r((uid_t)r->uid, &pw, buf, sizeof(buf), &pwf) != 0 ||
	    pwf != NULL)
		return FLEET_USER_UID_TAKEN;
	/* The group create makes, named r->user with the uid as gid, may be
	 * left from a create cut short: that one is ours to replace. */
	if (getgrnam_r(r->user, &gr, buf, sizeof(buf), &grf) != 0 ||
	    (grf != NULL && gr.gr_gid != (gid_t)r->uid))
		return FLEET_USER_NAME_TAKEN;
	if (getgrgid_r((gid_t)r->uid, &gr, buf, sizeof(buf), &grf) != 0 ||
	    (grf != NULL && strcmp(gr.gr_name, r->user) != 0))
		return FLEET_USER_UID_TAKEN;
	return FLEET_USER_MISSING;
}

enum fleet_user
fleet_user_state(const struct record *r)
{
	bool ours;

	if (r->origin != ORIGIN_FLEET || !r->service_user)
		return FLEET_USER_SETTLED;
	ours = account_is_ours(r);
	switch (r->status) {
	case STATUS_ACTIVE:
	case STATUS_SUSPENDED:
		if (!ours)
			return collision(r);
		if (account_locked(r))
			return FLEET_USER_LOCKED;
		return account_expiry_current(r) ? FLEET_USER_SETTLED :
		                                   FLEET_USER_EXPIRY;
	case STATUS_REVOKED:
		return ours && !account_locked(r) ? FLEET_USER_OPEN :
		                                    FLEET_USER_SETTLED;
	case STATUS_DELETED:
		return ours ? FLEET_USER_LEFT : FLEET_USER_SETTLED;
	default:
		return FLEET_USER_SETTLED;
	}
}

bool
fleet_user_repairable(enum fleet_user s)
{
	return s == FLEET_USER_MISSING || s == FLEET_USER_EXPIRY ||
	    s == FLEET_USER_OPEN || s == FLEET_USER_LEFT;
}

const char *
fleet_user_text(enum fleet_user s)
{
	switch (s) {
	case FLEET_USER_MISSING:
		return "the fleet service user has no account here yet";
	case FLEET_USER_EXPIRY:
		return "the fleet service user's account does not expire with "
		       "its token";
	case FLEET_USER_OPEN:
		return "revoked, the fleet service user's account not yet "
		       "locked";
	case FLEET_USER_LEFT:
		return "deleted, the fleet service user's account still here";
	case FLEET_USER_NAME_TAKEN:
		return "another account or group has the fleet service user's "
		       "name: refused, it cannot log in here";
	case FLEET_USER_UID_TAKEN:
		return "another account or group has the fleet service user's "
		       "uid: refused, it cannot log in here";
	case FLEET_USER_LOCKED:
		return "the fleet service user's account was locked by a "
		       "revoke, which is final: it cannot log in here";
	default:
		return "";
	}
}

const char *
fleet_user_done(enum fleet_user s)
{
	switch (s) {
	case FLEET_USER_MISSING:
		return "fleet service user created";
	case FLEET_USER_EXPIRY:
		return "fleet service user's expiry set";
	case FLEET_USER_OPEN:
		return "fleet service user locked";
	case FLEET_USER_LEFT:
		return "fleet service user removed";
	default:
		return "";
	}
}

int
fleet_user_repair(const struct invocation *inv, const struct record *r,
    enum fleet_user s, char *err)
{
	int rc;

	switch (s) {
	case FLEET_USER_MISSING:
		if ((rc = account_delete_group(r, err)) < 0)
			return rc;
		return account_create(inv, r, err);
	case FLEET_USER_EXPIRY:
		return account_set_expiry(r, err);
	case FLEET_USER_OPEN:
		return account_lock(r, err);
	case FLEET_USER_LEFT:
		if ((rc = account_delete(r, err)) < 0)
			return rc;
		return account_delete_group(r, err);
	default:
		return err_set(err, ERR_INVAL, "%s", fleet_user_text(s));
	}
}
