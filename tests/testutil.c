/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "err.h"
#include "record.h"
#include "testutil.h"

char tu_tmp[PATH_MAX], tu_dir[PATH_MAX + 8];

void
make_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, len, "%s/apitoken-unit.XXXXXX",
	    base != NULL ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
sample_record(struct record *r)
{
	struct token t;
	char s[TOKEN_LEN + 1];

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(token_generate(&t, NULL, s), 0);
	strcpy(r->id, t.id);
	strcpy(r->name, "ci-deploy");
	strcpy(r->description, "deploys from CI \xc3\xa9t\xc3\xa9");
	strcpy(r->user, "ci-deploy");
	r->uid = 60601;
	r->service_user = true;
	r->status = STATUS_SUSPENDED;
	r->pending = PENDING_NONE;
	ck_assert_int_eq(strlist_add(&r->services, "sshd"), 0);
	ck_assert_int_eq(strlist_add(&r->services, "sudo"), 0);
	ck_assert_int_eq(strlist_add(&r->permissions, "deploy:write"), 0);
	ck_assert_int_eq(strlist_add(&r->allowed_addresses, "10.0.0.0/8"), 0);
	ck_assert_int_eq(strlist_add(&r->allowed_addresses, "2001:db8::/32"),
	    0);
	r->expires_at = 1798675200;
	r->created_at = 1764000000;
	strcpy(r->created_by, "root");
	r->updated_at = -5; /* negative values survive too */
	strcpy(r->updated_by, "alice");
	r->revision = 0x0102030405060708ULL;
	token_hash(&t, r->hash);
	memset(r->old_hash, 0xab, TOKEN_HASH_LEN);
	r->old_hash_until = 1764003600;
	r->max_uses = 3;
	r->granted_lifetime = 90 * 86400;
	r->notified_expiry = r->expires_at;
	r->notified_days = 7;
	r->limits_uid = 1000;
	r->status_uid = 0x01020304;
	r->account_since = 20424;
}

void
tu_store_setup(void)
{
	make_tmpdir(tu_tmp, sizeof(tu_tmp));
	snprintf(tu_dir, sizeof(tu_dir), "%s/store", tu_tmp);
}

void
tu_store_teardown(void)
{
	rm_tree(tu_tmp);
}

struct store *
tu_open(unsigned flags)
{
	struct store *st;
	char err[ERR_MAX] = "";
	int rc = store_open(&st, tu_dir, flags, err);

	ck_assert_msg(rc == 0, "store_open: %d %s", rc, err);
	return st;
}

int
tu_put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

void
tu_put(struct store *st, struct record *r)
{
	char err[ERR_MAX] = "";
	int rc = store_write(st, tu_put_fn, r, err);

	ck_assert_msg(rc == 0, "put: %d %s", rc, err);
}

struct query {
	const char *user, *name;
	int n;
};

static int
count_one(const struct record *r, void *ctx)
{
	(void)r;
	((struct query *)ctx)->n++;
	return 0;
}

static int
count_fn(struct store_txn *t, void *ctx, char *err)
{
	struct query *q = ctx;

	if (q->name != NULL)
		return store_txn_by_name(t, q->name, count_one, q, err);
	return store_txn_list(t, q->user, count_one, q, err);
}

int
tu_count(struct store *st, const char *user, const char *name)
{
	struct query q = { user, name, 0 };
	char err[ERR_MAX];

	ck_assert_int_eq(store_read(st, count_fn, &q, err), 0);
	return q.n;
}

int
tu_usage_bump(struct usage *u, void *ctx)
{
	u->recorded_uses++;
	usage_note_address(u, ctx);
	return 0;
}

void
tu_write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

void
tu_copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY),
	    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}
