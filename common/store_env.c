/* SPDX-License-Identifier: ISC */
/*
 * store_env.c - opening an LMDB environment safely: the ownership and mode
 * checks, the LMDB versions refused, a data file shorter than it says, the
 * map size, and the schema and tables of the tokens environment.  Also the
 * mapping of LMDB's errors to err.h's codes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"

/*
 * LMDB turns a short write into EIO ("TODO: Use which error code?" in
 * mdb_page_flush), and a short write is what a disk that fills mid-commit
 * gives.  Tell that apart from a failing disk by looking at the space left.
 */
static bool
out_of_space(const char *path)
{
	struct statvfs vfs;
	unsigned long long left;

	if (statvfs(path, &vfs) < 0)
		return false;
	left =
	    (unsigned long long)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) *
	    vfs.f_frsize;
	return left < 2 * (unsigned long long)sysconf(_SC_PAGESIZE);
}

int
env_error(char *err, const char *where, int rc)
{
	int code;

	if (rc == EIO && out_of_space(where))
		rc = ENOSPC;
	switch (rc) {
	case ENOENT:
		code = ERR_NOTFOUND;
		break;
	case ENOSPC:
	case EDQUOT:
	case MDB_MAP_FULL:
		code = ERR_NOSPACE;
		break;
	case ENOMEM:
		code = ERR_NOMEM;
		break;
	case EBADF: /* what LMDB returns for a zero-length data file */
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_BAD_TXN:
	case MDB_INCOMPATIBLE:
		code = ERR_CORRUPT;
		break;
	default:
		code = ERR_UNAVAIL;
		break;
	}
	if (rc == MDB_INVALID)
		return err_set(err, code,
		    "%s: not an LMDB file, or its header is damaged", where);
	if (rc == EBADF)
		return err_set(err, code,
		    "%s: store file is damaged (empty or truncated)", where);
	return err_set(err, code, "%s: %s", where, mdb_strerror(rc));
}

/* sshd StrictModes: owned by root or by us, writable by nobody else. */
int
env_check_path(const char *path, bool dir, off_t *size, char *err)
{
	struct stat sb;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return err_set(err, ERR_NOTFOUND,
			    "%s: no such file or directory", path);
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    strerror(errno));
	}
	if (S_ISLNK(sb.st_mode))
		return err_set(err, ERR_UNAVAIL, "%s: refusing a symbolic link",
		    path);
	if (dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
		return err_set(err, ERR_UNAVAIL, "%s: not a %s", path,
		    dir ? "directory" : "regular file");
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return err_set(err, ERR_UNAVAIL,
		    "%s: bad ownership (uid %u): must be owned by root", path,
		    (unsigned)sb.st_uid);
	if ((sb.st_mode & 022) != 0)
		return err_set(err, ERR_UNAVAIL,
		    "%s: bad modes %04o: must not be writable by group or "
		    "others",
		    path, (unsigned)(sb.st_mode & 07777));
	if (size != NULL)
		*size = sb.st_size;
	return 0;
}

int
env_refuse_broken_lmdb(char *err)
{
	int major, minor, patch;

	mdb_version(&major, &minor, &patch);
	/* ITS#9278: their close path destroys the shared mutex under concurrent
	 * openers. */
	if (major == 0 && minor == 9 && patch >= 26 && patch <= 31)
		return err_set(err, ERR_UNAVAIL,
		    "LMDB %d.%d.%d is not supported (close-path race); use "
		    "0.9.25 or 0.9.32+",
		    major, minor, patch);
	return 0;
}

/*
 * A data file shorter than its meta page says would be read past its end
 * through the map, which is SIGBUS: refuse it as damaged instead.  Also
 * make the data fd close-on-exec, which LMDB does not do, so a host
 * program's exec never inherits it.
 */
static int
check_length(MDB_env *env, const char *path, char *err)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	int fd;

	/*
	 * Meta first, size second: a writer extends the file before it
	 * commits the meta page naming the new pages, so in this order a
	 * concurrent commit can only make the file look longer, never short.
	 */
	mdb_env_info(env, &info);
	mdb_env_stat(env, &ms);
	if (mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &sb) < 0)
		return err_set(err, ERR_UNAVAIL,
		    "%s: cannot stat the open store", path);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if ((uint64_t)sb.st_size <
	    ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize)
		return err_set(err, ERR_CORRUPT,
		    "%s: store file is truncated (%lld bytes, needs %llu); "
		    "restore it from a backup",
		    path, (long long)sb.st_size,
		    (unsigned long long)(info.me_last_pgno + 1) * ms.ms_psize);
	return 0;
}

/*
 * Open dir/file as an environment.  *fresh tells whether the data file did
 * not exist before (the caller then initialises it).
 *
 * A shared environment is mapped as large as a store may ever grow, from
 * the start (address space only: no memory, no file size), so it is never
 * remapped.  LMDB remaps by munmap and mmap, under the transactions other
 * threads have open, and the threads of a PAM application share a handle:
 * its read-only tokens map and every usage map (logins write usage from
 * any thread) are shared.  Only the helper's read-write tokens environment,
 * used by one thread, is mapped to size and grown.  Where the address space
 * cannot take it (an RLIMIT_AS such as Dovecot's 256 MiB for its auth
 * workers, or 32 bits) mmap fails with ENOMEM, and a shared environment is
 * mapped to size too: correct for one thread, as before.
 */
int
env_open(const char *dir, const char *file, unsigned envflags,
    enum env_make make, bool shared, MDB_env **out, bool *fresh, char *err)
{
	char path[PATH_MAX + 32], lock[PATH_MAX + 40];
	MDB_env *env = NULL;
	off_t size = 0;
	int rc, dead;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	rc = env_check_path(path, false, &size, err);
	*fresh = rc == ERR_NOTFOUND;
	if (rc == ERR_NOTFOUND && make == ENV_EXISTING)
		return err_set(err, ERR_NOTFOUND, "no store in %s", dir);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (!*fresh && size == 0 && make != ENV_MAKE_OVER_EMPTY)
		return err_set(err, ERR_CORRUPT,
		    "%s: store file is empty (truncated?); restore it from a "
		    "backup",
		    path);
	rc = env_check_path(lock, false, NULL, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;

	for (bool whole = shared;; whole = false) {
		if ((rc = mdb_env_create(&env)) != 0)
			return env_error(err, path, rc);
		*out = env; /* where the caller finds it after a fault */
		mdb_env_set_maxdbs(env, MAX_DBS);
		mdb_env_set_maxreaders(env, MAX_READERS);
		if (whole)
			mdb_env_set_mapsize(env, MAP_MAX);
		else if (!(envflags & MDB_RDONLY))
			mdb_env_set_mapsize(env,
			    (size_t)size > MAP_INITIAL ? (size_t)size :
			                                 MAP_INITIAL);
		rc = mdb_env_open(env, path,
		    envflags | MDB_NOSUBDIR | MDB_NOTLS, 0600);
		if (rc != ENOMEM || !whole)
			break;
		mdb_env_close(env);
		*out = NULL;
	}
	if (rc != 0)
		rc = env_error(err, path, rc);
	else
		rc = check_length(env, path, err);
	if (rc < 0) {
		mdb_env_close(env);
		*out = NULL;
		return rc;
	}
	/* Slots of killed readers pin pages; clear them on every open. */
	mdb_reader_check(env, &dead);
	return 0;
}

int
env_begin(MDB_env *env, unsigned flags, MDB_txn **txn)
{
	int rc, dead;

	for (int tries = 0; tries < 3; tries++) {
		rc = mdb_txn_begin(env, NULL, flags, txn);
		if (rc == MDB_MAP_RESIZED) /* adopt the writer's size */
			mdb_env_set_mapsize(env, 0);
		else if (rc == MDB_READERS_FULL)
			mdb_reader_check(env, &dead);
		else
			break;
	}
	return rc;
}

static const MDB_val schema_key = { 14, (void *)"schema_version" };

int
env_open_dbis(struct store *st, bool fresh, MDB_txn **txnp, char *err)
{
	MDB_txn *txn = NULL;
	MDB_dbi main_dbi;
	MDB_stat ms;
	MDB_val v;
	uint8_t ver[4];
	unsigned dflags;
	bool rdonly = st->flags & STORE_RDONLY;
	int rc;

	if ((rc = env_begin(st->env, rdonly ? MDB_RDONLY : 0, &txn)) != 0)
		return env_error(err, st->dir, rc);
	*txnp = txn;
	/* A store whose first commit never happened is as good as new. */
	if (!fresh && mdb_dbi_open(txn, NULL, 0, &main_dbi) == 0 &&
	    mdb_stat(txn, main_dbi, &ms) == 0 && ms.ms_entries == 0)
		fresh = true;
	if (fresh && rdonly) {
		rc = err_set(err, ERR_UNAVAIL, "%s: store is not initialised",
		    st->dir);
		goto out;
	}
	dflags = fresh ? MDB_CREATE : 0;
	if ((rc = mdb_dbi_open(txn, "meta", dflags, &st->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "tokens", dflags, &st->tokens)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_user", dflags, &st->by_user)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_name", dflags, &st->by_name)) != 0 ||
	    (rc = mdb_dbi_open(txn, "uids", dflags, &st->uids)) != 0) {
		if (rc == MDB_NOTFOUND)
			rc = err_set(err, ERR_CORRUPT,
			    "%s: not an apitoken store", st->dir);
		else
			rc = env_error(err, st->dir, rc);
		goto out;
	}
	if (fresh) {
		be32(ver, STORE_SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = ver;
		if ((rc = mdb_put(txn, st->meta, (MDB_val *)&schema_key, &v,
		         0)) != 0) {
			rc = env_error(err, st->dir, rc);
			goto out;
		}
	} else {
		rc = mdb_get(txn, st->meta, (MDB_val *)&schema_key, &v);
		if (rc != 0 || v.mv_size != 4) {
			rc = err_set(err, ERR_CORRUPT,
			    "%s: store has no valid schema version", st->dir);
			goto out;
		}
		if (get_be32(v.mv_data) != STORE_SCHEMA_VERSION) {
			rc = err_set(err, ERR_CORRUPT,
			    "%s: store schema version %u is not supported "
			    "(this program knows %d)",
			    st->dir, get_be32(v.mv_data), STORE_SCHEMA_VERSION);
			goto out;
		}
	}
	/* Commit even when reading: an aborted txn would close the new dbi
	 * handles. */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	*txnp = NULL;
	if (rc != 0)
		rc = env_error(err, st->dir, rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	*txnp = NULL;
	return rc;
}
