/* SPDX-License-Identifier: ISC */
/*
 * conf.h - /etc/security/apitoken.conf.
 *
 * Lines are "key = value"; '#' starts a comment; blank lines are ignored.
 * An unknown key, a bad value or a repeated key is an error naming the file
 * and line.  A missing file means all defaults.  The file must be a regular
 * file owned by root (or the caller's effective uid) and not writable by
 * group or others.  The keys, their defaults and bounds are the table
 * keys[] in conf.c; apitoken.conf(5) describes each.
 */
#ifndef APITOKEN_CONF_H
#define APITOKEN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "record.h"
#include "verifier.h"

#define CONF_DEFAULT_PATH SYSCONFDIR "/security/apitoken.conf"
#define CONF_TEXT_MAX 255 /* a DN */

/* Thresholds in days, largest first, without repeats (notify_days). */
#define CONF_DAYS_MAX 8
struct conf_days {
	uint8_t n;
	uint16_t v[CONF_DAYS_MAX];
};

struct conf {
	struct strlist default_services;
	int64_t default_lifetime; /* seconds; 0 = never */
	int64_t max_lifetime;     /* seconds; 0 = no maximum */
	bool self_service;
	/* what a token a user makes for themselves may name (see policy.c) */
	struct strlist self_service_services;
	struct strlist self_service_permissions; /* empty: any */
	unsigned
	    max_tokens_per_user; /* a user's own, tombstones aside; 0: any */
	char shell[PATH_MAX];
	char home[PATH_MAX];
	struct strlist groups;
	uint32_t uid_min, uid_max;
	unsigned lockout_attempts;
	int64_t lockout_window;
	int64_t lockout_time;
	unsigned expiry_warning_days;
	int64_t usage_write_interval;
	int64_t fail_delay;           /* seconds */
	struct conf_days notify_days; /* apitoken notify's thresholds */
	char sendmail[PATH_MAX];      /* how it mails; absent: log only */
	int nverifiers;
	struct verifier_rule verifiers[VERIFIER_MAX];
	/* fleet mode: what apitoken-syncd replicates, and from where */
	struct strlist fleet_providers; /* ldap:// or ldaps:// URIs, in order */
	char fleet_base[CONF_TEXT_MAX + 1];
	char fleet_bind_dn[CONF_TEXT_MAX + 1];
	char fleet_bind_password_file[PATH_MAX];
	char fleet_ca_file[PATH_MAX];
	/* apitoken-fleet: the caller's directory identity (%u: their name),
	 * its password file (empty: asked on the terminal), the uid pool's
	 * DN (empty: cn=uids beside fleet_base) */
	char fleet_admin_bind_dn[CONF_TEXT_MAX + 1];
	char fleet_admin_password_file[PATH_MAX];
	char fleet_uid_pool[CONF_TEXT_MAX + 1];
	char fleet_host[ITEM_MAX_LEN + 1]; /* empty: the host name */
	struct strlist fleet_host_groups;
	bool fleet_strict;         /* fleet_staleness = strict */
	int64_t fleet_stale_after; /* seconds without contact: stale */
};

/* Every key at its default. */
void conf_defaults(struct conf *cf);

/* The name of the i-th key, in the manual's order; NULL past the last. */
const char *conf_key_name(size_t i);

/*
 * Defaults, then the settings of path.  0 (also when path does not exist),
 * ERR_INVAL for a bad line ("FILE:LINE: ..." in err), ERR_UNAVAIL for
 * unsafe ownership or modes or a read error.
 */
int conf_load(const char *path, struct conf *cf, char *err);

/*
 * What a loaded file was: a caller that loads the same file many times (a
 * PAM handle that authenticates again and again) keeps the parsed settings
 * and asks conf_unchanged, one lstat, instead of reading and parsing again.
 */
struct conf_stamp {
	bool valid;  /* false: never matches, load again */
	bool absent; /* the file did not exist */
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	uid_t uid;
	struct timespec mtime, ctime;
};

/* conf_load, and *stamp describes what was read (valid only on success). */
int conf_load_stamped(const char *path, struct conf *cf,
    struct conf_stamp *stamp, char *err);

/*
 * True when path is still the file stamp describes.  A file changed within
 * the last two seconds is never taken as unchanged: time stamps are coarse,
 * and an edit in the same tick as the read would otherwise go unseen.
 */
bool conf_unchanged(const char *path, const struct conf_stamp *stamp);

#endif
