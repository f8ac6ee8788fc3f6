/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include "unit.h"

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

int
main(void)
{
	SRunner *sr = srunner_create(token_suite());
	int failed;

	srunner_add_suite(sr, record_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, conf_suite());
	srunner_add_suite(sr, when_suite());
	srunner_add_suite(sr, cidr_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, verify_suite());
	srunner_add_suite(sr, verify_proto_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
