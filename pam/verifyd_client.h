/* SPDX-License-Identifier: ISC */
/*
 * verifyd_client.h - asking apitoken-verifyd(8) over its UNIX socket
 * (verify_proto.h), the module's first choice when it runs without root.
 *
 * The socket must be served by root (SO_PEERCRED of the peer): anything
 * else is refused, never asked.  One connection per request; the
 * descriptor never outlives the call.
 */
#ifndef APITOKEN_PAM_VERIFYD_CLIENT_H
#define APITOKEN_PAM_VERIFYD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "verify.h"

/*
 * Ask the service at path, waiting at most timeout_ms for each step.
 * *reached is false when no service could be connected to (no socket,
 * nobody listening, its queue full for timeout_ms): the caller then asks
 * the setuid helper, and res means nothing.  Once connected, the answer
 * is final: no answer or a malformed one is VERIFY_DENIED
 * (VREASON_VERIFIER_FAILED, VREASON_BAD_ANSWER), a peer that is not root
 * too.  run_by is NULL but in a root process run by a user (the
 * request's RUN_BY, verify_proto.h).  Only call it for token-shaped input.
 */
enum verify_code verifyd_verify(const char *path, int timeout_ms,
    const char *user, const char *service, const char *rhost,
    const uid_t *run_by, const char *password, size_t len,
    struct verify_result *res, bool *reached);

#endif
