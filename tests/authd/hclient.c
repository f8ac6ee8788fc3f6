/* SPDX-License-Identifier: ISC */
/*
 * hclient - hostile HTTP clients of apitoken-authd, for tests/e2e/authreq.sh.
 *
 *   hclient SOCKET GOOD BAD
 * GOOD and BAD are Authorization values.  While 1000 connections sit
 * idle, one sends a header without end in one line (64 KiB), one sends
 * header lines without end, and one sends a byte a time (slowloris),
 * asks 20 times with GOOD (each must be 204 within 1 s) and with BAD
 * (401); the two floods must be answered 431 or closed, and the slow one
 * closed within 8 s.  Exits 0 when all held, else says what did not.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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
dial(int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("hclient: connect");
		exit(1);
	}
	return fd;
}

/* The status of the answer on fd, 0 when closed or silent. */
static int
status(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	int code = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	sscanf(buf, "HTTP/1.1 %d", &code);
	return code;
}

static int
ask(const char *auth)
{
	char req[1024];
	int fd = dial(1000), code;
	double t0 = ms();

	snprintf(req, sizeof(req),
	    "GET /auth HTTP/1.1\r\nHost: x\r\nX-Real-IP: 127.0.0.1\r\n"
	    "Authorization: %s\r\nConnection: close\r\n\r\n",
	    auth);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return 0;
	code = status(fd);
	close(fd);
	if (ms() - t0 > 1000)
		return -1;
	return code;
}

/* Send until the server stops taking it; then its answer: 431 or closed. */
static bool
flood(const char *first, const char *more)
{
	int fd = dial(3000), code;

	send(fd, first, strlen(first), MSG_NOSIGNAL);
	for (int i = 0; i < 20000; i++)
		if (send(fd, more, strlen(more), MSG_NOSIGNAL) < 0)
			break;
	code = status(fd);
	close(fd);
	return code == 431 || code == 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { IDLE + 64, IDLE + 64 };
	static int idle[IDLE];
	int slow, good = 0, bad = 0;
	char b;
	double t0;

	if (argc != 4) {
		fputs("usage: hclient SOCKET GOOD BAD\n", stderr);
		return 2;
	}
	sock = argv[1];
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("hclient: RLIMIT_NOFILE");
		return 1;
	}
	for (int i = 0; i < IDLE; i++)
		idle[i] = dial(1000);
	slow = dial(1000);
	send(slow, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
	if (!flood("GET / HTTP/1.1\r\nX-Long: ", "aaaaaaaaaaaaaaaa")) {
		fputs("hclient: a 64 KiB header line was not refused\n",
		    stderr);
		return 1;
	}
	if (!flood("GET / HTTP/1.1\r\n", "X-More: more\r\n")) {
		fputs("hclient: endless header lines were not refused\n",
		    stderr);
		return 1;
	}
	for (int i = 0; i < 20; i++) {
		good += ask(argv[2]) == 204;
		bad += ask(argv[3]) == 401;
		send(slow, "X", 1, MSG_NOSIGNAL);
	}
	if (good != 20 || bad != 20) {
		fprintf(stderr,
		    "hclient: under attack %d/20 good answered 204 in 1 s, "
		    "%d/20 bad 401\n",
		    good, bad);
		return 1;
	}
	/* The slow sender's header had 5 s from its first byte. */
	t0 = ms();
	while (ms() - t0 < 8000) {
		ssize_t n = recv(slow, &b, 1, 0);

		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		send(slow, "X", 1, MSG_NOSIGNAL);
	}
	if (ms() - t0 >= 8000) {
		fputs("hclient: a byte-a-time header was never cut off\n",
		    stderr);
		return 1;
	}
	for (int i = 0; i < IDLE; i++)
		close(idle[i]);
	puts("hclient: 1000 idle, two floods and a slow sender: others "
	     "answered, all bounded");
	return 0;
}
