/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "err.h"
#include "unit.h"

static struct cidr
block(const char *s)
{
	struct cidr c;
	const char *why = NULL;

	ck_assert_msg(cidr_parse(s, &c, &why) == 0, "%s: %s", s, why);
	return c;
}

static bool
in(const char *b, const char *addr)
{
	struct cidr c = block(b);
	return cidr_contains(&c, addr);
}

START_TEST(ipv4)
{
	ck_assert(in("10.0.0.0/8", "10.255.255.255"));
	ck_assert(in("10.0.0.0/8", "10.0.0.0"));
	ck_assert(!in("10.0.0.0/8", "11.0.0.0"));
	ck_assert(!in("10.0.0.0/8", "9.255.255.255"));
	ck_assert(in("192.0.2.128/25", "192.0.2.128"));
	ck_assert(!in("192.0.2.128/25", "192.0.2.127"));
	ck_assert(in("192.0.2.1/32", "192.0.2.1"));
	ck_assert(!in("192.0.2.1/32", "192.0.2.2"));
	ck_assert(in("192.0.2.1", "192.0.2.1")); /* bare address = /32 */
	ck_assert(in("0.0.0.0/0", "203.0.113.9"));
	ck_assert(!in("0.0.0.0/0", "2001:db8::1")); /* families never mix */
	ck_assert(in("172.16.0.0/12", "172.31.255.255"));
	ck_assert(!in("172.16.0.0/12", "172.32.0.0"));
}
END_TEST

START_TEST(ipv6)
{
	ck_assert(in("2001:db8::/32", "2001:db8:ffff::1"));
	ck_assert(!in("2001:db8::/32", "2001:db9::1"));
	ck_assert(in("::/0", "::1"));
	ck_assert(!in("::/0", "127.0.0.1"));
	ck_assert(in("::1/128", "::1"));
	ck_assert(!in("::1/128", "::2"));
	ck_assert(in("::1", "0:0:0:0:0:0:0:1"));
	ck_assert(in("2001:db8::/127", "2001:db8::1"));
	ck_assert(!in("2001:db8::/127", "2001:db8::2"));
	ck_assert(in("fe80::/10", "febf::1"));
	ck_assert(!in("fe80::/10", "fec0::1"));
}
END_TEST

START_TEST(v4_mapped)
{
	/* sshd may report an IPv4 client as ::ffff:a.b.c.d on a v6 socket */
	ck_assert(in("192.0.2.0/24", "::ffff:192.0.2.7"));
	ck_assert(!in("192.0.2.0/24", "::ffff:192.0.3.7"));
	ck_assert(in("::ffff:192.0.2.0/120", "192.0.2.200"));
	ck_assert_int_eq(block("::ffff:192.0.2.0/120").family, AF_INET);
	ck_assert_uint_eq(block("::ffff:192.0.2.0/120").prefix, 24);
}
END_TEST

/* sshd reports a link-local peer with its zone: the zone is dropped. */
START_TEST(link_local_zone)
{
	struct cidr c;
	const char *why;

	ck_assert(in("fe80::/10", "fe80::1%eth0"));
	ck_assert(in("fe80::/10", "fe80::1%2"));
	ck_assert(in("fe80::/64", "fe80::a00:27ff:fe4e:66a1%enp0s3"));
	ck_assert(in("fe80::1", "fe80::1%br-lan.10"));
	ck_assert(!in("fe80::/64", "fe80:0:0:1::1%eth0"));
	ck_assert(cidr_is_address("fe80::1%eth0"));
	/* a zone only on link-local addresses, and only an interface's name */
	ck_assert(!in("::/0", "2001:db8::1%eth0"));
	ck_assert(!in("::/0", "::1%lo"));
	ck_assert(!in("0.0.0.0/0", "192.0.2.1%eth0"));
	ck_assert(!in("::/0", "fe80::1%"));
	ck_assert(!in("::/0", "%eth0"));
	ck_assert(!in("::/0", "fe80::1%eth0%eth1"));
	ck_assert(!in("::/0", "fe80::1%eth/0"));
	ck_assert(!in("::/0", "fe80::1%a-name-far-too-long"));
	ck_assert(!in("::/0", "fe80::1%eth0 "));
	/* blocks take no zone */
	ck_assert_int_eq(cidr_parse("fe80::%eth0/10", &c, &why), ERR_INVAL);
	ck_assert_int_eq(cidr_parse("fe80::1%eth0", &c, &why), ERR_INVAL);
}
END_TEST

START_TEST(not_addresses_never_match)
{
	struct cidr c = block("0.0.0.0/0"), c6 = block("::/0");

	ck_assert(!cidr_contains(&c, NULL));
	ck_assert(!cidr_contains(&c, ""));
	ck_assert(!cidr_contains(&c, "localhost"));
	ck_assert(!cidr_contains(&c, "10.0.0.1.example.com"));
	ck_assert(!cidr_contains(&c, "10.0.0.1 "));
	ck_assert(!cidr_contains(&c, "010.0.0.1"));
	ck_assert(!cidr_contains(&c6, "[::1]"));
	ck_assert(cidr_is_address("::1"));
	ck_assert(!cidr_is_address("host.example"));
	ck_assert(!cidr_is_address(NULL));
}
END_TEST

/* The lockout's sources: an IPv4 host alone, an IPv6 one by its /64. */
START_TEST(host_blocks)
{
	char b[CIDR_HOST_BLOCK_LEN];

	ck_assert_int_eq(cidr_host_block("192.0.2.7", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "192.0.2.7");
	ck_assert_int_eq(cidr_host_block("::ffff:192.0.2.7", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "192.0.2.7");
	ck_assert_int_eq(cidr_host_block("2001:DB8:0:0:1:2:3:4", b, sizeof(b)),
	    0);
	ck_assert_str_eq(b, "2001:db8::/64");
	ck_assert_int_eq(cidr_host_block("2001:db8:0:1::9", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "2001:db8:0:1::/64");
	ck_assert_int_eq(cidr_host_block("fe80::1%eth0", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "fe80::/64");
	ck_assert_int_eq(cidr_host_block("host.example", b, sizeof(b)), -1);
	ck_assert_int_eq(cidr_host_block(NULL, b, sizeof(b)), -1);
	ck_assert_int_eq(cidr_host_block("192.0.2.7", b, 4), -1);
}
END_TEST

START_TEST(bad_blocks)
{
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/8x",
		"10.0.0.1/8",
		"2001:db8::/129",
		"2001:db8::1/32",
		"example.com/24",
		"10.0.0.0/08000",
		"10.0.0.0/ 8",
		"::ffff:10.0.0.0/95",
	};
	struct cidr c;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(cidr_parse(bad[i], &c, &why) == ERR_INVAL,
		    "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

static bool
within(const char *a, const char *b)
{
	struct cidr x, y;
	const char *why;

	ck_assert_msg(cidr_parse(a, &x, &why) == 0, "%s: %s", a, why);
	ck_assert_msg(cidr_parse(b, &y, &why) == 0, "%s: %s", b, why);
	return cidr_within(&x, &y);
}

START_TEST(block_within_block)
{
	ck_assert(within("10.1.0.0/16", "10.0.0.0/8"));
	ck_assert(within("10.0.0.0/8", "10.0.0.0/8"));
	ck_assert(
	    !within("10.0.0.0/8", "10.1.0.0/16")); /* wider is not within */
	ck_assert(!within("11.0.0.0/16", "10.0.0.0/8"));
	ck_assert(within("192.0.2.128/25", "192.0.2.0/24"));
	ck_assert(!within("192.0.2.0/23", "192.0.2.0/24"));
	ck_assert(within("192.0.2.5", "192.0.2.0/29"));
	ck_assert(!within("192.0.2.16", "192.0.2.0/29"));
	ck_assert(within("203.0.113.0/24", "0.0.0.0/0"));
	ck_assert(
	    !within("2001:db8::/48", "0.0.0.0/0")); /* families never mix */
	ck_assert(within("2001:db8:1::/48", "2001:db8::/32"));
	ck_assert(!within("2001:db9::/48", "2001:db8::/32"));
	ck_assert(within("::ffff:192.0.2.0/120", "192.0.2.0/24"));
}
END_TEST

Suite *
cidr_suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ipv4);
	tcase_add_test(tc, ipv6);
	tcase_add_test(tc, v4_mapped);
	tcase_add_test(tc, host_blocks);
	tcase_add_test(tc, link_local_zone);
	tcase_add_test(tc, not_addresses_never_match);
	tcase_add_test(tc, bad_blocks);
	tcase_add_test(tc, block_within_block);
	suite_add_tcase(s, tc);
	return s;
}
