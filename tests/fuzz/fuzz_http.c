/* SPDX-License-Identifier: ISC */
/*
 * apitoken-authd's HTTP parser on arbitrary bytes, as a client may send
 * them: whole, or in two reads (the loop parses its buffer again after
 * each), then request after request as a pipelining client's.  What is
 * parsed must lie inside the header it came from, and a request refused
 * or taken at one read is the same at the next.
 */
#include "config.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes of a header line's value: never CR, LF or NUL, never blank at
 * either end. */
static void
check_value(const char *v, size_t len)
{
	if (memchr(v, '\r', len) != NULL || memchr(v, '\n', len) != NULL ||
	    memchr(v, '\0', len) != NULL)
		abort();
	if (len > 0 &&
	    (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
	        v[len - 1] == '\t'))
		abort();
}

/* http_basic on value: the pair it decodes encodes back to the value,
 * and on a refusal the buffer is wiped or was never written. */
static void
check_basic(const char *value, size_t len, size_t cap)
{
	char *out = malloc(cap > 0 ? cap : 1), *pw, *b64;
	size_t pwlen, ulen, i, n;

	if (out == NULL)
		return;
	memset(out, 0xa5, cap);
	if (http_basic(value, len, out, cap, &pw, &pwlen) == 0) {
		ulen = strlen(out);
		if (ulen == 0 || memchr(out, ':', ulen) != NULL ||
		    pw != out + ulen + 1 || ulen + 2 + pwlen > cap ||
		    pw[pwlen] != '\0' || memchr(pw, '\0', pwlen) != NULL)
			abort();
		/* base64 of "user:password" is what followed "Basic" */
		for (i = 5; i < len && (value[i] == ' ' || value[i] == '\t');
		     i++)
			;
		n = sodium_base64_ENCODED_LEN(ulen + 1 + pwlen,
		    sodium_base64_VARIANT_ORIGINAL);
		out[ulen] = ':';
		if ((b64 = malloc(n)) != NULL) {
			sodium_bin2base64(b64, n, (unsigned char *)out,
			    ulen + 1 + pwlen, sodium_base64_VARIANT_ORIGINAL);
			if (len - i != n - 1 || memcmp(value + i, b64, n - 1))
				abort();
			free(b64);
		}
	} else {
		for (i = 1; i < cap; i++)
			if (out[i] != out[0])
				abort();
		if (cap > 0 && out[0] != 0 && (unsigned char)out[0] != 0xa5)
			abort();
	}
	free(out);
}

/* One parse of the first len bytes, from a copy of just that size (so
 * that ASan sees any read past them), with what must hold of its result.
 * rq's pointers are translated back into buf. */
static enum http_status
parse(const char *buf, size_t len, struct http_request *rq, size_t *used)
{
	char *copy = malloc(len > 0 ? len : 1);
	enum http_status st;
	const char *blank, *eol;

	if (copy == NULL)
		abort();
	memcpy(copy, buf, len);
	*used = 0;
	st = http_parse(copy, len, rq, used);
	blank = memmem(copy, len, "\r\n\r\n", 4);
	switch (st) {
	case HTTP_INCOMPLETE:
		if (blank != NULL || len >= AUTHD_HEADER_MAX)
			abort();
		break;
	case HTTP_OK:
		/* the header, to its first blank line, in HTTP/1.0 or 1.1 */
		eol = memmem(copy, len, "\r\n", 2);
		if (blank == NULL || *used != (size_t)(blank - copy) + 4 ||
		    eol - copy < 12 || memcmp(eol - 9, " HTTP/1.", 8) != 0 ||
		    (eol[-1] != '0' && eol[-1] != '1'))
			abort();
		if (rq->auth == NULL) {
			if (rq->auth_len != 0)
				abort();
		} else {
			if (rq->auth <= copy || rq->auth > blank ||
			    rq->auth_len > (size_t)(blank - rq->auth))
				abort();
			check_value(rq->auth, rq->auth_len);
			rq->auth = buf + (rq->auth - copy);
		}
		if (memchr(rq->rhost, '\0', sizeof(rq->rhost)) == NULL)
			abort();
		if (rq->rhost[0] != '\0') {
			unsigned char bin[sizeof(struct in6_addr)];

			if ((inet_pton(AF_INET, rq->rhost, bin) != 1 &&
			        inet_pton(AF_INET6, rq->rhost, bin) != 1) ||
			    memmem(copy, *used, rq->rhost, strlen(rq->rhost)) ==
			        NULL)
				abort();
		}
		break;
	case HTTP_BAD:
		if (blank == NULL)
			abort();
		break;
	case HTTP_TOO_BIG:
		break;
	default:
		abort();
	}
	free(copy);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request rq, first;
	size_t used, first_used, split, off;
	enum http_status st, st1;

	/* The loop never holds more than its buffer. */
	if (size > AUTHD_HEADER_MAX)
		size = AUTHD_HEADER_MAX;
	/* Any value, as an Authorization value: into a buffer like the
	 * loop's, and into one too small for most. */
	check_basic(buf, size, AUTHD_HEADER_MAX);
	check_basic(buf, size, size % 64);

	st = parse(buf, size, &rq, &used);
	/* The same bytes in two reads: the first as the loop would see it,
	 * then the whole. */
	split = size / 2;
	st1 = parse(buf, split, &first, &first_used);
	if (memmem(buf, split, "\r\n\r\n", 4) != NULL) {
		/* whole after the first read: nothing later changes it */
		if (st1 != st ||
		    (st == HTTP_OK &&
		        (first_used != used ||
		            memcmp(&first, &rq, sizeof(rq)) != 0)))
			abort();
	} else if (st1 != HTTP_INCOMPLETE &&
	    (st == HTTP_OK || st == HTTP_INCOMPLETE)) {
		/* refused at the first read, taken or waited for after */
		abort();
	}
	/* Pipelined requests, each parsed from where the last ended. */
	off = 0;
	while (st == HTTP_OK) {
		if (rq.auth != NULL)
			check_basic(rq.auth, rq.auth_len, AUTHD_HEADER_MAX);
		off += used;
		st = parse(buf + off, size - off, &rq, &used);
	}
	return 0;
}
