/* SPDX-License-Identifier: ISC */
/*
 * cgroup.c - leaving a cgroup that the caller can freeze.
 *
 * Once root (main.c) the helper can no longer be signalled by its caller,
 * and it ignores the terminal's stop signals.  A cgroup the caller
 * controls can still freeze it, at any point and for as long as the
 * caller likes: cgroup v2's cgroup.freeze, v1's freezer.state.  systemd
 * hands user@UID.service's subtree to UID, and `systemd-run --user
 * --scope apitoken list` runs the helper inside it.  Frozen while it set
 * up LMDB's lock file or held its reader table's mutex, the helper would
 * stall every login and root's own commands.  So before the store is
 * opened, a helper whose cgroup, or one above it, is owned or writable by
 * anyone but root moves itself to the root of that hierarchy, which only
 * root controls, or refuses to run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apitoken.h"

#define LINE_MAX_LEN 4096

struct hierarchy {
	const char *fstype; /* in mountinfo */
	const char *option; /* a super option it must have, or NULL */
	const char *freeze; /* the file that freezes a cgroup */
};

static const struct hierarchy hierarchies[] = {
	{ "cgroup2", NULL, "cgroup.freeze" },
	{ "cgroup", "freezer", "freezer.state" },
};

/* Whether a comma-separated list holds word. */
static bool
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * Our cgroup in h, from /proc/self/cgroup, into path: 0, or -1 when the
 * process is in none (the hierarchy is not there).
 */
static int
own_cgroup(const struct hierarchy *h, char *path, size_t cap)
{
	char line[LINE_MAX_LEN], *ctl, *rel;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	/* ID:CONTROLLERS:PATH; cgroup v2's is 0::PATH */
	while (rc < 0 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL)
			continue;
		*ctl++ = '\0';
		if ((rel = strchr(ctl, ':')) == NULL)
			continue;
		*rel++ = '\0';
		if (h->option == NULL ? strcmp(line, "0") == 0 && *ctl == '\0' :
		                        has_word(ctl, h->option))
			rc = snprintf(path, cap, "%s", rel) < (int)cap ? 0 : -1;
	}
	fclose(f);
	return rc;
}

/*
 * Where h is mounted with its whole tree (the mount's root is "/"), from
 * /proc/self/mountinfo, into dir: 0, or -1 when nowhere.
 */
static int
mount_of(const struct hierarchy *h, char *dir, size_t cap)
{
	char line[LINE_MAX_LEN], root[PATH_MAX], point[PATH_MAX];
	char fstype[64], opts[LINE_MAX_LEN];
	const char *sep;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f) != NULL) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS] - FSTYPE SRC
		 * SUPER */
		if ((sep = strstr(line, " - ")) == NULL ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) !=
		        2 ||
		    sscanf(sep, " - %63s %*s %4095s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, h->fstype) != 0 || strcmp(root, "/") != 0 ||
		    strchr(point, '\\') != NULL ||
		    (h->option != NULL && !has_word(opts, h->option)))
			continue;
		rc = snprintf(dir, cap, "%s", point) < (int)cap ? 0 : -1;
	}
	fclose(f);
	return rc;
}

/* Owned or writable by someone other than root (or not to be told). */
static bool
others_control(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno != ENOENT;
	return st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/*
 * Whether the cgroup at dir + rel, or one above it up to dir, can be
 * frozen by someone other than root.
 */
static bool
freezable(const struct hierarchy *h, const char *dir, const char *rel)
{
	char path[PATH_MAX], file[PATH_MAX + 32];
	char *slash;

	if (snprintf(path, sizeof(path), "%s%s", dir, rel) >= (int)sizeof(path))
		return true;
	for (;;) {
		snprintf(file, sizeof(file), "%s/%s", path, h->freeze);
		if (others_control(path) || others_control(file))
			return true;
		if (strlen(path) <= strlen(dir) ||
		    (slash = strrchr(path, '/')) == NULL)
			return false;
		*slash = '\0';
		if (strlen(path) < strlen(dir))
			return false;
	}
}

/* Move this process to the root cgroup of the hierarchy mounted at dir. */
static int
move_to_root(const char *dir)
{
	char procs[PATH_MAX + 16];
	int fd, rc = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	if ((fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (write(fd, "0\n", 2) != 2)
		rc = -1;
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

int
cgroup_leave_callers(void)
{
	char rel[PATH_MAX], dir[PATH_MAX];

	for (size_t i = 0; i < sizeof(hierarchies) / sizeof(hierarchies[0]);
	     i++) {
		const struct hierarchy *h = &hierarchies[i];

		if (own_cgroup(h, rel, sizeof(rel)) < 0 ||
		    mount_of(h, dir, sizeof(dir)) < 0 ||
		    !freezable(h, dir, rel))
			continue;
		if (move_to_root(dir) < 0)
			return fail(-1,
			    "cannot leave cgroup %.200s, which users other "
			    "than root can freeze: %s",
			    rel, strerror(errno));
	}
	return 0;
}
