/* SPDX-License-Identifier: ISC */
/*
 * fleet.h - what the files of apitoken-fleet share.
 *
 *   main.c    the command table, options, dispatch
 *   conn.c    the caller's directory identity: password, TLS, bind, the
 *             providers in order; LDAP results in words
 *   entry.c   a token entry to a record and back (modifications, LDIF),
 *             records as text or JSON
 *   uids.c    service-user uids from the apitokenUidPool counter
 *   ops.c     the commands
 *
 * apitoken-fleet runs as the user who started it, never setuid: apitoken
 * --fleet drops every privilege before it execs this program, so the
 * directory sees the caller's own identity and nothing of local root's.
 * Commands return an exit status (0, EXIT_REFUSED, EXIT_USAGE) after
 * printing their one line with fail().
 */
#ifndef APITOKEN_FLEET_H
#define APITOKEN_FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ldap.h>

#include "conf.h"
#include "record.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
/* A token entry's DN: apitokenId=ID, and fleet_base */
#define FLEET_DN_MAX (CONF_TEXT_MAX + TOKEN_ID_LEN + 16)

struct fleet {
	struct conf conf;
	const char *conf_path;
	char caller[USER_MAX_LEN + 1]; /* the real uid's login name */
	uid_t uid;
	char bind_dn[FLEET_DN_MAX]; /* fleet_admin_bind_dn, %u expanded */
	char pool_dn[FLEET_DN_MAX];
	bool json;
	int64_t now;
	LDAP *ld;        /* after fleet_connect */
	const char *uri; /* the provider ld talks to */
};

/* One line on stderr, "apitoken-fleet: ...", redacted; returns status. */
int fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * conn.c: the configuration's fleet settings for f (bind DN with %u
 * expanded, the pool's DN); 0 or an error naming the setting.
 */
int fleet_setup(struct fleet *f, char *err);
/*
 * Read the password (fleet_admin_password_file, else the terminal) and
 * bind on the first provider of fleet_providers that answers, over TLS
 * checked against fleet_ca_file alone.  A refused bind is not retried on
 * the next provider: it holds the same identities.
 */
int fleet_connect(struct fleet *f, char *err);
void fleet_close(struct fleet *f);
/*
 * What the directory's result rc means, in words a user understands
 * ("the directory's access rules do not allow it", ...), with the
 * server's diagnostic appended when it sent one.
 */
int fleet_lderr(struct fleet *f, char *err, int code, const char *what, int rc);

/*
 * entry.c: the entry e as a record (origin fleet), read as the directory
 * has it (fleet_entry.h, FLEET_ENTRY_SHOWN); its DN into dn.  Timestamps,
 * creatorsName and modifiersName fill created/updated.
 */
int entry_record(LDAP *ld, LDAPMessage *e, struct record *r,
    char dn[FLEET_DN_MAX], char *err);
/* The DN of token id under fleet_base. */
void entry_dn(const struct fleet *f, const char *id, char dn[FLEET_DN_MAX]);
/*
 * The modifications that add r: NULL-terminated, for ldap_add_ext_s;
 * entry_mods_free releases them.  NULL when out of memory.
 */
LDAPMod **entry_add_mods(const struct record *r);
void entry_mods_free(LDAPMod **mods);
/* r as an LDIF add record (RFC 2849) on out: only the hash, never a
 * secret. */
int entry_write_ldif(FILE *out, const char *dn, const struct record *r,
    char *err);
/* YYYYMMDDHHMMSSZ of t into buf. */
void entry_gentime(int64_t t, char buf[16]);
/*
 * Records as text or JSON (f->json): the JSON uses apitoken's field names
 * where they overlap, origin "fleet" and the entry's dn.  token, when not
 * NULL, is the new secret, shown this once.
 */
int entry_print(const struct fleet *f, const struct record *r, const char *dn,
    const char *token);
int entry_print_table(const struct fleet *f, const struct record *r, int n);

/*
 * uids.c: the next uid of the pool, taken by a test-and-set modify
 * (delete the value read, add the next): a concurrent taker makes it
 * fail and it is read again, a bounded number of times.  The counter only
 * grows, so a uid is never handed out twice, also after a delete.
 * ERR_LIMIT when the pool is used up, ERR_PERM when f's identity may not.
 */
int uid_take(struct fleet *f, uint32_t *uid, char *err);

/* ops.c: the commands; argv[0] is the command's name. */
int cmd_create(struct fleet *f, int argc, char **argv);
int cmd_change(struct fleet *f, int argc, char **argv);
int cmd_rotate(struct fleet *f, int argc, char **argv);
int cmd_list(struct fleet *f, int argc, char **argv);
int cmd_show(struct fleet *f, int argc, char **argv);

#endif
