/* SPDX-License-Identifier: ISC */
/*
 * fleetwatch - time a revoke from the directory to the hosts' stores.
 *
 *   fleetwatch LDIF_FIFO BASE STORE... < IDS
 *
 * For each token id read from stdin (one per line), fleetwatch waits until
 * every host store holds it active, then writes the LDIF that revokes it
 * in the directory to LDIF_FIFO (read by one ldapmodify that stays
 * connected, so no connection setup is timed), and polls the stores every
 * 0.5 ms, as a login reads them, until each holds it revoked.  The first
 * id warms up and is not counted.  Prints one line in pambench's format:
 *   median_us=.. p99_us=.. max_us=.. n=.. wrong=..
 * over every (id, store) pair, where wrong counts stores that did not see
 * the revoke within 10 seconds.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "err.h"
#include "store.h"

#define LIMIT_US 10e6

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
nap(void)
{
	struct timespec ts = { 0, 500 * 1000 };
	nanosleep(&ts, NULL);
}

/* 1 active, 0 anything else (absent, revoked), -1 on a store error. */
static int
active(struct store *st, const char *id)
{
	struct record r;
	char err[ERR_MAX];
	int rc = store_get(st, id, &r, err);

	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "fleetwatch: %s\n", err);
		return -1;
	}
	return r.status == STATUS_ACTIVE;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * One store per process (store.h: LMDB refuses a second environment on the
 * same files), so each host's store is watched by a child of its own: per
 * id it waits for the id to be active, says "ready", waits for "go", polls
 * until the id is no longer active and answers the time it saw that, or
 * 0 after LIMIT_US.
 */
/* A watcher that fails takes fleetwatch down, which would wait forever. */
static void __attribute__((noreturn)) quit(void)
{
	kill(getppid(), SIGTERM);
	_exit(1);
}

static void __attribute__((noreturn)) watcher(const char *dir, int in, int out)
{
	struct store *st;
	char id[64], err[ERR_MAX];
	double t0 = now_us(), seen;

	/* The daemon may still be creating it. */
	while (store_open(&st, dir, STORE_RDONLY, err) < 0) {
		if (now_us() - t0 > LIMIT_US) {
			fprintf(stderr, "fleetwatch: %s\n", err);
			quit();
		}
		nap();
	}
	while (read(in, id, sizeof(id)) == sizeof(id)) {
		t0 = now_us();
		while (active(st, id) != 1) {
			if (now_us() - t0 > LIMIT_US) {
				fprintf(stderr,
				    "fleetwatch: %s never active in %s\n", id,
				    dir);
				quit();
			}
			nap();
		}
		if (write(out, "r", 1) != 1 ||
		    read(in, &t0, sizeof(t0)) != sizeof(t0))
			quit();
		seen = 0;
		while (now_us() - t0 < LIMIT_US) {
			if (active(st, id) == 0) {
				seen = now_us();
				break;
			}
			nap();
		}
		if (write(out, &seen, sizeof(seen)) != sizeof(seen))
			quit();
	}
	store_close(st);
	_exit(0);
}

int
main(int argc, char **argv)
{
	int nst = argc - 3, fd, n = 0, wrong = 0, round = 0;
	int *to, from[2];
	double *lat = NULL, t0, seen;
	char id[64], ldif[1024], c;

	if (argc < 4) {
		fprintf(stderr, "usage: fleetwatch LDIF_FIFO BASE STORE...\n");
		return 2;
	}
	if ((to = calloc((size_t)nst, sizeof(*to))) == NULL || pipe(from) < 0)
		return 1;
	for (int i = 0; i < nst; i++) {
		int p[2];

		if (pipe(p) < 0)
			return 1;
		switch (fork()) {
		case -1:
			return 1;
		case 0:
			close(p[1]);
			close(from[0]);
			watcher(argv[3 + i], p[0], from[1]);
		}
		close(p[0]);
		to[i] = p[1];
	}
	close(from[1]);
	if ((fd = open(argv[1], O_WRONLY | O_CLOEXEC)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(id, sizeof(id), stdin) != NULL) {
		int len;

		id[strcspn(id, "\n")] = '\0';
		for (int i = 0; i < nst; i++)
			if (write(to[i], id, sizeof(id)) != sizeof(id))
				return 1;
		for (int i = 0; i < nst; i++)
			if (read(from[0], &c, 1) != 1)
				return 1; /* a watcher said why */
		len = snprintf(ldif, sizeof(ldif),
		    "dn: apitokenId=%s,%s\nchangetype: modify\nreplace: "
		    "apitokenStatus\napitokenStatus: revoked\n\n",
		    id, argv[2]);
		t0 = now_us();
		for (int i = 0; i < nst; i++)
			if (write(to[i], &t0, sizeof(t0)) != sizeof(t0))
				return 1;
		if (write(fd, ldif, (size_t)len) != len) {
			perror("fleetwatch: write");
			return 1;
		}
		if ((lat = realloc(lat, (size_t)(n + nst) * sizeof(*lat))) ==
		    NULL)
			return 1;
		for (int i = 0; i < nst; i++) {
			if (read(from[0], &seen, sizeof(seen)) != sizeof(seen))
				return 1;
			if (round == 0)
				continue;
			if (seen == 0)
				wrong++;
			else
				lat[n++] = seen - t0;
		}
		round++;
	}
	close(fd);
	for (int i = 0; i < nst; i++)
		close(to[i]);
	while (wait(NULL) > 0)
		;
	if (n == 0) {
		fprintf(stderr, "fleetwatch: nothing measured\n");
		return 1;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("median_us=%.0f p99_us=%.0f max_us=%.0f n=%d wrong=%d\n",
	    lat[n / 2], lat[(size_t)((n - 1) * 0.99)], lat[n - 1], n, wrong);
	return 0;
}
