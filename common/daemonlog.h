/* SPDX-License-Identifier: ISC */
/*
 * daemonlog.h - where the daemons' log lines go.
 *
 * apitoken-verifyd, apitoken-authd and apitoken-syncd log through
 * syslog(3).  Run in the foreground (a test, a container, a terminal) they
 * copy each line to stderr as well, except when stderr is the journal:
 * under systemd both reach journald, and every line, one per login
 * decision for verifyd, would be there twice.
 */
#ifndef APITOKEN_DAEMONLOG_H
#define APITOKEN_DAEMONLOG_H

#include <stdbool.h>

/*
 * openlog(3) with ident and facility, connected at once (LOG_NDELAY) and
 * with the pid, and with LOG_PERROR when to_stderr is true and stderr is
 * not the journal, which systemd says in JOURNAL_STREAM ("DEVICE:INODE"
 * of the stream it gave as stderr, systemd.exec(5)).  Process-wide, as
 * openlog is.
 */
void daemonlog_open(const char *ident, int facility, bool to_stderr);

#endif
