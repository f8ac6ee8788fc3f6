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
#include "redact.h"
#include "when.h"

/*
 * The commands: dispatch, `apitoken --help` and `apitoken NAME --help` all
 * come from this table.  A synopsis continues on a new line at each '\n'.
 * verify has none: it is the PAM module's, not a person's.
 */
static const struct command {
	const char *name;
	int (*run)(struct invocation *inv, int argc, char **argv);
	const char *synopsis;
} commands[] = {
	{ "create", cmd_create,
	    "NAME [--user USER] [--description TEXT]\n"
	    "[--expires DATE|DURATION|never] [--service SVC]...\n"
	    "[--permission PERM]... [--allow-from CIDR]... [--uses N]\n"
	    "[--json]" },
	{ "list", cmd_list,
	    "[--user USER] [--all] [--expiring DURATION] [--unused DURATION]\n"
	    "[--never-expires] [--json]" },
	{ "show", cmd_show, "ID|NAME [--user USER] [--json]" },
	{ "suspend", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "activate", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "revoke", cmd_change, "ID|NAME [--user USER]|--token - [--json]" },
	{ "delete", cmd_change, "ID|NAME [--user USER] [--json]" },
	{ "rotate", cmd_rotate,
	    "ID|NAME [--user USER] [--grace DURATION]\n"
	    "[--expires DATE|DURATION|never] [--json]\n"
	    "--self [--grace DURATION] [--json]" },
	{ "update", cmd_update,
	    "ID|NAME [--user USER] [--expires DATE|DURATION|never]\n"
	    "[--description TEXT] [--service SVC... | --no-service]\n"
	    "[--permission PERM... | --no-permission]\n"
	    "[--allow-from CIDR... | --no-allow-from] [--json]" },
	{ "prune", cmd_prune, "[--older-than DURATION] [--dry-run] [--json]" },
	{ "report", cmd_report,
	    "[--warning DURATION] [--critical DURATION] [--unused DURATION]\n"
	    "[--format nagios|prometheus|json] [--output FILE] [--json]" },
	{ "unlock", cmd_unlock, "ID|NAME [--user USER] [--json]" },
	{ "check", cmd_check, "[--repair] [--fleet-users] [--json]" },
	{ "forget-user", cmd_forget_user, "NAME [UID] [--json]" },
	{ "notify", cmd_notify, "[--dry-run] [--json]" },
	{ "verify", cmd_verify, NULL },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* lead, the name and the synopsis, its continuation lines indented. */
static void
print_synopsis(const char *lead, const struct command *cmd)
{
	const char *s = cmd->synopsis, *nl;

	printf("%s%s ", lead, cmd->name);
	for (; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
		printf("%.*s\n        ", (int)(nl - s), s);
	printf("%s\n", s);
}

static void
print_usage(void)
{
	puts("usage: apitoken [--store DIR] COMMAND [ARGS]");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].synopsis != NULL)
			print_synopsis("  ", &commands[i]);
	puts("  apitoken COMMAND --help, apitoken --version");
	puts(
	    "  apitoken create|list|show|suspend|activate|revoke|delete|rotate "
	    "--fleet ...\n"
	    "        the directory's tokens: see apitoken-fleet --help");
}

void
command_help(const char *name)
{
	const struct command *cmd = find_command(name);

	if (cmd != NULL && cmd->synopsis != NULL)
		print_synopsis("usage: apitoken ", cmd);
	else
		print_usage();
	exit(0);
}

int
fail(int status, const char *fmt, ...)
{
	char msg[1024], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact_text(msg, safe, sizeof(safe));
	fprintf(stderr, "apitoken: %s\n", safe);
	return status;
}

void
audit(const struct invocation *inv, const char *what, const struct record *r)
{
	char name[NAME_MAX_LEN * 2 + 8];

	redact_text(r->name, name, sizeof(name));
	hold_log(LOG_AUTHPRIV | LOG_NOTICE, "%s %s token %s (%s) of user %s",
	    inv->caller, what, r->id, name, r->user);
}

void
audit_change(const struct invocation *inv, const char *what,
    const struct record *r, const char *detail)
{
	char name[NAME_MAX_LEN * 2 + 8];

	redact_text(r->name, name, sizeof(name));
	hold_log(LOG_AUTHPRIV | LOG_NOTICE,
	    "%s %s token %s (%s) of user %s (%s), revision %llu", inv->caller,
	    what, r->id, name, r->user, detail,
	    (unsigned long long)r->revision);
}

void
crash_point(const struct invocation *inv, const char *step)
{
#ifdef APITOKEN_TEST_HOOKS
	const char *want = inv->root ? getenv("APITOKEN_TEST_CRASH") : NULL;

	if (want != NULL && strcmp(want, step) == 0)
		raise(SIGKILL);
#else
	(void)inv;
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

/*
 * Every limit a caller could lower to make us fail half way: a low
 * RLIMIT_NOFILE would leave the token store open but not the usage store
 * (no lockout) or the syslog socket (no audit line); a low CPU, size or
 * memory limit would kill us or cut a write.  Each is set to `want`; where
 * we may not raise a hard limit (no CAP_SYS_RESOURCE, as in many
 * containers) the soft one is raised to it, and a hard limit below `need`
 * stops the run: it might otherwise fail open.
 */
#define UNLIMITED RLIM_INFINITY
static const struct {
	int resource;
	const char *name;
	rlim_t want, need;
} limits[] = {
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024, 64 },
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", UNLIMITED, UNLIMITED },
	{ RLIMIT_AS, "RLIMIT_AS", UNLIMITED, UNLIMITED },
	{ RLIMIT_DATA, "RLIMIT_DATA", UNLIMITED, UNLIMITED },
	{ RLIMIT_STACK, "RLIMIT_STACK", 8 << 20, 1 << 20 },
	{ RLIMIT_CPU, "RLIMIT_CPU", UNLIMITED, UNLIMITED },
	{ RLIMIT_RTTIME, "RLIMIT_RTTIME", UNLIMITED, UNLIMITED },
};

static int
reset_limit(int resource, rlim_t want, rlim_t need)
{
	struct rlimit l = { want, want };

	if (setrlimit(resource, &l) == 0)
		return 0;
	if (getrlimit(resource, &l) < 0 || l.rlim_max < need)
		return -1;
	l.rlim_cur = l.rlim_max < want ? l.rlim_max : want;
	return setrlimit(resource, &l);
}

/* -1, after saying which limit, when one cannot be made safe. */
static int
harden(void)
{
	struct rlimit none = { 0, 0 };
	static const int quiet[] = { SIGINT, SIGQUIT, SIGTSTP, SIGHUP, SIGTERM,
		SIGPIPE, SIGTTOU };

	umask(077);
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return fail(-1, "cannot disable core dumps: %s",
		    strerror(errno));
	prctl(PR_SET_DUMPABLE, 0);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (reset_limit(limits[i].resource, limits[i].want,
		        limits[i].need) < 0)
			return fail(-1,
			    "%s is set too low for apitoken to run safely; "
			    "raise the hard limit (ulimit -H)",
			    limits[i].name);
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
	return 0;
}

void
log_open(void)
{
	/* Connected now, while a descriptor is sure to be free, not at the
	 * first line, which may come when the store's are open. */
	openlog("apitoken", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

static int
command(struct invocation *inv, int argc, char **argv)
{
	const struct command *cmd = find_command(argv[0]);

	if (cmd == NULL)
		return fail(EXIT_USAGE,
		    "unknown command '%.32s'; see apitoken --help", argv[0]);
	/*
	 * verify opens the store without LMDB's locks and writes no usage, so
	 * a caller who freezes it stalls nobody but themselves: leaving their
	 * cgroup would cost every non-root login through the helper for
	 * nothing.
	 */
	if (!inv->root && cmd->run != cmd_verify && cgroup_leave_callers() < 0)
		return EXIT_REFUSED;
	return cmd->run(inv, argc, argv);
}

int
main(int argc, char **argv)
{
	static struct invocation inv;
	struct passwd pw, *found = NULL;
	char buf[16384], err[ERR_MAX];
	const char *env_store, *env_conf;
	int i = 1;

	fix_fds();
	if (argc < 1)
		return EXIT_USAGE;
	/* Nothing is done as root for a --fleet command: see fleet.c. */
	if ((i = fleet_wanted(argc, argv)) > 0)
		return fleet_exec(argc, argv, i);
	i = 1;
	if (harden() < 0)
		return EXIT_REFUSED;
	log_open();

	/* Who is asking: the real uid, never $USER or $LOGNAME. */
	inv.ruid = getuid();
	inv.root = inv.ruid == 0;
	/* Before the setresgid below makes them root's. */
	inv.who.uid = inv.ruid;
	inv.who.gid = getgid();
	if ((inv.who.ngroups = getgroups(VERIFIER_MAX_GROUPS, inv.who.groups)) <
	    0)
		inv.who.ngroups =
		    0; /* more than we look at: the primary counts */
	if (getpwuid_r(inv.ruid, &pw, buf, sizeof(buf), &found) != 0 ||
	    found == NULL)
		return fail(EXIT_REFUSED,
		    "who are you? (uid %u has no account)", (unsigned)inv.ruid);
	if (strlen(pw.pw_name) > USER_MAX_LEN)
		return fail(EXIT_REFUSED, "account name too long");
	strcpy(inv.caller, pw.pw_name);
	env_store = getenv("APITOKEN_STORE");
	env_conf = getenv("APITOKEN_CONFIG");
	if (!inv.root) {
		if (env_store != NULL || env_conf != NULL)
			return fail(EXIT_REFUSED,
			    "APITOKEN_STORE and APITOKEN_CONFIG are honoured "
			    "only for root");
		/* Nothing from the caller's environment reaches us or our
		 * children. */
		clearenv();
		env_store = env_conf = NULL;
	}
	inv.store_dir = env_store != NULL ? env_store : STOREDIR;
	inv.conf_path = env_conf != NULL ? env_conf : CONF_DEFAULT_PATH;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			if (!inv.root)
				return fail(EXIT_REFUSED,
				    "--store is only for root");
			inv.store_dir = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			print_usage();
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
	if (inv.store_dir[0] != '/' || strlen(inv.store_dir) > 1024)
		return fail(EXIT_USAGE, "the store must be an absolute path");
	/*
	 * Root for the rest of the run: the store is root's, and with the real
	 * uid 0 too the caller can no longer signal us half way through; and
	 * command() leaves a cgroup of theirs before any command that takes
	 * the store's locks, so they cannot freeze us holding one either.
	 */
	if (geteuid() != 0)
		return fail(EXIT_REFUSED,
		    "not running as root (is apitoken installed setuid root?)");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return fail(EXIT_REFUSED, "cannot become root: %s",
		    strerror(errno));
	if (conf_load(inv.conf_path, &inv.conf, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	inv.now = when_now();
	return command(&inv, argc - i, argv + i);
}
