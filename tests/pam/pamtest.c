/* SPDX-License-Identifier: ISC */
/*
 * pamtest - pam_apitoken.so through real libpam.
 *
 * Each test writes a private store, configuration and service directory,
 * starts a real handle with pam_start_confdir and drives it with
 * pam_authenticate and pam_acct_mgmt.  Where the module's own code matters
 * (libpam turns a lone PAM_IGNORE into PAM_PERM_DENIED), the stack runs it
 * behind tests/pam/probe.c, which reports the exact code.  The module is
 * the built one, named by PAM_MODULE; the non-root test runs the same
 * sources built with test hooks (PAM_MODULE_HOOKS), whatever the build.
 * main() copies every file a test loads or runs into a directory that
 * `nobody` can reach: the build tree may be in a 0700 home.
 *
 * This program defines pam_syslog and pam_vsyslog and exports them, so
 * the module's log lines land in `logged` instead of syslog: tests assert
 * what is logged, and that no secret ever is.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include "err.h"
#include "store.h"
#include "token.h"
#include "when.h"

static char logged[1 << 16];
static size_t logged_len;

void
pam_vsyslog(const pam_handle_t *pamh, int prio, const char *fmt, va_list ap)
{
	int n;

	(void)pamh;
	(void)prio;
	if (logged_len >= sizeof(logged) - 2)
		return;
	n = vsnprintf(logged + logged_len, sizeof(logged) - logged_len - 1, fmt,
	    ap);
	if (n > 0)
		logged_len += (size_t)n < sizeof(logged) - logged_len - 1 ?
		    (size_t)n :
		    sizeof(logged) - logged_len - 2;
	logged[logged_len++] = '\n';
	logged[logged_len] = '\0';
}

void
pam_syslog(const pam_handle_t *pamh, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pam_vsyslog(pamh, prio, fmt, ap);
	va_end(ap);
}

static char tmp[PATH_MAX / 2], store[PATH_MAX], conf[PATH_MAX], svc[PATH_MAX];
static char me[USER_MAX_LEN + 1], module[PATH_MAX], probe[PATH_MAX];
static char hooked[PATH_MAX], fake[PATH_MAX];
static uid_t my_uid;
static const char *args[2];

/* What the conversation answers, and what it was told. */
static const char *answer;
static int prompts;
static char infos[1024];

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)data;
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			prompts++;
			r[i].resp = strdup(answer);
		} else if (msg[i]->msg_style == PAM_TEXT_INFO)
			strncat(infos, msg[i]->msg,
			    sizeof(infos) - strlen(infos) - 1);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
service(const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", svc, name);
	write_text(path, text, 0644);
}

/*
 * The built files a test loads or runs, copied once per process into lib,
 * a directory `nobody` can reach.  Once, not per test: the module is
 * linked -z nodelete, so every copy loaded stays loaded with its store
 * mapped, and under valgrind (CK_FORK=no, one process) fourteen of them
 * exhaust its address space.
 */
static char lib[PATH_MAX / 2];

/* Copy the built file named by the environment variable var into lib. */
static int
copy_in(const char *var, const char *name, char dst[PATH_MAX])
{
	const char *src = getenv(var);
	char buf[1 << 16];
	ssize_t n = -1;
	int in = -1, out = -1, ok = 0;

	if (src == NULL) {
		fprintf(stderr,
		    "pamtest: %s is not set (run me through make check)\n",
		    var);
		return -1;
	}
	snprintf(dst, PATH_MAX, "%s/%s", lib, name);
	if ((in = open(src, O_RDONLY)) >= 0 &&
	    (out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0755)) >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0 &&
		    write(out, buf, (size_t)n) == n)
			;
		ok = n == 0;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "pamtest: cannot copy %s=%s to %s\n", var, src,
		    dst);
	return ok ? 0 : -1;
}

static void
remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pamtest: could not remove %s\n", dir);
}

static void
setup(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *base = getenv("TMPDIR");
	char line[8 * PATH_MAX];
	static char store_arg[PATH_MAX + 16], conf_arg[PATH_MAX + 16];

	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_le(strlen(pw->pw_name), USER_MAX_LEN);
	memcpy(me, pw->pw_name, strlen(pw->pw_name) + 1);
	my_uid = pw->pw_uid;
	snprintf(tmp, sizeof(tmp), "%s/apitoken-pam.XXXXXX",
	    base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	/* Traversable, so the non-root test can reach the service files. */
	ck_assert_int_eq(chmod(tmp, 0755), 0);
	/* The probe loads the module it finds here. */
	setenv("PAM_MODULE", module, 1);
	snprintf(store, sizeof(store), "%s/store", tmp);
	snprintf(conf, sizeof(conf), "%s/apitoken.conf", tmp);
	snprintf(svc, sizeof(svc), "%s/svc", tmp);
	ck_assert_int_eq(mkdir(svc, 0755), 0);
	write_text(conf,
	    "fail_delay = 0\nlockout_attempts = 3\nexpiry_warning_days = 7\n",
	    0644);
	snprintf(store_arg, sizeof(store_arg), "store=%s", store);
	snprintf(conf_arg, sizeof(conf_arg), "config=%s", conf);
	args[0] = store_arg;
	args[1] = conf_arg;
	/* No verify service: the non-root test must reach the helper. */
	snprintf(line, sizeof(line),
	    "auth required %s %s %s debug socket=%s/nosocket\n"
	    "account required %s %s %s\n",
	    probe, store_arg, conf_arg, tmp, probe, store_arg, conf_arg);
	service("sshd", line);
	service("other",
	    "auth required pam_deny.so\naccount required pam_deny.so\n");
	logged_len = 0;
	logged[0] = '\0';
	infos[0] = '\0';
	prompts = 0;
}

static void
teardown(void)
{
	remove_tree(tmp);
}

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

/*
 * Writes come from another process, as they do from the helper: the module
 * has its own copy of the store code and its own handle, and LMDB forbids
 * two handles on one file in one process.
 */
static void
save(struct record *r)
{
	struct store *st;
	char err[ERR_MAX] = "";
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_open(&st, store, STORE_CREATE, err) < 0 ||
		    store_write(st, put_fn, r, err) < 0) {
			fprintf(stderr, "pamtest: save: %s\n", err);
			_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* An active token of the current user for sshd; its text in tok. */
static void
make_token(struct record *r, char tok[TOKEN_LEN + 1])
{
	struct token t;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(token_generate(&t, NULL, tok), 0);
	strcpy(r->id, t.id);
	strcpy(r->name, "laptop");
	memcpy(r->user, me, sizeof(r->user));
	r->uid = my_uid;
	r->status = STATUS_ACTIVE;
	strlist_add(&r->permissions, "deploy:read");
	strlist_add(&r->permissions, "deploy:write");
	token_hash(&t, r->hash);
	save(r);
}

static pam_handle_t *
start(const char *service_name, const char *user, const char *rhost)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;

	ck_assert_int_eq(pam_start_confdir(service_name, user, &c, svc, &h),
	    PAM_SUCCESS);
	if (rhost != NULL)
		ck_assert_int_eq(pam_set_item(h, PAM_RHOST, rhost),
		    PAM_SUCCESS);
	return h;
}

/* Run one step through libpam; the module's own code, from the probe. */
static int
step(pam_handle_t *h, int (*fn)(pam_handle_t *, int))
{
	const char *rc;

	pam_putenv(h, "PROBE_RC");
	fn(h, 0);
	ck_assert_ptr_nonnull(rc = pam_getenv(h, "PROBE_RC"));
	return atoi(rc);
}

static int
run_auth(pam_handle_t *h)
{
	return step(h, pam_authenticate);
}

static int
run_acct(pam_handle_t *h)
{
	return step(h, pam_acct_mgmt);
}

/* The module's own answer for password, user, service and rhost. */
static int
auth(const char *password, const char *user, const char *service_name,
    const char *rhost)
{
	pam_handle_t *h;
	char line[8 * PATH_MAX];
	int rc;

	/* The module checks the service name: give each one the probe stack. */
	if (strcmp(service_name, "sshd") != 0) {
		snprintf(line, sizeof(line), "auth required %s %s %s\n", probe,
		    args[0], args[1]);
		service(service_name, line);
	}
	h = start(service_name, user, rhost);
	answer = password;
	rc = run_auth(h);
	pam_end(h, rc);
	return rc;
}

START_TEST(right_token)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;
	const char *v;

	make_token(&r, tok);
	h = start("sshd", me, "192.0.2.7");
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	ck_assert_int_eq(prompts, 1);
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_ID"));
	ck_assert_str_eq(v, r.id);
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_NAME"));
	ck_assert_str_eq(v, "laptop");
	ck_assert_ptr_nonnull(v = pam_getenv(h, "APITOKEN_PERMISSIONS"));
	ck_assert_str_eq(v, "deploy:read,deploy:write");
	ck_assert_int_eq(run_acct(h), PAM_SUCCESS);
	pam_end(h, PAM_SUCCESS);
	ck_assert(strstr(logged, "accepted") != NULL);
	ck_assert(strstr(logged, r.id) != NULL);
	ck_assert(
	    strstr(logged, tok + TOKEN_PREFIX_LEN + TOKEN_ID_LEN + 1) == NULL);
}
END_TEST

/* The same through the whole stack, as an application sees it. */
START_TEST(whole_stack)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	h = start("sshd", me, "192.0.2.7");
	answer = tok;
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(h, 0), PAM_SUCCESS);
	pam_end(h, PAM_SUCCESS);
	h = start("sshd", me, "192.0.2.7");
	answer = "hunter2";
	ck_assert_int_ne(pam_authenticate(h, 0), PAM_SUCCESS);
	pam_end(h, PAM_AUTH_ERR);
}
END_TEST

START_TEST(refusals)
{
	struct record r;
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	struct token t;
	static const int positions[] = { 0, 6, 7, 13, 18, 19, 20, 35, 51, 52,
		57 };

	make_token(&r, tok);
	/* another secret under the same id */
	ck_assert_int_eq(token_generate(&t, r.id, bad), 0);
	ck_assert_int_eq(auth(bad, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "wrong secret") != NULL);
	/* one-character typos anywhere: prefix damage is "not a token" */
	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		strcpy(bad, tok);
		bad[positions[i]] = bad[positions[i]] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(auth(bad, me, "sshd", NULL),
		    positions[i] < TOKEN_PREFIX_LEN ? PAM_IGNORE :
		                                      PAM_AUTH_ERR);
	}
	/* another user's token; an account that does not exist */
	ck_assert_int_eq(auth(tok, "nobody", "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "another user") != NULL);
	ck_assert_int_eq(auth(tok, "zzapt-no-such-user", "sshd", NULL),
	    PAM_USER_UNKNOWN);
	/* a service the token is not for */
	ck_assert_int_eq(auth(tok, me, "sudo", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "service not allowed") != NULL);
	/* and it still works */
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
}
END_TEST

/*
 * Some PAM hosts authenticate in threads with small stacks (64 KiB): the
 * module keeps its big buffers (the configuration, records, passwd
 * lookups) off the stack, for a token and for a plain password alike.
 * An overflow here is a SIGSEGV of the test.  (At 32 KiB libpam's own
 * audit record overflows first, after the module has returned.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (256 * 1024) /* ASan's redzones widen every frame */
#else
#define SMALL_STACK (64 * 1024)
#endif

struct small_run {
	const char *password;
	int auth, acct;
};

static void *
small_stack_login(void *arg)
{
	struct small_run *run = arg;
	pam_handle_t *h = start("sshd", me, "192.0.2.7");

	answer = run->password;
	run->auth = run_auth(h);
	run->acct = run->auth == PAM_SUCCESS ? run_acct(h) : -1;
	pam_end(h, run->auth);
	return NULL;
}

static void
in_small_thread(struct small_run *run)
{
	pthread_attr_t attr;
	pthread_t th;

	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
	ck_assert_int_eq(pthread_create(&th, &attr, small_stack_login, run), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	pthread_attr_destroy(&attr);
}

START_TEST(small_thread_stack)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	struct small_run good = { tok, -1, -1 }, plain = { "hunter2", -1, -1 };

	make_token(&r, tok);
	in_small_thread(&good);
	ck_assert_int_eq(good.auth, PAM_SUCCESS);
	ck_assert_int_eq(good.acct, PAM_SUCCESS);
	in_small_thread(&plain);
	ck_assert_int_eq(plain.auth, PAM_IGNORE);
}
END_TEST

START_TEST(states)
{
	static const struct {
		int status;
		int64_t expires;
		const char *why;
	} cases[] = {
		{ STATUS_SUSPENDED, 0, "token suspended" },
		{ STATUS_REVOKED, 0, "token revoked" },
		{ STATUS_PENDING, 0, "unknown token id" },
		{ STATUS_DELETED, 0, "unknown token id" },
		{ STATUS_ACTIVE, 1000, "token expired" },
	};
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.status = (uint8_t)cases[i].status;
		r.expires_at = cases[i].expires;
		save(&r);
		ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
		ck_assert_msg(strstr(logged, cases[i].why) != NULL,
		    "no '%s' in log", cases[i].why);
	}
}
END_TEST

START_TEST(source_addresses)
{
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	strlist_add(&r.allowed_addresses, "192.0.2.0/24");
	strlist_add(&r.allowed_addresses, "2001:db8::/32");
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", "192.0.2.200"), PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "192.0.3.1"), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", "2001:db8:1::5"), PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "2001:db9::5"), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", "::ffff:192.0.2.9"),
	    PAM_SUCCESS);
	ck_assert_int_eq(auth(tok, me, "sshd", "host.example.com"),
	    PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "source address not allowed") != NULL);
}
END_TEST

START_TEST(not_tokens_are_ignored)
{
	static char big[1 << 20];

	/* no store exists: a password that is not a token never looks for one
	 */
	ck_assert_int_eq(auth("hunter2", me, "sshd", NULL), PAM_IGNORE);
	ck_assert_int_eq(auth("", me, "sshd", NULL), PAM_IGNORE);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(auth(big, me, "sshd", NULL), PAM_IGNORE);
	/* a megabyte that starts like a token is a damaged token */
	memcpy(big, "apitok_", 7);
	ck_assert_int_eq(auth(big, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "xxxxxxxxxx") == NULL);
	ck_assert_uint_lt(logged_len, 4096);
}
END_TEST

START_TEST(damaged_store_fails_closed)
{
	struct record r;
	char tok[TOKEN_LEN + 1], path[PATH_MAX + 32];
	static const char junk[] =
	    "this is not an LMDB file at all, not even close";

	make_token(&r, tok);
	snprintf(path, sizeof(path), "%s/tokens.mdb", store);
	ck_assert_int_eq(chmod(store, 0777), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert(strstr(logged, "bad modes") != NULL);
	ck_assert_int_eq(chmod(store, 0700), 0);
	ck_assert_int_eq(truncate(path, 8192), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	write_text(path, junk, 0600);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	unlink(path);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	/* and a bad configuration is no better */
	write_text(conf, "fail_delay = 0\nself_servce = yes\n", 0644);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTHINFO_UNAVAIL);
	ck_assert(strstr(logged, "unknown key") != NULL);
	ck_assert(
	    strstr(logged, tok + TOKEN_PREFIX_LEN + TOKEN_ID_LEN + 1) == NULL);
}
END_TEST

START_TEST(account_after_changes)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	/* a login that did not use a token is none of this module's business */
	h = start("sshd", me, NULL);
	ck_assert_int_eq(run_acct(h), PAM_IGNORE);
	pam_end(h, PAM_SUCCESS);
	/* suspended between auth and account */
	h = start("sshd", me, NULL);
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	r.status = STATUS_SUSPENDED;
	save(&r);
	ck_assert_int_eq(run_acct(h), PAM_PERM_DENIED);
	pam_end(h, PAM_SUCCESS);
	/* expired between auth and account */
	r.status = STATUS_ACTIVE;
	r.expires_at = when_now() + 3600;
	save(&r);
	h = start("sshd", me, NULL);
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	r.expires_at = 1000;
	save(&r);
	ck_assert_int_eq(run_acct(h), PAM_ACCT_EXPIRED);
	pam_end(h, PAM_SUCCESS);
}
END_TEST

START_TEST(expiry_warning)
{
	struct record r;
	char tok[TOKEN_LEN + 1];

	make_token(&r, tok);
	r.expires_at = when_now() + 3 * 86400 + 60;
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
	ck_assert_msg(strstr(infos, "expires in 3 days") != NULL, "info: '%s'",
	    infos);
	infos[0] = '\0';
	r.expires_at = when_now() + 30 * 86400;
	save(&r);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_SUCCESS);
	ck_assert_str_eq(infos, "");
}
END_TEST

START_TEST(lockout)
{
	struct record r;
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	struct token t;

	make_token(&r, tok);
	ck_assert_int_eq(token_generate(&t, r.id, bad), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(auth(bad, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert_int_eq(auth(tok, me, "sshd", NULL), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "locked out") != NULL);
}
END_TEST

/*
 * A handle keeps the settings it loaded (for handles that authenticate
 * many times), but an edit of the file between two attempts takes effect.
 */
START_TEST(config_edit_seen_by_a_kept_handle)
{
	struct record r;
	char tok[TOKEN_LEN + 1];
	pam_handle_t *h;

	make_token(&r, tok);
	h = start("sshd", me, NULL);
	answer = tok;
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	ck_assert_int_eq(run_auth(h), PAM_SUCCESS);
	write_text(conf,
	    "fail_delay = 0\nlockout_attempts = 3\ndefault_services = login\n",
	    0644);
	ck_assert_int_eq(run_auth(h), PAM_AUTH_ERR);
	ck_assert(strstr(logged, "service not allowed") != NULL);
	write_text(conf, "fail_delay = 0\nlockout_attempts = 3\nbogus = 1\n",
	    0644);
	ck_assert_int_eq(run_auth(h), PAM_AUTHINFO_UNAVAIL);
	pam_end(h, PAM_SUCCESS);
}
END_TEST

/* use_first_pass and try_first_pass: one prompt for the whole stack. */
START_TEST(first_pass_stacks)
{
	struct record r;
	char tok[TOKEN_LEN + 1], line[8 * PATH_MAX];
	pam_handle_t *h;

	make_token(&r, tok);
	strlist_add(&r.services, "first");
	strlist_add(&r.services, "then-unix");
	save(&r);
	/* pam_unix asks and fails on the token; the module reuses the answer */
	snprintf(line, sizeof(line),
	    "auth optional pam_unix.so\n"
	    "auth sufficient %s %s %s use_first_pass\n"
	    "auth required pam_deny.so\n",
	    module, args[0], args[1]);
	service("first", line);
	h = start("first", me, NULL);
	answer = tok;
	ck_assert_msg(pam_authenticate(h, 0) == PAM_SUCCESS, "log: %s", logged);
	ck_assert_int_eq(prompts, 1);
	pam_end(h, PAM_SUCCESS);
	/* the module asks and ignores a plain password; pam_unix reuses it */
	prompts = 0;
	snprintf(line, sizeof(line),
	    "auth sufficient %s %s %s\n"
	    "auth required pam_unix.so try_first_pass\n",
	    module, args[0], args[1]);
	service("then-unix", line);
	h = start("then-unix", me, NULL);
	answer = "not the password";
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_AUTH_ERR);
	ck_assert_int_eq(prompts, 1);
	pam_end(h, PAM_AUTH_ERR);
	/* a token that fails does not get through pam_unix either */
	prompts = 0;
	h = start("then-unix", me, NULL);
	r.status = STATUS_REVOKED;
	save(&r);
	answer = tok;
	ck_assert_int_eq(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pam_end(h, PAM_AUTH_ERR);
}
END_TEST

/*
 * What the unprivileged child reports besides a PAM code: exit statuses
 * above every PAM code, each with the reason the parent prints.
 */
enum child_exit {
	CHILD_NO_DROP = 100, /* setgroups/setresgid/setresuid failed */
	CHILD_NO_REACH,      /* a copy in tmp is out of the user's reach */
	CHILD_NO_START,      /* pam_start_confdir failed */
	CHILD_NO_PROBE,      /* the probe did not run the module */
};

static const char *
child_why(int status)
{
	switch (status) {
	case CHILD_NO_DROP:
		return "could not become nobody";
	case CHILD_NO_REACH:
		return "nobody cannot read the test's copies of the module, "
		       "probe or fake helper "
		       "(is TMPDIR inside a directory closed to others?)";
	case CHILD_NO_START:
		return "pam_start_confdir failed as nobody";
	case CHILD_NO_PROBE:
		return "the probe did not run the module as nobody (libpam "
		       "could not load it?)";
	default:
		return "the module's answer";
	}
}

/*
 * The non-root case in a forked child: no ck_assert here, since with
 * CK_FORK=no (valgrind.sh) a failed one would return into the test runner
 * inside the child, which would run the remaining tests as nobody.
 */
static int
child_auth(const char *password, const char *user, bool acct)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;
	const char *rc;
	int code;

	if (access(hooked, R_OK) != 0 || access(probe, R_OK) != 0 ||
	    access(fake, X_OK) != 0 || access(svc, R_OK | X_OK) != 0)
		return CHILD_NO_REACH;
	if (pam_start_confdir("sshd", user, &c, svc, &h) != PAM_SUCCESS)
		return CHILD_NO_START;
	answer = password;
	pam_putenv(h, "PROBE_RC");
	pam_authenticate(h, 0);
	rc = pam_getenv(h, "PROBE_RC");
	code = rc != NULL ? atoi(rc) : CHILD_NO_PROBE;
	if (acct && code == PAM_SUCCESS) {
		pam_putenv(h, "PROBE_RC");
		pam_acct_mgmt(h, 0);
		rc = pam_getenv(h, "PROBE_RC");
		code = rc != NULL ? atoi(rc) : CHILD_NO_PROBE;
	}
	pam_end(h, PAM_SUCCESS);
	return code;
}

/*
 * Without root the module asks the helper; tested against a fake one.  The
 * account step then stands on the helper's answer, its expiry rechecked:
 * it must not ignore, or a stack whose account step is this module alone
 * fails.
 */
START_TEST(non_root_asks_the_helper)
{
	static const struct {
		const char *pw;
		bool missing, acct;
		int want;
	} cases[] = {
		{ "apitok_FAKEOK_0123456789", false, false, PAM_SUCCESS },
		{ "apitok_FAKENO_0123456789", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKEKILL_01234567", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKEGARBLE_012345", false, false, PAM_AUTH_ERR },
		{ "apitok_FAKESILENT_012345", false, false, PAM_AUTH_ERR },
		{ "not-a-token", false, false, PAM_IGNORE },
		/* As pam_unix when unix_chkpwd cannot run. */
		{ "apitok_FAKEOK_0123456789", true, false,
		    PAM_AUTHINFO_UNAVAIL },
		{ "apitok_FAKEOK_0123456789", false, true, PAM_SUCCESS },
		{ "apitok_FAKEEXPIRED_01234", false, true, PAM_ACCT_EXPIRED },
	};
	struct passwd *nobody = getpwnam("nobody");
	int status;
	pid_t pid;

	/* Only a test build honours APITOKEN_TEST_HELPER. */
	setenv("PAM_MODULE", hooked, 1);
	if (geteuid() != 0) {
		/* Already unprivileged: the helper path is the only path. */
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			setenv("APITOKEN_TEST_HELPER",
			    cases[i].missing ? "/nonexistent/apitoken" : fake,
			    1);
			ck_assert_int_eq(child_auth(cases[i].pw, me,
			                     cases[i].acct),
			    cases[i].want);
		}
		return;
	}
	ck_assert_msg(nobody != NULL,
	    "no account nobody to run the non-root case as");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 ||
			    setresgid(nobody->pw_gid, nobody->pw_gid,
			        nobody->pw_gid) < 0 ||
			    setresuid(nobody->pw_uid, nobody->pw_uid,
			        nobody->pw_uid) < 0)
				_exit(CHILD_NO_DROP);
			setenv("APITOKEN_TEST_HELPER",
			    cases[i].missing ? "/nonexistent/apitoken" : fake,
			    1);
			_exit(child_auth(cases[i].pw, "nobody", cases[i].acct));
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status),
		    "%s: the child as nobody died (status %d)", cases[i].pw,
		    status);
		ck_assert_msg(WEXITSTATUS(status) == cases[i].want,
		    "%s: got %d, want %d: %s (copies in %s)", cases[i].pw,
		    WEXITSTATUS(status), cases[i].want,
		    child_why(WEXITSTATUS(status)), tmp);
	}
}
END_TEST

START_TEST(unknown_argument_logged)
{
	char line[8 * PATH_MAX];
	pam_handle_t *h;

	snprintf(line, sizeof(line), "auth required %s %s %s frobnicate=yes\n",
	    probe, args[0], args[1]);
	service("odd", line);
	h = start("odd", me, NULL);
	answer = "hunter2";
	ck_assert_int_eq(run_auth(h), PAM_IGNORE);
	pam_end(h, PAM_IGNORE);
	ck_assert(strstr(logged, "unknown or invalid option: frobnicate=yes") !=
	    NULL);
}
END_TEST

int
main(void)
{
	const char *base;
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("module");
	SRunner *sr;
	bool root = geteuid() == 0;
	int failed;

	base = getenv("TMPDIR");
	snprintf(lib, sizeof(lib), "%s/apitoken-pamlib.XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(lib) == NULL || chmod(lib, 0755) != 0) {
		fprintf(stderr, "pamtest: cannot make %s\n", lib);
		return EXIT_FAILURE;
	}
	if (copy_in("PAM_MODULE", "pam_apitoken.so", module) < 0 ||
	    copy_in("PAM_MODULE_HOOKS", "pam_apitoken_hooks.so", hooked) < 0 ||
	    copy_in("PAM_PROBE", "probe.so", probe) < 0 ||
	    copy_in("FAKE_HELPER", "fakehelper", fake) < 0) {
		remove_tree(lib);
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	/*
	 * Without root the module never reads a store (it asks the setuid
	 * helper), so the helper path is all an ordinary user can test.
	 */
	if (root) {
		tcase_add_test(tc, right_token);
		tcase_add_test(tc, whole_stack);
		tcase_add_test(tc, refusals);
		tcase_add_test(tc, states);
		tcase_add_test(tc, source_addresses);
		tcase_add_test(tc, not_tokens_are_ignored);
		tcase_add_test(tc, damaged_store_fails_closed);
		tcase_add_test(tc, account_after_changes);
		tcase_add_test(tc, expiry_warning);
		tcase_add_test(tc, lockout);
		tcase_add_test(tc, first_pass_stacks);
		tcase_add_test(tc, small_thread_stack);
	}
	tcase_add_test(tc, non_root_asks_the_helper);
	if (root) {
		tcase_add_test(tc, unknown_argument_logged);
		tcase_add_test(tc, config_edit_seen_by_a_kept_handle);
	}
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tree(lib);
	if (failed == 0 && !root) {
		printf("SKIP: only the non-root path ran and passed; the other "
		       "tests need root "
		       "(the module reads the store only as root)\n");
		return 77;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
