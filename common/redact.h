/* SPDX-License-Identifier: ISC */
/*
 * redact.h - making text safe to log.
 *
 * Nothing that might hold a secret is ever logged as given.  redact_text
 * copies text with every token-shaped run ("apitok_" and what follows it)
 * cut back to its public id, so a token pasted into a name, a description
 * or a wrong command line still cannot reach syslog or a terminal log.
 * Control characters (C0, DEL, C1 and the others of utf8.h) and bytes
 * that are not UTF-8 become "?" too, so one log call stays one line and a
 * terminal shows what it is given.
 */
#ifndef APITOKEN_REDACT_H
#define APITOKEN_REDACT_H

#include <stddef.h>

#define REDACTED "[redacted]"

/* Copy s into out (outlen bytes, always terminated), redacted as above. */
void redact_text(const char *s, char *out, size_t outlen);

#endif
