/* SPDX-License-Identifier: ISC */
/*
 * pamfix.h - what the PAM integration tests (tests/pam/test_*.c) share:
 * the files they load, a private store, configuration and service
 * directory per test, a conversation, and the module's log lines.
 *
 * pamfix.c defines pam_syslog and pam_vsyslog, exported from the test
 * program (-export-dynamic), so the module's log lines land in logged
 * instead of syslog: tests assert what is logged, and that no secret ever
 * is.  Every function fails the running Check test on error.
 */
#ifndef APITOKEN_TESTS_PAMFIX_H
#define APITOKEN_TESTS_PAMFIX_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <security/pam_appl.h>

#include "record.h"
#include "store.h"
#include "token.h"

/* The module's log lines since setup, one per line. */
extern char logged[1 << 16];
extern size_t logged_len;

/*
 * Per test (setup): tmp, with store, conf (apitoken.conf) and svc (a PAM
 * service directory whose "sshd" runs the module behind the probe); args
 * are the store= and config= arguments for a stack line.
 */
extern char tmp[PATH_MAX / 2], store[PATH_MAX], conf[PATH_MAX], svc[PATH_MAX];
extern const char *args[2];
/* Who runs the tests. */
extern char me[USER_MAX_LEN + 1];
extern uid_t my_uid;
/*
 * Copies, made by main() in lib, which nobody can reach: the module, the
 * module with test hooks, the probe, the fake helper.
 */
extern char lib[PATH_MAX / 2];
extern char module[PATH_MAX], hooked[PATH_MAX], probe[PATH_MAX], fake[PATH_MAX];

/* What the conversation answers, how often it was asked, what it was told. */
extern const char *answer;
extern int prompts;
extern char infos[1024];
int conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data);

void write_text(const char *path, const char *text, mode_t mode);
/* The PAM service name in svc, with the stack text. */
void service(const char *name, const char *text);
/* Copy the built file named by the environment variable var into lib. */
int copy_in(const char *var, const char *name, char dst[PATH_MAX]);
void remove_tree(const char *dir);

void setup(void);
void teardown(void);

/* Records into the test's store. */
int put_fn(struct store_txn *t, void *ctx, char *err);
void save(struct record *r);
/* An active token of the current user for sshd; its text in tok. */
void make_token(struct record *r, char tok[TOKEN_LEN + 1]);

/* A handle on svc's service_name for user, PAM_RHOST rhost (or none). */
pam_handle_t *start(const char *service_name, const char *user,
    const char *rhost);
/* Run one step through libpam; the module's own code, from the probe. */
int step(pam_handle_t *h, int (*fn)(pam_handle_t *, int));
int run_auth(pam_handle_t *h);
int run_acct(pam_handle_t *h);
/* The module's own answer for password, user, service and rhost. */
int auth(const char *password, const char *user, const char *service_name,
    const char *rhost);

/* The tests of test_root.c (the module reading the store) and test_nonroot.c.
 */
void root_tests(TCase *tc);
void nonroot_tests(TCase *tc);

#endif
