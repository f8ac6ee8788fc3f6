/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "redact.h"
#include "token.h"
#include "utf8.h"

static size_t
append(char *out, size_t outlen, size_t pos, const char *s, size_t n)
{
	while (n-- > 0 && pos + 1 < outlen)
		out[pos++] = *s++;
	return pos;
}

void
redact_text(const char *s, char *out, size_t outlen)
{
	char id[TOKEN_ID_LEN + 1];
	size_t pos = 0, len = strlen(s), n;
	uint32_t cp;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < len;) {
		if (token_has_prefix(s + i, len - i)) {
			pos = append(out, outlen, pos, TOKEN_PREFIX,
			    TOKEN_PREFIX_LEN);
			if (token_peek_id(s + i, len - i, id) == 0) {
				pos =
				    append(out, outlen, pos, id, TOKEN_ID_LEN);
				pos = append(out, outlen, pos, "_", 1);
			}
			pos = append(out, outlen, pos, REDACTED,
			    strlen(REDACTED));
			/* Skip everything a token could contain, however it was
			 * damaged. */
			for (i += TOKEN_PREFIX_LEN; i < len &&
			     (isalnum((unsigned char)s[i]) || s[i] == '_');
			     i++)
				;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || utf8_is_control(cp)) {
			pos = append(out, outlen, pos, "?", 1);
			i += n ? n : 1;
			continue;
		}
		/* A sequence goes whole or not at all. */
		if (pos + n >= outlen)
			break;
		pos = append(out, outlen, pos, s + i, n);
		i += n;
	}
	out[pos] = '\0';
}
