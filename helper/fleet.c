/* SPDX-License-Identifier: ISC */
/*
 * fleet.c - apitoken COMMAND --fleet: the same command on the directory,
 * run by apitoken-fleet(8) as the caller and nobody else.
 *
 * The setuid helper never loads libldap: its TLS and SASL libraries (and
 * their constructors, which would run with euid 0 in every exec of this
 * program, the verify fallback included) stay out.  So, before anything
 * else is done as root, the helper gives up every privilege for good,
 * checks that it cannot get them back, and execs apitoken-fleet: the
 * directory then sees the caller's own identity, with the password only
 * the caller can read, never anything of local root's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apitoken.h"

#define FLEET_PROGRAM SBINDIR "/apitoken-fleet"

/* The commands apitoken-fleet has under the same name. */
static const char *const fleet_commands[] = { "create", "list", "show",
	"suspend", "activate", "revoke", "delete", "rotate", NULL };

int
fleet_wanted(int argc, char **argv)
{
	int cmd = 1;

	/* The global options before the command, as main() reads them. */
	while (cmd < argc && argv[cmd][0] == '-')
		cmd += strcmp(argv[cmd], "--store") == 0 ? 2 : 1;
	if (cmd >= argc)
		return 0;
	for (int i = 0; fleet_commands[i] != NULL; i++)
		if (strcmp(argv[cmd], fleet_commands[i]) == 0)
			for (int j = cmd + 1;
			     j < argc && strcmp(argv[j], "--") != 0; j++)
				if (strcmp(argv[j], "--fleet") == 0)
					return cmd;
	return 0;
}

/* Every uid and gid, real, effective and saved, is the caller's. */
static int
drop(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* The supplementary groups are the caller's already: a setuid exec
	 * changes only the effective and saved ids. */
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return -1;
	/* And there is no way back. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -1;
	return 0;
}

int
fleet_exec(int argc, char **argv, int cmd)
{
	const char *program = FLEET_PROGRAM;
	char **args;
	int n = 0, err;

	if (drop(getuid(), getgid()) < 0)
		return fail(EXIT_REFUSED, "cannot drop privileges for --fleet");
	if (cmd != 1)
		return fail(EXIT_USAGE,
		    "--fleet takes no %s: fleet tokens are in the directory",
		    argv[1]);
#ifdef APITOKEN_TEST_HOOKS
	/* Read only now, with nothing left to lose: the caller's choice of
	 * a program to run as the caller. */
	if (getenv("APITOKEN_FLEET_PROGRAM") != NULL)
		program = getenv("APITOKEN_FLEET_PROGRAM");
#endif
	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL)
		return fail(EXIT_REFUSED, "out of memory");
	args[n++] = (char *)"apitoken-fleet";
	for (int i = cmd; i < argc; i++)
		if (strcmp(argv[i], "--fleet") != 0)
			args[n++] = argv[i];
	args[n] = NULL;
	execv(program, args);
	err = errno;
	free(args);
	if (err == ENOENT)
		return fail(EXIT_REFUSED,
		    "%s is not installed: this apitoken was built without "
		    "fleet "
		    "mode",
		    program);
	return fail(EXIT_REFUSED, "cannot run %s: %s", program, strerror(err));
}
