/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <ctype.h>
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

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	strlist_add(&c->default_services, "sshd");
	c->default_lifetime = 90 * 86400;
	c->max_lifetime = 0;
	c->self_service = true;
	strcpy(c->shell, "/bin/sh");
	strcpy(c->home, "/nonexistent");
	c->uid_min = 60600;
	c->uid_max = 61099;
	c->lockout_attempts = 5;
	c->lockout_window = 15 * 60;
	c->lockout_time = 15 * 60;
	c->expiry_warning_days = 7;
	c->usage_write_interval = 60;
	c->fail_delay = 2;
}

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

/* Apply one key; returns NULL or why the value is bad. */
static const char *
apply(struct conf *c, const char *k, const char *v)
{
	const char *why = "invalid value";
	unsigned long n;

	if (strcmp(k, "default_services") == 0)
		return parse_list(v, &c->default_services, &why) < 0 ? why :
		                                                       NULL;
	if (strcmp(k, "service_user_groups") == 0)
		return parse_list(v, &c->groups, &why) < 0 ? why : NULL;
	if (strcmp(k, "default_lifetime") == 0)
		return parse_span(v, true, &c->default_lifetime) < 0 ?
		    "expected a duration or never" :
		    NULL;
	if (strcmp(k, "max_lifetime") == 0)
		return parse_span(v, true, &c->max_lifetime) < 0 ?
		    "expected a duration or never" :
		    NULL;
	if (strcmp(k, "lockout_window") == 0)
		return parse_span(v, false, &c->lockout_window) < 0 ||
		        c->lockout_window == 0 ?
		    "expected a duration" :
		    NULL;
	if (strcmp(k, "lockout_time") == 0)
		return parse_span(v, false, &c->lockout_time) < 0 ||
		        c->lockout_time == 0 ?
		    "expected a duration" :
		    NULL;
	if (strcmp(k, "usage_write_interval") == 0)
		return parse_span(v, false, &c->usage_write_interval) < 0 ?
		    "expected a duration" :
		    NULL;
	if (strcmp(k, "fail_delay") == 0)
		return parse_span(v, false, &c->fail_delay) < 0 ||
		        c->fail_delay > 60 ?
		    "expected a duration of at most 60s" :
		    NULL;
	if (strcmp(k, "self_service") == 0) {
		if (strcmp(v, "yes") == 0)
			c->self_service = true;
		else if (strcmp(v, "no") == 0)
			c->self_service = false;
		else
			return "expected yes or no";
		return NULL;
	}
	if (strcmp(k, "service_user_shell") == 0)
		return parse_path(v, c->shell, sizeof(c->shell)) < 0 ?
		    "expected an absolute path" :
		    NULL;
	if (strcmp(k, "service_user_home") == 0)
		return parse_path(v, c->home, sizeof(c->home)) < 0 ?
		    "expected an absolute path" :
		    NULL;
	if (strcmp(k, "uid_min") == 0 || strcmp(k, "uid_max") == 0) {
		if (parse_uint(v, 0x7ffffffeUL, &n) < 0 || n < 1000)
			return "expected a uid of at least 1000";
		*(strcmp(k, "uid_min") == 0 ? &c->uid_min : &c->uid_max) =
		    (uint32_t)n;
		return NULL;
	}
	if (strcmp(k, "lockout_attempts") == 0) {
		if (parse_uint(v, 1000, &n) < 0)
			return "expected a number from 0 to 1000";
		c->lockout_attempts = (unsigned)n;
		return NULL;
	}
	if (strcmp(k, "expiry_warning_days") == 0) {
		if (parse_uint(v, 3650, &n) < 0)
			return "expected a number of days";
		c->expiry_warning_days = (unsigned)n;
		return NULL;
	}
	return "unknown key";
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

static const char *const known_keys[] = {
	"default_services",
	"default_lifetime",
	"max_lifetime",
	"self_service",
	"service_user_shell",
	"service_user_home",
	"service_user_groups",
	"uid_min",
	"uid_max",
	"lockout_attempts",
	"lockout_window",
	"lockout_time",
	"expiry_warning_days",
	"usage_write_interval",
	"fail_delay",
};
#define NKEYS (sizeof(known_keys) / sizeof(known_keys[0]))

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
conf_load(const char *path, struct conf *c, char *err)
{
	struct conf_stamp stamp;

	return conf_load_stamped(path, c, &stamp, err);
}

int
conf_load_stamped(const char *path, struct conf *c, struct conf_stamp *stamp,
    char *err)
{
	char buf[CONF_MAX_SIZE + 1], *line, *next, *eq, *k, *v;
	bool seen[NKEYS] = { false };
	const char *why;
	struct stat sb;
	ssize_t got;
	size_t len = 0;
	int fd, rc = 0, lineno = 0;

	conf_defaults(c);
	memset(stamp, 0, sizeof(*stamp));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
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
		rc = err_set(err, ERR_UNAVAIL, "%s: not a regular file", path);
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
	while ((got = read(fd, buf + len, sizeof(buf) - len)) > 0)
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
			if (strcmp(k, known_keys[i]) == 0) {
				why = seen[i] ? "key given twice" :
				                apply(c, k, v);
				seen[i] = true;
			}
		if (why != NULL) {
			rc = err_set(err, ERR_INVAL, "%s:%d: %s: %.64s", path,
			    lineno, why, k);
			goto out;
		}
	}
	if (c->uid_min > c->uid_max)
		rc = err_set(err, ERR_INVAL,
		    "%s: uid_min is greater than uid_max", path);
	else if (c->max_lifetime != 0 &&
	    (c->default_lifetime == 0 || c->default_lifetime > c->max_lifetime))
		rc = err_set(err, ERR_INVAL,
		    "%s: default_lifetime exceeds max_lifetime", path);
	if (rc == 0)
		stamp_of(&sb, stamp);
out:
	close(fd);
	return rc;
}
