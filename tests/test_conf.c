/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "testutil.h"
#include "unit.h"

static char tmp[PATH_MAX], path[PATH_MAX + 16];

static void
setup(void)
{
	make_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/apitoken.conf", tmp);
}

static void
teardown(void)
{
	rm_tree(tmp);
}

static void
write_conf(const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(absent_means_defaults)
{
	struct conf c;
	char err[ERR_MAX];

	ck_assert_int_eq(conf_load(path, &c, err), 0);
	ck_assert_int_eq(c.default_services.n, 1);
	ck_assert_str_eq(c.default_services.v[0], "sshd");
	ck_assert_int_eq(c.default_lifetime, 90 * 86400);
	ck_assert_int_eq(c.max_lifetime, 0);
	ck_assert(c.self_service);
	ck_assert_str_eq(c.shell, "/bin/sh");
	ck_assert_uint_eq(c.uid_min, 60600);
	ck_assert_uint_eq(c.lockout_attempts, 5);
	ck_assert_int_eq(c.fail_delay, 2);
	/* The rest of the table's defaults. */
	ck_assert_str_eq(c.home, "/");
	ck_assert_int_eq(c.groups.n, 0);
	ck_assert_uint_eq(c.uid_max, 61099);
	ck_assert_int_eq(c.lockout_window, 15 * 60);
	ck_assert_int_eq(c.lockout_time, 15 * 60);
	ck_assert_uint_eq(c.expiry_warning_days, 7);
	ck_assert_int_eq(c.usage_write_interval, 60);
}
END_TEST

/*
 * apitoken.conf(5) lists exactly the keys conf.c knows, in the same order:
 * the names that start an .It line of its key list (".It Cm KEY", and
 * ", Cm KEY" where one line names two keys).
 */
START_TEST(manual_lists_every_key)
{
	char page[PATH_MAX], line[512], *p;
	const char *src = getenv("srcdir");
	size_t n = 0;
	bool in_list = false;
	FILE *f;

	snprintf(page, sizeof(page), "%s/man/apitoken.conf.5",
	    src != NULL ? src : ".");
	ck_assert_msg((f = fopen(page, "r")) != NULL, "cannot read %s", page);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".Bl -tag", 8) == 0)
			in_list = true;
		else if (strncmp(line, ".El", 3) == 0 && in_list)
			break;
		if (!in_list || strncmp(line, ".It Cm ", 7) != 0)
			continue;
		for (p = line + 4; p != NULL; p = strstr(p, ", Cm ")) {
			char key[64];

			p += *p == ',' ? 5 : 3;
			ck_assert_int_eq(sscanf(p, "%63[a-z0-9_]", key), 1);
			ck_assert_msg(conf_key_name(n) != NULL,
			    "manual has key %s, conf.c has no more", key);
			ck_assert_str_eq(key, conf_key_name(n));
			n++;
		}
	}
	fclose(f);
	ck_assert_msg(conf_key_name(n) == NULL, "manual does not list %s",
	    conf_key_name(n));
}
END_TEST

START_TEST(full_file)
{
	struct conf c;
	char err[ERR_MAX] = "";

	write_conf("# a comment\n"
	           "\n"
	           "default_services = sshd, sudo login\n"
	           "  default_lifetime=30d   # trailing comment\n"
	           "max_lifetime = 60d\n"
	           "self_service = no\n"
	           "service_user_shell = /usr/sbin/nologin\n"
	           "service_user_home = /var/lib/apitoken/home\n"
	           "service_user_groups = ci,deploy\n"
	           "uid_min = 70000\n"
	           "uid_max = 70010\n"
	           "lockout_attempts = 0\n"
	           "lockout_window = 5m\n"
	           "lockout_time = 1h\n"
	           "expiry_warning_days = 14\n"
	           "usage_write_interval = 0s\n"
	           "fail_delay = 0\n");
	ck_assert_msg(conf_load(path, &c, err) == 0, "%s", err);
	ck_assert_int_eq(c.default_services.n, 3);
	ck_assert_str_eq(c.default_services.v[2], "login");
	ck_assert_int_eq(c.default_lifetime, 30 * 86400);
	ck_assert_int_eq(c.max_lifetime, 60 * 86400);
	ck_assert(!c.self_service);
	ck_assert_str_eq(c.shell, "/usr/sbin/nologin");
	ck_assert_str_eq(c.groups.v[1], "deploy");
	ck_assert_uint_eq(c.uid_min, 70000);
	ck_assert_uint_eq(c.uid_max, 70010);
	ck_assert_uint_eq(c.lockout_attempts, 0);
	ck_assert_int_eq(c.lockout_time, 3600);
	ck_assert_uint_eq(c.expiry_warning_days, 14);
	ck_assert_int_eq(c.usage_write_interval, 0);
	ck_assert_int_eq(c.fail_delay, 0);
}
END_TEST

static void
expect_error(const char *text, const char *needle)
{
	struct conf c;
	char err[ERR_MAX] = "";

	write_conf(text);
	ck_assert_int_eq(conf_load(path, &c, err), ERR_INVAL);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err,
	    needle);
	ck_assert(strstr(err, path) != NULL);
}

START_TEST(errors_name_file_and_line)
{
	expect_error("self_service = yes\nself_servce = no\n",
	    ":2: unknown key: self_servce");
	expect_error("\n\n\nno equals sign\n", ":4: expected 'key = value'");
	expect_error("self_service = maybe\n", ":1: expected yes or no");
	expect_error("default_lifetime = 30x\n",
	    ":1: expected a duration or never");
	expect_error("uid_min = 12\n", "at least 1000");
	expect_error("uid_min = 5000\nuid_max=4000\n",
	    "uid_min is greater than uid_max");
	expect_error("service_user_shell = bin/sh\n", "absolute path");
	expect_error("lockout_attempts = -1\n", "from 0 to 1000");
	expect_error("max_lifetime = 7d\ndefault_lifetime = 30d\n",
	    "exceeds max_lifetime");
	expect_error("max_lifetime = 7d\ndefault_lifetime = never\n",
	    "exceeds max_lifetime");
	expect_error("max_lifetime = 7d\n\ndefault_lifetime = 8d\n",
	    ":3: default_lifetime exceeds max_lifetime (line 1): lower "
	    "default_lifetime");
	expect_error("fail_delay = 2s\nfail_delay = 3s\n",
	    ":2: key given twice");
	expect_error("fail_delay = 2m\n", "at most 60s");
}
END_TEST

/* A maximum alone caps the built-in default instead of refusing it. */
START_TEST(max_alone_caps_the_default)
{
	struct conf c;
	char err[ERR_MAX] = "";

	write_conf("max_lifetime = 30d\n");
	ck_assert_msg(conf_load(path, &c, err) == 0, "%s", err);
	ck_assert_int_eq(c.max_lifetime, 30 * 86400);
	ck_assert_int_eq(c.default_lifetime, 30 * 86400);
	write_conf("max_lifetime = 365d\n");
	ck_assert_msg(conf_load(path, &c, err) == 0, "%s", err);
	ck_assert_int_eq(c.default_lifetime, 90 * 86400);
}
END_TEST

/* Thresholds are kept largest first, once each; 0 and a ninth are refused. */
START_TEST(notify_days_sorted_and_bounded)
{
	struct conf c;
	char err[ERR_MAX];

	ck_assert_int_eq(conf_load(path, &c, err), 0);
	ck_assert_int_eq(c.notify_days.n, 2);
	ck_assert_int_eq(c.notify_days.v[0], 7);
	ck_assert_int_eq(c.notify_days.v[1], 1);
	ck_assert_str_eq(c.sendmail, "/usr/sbin/sendmail");
	write_conf("notify_days = 1 30, 7 30\n");
	ck_assert_int_eq(conf_load(path, &c, err), 0);
	ck_assert_int_eq(c.notify_days.n, 3);
	ck_assert_int_eq(c.notify_days.v[0], 30);
	ck_assert_int_eq(c.notify_days.v[1], 7);
	ck_assert_int_eq(c.notify_days.v[2], 1);
	write_conf("notify_days = 7, 0\n");
	ck_assert_int_eq(conf_load(path, &c, err), ERR_INVAL);
	ck_assert(strstr(err, ":1: expected up to 8 numbers of days") != NULL);
	write_conf("notify_days = 1 2 3 4 5 6 7 8 9\n");
	ck_assert_int_eq(conf_load(path, &c, err), ERR_INVAL);
	write_conf("notify_days = \n");
	ck_assert_int_eq(conf_load(path, &c, err), 0);
	ck_assert_int_eq(c.notify_days.n, 0);
}
END_TEST

START_TEST(unsafe_file_refused)
{
	struct conf c;
	char err[ERR_MAX], link[PATH_MAX + 16];

	write_conf("self_service = no\n");
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(conf_load(path, &c, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "bad ownership or modes") != NULL);
	ck_assert_int_eq(chmod(path, 0644), 0);
	snprintf(link, sizeof(link), "%s/link.conf", tmp);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(conf_load(link, &c, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "symbolic link") != NULL);
	ck_assert_int_eq(conf_load(tmp, &c, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "not a regular file (a directory)") != NULL);
}
END_TEST

/* A FIFO nobody writes to is refused at once; it used to hang in open(). */
START_TEST(fifo_refused_without_waiting)
{
	struct conf c;
	char err[ERR_MAX];

	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(conf_load(path, &c, err), ERR_UNAVAIL);
	ck_assert(strstr(err, "not a regular file (a FIFO)") != NULL);
	ck_assert_int_eq(conf_load("/dev/zero", &c, err), ERR_UNAVAIL);
}
END_TEST

START_TEST(nul_byte_refused)
{
	struct conf c;
	char err[ERR_MAX];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_eq(write(fd, "fail_delay = 1s\0\n", 17), 17);
	close(fd);
	ck_assert_int_eq(conf_load(path, &c, err), ERR_INVAL);
	ck_assert(strstr(err, "NUL") != NULL);
}
END_TEST

/*
 * A kept configuration is reused only while the file is provably the one
 * read: any write, chmod, replacement, creation or removal is seen, and a
 * file written in the last two seconds is always read again.
 */
START_TEST(stamp_sees_every_change)
{
	struct conf c;
	struct conf_stamp st;
	char err[ERR_MAX];

	ck_assert_int_eq(conf_load_stamped(path, &c, &st, err), 0);
	ck_assert(conf_unchanged(path, &st)); /* absent, still absent */
	write_conf("fail_delay = 1s\n");
	ck_assert(!conf_unchanged(path, &st)); /* created */
	ck_assert_int_eq(conf_load_stamped(path, &c, &st, err), 0);
	ck_assert(!conf_unchanged(path, &st)); /* too fresh to trust */
	sleep(2);
	ck_assert_int_eq(conf_load_stamped(path, &c, &st, err), 0);
	ck_assert(conf_unchanged(path, &st));
	ck_assert_int_eq(c.fail_delay, 1);
	write_conf("fail_delay = 2s\n"); /* same size, new content */
	ck_assert(!conf_unchanged(path, &st));
	sleep(2);
	ck_assert_int_eq(conf_load_stamped(path, &c, &st, err), 0);
	ck_assert_int_eq(c.fail_delay, 2);
	ck_assert(conf_unchanged(path, &st));
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert(!conf_unchanged(path, &st));
	ck_assert_int_eq(conf_load_stamped(path, &c, &st, err), ERR_UNAVAIL);
	ck_assert(!st.valid);
	ck_assert(!conf_unchanged(path, &st));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert(!conf_unchanged(path, &st));
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, absent_means_defaults);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, errors_name_file_and_line);
	tcase_add_test(tc, max_alone_caps_the_default);
	tcase_add_test(tc, notify_days_sorted_and_bounded);
	tcase_add_test(tc, unsafe_file_refused);
	tcase_add_test(tc, nul_byte_refused);
	tcase_add_test(tc, fifo_refused_without_waiting);
	tcase_add_test(tc, stamp_sees_every_change);
	tcase_add_test(tc, manual_lists_every_key);
	/* the stamp test waits out two time stamps */
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
