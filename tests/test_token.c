/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "blake2b.h"
#include "err.h"
#include "token.h"
#include "unit.h"

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
fresh(char out[TOKEN_LEN + 1], struct token *tok)
{
	ck_assert_int_eq(token_generate(tok, NULL, out), 0);
}

START_TEST(generate_roundtrip)
{
	char s[TOKEN_LEN + 1];
	struct token t, p;

	fresh(s, &t);
	ck_assert_uint_eq(strlen(s), TOKEN_LEN);
	ck_assert_uint_lt(TOKEN_LEN, 80);
	ck_assert(strncmp(s, "apitok_", 7) == 0);
	ck_assert_int_eq(token_parse(s, strlen(s), &p, NULL), 0);
	ck_assert_str_eq(p.id, t.id);
	ck_assert_str_eq(p.secret, t.secret);
	ck_assert(token_id_valid(t.id));
}
END_TEST

START_TEST(generate_unique)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	struct token ta, tb;

	fresh(a, &ta);
	fresh(b, &tb);
	ck_assert_str_ne(ta.id, tb.id);
	ck_assert_str_ne(ta.secret, tb.secret);
}
END_TEST

START_TEST(generate_keep_id)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	struct token ta, tb;

	fresh(a, &ta);
	ck_assert_int_eq(token_generate(&tb, ta.id, b), 0);
	ck_assert_str_eq(ta.id, tb.id);
	ck_assert_str_ne(ta.secret, tb.secret);
	ck_assert_int_eq(token_generate(&tb, "not-an-id", b), ERR_INVAL);
}
END_TEST

static const char *
why_of(const char *s, size_t len)
{
	struct token t;
	const char *why = NULL;

	ck_assert_int_eq(token_parse(s, len, &t, &why), ERR_INVAL);
	ck_assert_ptr_nonnull(why);
	return why;
}

START_TEST(malformed_classes)
{
	char s[TOKEN_LEN + 1], m[TOKEN_LEN + 8];
	struct token t;

	fresh(s, &t);
	ck_assert_str_eq(why_of("", 0), "wrong prefix");
	ck_assert_str_eq(why_of("hunter2", 7), "wrong prefix");
	memcpy(m, s, sizeof(s));
	m[0] = 'A';
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "wrong prefix");
	ck_assert_str_eq(why_of(s, TOKEN_LEN - 1), "too short");
	ck_assert_str_eq(why_of("apitok_", 7), "too short");
	memcpy(m, s, TOKEN_LEN);
	m[TOKEN_LEN] = 'x';
	ck_assert_str_eq(why_of(m, TOKEN_LEN + 1), "too long");
	memcpy(m, s, TOKEN_LEN + 1);
	m[8] = 'U'; /* not in Crockford base32 */
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "malformed id");
	memcpy(m, s, TOKEN_LEN + 1);
	m[8] = 'a'; /* lower case is not the canonical form */
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "malformed id");
	memcpy(m, s, TOKEN_LEN + 1);
	m[19] = '-'; /* the separator */
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "malformed id");
	memcpy(m, s, TOKEN_LEN + 1);
	m[30] = '_';
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "bad character");
	memcpy(m, s, TOKEN_LEN + 1);
	m[30] = '\0'; /* embedded NUL with the full length */
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "bad character");
	memcpy(m, s, TOKEN_LEN + 1);
	m[TOKEN_LEN - 1] = '\xc3';
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "bad character");
	/* The check digits "zzzzzz" decode above 2^32: caught, not wrapped. */
	memcpy(m, s, TOKEN_LEN + 1);
	memset(m + TOKEN_LEN - 6, 'z', 6);
	ck_assert_str_eq(why_of(m, TOKEN_LEN), "bad checksum");
}
END_TEST

/* Every single-character substitution anywhere in a token is rejected. */
START_TEST(every_typo_caught)
{
	char s[TOKEN_LEN + 1], m[TOKEN_LEN + 1];
	struct token t, p;
	const char *alphabet = b62;
	int tried = 0;

	for (int round = 0; round < 20; round++) {
		fresh(s, &t);
		for (int i = 0; i < TOKEN_LEN; i++)
			for (const char *c = alphabet; *c != '\0'; c++) {
				if (*c == s[i])
					continue;
				memcpy(m, s, sizeof(s));
				m[i] = *c;
				ck_assert_int_eq(token_parse(m, TOKEN_LEN, &p,
				                     NULL),
				    ERR_INVAL);
				tried++;
			}
	}
	ck_assert_int_gt(tried, 20 * TOKEN_LEN * 60);
}
END_TEST

/* Swapping two adjacent different characters is caught too. */
START_TEST(transpositions_caught)
{
	char s[TOKEN_LEN + 1], m[TOKEN_LEN + 1], c;
	struct token t, p;

	for (int round = 0; round < 50; round++) {
		fresh(s, &t);
		for (int i = 0; i + 1 < TOKEN_LEN; i++) {
			if (s[i] == s[i + 1])
				continue;
			memcpy(m, s, sizeof(s));
			c = m[i];
			m[i] = m[i + 1];
			m[i + 1] = c;
			ck_assert_int_eq(token_parse(m, TOKEN_LEN, &p, NULL),
			    ERR_INVAL);
		}
	}
}
END_TEST

START_TEST(truncations_caught)
{
	char s[TOKEN_LEN + 1];
	struct token t, p;

	fresh(s, &t);
	for (size_t n = 0; n < TOKEN_LEN; n++)
		ck_assert_int_eq(token_parse(s, n, &p, NULL), ERR_INVAL);
}
END_TEST

START_TEST(prefix_and_peek)
{
	char s[TOKEN_LEN + 1], id[TOKEN_ID_LEN + 1];
	struct token t;

	fresh(s, &t);
	ck_assert(token_has_prefix(s, TOKEN_LEN));
	ck_assert(!token_has_prefix("apito", 5));
	ck_assert(!token_has_prefix("password", 8));
	ck_assert_int_eq(token_peek_id(s, 20, id), 0);
	ck_assert_str_eq(id, t.id);
	/* A damaged secret still yields the id for logging. */
	s[40] = '!';
	ck_assert_int_eq(token_peek_id(s, TOKEN_LEN, id), 0);
	ck_assert_str_eq(id, t.id);
	ck_assert_int_eq(token_peek_id("apitok_short", 12, id), ERR_INVAL);
	ck_assert_int_eq(token_peek_id("apitok_abcdefghijkl_", 20, id),
	    ERR_INVAL);
}
END_TEST

START_TEST(hash_and_compare)
{
	char s[TOKEN_LEN + 1];
	struct token a, b;
	uint8_t ha[TOKEN_HASH_LEN], ha2[TOKEN_HASH_LEN], hb[TOKEN_HASH_LEN];

	fresh(s, &a);
	fresh(s, &b);
	token_hash(&a, ha);
	token_hash(&a, ha2);
	token_hash(&b, hb);
	ck_assert(token_hash_equal(ha, ha2));
	ck_assert(!token_hash_equal(ha, hb));
	memcpy(hb, ha, TOKEN_HASH_LEN);
	hb[TOKEN_HASH_LEN - 1] ^= 1;
	ck_assert(!token_hash_equal(ha, hb));
	token_wipe(&a);
	for (size_t i = 0; i < sizeof(a.secret); i++)
		ck_assert_int_eq(a.secret[i], 0);
}
END_TEST

/* The stored hash is BLAKE2b-256 of the secret; pinned so it never drifts. */
START_TEST(hash_known_vector)
{
	struct token t;
	uint8_t h[TOKEN_HASH_LEN];
	/* python3: hashlib.blake2b(b"0123456789ABCDEFGHIJKLMNOPQRSTUV",
	 * digest_size=32) */
	static const uint8_t want[] = { 0x34, 0x80, 0xd8, 0xee, 0x5d, 0xf5,
		0xbc, 0xb5, 0x78, 0x67, 0x2e, 0x65, 0xf0, 0x70, 0xe3, 0xb4,
		0x74, 0x9c, 0xcf, 0xaf, 0xae, 0xc5, 0xe2, 0x74, 0x61, 0x86,
		0x1c, 0xcf, 0x8e, 0x61, 0xc1, 0xef };

	memset(&t, 0, sizeof(t));
	memcpy(t.secret, "0123456789ABCDEFGHIJKLMNOPQRSTUV", TOKEN_SECRET_LEN);
	token_hash(&t, h);
	ck_assert_mem_eq(h, want, TOKEN_HASH_LEN);
}
END_TEST

/* The in-tree BLAKE2b is libsodium's crypto_generichash, for every length. */
START_TEST(blake2b_matches_libsodium)
{
	unsigned char in[300], a[BLAKE2B_OUT_MAX], b[BLAKE2B_OUT_MAX];

	ck_assert_int_ge(sodium_init(), 0);
	for (size_t n = 0; n <= sizeof(in); n++)
		for (size_t o = 1; o <= BLAKE2B_OUT_MAX; o += 7) {
			randombytes_buf(in, n);
			blake2b(a, o, in, n);
			crypto_generichash(b, o, in, n, NULL, 0);
			ck_assert_mem_eq(a, b, o);
		}
	ck_assert_int_eq(blake2b_memcmp(a, a, sizeof(a)), 0);
	a[63] ^= 0x80;
	ck_assert_int_ne(blake2b_memcmp(a, b, 64), 0);
}
END_TEST

Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, generate_roundtrip);
	tcase_add_test(tc, generate_unique);
	tcase_add_test(tc, generate_keep_id);
	tcase_add_test(tc, malformed_classes);
	tcase_add_test(tc, every_typo_caught);
	tcase_add_test(tc, transpositions_caught);
	tcase_add_test(tc, truncations_caught);
	tcase_add_test(tc, prefix_and_peek);
	tcase_add_test(tc, hash_and_compare);
	tcase_add_test(tc, hash_known_vector);
	tcase_add_test(tc, blake2b_matches_libsodium);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
