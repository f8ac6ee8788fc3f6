/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include "blake2b.h"
#include "err.h"
#include "token.h"

static const char b32[] = TOKEN_ID_ALPHABET;
static const char b62[] = TOKEN_SECRET_ALPHABET;

/* Offsets inside a token, from the layout in token.h. */
#define OFF_ID TOKEN_PREFIX_LEN
#define OFF_SEP (OFF_ID + TOKEN_ID_LEN)
#define OFF_SECRET (OFF_SEP + 1)
#define OFF_CHECK (OFF_SECRET + TOKEN_SECRET_LEN)

static uint32_t
crc32(const char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n-- > 0) {
		c ^= (unsigned char)*p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static int
b62_value(char ch)
{
	const char *p;

	if (ch == '\0')
		return -1;
	p = strchr(b62, ch);
	return p == NULL ? -1 : (int)(p - b62);
}

static void
encode_check(uint32_t crc, char out[TOKEN_CHECK_LEN])
{
	uint64_t v = crc;

	for (int i = TOKEN_CHECK_LEN - 1; i >= 0; i--) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

/* Decoding is injective on 6 digits, so any changed check digit changes v. */
static int
decode_check(const char *s, uint32_t *crc)
{
	uint64_t v = 0;

	for (int i = 0; i < TOKEN_CHECK_LEN; i++) {
		int d = b62_value(s[i]);
		if (d < 0)
			return -1;
		v = v * 62 + (uint64_t)d;
	}
	if (v > UINT32_MAX)
		return -1;
	*crc = (uint32_t)v;
	return 0;
}

static bool
all_in(const char *s, size_t n, const char *alphabet)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	return true;
}

bool
token_id_valid(const char *id)
{
	return strlen(id) == TOKEN_ID_LEN && all_in(id, TOKEN_ID_LEN, b32);
}

void
token_format(const struct token *tok, char out[TOKEN_LEN + 1])
{
	memcpy(out, TOKEN_PREFIX, TOKEN_PREFIX_LEN);
	memcpy(out + OFF_ID, tok->id, TOKEN_ID_LEN);
	out[OFF_SEP] = '_';
	memcpy(out + OFF_SECRET, tok->secret, TOKEN_SECRET_LEN);
	encode_check(crc32(out, OFF_CHECK), out + OFF_CHECK);
	out[TOKEN_LEN] = '\0';
}

bool
token_has_prefix(const char *s, size_t len)
{
	return len >= TOKEN_PREFIX_LEN &&
	    memcmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0;
}

bool
token_in_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (token_has_prefix(s + i, len - i))
			return true;
	return false;
}

int
token_peek_id(const char *s, size_t len, char id[TOKEN_ID_LEN + 1])
{
	if (!token_has_prefix(s, len) || len < OFF_SEP + 1 ||
	    !all_in(s + OFF_ID, TOKEN_ID_LEN, b32) || s[OFF_SEP] != '_')
		return ERR_INVAL;
	memcpy(id, s + OFF_ID, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	return 0;
}

int
token_parse(const char *s, size_t len, struct token *tok, const char **why)
{
	const char *reason;
	uint32_t crc;

	if (!token_has_prefix(s, len))
		reason = "wrong prefix";
	else if (len != TOKEN_LEN)
		reason = len < TOKEN_LEN ? "too short" : "too long";
	else if (!all_in(s + OFF_ID, TOKEN_ID_LEN, b32) || s[OFF_SEP] != '_')
		reason = "malformed id";
	else if (!all_in(s + OFF_SECRET, TOKEN_SECRET_LEN + TOKEN_CHECK_LEN,
	             b62))
		reason = "bad character";
	else if (decode_check(s + OFF_CHECK, &crc) < 0 ||
	    crc != crc32(s, OFF_CHECK))
		reason = "bad checksum";
	else {
		memcpy(tok->id, s + OFF_ID, TOKEN_ID_LEN);
		tok->id[TOKEN_ID_LEN] = '\0';
		memcpy(tok->secret, s + OFF_SECRET, TOKEN_SECRET_LEN);
		tok->secret[TOKEN_SECRET_LEN] = '\0';
		return 0;
	}
	if (why != NULL)
		*why = reason;
	return ERR_INVAL;
}

#ifdef APITOKEN_TEST_HOOKS
unsigned long token_hash_count;
#endif

void
token_hash(const struct token *tok, uint8_t out[TOKEN_HASH_LEN])
{
#ifdef APITOKEN_TEST_HOOKS
	token_hash_count++;
#endif
	blake2b(out, TOKEN_HASH_LEN, tok->secret, TOKEN_SECRET_LEN);
}

bool
token_hash_equal(const uint8_t a[TOKEN_HASH_LEN],
    const uint8_t b[TOKEN_HASH_LEN])
{
	return blake2b_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}

void
token_wipe(struct token *tok)
{
	explicit_bzero(tok, sizeof(*tok));
}
