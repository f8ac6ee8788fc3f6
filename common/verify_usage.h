/* SPDX-License-Identifier: ISC */
/*
 * verify_usage.h - the usage side of the login decision, private to
 * verify.c: the callbacks it gives store_usage_update and
 * store_usage_count, which run inside one usage write transaction and so
 * decide on everything committed before it.  Each returns 0 to write the
 * entry back, 1 to leave it unchanged (store.h).
 */
#ifndef APITOKEN_VERIFY_USAGE_H
#define APITOKEN_VERIFY_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "record.h"
#include "verify.h"

struct verify_usage {
	const struct conf *cf;
	const struct verify_request *req;
	const char *source;
	bool match;        /* the secret was right */
	bool accepted;     /* and every other check passed */
	bool locked;       /* out: the source is locked out */
	bool spent;        /* out (verify_usage_count): no use was left */
	uint32_t max_uses; /* verify_usage_count: the record's use limit */
};

/*
 * The lockout's source of req into buf (cap >= SOURCE_MAX_LEN + 1): the
 * host block of an address (cidr_host_block), a host name as given, else
 * "uid N" of the caller.
 */
void verify_usage_source(const struct verify_request *req, char *buf,
    size_t cap);

/* True when an accepted login must be written: the throttle is over, or
 * it comes from a new address. */
bool verify_usage_due(const struct verify_usage *x, const struct usage *u);

/* An accepted login, throttled (no lockout configured). */
int verify_usage_record(struct usage *u, void *ctx);

/*
 * An attempt with a lockout configured: a source locked out meanwhile
 * sets x->locked; a wrong secret counts for its source; a right one clears
 * the source and, when accepted, records the use (throttled).
 */
int verify_usage_attempt(struct usage *u, void *ctx);

/*
 * One use of a token with x->max_uses: x->locked as above, x->spent when
 * none is left; else one more use, recorded unthrottled.
 */
int verify_usage_count(struct usage *u, void *ctx);

#endif
