/* SPDX-License-Identifier: ISC */
/*
 * apitoken-verifyd - answer token checks of processes that are not root.
 *
 * Listens on a UNIX socket (systemd's, passed as LISTEN_FDS, or its own
 * with --socket), knows each caller from the kernel (SO_PEERCRED), and
 * gives exactly the answer the PAM module would give as root: the same
 * verifier_answer() as the setuid helper's verify mode.  See
 * apitoken-verifyd(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "err.h"
#include "verify_proto.h"
#include "verifyd.h"

static const char usage_text[] =
    "usage: apitoken-verifyd [--socket PATH] [--foreground] [--store DIR]\n"
    "                        [--config FILE]\n";

static int
usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static void
on_signal(int sig)
{
	(void)sig;
	verifyd_stop = 1;
}

/* Enough descriptors for every client slot, whatever we were given. */
static int
raise_limits(void)
{
	struct rlimit want = { VERIFYD_MAX_CLIENTS + 64,
		VERIFYD_MAX_CLIENTS + 64 };
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	return setrlimit(RLIMIT_NOFILE, &want);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "store", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verifyd d = { -1, STOREDIR, CONF_DEFAULT_PATH,
		VERIFYD_CLIENT_TIMEOUT_MS };
	const char *socket_path = VERIFY_SOCKET;
	bool foreground = false;
	char err[ERR_MAX];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			socket_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			d.store_dir = optarg;
			break;
		case 'c':
			d.config_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (geteuid() != 0) {
		fprintf(stderr,
		    "apitoken-verifyd: must run as root (the store "
		    "is root's)\n");
		return 1;
	}
	if (raise_limits() < 0) {
		fprintf(stderr,
		    "apitoken-verifyd: cannot raise RLIMIT_NOFILE "
		    "to %d: %s\n",
		    VERIFYD_MAX_CLIENTS + 64, strerror(errno));
		return 1;
	}
	umask(022);
	/* 0666: the policy, not the file mode, decides who gets a verdict. */
	if ((d.listen_fd = daemon_systemd_socket(err)) >= 0)
		socket_path = NULL; /* systemd's: systemd removes it */
	else if (d.listen_fd == ERR_NOTFOUND)
		d.listen_fd = daemon_listen(socket_path, 0666, (gid_t)-1, err);
	if (d.listen_fd < 0) {
		fprintf(stderr, "apitoken-verifyd: %s\n", err);
		return 1;
	}
	/* In the foreground (tests, containers) the log goes to stderr too. */
	daemon_log_open("apitoken-verifyd", LOG_AUTHPRIV, foreground);
	if (!foreground && daemon_detach(err) < 0) {
		fprintf(stderr, "apitoken-verifyd: %s\n", err);
		return 1;
	}
	daemon_signals(on_signal);
	syslog(LOG_INFO, "answering on %s",
	    socket_path != NULL ? socket_path : "the socket systemd passed");
	rc = verifyd_loop(&d);
	if (socket_path != NULL)
		unlink(socket_path);
	return rc < 0 ? 1 : 0;
}
