/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "helper_client.h"
#include "verify.h"

/* The helper's answer: ID TAB NAME TAB PERMISSIONS TAB EXPIRES_AT NEWLINE. */
static int
parse_answer(char *line, struct verify_result *res)
{
	char *f[4], *end, *p = line, *item;
	long long expires;
	int n = 0;

	if ((end = strchr(line, '\n')) == NULL || end[1] != '\0')
		return -1;
	*end = '\0';
	while (n < 4 && (f[n] = strsep(&p, "\t")) != NULL)
		n++;
	if (n != 4 || p != NULL || !token_id_valid(f[0]))
		return -1;
	errno = 0;
	expires = strtoll(f[3], &end, 10);
	if (errno != 0 || *end != '\0' || expires < 0)
		return -1;
	if (field_set(res->rec.id, sizeof(res->rec.id), f[0]) < 0 ||
	    field_set(res->rec.name, sizeof(res->rec.name), f[1]) < 0)
		return -1;
	while ((item = strsep(&f[2], ",")) != NULL)
		if (*item != '\0' &&
		    strlist_add(&res->rec.permissions, item) < 0)
			return -1;
	res->rec.expires_at = expires;
	memcpy(res->id, res->rec.id, sizeof(res->id));
	return 0;
}

enum verify_code
helper_verify(const char *helper, const char *user, const char *service,
    const char *rhost, const char *password, size_t len,
    struct verify_result *res)
{
	char *argv[] = { "apitoken", "verify", (char *)user, (char *)service,
		(char *)(rhost != NULL ? rhost : ""), NULL };
	char *envp[] = { NULL };
	char answer[512];
	struct sigaction dfl, old;
	size_t got = 0;
	ssize_t r;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status, rc;

	memset(res, 0, sizeof(*res));
	res->code = VERIFY_DENIED;
	res->reason = "verify helper failed";
	if (len > VERIFY_MAX_INPUT)
		len = VERIFY_MAX_INPUT;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto out;
	/*
	 * The password (at most 513 bytes) fits in the pipe, so it is written
	 * before the child exists: a helper that dies early can then never
	 * raise SIGPIPE in the calling program.
	 */
	if (write(in[1], password, len) != (ssize_t)len ||
	    write(in[1], "", 1) != 1)
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
	         STDERR_FILENO + 1)) == 0) {
		/* The application may reap children in a SIGCHLD handler: not
		 * ours. */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &dfl, &old);
		if ((rc = posix_spawn(&pid, helper, &fa, NULL, argv, envp)) !=
		    0)
			sigaction(SIGCHLD, &old, NULL);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		/* As pam_unix when unix_chkpwd cannot run. */
		res->code = VERIFY_UNAVAIL;
		res->reason = "cannot run the verify helper";
		goto out;
	}
	close(in[0]);
	in[0] = -1;
	close(out[1]);
	out[1] = -1;
	while (got < sizeof(answer) - 1 &&
	    ((r = read(out[0], answer + got, sizeof(answer) - 1 - got)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			got += (size_t)r;
	answer[got] = '\0';
	close(out[0]);
	out[0] = -1;
	while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old, NULL);
	/* Another thread of the application may have reaped it: no answer. */
	if (rc < 0) {
		res->reason = "verify helper reaped by the application";
		goto out;
	}
	if (!WIFEXITED(status)) {
		res->reason = "verify helper died";
		goto out;
	}
	switch (WEXITSTATUS(status)) {
	case VERIFY_OK:
		if (parse_answer(answer, res) < 0) {
			res->reason = "verify helper gave a malformed answer";
			break;
		}
		res->code = VERIFY_OK;
		res->reason = "accepted";
		break;
	case VERIFY_UNAVAIL:
		res->code = VERIFY_UNAVAIL;
		res->reason = "token store unavailable (verify helper)";
		break;
	case 127:
		/*
		 * posix_spawn's child when exec fails, wherever the failure
		 * cannot be reported back (a fork-based posix_spawn,
		 * valgrind's).
		 */
		res->code = VERIFY_UNAVAIL;
		res->reason = "cannot run the verify helper";
		break;
	default:
		/* Only token-shaped input comes here: any other answer is a
		 * refusal. */
		res->reason = "refused by the verify helper";
		break;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	explicit_bzero(answer, sizeof(answer));
	return res->code;
}
