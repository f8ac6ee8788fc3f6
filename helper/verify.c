/* SPDX-License-Identifier: ISC */
/*
 * verify.c - `apitoken verify USER SERVICE RHOST`, the helper's side of the
 * verify protocol of common/verify.h, for PAM callers that are not root.
 *
 * As unix_chkpwd: refuse a terminal on stdin (this is for programs), and
 * verify only tokens of the calling account unless root asks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "apitoken.h"
#include "log.h"
#include "verify.h"

int
cmd_verify(struct ctx *c, int argc, char **argv)
{
	struct verify_request req;
	struct verify_result res;
	char pw[VERIFY_MAX_INPUT + 1], u[USER_MAX_LEN + 8];
	size_t n = 0;
	ssize_t r;

	if (argc != 4 || isatty(STDIN_FILENO)) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE,
		    "inappropriate use of the verify mode by %s", c->caller);
		fail(EXIT_USAGE, "verify is for the PAM module only");
		return VERIFY_DENIED;
	}
	log_redact(argv[1], u, sizeof(u));
	if (!c->root && strcmp(argv[1], c->caller) != 0) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE,
		    "%s may not verify tokens of %s", c->caller, u);
		return VERIFY_DENIED;
	}
	/* The module writes the password and a NUL, then closes the pipe. */
	while (n < VERIFY_MAX_INPUT && memchr(pw, '\0', n) == NULL &&
	    ((r = read(STDIN_FILENO, pw + n, VERIFY_MAX_INPUT - n)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	pw[n] = '\0';
	n = strlen(pw);
	memset(&req, 0, sizeof(req));
	req.password = pw;
	req.password_len = n;
	req.user = argv[1];
	req.service = argv[2];
	req.rhost = argv[3][0] != '\0' ? argv[3] : NULL;
	req.store_dir = c->store_dir;
	req.now = c->now;
	verify_token(&c->conf, &req, &res);
	explicit_bzero(pw, sizeof(pw));
	if (res.code == VERIFY_OK) {
		printf("%s\t%s\t", res.rec.id, res.rec.name);
		for (int i = 0; i < res.rec.permissions.n; i++)
			printf("%s%s", i ? "," : "", res.rec.permissions.v[i]);
		printf("\t%lld\n", (long long)res.rec.expires_at);
		fflush(stdout);
	} else if (res.code != VERIFY_NOT_TOKEN)
		syslog(LOG_AUTHPRIV | LOG_NOTICE,
		    "token %s refused for user %s: %s",
		    res.id[0] ? res.id : "-", u, res.reason);
	return res.code;
}
