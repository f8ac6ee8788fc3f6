/* SPDX-License-Identifier: ISC */
/* unit.h - the Check suites of the unit test program, one per common/ file,
 * and authd's HTTP parser. */
#ifndef APITOKEN_TESTS_UNIT_H
#define APITOKEN_TESTS_UNIT_H

#include <check.h>

Suite *token_suite(void);
Suite *record_suite(void);
Suite *store_suite(void);
Suite *store_env_suite(void);
Suite *store_tokens_suite(void);
Suite *store_txn_suite(void);
Suite *store_lock_suite(void);
Suite *store_fleet_suite(void);
Suite *store_usage_suite(void);
Suite *store_fault_suite(void);
Suite *conf_suite(void);
Suite *fdio_suite(void);
Suite *when_suite(void);
Suite *cidr_suite(void);
Suite *redact_suite(void);
Suite *utf8_suite(void);
Suite *verify_suite(void);
Suite *verify_usage_suite(void);
Suite *verify_proto_suite(void);
Suite *daemon_suite(void);
Suite *http_suite(void);

#endif
