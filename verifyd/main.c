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
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "daemonlog.h"
#include "verify_proto.h"
#include "verifyd.h"

#define SD_LISTEN_FDS_START 3

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

/*
 * The socket systemd passes (sd_listen_fds(3)'s protocol, by hand: one
 * getenv pair is not worth a library): LISTEN_PID is ours and LISTEN_FDS
 * is 1, a listening UNIX stream socket at fd 3.  -1 when not started so,
 * -2 when started so but wrongly.
 */
static int
listen_fd_from_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strcmp(fds, "1") != 0 ||
	    getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &len) <
	        0 ||
	    type != SOCK_STREAM ||
	    getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_ACCEPTCONN,
	        &listening, &len) < 0 ||
	    !listening ||
	    getsockname(SD_LISTEN_FDS_START, (struct sockaddr *)&sa, &salen) <
	        0 ||
	    sa.sun_family != AF_UNIX)
		return -2;
	fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC);
	return SD_LISTEN_FDS_START;
}

/*
 * Our own socket at path, mode 0666 (the policy, not the file mode,
 * decides who gets a verdict), in a directory made 0755 if missing.  A
 * socket left by an earlier run is replaced; anything else is not.
 */
static int
listen_on(const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
		    "apitoken-verifyd: %s: expected an absolute "
		    "path of at most %zu bytes\n",
		    path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "apitoken-verifyd: %s: %s\n", dir,
			    strerror(errno));
			return -1;
		}
	}
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	         0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
		fprintf(stderr, "apitoken-verifyd: %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
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

static int
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return chdir("/");
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
	const char *socket_path = NULL;
	bool foreground = false;
	struct sigaction sa;
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
	if ((d.listen_fd = listen_fd_from_systemd()) == -2) {
		fprintf(stderr,
		    "apitoken-verifyd: LISTEN_FDS: expected one "
		    "listening UNIX stream socket\n");
		return 1;
	}
	if (d.listen_fd >= 0)
		socket_path = NULL; /* systemd's: systemd removes it */
	else if ((d.listen_fd = listen_on(socket_path != NULL ?
	                  socket_path :
	                  (socket_path = VERIFY_SOCKET))) < 0)
		return 1;
	fcntl(d.listen_fd, F_SETFL, fcntl(d.listen_fd, F_GETFL) | O_NONBLOCK);
	/* In the foreground (tests, containers) the log goes to stderr too. */
	daemonlog_open("apitoken-verifyd", LOG_AUTHPRIV, foreground);
	if (!foreground && daemonize() < 0) {
		fprintf(stderr, "apitoken-verifyd: cannot daemonize: %s\n",
		    strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	syslog(LOG_INFO, "answering on %s",
	    socket_path != NULL ? socket_path : "the socket systemd passed");
	rc = verifyd_loop(&d);
	if (socket_path != NULL)
		unlink(socket_path);
	return rc < 0 ? 1 : 0;
}
