/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdlib.h>

#include "unit.h"

int
main(void)
{
	SRunner *sr = srunner_create(token_suite());
	int failed;

	srunner_add_suite(sr, record_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, store_env_suite());
	srunner_add_suite(sr, store_tokens_suite());
	srunner_add_suite(sr, store_txn_suite());
	srunner_add_suite(sr, store_lock_suite());
	srunner_add_suite(sr, store_fleet_suite());
	srunner_add_suite(sr, store_usage_suite());
	srunner_add_suite(sr, store_fault_suite());
	srunner_add_suite(sr, conf_suite());
	srunner_add_suite(sr, fdio_suite());
	srunner_add_suite(sr, when_suite());
	srunner_add_suite(sr, cidr_suite());
	srunner_add_suite(sr, redact_suite());
	srunner_add_suite(sr, utf8_suite());
	srunner_add_suite(sr, verify_suite());
	srunner_add_suite(sr, verify_usage_suite());
	srunner_add_suite(sr, verify_proto_suite());
	srunner_add_suite(sr, daemon_suite());
	srunner_add_suite(sr, http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
