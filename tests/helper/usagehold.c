/* SPDX-License-Identifier: ISC */
/*
 * usagehold STORE ID - a usage writer that stops inside its write: it
 * opens STORE read-only as the PAM module does, starts the usage update
 * of ID and, inside it, prints "held" and waits until it is killed.  The
 * stand-in for a login process, or a helper, frozen while it writes usage
 * (tests/helper/locks.sh freezes it too).
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "store.h"

static int
hold(struct usage *u, void *ctx)
{
	(void)u;
	(void)ctx;
	puts("held");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int
main(int argc, char **argv)
{
	struct store *st;
	char err[ERR_MAX];

	if (argc != 3) {
		fputs("usage: usagehold STORE ID\n", stderr);
		return 2;
	}
	if (store_open(&st, argv[1], STORE_RDONLY, err) < 0 ||
	    store_usage_update(st, argv[2], STORE_USAGE_WAIT_MS, hold, NULL,
	        err) < 0) {
		fprintf(stderr, "usagehold: %s\n", err);
		return 1;
	}
	return 1;
}
