/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fdio.h"
#include "helper_client.h"
#include "verify.h"
#include "verify_proto.h"

enum verify_code
helper_verify(const char *helper, const char *user, const char *service,
    const char *rhost, const char *password, size_t len,
    struct verify_result *res)
{
	char *argv[] = { "apitoken", "verify", NULL };
	char *envp[] = { NULL };
	char req[VPROTO_REQUEST_MAX], answer[VPROTO_ANSWER_MAX];
	size_t got = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, rc, n;

	verify_reason_only(res, VREASON_VERIFIER_FAILED);
	if ((n = vproto_request_encode(user, service, rhost, NULL, password,
	         len, req, sizeof(req))) < 0) {
		verify_reason_only(res, VREASON_BAD_REQUEST);
		goto out;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto out;
	/*
	 * The request (at most VPROTO_REQUEST_MAX bytes) fits in the pipe, so
	 * it is written before the child exists: a helper that dies early can
	 * then never raise SIGPIPE in the calling program.
	 */
	if (write(in[1], req, (size_t)n) != n)
		goto out;
	close(in[1]);
	in[1] = -1;

	/*
	 * posix_spawn, not fork: a screen locker or a desktop shell maps
	 * hundreds of megabytes, and fork copies their page tables only for
	 * exec to drop them (measured in bench/: -150 us even for a small
	 * caller).  The pipes are close-on-exec; closefrom catches the fds
	 * the application did not mark so.
	 */
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO)) ==
	        0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out[1],
	         STDOUT_FILENO)) == 0 &&
	    (rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
	         "/dev/null", O_WRONLY, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa,
	         STDERR_FILENO + 1)) == 0)
		rc = posix_spawn(&pid, helper, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		/* As pam_unix when unix_chkpwd cannot run. */
		verify_reason_only(res, VREASON_NO_VERIFIER);
		goto out;
	}
	close(in[0]);
	in[0] = -1;
	close(out[1]);
	out[1] = -1;
	got = fdio_read_all(out[0], answer, sizeof(answer));
	close(out[0]);
	out[0] = -1;
	/*
	 * Reap it unless the application's SIGCHLD handler did; the status
	 * only tells an exec failure (127, from a fork-based posix_spawn)
	 * from a helper that gave no answer.
	 */
	while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (got == 0)
		verify_reason_only(res,
		    rc == pid && WIFEXITED(status) &&
		            WEXITSTATUS(status) == 127 ?
		        VREASON_NO_VERIFIER :
		        VREASON_VERIFIER_FAILED);
	else
		vproto_answer_decode(answer, got, res);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	explicit_bzero(req, sizeof(req));
	explicit_bzero(answer, sizeof(answer));
	return res->code;
}
