/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>

#include "unit.h"
#include "utf8.h"

START_TEST(printable_text)
{
	ck_assert(utf8_printable(""));
	ck_assert(utf8_printable("plain ASCII, with punctuation!"));
	ck_assert(
	    utf8_printable("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"));
	ck_assert(utf8_printable("\xc2\xa0 no-break space is text"));
}
END_TEST

START_TEST(controls_refused)
{
	ck_assert(!utf8_printable("bell\a"));
	ck_assert(!utf8_printable("tab\there"));
	ck_assert(!utf8_printable("del\x7f"));
	/* C1: CSI (U+009B) and NEL (U+0085), UTF-8 encoded */
	ck_assert(!utf8_printable("csi \xc2\x9b"
	                          "31m"));
	ck_assert(!utf8_printable("\xc2\x85"));
	/* right-to-left override, isolates, line separator */
	ck_assert(!utf8_printable("a\xe2\x80\xae"
	                          "b"));
	ck_assert(!utf8_printable("\xe2\x81\xa6x"));
	ck_assert(!utf8_printable("\xe2\x80\xa8"));
}
END_TEST

START_TEST(ill_formed_refused)
{
	uint32_t cp;

	ck_assert(!utf8_printable("raw \x9b byte"));
	ck_assert(!utf8_printable("\xff"));
	ck_assert(!utf8_printable("\xc0\xaf"));         /* overlong '/' */
	ck_assert(!utf8_printable("\xe0\x80\xaf"));     /* overlong, 3 bytes */
	ck_assert(!utf8_printable("\xed\xa0\x80"));     /* surrogate */
	ck_assert(!utf8_printable("\xf4\x90\x80\x80")); /* past U+10FFFF */
	ck_assert(!utf8_printable("cut \xe2\x82"));
	ck_assert_uint_eq(utf8_decode("\xe2\x82\xac", 2, &cp), 0);
	ck_assert_uint_eq(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
	ck_assert_uint_eq(cp, 0x20ac);
}
END_TEST

START_TEST(escaped_for_output)
{
	char out[64];

	utf8_escape("ok \xc3\xa9", out, sizeof(out));
	ck_assert_str_eq(out, "ok \xc3\xa9");
	utf8_escape("a\xc2\x9b"
	            "b\xff\x1b",
	    out, sizeof(out));
	ck_assert_str_eq(out, "a\\xc2\\x9bb\\xff\\x1b");
	ck_assert(utf8_printable(out));
	/* bounded, and never cut inside an escape or a sequence */
	utf8_escape("\xff\xff", out, 6);
	ck_assert_str_eq(out, "\\xff");
	utf8_escape("ab\xc3\xa9", out, 4);
	ck_assert_str_eq(out, "ab");
}
END_TEST

Suite *
utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, printable_text);
	tcase_add_test(tc, controls_refused);
	tcase_add_test(tc, ill_formed_refused);
	tcase_add_test(tc, escaped_for_output);
	suite_add_tcase(s, tc);
	return s;
}
