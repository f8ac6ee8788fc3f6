/* SPDX-License-Identifier: ISC */
/* input.c - what a command line may put into a token (input.h). */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "input.h"
#include "record.h"
#include "token.h"
#include "utf8.h"

const char *
input_problem(const char *s)
{
	if (token_in_text(s, strlen(s)))
		return "that holds a token, which is a secret: give it only "
		       "where a password is asked";
	if (!utf8_printable(s))
		return "not printable UTF-8 (a control character or an invalid "
		       "byte)";
	return NULL;
}

const char *
input_opt_name(const struct option *opts, int ch)
{
	for (; opts->name != NULL; opts++)
		if (opts->flag == NULL && opts->val == ch)
			return opts->name;
	return "?";
}

bool
input_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || input_problem(s) != NULL ||
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
input_valid_item(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ITEM_MAX_LEN || input_problem(s) != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') ||
		        strchr("_.:*-", s[i]) != NULL))
			return false;
	return true;
}

/* Printable text that holds no token. */
bool
input_valid_text(const char *s)
{
	return input_problem(s) == NULL;
}
