/* SPDX-License-Identifier: ISC */
/*
 * verify_mode.c - `apitoken verify`, the helper's side of the verify protocol
 * (common/verify_proto.h), for PAM callers that are not root and find no
 * verify service.  The answer is verifier_answer()'s, as in
 * apitoken-verifyd: same policy, same decision, same log line.
 *
 * As unix_chkpwd: refuse a terminal on stdin (this is for programs).
 * For a caller other than root it only reads the store: no use recorded,
 * no failure counted (apitoken-verifyd, root, does both).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "apitoken.h"
#include "fdio.h"
#include "verifier.h"
#include "verify_proto.h"

int
cmd_verify(struct invocation *inv, int argc, char **argv)
{
	char req[VPROTO_REQUEST_MAX + 1], answer[VPROTO_ANSWER_MAX];
	size_t n, len;
	int64_t delay;

	(void)argv;
	if (argc != 1 || isatty(STDIN_FILENO)) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE,
		    "inappropriate use of the verify mode by %s", inv->caller);
		return fail(EXIT_USAGE, "verify is for the PAM module only");
	}
	/* The module writes one request and closes the pipe; one byte more is
	 * too long. */
	n = fdio_read_all(STDIN_FILENO, req, sizeof(req));
	/*
	 * The caller can stop this process at any point (SIGSTOP before the
	 * setresuid, its cgroup's freezer after): unless the caller is root it
	 * writes no usage, so it never holds what a login waits for.
	 */
	len = verifier_answer(&inv->conf, inv->store_dir, inv->now, &inv->who,
	    inv->root ? VPROC_OWN : VPROC_STOPPABLE, req, n, answer,
	    sizeof(answer), &delay);
	explicit_bzero(req, sizeof(req));
	/* This process is the caller's alone: waiting here stalls nobody else.
	 */
	if (delay > 0)
		sleep((unsigned)delay);
	if (len == 0 || fwrite(answer, 1, len, stdout) != len ||
	    fflush(stdout) != 0)
		return EXIT_REFUSED;
	return 0;
}
