/* SPDX-License-Identifier: ISC */
/*
 * vclient - a client of apitoken-verifyd for tests/verifyd/service.sh:
 * well-behaved, slow, or hostile.
 *
 * Secrets come on stdin, one a line, never in argv: GOOD, then BAD.
 *
 *   vclient SOCKET ask USER SERVICE RHOST     one password; prints the
 *                                             answer line
 *   vclient SOCKET hostile USER SERVICE
 *       while 1000 connections sit idle, one sends 1 MiB, one closes half
 *       way through its request and one sends a byte a time too slowly,
 *       asks with GOOD (must be ok, each answered within 1 s) and BAD
 *       (must be denied), 20 times each; exits 0 when all held
 *   vclient SOCKET race USER SERVICE
 *       sends BAD, then GOOD on a second connection; prints the ms each
 *       answer took, BAD's first
 *   vclient SOCKET flood USER SERVICE N
 *       sends BAD on N connections at once, then GOOD on one more; prints
 *       the ms GOOD's answer took (-1 when it was not ok) and how many
 *       BADs were answered unavailable
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "verify_proto.h"

#define IDLE 1000

static const char *sock;

static double
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("vclient: connect");
		exit(2);
	}
	return fd;
}

static int
send_request(const char *user, const char *service, const char *rhost,
    const char *pw)
{
	char req[VPROTO_REQUEST_MAX];
	int fd = dial(),
	    n = vproto_request_encode(user, service, rhost, NULL, pw,
	        strlen(pw), req, sizeof(req));

	if (n < 0 || write(fd, req, (size_t)n) != n) {
		fprintf(stderr, "vclient: cannot send a request\n");
		exit(2);
	}
	return fd;
}

/* The answer's verdict on fd, waiting at most timeout_ms; -1 for none. */
static int
read_answer(int fd, int timeout_ms, char *line, size_t cap)
{
	struct verify_result res;
	struct pollfd p = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t r;

	while (got < cap - 1 && memchr(line, '\n', got) == NULL &&
	    poll(&p, 1, timeout_ms) == 1 &&
	    (r = read(fd, line + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	line[got] = '\0';
	close(fd);
	if (vproto_answer_decode(line, got, &res) < 0)
		return -1;
	return (int)res.code;
}

/* The next line of stdin, without its newline; "" at the end. */
static void
read_secret(char *pw, size_t cap)
{
	if (fgets(pw, (int)cap, stdin) != NULL)
		pw[strcspn(pw, "\n")] = '\0';
	else
		pw[0] = '\0';
}

static int
ask(const char *user, const char *service, const char *rhost)
{
	char pw[VERIFY_MAX_INPUT + 2], line[VPROTO_ANSWER_MAX];
	int fd;

	read_secret(pw, sizeof(pw));
	fd = send_request(user, service, rhost, pw);
	read_answer(fd, 10000, line, sizeof(line));
	fputs(line, stdout);
	return 0;
}

static int
hostile(const char *user, const char *service, const char *good,
    const char *bad)
{
	static int idle[IDLE];
	struct rlimit lim = { IDLE + 64, IDLE + 64 };
	char line[VPROTO_ANSWER_MAX], *big, req[VPROTO_REQUEST_MAX];
	int fd, slow, n, failures = 0;
	double t0;

	if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
		perror("vclient: RLIMIT_NOFILE");
		return 2;
	}
	for (int i = 0; i < IDLE; i++)
		idle[i] = dial();
	/* 1 MiB of garbage: the service reads a request's worth and stops. */
	if ((big = malloc(1 << 20)) == NULL)
		return 2;
	memset(big, 'A', 1 << 20);
	fd = dial();
	for (size_t sent = 0; sent < 1 << 20;) {
		ssize_t r = send(fd, big + sent, (1 << 20) - sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r <= 0)
			break;
		sent += (size_t)r;
	}
	free(big);
	/* Half a request, then gone. */
	n = vproto_request_encode(user, service, "", NULL, good, strlen(good),
	    req, sizeof(req));
	slow = dial();
	if (write(slow, req, 1) != 1)
		return 2;
	int half = dial();
	if (write(half, req, (size_t)n / 2) != n / 2)
		return 2;
	close(half);
	explicit_bzero(req, sizeof(req));
	for (int round = 0; round < 20; round++) {
		t0 = ms();
		if (read_answer(send_request(user, service, "", good), 1000,
		        line, sizeof(line)) != VERIFY_OK) {
			fprintf(stderr, "round %d: good token: %s (%.0f ms)\n",
			    round, line, ms() - t0);
			failures++;
		}
		if (read_answer(send_request(user, service, "", bad), 5000,
		        line, sizeof(line)) != VERIFY_DENIED) {
			fprintf(stderr, "round %d: bad token: %s\n", round,
			    line);
			failures++;
		}
	}
	/* The 1 MiB sender got a refusal or a reset, never an ok. */
	if (read_answer(fd, 1000, line, sizeof(line)) == VERIFY_OK) {
		fprintf(stderr, "1 MiB of garbage was accepted\n");
		failures++;
	}
	close(slow);
	for (int i = 0; i < IDLE; i++)
		close(idle[i]);
	return failures == 0 ? 0 : 1;
}

static int
race(const char *user, const char *service, const char *good, const char *bad)
{
	char line[VPROTO_ANSWER_MAX];
	double t0 = ms(), t_bad, t_good;
	int fb = send_request(user, service, "", bad),
	    fg = send_request(user, service, "", good);

	if (read_answer(fg, 10000, line, sizeof(line)) != VERIFY_OK)
		return 1;
	t_good = ms() - t0;
	if (read_answer(fb, 10000, line, sizeof(line)) != VERIFY_DENIED)
		return 1;
	t_bad = ms() - t0;
	printf("%.0f %.0f\n", t_bad, t_good);
	return 0;
}

static int
flood(const char *user, const char *service, const char *good, const char *bad,
    int n)
{
	char line[VPROTO_ANSWER_MAX];
	int *fds, fg, unavail = 0;
	double t0, t_good;

	if (n < 1 || n > 900 || (fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		return 2;
	for (int i = 0; i < n; i++)
		fds[i] = send_request(user, service, "", bad);
	t0 = ms();
	fg = send_request(user, service, "", good);
	t_good = read_answer(fg, 10000, line, sizeof(line)) == VERIFY_OK ?
	    ms() - t0 :
	    -1;
	for (int i = 0; i < n; i++)
		if (read_answer(fds[i], 10000, line, sizeof(line)) ==
		    VERIFY_UNAVAIL)
			unavail++;
	free(fds);
	printf("%.0f %d\n", t_good, unavail);
	return 0;
}

int
main(int argc, char **argv)
{
	char good[VERIFY_MAX_INPUT + 2], bad[VERIFY_MAX_INPUT + 2];
	int rc = 2;

	if (argc < 3)
		return 2;
	sock = argv[1];
	if (strcmp(argv[2], "ask") == 0 && argc == 6)
		return ask(argv[3], argv[4], argv[5]);
	read_secret(good, sizeof(good));
	read_secret(bad, sizeof(bad));
	if (strcmp(argv[2], "hostile") == 0 && argc == 5)
		rc = hostile(argv[3], argv[4], good, bad);
	else if (strcmp(argv[2], "race") == 0 && argc == 5)
		rc = race(argv[3], argv[4], good, bad);
	else if (strcmp(argv[2], "flood") == 0 && argc == 6)
		rc = flood(argv[3], argv[4], good, bad, atoi(argv[5]));
	explicit_bzero(good, sizeof(good));
	explicit_bzero(bad, sizeof(bad));
	return rc;
}
