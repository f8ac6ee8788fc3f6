/* SPDX-License-Identifier: ISC */
/*
 * loop.c - apitoken-authd's event loop.
 *
 * One thread, poll(2), every socket non-blocking.  A connection reads a
 * request's header (bounded in bytes, lines and time), asks verifyd on a
 * connection of its own (ask.c), writes the answer, and, kept alive,
 * reads the next one; while it asks, its client's socket is not read, so
 * a pipelining client gets its answers in order.  Nothing here waits on
 * anyone: a wrong token's delay, a slow client or a slow verifyd holds up
 * only its own connection.  When every slot is taken, the connection
 * that has been waiting for a request the longest (idle or sending one
 * slowly) makes room.
 *
 * The credentials are in the connection's buffer from the read until the
 * request is parsed; that part of the buffer is then wiped, and so is the
 * decoded pair once encoded, and the request once sent.  Nothing here
 * logs a request: verifyd logs each decision.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "authd.h"

volatile sig_atomic_t authd_stop;

enum conn_state {
	C_READ,  /* waiting for (the rest of) a request's header */
	C_ASK,   /* waiting for verifyd */
	C_WRITE, /* sending the answer */
};

struct conn {
	int fd;
	enum conn_state state;
	enum ask_status ask_state;
	bool keep;        /* read the next request after this answer */
	int64_t since;    /* ms: when it began waiting for a request */
	int64_t deadline; /* ms, monotonic */
	size_t got, olen, sent;
	struct ask ask;
	char in[AUTHD_HEADER_MAX];
	char out[1024];
};

struct loop {
	const struct authd *d;
	struct conn **conns;
	int n;
	int64_t unavail_logged;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
drop(struct loop *l, int i)
{
	struct conn *c = l->conns[i];

	ask_end(&c->ask);
	close(c->fd);
	sodium_memzero(c, sizeof(*c));
	free(c);
	l->conns[i] = l->conns[--l->n];
}

static int
index_of(const struct loop *l, const struct conn *c)
{
	int i;

	for (i = 0; l->conns[i] != c; i++)
		;
	return i;
}

static void
respond(struct loop *l, struct conn *c, int status, bool keep,
    const struct verify_result *res)
{
	const char *conn_hdr = keep ? "" : "Connection: close\r\n";
	char perms[LIST_MAX * (ITEM_MAX_LEN + 1) + 1] = "";
	size_t pn = 0;
	int n;

	switch (status) {
	case 204:
		for (int i = 0; i < res->rec.permissions.n; i++)
			pn += (size_t)snprintf(perms + pn, sizeof(perms) - pn,
			    "%s%s", i > 0 ? "," : "",
			    res->rec.permissions.v[i]);
		n = snprintf(c->out, sizeof(c->out),
		    "HTTP/1.1 204 No Content\r\n"
		    "X-Apitoken-Id: %s\r\n"
		    "X-Apitoken-Permissions: %s\r\n"
		    "%s\r\n",
		    res->rec.id, perms, conn_hdr);
		break;
	case 401:
		n = snprintf(c->out, sizeof(c->out),
		    "HTTP/1.1 401 Unauthorized\r\n"
		    "WWW-Authenticate: Basic realm=\"%s\"\r\n"
		    "Content-Length: 0\r\n%s\r\n",
		    l->d->realm, conn_hdr);
		break;
	case 503:
		n = snprintf(c->out, sizeof(c->out),
		    "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Length: 0\r\n%s\r\n",
		    conn_hdr);
		break;
	case 431:
		n = snprintf(c->out, sizeof(c->out),
		    "HTTP/1.1 431 Request Header Fields Too Large\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		keep = false;
		break;
	default:
		n = snprintf(c->out, sizeof(c->out),
		    "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		keep = false;
		break;
	}
	c->olen = n < 0 || (size_t)n >= sizeof(c->out) ? 0 : (size_t)n;
	c->sent = 0;
	c->keep = keep;
	c->state = C_WRITE;
	c->deadline = now_ms() + AUTHD_WRITE_TIMEOUT_MS;
}

static void
unavailable(struct loop *l, struct conn *c)
{
	int64_t now = now_ms();

	/* Once a minute is enough to say it; every request still fails. */
	if (l->unavail_logged == 0 || now - l->unavail_logged > 60000) {
		syslog(LOG_ERR, "no answer from the verify service at %s",
		    l->d->verify_socket);
		l->unavail_logged = now;
	}
	respond(l, c, 503, c->keep, NULL);
}

/* A whole header is at the start of c->in: answer it or ask verifyd. */
static void
take_request(struct loop *l, struct conn *c, const struct http_request *rq,
    size_t used)
{
	char pair[AUTHD_HEADER_MAX], *password;
	size_t plen;

	c->keep = rq->keep_alive;
	if (rq->auth == NULL ||
	    http_basic(rq->auth, rq->auth_len, pair, sizeof(pair), &password,
	        &plen) < 0) {
		respond(l, c, 401, c->keep, NULL);
	} else {
		c->ask_state = ask_start(&c->ask, l->d->verify_socket, pair,
		    l->d->service, rq->rhost, password, plen);
		sodium_memzero(pair, sizeof(pair));
		if (c->ask_state == ASK_REFUSED) {
			respond(l, c, 401, c->keep, NULL);
		} else if (c->ask_state == ASK_FAILED) {
			unavailable(l, c);
		} else {
			c->state = C_ASK;
			c->deadline = now_ms() + AUTHD_ASK_TIMEOUT_MS;
		}
	}
	/* The header held the credentials; a pipelined request moves up. */
	sodium_memzero(c->in, used);
	memmove(c->in, c->in + used, c->got - used);
	sodium_memzero(c->in + c->got - used, used);
	c->got -= used;
}

/* Parse what c->in holds; false when the connection is done with. */
static void
parse(struct loop *l, struct conn *c)
{
	struct http_request rq;
	size_t used = 0;

	switch (http_parse(c->in, c->got, &rq, &used)) {
	case HTTP_INCOMPLETE:
		return;
	case HTTP_OK:
		take_request(l, c, &rq, used);
		return;
	case HTTP_TOO_BIG:
		respond(l, c, 431, false, NULL);
		return;
	case HTTP_BAD:
		respond(l, c, 400, false, NULL);
		return;
	}
}

static bool
on_readable(struct loop *l, struct conn *c)
{
	ssize_t r;

	r = recv(c->fd, c->in + c->got, sizeof(c->in) - c->got, MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	if (r == 0)
		return false;
	/* The header's clock starts with its first byte. */
	if (c->got == 0)
		c->deadline = now_ms() + AUTHD_HEADER_TIMEOUT_MS;
	c->got += (size_t)r;
	parse(l, c);
	return true;
}

static void
on_answer(struct loop *l, struct conn *c)
{
	struct verify_result res;

	c->ask_state = ask_step(&c->ask, c->ask_state, &res);
	switch (c->ask_state) {
	case ASK_SEND:
	case ASK_RECV:
		return;
	case ASK_DONE:
		if (res.code == VERIFY_OK)
			respond(l, c, 204, c->keep, &res);
		else if (res.code == VERIFY_UNAVAIL)
			respond(l, c, 503, c->keep, NULL);
		else
			respond(l, c, 401, c->keep, NULL);
		sodium_memzero(&res, sizeof(res));
		return;
	case ASK_FAILED:
	case ASK_REFUSED:
		unavailable(l, c);
		return;
	}
}

/* Back to reading: the next request may be here already (pipelined). */
static void
next_request(struct loop *l, struct conn *c)
{
	c->state = C_READ;
	c->since = now_ms();
	c->deadline = c->since +
	    (c->got > 0 ? AUTHD_HEADER_TIMEOUT_MS : AUTHD_IDLE_TIMEOUT_MS);
	if (c->got > 0)
		parse(l, c);
}

static bool
on_writable(struct loop *l, struct conn *c)
{
	ssize_t r;

	r = send(c->fd, c->out + c->sent, c->olen - c->sent,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	c->sent += (size_t)r;
	if (c->sent < c->olen)
		return true;
	if (!c->keep)
		return false;
	next_request(l, c);
	return true;
}

/* Room for one more: the longest-waiting reader goes, or -1 for none. */
static int
make_room(struct loop *l)
{
	int oldest = -1;

	for (int i = 0; i < l->n; i++)
		if (l->conns[i]->state == C_READ &&
		    (oldest < 0 ||
		        l->conns[i]->since < l->conns[oldest]->since))
			oldest = i;
	if (oldest >= 0)
		drop(l, oldest);
	return oldest;
}

static void
accept_conns(struct loop *l)
{
	struct conn *c;
	int fd;

	for (int k = 0; k < 64; k++) {
		fd = accept4(l->d->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				syslog(LOG_ERR, "accept: %m");
			return;
		}
		if ((l->n == l->d->max_conns && make_room(l) < 0) ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->ask.fd = -1;
		c->state = C_READ;
		c->since = now_ms();
		c->deadline = c->since + AUTHD_IDLE_TIMEOUT_MS;
		l->conns[l->n++] = c;
	}
}

static int
poll_timeout(const struct loop *l, int64_t now)
{
	int64_t t = 1000; /* a signal between two polls waits this long */

	for (int i = 0; i < l->n; i++)
		if (l->conns[i]->deadline - now < t)
			t = l->conns[i]->deadline - now;
	return t < 0 ? 0 : (int)t;
}

/* Deadlines: a slow or idle client goes, a silent verifyd is a 503. */
static void
expire(struct loop *l, int64_t now)
{
	for (int i = l->n - 1; i >= 0; i--) {
		struct conn *c = l->conns[i];

		if (c->deadline > now)
			continue;
		if (c->state == C_ASK) {
			ask_end(&c->ask);
			unavailable(l, c);
		} else {
			drop(l, i);
		}
	}
}

int
authd_loop(const struct authd *d)
{
	struct pollfd *pfd;
	struct conn **polled;
	struct loop l;
	int np, rc;

	memset(&l, 0, sizeof(l));
	l.d = d;
	l.conns = calloc((size_t)d->max_conns, sizeof(*l.conns));
	pfd = calloc((size_t)d->max_conns + 1, sizeof(*pfd));
	polled = calloc((size_t)d->max_conns + 1, sizeof(*polled));
	if (l.conns == NULL || pfd == NULL || polled == NULL) {
		syslog(LOG_ERR, "out of memory");
		return -1;
	}
	while (!authd_stop) {
		np = 0;
		pfd[np].fd = d->listen_fd;
		pfd[np].events = POLLIN;
		polled[np++] = NULL;
		for (int i = 0; i < l.n; i++) {
			struct conn *c = l.conns[i];

			if (c->state == C_ASK) {
				pfd[np].fd = c->ask.fd;
				pfd[np].events =
				    c->ask_state == ASK_SEND ? POLLOUT : POLLIN;
			} else {
				pfd[np].fd = c->fd;
				pfd[np].events =
				    c->state == C_READ ? POLLIN : POLLOUT;
			}
			polled[np++] = c;
		}
		rc = poll(pfd, (nfds_t)np, poll_timeout(&l, now_ms()));
		if (rc < 0 && errno != EINTR) {
			syslog(LOG_ERR, "poll: %m");
			return -1;
		}
		for (int k = 1; rc > 0 && k < np; k++) {
			struct conn *c = polled[k];
			bool keep = true;

			if (pfd[k].revents == 0)
				continue;
			if (c->state == C_ASK)
				on_answer(&l, c);
			else if (c->state == C_READ)
				keep = on_readable(&l, c);
			/* An answer ready at once goes out at once. */
			if (keep && c->state == C_WRITE)
				keep = on_writable(&l, c);
			if (!keep)
				drop(&l, index_of(&l, c));
		}
		if (rc > 0 && pfd[0].revents != 0)
			accept_conns(&l);
		expire(&l, now_ms());
	}
	while (l.n > 0)
		drop(&l, l.n - 1);
	free(l.conns);
	free(pfd);
	free(polled);
	return 0;
}
