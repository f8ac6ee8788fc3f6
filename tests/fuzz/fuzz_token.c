/* SPDX-License-Identifier: ISC */
/* Token parsing and log redaction on arbitrary bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[TOKEN_ID_LEN + 1], out[128], *s;
	struct token t;
	const char *why;

	if (token_parse((const char *)data, size, &t, &why) == 0 &&
	    (strlen(t.id) != TOKEN_ID_LEN ||
	        strlen(t.secret) != TOKEN_SECRET_LEN))
		abort();
	token_peek_id((const char *)data, size, id);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	redact_text(s, out, sizeof(out));
	/* No secret of a valid token may survive redaction. */
	if (token_parse(s, strlen(s), &t, &why) == 0 &&
	    strstr(out, t.secret) != NULL)
		abort();
	free(s);
	return 0;
}
