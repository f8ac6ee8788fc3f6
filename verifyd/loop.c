/* SPDX-License-Identifier: ISC */
/*
 * loop.c - the verify service's event loop.
 *
 * One thread, poll(2), non-blocking sockets.  A client has
 * client_timeout_ms to send its request, which is bounded
 * (VPROTO_REQUEST_MAX); its answer is computed as soon as the request is
 * whole (verify_token is CPU and page-cache work, no waiting on anyone:
 * its usage write never waits for the gate, which su and sudo, root's
 * processes that the user who ran them can stop, may hold), then written
 * when the socket takes it.  A refusal that must wait (fail_delay) waits
 * in this loop's timer, not in a sleep: the other clients go on.  When
 * every slot is taken, the client that has been sending its request the
 * longest makes room, so idle connections cannot lock others out.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "verifier.h"
#include "verify_proto.h"
#include "verifyd.h"
#include "when.h"

volatile sig_atomic_t verifyd_stop;

enum client_state {
	C_READ,  /* the request is still coming */
	C_WAIT,  /* answered, waiting out a fail_delay */
	C_WRITE, /* sending the answer */
};

struct client {
	int fd;
	enum client_state state;
	int64_t deadline; /* ms, monotonic */
	struct verifier_caller who;
	size_t got, alen, sent;
	char req[VPROTO_REQUEST_MAX];
	char answer[VPROTO_ANSWER_MAX];
};

struct loop {
	const struct verifyd *d;
	struct conf conf;
	struct conf_stamp stamp;
	bool conf_ok;
	char conf_err[ERR_MAX];
	struct client *clients[VERIFYD_MAX_CLIENTS];
	int n;
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
	struct client *cl = l->clients[i];

	close(cl->fd);
	explicit_bzero(cl, sizeof(*cl));
	free(cl);
	l->clients[i] = l->clients[--l->n];
}

/* The caller as the kernel knows it: SO_PEERCRED, SO_PEERGROUPS. */
static int
identify(int fd, struct verifier_caller *who)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups;

	memset(who, 0, sizeof(*who));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return -1;
	who->uid = cred.uid;
	who->gid = cred.gid;
	len = sizeof(who->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, who->groups, &len) == 0) {
		who->ngroups = (int)(len / sizeof(gid_t));
		return 0;
	}
	if (errno != ERANGE || (groups = malloc(len)) == NULL)
		return 0; /* the primary group still counts */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		who->ngroups = VERIFIER_MAX_GROUPS;
		memcpy(who->groups, groups, sizeof(who->groups));
	}
	free(groups);
	return 0;
}

/* The settings as they are now: one lstat per request when unchanged. */
static void
refresh_conf(struct loop *l)
{
	if (l->conf_ok && conf_unchanged(l->d->config_path, &l->stamp))
		return;
	l->conf_ok = conf_load_stamped(l->d->config_path, &l->conf, &l->stamp,
	                 l->conf_err) == 0;
	if (!l->conf_ok)
		syslog(LOG_ERR, "%s", l->conf_err);
}

static void
answer(struct loop *l, struct client *cl)
{
	struct verify_result res;
	int64_t delay = 0;
	int n;

	refresh_conf(l);
	if (l->conf_ok) {
		cl->alen = verifier_answer(&l->conf, l->d->store_dir,
		    when_now(), &cl->who, VPROC_SHARED_LOOP, cl->req, cl->got,
		    cl->answer, sizeof(cl->answer), &delay);
	} else {
		/* As the module answers itself with a broken file. */
		explicit_bzero(cl->req, sizeof(cl->req));
		memset(&res, 0, sizeof(res));
		res.code = VERIFY_UNAVAIL;
		res.reason = VREASON_STORE;
		n = vproto_answer_encode(&res, cl->answer, sizeof(cl->answer));
		cl->alen = n < 0 ? 0 : (size_t)n;
	}
	cl->state = delay > 0 ? C_WAIT : C_WRITE;
	cl->deadline =
	    now_ms() + (delay > 0 ? delay * 1000 : l->d->client_timeout_ms);
}

/* Returns false when the client is done with (closed or failed). */
static bool
on_readable(struct loop *l, struct client *cl)
{
	ssize_t r;

	r = recv(cl->fd, cl->req + cl->got, sizeof(cl->req) - cl->got,
	    MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	if (r == 0)
		return false; /* gone before the request was whole */
	cl->got += (size_t)r;
	/* Whole, or as long as a request can be and still not whole. */
	if (vproto_request_complete(cl->req, cl->got) ||
	    cl->got == sizeof(cl->req))
		answer(l, cl);
	return true;
}

static bool
on_writable(struct client *cl)
{
	ssize_t r;

	r = send(cl->fd, cl->answer + cl->sent, cl->alen - cl->sent,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	cl->sent += (size_t)r;
	return cl->sent < cl->alen;
}

/* Reads what has come, answers when whole; false when done with. */
static bool
serve(struct loop *l, struct client *cl)
{
	bool keep = true;

	if (cl->state == C_READ)
		keep = on_readable(l, cl);
	if (keep && cl->state == C_WRITE)
		keep = on_writable(cl);
	return keep;
}

/* Room for one more: the longest-reading client goes, or -1 for none. */
static int
make_room(struct loop *l)
{
	int oldest = -1;

	for (int i = 0; i < l->n; i++)
		if (l->clients[i]->state == C_READ &&
		    (oldest < 0 ||
		        l->clients[i]->deadline < l->clients[oldest]->deadline))
			oldest = i;
	if (oldest >= 0)
		drop(l, oldest);
	return oldest;
}

static void
accept_clients(struct loop *l)
{
	struct client *cl;
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
		if ((l->n == VERIFYD_MAX_CLIENTS && make_room(l) < 0) ||
		    (cl = calloc(1, sizeof(*cl))) == NULL) {
			close(fd);
			continue;
		}
		if (identify(fd, &cl->who) < 0) {
			close(fd);
			free(cl);
			continue;
		}
		cl->fd = fd;
		cl->state = C_READ;
		cl->deadline = now_ms() + l->d->client_timeout_ms;
		l->clients[l->n++] = cl;
		/*
		 * A client sends its request right after connecting: most are
		 * whole by now, and answering at once saves a trip through
		 * poll.
		 */
		if (!serve(l, cl))
			drop(l, l->n - 1);
	}
}

static int
poll_timeout(const struct loop *l, int64_t now)
{
	int64_t t = 1000; /* a signal between two polls waits this long */

	for (int i = 0; i < l->n; i++)
		if (l->clients[i]->deadline - now < t)
			t = l->clients[i]->deadline - now;
	return t < 0 ? 0 : (int)t;
}

/* Deadlines: a slow sender is dropped, a waited-out refusal is sent. */
static void
expire(struct loop *l, int64_t now)
{
	for (int i = l->n - 1; i >= 0; i--) {
		struct client *cl = l->clients[i];

		if (cl->deadline > now)
			continue;
		if (cl->state == C_WAIT) {
			cl->state = C_WRITE;
			cl->deadline = now + l->d->client_timeout_ms;
		} else {
			drop(l, i);
		}
	}
}

int
verifyd_loop(const struct verifyd *d)
{
	static struct pollfd pfd[VERIFYD_MAX_CLIENTS + 1];
	static struct client *polled[VERIFYD_MAX_CLIENTS + 1];
	static struct loop l;
	int np, rc;

	l.d = d;
	refresh_conf(&l);
	while (!verifyd_stop) {
		np = 0;
		pfd[np].fd = d->listen_fd;
		pfd[np].events = POLLIN;
		polled[np++] = NULL;
		for (int i = 0; i < l.n; i++) {
			if (l.clients[i]->state == C_WAIT)
				continue;
			pfd[np].fd = l.clients[i]->fd;
			pfd[np].events =
			    l.clients[i]->state == C_READ ? POLLIN : POLLOUT;
			polled[np++] = l.clients[i];
		}
		rc = poll(pfd, (nfds_t)np, poll_timeout(&l, now_ms()));
		if (rc < 0 && errno != EINTR) {
			syslog(LOG_ERR, "poll: %m");
			return -1;
		}
		for (int k = 1; rc > 0 && k < np; k++) {
			struct client *cl = polled[k];
			int i;

			if (pfd[k].revents == 0 || serve(&l, cl))
				continue;
			for (i = 0; l.clients[i] != cl; i++)
				;
			drop(&l, i);
		}
		if (rc > 0 && pfd[0].revents != 0)
			accept_clients(&l);
		expire(&l, now_ms());
	}
	while (l.n > 0)
		drop(&l, l.n - 1);
	return 0;
}
