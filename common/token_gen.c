/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "err.h"
#include "token.h"

int
token_generate(struct token *tok, const char *keep_id, char out[TOKEN_LEN + 1])
{
	static const char b32[] = TOKEN_ID_ALPHABET;
	static const char b62[] = TOKEN_SECRET_ALPHABET;

	if (sodium_init() < 0)
		return ERR_UNAVAIL;
	if (keep_id != NULL) {
		if (!token_id_valid(keep_id))
			return ERR_INVAL;
		memcpy(tok->id, keep_id, TOKEN_ID_LEN + 1);
	} else {
		/* randombytes_uniform: no modulo bias in either alphabet. */
		for (int i = 0; i < TOKEN_ID_LEN; i++)
			tok->id[i] = b32[randombytes_uniform(32)];
		tok->id[TOKEN_ID_LEN] = '\0';
	}
	for (int i = 0; i < TOKEN_SECRET_LEN; i++)
		tok->secret[i] = b62[randombytes_uniform(62)];
	tok->secret[TOKEN_SECRET_LEN] = '\0';
	token_format(tok, out);
	return 0;
}
