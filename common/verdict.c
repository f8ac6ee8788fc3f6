/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include "verdict.h"

static const struct {
	const char *name; /* the protocol's word: never change one */
	const char *text; /* for logs */
} reasons[VREASON_COUNT] = {
	[VREASON_ACCEPTED] = { "accepted", "accepted" },
	[VREASON_NOT_TOKEN] = { "not-token", "not a token" },
	[VREASON_MALFORMED] = { "malformed", "malformed token" },
	[VREASON_UNKNOWN_ID] = { "unknown-id", "unknown token id" },
	[VREASON_WRONG_SECRET] = { "wrong-secret", "wrong secret" },
	[VREASON_LOCKED_OUT] = { "locked-out",
	    "locked out after repeated failures" },
	[VREASON_SUSPENDED] = { "suspended", "token suspended" },
	[VREASON_REVOKED] = { "revoked", "token revoked" },
	[VREASON_EXPIRED] = { "expired", "token expired" },
	[VREASON_OTHER_USER] = { "other-user",
	    "token belongs to another user" },
	[VREASON_UID_CHANGED] = { "uid-changed",
	    "account is not the one the token was made for (uid changed)" },
	[VREASON_SERVICE] = { "service", "service not allowed" },
	[VREASON_ADDRESS] = { "address", "source address not allowed" },
	[VREASON_DELETED] = { "deleted", "token deleted" },
	[VREASON_STORE] = { "store", "token store unavailable" },
	[VREASON_NOT_VERIFIER] = { "not-verifier",
	    "caller may verify only its own tokens" },
	[VREASON_VERIFIER_SERVICE] = { "verifier-service",
	    "caller may not verify tokens for this service" },
	[VREASON_BAD_REQUEST] = { "bad-request", "malformed verify request" },
	[VREASON_BAD_ANSWER] = { "bad-answer", "malformed verify answer" },
	[VREASON_VERIFIER_FAILED] = { "verifier-failed",
	    "the verifier gave no answer" },
	[VREASON_NO_VERIFIER] = { "no-verifier",
	    "cannot reach the verify service or run the helper" },
	[VREASON_ACCOUNT_EXPIRED] = { "account-expired", "account expired" },
	[VREASON_ACCOUNT_LOCKED] = { "account-locked",
	    "account locked (its password is locked)" },
	[VREASON_FLEET_HOST] = { "fleet-host",
	    "fleet token not for this host or its host groups" },
	[VREASON_FLEET_STALE] = { "fleet-stale",
	    "fleet replica stale: no contact with the directory for longer "
	    "than fleet_stale_after (fleet_staleness = strict)" },
	[VREASON_UNCOUNTED] = { "uncounted",
	    "the attempt, a wrong secret or from a source that has failed "
	    "before, cannot be counted now (another process is writing "
	    "usage)" },
	[VREASON_USES_SPENT] = { "uses-spent",
	    "all of its uses are spent (create --uses)" },
	[VREASON_USES_UNCOUNTED] = { "uses-uncounted",
	    "its use could not be counted (usage store busy, damaged, or "
	    "younger than the token)" },
	[VREASON_USES_NEED_ROOT] = { "uses-need-root",
	    "a token with a use limit needs a root verifier "
	    "(apitoken-verifyd)" },
	[VREASON_ACCOUNT_CHANGED] = { "account-changed",
	    "the account changed since the token was made (re-created, or its "
	    "password changed)" },
};

enum verify_code
verdict_of(enum verify_reason r)
{
	switch (r) {
	case VREASON_ACCEPTED:
		return VERIFY_OK;
	case VREASON_NOT_TOKEN:
		return VERIFY_NOT_TOKEN;
	case VREASON_STORE:
	case VREASON_NO_VERIFIER:
	case VREASON_UNCOUNTED:
	case VREASON_USES_UNCOUNTED:
	case VREASON_USES_NEED_ROOT:
		return VERIFY_UNAVAIL;
	default:
		return VERIFY_DENIED;
	}
}

const char *
verdict_reason_text(enum verify_reason r)
{
	return (unsigned)r < VREASON_COUNT ? reasons[r].text : "unknown reason";
}

const char *
verdict_reason_name(enum verify_reason r)
{
	return (unsigned)r < VREASON_COUNT ? reasons[r].name : "unknown";
}

int
verdict_reason_from_name(const char *s, enum verify_reason *r)
{
	for (int i = 0; i < VREASON_COUNT; i++)
		if (strcmp(s, reasons[i].name) == 0) {
			*r = (enum verify_reason)i;
			return 0;
		}
	return -1;
}
