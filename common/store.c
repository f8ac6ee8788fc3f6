/* SPDX-License-Identifier: ISC */
/*
 * store.c - store_open and store_close: the one handle a process has, kept
 * between opens while nothing has changed, forgotten across fork().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"

/*
 * The one process-wide handle: LMDB must not have the same environment open
 * twice in a process, and threaded PAM applications may authenticate in
 * parallel, so opens of the same store share it under this mutex.
 */
pthread_mutex_t store_registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store *registry;

/*
 * Opening the tokens environment and its tables, for fault_guard(): a fault
 * leaves the environment in st->env and the transaction in txn, for the
 * caller to abandon.
 */
struct open_call {
	struct store *st;
	bool create;
	bool fresh;
	MDB_txn *txn;
	char *err;
};

static int
open_call(void *arg)
{
	struct open_call *a = arg;
	bool rdonly = a->st->flags & STORE_RDONLY;
	int rc;

	rc = env_open(a->st->dir, TOKENS_FILE,
	    (rdonly ? MDB_RDONLY : 0) |
	        (a->st->flags & STORE_NOLOCK ? MDB_NOLOCK : 0),
	    a->create ? ENV_MAKE : ENV_EXISTING, rdonly, &a->st->env, &a->fresh,
	    a->err);
	if (rc < 0)
		return rc;
	return env_open_dbis(a->st, a->fresh, &a->txn, a->err);
}

static void
free_store(struct store *st)
{
	/* After a fault the maps cannot be trusted even to close: abandon them.
	 */
	if (st->damaged) {
		fault_abandon(st->env, NULL);
		st->env = NULL;
	}
	if (st->udamaged) {
		fault_abandon(st->uenv, NULL);
		st->uenv = NULL;
	}
	fault_remove();
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->uenv != NULL)
		mdb_env_close(st->uenv);
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
}

static int
stat_tokens(const char *dir, struct stat *sb)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, TOKENS_FILE);
	return stat(path, sb);
}

/* Same file, same owner, same modes: what open_new checked still holds. */
static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
	    a->st_gid == b->st_gid;
}

/*
 * Whether a cached handle may serve another open of dir: the directory and
 * the data file are the ones checked at open, with the same owner and
 * modes (a chmod, chown or replacement reopens with every check), and the
 * file has not shrunk (LMDB files only grow; a shorter one was truncated).
 * Commits do not reopen: readers see them through the same handle.
 */
static bool
still_valid(struct store *st, const char *dir, unsigned flags)
{
	struct stat d, f;

	if (st->damaged || st->stale || st->flags != flags ||
	    strcmp(st->dir, dir) != 0 || stat(dir, &d) != 0 ||
	    !same_file(&d, &st->dir_sb) || stat_tokens(dir, &f) != 0 ||
	    !same_file(&f, &st->file_sb) || f.st_size < st->file_sb.st_size)
		return false;
	st->file_sb.st_size = f.st_size;
	return true;
}

static int
open_new(struct store **out, const char *dir, unsigned flags, char *err)
{
	struct store *st;
	struct open_call oc;
	bool create = flags & STORE_CREATE;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	fault_install();
	st->lockfd = -1;
	st->flags = flags;
	st->pid = getpid();
	st->refs = 1;
	if (snprintf(st->dir, sizeof(st->dir), "%s", dir) >=
	    (int)sizeof(st->dir)) {
		rc = err_set(err, ERR_INVAL, "store directory name too long");
		goto fail;
	}
	if ((rc = env_refuse_broken_lmdb(err)) < 0)
		goto fail;
	rc = env_check_path(dir, true, NULL, err);
	if (rc == ERR_NOTFOUND && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = err_set(err, ERR_UNAVAIL, "cannot create %s: %s",
			    dir, strerror(errno));
			goto fail;
		}
		rc = env_check_path(dir, true, NULL, err);
	}
	if (rc == ERR_NOTFOUND)
		rc = err_set(err, ERR_NOTFOUND, "no store in %s", dir);
	if (rc < 0)
		goto fail;
	oc = (struct open_call){ st, create && !(flags & STORE_RDONLY), false,
		NULL, err };
	rc = fault_guard(st->dir, &st->damaged, open_call, &oc, err);
	fault_end_read(oc.txn, st->damaged);
	if (rc < 0)
		goto fail;
	if (stat(dir, &st->dir_sb) < 0 || stat_tokens(dir, &st->file_sb) < 0) {
		rc = err_set(err, ERR_UNAVAIL, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (oc.fresh) {
		/* LMDB does not sync the directory entry of the files it
		 * creates. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	*out = st;
	return 0;
fail:
	free_store(st);
	return rc;
}

int
store_open(struct store **out, const char *dir, unsigned flags, char *err)
{
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&store_registry_mu);
	/*
	 * A handle inherited across fork() must never be touched: forget it,
	 * and give back the fault handlers it had replaced, so this process's
	 * own open does not take ours for the previous ones.
	 */
	if (registry != NULL && registry->pid != getpid()) {
		fault_remove();
		registry = NULL;
	}
	/* An idle handle is kept for the next open, while nothing has changed.
	 */
	if (registry != NULL && registry->refs == 0 &&
	    !still_valid(registry, dir, flags)) {
		free_store(registry);
		registry = NULL;
	}
	if (registry != NULL) {
		if (strcmp(registry->dir, dir) != 0)
			rc = err_set(err, ERR_UNAVAIL,
			    "another store (%s) is already open in this "
			    "process",
			    registry->dir);
		else if ((registry->flags & STORE_RDONLY) &&
		    !(flags & STORE_RDONLY))
			rc = err_set(err, ERR_UNAVAIL,
			    "%s: already open read-only in this process", dir);
		else if ((registry->flags ^ flags) & STORE_NOLOCK)
			rc = err_set(err, ERR_UNAVAIL,
			    "%s: already open with other locking in this "
			    "process",
			    dir);
		else {
			registry->refs++;
			*out = registry;
		}
	} else if ((rc = open_new(out, dir, flags, err)) == 0)
		registry = *out;
	pthread_mutex_unlock(&store_registry_mu);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&store_registry_mu);
	/* The last close keeps the handle for the next open (see store_open).
	 */
	if (--st->refs == 0 && (registry != st || st->damaged || st->stale)) {
		if (registry == st)
			registry = NULL;
		free_store(st);
	}
	pthread_mutex_unlock(&store_registry_mu);
}
