/* SPDX-License-Identifier: ISC */
/*
 * testutil.h - fixtures the unit tests share.  Every function here fails
 * the running Check test when something goes wrong, so tests need not
 * check what they return beyond the value itself.
 */
#ifndef APITOKEN_TESTS_TESTUTIL_H
#define APITOKEN_TESTS_TESTUTIL_H

#include <limits.h>
#include <stddef.h>

#include "store.h"

/* A fresh private directory for one test; removed by rm_tree. */
void make_tmpdir(char *buf, size_t len);
void rm_tree(const char *dir);

/* A record with every field set, under a fresh random id. */
void sample_record(struct record *r);

/*
 * The store fixture, for tcase_add_checked_fixture: tu_store_setup makes
 * tu_tmp, a private directory, and names tu_dir, a store in it that does
 * not exist yet; tu_store_teardown removes them.
 */
extern char tu_tmp[PATH_MAX], tu_dir[PATH_MAX + 8];
void tu_store_setup(void);
void tu_store_teardown(void);

/* store_open of tu_dir, which must succeed. */
struct store *tu_open(unsigned flags);

/* A store_write callback that puts the record ctx; tu_put runs it. */
int tu_put_fn(struct store_txn *t, void *ctx, char *err);
void tu_put(struct store *st, struct record *r);

/* How many records store_txn_list (user) or store_txn_by_name (name) sees. */
int tu_count(struct store *st, const char *user, const char *name);

/* A store_usage_update callback: one more use, from the address ctx. */
int tu_usage_bump(struct usage *u, void *ctx);

/* Whole files written or copied, mode 0600. */
void tu_write_file(const char *path, const void *data, size_t n);
void tu_copy_file(const char *from, const char *to);

#if defined(__SANITIZE_ADDRESS__)
#define TU_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_HAVE_ASAN 1
#endif
#endif
/*
 * A fault in a damaged store is survived by jumping out of LMDB mid-call,
 * stranding what that call had allocated (see store_fault.c): not a leak
 * to report.  The ordinary paths are leak-checked by the other tests.
 */
#ifdef TU_HAVE_ASAN
#include <sanitizer/lsan_interface.h>
#define tu_leaks_ignored(on) ((on) ? __lsan_disable() : __lsan_enable())
#else
#define tu_leaks_ignored(on) ((void)0)
#endif

#endif
