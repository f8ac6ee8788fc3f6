/* SPDX-License-Identifier: ISC */
/*
 * pam_apitoken.c - PAM glue: arguments, items, logging and return codes.
 * The decision itself is verify_token() in common/verify.c.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "conf.h"
#include "err.h"
#include "helper_client.h"
#include "redact.h"
#include "token.h"
#include "verify.h"
#include "verify_proto.h"
#include "verifyd_client.h"
#include "when.h"

#define DATA_ACCEPTED "pam_apitoken_accepted"
#define DATA_CONF "pam_apitoken_conf"

/* What an accepted token leaves on the handle for the account step. */
struct accepted {
	char id[TOKEN_ID_LEN + 1];
	int64_t expires_at; /* 0: never */
};

struct args {
	bool debug;
	bool nodelay;
	const char *store;
	const char *config;
	const char *prompt;
	const char *socket;
};

/* Like pam_unix: an unknown argument is logged and otherwise ignored. */
static void
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	a->debug = false;
	a->nodelay = false;
	a->socket = VERIFY_SOCKET;
	a->store = STOREDIR;
	a->config = CONF_DEFAULT_PATH;
	a->prompt = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else if (strcmp(argv[i], "nodelay") == 0)
			a->nodelay = true;
		else if (strncmp(argv[i], "socket=", 7) == 0 &&
		    argv[i][7] == '/')
			a->socket = argv[i] + 7;
		else if (strcmp(argv[i], "use_first_pass") == 0 ||
		    strcmp(argv[i], "try_first_pass") == 0)
			; /* pam_get_authtok reads these itself */
		else if (strncmp(argv[i], "store=", 6) == 0 &&
		    argv[i][6] == '/')
			a->store = argv[i] + 6;
		else if (strncmp(argv[i], "config=", 7) == 0 &&
		    argv[i][7] == '/')
			a->config = argv[i] + 7;
		else if (strncmp(argv[i], "prompt=", 7) == 0)
			a->prompt = argv[i] + 7;
		else
			pam_syslog(pamh, LOG_ERR,
			    "unknown or invalid option: %.64s", argv[i]);
	}
}

/* A PAM item as it is, for deciding; a redacted copy in buf, for logging. */
static const char *
item_and_log_copy(pam_handle_t *pamh, int type, char *buf, size_t len)
{
	const void *v = NULL;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL)
		return NULL;
	redact_text(v, buf, len);
	return v;
}

/* The settings a handle last loaded, kept with it: see conf_unchanged. */
struct conf_cache {
	char path[PATH_MAX];
	struct conf_stamp stamp;
	struct conf conf;
};

static void
free_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

static int
load_conf(pam_handle_t *pamh, const struct args *a, const struct conf **out)
{
	const void *data = NULL;
	struct conf_cache *cc;
	char err[ERR_MAX];

	if (pam_get_data(pamh, DATA_CONF, &data) == PAM_SUCCESS && data != NULL)
		cc = (struct conf_cache *)data;
	else if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    pam_set_data(pamh, DATA_CONF, cc, free_data) != PAM_SUCCESS) {
		free(cc);
		return PAM_BUF_ERR;
	}
	*out = &cc->conf;
	if (strcmp(cc->path, a->config) == 0 &&
	    conf_unchanged(a->config, &cc->stamp))
		return PAM_SUCCESS;
	snprintf(cc->path, sizeof(cc->path), "%s", a->config);
	if (conf_load_stamped(a->config, &cc->conf, &cc->stamp, err) < 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err);
		return PAM_AUTHINFO_UNAVAIL;
	}
	return PAM_SUCCESS;
}

static void
export_env(pam_handle_t *pamh, const struct record *r)
{
	char buf[64 + LIST_MAX * (ITEM_MAX_LEN + 1)];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "APITOKEN_ID=%s", r->id);
	pam_putenv(pamh, buf);
	snprintf(buf, sizeof(buf), "APITOKEN_NAME=%s", r->name);
	pam_putenv(pamh, buf);
	n = (size_t)snprintf(buf, sizeof(buf), "APITOKEN_PERMISSIONS=");
	for (int i = 0; i < r->permissions.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? "," : "", r->permissions.v[i]);
	pam_putenv(pamh, buf);
}

/*
 * A server that authenticates every request (nginx, Dovecot, saslauthd)
 * would send the expiry notice, and log it, on each one: one process says
 * it once a day per token.  sshd, su and login run a process per login,
 * so a person still sees it at every login.
 */
#define WARNED_SLOTS 32
#define WARN_INTERVAL 86400

static bool
warned_recently(const char *id, int64_t now)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		char id[TOKEN_ID_LEN + 1];
		int64_t at;
	} slot[WARNED_SLOTS];
	int oldest = 0;
	bool recent = false;

	pthread_mutex_lock(&mu);
	for (int i = 0; i < WARNED_SLOTS; i++) {
		if (strcmp(slot[i].id, id) == 0) {
			recent = now - slot[i].at < WARN_INTERVAL;
			oldest = i;
			break;
		}
		if (slot[i].at < slot[oldest].at)
			oldest = i;
	}
	if (!recent) {
		snprintf(slot[oldest].id, sizeof(slot[oldest].id), "%s", id);
		slot[oldest].at = now;
	}
	pthread_mutex_unlock(&mu);
	return recent;
}

static void
warn_expiry(pam_handle_t *pamh, int flags, const struct conf *cf,
    const struct record *r, int64_t now)
{
	char when[WHEN_BUF];
	int64_t left = r->expires_at - now;

	if (r->expires_at == 0 || (flags & PAM_SILENT) ||
	    left > (int64_t)cf->expiry_warning_days * 86400 ||
	    warned_recently(r->id, now))
		return;
	if (left < 86400)
		pam_info(pamh,
		    "Your API token %s expires in less than a day, at %s.",
		    r->id, when_format(r->expires_at, when));
	else
		pam_info(pamh,
		    "Your API token %s expires in %lld day%s, at %s.", r->id,
		    (long long)(left / 86400), left < 2 * 86400 ? "" : "s",
		    when_format(r->expires_at, when));
}

/*
 * getpwnam_r (verify_user_lookup), not pam_modutil_getpwnam: that one
 * keeps each answer in the handle's data list under a new name, so a
 * handle that authenticates many times slows down with every login.
 */
static bool
user_exists(const char *user)
{
	struct verify_user u;

	verify_user_lookup(user, &u);
	return u.lookup == VLOOKUP_FOUND;
}

static const char *
helper_path(void)
{
#ifdef APITOKEN_TEST_HOOKS
	const char *p = getenv("APITOKEN_TEST_HELPER");

	if (p != NULL && *p == '/')
		return p;
#endif
	return VERIFY_HELPER;
}

/*
 * The verify service first.  When none answers: the setuid helper; or, in
 * a root process its user can stop (su, sudo), a decision of its own
 * that takes none of LMDB's locks and writes no usage (VPROC_STOPPABLE,
 * as the helper's verify mode for a user).  Returns true when this
 * process decided.
 */
static bool
ask_verifier(const struct args *a, const struct conf *cf, bool root,
    struct verify_request *req, struct verify_result *res)
{
	bool reached;

	verifyd_verify(a->socket, (int)(cf->fail_delay + 5) * 1000, req->user,
	    req->service, req->rhost, root ? &req->caller_uid : NULL,
	    req->password, req->password_len, res, &reached);
	if (reached)
		return false;
	if (root) {
		req->process = VPROC_STOPPABLE;
		verify_token(cf, req, res);
		return true;
	}
	helper_verify(helper_path(), req->user, req->service, req->rhost,
	    req->password, req->password_len, res);
	return false;
}

/*
 * su, sudo and polkit-agent-helper-1 run as root, yet their real uid is
 * the user's, and kill(2) asks no more: that user can stop them anywhere.
 * Such a process must hold nothing that another login waits on
 * (SECURITY.md), and LMDB's locks are such things, so it does not open
 * the store as root's logins do.
 */
static bool
stoppable(void)
{
	return getuid() != 0;
}

/*
 * Whether this process must log the decision: it decided itself, or no
 * verifier could (the service and the helper log their own decisions,
 * with the caller's uid, once).
 */
static bool
ours_to_log(bool decided_here, const struct verify_result *res)
{
	return decided_here || res->reason == VREASON_BAD_REQUEST ||
	    res->reason == VREASON_BAD_ANSWER ||
	    res->reason == VREASON_VERIFIER_FAILED ||
	    res->reason == VREASON_NO_VERIFIER;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	const struct conf *cf;
	struct verify_request req;
	struct verify_result res;
	char u[USER_MAX_LEN + 8], s[64], h[64];
	const char *user = NULL, *password = NULL;
	struct accepted *acc = NULL;
	int retval = PAM_AUTH_ERR;
	bool root = geteuid() == 0, here, logs;

	parse_args(pamh, argc, argv, &a);
	/* A refused retry must not leave an earlier acceptance standing. */
	pam_set_data(pamh, DATA_ACCEPTED, NULL, NULL);
	if ((retval = load_conf(pamh, &a, &cf)) != PAM_SUCCESS)
		return retval;
	/*
	 * A failure waits fail_delay where the decision is made: here when we
	 * are root (unless nodelay: an event loop such as nginx's would stall
	 * every other client), in the verifier otherwise.
	 */
	if (root && !a.nodelay && cf->fail_delay > 0)
		pam_fail_delay(pamh, (unsigned)(cf->fail_delay * 1000000));
	if ((retval = pam_get_user(pamh, &user, NULL)) != PAM_SUCCESS)
		return retval;
	if (user == NULL || *user == '\0')
		return PAM_USER_UNKNOWN;
	if ((retval = pam_get_authtok(pamh, PAM_AUTHTOK, &password,
	         a.prompt)) != PAM_SUCCESS)
		return retval;
	if (password == NULL)
		return PAM_AUTH_ERR;
	/* Not a token: no store, no helper, no log line; let the next module
	 * try. */
	if (!token_has_prefix(password, strlen(password))) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "not a token; ignored");
		return PAM_IGNORE;
	}

	memset(&req, 0, sizeof(req));
	req.password = password;
	req.password_len = strlen(password);
	req.user = user;
	req.service = item_and_log_copy(pamh, PAM_SERVICE, s, sizeof(s));
	req.rhost = item_and_log_copy(pamh, PAM_RHOST, h, sizeof(h));
	req.caller_uid = getuid();
	req.store_dir = a.store;
	req.now = when_now();
	if (req.service == NULL || *s == '\0')
		strcpy(s, "-");
	if (req.rhost == NULL || *h == '\0')
		strcpy(h, "-");
	redact_text(user, u, sizeof(u));

	if ((here = root && !stoppable()))
		verify_token(cf, &req, &res);
	else
		here = ask_verifier(&a, cf, root, &req, &res);
	logs = a.debug || ours_to_log(here, &res);

	switch (res.code) {
	case VERIFY_NOT_TOKEN:
		return PAM_IGNORE;
	case VERIFY_UNAVAIL:
		if (logs)
			pam_syslog(pamh, LOG_ERR,
			    "token %s for user %s service %s rhost %s: %s%s%s",
			    res.id[0] ? res.id : "-", u, s, h,
			    verdict_reason_text(res.reason),
			    res.detail[0] ? ": " : "", res.detail);
		return PAM_AUTHINFO_UNAVAIL;
	case VERIFY_OK:
		break;
	default:
		/* An accepted token proved the account; a refused one may not
		 * have. */
		if (!user_exists(user)) {
			if (logs)
				pam_syslog(pamh, LOG_NOTICE,
				    "token %s for unknown user %s refused",
				    res.id[0] ? res.id : "-", u);
			return PAM_USER_UNKNOWN;
		}
		if (logs)
			pam_syslog(pamh, LOG_NOTICE,
			    "token %s refused for user %s service %s rhost %s: "
			    "%s%s%s",
			    res.id[0] ? res.id : "-", u, s, h,
			    verdict_reason_text(res.reason),
			    res.detail[0] ? ": " : "", res.detail);
		return PAM_AUTH_ERR;
	}

	if ((acc = calloc(1, sizeof(*acc))) == NULL ||
	    pam_set_data(pamh, DATA_ACCEPTED, acc, free_data) != PAM_SUCCESS) {
		free(acc);
		return PAM_BUF_ERR;
	}
	memcpy(acc->id, res.rec.id, sizeof(acc->id));
	acc->expires_at = res.rec.expires_at;
	export_env(pamh, &res.rec);
	warn_expiry(pamh, flags, cf, &res.rec, req.now);
	if (logs)
		pam_syslog(pamh, LOG_INFO,
		    "token %s accepted for user %s service %s rhost %s",
		    res.rec.id, u, s, h);
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	struct verify_result res;
	const void *data = NULL;
	const struct accepted *acc;
	const char *user = NULL, *id;
	char u[USER_MAX_LEN + 8];
	int retval;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	if (pam_get_data(pamh, DATA_ACCEPTED, &data) != PAM_SUCCESS ||
	    data == NULL)
		return PAM_IGNORE;
	acc = data;
	id = acc->id;
	if ((retval = pam_get_user(pamh, &user, NULL)) != PAM_SUCCESS)
		return retval;
	redact_text(user, u, sizeof(u));
	/*
	 * Without root the store cannot be read.  The verifier, root, checked
	 * everything when it accepted the token in this transaction; of that
	 * only the expiry can change on its own.  Ignoring instead would fail
	 * every stack whose account step is this module alone (nginx's and
	 * Dovecot's as their daemons' users), where libpam turns "all ignored"
	 * into PAM_PERM_DENIED.
	 */
	if (geteuid() != 0) {
		if (acc->expires_at == 0 || when_now() < acc->expires_at)
			return PAM_SUCCESS;
		pam_syslog(pamh, LOG_NOTICE,
		    "account of token %s for user %s refused: %s", id, u,
		    verdict_reason_text(VREASON_EXPIRED));
		return PAM_ACCT_EXPIRED;
	}
	switch (verify_account(a.store, id, user, when_now(),
	    stoppable() ? VPROC_STOPPABLE : VPROC_OWN, &res)) {
	case VERIFY_OK:
		break;
	case VERIFY_UNAVAIL:
		pam_syslog(pamh, LOG_ERR, "token %s for user %s: %s: %s", id, u,
		    verdict_reason_text(res.reason), res.detail);
		return PAM_AUTHINFO_UNAVAIL;
	default:
		pam_syslog(pamh, LOG_NOTICE,
		    "account of token %s for user %s refused: %s", id, u,
		    verdict_reason_text(res.reason));
		return res.reason == VREASON_EXPIRED ||
		        res.reason == VREASON_ACCOUNT_EXPIRED ?
		    PAM_ACCT_EXPIRED :
		    PAM_PERM_DENIED;
	}
	return PAM_SUCCESS;
}
