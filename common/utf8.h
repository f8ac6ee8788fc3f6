/* SPDX-License-Identifier: ISC */
/*
 * utf8.h - which text is printable, and printing any text safely.
 *
 * Every text field of a token is shown to root on a terminal and in JSON,
 * so what is stored must be well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF) without code points a
 * terminal acts on instead of showing: C0, DEL, C1 (U+0080-U+009F, CSI
 * among them), and the bidirectional and line controls that make text
 * look other than it is.  Output escapes whatever is not, since a store
 * written by an older version may hold it.  Nothing here allocates or
 * does I/O.
 */
#ifndef APITOKEN_UTF8_H
#define APITOKEN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest utf8_escape output for n input bytes, with its NUL. */
#define UTF8_ESCAPED_MAX(n) (4 * (n) + 1)

/*
 * The length (1-4) of the well-formed sequence at s, of at most len bytes,
 * with its code point in *cp; 0 when s does not start one.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* True for a code point a terminal acts on (the list above). */
bool utf8_is_control(uint32_t cp);

/* True when s is well-formed and holds no control (see above). */
bool utf8_printable(const char *s);

/*
 * Copy s into out (cap bytes, always terminated), every byte of an
 * ill-formed sequence or of a control as \xNN; printable text is copied
 * as it is.  Cut at a whole sequence or escape when out is too small.
 */
void utf8_escape(const char *s, char *out, size_t cap);

#endif
