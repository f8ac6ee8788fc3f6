/* SPDX-License-Identifier: ISC */
/*
 * change.h - what the commands that change one token share (change.c,
 * rotate.c, unlock.c, leak.c): their options and how a change begins.
 * Private to the helper.
 */
#ifndef APITOKEN_CHANGE_H
#define APITOKEN_CHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "apitoken.h"

struct change_args {
	const char *what;
	const char *grace;
	const char *expires;
	int64_t expires_at; /* --expires, parsed */
	bool leaked;        /* revoke --token -: the token itself, on stdin */
	bool self;          /* rotate --self: the caller's own service token */
};

/*
 * Parse cmd's options (--json, --user, and --grace, --expires, --self for
 * rotate, --token - for revoke) and its one ID|NAME into a: 0, or the exit
 * status of a usage error, printed.
 */
int change_parse(struct invocation *inv, const char *cmd, int argc, char **argv,
    struct change_args *a);

/*
 * Open the store, take the writers' lock and select the token a names;
 * the caller releases the lock and closes st.  A change that widens a
 * token (widen names it: "activate", "rotate") first asks a non-root
 * caller for their password, before the lock is taken, and what root set
 * stays root's.  0, or the refusal's exit status, printed.
 */
int change_begin(struct invocation *inv, const struct change_args *a,
    const char *widen, struct store **st, struct record *r);

/* revoke --token -: the leaked token on stdin revokes itself (leak.c). */
int revoke_leaked(struct invocation *inv);

#endif
