/* SPDX-License-Identifier: ISC */
/*
 * bulkload - fill a store for the benchmarks through the store API.
 *
 *   bulkload DIR N USER SERVICE OUTDIR   load N active tokens of USER
 *   bulkload DIR churn SECONDS           a writer loop: create, suspend,
 *                                        activate, revoke and delete tokens
 *                                        continuously for SECONDS
 *   bulkload DIR ldif BASE HOST          print every record of DIR as an
 *                                        apitoken directory entry under
 *                                        BASE for hosts HOST (slapadd
 *                                        input: the fleet benchmarks serve
 *                                        the same tokens from a provider)
 *
 * The load writes OUTDIR/right (a valid token, the last one loaded),
 * OUTDIR/wrong (its id with another secret), OUTDIR/unknown (a well-formed
 * token whose id is not in the store) and OUTDIR/revoked (a token revoked
 * before any benchmark starts), each 0600.  Records are written 10,000 per
 * transaction, so a million tokens take seconds, not a million commits.
 */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium/utils.h>

#include "err.h"
#include "store.h"
#include "token.h"
#include "when.h"

#define BATCH 10000

struct batch {
	long count;
	const char *user, *service;
	char last[TOKEN_LEN + 1];
	struct record last_rec;
};

/* The uid of the tokens' owner, looked up once: the module checks it. */
static uid_t owner_uid;

static void
fill(struct record *r, const struct token *t, const char *user,
    const char *service, long i)
{
	memset(r, 0, sizeof(*r));
	r->uid = owner_uid;
	strcpy(r->id, t->id);
	snprintf(r->name, sizeof(r->name), "bench-%ld", i);
	snprintf(r->user, sizeof(r->user), "%s", user);
	strlist_add(&r->services, service);
	r->status = STATUS_ACTIVE;
	r->created_at = when_now();
	r->revision = 1;
	strcpy(r->created_by, "bench");
	token_hash(t, r->hash);
}

static int
load_batch(struct store_txn *txn, void *ctx, char *err)
{
	struct batch *b = ctx;
	struct token t;
	struct record r;
	int rc;

	for (long i = 0; i < b->count; i++) {
		if (token_generate(&t, NULL, b->last) < 0)
			return err_set(err, ERR_UNAVAIL, "no randomness");
		fill(&r, &t, b->user, b->service, i);
		if ((rc = store_txn_put(txn, &r, err)) < 0)
			return rc;
	}
	b->last_rec = r;
	return 0;
}

static int
put_fn(struct store_txn *txn, void *ctx, char *err)
{
	return store_txn_put(txn, ctx, err);
}

static void
save(const char *dir, const char *name, const char *text)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) < 0 ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "bulkload: cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

static int
load(struct store *st, long n, const char *user, const char *service,
    const char *out)
{
	struct batch b = { .user = user, .service = service };
	char err[ERR_MAX], text[TOKEN_LEN + 1];
	struct token t;
	struct record r;

	for (long done = 0; done < n; done += b.count) {
		b.count = n - done < BATCH ? n - done : BATCH;
		if (store_write(st, load_batch, &b, err) < 0) {
			fprintf(stderr, "bulkload: %s\n", err);
			return 1;
		}
	}
	save(out, "right", b.last);
	token_generate(&t, b.last_rec.id, text);
	save(out, "wrong", text);
	token_generate(&t, NULL, text);
	save(out, "unknown", text);
	token_generate(&t, NULL, text);
	fill(&r, &t, user, service, -1);
	r.status = STATUS_REVOKED;
	if (store_write(st, put_fn, &r, err) < 0) {
		fprintf(stderr, "bulkload: %s\n", err);
		return 1;
	}
	save(out, "revoked", text);
	return 0;
}

/* The writer loop: every change is one committed, durable transaction. */
static int
churn(struct store *st, long seconds)
{
	static const uint8_t cycle[] = { STATUS_SUSPENDED, STATUS_ACTIVE,
		STATUS_REVOKED };
	char err[ERR_MAX], text[TOKEN_LEN + 1];
	time_t end = time(NULL) + seconds;
	struct token t;
	struct record r;
	long ops = 0;

	while (time(NULL) < end) {
		token_generate(&t, NULL, text);
		fill(&r, &t, "bench-churn", "bench", ops);
		for (size_t i = 0; i <= sizeof(cycle); i++, ops++) {
			if (store_write(st, put_fn, &r, err) < 0) {
				fprintf(stderr, "bulkload: %s\n", err);
				return 1;
			}
			if (i < sizeof(cycle))
				r.status = cycle[i];
		}
	}
	printf("churn: %ld writes\n", ops);
	return 0;
}

struct ldif {
	const char *base, *host;
};

/* The attributes apitoken-syncd reads (syncd/apply.c); slapadd adds the
 * operational ones. */
static int
ldif_entry(const struct record *r, void *ctx)
{
	const struct ldif *l = ctx;
	char b64[sodium_base64_ENCODED_LEN(TOKEN_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), r->hash, TOKEN_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	printf("dn: apitokenId=%s,%s\nobjectClass: apitoken\napitokenId: %s\n"
	       "cn: %s\napitokenSecretHash:: %s\napitokenOwner: %s\n"
	       "apitokenStatus: %s\napitokenService: %s\napitokenHost: %s\n\n",
	    r->id, l->base, r->id, r->name, b64, r->user,
	    r->status == STATUS_ACTIVE ? "active" : "revoked", r->services.v[0],
	    l->host);
	return 0;
}

static int
ldif_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_list(t, NULL, ldif_entry, ctx, err);
}

int
main(int argc, char **argv)
{
	struct store *st;
	char err[ERR_MAX];
	int rc;

	if (argc < 4 ||
	    (strcmp(argv[2], "ldif") == 0 ?
	            argc != 5 :
	            strcmp(argv[2], "churn") != 0 && argc != 6)) {
		fprintf(stderr,
		    "usage: bulkload DIR N USER SERVICE OUTDIR | bulkload DIR "
		    "churn SECONDS | bulkload DIR ldif BASE HOST\n");
		return 2;
	}
	if (strcmp(argv[2], "ldif") == 0) {
		struct ldif l = { argv[3], argv[4] };
		if (store_open(&st, argv[1], 0, err) < 0 ||
		    store_read(st, ldif_fn, &l, err) < 0) {
			fprintf(stderr, "bulkload: %s\n", err);
			return 1;
		}
		store_close(st);
		return 0;
	}
	if (strcmp(argv[2], "churn") != 0) {
		struct passwd *pw = getpwnam(argv[3]);
		owner_uid = pw != NULL ? pw->pw_uid : 0;
	}
	if (store_open(&st, argv[1], STORE_CREATE, err) < 0) {
		fprintf(stderr, "bulkload: %s\n", err);
		return 1;
	}
	if (strcmp(argv[2], "churn") == 0)
		rc = churn(st, atol(argv[3]));
	else
		rc = load(st, atol(argv[2]), argv[3], argv[4], argv[5]);
	store_close(st);
	return rc;
}
