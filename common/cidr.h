/* SPDX-License-Identifier: ISC */
/*
 * cidr.h - address blocks for allowed_addresses.
 *
 * "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128).
 * Bits set beyond the prefix are refused, since they usually mean a typo.
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is treated as the IPv4
 * address it carries, both as a block and as an address being matched.
 *
 * A link-local IPv6 address being matched may carry a zone, as sshd
 * reports such peers ("fe80::1%eth0"): the zone is dropped and the address
 * matched, so fe80::/10 allows link-local peers on every interface.
 * Blocks take no zone, and a zone on any other address, or one that is
 * not an interface name or number, is not an address.
 */
#ifndef APITOKEN_CIDR_H
#define APITOKEN_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cidr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; 4 bytes used for AF_INET */
	unsigned prefix;
};

/* Parse s; 0 or ERR_INVAL with a static reason in *why. */
int cidr_parse(const char *s, struct cidr *blk, const char **why);

/*
 * True when addr, a textual IPv4 or IPv6 address, lies inside c.  Anything
 * that is not an address (a hostname, empty, NULL) is never inside.
 */
bool cidr_contains(const struct cidr *blk, const char *addr);

/* True when block a lies wholly inside block b (same family, no shorter). */
bool cidr_within(const struct cidr *a, const struct cidr *b);

/* True when s parses as a bare IPv4 or IPv6 address (zone as above). */
bool cidr_is_address(const char *s);

/*
 * The block a single host is commonly given that holds address s, in
 * canonical text: an IPv4 address itself ("192.0.2.1"), an IPv6 one its
 * /64 ("2001:db8::/64": RFC 6177 hands a site at least that much), so that
 * one host cannot pass for many.  Into buf (cap >= CIDR_HOST_BLOCK_LEN);
 * 0, or -1 when s is not an address.
 */
#define CIDR_HOST_BLOCK_LEN 64
int cidr_host_block(const char *s, char *buf, size_t cap);

#endif
