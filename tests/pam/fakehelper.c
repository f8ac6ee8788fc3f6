/* SPDX-License-Identifier: ISC */
/*
 * fakehelper - stands in for `apitoken verify` so the module's side of the
 * verify protocol (common/verify_proto.h) is tested on its own.  It checks
 * what the module must guarantee (argv shape, an empty environment, no fd
 * above 2, one well-formed request on stdin) and answers by the password:
 *   apitok_FAKEOK...      an ok line
 *   apitok_FAKEEXPIRED... an ok line for a token that expired in 1970
 *   apitok_FAKEKILL...    dies by SIGKILL
 *   apitok_FAKEGARBLE...  a malformed line
 *   apitok_FAKESILENT...  exits 0 without a word
 *   anything else         a refusal (wrong-secret)
 * A broken guarantee exits 10 + n without an answer, which the module
 * must treat as a failure.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "verify_proto.h"

extern char **environ;

int
main(int argc, char **argv)
{
	char req[VPROTO_REQUEST_MAX + 1], line[VPROTO_ANSWER_MAX];
	struct vproto_request rq;
	struct verify_result res;
	size_t n;
	int len;

	if (argc != 2 || strcmp(argv[1], "verify") != 0)
		return 11;
	if (environ != NULL && environ[0] != NULL)
		return 12;
	if (fcntl(3, F_GETFD) != -1 || errno != EBADF)
		return 13;
	n = fdio_read_all(STDIN_FILENO, req, sizeof(req));
	if (vproto_request_decode(req, n, &rq) < 0)
		return 14;
	memset(&res, 0, sizeof(res));
	res.code = VERIFY_DENIED;
	res.reason = VREASON_WRONG_SECRET;
	if (strncmp(rq.password, "apitok_FAKEOK", 13) == 0 ||
	    strncmp(rq.password, "apitok_FAKEEXPIRED", 18) == 0) {
		res.code = VERIFY_OK;
		res.rec.expires_at = rq.password[11] == 'E' ? 1 : 0;
		res.reason = VREASON_ACCEPTED;
		strcpy(res.rec.id, "0123456789AB");
		strcpy(res.rec.name, "fake-token");
		strlist_add(&res.rec.permissions, "read");
		strlist_add(&res.rec.permissions, "write");
	} else if (strncmp(rq.password, "apitok_FAKEKILL", 15) == 0) {
		raise(SIGKILL);
	} else if (strncmp(rq.password, "apitok_FAKEGARBLE", 17) == 0) {
		printf("not an answer\n");
		return 0;
	} else if (strncmp(rq.password, "apitok_FAKESILENT", 17) == 0) {
		return 0;
	}
	if ((len = vproto_answer_encode(&res, line, sizeof(line))) < 0)
		return 15;
	fwrite(line, 1, (size_t)len, stdout);
	return 0;
}
