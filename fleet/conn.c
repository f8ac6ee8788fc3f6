/* SPDX-License-Identifier: ISC */
/*
 * conn.c - the caller's own directory identity: its password from a file
 * only they can read, or from the terminal without echo; TLS checked
 * against fleet_ca_file alone; the providers of fleet_providers in order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium/utils.h>

#include "err.h"
#include "fleet.h"

#define PW_MAX 512

/* A login name as it may stand in a DN: nothing a DN would parse. */
static bool
dn_safe(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr("._-", *s) != NULL))
			return false;
	return true;
}

/* tmpl with each %u as the caller's name, %% as %; key names the setting.
 */
static int
expand(const struct fleet *f, const char *key, const char *tmpl, char *out,
    size_t cap, char *err)
{
	size_t n = 0, add;
	const char *piece;

	for (; *tmpl != '\0'; tmpl++) {
		piece = tmpl;
		add = 1;
		if (*tmpl == '%') {
			if (tmpl[1] == 'u') {
				if (!dn_safe(f->caller))
					return err_set(err, ERR_INVAL,
					    "%s: %%u: the login name %s cannot "
					    "stand in it",
					    key, f->caller);
				piece = f->caller;
				add = strlen(f->caller);
			} else if (tmpl[1] != '%')
				return err_set(err, ERR_INVAL,
				    "%s: only %%u and %%%% may follow %%", key);
			tmpl++;
		}
		if (n + add >= cap)
			return err_set(err, ERR_LIMIT, "%s: too long", key);
		memcpy(out + n, piece, add);
		n += add;
	}
	out[n] = '\0';
	return 0;
}

int
fleet_setup(struct fleet *f, char *err)
{
	const struct conf *cf = &f->conf;
	const char *parent;
	int rc;

	if (cf->fleet_providers.n == 0)
		return err_set(err, ERR_INVAL,
		    "%s: no fleet_providers: fleet mode is off", f->conf_path);
	for (size_t i = 0; i < cf->fleet_providers.n; i++)
		if (strncmp(cf->fleet_providers.v[i], "ldap://", 7) != 0 &&
		    strncmp(cf->fleet_providers.v[i], "ldaps://", 8) != 0)
			return err_set(err, ERR_INVAL,
			    "%s: fleet_providers: %s is neither ldap:// nor "
			    "ldaps://",
			    f->conf_path, cf->fleet_providers.v[i]);
	if (cf->fleet_base[0] == '\0')
		return err_set(err, ERR_INVAL, "%s: no fleet_base",
		    f->conf_path);
	if (cf->fleet_uid_pool[0] != '\0')
		strcpy(f->pool_dn, cf->fleet_uid_pool);
	else if ((parent = strchr(cf->fleet_base, ',')) != NULL &&
	    snprintf(f->pool_dn, sizeof(f->pool_dn), "cn=uids%s", parent) <
	        (int)sizeof(f->pool_dn))
		;
	else
		return err_set(err, ERR_INVAL,
		    "%s: set fleet_uid_pool: fleet_base %s has no parent",
		    f->conf_path, cf->fleet_base);
	if ((rc = expand(f, "fleet_admin_bind_dn", cf->fleet_admin_bind_dn,
	         f->bind_dn, sizeof(f->bind_dn), err)) < 0)
		return rc;
	return 0;
}

/* One line of the file at path, which must be the caller's alone. */
static int
password_file(const struct fleet *f, char *pw, char *err)
{
	char path[PATH_MAX];
	struct stat sb;
	ssize_t got;
	size_t n = 0;
	int fd, rc;

	if ((rc = expand(f, "fleet_admin_password_file",
	         f->conf.fleet_admin_password_file, path, sizeof(path), err)) <
	    0)
		return rc;
	/* Opened with the caller's rights: apitoken --fleet dropped root. */
	fd = open(path,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(err, ERR_UNAVAIL,
		    "cannot read the password file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 077) != 0) {
		close(fd);
		return err_set(err, ERR_UNAVAIL,
		    "the password file %s must be a file of yours that "
		    "nobody else can read (chmod 600)",
		    path);
	}
	while (n < PW_MAX - 1 && (got = read(fd, pw + n, PW_MAX - 1 - n)) > 0)
		n += (size_t)got;
	close(fd);
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0')
		return err_set(err, ERR_INVAL, "the password file %s is empty",
		    path);
	return 0;
}

/* Asked on the controlling terminal, without echo. */
static int
password_tty(const struct fleet *f, char *pw, char *err)
{
	struct termios old, quiet;
	char prompt[FLEET_DN_MAX + 32];
	ssize_t got;
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		return err_set(err, ERR_UNAVAIL,
		    "no fleet_admin_password_file in %s and no terminal to "
		    "ask the password of %s on",
		    f->conf_path, f->bind_dn);
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	snprintf(prompt, sizeof(prompt), "Password for %s: ", f->bind_dn);
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		close(fd);
		return err_set(err, ERR_UNAVAIL, "cannot use the terminal: %s",
		    strerror(errno));
	}
	while (
	    n < PW_MAX - 1 && (got = read(fd, pw + n, 1)) == 1 && pw[n] != '\n')
		n++;
	pw[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		n = 0;
	close(fd);
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0')
		return err_set(err, ERR_INVAL, "no password given");
	return 0;
}

int
fleet_lderr(struct fleet *f, char *err, int code, const char *what, int rc)
{
	const char *words;
	char *diag = NULL;

	switch (rc) {
	case LDAP_INSUFFICIENT_ACCESS:
		words = "the directory's access rules do not allow it";
		break;
	case LDAP_INVALID_CREDENTIALS:
		words = "wrong password, or no such identity";
		break;
	case LDAP_NO_SUCH_OBJECT:
		words = "no such entry, or not one you may see";
		break;
	case LDAP_ALREADY_EXISTS:
		words = "the entry exists already";
		break;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
		words = "cannot reach the server";
		break;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		words = "the server did not answer in time";
		break;
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_UNDEFINED_TYPE:
		words = "the directory's schema refuses it (is the "
		        "pam-apitoken schema loaded?)";
		break;
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_STRONG_AUTH_REQUIRED:
		words = "the server is unwilling";
		break;
	default:
		words = ldap_err2string(rc);
	}
	if (f->ld != NULL)
		ldap_get_option(f->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	err_set(err, code, "%s: %s%s%s%s", what, words,
	    diag != NULL && *diag != '\0' ? " (" : "", diag != NULL ? diag : "",
	    diag != NULL && *diag != '\0' ? ")" : "");
	ldap_memfree(diag);
	return code;
}

/* Whether rc says the server was not there, so the next one may be. */
static bool
unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT;
}

/* 1: uri does not answer (try the next); 0: bound; <0: refused. */
static int
try_provider(struct fleet *f, const char *uri, const char *pw, char *err)
{
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;
	struct timeval tv = { 5, 0 };
	struct berval cred;

	f->uri = uri;
	if ((rc = ldap_initialize(&f->ld, uri)) != LDAP_SUCCESS)
		return err_set(err, ERR_INVAL, "%s: bad URI: %s", uri,
		    ldap_err2string(rc));
	ldap_set_option(f->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(f->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(f->ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(f->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (ldap_set_option(f->ld, LDAP_OPT_X_TLS_CACERTFILE,
	        f->conf.fleet_ca_file) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(f->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) !=
	        LDAP_OPT_SUCCESS ||
	    ldap_set_option(f->ld, LDAP_OPT_X_TLS_NEWCTX, &zero) !=
	        LDAP_OPT_SUCCESS)
		return err_set(err, ERR_UNAVAIL, "%s: cannot use CA file %s",
		    uri, f->conf.fleet_ca_file);
	if (strncmp(uri, "ldaps://", 8) != 0 &&
	    (rc = ldap_start_tls_s(f->ld, NULL, NULL)) != LDAP_SUCCESS) {
		if (unreachable(rc))
			return 1;
		return err_set(err, ERR_UNAVAIL,
		    "%s: StartTLS failed: is its certificate from the CA in "
		    "fleet_ca_file (%s)?",
		    uri, f->conf.fleet_ca_file);
	}
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(f->ld, f->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
	    NULL, NULL);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (unreachable(rc))
		return 1;
	return err_set(err, ERR_PERM, "%s refused the bind as %s: %s", uri,
	    f->bind_dn,
	    rc == LDAP_INVALID_CREDENTIALS ?
	        "wrong password, or no such identity" :
	        ldap_err2string(rc));
}

int
fleet_connect(struct fleet *f, char *err)
{
	const struct strlist *p = &f->conf.fleet_providers;
	char pw[PW_MAX] = "", tried[ERR_MAX] = "";
	size_t used = 0;
	int rc = 0;

	if (f->bind_dn[0] == '\0')
		return err_set(err, ERR_INVAL,
		    "%s: no fleet_admin_bind_dn: who are you in the directory?",
		    f->conf_path);
	rc = f->conf.fleet_admin_password_file[0] != '\0' ?
	    password_file(f, pw, err) :
	    password_tty(f, pw, err);
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		if ((rc = try_provider(f, p->v[i], pw, err)) != 1)
			break;
		fleet_close(f);
		rc = 0;
		used += (size_t)snprintf(tried + used,
		    used < sizeof(tried) ? sizeof(tried) - used : 0, "%s%s",
		    used > 0 ? ", " : "", p->v[i]);
		if (used >= sizeof(tried))
			used = sizeof(tried) - 1;
	}
	sodium_memzero(pw, sizeof(pw));
	if (rc == 0 && f->ld == NULL)
		rc = err_set(err, ERR_UNAVAIL,
		    "no fleet provider answers (tried %s)", tried);
	if (rc < 0)
		fleet_close(f);
	return rc;
}

void
fleet_close(struct fleet *f)
{
	if (f->ld != NULL)
		ldap_unbind_ext_s(f->ld, NULL, NULL);
	f->ld = NULL;
}
