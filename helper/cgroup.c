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
#include <stdlib.h>
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

#define NHIERARCHIES (sizeof(hierarchies) / sizeof(hierarchies[0]))

/*
 * Where this process is in each hierarchy.  A user can nest cgroups of
 * their own deeper than any buffer: lines are read whole (getline), and
 * a cgroup path too long to look at counts as one the user may freeze.
 */
struct place {
	bool in;            /* the process is in this hierarchy */
	bool too_long;      /* its cgroup's path does not fit in rel */
	char rel[PATH_MAX]; /* its cgroup, from /proc/self/cgroup */
	char dir[PATH_MAX]; /* where the whole hierarchy is mounted; "" */
};

/* Our cgroup in each hierarchy, from /proc/self/cgroup. */
static void
find_cgroups(struct place *at)
{
	char *line = NULL, *ctl, *rel;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (f == NULL)
		return;
	/* ID:CONTROLLERS:PATH; cgroup v2's is 0::PATH */
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL)
			continue;
		*ctl++ = '\0';
		if ((rel = strchr(ctl, ':')) == NULL)
			continue;
		*rel++ = '\0';
		for (size_t i = 0; i < NHIERARCHIES; i++) {
			if (hierarchies[i].option == NULL ?
			        strcmp(line, "0") != 0 || *ctl != '\0' :
			        !has_word(ctl, hierarchies[i].option))
				continue;
			at[i].in = true;
			at[i].too_long = strlen(rel) >= sizeof(at[i].rel);
			if (!at[i].too_long)
				strcpy(at[i].rel, rel);
		}
	}
	free(line);
	fclose(f);
}

/*
 * Where each hierarchy is mounted with its whole tree (the mount's root
 * is "/"), from /proc/self/mountinfo: the first such mount.
 */
static void
find_mounts(struct place *at)
{
	char *line = NULL, root[PATH_MAX], point[PATH_MAX];
	char fstype[64], opts[LINE_MAX_LEN];
	const char *sep;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS] - FSTYPE SRC
		 * SUPER */
		if ((sep = strstr(line, " - ")) == NULL ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) !=
		        2 ||
		    sscanf(sep, " - %63s %*s %4095s", fstype, opts) != 2 ||
		    strcmp(root, "/") != 0 || strchr(point, '\\') != NULL)
			continue;
		for (size_t i = 0; i < NHIERARCHIES; i++) {
			const struct hierarchy *h = &hierarchies[i];

			if (at[i].dir[0] == '\0' &&
			    strcmp(fstype, h->fstype) == 0 &&
			    (h->option == NULL || has_word(opts, h->option)))
				strcpy(at[i].dir, point);
		}
	}
	free(line);
	fclose(f);
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
	size_t top = strlen(dir);

	/* The root cgroup is "/": the mount point itself. */
	if (snprintf(path, sizeof(path), "%s%s", dir,
	        strcmp(rel, "/") == 0 ? "" : rel) >= (int)sizeof(path))
		return true;
	/* rel starts with '/', so every step up ends on a '/' at top or after.
	 */
	for (;;) {
		snprintf(file, sizeof(file), "%s/%s", path, h->freeze);
		if (others_control(path) || others_control(file))
			return true;
		if (strlen(path) <= top)
			return false;
		*strrchr(path + top, '/') = '\0';
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
	struct place at[NHIERARCHIES];

	memset(at, 0, sizeof(at));
	find_cgroups(at);
	find_mounts(at);
	for (size_t i = 0; i < NHIERARCHIES; i++) {
		if (!at[i].in || at[i].dir[0] == '\0' ||
		    (!at[i].too_long &&
		        !freezable(&hierarchies[i], at[i].dir, at[i].rel)))
			continue;
		if (move_to_root(at[i].dir) < 0)
			return fail(-1,
			    "cannot leave cgroup %.200s, which users other "
			    "than root can freeze: %s",
			    at[i].too_long ? "(too long to show)" : at[i].rel,
			    strerror(errno));
	}
	return 0;
}
