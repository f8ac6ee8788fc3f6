/* SPDX-License-Identifier: ISC */
/*
 * verdict.h - what a token check can answer, and why.
 *
 * Every decision carries a verdict (enum verify_code, which the PAM module
 * maps onto a PAM result) and a reason (enum verify_reason).  Callers
 * decide on the enums; the words for logs (verdict_reason_text) and for
 * the verify protocol (verdict_reason_name) are derived from them here,
 * never the other way round.  A reason implies its verdict
 * (verdict_of): ACCEPTED is VERIFY_OK, NOT_TOKEN is VERIFY_NOT_TOKEN,
 * STORE, NO_VERIFIER, UNCOUNTED, USES_UNCOUNTED and USES_NEED_ROOT are
 * VERIFY_UNAVAIL, every other reason is a denial.
 */
#ifndef APITOKEN_VERDICT_H
#define APITOKEN_VERDICT_H

enum verify_code {
	VERIFY_OK = 0,
	VERIFY_NOT_TOKEN = 1, /* not token-shaped: PAM_IGNORE */
	VERIFY_DENIED = 2,    /* PAM_AUTH_ERR */
	VERIFY_UNAVAIL = 3,   /* store missing, unreadable or damaged */
};

enum verify_reason {
	VREASON_ACCEPTED = 0,
	VREASON_NOT_TOKEN,
	VREASON_MALFORMED, /* token-shaped, but damaged */
	VREASON_UNKNOWN_ID,
	VREASON_WRONG_SECRET,
	VREASON_LOCKED_OUT,
	VREASON_SUSPENDED,
	VREASON_REVOKED,
	VREASON_EXPIRED,
	VREASON_OTHER_USER,   /* the token belongs to another user */
	VREASON_UID_CHANGED,  /* the user's name now has another uid */
	VREASON_SERVICE,      /* the token is not for this PAM service */
	VREASON_ADDRESS,      /* nor from this source address */
	VREASON_DELETED,      /* gone since authentication (account step) */
	VREASON_STORE,        /* the store cannot be used */
	VREASON_NOT_VERIFIER, /* the caller may verify only its own tokens */
	VREASON_VERIFIER_SERVICE, /* a verifier, but not for this service */
	VREASON_BAD_REQUEST,      /* the verifier got a malformed request */
	VREASON_BAD_ANSWER,       /* the caller got a malformed answer */
	VREASON_VERIFIER_FAILED,  /* died, timed out or closed: no answer */
	VREASON_NO_VERIFIER, /* neither the service nor the helper can run */
	VREASON_ACCOUNT_EXPIRED, /* the account has expired (shadow) */
	VREASON_ACCOUNT_LOCKED,  /* its password is locked */
	VREASON_FLEET_HOST,  /* a fleet token not for this host or its groups */
	VREASON_FLEET_STALE, /* strict: the replica is older than allowed */
	VREASON_UNCOUNTED,   /* a failure, or a failed source, not countable */
	VREASON_USES_SPENT,  /* a use limit reached: the token is spent */
	VREASON_USES_UNCOUNTED, /* the use could not be counted (busy, lost) */
	VREASON_USES_NEED_ROOT, /* a use limit, and a verifier that can't count
	                         */
	/* the account's shadow last-change day is not the token's: re-created
	 * (or its password changed) since the token was made */
	VREASON_ACCOUNT_CHANGED,
	VREASON_COUNT
};

/* The verdict a reason goes with. */
enum verify_code verdict_of(enum verify_reason r);

/* Text for a log line ("token expired"); "unknown reason" out of range. */
const char *verdict_reason_text(enum verify_reason r);

/* The protocol's word for r ("expired"); never NULL. */
const char *verdict_reason_name(enum verify_reason r);

/* The reason whose name is s: 0, or -1 when none is. */
int verdict_reason_from_name(const char *s, enum verify_reason *r);

#endif
