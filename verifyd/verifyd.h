/* SPDX-License-Identifier: ISC */
/*
 * verifyd.h - apitoken-verifyd, the verify service: its parts.
 *
 * main.c sets the process up (root only, limits, syslog, the listening
 * socket: systemd's or its own) and loop.c answers clients, one poll(2)
 * loop, every socket non-blocking: nothing a client does or fails to do
 * can make the loop wait on it.  The answer itself is verifier_answer()
 * of common/verifier.h, the same function the setuid helper's verify mode
 * calls.
 */
#ifndef APITOKEN_VERIFYD_H
#define APITOKEN_VERIFYD_H

#include <signal.h>
#include <stdbool.h>

#define VERIFYD_MAX_CLIENTS 4096
#define VERIFYD_CLIENT_TIMEOUT_MS 2000 /* to send a whole request */

struct verifyd {
	int listen_fd;
	const char *store_dir;
	const char *config_path;
	int client_timeout_ms;
};

/* Set by the signal handlers; the loop ends when it is set. */
extern volatile sig_atomic_t verifyd_stop;

/* Serve until verifyd_stop; 0, or -1 after logging why. */
int verifyd_loop(const struct verifyd *d);

#endif
