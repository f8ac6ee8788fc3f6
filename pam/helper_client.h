/* SPDX-License-Identifier: ISC */
/*
 * helper_client.h - the module's side of the verify protocol (verify.h).
 *
 * Used when the module runs without root and so cannot read the store: it
 * runs the setuid helper as pam_unix runs unix_chkpwd.  The password goes
 * through a pipe, never argv or the environment; the child gets an empty
 * environment, fds 0-2 only, and a fixed argument list.
 */
#ifndef APITOKEN_PAM_HELPER_CLIENT_H
#define APITOKEN_PAM_HELPER_CLIENT_H

#include <stddef.h>

#include "verify.h"

/*
 * Ask helper to verify password for user, service and rhost (may be NULL).
 * Fills res as verify_token would; on success res->rec carries the id,
 * name, permissions and expiry the helper reported, nothing else.  Only
 * call it for token-shaped input: a helper that cannot be run is
 * VERIFY_UNAVAIL, as is its own UNAVAIL answer; every other answer but OK,
 * and every other failure of the helper (died, garbled answer), is
 * VERIFY_DENIED.
 */
enum verify_code helper_verify(const char *helper, const char *user,
    const char *service, const char *rhost, const char *password, size_t len,
    struct verify_result *res);

#endif
