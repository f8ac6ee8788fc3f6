/* SPDX-License-Identifier: ISC */
/*
 * http.c - the little of HTTP/1.1 (RFC 9112) an auth subrequest needs.
 *
 * Strict where leniency would let two readers disagree: what we do not
 * understand is refused (400), never guessed at.  Only the request line's
 * version, Authorization, X-Real-IP, Connection and the absence of a body
 * matter; every other header is skipped after its syntax is checked.
 */
#include "config.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "authd.h"

static bool
tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* A field value's bytes: visible, SP, HTAB or obs-text; never CR, LF, NUL. */
static bool
vchars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool
named(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* Does the comma-separated list value hold token (case-insensitive)? */
static bool
has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token), i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tl && strncasecmp(v + start, token, tl) == 0)
			return true;
	}
	return false;
}

/* "METHOD SP TARGET SP HTTP/1.x": *minor, or false. */
static bool
request_line(const char *s, size_t len, int *minor)
{
	size_t i = 0, t;

	while (i < len && tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == len || s[i] != ' ')
		return false;
	t = ++i;
	while (i < len && (unsigned char)s[i] > 0x20 && s[i] != 0x7f)
		i++;
	if (i == t || i == len || s[i] != ' ')
		return false;
	i++;
	if (len - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 ||
	    (s[i + 7] != '0' && s[i + 7] != '1'))
		return false;
	*minor = s[i + 7] - '0';
	return true;
}

static void
take_rhost(const char *v, size_t len, struct http_request *rq)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];

	rq->rhost[0] = '\0';
	if (len == 0 || len >= sizeof(addr))
		return;
	memcpy(addr, v, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1 ||
	    inet_pton(AF_INET6, addr, bin) == 1)
		memcpy(rq->rhost, addr, len + 1);
}

enum http_status
http_parse(const char *buf, size_t len, struct http_request *rq, size_t *used)
{
	const char *p = buf, *end, *eol;
	bool conn_close = false, conn_keep = false, seen_ip = false;
	int minor = 0, lines = 0;

	memset(rq, 0, sizeof(*rq));
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL) {
		/* Count what came so far: a flood of short lines is refused
		 * before the buffer is full. */
		for (const char *q = buf;
		     (q = memchr(q, '\n', (size_t)(buf + len - q))) != NULL;
		     q++)
			if (++lines >
			    AUTHD_HEADERS_MAX + 1) /* + the request line */
				return HTTP_TOO_BIG;
		return len >= AUTHD_HEADER_MAX ? HTTP_TOO_BIG : HTTP_INCOMPLETE;
	}
	end += 2; /* the last header line's CRLF is its own */
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (!request_line(p, (size_t)(eol - p), &minor))
		return HTTP_BAD;
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon, *v, *ve;

		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (++lines > AUTHD_HEADERS_MAX)
			return HTTP_TOO_BIG;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return HTTP_BAD; /* also a folded line (SP first) */
		for (const char *q = p; q < colon; q++)
			if (!tchar((unsigned char)*q))
				return HTTP_BAD;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t');
		     ve--)
			;
		if (!vchars(v, (size_t)(ve - v)))
			return HTTP_BAD;
		if (named(p, (size_t)(colon - p), "authorization")) {
			if (rq->auth != NULL)
				return HTTP_BAD;
			rq->auth = v;
			rq->auth_len = (size_t)(ve - v);
		} else if (named(p, (size_t)(colon - p), "x-real-ip")) {
			if (seen_ip)
				return HTTP_BAD;
			seen_ip = true;
			take_rhost(v, (size_t)(ve - v), rq);
		} else if (named(p, (size_t)(colon - p), "connection")) {
			conn_close |= has_token(v, (size_t)(ve - v), "close");
			conn_keep |=
			    has_token(v, (size_t)(ve - v), "keep-alive");
		} else if (named(p, (size_t)(colon - p), "transfer-encoding")) {
			return HTTP_BAD;
		} else if (named(p, (size_t)(colon - p), "content-length")) {
			if (ve - v != 1 || *v != '0')
				return HTTP_BAD;
		}
	}
	rq->keep_alive = minor == 1 ? !conn_close : conn_keep && !conn_close;
	*used = (size_t)(end - buf) + 2;
	return HTTP_OK;
}

static bool
b64char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '+' || c == '/' || c == '=';
}

int
http_basic(const char *value, size_t len, char *out, size_t cap,
    char **password, size_t *password_len)
{
	size_t n = 0, i = 0;
	char *colon;

	if (len < 6 || strncasecmp(value, "Basic", 5) != 0 ||
	    (value[5] != ' ' && value[5] != '\t'))
		return -1;
	for (i = 5; i < len && (value[i] == ' ' || value[i] == '\t'); i++)
		;
	/* libsodium (1.0.18) reads the text as signed chars and so decodes
	 * every byte from 0x80 up as '/': only the alphabet and padding are
	 * base64, or one pair would have many spellings. */
	for (size_t j = i; j < len; j++)
		if (!b64char((unsigned char)value[j]))
			return -1;
	if (cap == 0 ||
	    sodium_base642bin((unsigned char *)out, cap - 1, value + i, len - i,
	        NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    memchr(out, '\0', n) != NULL) {
		sodium_memzero(out, cap);
		return -1;
	}
	out[n] = '\0';
	if ((colon = strchr(out, ':')) == NULL || colon == out) {
		sodium_memzero(out, cap);
		return -1;
	}
	*colon = '\0';
	*password = colon + 1;
	*password_len = n - (size_t)(colon + 1 - out);
	return 0;
}
