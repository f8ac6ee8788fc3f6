/* SPDX-License-Identifier: ISC */
/*
 * apitoken-authd's HTTP parser (authd/http.c): what nginx's auth
 * subrequest sends is read right, and everything it refuses to guess at
 * (tests/e2e/authreq.sh covers the same through a socket) is refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "unit.h"

/* As nginx sends it (proxy_set_header X-Real-IP, Connection ""): the
 * password "apitok_0123456789AB_secret" for alice. */
#define CREDS "YWxpY2U6YXBpdG9rXzAxMjM0NTY3ODlBQl9zZWNyZXQ="
#define NGINX_REQ                            \
	"GET /_apitoken HTTP/1.1\r\n"        \
	"X-Real-IP: 127.0.0.1\r\n"           \
	"Host: apitoken_authd\r\n"           \
	"Authorization: Basic " CREDS "\r\n" \
	"User-Agent: curl/7.88.1\r\n"        \
	"Accept: */*\r\n"                    \
	"\r\n"

/* The parser on a copy of exactly n bytes, so that ASan sees a read past
 * the input; what rq points to is translated back into s. */
static enum http_status
parse_n(const char *s, size_t n, struct http_request *rq, size_t *used)
{
	char *copy = malloc(n > 0 ? n : 1);
	enum http_status st;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, n);
	*used = 0;
	st = http_parse(copy, n, rq, used);
	if (rq->auth != NULL) {
		ck_assert(
		    rq->auth >= copy && rq->auth + rq->auth_len <= copy + n);
		rq->auth = s + (rq->auth - copy);
	}
	free(copy);
	return st;
}

static enum http_status
parse(const char *s, struct http_request *rq, size_t *used)
{
	return parse_n(s, strlen(s), rq, used);
}

/* The status alone, for the refusals. */
static enum http_status
status_n(const char *s, size_t n)
{
	struct http_request rq;
	size_t used;

	return parse_n(s, n, &rq, &used);
}

static enum http_status
status(const char *s)
{
	return status_n(s, strlen(s));
}

/* A request line and then head, a header's lines (each ending CRLF). */
static bool
keeps(const char *version, const char *head)
{
	char buf[512];
	struct http_request rq;
	size_t used;

	snprintf(buf, sizeof(buf), "GET / %s\r\n%s\r\n", version, head);
	ck_assert_int_eq(parse(buf, &rq, &used), HTTP_OK);
	return rq.keep_alive;
}

static const char *
rhost(const char *value)
{
	static char got[INET6_ADDRSTRLEN];
	char buf[512];
	struct http_request rq;
	size_t used;

	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX-Real-IP:%s\r\n\r\n",
	    value);
	ck_assert_int_eq(parse(buf, &rq, &used), HTTP_OK);
	ck_assert_ptr_nonnull(memchr(rq.rhost, '\0', sizeof(rq.rhost)));
	memcpy(got, rq.rhost, sizeof(got));
	return got;
}

static bool
all_bytes(const char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] != c)
			return false;
	return true;
}

/* http_basic on value into a buffer of cap bytes filled with 0xa5 first;
 * on -1, the buffer must be wiped or untouched (nothing decoded yet). */
static int
basic(const char *value, size_t len, char *out, size_t cap, char **pw,
    size_t *pwlen)
{
	int r;

	memset(out, 0xa5, cap);
	r = http_basic(value, len, out, cap, pw, pwlen);
	if (r < 0)
		ck_assert(all_bytes(out, cap, 0) || all_bytes(out, cap, 0xa5));
	return r;
}

START_TEST(nginx_request)
{
	static const char req[] = NGINX_REQ "GET /next HTTP/1.1\r\n";
	struct http_request rq;
	char out[AUTHD_HEADER_MAX], *pw;
	size_t used, pwlen;

	ck_assert_int_eq(parse(req, &rq, &used), HTTP_OK);
	/* the header only: a pipelined request that follows is the next's */
	ck_assert_uint_eq(used, strlen(NGINX_REQ));
	ck_assert(rq.keep_alive);
	ck_assert_str_eq(rq.rhost, "127.0.0.1");
	ck_assert_ptr_eq(rq.auth, strstr(req, "Basic "));
	ck_assert_uint_eq(rq.auth_len, strlen("Basic " CREDS));
	ck_assert_int_eq(basic(rq.auth, rq.auth_len, out, sizeof(out), &pw,
	                     &pwlen),
	    0);
	ck_assert_str_eq(out, "alice");
	ck_assert_ptr_eq(pw, out + strlen("alice") + 1);
	ck_assert_str_eq(pw, "apitok_0123456789AB_secret");
	ck_assert_uint_eq(pwlen, strlen("apitok_0123456789AB_secret"));
}
END_TEST

START_TEST(minimal_and_optional)
{
	struct http_request rq;
	size_t used;

	/* no header at all: no credentials, no address */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\r\n", &rq, &used), HTTP_OK);
	ck_assert_uint_eq(used, 18);
	ck_assert_ptr_null(rq.auth);
	ck_assert_uint_eq(rq.auth_len, 0);
	ck_assert_str_eq(rq.rhost, "");
	/* names in any case; a value's surrounding blanks are not its own;
	 * obs-text and inner blanks are a value's bytes */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nAUTHORIZATION:\t Basic x \t"
	                       "\r\nx-real-ip: 192.0.2.1\r\nX-Other: a \xe9\tb"
	                       "\r\n\r\n",
	                     &rq, &used),
	    HTTP_OK);
	ck_assert_uint_eq(rq.auth_len, 7);
	ck_assert_int_eq(memcmp(rq.auth, "Basic x", 7), 0);
	ck_assert_str_eq(rq.rhost, "192.0.2.1");
	/* an empty Authorization is one, and not a credential */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nAuthorization:\r\n\r\n", &rq,
	                     &used),
	    HTTP_OK);
	ck_assert_ptr_nonnull(rq.auth);
	ck_assert_uint_eq(rq.auth_len, 0);
	/* Content-Length 0 is no body */
	ck_assert_int_eq(status("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
	    HTTP_OK);
	/* Proxy-Authorization is another header */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nProxy-Authorization: Basic "
	                       "eA==\r\n\r\n",
	                     &rq, &used),
	    HTTP_OK);
	ck_assert_ptr_null(rq.auth);
}
END_TEST

START_TEST(keep_alive)
{
	/* HTTP/1.1 persists unless told close; HTTP/1.0 only if told
	 * keep-alive, and close wins over keep-alive */
	ck_assert(keeps("HTTP/1.1", ""));
	ck_assert(keeps("HTTP/1.1", "Connection: keep-alive\r\n"));
	ck_assert(!keeps("HTTP/1.1", "Connection: close\r\n"));
	ck_assert(!keeps("HTTP/1.1", "Connection: CLOSE\r\n"));
	ck_assert(!keeps("HTTP/1.1", "Connection: TE, close\r\n"));
	ck_assert(!keeps("HTTP/1.1", "Connection: ,, close ,\r\n"));
	ck_assert(!keeps("HTTP/1.1",
	    "Connection: keep-alive\r\n"
	    "Connection: close\r\n"));
	ck_assert(keeps("HTTP/1.1", "Connection: closed, xclose\r\n"));
	ck_assert(keeps("HTTP/1.1", "Connection:\r\n"));
	ck_assert(!keeps("HTTP/1.0", ""));
	ck_assert(keeps("HTTP/1.0", "Connection: Keep-Alive\r\n"));
	ck_assert(keeps("HTTP/1.0", "Connection: upgrade,keep-alive\r\n"));
	ck_assert(!keeps("HTTP/1.0", "Connection: keep-alive, close\r\n"));
	ck_assert(!keeps("HTTP/1.0",
	    "Connection: keep-alive\r\n"
	    "Connection: close\r\n"));
	ck_assert(!keeps("HTTP/1.0", "Connection: keep alive\r\n"));
	ck_assert(!keeps("HTTP/1.0", "Keep-Alive: timeout=5\r\n"));
}
END_TEST

START_TEST(real_ip)
{
	char big[INET6_ADDRSTRLEN + 8];

	ck_assert_str_eq(rhost(" 127.0.0.1"), "127.0.0.1");
	ck_assert_str_eq(rhost("\t2001:db8::1 \t"), "2001:db8::1");
	ck_assert_str_eq(rhost("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
	/* no address, no rhost: never a guess at one */
	ck_assert_str_eq(rhost("127.0.0.1, 192.0.2.1"), "");
	ck_assert_str_eq(rhost("localhost"), "");
	ck_assert_str_eq(rhost("192.0.2.1:80"), "");
	ck_assert_str_eq(rhost("fe80::1%eth0"), "");
	ck_assert_str_eq(rhost("192.0.2"), "");
	ck_assert_str_eq(rhost(""), "");
	/* the longest address there is, and one byte more */
	ck_assert_str_eq(rhost("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"),
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	ck_assert_str_eq(rhost(
	                     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555"),
	    "");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_str_eq(rhost(big), "");
}
END_TEST

START_TEST(request_line_refused)
{
	ck_assert_int_eq(status("GET / HTTP/1.0\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(status("GET http://a/b?c HTTP/1.1\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(status("GET / HTTP/2.0\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.2\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.10\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / http/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1 \r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET /\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET  HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET  / HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status(" GET / HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET\t/\tHTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("G(T / HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET /a\x7f HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET /a\rb HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\nHost: a\r\n\r\n"), HTTP_BAD);
	/* no empty line before the request line: we do not skip one */
	ck_assert_int_eq(status("\r\nGET / HTTP/1.1\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("\r\n\r\n"), HTTP_BAD);
}
END_TEST

START_TEST(header_refused)
{
	/* no colon, no name, a blank before the colon, a name's byte */
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nHost\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\n: x\r\n\r\n"), HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX(y): a\r\n\r\n"), HTTP_BAD);
	/* obsolete line folding, with a space or a tab */
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: a\r\n\tb: c\r\n\r\n"),
	    HTTP_BAD);
	/* a bare LF or CR, or DEL, inside a line */
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: a\rX-B: b\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A\n: a\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: \x7f\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-A: \x01\r\n\r\n"),
	    HTTP_BAD);
	/* a body, announced either way: never read, so never taken for the
	 * next request */
	ck_assert_int_eq(status("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status(
	                     "POST / HTTP/1.1\r\nContent-Length: 00\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("POST / HTTP/1.1\r\ncontent-length: 0\r\n"
	                        "Content-Length: 1\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("POST / HTTP/1.1\r\nTransfer-Encoding: "
	                        "chunked\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("POST / HTTP/1.1\r\ntransfer-encoding: "
	                        "identity\r\n\r\n"),
	    HTTP_BAD);
}
END_TEST

START_TEST(duplicates_refused)
{
	/* two readers could take either one: neither is taken */
	ck_assert_int_eq(status(
	                     "GET / HTTP/1.1\r\nAuthorization: Basic eA==\r\n"
	                     "authorization: Basic eQ==\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nAuthorization:\r\n"
	                        "Authorization: Basic eQ==\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-Real-IP: 192.0.2.1\r\n"
	                        "X-Real-IP: 192.0.2.2\r\n\r\n"),
	    HTTP_BAD);
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nX-Real-IP: bogus\r\n"
	                        "X-Real-IP: 192.0.2.2\r\n\r\n"),
	    HTTP_BAD);
	/* other headers may repeat */
	ck_assert_int_eq(status("GET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n"
	                        "Connection: x\r\nConnection: y\r\n\r\n"),
	    HTTP_OK);
}
END_TEST

START_TEST(nul_refused)
{
	static const char line[] = "GET /\0 HTTP/1.1\r\n\r\n";
	static const char name[] = "GET / HTTP/1.1\r\nX\0: a\r\n\r\n";
	static const char value[] = "GET / HTTP/1.1\r\nAuthorization: "
	                            "Basic\0eA==\r\n\r\n";
	static const char method[] = "G\0T / HTTP/1.1\r\n\r\n";

	ck_assert_int_eq(status_n(line, sizeof(line) - 1), HTTP_BAD);
	ck_assert_int_eq(status_n(name, sizeof(name) - 1), HTTP_BAD);
	ck_assert_int_eq(status_n(value, sizeof(value) - 1), HTTP_BAD);
	ck_assert_int_eq(status_n(method, sizeof(method) - 1), HTTP_BAD);
}
END_TEST

START_TEST(too_big)
{
	char buf[AUTHD_HEADER_MAX + 64];
	size_t n;
	int i;

	/* AUTHD_HEADERS_MAX header lines, and one more */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (i = 0; i < AUTHD_HEADERS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X: %d\r\n", i);
	/* without its end yet, the most it may have is no flood */
	ck_assert_int_eq(status_n(buf, n), HTTP_INCOMPLETE);
	memcpy(buf + n, "\r\n", 3);
	ck_assert_int_eq(status(buf), HTTP_OK);
	memcpy(buf + n, "X: y\r\n", 7);
	n += 6;
	/* one line more is refused whether the end has come or not */
	ck_assert_int_eq(status_n(buf, n), HTTP_TOO_BIG);
	memcpy(buf + n, "\r\n", 3);
	ck_assert_int_eq(status(buf), HTTP_TOO_BIG);
	/* a flood of empty-ish lines before the buffer is full */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (i = 0; i <= AUTHD_HEADERS_MAX; i++)
		buf[n++] = '\n';
	ck_assert_int_eq(status_n(buf, n), HTTP_TOO_BIG);
	ck_assert_int_eq(status_n(buf, n - 1), HTTP_INCOMPLETE);
	/* a full buffer without the blank line, in one line or a few */
	memset(buf, 'a', AUTHD_HEADER_MAX);
	memcpy(buf, "GET /", 5);
	ck_assert_int_eq(status_n(buf, AUTHD_HEADER_MAX - 1), HTTP_INCOMPLETE);
	ck_assert_int_eq(status_n(buf, AUTHD_HEADER_MAX), HTTP_TOO_BIG);
	memcpy(buf, "GET / HTTP/1.1\r\nCookie: ", 24);
	ck_assert_int_eq(status_n(buf, AUTHD_HEADER_MAX), HTTP_TOO_BIG);
	/* a header that just fills the buffer is whole */
	memcpy(buf + AUTHD_HEADER_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(status_n(buf, AUTHD_HEADER_MAX), HTTP_OK);
}
END_TEST

START_TEST(incomplete_reads_on)
{
	static const char req[] = NGINX_REQ;
	struct http_request rq;
	size_t used, n;

	/* every prefix, as a client could send it a byte at a time, asks for
	 * more: none is taken for a whole request or refused */
	for (n = 0; n < sizeof(req) - 1; n++)
		ck_assert_msg(parse_n(req, n, &rq, &used) == HTTP_INCOMPLETE,
		    "prefix of %zu bytes", n);
	ck_assert_int_eq(parse_n(req, n, &rq, &used), HTTP_OK);
	ck_assert_uint_eq(used, n);
	/* even a malformed line waits for the header's end to be judged */
	ck_assert_int_eq(status("GET / HTTP/9.9\r\nHost : x\r\n"),
	    HTTP_INCOMPLETE);
	ck_assert_int_eq(status("GET / HTTP/9.9\r\nHost : x\r\n\r\n"),
	    HTTP_BAD);
}
END_TEST

START_TEST(basic_good)
{
	char out[128], *pw;
	size_t pwlen;

#define B(s) (s), strlen(s), out, sizeof(out), &pw, &pwlen
	/* "alice:s3cr3t" */
	ck_assert_int_eq(basic(B("Basic YWxpY2U6czNjcjN0")), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_str_eq(pw, "s3cr3t");
	ck_assert_uint_eq(pwlen, 6);
	/* the scheme in any case, then any blanks */
	ck_assert_int_eq(basic(B("bASIC\t YWxpY2U6czNjcjN0")), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_uint_eq(pwlen, 6);
	/* the password is all after the first colon (RFC 7617) */
	ck_assert_int_eq(basic(B("Basic YWxpY2U6YTpiOg==")), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_str_eq(pw, "a:b:");
	ck_assert_uint_eq(pwlen, 4);
	/* an empty password is the caller's to refuse */
	ck_assert_int_eq(basic(B("Basic YWxpY2U6")), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_str_eq(pw, "");
	ck_assert_uint_eq(pwlen, 0);
	/* a pair that just fits: "ab:c" needs 5 bytes with its NUL */
	ck_assert_int_eq(basic("Basic YWI6Yw==", 14, out, 5, &pw, &pwlen), 0);
	ck_assert_str_eq(out, "ab");
	ck_assert_str_eq(pw, "c");
	ck_assert_uint_eq(pwlen, 1);
#undef B
}
END_TEST

START_TEST(basic_refused)
{
	static const char nul[] = "Basic YQBiOnB3"; /* "a\0b:pw" */
	char out[128], *pw = NULL;
	size_t pwlen = 0;

#define B(s) (s), strlen(s), out, sizeof(out), &pw, &pwlen
	/* not Basic: nothing decoded, the buffer untouched */
	ck_assert_int_eq(basic(B("Bearer YWxpY2U6czNjcjN0")), -1);
	ck_assert_int_eq(basic(B("BasicYWxpY2U6czNjcjN0")), -1);
	ck_assert_int_eq(basic(B("Basic")), -1);
	ck_assert_int_eq(basic(B("Basi")), -1);
	ck_assert_int_eq(basic(B("")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0xa5));
	/* bad base64, what was decoded of it wiped: no padding, trailing
	 * bits set, bytes after the padding */
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cw")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cx==")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cw==YQ==")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cw===")), -1);
	/* a blank or a byte inside, or after */
	ck_assert_int_eq(basic(B("Basic YWxp Y2U6cw==")), -1);
	ck_assert_int_eq(basic(B("Basic YWxp.2U6cw==")), -1);
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cw== ")), -1);
	ck_assert_int_eq(basic(B("Basic YWxpY2U6cw-_")), -1);
	/* no colon, no user, nothing at all */
	ck_assert_int_eq(basic(B("Basic YWxpY2U=")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	ck_assert_int_eq(basic(B("Basic OnB3")), -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	ck_assert_int_eq(basic(B("Basic  ")), -1);
	/* a NUL inside the pair would cut the user short */
	ck_assert_int_eq(basic(nul, sizeof(nul) - 1, out, sizeof(out), &pw,
	                     &pwlen),
	    -1);
	ck_assert(all_bytes(out, sizeof(out), 0));
	/* one byte short of the pair and its NUL: what was decoded is wiped */
	ck_assert_int_eq(basic("Basic YWI6Yw==", 14, out, 4, &pw, &pwlen), -1);
	ck_assert(all_bytes(out, 4, 0));
	ck_assert_int_eq(http_basic("Basic YWI6Yw==", 14, out, 0, &pw, &pwlen),
	    -1);
	/* nothing was handed out on any refusal */
	ck_assert_ptr_null(pw);
	ck_assert_uint_eq(pwlen, 0);
#undef B
}
END_TEST

START_TEST(basic_high_bytes)
{
	struct http_request rq;
	char out[128], *pw;
	size_t pwlen, used;

#define B(s) (s), strlen(s), out, sizeof(out), &pw, &pwlen
	/* libsodium takes every byte from 0x80 up for '/': another spelling
	 * of "alice:?>?", which a reader of RFC 4648 refuses */
	ck_assert_int_eq(basic(B("Basic YWxpY2U6Pz4/")), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_str_eq(pw, "?>?");
	ck_assert_int_eq(basic(B("Basic YWxpY2U6Pz4\xff")), -1);
	ck_assert_int_eq(basic(B("Basic YWxpY2U6Pz4\x80")), -1);
	ck_assert_int_eq(basic(B("Basic \xe9WxpY2U6Pz4/")), -1);
	/* the parser lets obs-text into a value: the decoder refuses it */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nAuthorization: Basic "
	                       "YWxpY2U6Pz4\xbf\r\n\r\n",
	                     &rq, &used),
	    HTTP_OK);
	ck_assert_int_eq(basic(rq.auth, rq.auth_len, out, sizeof(out), &pw,
	                     &pwlen),
	    -1);
#undef B
}
END_TEST

Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("authd's request parser");

	tcase_add_test(tc, nginx_request);
	tcase_add_test(tc, minimal_and_optional);
	tcase_add_test(tc, keep_alive);
	tcase_add_test(tc, real_ip);
	tcase_add_test(tc, request_line_refused);
	tcase_add_test(tc, header_refused);
	tcase_add_test(tc, duplicates_refused);
	tcase_add_test(tc, nul_refused);
	tcase_add_test(tc, too_big);
	tcase_add_test(tc, incomplete_reads_on);
	tcase_add_test(tc, basic_good);
	tcase_add_test(tc, basic_refused);
	tcase_add_test(tc, basic_high_bytes);
	suite_add_tcase(s, tc);
	return s;
}
