/* SPDX-License-Identifier: ISC */
/*
 * verify.h - the login decision.
 *
 * One function decides whether a password is a usable token for a user,
 * service and source address.  The PAM module calls it when it runs as
 * root; without root, or as root run by a user (su, sudo), it asks
 * apitoken-verifyd or the helper's verify mode, which call the same
 * function, so the decision is made in one place.
 *
 * The checks, in order (the first that fails decides):
 *   1. the password looks like a token (else VERIFY_NOT_TOKEN: the caller
 *      lets other modules try it); it parses, with a valid checksum.  No
 *      I/O happens before this point.
 *   2. the store opens (else VERIFY_UNAVAIL).
 *   3. the attempt's source is not locked out (a snapshot read; the
 *      count itself is step 6); with a lockout configured, a usage store
 *      that may not be read (bad owner or modes, I/O: ERR_UNAVAIL) is
 *      VERIFY_UNAVAIL, never "no lockout".
 *   4. the record exists and the secret's hash matches (or, after rotate
 *      --grace, the previous secret's until its deadline).  An unknown id
 *      costs the same hash and the same reads as a known one.
 *   5. status active; not expired; owner is the user, and the user's uid
 *      is still the record's, and so is its shadow last-change day when
 *      the record has one (account_since: a deleted and re-created name
 *      does not inherit old tokens; a password change ends them too); the
 *      account is not expired in shadow nor its password locked (see
 *      account_open in verify.c; reading shadow needs root, as everything
 *      here does); the service is in the record's services (or the
 *      config's default_services when the record has none; "*" allows
 *      any); when allowed_addresses is set, rhost is an IP address inside
 *      one of them (a hostname or no rhost fails).
 *   6. with a lockout configured (lockout_attempts), the attempt on a
 *      known id is decided and counted in one usage write transaction,
 *      before any answer: a source locked out meanwhile is refused, a
 *      wrong secret counts a failure for its source, a right one clears
 *      them.  So no more guesses are answered than the lockout allows,
 *      however many run at once.  The source is what the attacker cannot
 *      choose for the victim: PAM_RHOST (an IPv6 address by its /64, a
 *      name as given), else the real uid that asked (caller_uid: for su
 *      and sudo the user who ran them).  One source's failures never lock
 *      out another: a public id is not enough to lock its owner out.
 *      When the usage writer is busy for longer than an attempt waits
 *      (STORE_USAGE_WAIT_MS, not at all in VPROC_SHARED_LOOP: a stopped
 *      writer, see store_usage_update), a wrong secret and any
 *      attempt from a source with failures on record are
 *      VREASON_UNCOUNTED (VERIFY_UNAVAIL), and a right secret from any
 *      other source is answered uncounted: a stopped writer can then cost
 *      one source its logins, never every source.
 *   7. a token with a use limit (max_uses) has a use left, and consumes it:
 *      counted exactly and synced (store_usage_count), in the usage write
 *      that records the login.  None left is VREASON_USES_SPENT; a use that
 *      cannot be counted (the usage writer busy for more than a few
 *      milliseconds, or busy at all for VPROC_SHARED_LOOP, usage.mdb
 *      damaged or not older than the token) is VREASON_USES_UNCOUNTED,
 *      and a VPROC_STOPPABLE request (which writes nothing)
 *      VREASON_USES_NEED_ROOT: both unavailable, never "count from 0".
 *      The account step (verify_account) consumes nothing.
 * Success of any other token records use (throttled by
 * usage_write_interval, never waiting on fsync or on another usage
 * writer).  A usage store that does not exist or cannot be written
 * decides nothing for those: the decision stands.
 *
 * Every answer is a verdict and a reason (verdict.h); callers decide on
 * those enums, never on text.  Callers that cannot read the store get
 * the same answer from a privileged verifier: apitoken-verifyd(8) or the
 * setuid helper, over the protocol of verify_proto.h, under the policy of
 * verifier.h.
 */
#ifndef APITOKEN_VERIFY_H
#define APITOKEN_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "record.h"
#include "verdict.h"

#define VERIFY_HELPER SBINDIR "/apitoken"
#define VERIFY_MAX_INPUT 512 /* PAM_MAX_RESP_SIZE */
/*
 * The buffer for one getpwnam_r or getspnam_r answer.  Callers on the
 * login path malloc it: PAM applications may authenticate in threads with
 * 64 KiB stacks, so nothing there keeps more than a few KiB on the stack.
 */
#define VERIFY_PW_BUF_LEN 16384

/*
 * What a password-database lookup of a request's user found, when the
 * caller made it for a decision of its own just before (the verify
 * service does, to tell a caller's own tokens): verify_token then does
 * not make the same lookup again.
 */
enum verify_lookup {
	VLOOKUP_NOT_DONE = 0, /* verify_token looks the user up itself */
	VLOOKUP_NO_USER,      /* no such user, or the lookup failed */
	VLOOKUP_FOUND,        /* the user's uid is uid */
};

struct verify_user {
	enum verify_lookup lookup;
	uid_t uid;
};

struct verify_request {
	const char *password;
	size_t password_len;
	const char *user;
	const char *service;
	const char *rhost; /* may be NULL */
	uid_t caller_uid;  /* who asks: the lockout's source without rhost */
	struct verify_user looked_up; /* zero unless the caller looked */
	const char *store_dir;
	int64_t now;
	enum verify_process process; /* verifier.h */
};

struct verify_result {
	enum verify_code code; /* verdict_of(reason) */
	enum verify_reason reason;
	char id[TOKEN_ID_LEN + 1]; /* the token id when one could be read */
	/* For the log: the store's error (VREASON_STORE) or the parser's. */
	char detail[256];
	struct record rec; /* the record, when VERIFY_OK */
};

/*
 * Clear res and give it only reason and the verdict that goes with it;
 * returns that verdict.  For callers that got no decision to report (a
 * verifier that failed or could not be asked).
 */
enum verify_code verify_reason_only(struct verify_result *res,
    enum verify_reason reason);

/*
 * Where a distribution splits one program into several PAM services, the
 * variant's program: "su" for "su-l" (Debian's `su -`), "sudo" for
 * "sudo-i" (`sudo -i`), "runuser" for "runuser-l"; NULL for any other
 * service.  A token or a list naming the program covers its variants, so
 * `--service su` works for `su -`; naming a variant covers only it.
 */
const char *verify_service_program(const char *service);

/* True when list l allows service (itself, "*", or its program). */
bool verify_service_listed(const struct strlist *l, const char *service);

/*
 * The shadow last-change day (sp_lstchg) of user's account, which
 * record.account_since keeps from create on, into *since: 0 when there is
 * none to go by (no shadow entry, a directory user; an empty or 0 field).
 * Returns 0, or ERR_UNAVAIL when the lookup failed (getspnam_r's error:
 * shadow not readable, so call it as root; a name service error), which
 * is no evidence either way.
 */
int verify_account_since(const char *user, int64_t *since);

/*
 * Look user up in the password database (getpwnam_r, with its buffer off
 * the stack) into *u: VLOOKUP_FOUND and the uid, or VLOOKUP_NO_USER.
 */
void verify_user_lookup(const char *user, struct verify_user *u);

/* Decide; fills res and returns res->code. */
enum verify_code verify_token(const struct conf *cf,
    const struct verify_request *req, struct verify_result *res);

/*
 * Re-check a token that authenticated earlier in this PAM transaction
 * (the account step): it still exists, belongs to user (same uid), is
 * active and not expired, and so is the account (as in step 5 above).
 * Same result codes; the hash is not checked again.  process is the
 * deciding process's, as in verify_request (VPROC_STOPPABLE: the store
 * is opened with STORE_NOLOCK).
 */
enum verify_code verify_account(const char *store_dir, const char *id,
    const char *user, int64_t now, enum verify_process process,
    struct verify_result *res);

#endif
