/* SPDX-License-Identifier: ISC */
/* pamfix.c - the shared fixture of the PAM integration tests (pamfix.h). */
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
#include "pamfix.h"

char logged[1 << 16];
size_t logged_len;

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

char tmp[PATH_MAX / 2], store[PATH_MAX], conf[PATH_MAX], svc[PATH_MAX];
char me[USER_MAX_LEN + 1], module[PATH_MAX], probe[PATH_MAX];
char hooked[PATH_MAX], fake[PATH_MAX];
uid_t my_uid;
const char *args[2];

/* What the conversation answers, and what it was told. */
const char *answer;
int prompts;
char infos[1024];

int
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

void
write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

void
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
char lib[PATH_MAX / 2];

/* Copy the built file named by the environment variable var into lib. */
int
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

void
remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pamtest: could not remove %s\n", dir);
}

void
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

void
teardown(void)
{
	remove_tree(tmp);
}

int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

/*
 * Writes come from another process, as they do from the helper: the module
 * has its own copy of the store code and its own handle, and LMDB forbids
 * two handles on one file in one process.
 */
void
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
void
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

pam_handle_t *
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
int
step(pam_handle_t *h, int (*fn)(pam_handle_t *, int))
{
	const char *rc;

	pam_putenv(h, "PROBE_RC");
	fn(h, 0);
	ck_assert_ptr_nonnull(rc = pam_getenv(h, "PROBE_RC"));
	return atoi(rc);
}

int
run_auth(pam_handle_t *h)
{
	return step(h, pam_authenticate);
}

int
run_acct(pam_handle_t *h)
{
	return step(h, pam_acct_mgmt);
}

/* The module's own answer for password, user, service and rhost. */
int
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
