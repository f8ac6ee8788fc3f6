/* SPDX-License-Identifier: ISC */
/*
 * apitoken-authd - answer nginx's auth_request subrequests with
 * apitoken-verifyd's verdict on the request's Basic credentials.
 *
 * Listens on a UNIX socket (systemd's, passed as LISTEN_FDS, or its own
 * with --socket) and runs without root: started as root, it binds its
 * socket and becomes --user before it reads a request.  It holds no key,
 * no store and no privilege; verifyd, which knows it by SO_PEERCRED as a
 * verifier for one PAM service, decides.  See apitoken-authd(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "authd.h"
#include "daemon.h"
#include "err.h"

static const char usage_text[] =
    "usage: apitoken-authd [--socket PATH] [--user USER] [--group GROUP]\n"
    "                      [--service NAME] [--realm TEXT]\n"
    "                      [--verify-socket PATH] [--foreground]\n";

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
	authd_stop = 1;
}

static void
die_msg(const char *what, const char *why)
{
	fprintf(stderr, "apitoken-authd: %s: %s\n", what, why);
}

/* From root to pw, for good: no groups but its own, no way back. */
static int
become(const struct passwd *pw)
{
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return -1;
	if (setuid(0) == 0)
		return -1;
	return 0;
}

/*
 * Descriptors: two a connection (the client's and its question to
 * verifyd) and a few spare.  As root the limit is raised; otherwise up to
 * the hard limit, and fewer connections when that is short.
 */
static int
fit_limits(struct authd *d)
{
	struct rlimit rl, none = { 0, 0 };
	rlim_t want = (rlim_t)AUTHD_MAX_CONNS * 2 + 32;

	setrlimit(RLIMIT_CORE, &none);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	d->max_conns = rl.rlim_cur >= want ? AUTHD_MAX_CONNS :
	                                     (int)((rl.rlim_cur - 32) / 2);
	return d->max_conns > 0 ? 0 : -1;
}

static bool
realm_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > AUTHD_REALM_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' ||
		    *s == '\\')
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "service", required_argument, NULL, 'S' },
		{ "realm", required_argument, NULL, 'r' },
		{ "verify-socket", required_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct authd d = { -1, AUTHD_MAX_CONNS, VERIFY_SOCKET, "nginx", "api" };
	const char *socket_path = AUTHD_SOCKET, *user = NULL, *group = NULL;
	struct passwd *pw = NULL;
	struct group *gr;
	gid_t gid = (gid_t)-1;
	bool foreground = false;
	char err[ERR_MAX];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			socket_path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'S':
			d.service = optarg;
			break;
		case 'r':
			d.realm = optarg;
			break;
		case 'v':
			d.verify_socket = optarg;
			break;
		case 'f':
			foreground = true;
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
	if (!realm_ok(d.realm)) {
		die_msg(d.realm,
		    "a realm is 1 to 64 printable bytes, no quote or "
		    "backslash");
		return 2;
	}
	if (d.service[0] == '\0' || strlen(d.service) > VPROTO_FIELD_MAX) {
		die_msg(d.service, "not a PAM service name");
		return 2;
	}
	if (geteuid() == 0 && user == NULL) {
		die_msg("root", "runs as an account of its own: give --user");
		return 1;
	}
	if (user != NULL && geteuid() != 0) {
		die_msg(user, "--user needs root to start with");
		return 1;
	}
	if (user != NULL &&
	    ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0)) {
		die_msg(user, "no such account, or root");
		return 1;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			die_msg(group, "no such group");
			return 1;
		}
		gid = gr->gr_gid;
	}
	if (sodium_init() < 0 || fit_limits(&d) < 0) {
		die_msg("limits", strerror(errno));
		return 1;
	}
	umask(077);
	/* 0660: only the web server's group may connect (the credentials
	 * it carries are its clients'). */
	if ((d.listen_fd = daemon_systemd_socket(err)) >= 0)
		socket_path = NULL; /* systemd's: systemd removes it */
	else if (d.listen_fd == ERR_NOTFOUND)
		d.listen_fd = daemon_listen(socket_path, 0660, gid, err);
	if (d.listen_fd < 0) {
		fprintf(stderr, "apitoken-authd: %s\n", err);
		return 1;
	}
	if (pw != NULL && become(pw) < 0) {
		die_msg(user, "cannot become this account");
		return 1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	daemon_log_open("apitoken-authd", LOG_DAEMON, foreground);
	if (!foreground && daemon_detach(err) < 0) {
		fprintf(stderr, "apitoken-authd: %s\n", err);
		return 1;
	}
	daemon_signals(on_signal);
	syslog(LOG_INFO, "answering on %s for service %s, asking %s",
	    socket_path != NULL ? socket_path : "the socket systemd passed",
	    d.service, d.verify_socket);
	rc = authd_loop(&d);
	/* A socket in a directory we may no longer write stays; the next
	 * start replaces it. */
	if (socket_path != NULL)
		unlink(socket_path);
	return rc < 0 ? 1 : 0;
}
