/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "redact.h"
#include "token.h"
#include "unit.h"

START_TEST(token_redacted_to_id)
{
	char s[TOKEN_LEN + 1], in[256], out[256], want[64];
	struct token t;

	ck_assert_int_eq(token_generate(&t, NULL, s), 0);
	snprintf(in, sizeof(in), "name is %s, ok", s);
	redact_text(in, out, sizeof(out));
	snprintf(want, sizeof(want), "name is apitok_%s_[redacted], ok", t.id);
	ck_assert_str_eq(out, want);
	ck_assert(strstr(out, t.secret) == NULL);
}
END_TEST

START_TEST(damaged_tokens_redacted)
{
	char s[TOKEN_LEN + 1], in[256], out[256];
	struct token t;

	ck_assert_int_eq(token_generate(&t, NULL, s), 0);
	/* truncated, with a bad checksum, or with an invalid id: no secret
	 * survives */
	s[TOKEN_LEN - 3] = '\0';
	redact_text(s, out, sizeof(out));
	ck_assert(strstr(out, t.secret + 4) == NULL);
	ck_assert(strstr(out, t.id) != NULL);
	snprintf(in, sizeof(in), "apitok_lowercaseid_%s", t.secret);
	redact_text(in, out, sizeof(out));
	ck_assert_str_eq(out, "apitok_[redacted]");
	snprintf(in, sizeof(in), "xapitok_%s_%s\tend", t.id, t.secret);
	redact_text(in, out, sizeof(out));
	ck_assert(strstr(out, t.secret) == NULL);
	/* control characters replaced */
	ck_assert(strstr(out, "?end") != NULL);
}
END_TEST

START_TEST(plain_text_kept_and_bounded)
{
	char out[8];

	redact_text("hello world", out, sizeof(out));
	ck_assert_str_eq(out, "hello w");
	redact_text("a\nb", out, sizeof(out));
	ck_assert_str_eq(out, "a?b");
	/* C1 (CSI) and bytes that are not UTF-8 reach no terminal either */
	redact_text("a\xc2\x9b"
	            "b\xff",
	    out, sizeof(out));
	ck_assert_str_eq(out, "a?b?");
	/* a sequence is kept whole or not at all */
	redact_text("abcdef\xc3\xa9", out, sizeof(out));
	ck_assert_str_eq(out, "abcdef");
	/* the redaction marker is cut, never the redaction */
	redact_text("apitok_0123456789AB_secret", out, sizeof(out));
	ck_assert_str_eq(out, "apitok_");
}
END_TEST

Suite *
redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, token_redacted_to_id);
	tcase_add_test(tc, damaged_tokens_redacted);
	tcase_add_test(tc, plain_text_kept_and_bounded);
	suite_add_tcase(s, tc);
	return s;
}
