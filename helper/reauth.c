/* SPDX-License-Identifier: ISC */
/*
 * reauth.c - a self-service change asks for the caller's own password.
 *
 * What chsh, chfn and passwd do: before a user mints or widens a token,
 * the PAM service REAUTH_SERVICE ("apitoken", /etc/pam.d/apitoken, which
 * includes common-auth and common-account) authenticates them, so that a
 * program merely running as that user (a compromised build job, a
 * sudoer's unattended shell) cannot turn its uid into a login credential.
 * Root is never asked.
 *
 * The conversation runs on the controlling terminal alone (/dev/tty), never
 * on stdin or stdout: those carry the command's own input and its output
 * (T=$(apitoken create x --user me) still works), and a pipe is not a
 * person.  Without a terminal the change is refused.
 *
 * The PAM stack runs inside this setuid process, as in passwd: after
 * main() has cleared the environment, reset the limits and become root
 * for good, so the caller can neither steer the modules through variables
 * nor signal them half way.  It runs before any store lock is taken: a
 * caller who leaves the prompt unanswered holds nothing anyone waits on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "apitoken.h"

#ifndef REAUTH_SERVICE
#define REAUTH_SERVICE "apitoken"
#endif

static void
tty_write(int fd, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (
	    n > 0 && ((w = write(fd, s, n)) > 0 || (w < 0 && errno == EINTR)))
		if (w > 0) {
			s += w;
			n -= (size_t)w;
		}
}

/* One line from the terminal, echo off when asked; NULL on EOF or error. */
static char *
tty_read(int fd, const char *prompt, bool echo)
{
	struct termios old, quiet;
	char line[PAM_MAX_RESP_SIZE + 1], inv, *dup;
	bool restore = false;
	size_t n = 0;
	ssize_t r;

	/* Echo off before the prompt: nothing typed after it is ever shown. */
	if (!echo && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	tty_write(fd, prompt);
	for (;;) {
		r = read(fd, &inv, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || inv == '\n')
			break;
		if (n < sizeof(line) - 1)
			line[n++] = inv;
	}
	line[n] = '\0';
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		tty_write(fd, "\n");
	}
	dup = r == 1 ? strdup(line) : NULL;
	explicit_bzero(line, sizeof(line));
	return dup;
}

static void
free_replies(struct pam_response *re, int n)
{
	for (int i = 0; i < n; i++)
		if (re[i].resp != NULL) {
			explicit_bzero(re[i].resp, strlen(re[i].resp));
			free(re[i].resp);
		}
	free(re);
}

static int
converse(int n, const struct pam_message **msg, struct pam_response **out,
    void *data)
{
	int fd = *(int *)data;
	struct pam_response *re;

	*out = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG ||
	    (re = calloc((size_t)n, sizeof(*re))) == NULL)
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			re[i].resp = tty_read(fd, msg[i]->msg,
			    msg[i]->msg_style == PAM_PROMPT_ECHO_ON);
			if (re[i].resp == NULL) {
				free_replies(re, n);
				return PAM_CONV_ERR;
			}
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			tty_write(fd, msg[i]->msg);
			tty_write(fd, "\n");
			break;
		default:
			free_replies(re, n);
			return PAM_CONV_ERR;
		}
	}
	*out = re;
	return PAM_SUCCESS;
}

int
reauth(const struct invocation *inv, const char *what)
{
	struct pam_conv conv = { converse, NULL };
	pam_handle_t *pamh = NULL;
	char tty[256];
	int fd, rc;

	if (inv->root)
		return 0;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(EXIT_REFUSED,
		    "%s needs your password, asked on a terminal, and there is "
		    "none; "
		    "run it from a terminal or ask root",
		    what);
	conv.appdata_ptr = &fd;
#ifdef REAUTH_PAM_DIR
	rc = pam_start_confdir(REAUTH_SERVICE, inv->caller, &conv,
	    REAUTH_PAM_DIR, &pamh);
#else
	rc = pam_start(REAUTH_SERVICE, inv->caller, &conv, &pamh);
#endif
	if (rc == PAM_SUCCESS && ttyname_r(fd, tty, sizeof(tty)) == 0)
		rc = pam_set_item(pamh, PAM_TTY, tty);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(pamh, PAM_RUSER, inv->caller);
	if (rc == PAM_SUCCESS) {
		tty_write(fd, "apitoken: ");
		tty_write(fd, what);
		tty_write(fd, ": confirm with your password\n");
		rc = pam_authenticate(pamh, 0);
	}
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, rc);
	/* pam_syslog's closelog took our ident and socket with it. */
	log_open();
	close(fd);
	switch (rc) {
	case PAM_SUCCESS:
		return 0;
	case PAM_NEW_AUTHTOK_REQD:
		return fail(EXIT_REFUSED,
		    "%s: your password has expired; change it with passwd "
		    "first",
		    what);
	case PAM_ACCT_EXPIRED:
	case PAM_PERM_DENIED:
		return fail(EXIT_REFUSED,
		    "%s: your account may not do this (PAM service %s)", what,
		    REAUTH_SERVICE);
	default:
		return fail(EXIT_REFUSED, "%s: authentication failed", what);
	}
}
