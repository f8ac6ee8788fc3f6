/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"
#include "testutil.h"
#include "unit.h"
#include "verify_proto.h"

START_TEST(sockets)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], pid[32], err[ERR_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, c = socket(AF_UNIX, SOCK_STREAM, 0);

	make_tmpdir(dir, sizeof(dir));
	ck_assert_int_eq(daemon_listen("s.sock", 0666, (gid_t)-1, err),
	    ERR_INVAL);
	/* The missing directory is made 0755 whatever the umask. */
	snprintf(path, sizeof(path), "%s/run/s.sock", dir);
	umask(077);
	ck_assert_int_ge((fd = daemon_listen(path, 0660, getgid(), err)), 0);
	ck_assert((fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	ck_assert(lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 07777) == 0660 && sb.st_gid == getgid());
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert(vproto_served_by_root(c) == (geteuid() == 0));
	close(fd);
	/* A socket left behind is replaced; any other file is not. */
	ck_assert_int_ge((fd = daemon_listen(path, 0666, (gid_t)-1, err)), 0);
	unlink(path);
	tu_write_file(path, "x", 1);
	ck_assert_int_eq(daemon_listen(path, 0666, (gid_t)-1, err),
	    ERR_UNAVAIL);
	ck_assert(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	*strrchr(path, '/') = '\0';
	ck_assert(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0755);
	rm_tree(dir);
	/* Not started by systemd, or wrongly: LISTEN_* are gone either way. */
	ck_assert_int_eq(daemon_systemd_socket(err), ERR_NOTFOUND);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	ck_assert_int_eq(daemon_systemd_socket(err), ERR_INVAL);
	ck_assert(getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL);
}
END_TEST

Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("sockets");

	tcase_add_test(tc, sockets);
	suite_add_tcase(s, tc);
	return s;
}
