/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t v, min;
	size_t n;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool
utf8_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

bool
utf8_printable(const char *s)
{
	size_t len = strlen(s), n;
	uint32_t cp;

	for (size_t i = 0; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0 ||
		    utf8_is_control(cp))
			return false;
	return true;
}

void
utf8_escape(const char *s, char *out, size_t cap)
{
	size_t len = strlen(s), pos = 0, n;
	uint32_t cp;

	if (cap == 0)
		return;
	for (size_t i = 0; i < len; i += n) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n > 0 && !utf8_is_control(cp)) {
			if (pos + n >= cap)
				break;
			memcpy(out + pos, s + i, n);
			pos += n;
			continue;
		}
		/* An ill-formed sequence is escaped a byte at a time. */
		if (n == 0)
			n = 1;
		if (pos + 4 * n >= cap)
			break;
		for (size_t j = 0; j < n; j++)
			pos += (size_t)snprintf(out + pos, cap - pos, "\\x%02x",
			    (unsigned char)s[i + j]);
	}
	out[pos] = '\0';
}
