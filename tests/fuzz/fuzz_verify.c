/* SPDX-License-Identifier: ISC */
/*
 * The PAM conversation's answer, as arbitrary bytes, into the login decision
 * against a real store holding one token.  Nothing but the real token may
 * ever be accepted.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <ftw.h>
#include <sys/stat.h>

#include "conf.h"
#include "store.h"
#include "token.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], me[USER_MAX_LEN + 1], good[TOKEN_LEN + 1];
static struct conf conf;

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
remove_store(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int
put_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_txn_put(t, ctx, err);
}

static void
setup(void)
{
	struct passwd *pw = getpwuid(geteuid());
	struct store *st;
	struct record r;
	struct token t;

	snprintf(dir, sizeof(dir), "/tmp/apitoken-fuzz-verify.%ld",
	    (long)getpid());
	snprintf(me, sizeof(me), "%s", pw != NULL ? pw->pw_name : "root");
	memset(&r, 0, sizeof(r));
	if (token_generate(&t, NULL, good) < 0 ||
	    store_open(&st, dir, STORE_CREATE, NULL) < 0)
		abort();
	strcpy(r.id, t.id);
	strcpy(r.name, "fuzz");
	strcpy(r.user, me);
	r.uid = (uint32_t)geteuid();
	r.status = STATUS_ACTIVE;
	token_hash(&t, r.hash);
	if (store_write(st, put_fn, &r, NULL) < 0)
		abort();
	store_close(st);
	conf_defaults(&conf);
	conf.lockout_attempts = 0;
	atexit(remove_store);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_request req = {
		.password = (const char *)data,
		.password_len = size,
		.user = me,
		.service = "sshd",
		.rhost = "192.0.2.1",
		.now = 1790000000,
	};
	struct verify_result res;

	if (dir[0] == '\0')
		setup();
	req.store_dir = dir;
	if (verify_token(&conf, &req, &res) == VERIFY_OK &&
	    (size != TOKEN_LEN || memcmp(data, good, TOKEN_LEN) != 0))
		abort();
	return 0;
}
