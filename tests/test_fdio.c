/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"
#include "unit.h"

/* A connected pair with what the writer sent; the writer closed or not. */
static int
sent(const char *what, int *writer)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], what, strlen(what)), (ssize_t)strlen(what));
	if (writer != NULL)
		*writer = sv[1];
	else
		close(sv[1]);
	return sv[0];
}

START_TEST(to_end_of_file)
{
	char buf[16];
	int fd = sent("one\ntwo\n", NULL);

	ck_assert_uint_eq(fdio_read_all(fd, buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, "one\ntwo\n", 8), 0);
	close(fd);
	/* A full buffer ends the read, with the rest left unread. */
	fd = sent("0123456789abcdefXYZ", NULL);
	ck_assert_uint_eq(fdio_read_all(fd, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(memcmp(buf, "0123456789abcdef", sizeof(buf)), 0);
	close(fd);
}
END_TEST

/*
 * The writer stays open: a read that went on to end of file would block
 * here until Check's timeout fails the test.
 */
START_TEST(to_end_of_line)
{
	char buf[64];
	int writer, fd = sent("apitoken-verify-2\tok\n", &writer);

	ck_assert_uint_eq(fdio_read_line(fd, buf, sizeof(buf)), 21);
	ck_assert_int_eq(memcmp(buf, "apitoken-verify-2\tok\n", 21), 0);
	close(writer);
	close(fd);
	/* No newline: up to end of file, as fdio_read_all. */
	fd = sent("no newline", NULL);
	ck_assert_uint_eq(fdio_read_line(fd, buf, sizeof(buf)), 10);
	close(fd);
	/* Nothing at all. */
	fd = sent("", NULL);
	ck_assert_uint_eq(fdio_read_line(fd, buf, sizeof(buf)), 0);
	close(fd);
}
END_TEST

Suite *
fdio_suite(void)
{
	Suite *s = suite_create("fdio");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, to_end_of_file);
	tcase_add_test(tc, to_end_of_line);
	suite_add_tcase(s, tc);
	return s;
}
