/* SPDX-License-Identifier: ISC */
/*
 * verify_proto.h - the verify protocol: one request, one answer.
 *
 * A caller that cannot read the store (the PAM module without root) asks
 * a privileged verifier: the setuid helper's verify mode over a pipe, or
 * apitoken-verifyd(8) over a UNIX socket.  Both carry exactly the same
 * bytes, encoded and decoded only here, so the two can never answer
 * differently.
 *
 * Request, six NUL-terminated fields:
 *   "apitoken-verify-2" NUL USER NUL SERVICE NUL RHOST NUL RUN_BY NUL
 *   PASSWORD NUL
 * RHOST is empty when the application set none.  RUN_BY is empty, or the
 * real uid, in decimal, of the user who ran a caller that is root: su and
 * sudo are root, yet the user who ran them can stop them, so they ask
 * instead of opening the store (SECURITY.md), and the attempt is that
 * user's (the lockout's source, the log).  Only root's RUN_BY is taken
 * (verifier.h).  USER, SERVICE and RHOST are at most VPROTO_FIELD_MAX
 * bytes, PASSWORD at most VERIFY_MAX_INPUT, none contains a control
 * character but PASSWORD; the whole request is at most VPROTO_REQUEST_MAX
 * bytes.  The password is the only secret in either direction.
 *
 * Answer, one line of seven TAB-separated fields:
 *   "apitoken-verify-2" VERDICT REASON ID NAME PERMISSIONS EXPIRES_AT LF
 * VERDICT is ok, ignore, denied or unavail (enum verify_code); REASON the
 * name of an enum verify_reason (verify_reason_name); ID the token id when
 * one could be read, else empty; NAME, PERMISSIONS (comma separated) and
 * EXPIRES_AT (unix time, 0 = never) are set only when VERDICT is ok.
 * The verdict travels in the line, never in an exit status: a caller
 * need not win a race for its child's status against the application's
 * SIGCHLD handler to learn it.
 *
 * Decoders are strict: an unknown magic, verdict or reason, a verdict that
 * does not go with its reason, a missing or extra field, an oversized or
 * malformed field is ERR_INVAL, and the caller fails closed.
 */
#ifndef APITOKEN_VERIFY_PROTO_H
#define APITOKEN_VERIFY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "verify.h"

/* Where apitoken-verifyd answers (configure --with-verify-socket). */
#ifndef VERIFY_SOCKET
#define VERIFY_SOCKET "/run/apitoken/verify.sock"
#endif

#define VPROTO_MAGIC "apitoken-verify-2"
#define VPROTO_FIELD_MAX 255
#define VPROTO_UID_MAX 10 /* digits of a uid_t */
#define VPROTO_REQUEST_MAX                                   \
	(sizeof(VPROTO_MAGIC) + 3 * (VPROTO_FIELD_MAX + 1) + \
	    VPROTO_UID_MAX + 1 + VERIFY_MAX_INPUT + 1)
#define VPROTO_ANSWER_MAX 2048

struct vproto_request {
	char user[VPROTO_FIELD_MAX + 1];
	char service[VPROTO_FIELD_MAX + 1];
	char rhost[VPROTO_FIELD_MAX + 1]; /* "" when none */
	bool has_run_by;
	uid_t run_by; /* when has_run_by */
	char password[VERIFY_MAX_INPUT + 1];
	size_t password_len;
};

/*
 * Encode a request into buf (cap bytes); returns its length, or ERR_LIMIT
 * when a field is too long or ERR_INVAL when one holds a control
 * character.  rhost and run_by may be NULL (none).  The caller wipes buf
 * after sending it.
 */
int vproto_request_encode(const char *user, const char *service,
    const char *rhost, const uid_t *run_by, const char *password,
    size_t password_len, char *buf, size_t cap);

/* True when buf's first len bytes hold a whole request (six NULs). */
bool vproto_request_complete(const char *buf, size_t len);

/*
 * Decode exactly one request of len bytes into rq: 0, or ERR_INVAL.  rq
 * holds the password; the caller wipes it (sodium_memzero or
 * explicit_bzero) after use.
 */
int vproto_request_decode(const char *buf, size_t len,
    struct vproto_request *rq);

/* Encode res as one answer line into buf; its length or ERR_LIMIT. */
int vproto_answer_encode(const struct verify_result *res, char *buf,
    size_t cap);

/*
 * Decode one answer line of len bytes (with its LF) into res: 0, or
 * ERR_INVAL and res says VERIFY_DENIED, VREASON_BAD_ANSWER.
 */
int vproto_answer_decode(const char *buf, size_t len,
    struct verify_result *res);

/*
 * True when the peer of fd, a connected UNIX stream socket, is root's:
 * SO_PEERCRED, the credentials its server had when it called listen(2).
 * A client asks only root's verifyd, and refuses any other, never sending
 * it the password: whoever can write the socket's directory can put a
 * socket of theirs at the path.
 */
bool vproto_served_by_root(int fd);

#endif
