/* SPDX-License-Identifier: ISC */
/* unit.h - the Check suites of the unit test program, one per common/ file. */
#ifndef APITOKEN_TESTS_UNIT_H
#define APITOKEN_TESTS_UNIT_H

#include <check.h>

Suite *token_suite(void);
Suite *record_suite(void);
Suite *store_suite(void);
Suite *conf_suite(void);
Suite *when_suite(void);
Suite *cidr_suite(void);
Suite *log_suite(void);
Suite *verify_suite(void);
Suite *verify_proto_suite(void);

/* A fresh private directory for one test; removed by rm_tree. */
void make_tmpdir(char *buf, size_t len);
void rm_tree(const char *dir);

/* A record with every field set, under a fresh random id. */
struct record;
void sample_record(struct record *r);

#endif
