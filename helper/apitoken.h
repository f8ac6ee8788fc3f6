/* SPDX-License-Identifier: ISC */
/*
 * apitoken.h - what the commands of the apitoken helper share.
 *
 * main.c hardens the process, works out who is calling and what store and
 * configuration apply, and hands each command a struct invocation.  Commands
 * return an exit status: 0 done, 1 refused or failed, 2 usage error; they
 * print their one-line error themselves with fail().
 */
#ifndef APITOKEN_HELPER_H
#define APITOKEN_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "input.h"
#include "record.h"
#include "store.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* One run of the helper: who asks, under which settings and options. */
struct invocation {
	const char *store_dir;
	const char *conf_path;
	struct conf conf;
	uid_t ruid;                    /* the real uid: who is asking */
	struct verifier_caller who;    /* and its real gid and groups */
	char caller[USER_MAX_LEN + 1]; /* its name */
	bool root;                     /* the real uid is 0 */
	bool json;
	int64_t now;
	/* --user of a command taking ID|NAME: look only among its tokens */
	const char *owner;
};

/* One line on stderr, "apitoken: ...", user text redacted; returns status. */
int fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Audit log (authpriv): who did what to which token. */
void audit(const struct invocation *inv, const char *what,
    const struct record *r);
/* The same, with what changed ("expiry services", a reason) in parentheses. */
void audit_change(const struct invocation *inv, const char *what,
    const struct record *r, const char *detail);

/*
 * cgroup.c: when this process is in a cgroup that a user other than root
 * may freeze (its own, or one above it, owned or writable by such a
 * user: systemd delegates user@UID.service's to UID), move it to the root
 * cgroup of that hierarchy (cgroup v2's, v1's freezer), so that the caller
 * cannot freeze it while it holds the store's locks.  Process-wide: the
 * process leaves the caller's resource limits and accounting too.  0, or
 * -1 after one line on stderr when it must move and cannot.  Call it as
 * root, before the store is opened.
 */
int cgroup_leave_callers(void);

/*
 * main.c: (re)connect to syslog, ident "apitoken", facility authpriv.  Again
 * after anything that may have called closelog (a PAM stack).
 */
void log_open(void);

/*
 * hold.c: take the writers' lock (store_lock: waited for at most
 * STORE_LOCK_WAIT seconds) and, until hold_release, keep everything
 * meant for stdout, stderr (also children's) and hold_log's syslog lines
 * in memory, so that the caller cannot stall root's writers by not reading.
 * hold_release drops the lock, then writes it all; it runs at exit too.
 */
int hold_lock(struct store *st, char *err);
void hold_release(void);
void hold_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Test builds only: die by SIGKILL at the named step when asked to. */
void crash_point(const struct invocation *inv, const char *step);

/*
 * main.c: `apitoken NAME --help`, from the command table, on stdout; then
 * exit 0.  Only for option parsing, before anything is opened.
 */
void command_help(const char *name) __attribute__((noreturn));

/*
 * fleet.c: the index of the command in argv when it is one apitoken-fleet
 * also has and --fleet is among its arguments; else 0.
 */
int fleet_wanted(int argc, char **argv);
/*
 * Drop every privilege for good (checked) and exec apitoken-fleet with
 * the command and its arguments, without --fleet, in the caller's own
 * environment.  Returns only on failure, with its exit status.  Called
 * first of all, before the process hardens or reads anything as root.
 */
int fleet_exec(int argc, char **argv, int cmd);

/* The commands of main.c's table; argv[0] is the command's name. */
int cmd_create(struct invocation *inv, int argc, char **argv);
int cmd_list(struct invocation *inv, int argc, char **argv);
int cmd_show(struct invocation *inv, int argc, char **argv);
int cmd_change(struct invocation *inv, int argc, char **argv);
int cmd_rotate(struct invocation *inv, int argc, char **argv);
int cmd_update(struct invocation *inv, int argc, char **argv);
int cmd_prune(struct invocation *inv, int argc, char **argv);
int cmd_report(struct invocation *inv, int argc, char **argv);
int cmd_unlock(struct invocation *inv, int argc, char **argv);
int cmd_check(struct invocation *inv, int argc, char **argv);
int cmd_forget_user(struct invocation *inv, int argc, char **argv);
int cmd_notify(struct invocation *inv, int argc, char **argv);
int cmd_verify(struct invocation *inv, int argc, char **argv);

/*
 * select.c: the token a user names, if the caller may manage it, among
 * c->owner's tokens when given.  A name that several tokens share is
 * refused as ambiguous, except that without an owner the one service
 * token of that name wins: a user's token of the same name cannot make
 * root's command about a service user fail.  A fleet token never: it is
 * changed in the directory only.
 */
int select_token(struct invocation *inv, struct store *st, const char *what,
    struct record *r);
/*
 * The same for looking only: a deleted token's tombstone counts too.  It
 * has left the name index, so it is found by its id alone.
 */
int select_shown(struct invocation *inv, struct store *st, const char *what,
    struct record *r);
/* 0 when no interrupted operation is pending on r; otherwise the refusal
 * (run check --repair) is printed and EXIT_REFUSED returned. */
int select_settled(const struct record *r);
/* 0 when r's account is still r's (account_state); otherwise the refusal
 * (it can never log in again: create a new one) is printed and
 * EXIT_REFUSED returned.  For what would renew or re-open a token. */
int select_same_account(const struct record *r);

/*
 * hygiene.c: the filters of list --expiring/--unused/--never-expires, and
 * what report and notify judge by.  A zero member does not filter.
 */
struct filter {
	int64_t expiring;   /* expires within this many seconds */
	int64_t unused;     /* not used (or, never used, created) for as long */
	bool never_expires; /* has no expiry */
};
/* Active or suspended, not expired: can log in, or could again. */
bool hygiene_live(const struct record *r, int64_t now);
/*
 * A token with a use limit whose uses are all spent (usage's count), and
 * whose record does not say revoked yet: the login that spent the last
 * use cannot write the record.  It is shown as revoked and acts as revoked
 * (token_revoke_spent makes it so).
 */
bool hygiene_spent(const struct record *r, const struct usage *u);
/* Of a token with a use limit: how many of its uses are left. */
uint32_t hygiene_uses_left(const struct record *r, const struct usage *u);
/* The last recorded use, or the creation when none was recorded. */
int64_t hygiene_last_use(const struct record *r, const struct usage *u);
/* True when r passes every filter of f (all of them: they combine). */
bool hygiene_match(const struct filter *f, const struct record *r,
    const struct usage *u, int64_t now);

/*
 * output.c: one record, or a table of n, as text or (c->json) JSON, every
 * text escaped (utf8.h).  0, or EXIT_REFUSED after saying why when the
 * output could not be encoded or written.
 */
int print_record(const struct invocation *inv, struct store *st,
    const struct record *r, const char *token);
int print_table(const struct invocation *inv, struct store *st,
    const struct record *r, int n);

/* accounts.c: service users through shadow-utils. */
int account_create(const struct invocation *inv, const struct record *r,
    char *err);
/*
 * End every process running as uid (never 0), also one that keeps forking:
 * 0 when none is left, an error when some still run after a few seconds.
 * Forks a child that becomes uid; the caller must hold no LMDB transaction.
 */
int account_end_processes(uid_t uid, char *err);
/* Lock and expire the account, after ending its processes. */
int account_lock(const struct record *r, char *err);
int account_set_expiry(const struct record *r, char *err);
/* True when r->user's account is locked and expired as account_lock
 * leaves it. */
bool account_locked(const struct record *r);
/* True when r->user's account expires on the day account_set_expiry
 * gives it for r (never, for a token without expiry). */
bool account_expiry_current(const struct record *r);
/* Remove the account, after ending its processes. */
int account_delete(const struct record *r, char *err);
/*
 * Remove the group create made for r (named r->user, gid r->uid), if it is
 * there: what a create stopped between groupadd and useradd leaves.
 */
int account_delete_group(const struct record *r, char *err);
/*
 * True when uid is a service user: in the configured uid range (only we
 * hand those out) or carrying our GECOS marker.
 */
bool account_is_service(const struct conf *conf, uid_t uid);
/* 1 when an account named r->user exists that we made for r (GECOS marker). */
int account_is_ours(const struct record *r);
/* The uid of the account named name: 0, ERR_NOTFOUND, or ERR_UNAVAIL
 * when the lookup failed (an NSS error, not an answer). */
int account_uid(const char *name, uid_t *uid);
/* True when an account or a group has the name name. */
bool account_name_taken(const char *name);
/*
 * Whether r's account is still the one r was made for, by the rules of
 * the verify (verify.c account_open): the name has r's uid and, when r
 * has one, r's shadow last-change day (account_since).  A lookup that
 * fails (getpwnam_r or getspnam_r returns an error: a directory that
 * does not answer, a line too long) is ACCOUNT_UNKNOWN, never gone: check
 * --repair would tombstone tokens for what may pass.  A name service
 * that answers "no such user" while it is down cannot be told apart.
 */
enum account_state {
	ACCOUNT_SAME = 0,
	ACCOUNT_GONE,      /* no account of that name */
	ACCOUNT_OTHER_UID, /* the name has another uid */
	ACCOUNT_CHANGED,   /* same name and uid, another last-change day */
	ACCOUNT_UNKNOWN,   /* the lookup failed: nothing can be said */
};
enum account_state account_state(const struct record *r);
/* "the account no longer exists", ...; "" for ACCOUNT_SAME. */
const char *account_state_text(enum account_state s);

/*
 * fleet_users.c: what a fleet service user's account lacks for its replica
 * record (a fleet record with service_user set), judged from the passwd,
 * group and shadow files as they are now; the record itself is the
 * directory's and is never written.  For anything else: settled.
 */
enum fleet_user {
	FLEET_USER_SETTLED = 0,
	FLEET_USER_MISSING,    /* active or suspended, no account yet */
	FLEET_USER_EXPIRY,     /* the account expires on another day */
	FLEET_USER_OPEN,       /* revoked, the account not locked yet */
	FLEET_USER_LEFT,       /* deleted, the account still there */
	FLEET_USER_NAME_TAKEN, /* another account or group has the name */
	FLEET_USER_UID_TAKEN,  /* another account or group has the uid */
	FLEET_USER_LOCKED,     /* active again after a revoke locked it */
};
enum fleet_user fleet_user_state(const struct record *r);
/* True for what fleet_user_repair can do; the rest is refused for good. */
bool fleet_user_repairable(enum fleet_user s);
/* The finding, for check's report; "" for FLEET_USER_SETTLED. */
const char *fleet_user_text(enum fleet_user s);
/* What a repair did, for the audit line. */
const char *fleet_user_done(enum fleet_user s);
/*
 * Create the account with the record's uid (account_create), set its
 * expiry, lock it or remove it, ending its processes first as revoke and
 * delete do.  Runs useradd and the like: the caller holds the store lock
 * and no transaction.
 */
int fleet_user_repair(const struct invocation *inv, const struct record *r,
    enum fleet_user s, char *err);

/*
 * change.c: the one revoke and the one delete, for every command that
 * needs them; the caller holds the store lock and has r fresh from it.
 */
int token_revoke(struct invocation *inv, struct store *st, struct record *r,
    char *err);
/*
 * r revoked as token_revoke does, and audited, when its uses are spent
 * (hygiene_spent): 1 when it was, 0 when not spent, or an error.  For
 * root's commands that settle the store (check --repair, prune).
 */
int token_revoke_spent(struct invocation *inv, struct store *st,
    struct record *r, char *err);
/* 0 when r's uses are not spent; otherwise the refusal to do what
 * (printed) and its exit status. */
int token_refuse_spent(struct store *st, const struct record *r,
    const char *what);
int token_delete(struct invocation *inv, struct store *st, struct record *r,
    char *err);

/*
 * reauth.c: before a self-service change that mints or widens a token
 * (create, rotate, activate, and whatever else widens one), the caller
 * proves who they are with their own password through the PAM service
 * "apitoken", on the controlling terminal.  0 when root (never asked) or
 * authenticated; otherwise the refusal is printed and its exit status
 * returned.  what names the change in the prompt and the refusal.  Call it
 * with no store lock held: the prompt waits on a person.
 */
int reauth(const struct invocation *inv, const char *what);

/*
 * policy.c: for a non-root caller, the services and permissions of a token
 * of their own must be within root's self_service_services and
 * self_service_permissions; a token without services gets
 * default_services written into it first.  0, or the refusal's exit status
 * (printed, naming the setting).  Root: always 0.
 */
int policy_self_service(const struct invocation *inv, struct record *r);

/* Write r (a whole record) in one transaction. */
int save_record(struct store *st, const struct record *r, char *err);

#endif
