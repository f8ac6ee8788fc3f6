/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "when.h"

#define CONF_MAX_SIZE 65536

static int
parse_list(const char *v, struct strlist *l, const char **why)
{
	char item[ITEM_MAX_LEN + 1];
	size_t n;

	l->n = 0;
	while (*v != '\0') {
		n = strcspn(v, ", \t");
		if (n > ITEM_MAX_LEN) {
			*why = "list item too long";
			return -1;
		}
		if (n > 0) {
			memcpy(item, v, n);
			item[n] = '\0';
			if (strlist_add(l, item) < 0) {
				*why = "too many list items";
				return -1;
			}
		}
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

static int
parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return (errno != 0 || *end != '\0' || *out > max) ? -1 : 0;
}

/* Days from 1 to max, comma or space separated, kept largest first. */
static int
parse_days(const char *v, unsigned long max, struct conf_days *d)
{
	struct strlist l;
	const char *why;
	unsigned long n;
	int j;

	d->n = 0;
	if (parse_list(v, &l, &why) < 0 || l.n > CONF_DAYS_MAX)
		return -1;
	for (int i = 0; i < l.n; i++) {
		if (parse_uint(l.v[i], max, &n) < 0 || n == 0)
			return -1;
		for (j = 0; j < d->n && d->v[j] != n; j++)
			;
		if (j < d->n)
			continue; /* a repeat */
		for (j = d->n; j > 0 && d->v[j - 1] < n; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = (uint16_t)n;
		d->n++;
	}
	return 0;
}

/* A duration or zero; "never" (also zero) where allow_never. */
static int
parse_span(const char *v, bool allow_never, int64_t *out)
{
	if (strcmp(v, "0") == 0 || strcmp(v, "0s") == 0 ||
	    (allow_never && strcmp(v, "never") == 0)) {
		*out = 0;
		return 0;
	}
	return when_parse_duration(v, out, NULL) == 0 ? 0 : -1;
}

static int
parse_path(const char *v, char *dst, size_t cap)
{
	if (v[0] != '/' || strlen(v) >= cap || strchr(v, ':') != NULL)
		return -1;
	strcpy(dst, v);
	return 0;
}

/*
 * The keys: this table drives parsing, the defaults (given as they would
 * be written in the file, and parsed like it) and each key's validation;
 * apitoken.conf(5) lists the same keys (test_conf.c checks that).  Checks
 * between keys are in conf_load_stamped.  A new key is a row here, a field
 * in struct conf and an entry in the manual.
 */
enum key_kind {
	KEY_LIST,      /* struct strlist: comma or space separated */
	KEY_SPAN,      /* int64_t seconds: a duration, or 0 */
	KEY_YESNO,     /* bool */
	KEY_PATH,      /* char[]: absolute, no ':' (passwd field) */
	KEY_UINT,      /* unsigned */
	KEY_U32,       /* uint32_t */
	KEY_VERIFIER,  /* one more verifier line (verifier.h); repeatable */
	KEY_DAYS,      /* struct conf_days: numbers of days, up to max */
	KEY_TEXT,      /* char[]: printable, no spaces at either end */
	KEY_STALENESS, /* bool: strict (true) or best_effort */
};

struct conf_key {
	const char *name;
	enum key_kind kind;
	size_t off, size; /* of the field in struct conf */
	const char *dflt;
	/* KEY_UINT, KEY_U32, KEY_SPAN: bounds (max 0: none for a span) */
	unsigned long min, max;
	bool never;      /* KEY_SPAN: "never" is accepted, as 0 */
	bool repeat;     /* may be given more than once */
	const char *why; /* what a bad value is told (lists say why) */
};

#define KEY(n, k, field)                                               \
	.name = (n), .kind = (k), .off = offsetof(struct conf, field), \
	.size = sizeof(((struct conf *)0)->field)

static const struct conf_key keys[] = {
	{ KEY("default_services", KEY_LIST, default_services), .dflt = "sshd" },
	{ KEY("default_lifetime", KEY_SPAN, default_lifetime), .dflt = "90d",
	    .never = true, .why = "expected a duration or never" },
	{ KEY("max_lifetime", KEY_SPAN, max_lifetime), .dflt = "never",
	    .never = true, .why = "expected a duration or never" },
	{ KEY("self_service", KEY_YESNO, self_service), .dflt = "yes",
	    .why = "expected yes or no" },
	{ KEY("self_service_services", KEY_LIST, self_service_services),
	    .dflt = "sshd" },
	{ KEY("self_service_permissions", KEY_LIST, self_service_permissions),
	    .dflt = "" },
	{ KEY("max_tokens_per_user", KEY_UINT, max_tokens_per_user),
	    .dflt = "25", .max = 100000,
	    .why = "expected a number (0: no limit)" },
	{ KEY("service_user_shell", KEY_PATH, shell), .dflt = "/bin/sh",
	    .why = "expected an absolute path" },
	{ KEY("service_user_home", KEY_PATH, home), .dflt = "/",
	    .why = "expected an absolute path" },
	{ KEY("service_user_groups", KEY_LIST, groups), .dflt = "" },
	{ KEY("uid_min", KEY_U32, uid_min), .dflt = "60600", .min = 1000,
	    .max = 0x7ffffffeUL, .why = "expected a uid of at least 1000" },
	{ KEY("uid_max", KEY_U32, uid_max), .dflt = "61099", .min = 1000,
	    .max = 0x7ffffffeUL, .why = "expected a uid of at least 1000" },
	{ KEY("lockout_attempts", KEY_UINT, lockout_attempts), .dflt = "5",
	    .max = 1000, .why = "expected a number from 0 to 1000" },
	{ KEY("lockout_window", KEY_SPAN, lockout_window), .dflt = "15m",
	    .min = 1, .why = "expected a duration" },
	{ KEY("lockout_time", KEY_SPAN, lockout_time), .dflt = "15m", .min = 1,
	    .why = "expected a duration" },
	{ KEY("expiry_warning_days", KEY_UINT, expiry_warning_days),
	    .dflt = "7", .max = 3650, .why = "expected a number of days" },
	{ KEY("usage_write_interval", KEY_SPAN, usage_write_interval),
	    .dflt = "60s", .why = "expected a duration" },
	{ KEY("fail_delay", KEY_SPAN, fail_delay), .dflt = "2s", .max = 60,
	    .why = "expected a duration of at most 60s" },
	/* GitLab's schedule: a week ahead, and the day before. */
	{ KEY("notify_days", KEY_DAYS, notify_days), .dflt = "7, 1",
	    .max = 3650,
	    .why = "expected up to 8 numbers of days, from 1 to 3650" },
	{ KEY("sendmail", KEY_PATH, sendmail), .dflt = "/usr/sbin/sendmail",
	    .why = "expected an absolute path" },
	/* No default: nobody verifies other users' tokens. */
	{ KEY("verifier", KEY_VERIFIER, verifiers), .repeat = true },
	/* Fleet mode (apitoken-syncd(8)); no provider: no fleet. */
	{ KEY("fleet_providers", KEY_LIST, fleet_providers), .dflt = "" },
	{ KEY("fleet_base", KEY_TEXT, fleet_base), .dflt = "",
	    .why = "expected a DN of at most 255 characters" },
	{ KEY("fleet_bind_dn", KEY_TEXT, fleet_bind_dn), .dflt = "",
	    .why = "expected a DN of at most 255 characters" },
	{ KEY("fleet_bind_password_file", KEY_PATH, fleet_bind_password_file),
	    .dflt = SYSCONFDIR "/security/apitoken-fleet.secret",
	    .why = "expected an absolute path" },
	{ KEY("fleet_ca_file", KEY_PATH, fleet_ca_file),
	    .dflt = SYSCONFDIR "/security/apitoken-fleet-ca.pem",
	    .why = "expected an absolute path" },
	/* apitoken-fleet(8): who writes to the directory; %u is the caller. */
	{ KEY("fleet_admin_bind_dn", KEY_TEXT, fleet_admin_bind_dn), .dflt = "",
	    .why = "expected a DN of at most 255 characters" },
	{ KEY("fleet_admin_password_file", KEY_PATH, fleet_admin_password_file),
	    .why = "expected an absolute path" },
	{ KEY("fleet_uid_pool", KEY_TEXT, fleet_uid_pool), .dflt = "",
	    .why = "expected a DN of at most 255 characters" },
	{ KEY("fleet_host", KEY_TEXT, fleet_host), .dflt = "",
	    .why = "expected a host name of at most 64 characters" },
	{ KEY("fleet_host_groups", KEY_LIST, fleet_host_groups), .dflt = "" },
	{ KEY("fleet_staleness", KEY_STALENESS, fleet_strict),
	    .dflt = "best_effort", .why = "expected best_effort or strict" },
	{ KEY("fleet_stale_after", KEY_SPAN, fleet_stale_after), .dflt = "1h",
	    .min = 1, .why = "expected a duration" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Set key k of c from v; returns NULL or why the value is bad. */
static const char *
apply(struct conf *cf, const struct conf_key *k, const char *v)
{
	void *field = (char *)cf + k->off;
	const char *why = "invalid value";
	unsigned long n;
	int64_t *span = field;

	switch (k->kind) {
	case KEY_LIST:
		return parse_list(v, field, &why) < 0 ? why : NULL;
	case KEY_SPAN:
		if (parse_span(v, k->never, span) < 0 ||
		    *span < (int64_t)k->min ||
		    (k->max != 0 && *span > (int64_t)k->max))
			return k->why;
		return NULL;
	case KEY_YESNO:
		if (strcmp(v, "yes") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "no") == 0)
			*(bool *)field = false;
		else
			return k->why;
		return NULL;
	case KEY_PATH:
		return parse_path(v, field, k->size) < 0 ? k->why : NULL;
	case KEY_STALENESS:
		if (strcmp(v, "strict") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "best_effort") == 0)
			*(bool *)field = false;
		else
			return k->why;
		return NULL;
	case KEY_TEXT:
		if (field_set(field, k->size, v) < 0)
			return k->why;
		return NULL;
	case KEY_UINT:
	case KEY_U32:
		if (parse_uint(v, k->max, &n) < 0 || n < k->min)
			return k->why;
		if (k->kind == KEY_UINT)
			*(unsigned *)field = (unsigned)n;
		else
			*(uint32_t *)field = (uint32_t)n;
		return NULL;
	case KEY_DAYS:
		return parse_days(v, k->max, field) < 0 ? k->why : NULL;
	case KEY_VERIFIER:
		if (cf->nverifiers == VERIFIER_MAX)
			return "too many verifier lines";
		if (verifier_parse(v, &cf->verifiers[cf->nverifiers], &why) < 0)
			return why;
		cf->nverifiers++;
		return NULL;
	}
	return why;
}

void
conf_defaults(struct conf *cf)
{
	memset(cf, 0, sizeof(*cf));
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].dflt != NULL)
			apply(cf, &keys[i], keys[i].dflt);
}

const char *
conf_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
stamp_of(const struct stat *sb, struct conf_stamp *stamp)
{
	stamp->dev = sb->st_dev;
	stamp->ino = sb->st_ino;
	stamp->size = sb->st_size;
	stamp->mode = sb->st_mode;
	stamp->uid = sb->st_uid;
	stamp->mtime = sb->st_mtim;
	stamp->ctime = sb->st_ctim;
	/* ctime moves with every write, chmod and chown; see conf_unchanged. */
	stamp->valid = sb->st_ctim.tv_sec < time(NULL) - 1 &&
	    sb->st_mtim.tv_sec < time(NULL) - 1;
}

bool
conf_unchanged(const char *path, const struct conf_stamp *stamp)
{
	struct stat sb;
	struct conf_stamp now;

	if (!stamp->valid)
		return false;
	if (lstat(path, &sb) < 0)
		return stamp->absent && errno == ENOENT;
	if (stamp->absent)
		return false;
	stamp_of(&sb, &now);
	return now.valid && now.dev == stamp->dev && now.ino == stamp->ino &&
	    now.size == stamp->size && now.mode == stamp->mode &&
	    now.uid == stamp->uid && now.mtime.tv_sec == stamp->mtime.tv_sec &&
	    now.mtime.tv_nsec == stamp->mtime.tv_nsec &&
	    now.ctime.tv_sec == stamp->ctime.tv_sec &&
	    now.ctime.tv_nsec == stamp->ctime.tv_nsec;
}

int
conf_load(const char *path, struct conf *cf, char *err)
{
	struct conf_stamp stamp;

	return conf_load_stamped(path, cf, &stamp, err);
}

int
conf_load_stamped(const char *path, struct conf *cf, struct conf_stamp *stamp,
    char *err)
{
	char *buf = NULL, *line, *next, *eq, *k, *v;
	bool seen[NKEYS] = { false };
	const char *why;
	struct stat sb;
	ssize_t got;
	size_t len = 0;
	int fd, rc = 0, lineno = 0, default_line = 0, max_line = 0;

	conf_defaults(cf);
	memset(stamp, 0, sizeof(*stamp));
	/* O_NONBLOCK: a FIFO put here must not hang every login in open();
	 * it is refused as not regular, before any read. */
	fd = open(path,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			stamp->valid = stamp->absent = true;
			return 0;
		}
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    errno == ELOOP ? "refusing a symbolic link" :
		                     strerror(errno));
	}
	if (fstat(fd, &sb) < 0) {
		rc = err_set(err, ERR_UNAVAIL, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = err_set(err, ERR_UNAVAIL,
		    "%s: not a regular file (%s); refusing it", path,
		    S_ISFIFO(sb.st_mode)    ? "a FIFO" :
		        S_ISDIR(sb.st_mode) ? "a directory" :
		                              "a device or socket");
		goto out;
	}
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) ||
	    (sb.st_mode & 022) != 0) {
		rc = err_set(err, ERR_UNAVAIL,
		    "%s: bad ownership or modes: must be owned by root and not "
		    "writable by others",
		    path);
		goto out;
	}
	/* On the heap: a PAM thread may have 64 KiB of stack in all. */
	if ((buf = malloc(CONF_MAX_SIZE + 1)) == NULL) {
		rc = err_set(err, ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while ((got = read(fd, buf + len, CONF_MAX_SIZE + 1 - len)) > 0)
		len += (size_t)got;
	if (got < 0 || len > CONF_MAX_SIZE) {
		rc = err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    got < 0 ? strerror(errno) : "file too large");
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		rc = err_set(err, ERR_INVAL, "%s: contains a NUL byte", path);
		goto out;
	}
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '#')) != NULL)
			*eq = '\0';
		line = trim(line);
		if (*line == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			rc = err_set(err, ERR_INVAL,
			    "%s:%d: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		why = "unknown key";
		for (size_t i = 0; i < NKEYS; i++)
			if (strcmp(k, keys[i].name) == 0) {
				why = seen[i] && !keys[i].repeat ?
				    "key given twice" :
				    apply(cf, &keys[i], v);
				seen[i] = true;
			}
		if (strcmp(k, "default_lifetime") == 0)
			default_line = lineno;
		else if (strcmp(k, "max_lifetime") == 0)
			max_line = lineno;
		if (why != NULL) {
			rc = err_set(err, ERR_INVAL, "%s:%d: %s: %.64s", path,
			    lineno, why, k);
			goto out;
		}
	}
	if (cf->uid_min > cf->uid_max)
		rc = err_set(err, ERR_INVAL,
		    "%s: uid_min is greater than uid_max", path);
	else if (cf->max_lifetime != 0 && default_line == 0 &&
	    cf->default_lifetime > cf->max_lifetime)
		/* Only a maximum given: the built-in default follows it. */
		cf->default_lifetime = cf->max_lifetime;
	else if (cf->max_lifetime != 0 &&
	    (cf->default_lifetime == 0 ||
	        cf->default_lifetime > cf->max_lifetime))
		rc = err_set(err, ERR_INVAL,
		    "%s:%d: default_lifetime exceeds max_lifetime (line %d): "
		    "lower default_lifetime or remove it to get max_lifetime",
		    path, default_line, max_line);
	if (rc == 0)
		stamp_of(&sb, stamp);
out:
	if (buf != NULL)
		explicit_bzero(buf, CONF_MAX_SIZE + 1);
	free(buf);
	close(fd);
	return rc;
}
