/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <ctype.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "conf.h"
#include "redact.h"
#include "token.h"
#include "verifier.h"
#include "verify.h"
#include "verify_proto.h"

/* A user or group name as shadow-utils accepts them (NAME_REGEX). */
static bool
valid_account_name(const char *s, size_t n)
{
	if (n == 0 || n > USER_MAX_LEN ||
	    !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		        isdigit((unsigned char)s[i]) ||
		        strchr("_.-", s[i]) != NULL ||
		        (s[i] == '$' && i == n - 1)))
			return false;
	return true;
}

static bool
valid_service(const char *s, size_t n)
{
	if (n == 0 || n > ITEM_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) ||
		        strchr("_.:-", s[i]) != NULL))
			return false;
	return true;
}

int
verifier_parse(const char *value, struct verifier_rule *rule, const char **why)
{
	const char *colon = strchr(value, ':'), *p, *name = value;
	char item[ITEM_MAX_LEN + 1];
	size_t n;

	memset(rule, 0, sizeof(*rule));
	if (colon == NULL) {
		*why = "expected [@]NAME: SERVICE[, SERVICE]...";
		return -1;
	}
	if (*name == '@') {
		rule->group = true;
		name++;
	}
	n = (size_t)(colon - name);
	while (n > 0 && isspace((unsigned char)name[n - 1]))
		n--;
	if (!valid_account_name(name, n)) {
		*why = "expected a user name or @group before ':'";
		return -1;
	}
	memcpy(rule->name, name, n);
	for (p = colon + 1; *p != '\0';) {
		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) == 0)
			break;
		if (n == 1 && *p == '*') {
			*why = "a verifier names its PAM services; '*' is not "
			       "allowed";
			return -1;
		}
		if (!valid_service(p, n)) {
			*why = "expected PAM service names after ':'";
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (strlist_add(&rule->services, item) < 0) {
			*why = "too many services";
			return -1;
		}
		p += n;
	}
	if (rule->services.n == 0) {
		*why = "a verifier needs at least one PAM service";
		return -1;
	}
	return 0;
}

static bool
is_user(const struct verify_user *u, uid_t uid)
{
	return u->lookup == VLOOKUP_FOUND && u->uid == uid;
}

static bool
in_group(const char *name, const struct verifier_caller *who)
{
	struct group gr, *found = NULL;
	char buf[16384];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) != 0 ||
	    found == NULL)
		return false;
	if (gr.gr_gid == who->gid)
		return true;
	for (int i = 0; i < who->ngroups; i++)
		if (who->groups[i] == gr.gr_gid)
			return true;
	return false;
}

/* Whether rule names the caller: its account, or a group it is in. */
static bool
names_caller(const struct verifier_rule *rule,
    const struct verifier_caller *who)
{
	struct verify_user u;

	if (rule->group)
		return in_group(rule->name, who);
	verify_user_lookup(rule->name, &u);
	return is_user(&u, who->uid);
}

enum verify_reason
verifier_allows(const struct verifier_rule *rules, int nrules,
    const struct verifier_caller *who, const char *user, const char *service,
    struct verify_user *user_pw, bool *as_verifier)
{
	enum verify_reason reason = VREASON_NOT_VERIFIER;

	*as_verifier = false;
	memset(user_pw, 0, sizeof(*user_pw));
	if (who->uid == 0)
		return VREASON_ACCEPTED;
	verify_user_lookup(user, user_pw);
	if (is_user(user_pw, who->uid))
		return VREASON_ACCEPTED;
	for (int i = 0; i < nrules; i++) {
		if (!names_caller(&rules[i], who))
			continue;
		if (strlist_contains(&rules[i].services, service)) {
			*as_verifier = true;
			return VREASON_ACCEPTED;
		}
		reason = VREASON_VERIFIER_SERVICE;
	}
	return reason;
}

static void
log_decision(const struct verifier_caller *who, const struct vproto_request *rq,
    const struct verify_result *res)
{
	char u[USER_MAX_LEN * 2 + 8], s[ITEM_MAX_LEN * 2 + 8], h[128];
	char by[32] = "";

	if (rq->has_run_by)
		snprintf(by, sizeof(by), " run by uid %u",
		    (unsigned)rq->run_by);
	redact_text(rq->user[0] ? rq->user : "-", u, sizeof(u));
	redact_text(rq->service[0] ? rq->service : "-", s, sizeof(s));
	redact_text(rq->rhost[0] ? rq->rhost : "-", h, sizeof(h));
	syslog(LOG_AUTHPRIV | (res->code == VERIFY_OK ? LOG_INFO : LOG_NOTICE),
	    "token %s for user %s service %s rhost %s, asked by uid %u%s: "
	    "%s%s%s",
	    res->id[0] ? res->id : "-", u, s, h, (unsigned)who->uid, by,
	    verdict_reason_text(res->reason), res->detail[0] ? ": " : "",
	    res->detail);
}

size_t
verifier_answer(const struct conf *cf, const char *store_dir, int64_t now,
    const struct verifier_caller *who, enum verify_process process, char *req,
    size_t len, char *answer, size_t cap, int64_t *delay)
{
	struct vproto_request rq;
	struct verify_request vr;
	struct verify_result res;
	struct verify_user user_pw;
	bool as_verifier = false, tested = false;
	int n;

	memset(&res, 0, sizeof(res));
	*delay = 0;
	if (vproto_request_decode(req, len, &rq) < 0) {
		res.code = VERIFY_DENIED;
		res.reason = VREASON_BAD_REQUEST;
	} else if (rq.has_run_by && who->uid != 0) {
		/* Anyone else would choose whose failures its guesses are. */
		res.code = VERIFY_DENIED;
		res.reason = VREASON_BAD_REQUEST;
	} else if ((res.reason = verifier_allows(cf->verifiers, cf->nverifiers,
	                who, rq.user, rq.service, &user_pw, &as_verifier)) !=
	    VREASON_ACCEPTED) {
		res.code = VERIFY_DENIED;
		token_peek_id(rq.password, rq.password_len, res.id);
	} else {
		memset(&vr, 0, sizeof(vr));
		vr.looked_up = user_pw;
		vr.password = rq.password;
		vr.password_len = rq.password_len;
		vr.user = rq.user;
		vr.service = rq.service;
		vr.rhost = rq.rhost[0] != '\0' ? rq.rhost : NULL;
		vr.caller_uid = rq.has_run_by ? rq.run_by : who->uid;
		vr.store_dir = store_dir;
		vr.now = now;
		vr.process = process;
		verify_token(cf, &vr, &res);
		tested = true;
	}
	explicit_bzero(req, len);
	if (res.code != VERIFY_NOT_TOKEN)
		log_decision(who, &rq, &res);
	explicit_bzero(&rq, sizeof(rq));
	/* Only a secret that was tested is worth slowing down. */
	if (res.code == VERIFY_DENIED && tested && who->uid != 0 &&
	    !as_verifier)
		*delay = cf->fail_delay;
	if ((n = vproto_answer_encode(&res, answer, cap)) < 0) {
		/* Only an accepted record's name and permissions can be long.
		 */
		memset(&res, 0, sizeof(res));
		res.code = VERIFY_DENIED;
		res.reason = VREASON_BAD_ANSWER;
		n = vproto_answer_encode(&res, answer, cap);
	}
	return n < 0 ? 0 : (size_t)n;
}
