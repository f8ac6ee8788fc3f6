/* SPDX-License-Identifier: ISC */
/*
 * ask.c - one question to apitoken-verifyd, without waiting on it.
 *
 * The bytes are the verify protocol's own (vproto_request_encode,
 * vproto_answer_decode), so the answer is the one the PAM module gets on
 * the same socket.  One connection per question: verifyd answers one
 * line and closes, and any delay it puts on an answer is that
 * connection's alone.  A UNIX connect never waits: it succeeds or fails
 * at once (EAGAIN when verifyd's queue is full, which is answered as
 * verifyd being unavailable).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "authd.h"

static void
closed(struct ask *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	explicit_bzero(a->buf, sizeof(a->buf));
}

enum ask_status
ask_start(struct ask *a, const char *path, const char *user,
    const char *service, const char *rhost, const char *password,
    size_t password_len)
{
	struct sockaddr_un sa;
	int n;

	a->fd = -1;
	a->sent = a->got = 0;
	n = vproto_request_encode(user, service, rhost, NULL, password,
	    password_len, a->buf, sizeof(a->buf));
	if (n < 0) {
		closed(a);
		return ASK_REFUSED;
	}
	a->len = (size_t)n;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path) ||
	    (a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	         0)) < 0) {
		closed(a);
		return ASK_FAILED;
	}
	strcpy(sa.sun_path, path);
	/* Only root's verifyd may answer: anyone can put a socket there. */
	if (connect(a->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !vproto_served_by_root(a->fd)) {
		closed(a);
		return ASK_FAILED;
	}
	return ASK_SEND;
}

enum ask_status
ask_step(struct ask *a, enum ask_status st, struct verify_result *res)
{
	ssize_t r;
	char *nl;

	if (st == ASK_SEND) {
		r = send(a->fd, a->buf + a->sent, a->len - a->sent,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return ASK_SEND;
		if (r < 0) {
			closed(a);
			return ASK_FAILED;
		}
		a->sent += (size_t)r;
		if (a->sent < a->len)
			return ASK_SEND;
		explicit_bzero(a->buf, sizeof(a->buf));
		return ASK_RECV;
	}
	r = recv(a->fd, a->answer + a->got, sizeof(a->answer) - a->got,
	    MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return ASK_RECV;
	if (r > 0) {
		a->got += (size_t)r;
		nl = memchr(a->answer, '\n', a->got);
		if (nl == NULL && a->got < sizeof(a->answer))
			return ASK_RECV;
		closed(a);
		/* One line and nothing after it, as the protocol has it. */
		if (nl != NULL && (size_t)(nl - a->answer) + 1 == a->got &&
		    vproto_answer_decode(a->answer, a->got, res) == 0)
			return ASK_DONE;
		return ASK_FAILED;
	}
	closed(a);
	return ASK_FAILED;
}

void
ask_end(struct ask *a)
{
	closed(a);
}
