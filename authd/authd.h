/* SPDX-License-Identifier: ISC */
/*
 * authd.h - apitoken-authd, the HTTP front of the verify service for
 * nginx's auth_request: its parts.
 *
 * main.c sets the process up (the listening socket: systemd's or its own,
 * then no root), http.c reads one request's header, ask.c asks
 * apitoken-verifyd(8) without waiting for it, and loop.c serves every
 * connection from one poll(2) loop: nothing one client does, sends or
 * fails to send can make another wait.  The decision is verifyd's alone.
 */
#ifndef APITOKEN_AUTHD_H
#define APITOKEN_AUTHD_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify.h"
#include "verify_proto.h"

#define AUTHD_SOCKET "/run/apitoken/authd.sock"
#define AUTHD_MAX_CONNS 1024
#define AUTHD_HEADER_MAX 8192        /* request line and headers, bytes */
#define AUTHD_HEADERS_MAX 64         /* header lines in one request */
#define AUTHD_HEADER_TIMEOUT_MS 5000 /* from a request's first byte */
#define AUTHD_IDLE_TIMEOUT_MS 75000  /* keep-alive; nginx's default is 60 s */
#define AUTHD_ASK_TIMEOUT_MS 2000    /* verifyd's answer */
#define AUTHD_WRITE_TIMEOUT_MS 5000  /* our answer taken by the client */
#define AUTHD_REALM_MAX 64

struct authd {
	int listen_fd;
	int max_conns;
	const char *verify_socket;
	const char *service;
	const char *realm;
};

/* Set by the signal handlers; the loop ends when it is set. */
extern volatile sig_atomic_t authd_stop;

/* Serve until authd_stop; 0, or -1 after logging why. */
int authd_loop(const struct authd *d);

/* http.c: one request's header, as much of it as we need. */
enum http_status {
	HTTP_INCOMPLETE, /* no blank line yet: read on */
	HTTP_OK,
	HTTP_BAD,     /* malformed, ambiguous, or with a body: 400 */
	HTTP_TOO_BIG, /* AUTHD_HEADER_MAX or AUTHD_HEADERS_MAX passed: 431 */
};

struct http_request {
	bool keep_alive;
	const char
	    *auth; /* Authorization's value, inside the buffer, or NULL */
	size_t auth_len;
	char rhost[INET6_ADDRSTRLEN]; /* X-Real-IP when an address, else "" */
};

/*
 * Parse the header at the start of buf (len bytes): HTTP/1.0 or 1.1, CRLF
 * line ends, no folded lines, at most one Authorization and one X-Real-IP,
 * no body (a Content-Length other than 0 or any Transfer-Encoding is
 * HTTP_BAD: an auth subrequest has none, and a body we do not read would
 * be taken for the next request).  On HTTP_OK, *used is the header's
 * length and rq points into buf.
 */
enum http_status http_parse(const char *buf, size_t len,
    struct http_request *rq, size_t *used);

/*
 * The user and password of an Authorization value "Basic base64(u:p)",
 * decoded into out (cap bytes) as "user" NUL "password" NUL: 0, or -1
 * when it is not such a value.  *password points into out.  The caller
 * wipes out.
 */
int http_basic(const char *value, size_t len, char *out, size_t cap,
    char **password, size_t *password_len);

/* ask.c: one question to apitoken-verifyd, never blocking. */
struct ask {
	int fd;
	size_t len, sent, got;
	char buf[VPROTO_REQUEST_MAX]; /* the request, wiped once sent */
	char answer[VPROTO_ANSWER_MAX];
};

enum ask_status {
	ASK_SEND,   /* poll fd for POLLOUT */
	ASK_RECV,   /* poll fd for POLLIN */
	ASK_DONE,   /* res holds verifyd's verdict */
	ASK_FAILED, /* no verdict from verifyd: unavailable, closed, garbled */
	ASK_REFUSED /* the request could not be encoded: a refusal */
};

/*
 * Connect to the service at path (it must be root's: SO_PEERCRED) and
 * start sending the request.  ASK_SEND, or ASK_FAILED or ASK_REFUSED with
 * a->fd closed.  The password is copied only into the encoded request.
 */
enum ask_status ask_start(struct ask *a, const char *path, const char *user,
    const char *service, const char *rhost, const char *password,
    size_t password_len);

/* Go on after poll said a->fd is ready; ASK_DONE fills res.  a->fd is
 * closed on every status but ASK_SEND and ASK_RECV. */
enum ask_status ask_step(struct ask *a, enum ask_status st,
    struct verify_result *res);

/* Give up on a question under way (a timeout): close and wipe. */
void ask_end(struct ask *a);

#endif
