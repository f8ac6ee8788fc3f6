/* SPDX-License-Identifier: ISC */
/* Dates, durations, expiries and CIDR blocks from arbitrary text. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "err.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[WHEN_BUF], *s, *addr;
	struct cidr c;
	const char *why;
	int64_t v, back;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (when_parse_duration(s, &v, NULL) == 0 && v <= 0)
		abort();
	/* A parsed date formats and parses back to itself. */
	if (when_parse_date(s, &v, NULL) == 0 &&
	    (when_parse_date(when_format(v, buf), &back, NULL) != 0 ||
	        back != v))
		abort();
	if (when_parse_expiry(s, 1790000000, &v, NULL) == 0 && v != 0 &&
	    v <= 1790000000)
		abort();
	/* "BLOCK ADDRESS": a block always contains its own network address. */
	addr = strchr(s, ' ');
	if (addr != NULL)
		*addr++ = '\0';
	if (cidr_parse(s, &c, &why) == 0) {
		if (c.prefix > 128)
			abort();
		if (addr != NULL)
			cidr_contains(&c, addr);
	}
	free(s);
	return 0;
}
