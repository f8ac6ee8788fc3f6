/* SPDX-License-Identifier: ISC */
/*
 * helper_client.h - asking the setuid helper's verify mode (verify_proto.h
 * over two pipes).
 *
 * Used when the module runs without root and no verify service answers
 * (verifyd_client.h): it runs the setuid helper as pam_unix runs
 * unix_chkpwd.  The request, password included, goes through a pipe,
 * never argv or the environment; the child gets an empty environment,
 * fds 0-2 only, and a fixed argument list.  The verdict is read from the
 * answer line, so the application's SIGCHLD disposition is left alone: a
 * handler that reaps the helper first costs nothing.
 */
#ifndef APITOKEN_PAM_HELPER_CLIENT_H
#define APITOKEN_PAM_HELPER_CLIENT_H

#include <stddef.h>

#include "verify.h"

/*
 * Ask helper to verify password for user, service and rhost (may be NULL).
 * Fills res as verify_token would; on success res->rec carries the id,
 * name, permissions and expiry the helper reported, nothing else.  Only
 * call it for token-shaped input.  A helper that cannot be run is
 * VERIFY_UNAVAIL (VREASON_NO_VERIFIER); one that gives no answer or a
 * malformed one is VERIFY_DENIED (VREASON_VERIFIER_FAILED,
 * VREASON_BAD_ANSWER).
 */
enum verify_code helper_verify(const char *helper, const char *user,
    const char *service, const char *rhost, const char *password, size_t len,
    struct verify_result *res);

#endif
