/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"

#define SD_LISTEN_FDS_START 3

int
daemon_systemd_socket(char *err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = SD_LISTEN_FDS_START, type = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return ERR_NOTFOUND;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strcmp(fds, "1") != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening || getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    sa.sun_family != AF_UNIX)
		return err_set(err, ERR_INVAL,
		    "LISTEN_FDS: expected one listening UNIX stream socket");
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int
daemon_listen(const char *path, mode_t mode, gid_t gid, char *err)
{
	struct sockaddr_un sa;
	struct stat sb;
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, ERR_INVAL,
		    "%s: expected an absolute path of at most %zu bytes", path,
		    sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash != dir) {
		*slash = '\0';
		/* Our own directory's mode is ours, not the umask's. */
		if (mkdir(dir, 0755) == 0 ? chmod(dir, 0755) < 0 :
		                            errno != EEXIST)
			return err_set(err, ERR_UNAVAIL, "%s: %s", dir,
			    strerror(errno));
	}
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	         0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
	    chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
		err_set(err, ERR_UNAVAIL, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ERR_UNAVAIL;
	}
	return fd;
}

static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	/* A copy inherited by a child whose stderr went elsewhere does not
	 * count: the device and inode must be stderr's own. */
	return js != NULL && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
daemon_log_open(const char *ident, int facility, bool to_stderr)
{
	int opt = LOG_PID | LOG_NDELAY;

	if (to_stderr && !stderr_is_journal())
		opt |= LOG_PERROR;
	openlog(ident, opt, facility);
}

void
daemon_signals(void (*stop)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
daemon_detach(char *err)
{
	pid_t pid = fork();
	int fd;

	if (pid > 0)
		_exit(0);
	if (pid < 0 || setsid() < 0 || (fd = open("/dev/null", O_RDWR)) < 0)
		return err_set(err, ERR_UNAVAIL, "daemonize: %s",
		    strerror(errno));
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	if (chdir("/") < 0)
		return err_set(err, ERR_UNAVAIL, "daemonize: %s",
		    strerror(errno));
	return 0;
}
