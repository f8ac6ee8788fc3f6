/* SPDX-License-Identifier: ISC */
/*
 * validate.c - what the helper accepts from a command line, before any of
 * it is used.  Kept apart so the fuzzer (tests/fuzz/fuzz_args.c) reaches it.
 */
#include "config.h"

#include <string.h>

#include "apitoken.h"

bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN ||
	    !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		        s[i] == '-'))
			return false;
	return true;
}

/* Services and permissions: a plain word, or "*" for services. */
bool
valid_item(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ITEM_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') ||
		        strchr("_.:*-", s[i]) != NULL))
			return false;
	return true;
}

/* Printable text: no control characters, valid UTF-8. */
bool
valid_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int more = 0;

	for (; *p != '\0'; p++) {
		if (more > 0) {
			if ((*p & 0xc0) != 0x80)
				return false;
			more--;
		} else if (*p >= 0xf0 && *p <= 0xf4)
			more = 3;
		else if (*p >= 0xe0)
			more = 2;
		else if (*p >= 0xc2 && *p <= 0xdf)
			more = 1;
		else if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
			return false;
	}
	return more == 0;
}
