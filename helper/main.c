/* SPDX-License-Identifier: ISC */
/*
 * apitoken - create and manage API tokens and their service users.
 *
 * Installed setuid root, so main() first makes the process safe in the
 * order setuid programs do (fds 0-2, umask, no core, limits, environment),
 * decides who is calling from the real uid alone, and only then parses
 * the command line.  Everything else is in one file per command.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "apitoken.h"
#include "err.h"
#include "log.h"
#include "when.h"

static const char usage_text[] =
    "usage: apitoken [--store DIR] COMMAND [ARGS]\n"
    "  create NAME [--user USER] [--description TEXT] [--expires "
    "DATE|DURATION|never]\n"
    "              [--service SVC]... [--permission PERM]... [--allow-from "
    "CIDR]... [--json]\n"
    "  list [--user USER] [--all] [--expiring DURATION] [--unused DURATION]\n"
    "       [--never-expires] [--json]\n"
    "  show ID|NAME [--json]\n"
    "  suspend|activate|revoke|delete ID|NAME [--json]\n"
    "  rotate ID|NAME [--grace DURATION] [--json]\n"
    "  update ID|NAME [--expires DATE|DURATION|never] [--description TEXT]\n"
    "              [--service SVC... | --no-service] [--permission PERM... |\n"
    "              --no-permission] [--allow-from CIDR... | --no-allow-from] "
    "[--json]\n"
    "  prune [--older-than DURATION] [--dry-run] [--json]\n"
    "  report [--warning DURATION] [--critical DURATION] [--unused DURATION]\n"
    "         [--format nagios|prometheus|json] [--output FILE]\n"
    "  unlock ID|NAME\n"
    "  check [--repair]\n"
    "  apitoken COMMAND --help, apitoken --version\n";

int
fail(int status, const char *fmt, ...)
{
	char msg[1024], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_redact(msg, safe, sizeof(safe));
	fprintf(stderr, "apitoken: %s\n", safe);
	return status;
}

void
audit(const struct ctx *c, const char *what, const struct record *r)
{
	char name[NAME_MAX_LEN * 2 + 8];

	log_redact(r->name, name, sizeof(name));
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s %s token %s (%s) of user %s",
	    c->caller, what, r->id, name, r->user);
}

void
audit_change(const struct ctx *c, const char *what, const struct record *r,
    const char *detail)
{
	char name[NAME_MAX_LEN * 2 + 8];

	log_redact(r->name, name, sizeof(name));
	syslog(LOG_AUTHPRIV | LOG_NOTICE,
	    "%s %s token %s (%s) of user %s (%s), revision %llu", c->caller,
	    what, r->id, name, r->user, detail,
	    (unsigned long long)r->revision);
}

void
crash_point(const struct ctx *c, const char *step)
{
#ifdef APITOKEN_TEST_HOOKS
	const char *want = c->root ? getenv("APITOKEN_TEST_CRASH") : NULL;

	if (want != NULL && strcmp(want, step) == 0)
		raise(SIGKILL);
#else
	(void)c;
	(void)step;
#endif
}

/* shadow's check_fds: a setuid program must not start with 0-2 closed. */
static void
fix_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			abort();
}

static void
harden(void)
{
	struct rlimit none = { 0, 0 }, big = { RLIM_INFINITY, RLIM_INFINITY };
	static const int quiet[] = { SIGINT, SIGQUIT, SIGTSTP, SIGHUP, SIGTERM,
		SIGPIPE, SIGTTOU };

	umask(077);
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0);
	/* A caller-lowered limit must not break a write half way. */
	setrlimit(RLIMIT_FSIZE, &big);
	setrlimit(RLIMIT_AS, &big);
	setrlimit(RLIMIT_DATA, &big);
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
}

static int
command(struct ctx *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "create") == 0)
		return cmd_create(c, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(c, argc, argv);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(c, argc, argv);
	if (strcmp(cmd, "suspend") == 0 || strcmp(cmd, "activate") == 0 ||
	    strcmp(cmd, "revoke") == 0 || strcmp(cmd, "delete") == 0)
		return cmd_change(c, cmd, argc, argv);
	if (strcmp(cmd, "rotate") == 0)
		return cmd_rotate(c, argc, argv);
	if (strcmp(cmd, "update") == 0)
		return cmd_update(c, argc, argv);
	if (strcmp(cmd, "prune") == 0)
		return cmd_prune(c, argc, argv);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(c, argc, argv);
	if (strcmp(cmd, "unlock") == 0)
		return cmd_unlock(c, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(c, argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(c, argc, argv);
	return fail(EXIT_USAGE, "unknown command '%.32s'; see apitoken --help",
	    cmd);
}

int
main(int argc, char **argv)
{
	static struct ctx c;
	struct passwd pw, *found = NULL;
	char buf[16384], err[ERR_MAX];
	const char *env_store, *env_conf;
	int i = 1;

	fix_fds();
	if (argc < 1)
		return EXIT_USAGE;
	harden();
	openlog("apitoken", LOG_PID, LOG_AUTHPRIV);

	/* Who is asking: the real uid, never $USER or $LOGNAME. */
	c.ruid = getuid();
	c.root = c.ruid == 0;
	if (getpwuid_r(c.ruid, &pw, buf, sizeof(buf), &found) != 0 ||
	    found == NULL)
		return fail(EXIT_REFUSED,
		    "who are you? (uid %u has no account)", (unsigned)c.ruid);
	if (strlen(pw.pw_name) > USER_MAX_LEN)
		return fail(EXIT_REFUSED, "account name too long");
	strcpy(c.caller, pw.pw_name);
	env_store = getenv("APITOKEN_STORE");
	env_conf = getenv("APITOKEN_CONFIG");
	if (!c.root) {
		if (env_store != NULL || env_conf != NULL)
			return fail(EXIT_REFUSED,
			    "APITOKEN_STORE and APITOKEN_CONFIG are honoured "
			    "only for root");
		/* Nothing from the caller's environment reaches us or our
		 * children. */
		clearenv();
		env_store = env_conf = NULL;
	}
	c.store_dir = env_store != NULL ? env_store : STOREDIR;
	c.conf_path = env_conf != NULL ? env_conf : CONF_DEFAULT_PATH;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			if (!c.root)
				return fail(EXIT_REFUSED,
				    "--store is only for root");
			c.store_dir = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("apitoken %s\n", PACKAGE_VERSION);
			return 0;
		} else
			return fail(EXIT_USAGE,
			    "unknown option '%.32s'; see apitoken --help",
			    argv[i]);
	}
	if (i >= argc)
		return fail(EXIT_USAGE,
		    "no command given; see apitoken --help");
	if (c.store_dir[0] != '/' || strlen(c.store_dir) > 1024)
		return fail(EXIT_USAGE, "the store must be an absolute path");
	/*
	 * Root for the rest of the run: the store is root's, and with the real
	 * uid 0 too the caller can no longer signal us half way through.
	 */
	if (geteuid() != 0)
		return fail(EXIT_REFUSED,
		    "not running as root (is apitoken installed setuid root?)");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return fail(EXIT_REFUSED, "cannot become root: %s",
		    strerror(errno));
	if (conf_load(c.conf_path, &c.conf, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	c.now = when_now();
	return command(&c, argc - i, argv + i);
}
