/* SPDX-License-Identifier: ISC */
/*
 * input.h - what a command line may put into a token, checked before any
 * of it is used: by apitoken (helper/) and apitoken-fleet (fleet/) alike,
 * so that a token made in the directory obeys the rules of a local one.
 * Pure checks: no I/O, no state; tests/fuzz/fuzz_args.c drives them.
 */
#ifndef APITOKEN_INPUT_H
#define APITOKEN_INPUT_H

#include <stdbool.h>

/*
 * Why s may not go into any field of a token (it holds a token, or is not
 * printable UTF-8), for a refusal that names the field; NULL when it may.
 * input_valid_name, input_valid_item and input_valid_text refuse whatever
 * this refuses.
 */
const char *input_problem(const char *s);
/* A valid user / token name: [a-z_][a-z0-9_-]{0,31}. */
bool input_valid_name(const char *s);
/* A service or permission: letters, digits and _ . : - *, at most
 * ITEM_MAX_LEN. */
bool input_valid_item(const char *s);
/* Printable UTF-8 (utf8.h) that holds no token. */
bool input_valid_text(const char *s);
/* The long name of option ch in a getopt_long table, for messages. */
struct option;
const char *input_opt_name(const struct option *opts, int ch);

#endif
