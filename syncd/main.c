/* SPDX-License-Identifier: ISC */
/*
 * apitoken-syncd - replicate this host's fleet tokens from the directory
 * into the local store (apitoken-syncd(8)).  Never linked into the PAM
 * module: logins read the store and never wait on the network.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium/randombytes.h>

#include "daemon.h"
#include "err.h"
#include "syncd.h"

/* The longest wait between two rounds of the providers, in seconds. */
#define BACKOFF_MAX 60

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleep ms milliseconds, or less when a signal asks to stop. */
static void
wait_ms(unsigned ms)
{
	struct timespec step = { 0, 100 * 1000 * 1000 };

	for (unsigned t = 0; t < ms && !stop; t += 100)
		nanosleep(&step, NULL);
}

static void
usage(FILE *f)
{
	fputs("usage: apitoken-syncd [--config FILE] [--store DIR] [--once] "
	      "[--helper PATH]\n",
	    f);
}

/* Host and group names go into the search filter as they are. */
static bool
filter_safe(const char *s)
{
	return *s != '\0' && strpbrk(s, "*()\\") == NULL;
}

static int
check_conf(struct syncd *d, const char *path, char *err)
{
	const struct conf *cf = &d->conf;

	if (cf->fleet_providers.n == 0)
		return err_set(err, ERR_INVAL,
		    "%s: no fleet_providers: fleet mode is off", path);
	if (cf->fleet_base[0] == '\0' || cf->fleet_bind_dn[0] == '\0')
		return err_set(err, ERR_INVAL,
		    "%s: fleet_base and fleet_bind_dn are needed", path);
	for (size_t i = 0; i < cf->fleet_providers.n; i++)
		if (strncmp(cf->fleet_providers.v[i], "ldap://", 7) != 0 &&
		    strncmp(cf->fleet_providers.v[i], "ldaps://", 8) != 0)
			return err_set(err, ERR_INVAL,
			    "%s: fleet_providers: %s is neither ldap:// nor "
			    "ldaps://",
			    path, cf->fleet_providers.v[i]);
	if (cf->fleet_host[0] != '\0')
		strcpy(d->host, cf->fleet_host);
	else if (gethostname(d->host, sizeof(d->host) - 1) < 0)
		return err_set(err, ERR_UNAVAIL, "gethostname: %m");
	if (!filter_safe(d->host))
		return err_set(err, ERR_INVAL, "%s: bad host name %s", path,
		    d->host);
	for (size_t i = 0; i < cf->fleet_host_groups.n; i++)
		if (!filter_safe(cf->fleet_host_groups.v[i]))
			return err_set(err, ERR_INVAL,
			    "%s: fleet_host_groups: bad group %s", path,
			    cf->fleet_host_groups.v[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, '1' },
		{ "helper", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = CONF_DEFAULT_PATH, *dir = STOREDIR,
	           *helper = SBINDIR "/apitoken";
	struct syncd d = { .stop = &stop, .probe_interval = 30 };
	char err[ERR_MAX];
	unsigned backoff = 1;
	size_t next = 0, failed = 0;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 's':
			dir = optarg;
			break;
		case '1':
			d.once = true;
			break;
		case 'H':
			helper = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Only the CA of fleet_ca_file: no ldap.conf, no ~/.ldaprc. */
	setenv("LDAPNOINIT", "1", 1);
	daemon_log_open("apitoken-syncd", LOG_AUTHPRIV, true);
	if (getenv("APITOKEN_SYNCD_PROBE") != NULL)
		d.probe_interval = atoi(getenv("APITOKEN_SYNCD_PROBE"));
	if ((rc = conf_load(config, &d.conf, err)) < 0 ||
	    (rc = check_conf(&d, config, err)) < 0 ||
	    (rc = store_open(&d.st, dir, STORE_CREATE, err)) < 0) {
		syslog(LOG_ERR, "%s", err);
		return 1;
	}
	users_init(helper, dir, config);
	/* What a daemon killed between a commit and the helper left. */
	if (users_any(d.st))
		users_settle();
	daemon_signals(on_signal);
	/*
	 * Each provider in turn.  After a session that worked and was lost
	 * every provider gets one try at once, starting with the next; after
	 * a round in which none worked, the wait doubles from 1 s to 60 s,
	 * each a random 50 to 100 % of it, so that a fleet whose provider
	 * came back does not reconnect in step.
	 */
	while (!stop) {
		rc = sync_session(&d, d.conf.fleet_providers.v[next], err);
		if (rc == 0)
			goto out; /* --once done, or asked to stop */
		syslog(LOG_WARNING, "%s", err);
		next = (next + 1) % d.conf.fleet_providers.n;
		if (rc == SYNC_LOST) {
			backoff = 1;
			failed = 0;
			continue;
		}
		if (++failed < d.conf.fleet_providers.n)
			continue;
		if (d.once) {
			syslog(LOG_ERR, "no provider could be synchronised");
			goto out;
		}
		failed = 0;
		wait_ms(backoff * 500 + randombytes_uniform(backoff * 500 + 1));
		backoff = backoff * 2 < BACKOFF_MAX ? backoff * 2 : BACKOFF_MAX;
	}
	rc = 0;
out:
	store_close(d.st);
	return rc == 0 ? 0 : 1;
}
