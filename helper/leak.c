/* SPDX-License-Identifier: ISC */
/*
 * leak.c - apitoken revoke --token -: a leaked token revokes itself.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apitoken.h"
#include "change.h"
#include "err.h"
#include "fdio.h"
#include "token.h"
#include "when.h"

/*
 * revoke --token -: a leaked token, read from stdin, revokes itself.  Its
 * checksum rejects a scanner's false positive offline; its id finds the
 * record; its hash proves it is that token's secret (the current one, or
 * the one before a rotate while its grace lasts), so a made-up string with
 * a real id revokes nothing.  Root only: the answer says whose it was.
 */
int
revoke_leaked(struct invocation *inv)
{
	char in[512], err[ERR_MAX], when[WHEN_BUF], id[TOKEN_ID_LEN + 1];
	struct store *st = NULL;
	struct token t;
	struct record r;
	uint8_t hash[TOKEN_HASH_LEN];
	const char *why = NULL;
	size_t n, start = 0;
	bool current, old;
	int rc;

	if (!inv->root)
		return fail(EXIT_REFUSED, "revoke --token is for root");
	n = fdio_read_all(STDIN_FILENO, in, sizeof(in));
	while (start < n && isspace((unsigned char)in[start]))
		start++;
	while (n > start && isspace((unsigned char)in[n - 1]))
		n--;
	rc = token_parse(in + start, n - start, &t, &why);
	explicit_bzero(in, sizeof(in));
	if (rc < 0)
		return fail(EXIT_USAGE, "standard input holds no token (%s)",
		    why != NULL ? why : "malformed");
	token_hash(&t, hash);
	strcpy(id, t.id);
	token_wipe(&t);
	rc = EXIT_REFUSED;
	if (store_open(&st, inv->store_dir, 0, err) < 0 ||
	    hold_lock(st, err) < 0) {
		fail(rc, "%s", err);
		goto out;
	}
	if (store_get(st, id, &r, err) < 0) {
		fail(rc, "no token %s in this store: not ours, or made up", id);
		goto out;
	}
	current = token_hash_equal(hash, r.hash);
	old = token_hash_equal(hash, r.old_hash) && r.old_hash_until > inv->now;
	if (!current && !old) {
		fail(rc,
		    "the secret is not token %s's (made up, or an old one that "
		    "no longer works): nothing revoked",
		    r.id);
		goto out;
	}
	if (r.status == STATUS_PENDING || r.status == STATUS_DELETED ||
	    r.status == STATUS_REVOKED) {
		fprintf(stderr,
		    "apitoken: token %s '%s' of user %s is %s already; it "
		    "cannot log in\n",
		    r.id, r.name, r.user,
		    r.status == STATUS_PENDING ? "being changed" :
		                                 record_status_name(r.status));
		rc = 0;
		goto out;
	}
	if (token_revoke(inv, st, &r, err) < 0) {
		fail(rc, "revoke: %s", err);
		goto out;
	}
	audit_change(inv, "revoked", &r, "leaked token presented");
	if (inv->json)
		print_record(inv, st, &r, NULL);
	else
		fprintf(stderr,
		    "apitoken: leaked token %s '%s' of user %s%s (created %s "
		    "by %s) is revoked\n",
		    r.id, r.name, r.user,
		    r.service_user ? ", a service user" : "",
		    when_format(r.created_at, when), r.created_by);
	rc = 0;
out:
	explicit_bzero(hash, sizeof(hash));
	hold_release();
	store_close(st);
	return rc;
}
