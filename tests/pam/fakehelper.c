/* SPDX-License-Identifier: ISC */
/*
 * fakehelper - stands in for `apitoken verify` so the module's side of the
 * verify protocol (common/verify.h) is tested on its own.  It checks what
 * the module must guarantee (argv shape, an empty environment, no fd above
 * 2, the password on stdin ending in NUL) and answers by the password:
 *   apitok_FAKEOK...      the OK line, exit 0
 *   apitok_FAKEKILL...    dies by SIGKILL
 *   apitok_FAKEGARBLE...  exit 0 with a malformed line
 *   anything else         exit 2 (denied)
 * A broken guarantee exits 10 + n, which the module must treat as failure
 * and the test reports.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	char pw[600];
	size_t n = 0;
	ssize_t r;

	if (argc != 5 || strcmp(argv[1], "verify") != 0)
		return 11;
	if (environ != NULL && environ[0] != NULL)
		return 12;
	if (fcntl(3, F_GETFD) != -1 || errno != EBADF)
		return 13;
	while (n < sizeof(pw) && (r = read(STDIN_FILENO, pw + n, 1)) == 1 &&
	    pw[n] != '\0')
		n++;
	if (n == sizeof(pw) || pw[n] != '\0')
		return 14;
	if (strncmp(pw, "apitok_FAKEOK", 13) == 0) {
		printf("0123456789AB\tfake-token\tread,write\t0\n");
		return 0;
	}
	if (strncmp(pw, "apitok_FAKEKILL", 15) == 0)
		raise(SIGKILL);
	if (strncmp(pw, "apitok_FAKEGARBLE", 17) == 0) {
		printf("not an answer\n");
		return 0;
	}
	return 2;
}
