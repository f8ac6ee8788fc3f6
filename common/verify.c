/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cidr.h"
#include "err.h"
#include "store.h"
#include "store_fleet.h"
#include "token.h"
#include "verify.h"
#include "verify_usage.h"

enum verify_code
verify_reason_only(struct verify_result *res, enum verify_reason reason)
{
	memset(res, 0, sizeof(*res));
	res->reason = reason;
	return res->code = verdict_of(reason);
}

static enum verify_code
deny(struct verify_result *res, enum verify_reason reason)
{
	res->code = VERIFY_DENIED;
	res->reason = reason;
	return res->code;
}

/* A refusal with the reason's own verdict, and what the log should add. */
static enum verify_code
refuse(struct verify_result *res, enum verify_reason reason, const char *detail)
{
	res->reason = reason;
	res->code = verdict_of(reason);
	snprintf(res->detail, sizeof(res->detail), "%s",
	    detail != NULL ? detail : "");
	return res->code;
}

static enum verify_code
unavail(struct verify_result *res, const char *detail)
{
	res->code = VERIFY_UNAVAIL;
	res->reason = VREASON_STORE;
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
	return res->code;
}

static const struct {
	const char *variant, *program;
} service_variants[] = {
	{ "su-l", "su" },
	{ "sudo-i", "sudo" },
	{ "runuser-l", "runuser" },
};

const char *
verify_service_program(const char *service)
{
	for (size_t i = 0;
	     i < sizeof(service_variants) / sizeof(service_variants[0]); i++)
		if (strcmp(service, service_variants[i].variant) == 0)
			return service_variants[i].program;
	return NULL;
}

bool
verify_service_listed(const struct strlist *l, const char *service)
{
	const char *program = verify_service_program(service);

	return strlist_contains(l, "*") || strlist_contains(l, service) ||
	    (program != NULL && strlist_contains(l, program));
}

/* True when the record allows service under conf's defaults. */
static bool
verify_service_allowed(const struct conf *cf, const struct record *r,
    const char *service)
{
	const struct strlist *l =
	    r->services.n > 0 ? &r->services : &cf->default_services;

	return service != NULL && verify_service_listed(l, service);
}

static bool
address_allowed(const struct record *r, const char *rhost)
{
	struct cidr block;
	const char *why;

	if (r->allowed_addresses.n == 0)
		return true;
	for (int i = 0; i < r->allowed_addresses.n; i++)
		if (cidr_parse(r->allowed_addresses.v[i], &block, &why) == 0 &&
		    cidr_contains(&block, rhost))
			return true;
	return false;
}

void
verify_user_lookup(const char *user, struct verify_user *u)
{
	struct passwd pw, *found = NULL;
	/* Off the stack, for PAM threads with small stacks; no memory, no
	 * login. */
	char *buf = malloc(VERIFY_PW_BUF_LEN);

	u->lookup = VLOOKUP_NO_USER;
	if (buf != NULL &&
	    getpwnam_r(user, &pw, buf, VERIFY_PW_BUF_LEN, &found) == 0 &&
	    found != NULL) {
		u->lookup = VLOOKUP_FOUND;
		u->uid = pw.pw_uid;
	}
	free(buf);
}

/*
 * The account must still be the one the token was made for: when a name is
 * deleted and later given to someone else, the old tokens must not follow.
 */
static bool
same_account(const struct record *r, const char *user,
    const struct verify_user *known)
{
	struct verify_user u;

	if (known == NULL || known->lookup == VLOOKUP_NOT_DONE) {
		verify_user_lookup(user, &u);
		known = &u;
	}
	return known->lookup == VLOOKUP_FOUND && known->uid == r->uid;
}

/* sp_lstchg as record.account_since keeps it: 0 when empty (-1) or 0. */
static int64_t
since_of(const struct spwd *sp)
{
	return sp->sp_lstchg > 0 ? (int64_t)sp->sp_lstchg : 0;
}

int
verify_account_since(const char *user, int64_t *since)
{
	struct spwd sp, *found = NULL;
	char *buf = malloc(VERIFY_PW_BUF_LEN);
	int rc = 0;

	*since = 0;
	if (buf == NULL)
		return ERR_UNAVAIL;
	if (getspnam_r(user, &sp, buf, VERIFY_PW_BUF_LEN, &found) != 0)
		rc = ERR_UNAVAIL;
	else if (found != NULL)
		*since = since_of(&sp);
	explicit_bzero(buf, VERIFY_PW_BUF_LEN);
	free(buf);
	return rc;
}

/*
 * The account itself must be the one the token was made for and open,
 * whoever's token it is, since a stack whose account step is this module
 * alone has nothing else to ask.  The same account: its shadow
 * last-change day is still the one recorded at create (account_since),
 * which userdel and useradd of the same name and uid move to the day of
 * the useradd, as passwd and chage -d do; one that had no evidence then
 * is judged by name and uid alone, and one that had some and has none now
 * (no shadow entry, or it cannot be read) is not the same.  Open: not
 * expired in shadow (sp_expire; revoke expires a service user, and
 * usermod(8) says an expiry is how a whole account is locked), and not
 * with a locked password: '!' before a hash, or before the '*' of an
 * account without one (usermod --lock, passwd --lock).  A token is a
 * password; it opens no more than a password would.  A bare '!' or '*' is
 * an account that never had a password (useradd leaves every new account
 * so, service users included), not a lock: it is open to other logins,
 * and its tokens are subject to its expiry.  No shadow entry (a directory
 * user) means no such evidence.
 */
static enum verify_reason
account_open(const struct record *r, const char *user, int64_t now)
{
	struct spwd sp, *found = NULL;
	char *buf = malloc(VERIFY_PW_BUF_LEN);
	enum verify_reason why = VREASON_ACCEPTED;
	bool have;

	if (buf == NULL)
		return VREASON_ACCOUNT_LOCKED; /* no memory, no login */
	have = getspnam_r(user, &sp, buf, VERIFY_PW_BUF_LEN, &found) == 0 &&
	    found != NULL;
	if (r->account_since != 0 &&
	    (!have || since_of(&sp) != r->account_since))
		why = VREASON_ACCOUNT_CHANGED;
	else if (have && sp.sp_expire > 0 && now / 86400 >= sp.sp_expire)
		why = VREASON_ACCOUNT_EXPIRED;
	else if (have && sp.sp_pwdp != NULL && sp.sp_pwdp[0] == '!' &&
	    sp.sp_pwdp[1] != '\0')
		why = VREASON_ACCOUNT_LOCKED;
	explicit_bzero(buf, VERIFY_PW_BUF_LEN);
	free(buf);
	return why;
}

/* Checks that hold for the whole life of a login, auth and account alike. */
static enum verify_code
check_state(const struct record *r, const char *user,
    const struct verify_user *known, int64_t now, struct verify_result *res)
{
	enum verify_reason why;

	if (r->status == STATUS_PENDING || r->status == STATUS_DELETED)
		return deny(res, VREASON_UNKNOWN_ID);
	if (r->status == STATUS_SUSPENDED)
		return deny(res, VREASON_SUSPENDED);
	if (r->status != STATUS_ACTIVE)
		return deny(res, VREASON_REVOKED);
	if (record_expired(r, now))
		return deny(res, VREASON_EXPIRED);
	if (strcmp(r->user, user) != 0)
		return deny(res, VREASON_OTHER_USER);
	if (!same_account(r, user, known))
		return deny(res, VREASON_UID_CHANGED);
	if ((why = account_open(r, user, now)) != VREASON_ACCEPTED)
		return deny(res, why);
	return VERIFY_OK;
}

static int
contact_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_fleet_contact(t, ctx, err);
}

/*
 * A fleet token also names its hosts: this one (fleet_host, else the host
 * name), one of its fleet_host_groups, or "*".  The directory sends a host
 * only its own tokens; this holds should a replica be copied elsewhere.
 * Under fleet_staleness = strict it is refused once the replica has not
 * heard from the directory for fleet_stale_after (or never has): a revoke
 * may be waiting there.  Local tokens are never affected.
 */
static enum verify_reason
fleet_allowed(const struct conf *cf, struct store *st, const struct record *r,
    int64_t now)
{
	char host[ITEM_MAX_LEN + 2] = "";
	bool here = strlist_contains(&r->hosts, "*");
	int64_t contact = 0;

	if (cf->fleet_host[0] != '\0')
		snprintf(host, sizeof(host), "%s", cf->fleet_host);
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	for (int i = 0; i < r->hosts.n && !here; i++)
		here =
		    (host[0] != '\0' && strcasecmp(r->hosts.v[i], host) == 0) ||
		    strlist_contains(&cf->fleet_host_groups, r->hosts.v[i]);
	if (!here)
		return VREASON_FLEET_HOST;
	if (cf->fleet_strict &&
	    (store_read(st, contact_fn, &contact, NULL) < 0 || contact == 0 ||
	        now - contact > cf->fleet_stale_after))
		return VREASON_FLEET_STALE;
	return VREASON_ACCEPTED;
}

/* A stopped process must hold none of LMDB's locks (verifier.h). */
static unsigned
open_flags(enum verify_process process)
{
	return STORE_RDONLY | (process == VPROC_STOPPABLE ? STORE_NOLOCK : 0);
}

/* How long a usage write of req waits for the gate (verify.h). */
static int
usage_wait(const struct verify_request *req)
{
	return req->process == VPROC_SHARED_LOOP ? 0 : STORE_USAGE_WAIT_MS;
}

/*
 * An accepted login of a token with a use limit consumes one use, or is
 * refused: spent when none is left (seen in the earlier read too, so a
 * spent token never takes the usage writer), and unavailable when the use
 * cannot be counted, as by a verifier its caller can stop (which must
 * hold nothing logins wait on) or with the usage writer busy.  Other
 * tokens never come here.
 */
static void
spend_use(struct store *st, const struct verify_request *req,
    const struct usage *seen, struct verify_usage *x, struct verify_result *res)
{
	char err[ERR_MAX];
	int rc;

	x->max_uses = res->rec.max_uses;
	if (seen != NULL && seen->uses >= x->max_uses) {
		refuse(res, VREASON_USES_SPENT, NULL);
		return;
	}
	if (req->process == VPROC_STOPPABLE) {
		refuse(res, VREASON_USES_NEED_ROOT, NULL);
		return;
	}
	rc = store_usage_count(st, res->rec.id, res->rec.created_at,
	    usage_wait(req), verify_usage_count, x, err);
	if (rc < 0)
		refuse(res, VREASON_USES_UNCOUNTED, err);
	else if (x->locked)
		deny(res, VREASON_LOCKED_OUT);
	else if (x->spent)
		refuse(res, VREASON_USES_SPENT, NULL);
}

/* Every check after the secret's (verify.h, step 5). */
static enum verify_code
check_use(const struct conf *cf, struct store *st,
    const struct verify_request *req, struct verify_result *res)
{
	enum verify_reason why;

	if (check_state(&res->rec, req->user, &req->looked_up, req->now, res) !=
	    VERIFY_OK)
		return res->code;
	if (!verify_service_allowed(cf, &res->rec, req->service))
		return deny(res, VREASON_SERVICE);
	if (!address_allowed(&res->rec, req->rhost))
		return deny(res, VREASON_ADDRESS);
	if (res->rec.origin == ORIGIN_FLEET &&
	    (why = fleet_allowed(cf, st, &res->rec, req->now)) !=
	        VREASON_ACCEPTED)
		return deny(res, why);
	res->code = VERIFY_OK;
	res->reason = VREASON_ACCEPTED;
	return res->code;
}

enum verify_code
verify_token(const struct conf *cf, const struct verify_request *req,
    struct verify_result *res)
{
	struct store *st = NULL;
	struct token tok;
	struct usage use;
	struct usage_source *seen;
	char source[SOURCE_MAX_LEN + 1];
	struct verify_usage uctx = { cf, req, source, false, false, false,
		false, 0 };
	uint8_t hash[TOKEN_HASH_LEN];
	char err[ERR_MAX];
	const char *why = NULL;
	bool found, have_use, lockout = cf->lockout_attempts > 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&tok, 0, sizeof(tok));
	if (!token_has_prefix(req->password, req->password_len)) {
		res->code = VERIFY_NOT_TOKEN;
		res->reason = VREASON_NOT_TOKEN;
		return res->code;
	}
	/* The id is public; it is all the log ever gets from the input. */
	token_peek_id(req->password, req->password_len, res->id);
	if (token_parse(req->password, req->password_len, &tok, &why) < 0) {
		snprintf(res->detail, sizeof(res->detail), "%s", why);
		return deny(res, VREASON_MALFORMED);
	}

	if ((rc = store_open(&st, req->store_dir, open_flags(req->process),
	         err)) < 0) {
		unavail(res, err);
		goto out;
	}
	/*
	 * Read for the lockout and the throttle alike.  With a lockout, usage
	 * that may not be read (a usage.mdb given away or writable by others,
	 * an I/O error: ERR_UNAVAIL) refuses: it must not switch the lockout
	 * off unseen.  Usage that does not exist or cannot be made (no file
	 * yet, a full disk) or is damaged records no lockout: it decides
	 * nothing, as losing it after a power cut must not either.
	 */
	rc = store_usage_get(st, tok.id, &use, err);
	have_use = rc == 0;
	if (rc == ERR_UNAVAIL && lockout) {
		unavail(res, err);
		goto out;
	}
	verify_usage_source(req, source, sizeof(source));
	seen = have_use ? usage_source_find(&use, source) : NULL;
	if (lockout && seen != NULL && seen->locked_until > req->now) {
		deny(res, VREASON_LOCKED_OUT);
		goto out;
	}
	rc = store_get(st, tok.id, &res->rec, err);
	if (rc < 0 && rc != ERR_NOTFOUND) {
		unavail(res, err);
		goto out;
	}
	found = rc == 0;
	/* Hash and compare whether or not the id exists, so ids cannot be
	 * probed by time. */
	token_hash(&tok, hash);
	uctx.match = token_hash_equal(hash, res->rec.hash);
	if (token_hash_equal(hash, res->rec.old_hash) &&
	    res->rec.old_hash_until > req->now)
		uctx.match = true;
	if (!found) {
		deny(res, VREASON_UNKNOWN_ID);
		goto out;
	}
	if (!uctx.match)
		deny(res, VREASON_WRONG_SECRET);
	else
		uctx.accepted = check_use(cf, st, req, res) == VERIFY_OK;
	if (uctx.accepted && res->rec.max_uses > 0) {
		spend_use(st, req, have_use ? &use : NULL, &uctx, res);
		goto out;
	}
	if (req->process == VPROC_STOPPABLE)
		goto out;
	if (!lockout) {
		/* The usage writer only when a write is due. */
		if (uctx.accepted &&
		    (!have_use || verify_usage_due(&uctx, &use)))
			store_usage_update(st, tok.id, usage_wait(req),
			    verify_usage_record, &uctx, err);
		goto out;
	}
	rc = store_usage_update(st, tok.id, usage_wait(req),
	    verify_usage_attempt, &uctx, err);
	if (uctx.locked)
		deny(res, VREASON_LOCKED_OUT);
	else if (rc == ERR_UNAVAIL &&
	    (!uctx.match || (seen != NULL && seen->failures > 0)))
		/*
		 * The gate stayed busy: no wrong secret is told so uncounted
		 * (else guesses at once would outrun the lockout), and no
		 * source that has failed is answered.
		 */
		refuse(res, VREASON_UNCOUNTED, NULL);
out:
	if (res->code != VERIFY_OK)
		memset(&res->rec, 0, sizeof(res->rec));
	token_wipe(&tok);
	explicit_bzero(hash, sizeof(hash));
	store_close(st);
	return res->code;
}

enum verify_code
verify_account(const char *store_dir, const char *id, const char *user,
    int64_t now, enum verify_process process, struct verify_result *res)
{
	struct store *st = NULL;
	char err[ERR_MAX];
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", id);
	if ((rc = store_open(&st, store_dir, open_flags(process), err)) < 0)
		return unavail(res, err);
	rc = store_get(st, id, &res->rec, err);
	store_close(st);
	if (rc == ERR_NOTFOUND)
		return deny(res, VREASON_DELETED);
	if (rc < 0)
		return unavail(res, err);
	if (check_state(&res->rec, user, NULL, now, res) != VERIFY_OK)
		return res->code;
	res->code = VERIFY_OK;
	res->reason = VREASON_ACCEPTED;
	return res->code;
}
