/* SPDX-License-Identifier: ISC */
/*
 * pambench - time logins through real libpam.
 *
 *   pambench -m MODE -d CONFDIR -s SERVICE -u USER -f PASSFILE
 *            [-r RHOST] [-n N] [-P PROCS] [-e EXPECTED_PAM_CODE]
 *
 * MODE is
 *   fresh  a new process per login, as sshd starts one per connection:
 *          fork + exec of this program, which loads libpam, the modules
 *          and their libraries, runs one full login and exits;
 *   full   pam_start_confdir + pam_authenticate + pam_acct_mgmt + pam_end
 *          per login, in one long-lived process;
 *   reuse  one handle, pam_authenticate only, many times.
 *   exec   only fork + exec of the program given with -x, which must exit
 *          0: the floor for the non-root path through the setuid helper.
 * With -P, PROCS processes run N logins each at the same time and the
 * figures cover all of them.  The password comes from a file so that it
 * never appears in an argument list.  Prints one line:
 *   median_us=.. p99_us=.. logins_per_s=.. n=.. wrong=..
 * where wrong counts answers other than the expected code (default 0).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "fdio.h"

struct opts {
	const char *mode, *confdir, *service, *user, *rhost, *passfile, *exec;
	char password[1024];
	long n;
	int procs, expected;
	char *self;
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	const struct opts *o = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(o->password);
	*resp = r;
	return PAM_SUCCESS;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
login(const struct opts *o, pam_handle_t *keep)
{
	struct pam_conv c = { conv, (void *)o };
	pam_handle_t *h = keep;
	int rc;

	if (h == NULL) {
		if ((rc = pam_start_confdir(o->service, o->user, &c, o->confdir,
		         &h)) != PAM_SUCCESS)
			return rc;
		if (o->rhost != NULL)
			pam_set_item(h, PAM_RHOST, o->rhost);
	}
	rc = pam_authenticate(h, 0);
	if (keep == NULL) {
		if (rc == PAM_SUCCESS)
			rc = pam_acct_mgmt(h, 0);
		pam_end(h, rc);
	}
	return rc;
}

static int
wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
bare_exec(const struct opts *o)
{
	char *argv[] = { (char *)o->exec, NULL };
	pid_t pid;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execv(o->exec, argv);
		_exit(127);
	}
	return wait_exit(pid);
}

/* One login in a fresh process: exec ourselves in "once" mode. */
static int
login_fresh(const struct opts *o)
{
	char *argv[] = { o->self, "-m", "once", "-d", (char *)o->confdir, "-s",
		(char *)o->service, "-u", (char *)o->user, "-f",
		(char *)o->passfile, o->rhost != NULL ? "-r" : NULL,
		(char *)o->rhost, NULL };
	pid_t pid;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execv(o->self, argv);
		_exit(127);
	}
	return wait_exit(pid);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Run o->n logins; store each duration in us[]; return wrong answers. */
static long
run(const struct opts *o, double *us)
{
	struct pam_conv c = { conv, (void *)o };
	pam_handle_t *h = NULL;
	long wrong = 0;
	double t0;
	int rc;

	if (strcmp(o->mode, "reuse") == 0) {
		if (pam_start_confdir(o->service, o->user, &c, o->confdir,
		        &h) != PAM_SUCCESS)
			return o->n;
		if (o->rhost != NULL)
			pam_set_item(h, PAM_RHOST, o->rhost);
	}
	for (long i = 0; i < o->n; i++) {
		t0 = now_us();
		if (strcmp(o->mode, "fresh") == 0)
			rc = login_fresh(o);
		else if (strcmp(o->mode, "exec") == 0)
			rc = bare_exec(o);
		else
			rc = login(o, h);
		us[i] = now_us() - t0;
		if (rc != o->expected)
			wrong++;
	}
	if (h != NULL)
		pam_end(h, PAM_SUCCESS);
	return wrong;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pambench -m fresh|full|reuse|exec -d CONFDIR -s SERVICE -u "
	    "USER "
	    "-f PASSFILE [-r RHOST] [-n N] [-P PROCS] [-e CODE] [-x "
	    "PROGRAM]\n");
	exit(2);
}

static void
read_password(struct opts *o)
{
	FILE *f = fopen(o->passfile, "r");

	if (f == NULL || fgets(o->password, sizeof(o->password), f) == NULL) {
		fprintf(stderr, "pambench: cannot read %s\n", o->passfile);
		exit(2);
	}
	fclose(f);
	o->password[strcspn(o->password, "\n")] = '\0';
}

int
main(int argc, char **argv)
{
	struct opts o = { .n = 1000, .procs = 1, .self = argv[0] };
	double *us, t0, wall;
	long wrong = 0, total;
	int ch, *fds;

	while ((ch = getopt(argc, argv, "m:d:s:u:f:r:n:P:e:x:")) != -1) {
		switch (ch) {
		case 'm':
			o.mode = optarg;
			break;
		case 'd':
			o.confdir = optarg;
			break;
		case 's':
			o.service = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'f':
			o.passfile = optarg;
			break;
		case 'r':
			o.rhost = optarg;
			break;
		case 'n':
			o.n = atol(optarg);
			break;
		case 'P':
			o.procs = atoi(optarg);
			break;
		case 'e':
			o.expected = atoi(optarg);
			break;
		case 'x':
			o.exec = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.mode != NULL && strcmp(o.mode, "exec") == 0) {
		if (o.exec == NULL)
			usage();
	} else if (o.mode == NULL || o.confdir == NULL || o.service == NULL ||
	    o.user == NULL || o.passfile == NULL)
		usage();
	if (o.n < 1 || o.procs < 1)
		usage();
	if (o.passfile != NULL)
		read_password(&o);
	if (strcmp(o.mode, "once") == 0)
		return login(&o, NULL);
	if (strcmp(o.mode, "fresh") != 0 && strcmp(o.mode, "full") != 0 &&
	    strcmp(o.mode, "reuse") != 0 && strcmp(o.mode, "exec") != 0)
		usage();

	total = o.n * o.procs;
	/* A pipe per process: their reports must not interleave. */
	if ((us = calloc((size_t)total, sizeof(*us))) == NULL ||
	    (fds = calloc((size_t)o.procs * 2, sizeof(*fds))) == NULL)
		return 1;
	t0 = now_us();
	for (int p = 0; p < o.procs; p++) {
		pid_t pid;

		if (pipe(fds + 2 * p) < 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			long w = run(&o, us);
			if (write(fds[2 * p + 1], &w, sizeof(w)) != sizeof(w) ||
			    write(fds[2 * p + 1], us,
			        (size_t)o.n * sizeof(*us)) !=
			        (ssize_t)((size_t)o.n * sizeof(*us)))
				_exit(1);
			_exit(0);
		}
		close(fds[2 * p + 1]);
	}
	for (int p = 0; p < o.procs; p++) {
		long w;

		if (fdio_read_all(fds[2 * p], &w, sizeof(w)) != sizeof(w))
			return 1;
		wrong += w;
		fdio_read_all(fds[2 * p], us + p * o.n,
		    (size_t)o.n * sizeof(*us));
		close(fds[2 * p]);
	}
	free(fds);
	while (wait(NULL) > 0)
		;
	wall = now_us() - t0;
	qsort(us, (size_t)total, sizeof(*us), cmp);
	printf("median_us=%.1f p99_us=%.1f logins_per_s=%.0f n=%ld wrong=%ld\n",
	    us[total / 2], us[(size_t)((double)total * 0.99)],
	    (double)total / (wall / 1e6), total, wrong);
	free(us);
	return wrong == 0 ? 0 : 3;
}
