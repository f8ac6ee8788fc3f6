/* SPDX-License-Identifier: ISC */
/*
 * verifyfix.h - what the tests of the login decision share
 * (test_verify.c, test_verify_usage.c): a store in a fresh directory per
 * test, tokens of the account running the tests, and one call of
 * verify_token at a fixed time.
 */
#ifndef APITOKEN_VERIFYFIX_H
#define APITOKEN_VERIFYFIX_H

#include <limits.h>
#include <sys/types.h>

#include "conf.h"
#include "record.h"
#include "verify.h"

#define NOW 1790000000

extern char vf_tmp[PATH_MAX], vf_dir[PATH_MAX + 8], vf_me[USER_MAX_LEN + 1];
extern uid_t vf_uid;        /* vf_me's */
extern uid_t vf_caller;     /* the uid that asks (req.caller_uid); 0 */
extern struct conf vf_conf; /* the defaults, per test */

/* The checked fixture: a fresh directory and defaults; and its removal. */
void vf_setup(void);
void vf_teardown(void);

/* Write r into the store at vf_dir, creating it. */
void vf_save(struct record *r);

/* Store an active personal token of vf_me; its text in tok. */
void vf_make_token(struct record *r, char tok[TOKEN_LEN + 1]);

/* verify_token for user, service and rhost (may be NULL) at NOW. */
enum verify_code vf_try(const char *pw, const char *user, const char *service,
    const char *rhost, struct verify_result *res);

#endif
