/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "err.h"

#define ZONE_MAX_LEN (IF_NAMESIZE - 1)

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

/* Parse a bare address, folding v4-mapped IPv6 into IPv4. */
static int
parse_addr(const char *s, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		if (memcmp(out, v4mapped, 12) == 0) {
			memmove(out, out + 12, 4);
			memset(out + 4, 0, 12);
			*family = AF_INET;
		}
		return 0;
	}
	return -1;
}

/* An interface name or number: what may follow the '%' of a zone. */
static bool
valid_zone(const char *z)
{
	size_t n = strlen(z);

	if (n == 0 || n > ZONE_MAX_LEN)
		return false;
	for (; *z != '\0'; z++)
		if (!isalnum((unsigned char)*z) && *z != '_' && *z != '-' &&
		    *z != '.')
			return false;
	return true;
}

/*
 * A peer's address as applications report it: a link-local IPv6 address
 * may carry its zone, "fe80::1%eth0" (RFC 4007), and matches without it.
 * A zone on any other address is not an address.
 */
static int
parse_peer(const char *s, int *family, uint8_t out[16])
{
	const char *pct = strchr(s, '%');
	char host[INET6_ADDRSTRLEN];
	size_t n = pct != NULL ? (size_t)(pct - s) : 0;

	if (pct == NULL)
		return parse_addr(s, family, out);
	if (n == 0 || n >= sizeof(host) || !valid_zone(pct + 1))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (parse_addr(host, family, out) < 0 || *family != AF_INET6 ||
	    out[0] != 0xfe || (out[1] & 0xc0) != 0x80)
		return -1;
	return 0;
}

bool
cidr_is_address(const char *s)
{
	uint8_t buf[16];
	int family;

	return s != NULL && parse_peer(s, &family, buf) == 0;
}

int
cidr_host_block(const char *s, char *buf, size_t cap)
{
	uint8_t a[16];
	char text[INET6_ADDRSTRLEN];
	int family;

	if (s == NULL || parse_peer(s, &family, a) < 0)
		return -1;
	if (family == AF_INET6)
		memset(a + 8, 0, 8);
	if (inet_ntop(family, a, text, sizeof(text)) == NULL)
		return -1;
	return snprintf(buf, cap, "%s%s", text,
	           family == AF_INET6 ? "/64" : "") < (int)cap ?
	    0 :
	    -1;
}

int
cidr_parse(const char *s, struct cidr *blk, const char **why)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned maxbits;
	char *end;
	long bits;

	*why = NULL;
	if (hlen == 0 || hlen >= sizeof(host)) {
		*why = "not an address";
		return ERR_INVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	/* A mapped block ::ffff:a.b.c.d/n is an IPv4 block of n - 96 bits. */
	if (parse_addr(host, &blk->family, blk->addr) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return ERR_INVAL;
	}
	maxbits = blk->family == AF_INET ? 32 : 128;
	blk->prefix = maxbits;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3) {
			*why = "bad prefix length";
			return ERR_INVAL;
		}
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0') {
			*why = "bad prefix length";
			return ERR_INVAL;
		}
		if (blk->family == AF_INET && strchr(host, ':') != NULL)
			bits -= 96;
		if (bits < 0 || bits > (long)maxbits) {
			*why = "prefix length out of range";
			return ERR_INVAL;
		}
		blk->prefix = (unsigned)bits;
	}
	for (unsigned i = blk->prefix; i < maxbits; i++)
		if (blk->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "address has bits set beyond the prefix length";
			return ERR_INVAL;
		}
	return 0;
}

bool
cidr_contains(const struct cidr *blk, const char *addr)
{
	uint8_t a[16];
	unsigned full, rest;
	int family;

	if (addr == NULL || parse_peer(addr, &family, a) < 0 ||
	    family != blk->family)
		return false;
	full = blk->prefix / 8;
	rest = blk->prefix % 8;
	if (memcmp(a, blk->addr, full) != 0)
		return false;
	return rest == 0 ||
	    ((a[full] ^ blk->addr[full]) & (0xff00 >> rest)) == 0;
}

bool
cidr_within(const struct cidr *a, const struct cidr *b)
{
	unsigned full = b->prefix / 8, rest = b->prefix % 8;

	if (a->family != b->family || a->prefix < b->prefix)
		return false;
	if (memcmp(a->addr, b->addr, full) != 0)
		return false;
	return rest == 0 ||
	    ((a->addr[full] ^ b->addr[full]) & (0xff00 >> rest)) == 0;
}
