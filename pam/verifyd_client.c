/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdio.h"
#include "verifyd_client.h"
#include "verify_proto.h"

static int
connect_to(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* A UNIX connect waits for room in the queue up to SO_SNDTIMEO. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

enum verify_code
verifyd_verify(const char *path, int timeout_ms, const char *user,
    const char *service, const char *rhost, const uid_t *run_by,
    const char *password, size_t len, struct verify_result *res, bool *reached)
{
	char req[VPROTO_REQUEST_MAX], answer[VPROTO_ANSWER_MAX];
	size_t got;
	int fd, n;

	*reached = false;
	verify_reason_only(res, VREASON_VERIFIER_FAILED);
	if ((fd = connect_to(path, timeout_ms)) < 0)
		return res->code;
	*reached = true;
	if (!vproto_served_by_root(fd))
		goto out;
	if ((n = vproto_request_encode(user, service, rhost, run_by, password,
	         len, req, sizeof(req))) < 0) {
		verify_reason_only(res, VREASON_BAD_REQUEST);
		goto out;
	}
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto out;
	/* One line; the service closes after it. */
	got = fdio_read_line(fd, answer, sizeof(answer));
	if (got > 0)
		vproto_answer_decode(answer, got, res);
out:
	close(fd);
	explicit_bzero(req, sizeof(req));
	explicit_bzero(answer, sizeof(answer));
	return res->code;
}
