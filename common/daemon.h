/* SPDX-License-Identifier: ISC */
/*
 * daemon.h - what apitoken-verifyd, apitoken-authd and apitoken-syncd do
 * alike to become a service: the socket, the log, the signals, the
 * detaching.
 *
 * Built as libdaemon, linked by the daemons only, never into libcommon:
 * the PAM module links that, and a module must not fork its application,
 * take its descriptors or environment, or reopen its log.  Every function
 * here acts on the whole process.
 */
#ifndef APITOKEN_DAEMON_H
#define APITOKEN_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The socket systemd passed (sd_listen_fds(3)'s protocol, by hand: two
 * variables are not worth a library).  When LISTEN_PID is ours, unsets
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that no child takes the
 * socket for its own, and returns fd 3 made close-on-exec and
 * nonblocking (on the open file, which systemd shares), or ERR_INVAL
 * ("LISTEN_FDS: ..." in err) unless LISTEN_FDS is 1 and fd 3 a listening
 * AF_UNIX stream socket.  ERR_NOTFOUND, and nothing changed, when not
 * started so.
 */
int daemon_systemd_socket(char *err);

/*
 * A new listening socket of our own at path, an absolute path that fits
 * sun_path: nonblocking, close-on-exec, of group gid unless gid is
 * (gid_t)-1, mode mode (chmod(2), whatever the umask), backlog
 * SOMAXCONN.  The parent directory is made, mode 0755 whatever the
 * umask, when missing (the one above it must exist).  A socket already
 * at path, left by an earlier run, is replaced: the caller unlinks it
 * when it stops.  Any other kind of file is not, and is an error.
 * Returns the descriptor, or ERR_INVAL or ERR_UNAVAIL with "PATH: why"
 * in err.
 */
int daemon_listen(const char *path, mode_t mode, gid_t gid, char *err);

/*
 * openlog(3) with ident and facility, connected at once (LOG_NDELAY) and
 * with the pid, and with LOG_PERROR when to_stderr is true and stderr is
 * not the journal, which systemd says in JOURNAL_STREAM ("DEVICE:INODE"
 * of the stream it gave as stderr, systemd.exec(5)): under systemd both
 * reach journald, and every line would be there twice.  Process-wide,
 * as openlog is; daemon_detach keeps the connection.
 */
void daemon_log_open(const char *ident, int facility, bool to_stderr);

/*
 * SIGTERM and SIGINT call stop (which sets the daemon's flag and returns;
 * no SA_RESTART, so that a blocking call returns EINTR at once), and
 * SIGPIPE is ignored: a peer that went away is an error of the write to
 * it, not the end of the process.
 */
void daemon_signals(void (*stop)(int));

/*
 * Into the background: fork, and the parent exits at once (_exit 0,
 * nothing flushed, no atexit); the child leads a new session without a
 * terminal, has stdin, stdout and stderr on /dev/null and / as its
 * directory, so that it holds no mount busy.  Returns 0 in the child, or
 * ERR_UNAVAIL with "daemonize: why" in err (before the fork, in the
 * parent; after it, in the child, whose stderr may be /dev/null already).
 */
int daemon_detach(char *err);

#endif
