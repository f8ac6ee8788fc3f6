/* SPDX-License-Identifier: ISC */
/*
 * token.h - the API token: generation, format, parsing, hashing.
 *
 * A token is   apitok_<id>_<secret><check>
 *
 *   id      12 characters of Crockford base32 (upper case, 60 random bits).
 *           Public: the store key, shown in listings and logs.
 *   secret  32 characters of base62 (about 190 random bits).
 *   check   6 characters of base62 encoding the CRC32 of everything before
 *           it, so a mistyped or truncated token is rejected offline.
 *
 * Only BLAKE2b-256(secret) is ever stored.  Nothing here does I/O except
 * token_generate, which reads the OS CSPRNG through libsodium.
 */
#ifndef APITOKEN_TOKEN_H
#define APITOKEN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_PREFIX "apitok_"
#define TOKEN_PREFIX_LEN 7
#define TOKEN_ID_LEN 12
#define TOKEN_SECRET_LEN 32
#define TOKEN_CHECK_LEN 6
#define TOKEN_LEN                                                 \
	(TOKEN_PREFIX_LEN + TOKEN_ID_LEN + 1 + TOKEN_SECRET_LEN + \
	    TOKEN_CHECK_LEN)
#define TOKEN_HASH_LEN 32
#define TOKEN_ID_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ" /* Crockford */
#define TOKEN_SECRET_ALPHABET \
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

struct token {
	char id[TOKEN_ID_LEN + 1];
	char secret[TOKEN_SECRET_LEN + 1];
};

/*
 * Fill tok with a fresh id and secret and write the printable token (NUL
 * terminated) into out.  A caller that wants to keep an existing id (rotate)
 * passes it in keep_id; otherwise NULL.  Returns 0, or ERR_UNAVAIL when the
 * CSPRNG cannot be used.  The caller wipes out and tok after use.
 *
 * This one function lives apart, in libtokengen (common/token_gen.c), with
 * libsodium's CSPRNG behind it: the PAM module never creates tokens, so it
 * does not load libsodium at all.
 */
int token_generate(struct token *tok, const char *keep_id,
    char out[TOKEN_LEN + 1]);

/* Write the printable form of tok, with its check characters, into out. */
void token_format(const struct token *tok, char out[TOKEN_LEN + 1]);

/*
 * Parse s (len bytes, need not be NUL terminated) into tok.  Returns 0 or
 * ERR_INVAL; *why (if not NULL) is set to a short static reason such as
 * "bad checksum".  Never reads beyond len and never does I/O, so it is safe
 * on any input, however long.
 */
int token_parse(const char *s, size_t len, struct token *tok, const char **why);

/*
 * True when s begins like a token (the prefix), whether or not the rest is
 * valid: the PAM module uses it to decide "not a token, let pam_unix try"
 * (PAM_IGNORE) versus "a damaged token" (PAM_AUTH_ERR).
 */
bool token_has_prefix(const char *s, size_t len);

/*
 * True when the prefix appears anywhere in s (len bytes): text that holds
 * a token, whole or damaged, pasted where a secret does not belong.
 */
bool token_in_text(const char *s, size_t len);

/*
 * Copy the id out of s into id when s starts with the prefix followed by a
 * syntactically valid id, even when the rest is damaged.  Used so that logs
 * can name the token without ever containing the secret.  Returns 0 or
 * ERR_INVAL.
 */
int token_peek_id(const char *s, size_t len, char id[TOKEN_ID_LEN + 1]);

/* True when id is a syntactically valid token id. */
bool token_id_valid(const char *id);

/* BLAKE2b-256 of the secret: libsodium's crypto_generichash, computed in-tree.
 */
void token_hash(const struct token *tok, uint8_t out[TOKEN_HASH_LEN]);

/* Constant-time comparison of two hashes. */
bool token_hash_equal(const uint8_t a[TOKEN_HASH_LEN],
    const uint8_t b[TOKEN_HASH_LEN]);

#ifdef APITOKEN_TEST_HOOKS
/* Test builds only: how many hashes this process has computed. */
extern unsigned long token_hash_count;
#endif

/* Wipe tok. */
void token_wipe(struct token *tok);

#endif
