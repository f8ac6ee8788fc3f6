/* SPDX-License-Identifier: ISC */
/*
 * apitoken-fleet - fleet tokens in the directory (apitoken-fleet(8)):
 * create, list, show, suspend, activate, revoke, delete, rotate.
 *
 * Never setuid, and apitoken --fleet execs it only after dropping every
 * privilege: it is the caller's own program, reading the caller's own
 * password, so the directory's access rules apply to the caller and to
 * nobody else.  libldap is loaded here and never into the setuid helper.
 */
#include "config.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "err.h"
#include "fleet.h"
#include "redact.h"
#include "when.h"

static const struct command {
	const char *name;
	int (*run)(struct fleet *f, int argc, char **argv);
	const char *synopsis;
} commands[] = {
	{ "create", cmd_create,
	    "NAME --user USER | --service-user --host HOST|GROUP|'*'...\n"
	    "[--service SVC]... [--permission PERM]... [--allow-from CIDR]...\n"
	    "[--expires DATE|DURATION|never] [--description TEXT]\n"
	    "[--ldif FILE] [--json]" },
	{ "list", cmd_list, "[--user USER] [--json]" },
	{ "show", cmd_show, "ID|NAME [--user USER] [--json]" },
	{ "suspend", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "activate", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "resume", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "revoke", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "delete", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "rotate", cmd_rotate,
	    "ID|NAME [--user USER] [--grace DURATION] [--json]" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int
fail(int status, const char *fmt, ...)
{
	char msg[1024], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact_text(msg, safe, sizeof(safe));
	fprintf(stderr, "apitoken-fleet: %s\n", safe);
	return status;
}

static void
usage(FILE *out)
{
	const char *s, *nl;

	fputs("usage: apitoken-fleet COMMAND [ARGS]   (or apitoken COMMAND "
	      "--fleet ...)\n",
	    out);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(out, "  %s ", commands[i].name);
		for (s = commands[i].synopsis; (nl = strchr(s, '\n')) != NULL;
		     s = nl + 1)
			fprintf(out, "%.*s\n        ", (int)(nl - s), s);
		fprintf(out, "%s\n", s);
	}
}

int
main(int argc, char **argv)
{
	static struct fleet f;
	struct rlimit none = { 0, 0 };
	struct passwd pw, *found = NULL;
	char buf[16384], err[ERR_MAX];
	const char *path = getenv("APITOKEN_CONFIG");

	/* The password and the secret pass through memory: no core. */
	setrlimit(RLIMIT_CORE, &none);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("apitoken-fleet %s\n", PACKAGE_VERSION);
		return 0;
	}
	/* Only the CA of fleet_ca_file: no ldap.conf, no ~/.ldaprc. */
	setenv("LDAPNOINIT", "1", 1);
	f.uid = getuid();
	if (getpwuid_r(f.uid, &pw, buf, sizeof(buf), &found) != 0 ||
	    found == NULL || strlen(pw.pw_name) > USER_MAX_LEN)
		return fail(EXIT_REFUSED,
		    "who are you? (uid %u has no account)", (unsigned)f.uid);
	strcpy(f.caller, pw.pw_name);
	f.conf_path = path != NULL ? path : CONF_DEFAULT_PATH;
	f.now = when_now();
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[1]) == 0) {
			if (conf_load(f.conf_path, &f.conf, err) < 0 ||
			    fleet_setup(&f, err) < 0)
				return fail(EXIT_REFUSED, "%s", err);
			int rc = commands[i].run(&f, argc - 1, argv + 1);
			fleet_close(&f);
			return rc;
		}
	return fail(EXIT_USAGE,
	    "unknown command '%.32s'; see apitoken-fleet --help", argv[1]);
}
