/* SPDX-License-Identifier: ISC */
/* The helper's argument checks, and the parsers its options use, on arbitrary
 * text. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "input.h"
#include "record.h"
#include "token.h"
#include "utf8.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr c;
	const char *why;
	char *s;
	int64_t t;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* A name that passes is a valid user name: useradd will take it as is.
	 */
	if (input_valid_name(s) &&
	    (strlen(s) > NAME_MAX_LEN || strchr(s, ':') != NULL ||
	        strchr(s, '/') != NULL || s[0] == '-'))
		abort();
	if (input_valid_item(s) &&
	    (strlen(s) > ITEM_MAX_LEN || strpbrk(s, " ,\t\n") != NULL))
		abort();
	if (input_valid_text(s) &&
	    (!utf8_printable(s) || token_in_text(s, strlen(s))))
		abort();
	if (input_valid_text(s))
		for (const unsigned char *p = (const unsigned char *)s;
		     *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f)
				abort();
	/* Escaped output is always printable, whatever went in. */
	{
		char out[UTF8_ESCAPED_MAX(64)];

		utf8_escape(s, out, sizeof(out));
		if (!utf8_printable(out))
			abort();
	}
	cidr_parse(s, &c, &why);
	when_parse_expiry(s, 1790000000, &t, NULL);
	free(s);
	return 0;
}
