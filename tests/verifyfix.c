/* SPDX-License-Identifier: ISC */
/* verifyfix.c - the fixture of the login decision's tests (verifyfix.h). */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"
#include "verifyfix.h"

char vf_tmp[PATH_MAX], vf_dir[PATH_MAX + 8], vf_me[USER_MAX_LEN + 1];
uid_t vf_uid, vf_caller;
struct conf vf_conf;

void
vf_setup(void)
{
	struct passwd *pw = getpwuid(geteuid());

	/* Tokens here belong to whoever runs the tests: a real account. */
	ck_assert_ptr_nonnull(pw);
	snprintf(vf_me, sizeof(vf_me), "%s", pw->pw_name);
	vf_uid = pw->pw_uid;
	make_tmpdir(vf_tmp, sizeof(vf_tmp));
	snprintf(vf_dir, sizeof(vf_dir), "%s/store", vf_tmp);
	conf_defaults(&vf_conf);
	vf_caller = 0;
}

void
vf_teardown(void)
{
	rm_tree(vf_tmp);
}

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

void
vf_save(struct record *r)
{
	struct store *st;
	char err[ERR_MAX] = "";

	ck_assert_msg(store_open(&st, vf_dir, STORE_CREATE, err) == 0, "%s",
	    err);
	ck_assert_msg(store_write(st, put_fn, r, err) == 0, "%s", err);
	store_close(st);
}

/* Store an active personal token of alice and return its text in tok. */
void
vf_make_token(struct record *r, char tok[TOKEN_LEN + 1])
{
	struct token t;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(token_generate(&t, NULL, tok), 0);
	strcpy(r->id, t.id);
	strcpy(r->name, "laptop");
	strcpy(r->user, vf_me);
	r->uid = vf_uid;
	r->status = STATUS_ACTIVE;
	r->created_at = NOW - 100;
	token_hash(&t, r->hash);
	vf_save(r);
}

enum verify_code
vf_try(const char *pw, const char *user, const char *service, const char *rhost,
    struct verify_result *res)
{
	struct verify_request req = {
		.password = pw,
		.password_len = strlen(pw),
		.user = user,
		.service = service,
		.rhost = rhost,
		.caller_uid = vf_caller,
		.store_dir = vf_dir,
		.now = NOW,
	};

	return verify_token(&vf_conf, &req, res);
}
