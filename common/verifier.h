/* SPDX-License-Identifier: ISC */
/*
 * verifier.h - who may ask for a verdict on whose tokens: the verifier
 * policy, and the privileged side of the verify protocol.
 *
 * A process that is not root cannot read the store; it asks the setuid
 * helper or apitoken-verifyd(8), which know the caller from the kernel
 * (the real uid and groups, or SO_PEERCRED and SO_PEERGROUPS).  The
 * answer to "may this caller have a verdict on USER's token for
 * SERVICE?" is, in order:
 *   - root: yes;
 *   - USER is the caller's own account: yes, for any service (a screen
 *     locker; the caller could claim any service for its own password
 *     with pam_unix too);
 *   - a `verifier` line of apitoken.conf(5) names the caller's account,
 *     or a group the caller is in, and SERVICE among its services: yes;
 *   - otherwise no (VREASON_NOT_VERIFIER when no line names the caller,
 *     VREASON_VERIFIER_SERVICE when lines do but not for SERVICE).
 * Deny by default: without verifier lines nothing changes from the
 * own-tokens-only rule.  The service is still checked against the token's
 * own services afterwards; the policy only bounds what a caller may claim.
 *
 *   verifier = www-data: nginx
 *   verifier = @dovecot: dovecot, imap
 *
 * Names are resolved when a request comes (getpwnam_r/getgrnam_r), so an
 * account created after the file was read counts; a name that does not
 * resolve matches nobody.
 */
#ifndef APITOKEN_VERIFIER_H
#define APITOKEN_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"
#include "verdict.h"

#define VERIFIER_MAX 16         /* verifier lines in one configuration */
#define VERIFIER_MAX_GROUPS 256 /* caller's groups looked at, the first */

struct conf;
struct verify_user;

struct verifier_rule {
	bool group; /* name is a group (written @name) */
	char name[USER_MAX_LEN + 1];
	struct strlist services;
};

/* Who is asking, as the kernel says. */
struct verifier_caller {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[VERIFIER_MAX_GROUPS];
};

/*
 * Parse the value of one verifier line ("[@]NAME: SERVICE[, SERVICE]...")
 * into rule: 0, or -1 with a static reason in *why (a pure parser).
 */
int verifier_parse(const char *value, struct verifier_rule *rule,
    const char **why);

/*
 * The policy above for rules[0..nrules): VREASON_ACCEPTED or why not.
 * *as_verifier is true when a verifier line, not the caller's own
 * account or root, allowed it.  *user_pw is what the lookup of user that
 * tells the caller's own account found (verify.h's verify_user_lookup),
 * for the verify_request of the same decision; VLOOKUP_NOT_DONE for
 * root, which needs none.
 */
enum verify_reason verifier_allows(const struct verifier_rule *rules,
    int nrules, const struct verifier_caller *who, const char *user,
    const char *service, struct verify_user *user_pw, bool *as_verifier);

/* What kind of process decides, which bounds what it may wait for. */
enum verify_process {
	/* Root's, for one login (the module as root, root's verify mode). */
	VPROC_OWN = 0,
	/*
	 * Stoppable by the user it answers (the setuid helper run by a user;
	 * the module in su or sudo when no verify service answers), and a
	 * stopped process must hold nothing another login needs: it
	 * opens the store with STORE_NOLOCK and never writes usage.  No use
	 * is recorded and no failure counted; a lockout still refuses, and so
	 * does a token with a use limit (it cannot be counted here).
	 */
	VPROC_STOPPABLE,
	/*
	 * Answers many callers in one loop (apitoken-verifyd): its usage
	 * writes never wait for the gate, since a process that a user can
	 * stop (su, sudo) may hold it, and a wait here would be every other
	 * caller's.  A busy gate then answers as in steps 6 and 7 of verify.h.
	 */
	VPROC_SHARED_LOOP,
};

/*
 * The privileged side of the verify protocol (verify_proto.h), the same
 * in the setuid helper and in apitoken-verifyd: decode the request of len
 * bytes (a malformed one is answered VREASON_BAD_REQUEST), apply the
 * policy, then verify_token with c, store_dir, now and process (the
 * answering process); write one answer line into answer
 * (cap >= VPROTO_ANSWER_MAX) and log one line to syslog (LOG_AUTHPRIV)
 * naming the caller's uid (and the request's RUN_BY), the token id, user,
 * service, rhost ("-" when none) and the reason.  A RUN_BY is taken from
 * root alone, as the attempt's caller_uid; from anyone else the request
 * is VREASON_BAD_REQUEST.  Returns the answer's
 * length.  *delay is how many seconds the caller's answer should wait:
 * fail_delay after verify_token refused a caller verifying its own
 * tokens; 0 for successes, requests refused before any secret was
 * tested, root and verifiers (the servers that verify for their
 * clients are event loops: a delay there stalls every other client of the
 * process, and the lockout bounds guessing).  req is wiped.
 */
size_t verifier_answer(const struct conf *cf, const char *store_dir,
    int64_t now, const struct verifier_caller *who, enum verify_process process,
    char *req, size_t len, char *answer, size_t cap, int64_t *delay);

#endif
