/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "err.h"
#include "store.h"

/* A small start keeps tiny stores tiny; the writer doubles it on demand. */
#define MAP_INITIAL ((size_t)1 << 20)
#define MAP_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 34 : 30))
#define MAX_DBS 8
#define MAX_READERS 256

#define TOKENS_FILE "tokens.mdb"
#define USAGE_FILE "usage.mdb"
#define LOCK_FILE "helper.lock"

struct store {
	char dir[PATH_MAX];
	unsigned flags;
	int refs;
	pid_t pid;
	MDB_env *env;
	MDB_dbi meta, tokens, by_user, by_name, uids;
	MDB_env *uenv; /* usage environment, opened on first use */
	MDB_dbi usage;
	int lockfd;
	bool damaged, udamaged; /* a guarded read faulted: refuse further use */
	struct stat dir_sb, file_sb; /* as checked at open; see still_valid */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	bool mapfull;
};

/*
 * The one process-wide handle: LMDB must not have the same environment open
 * twice in a process, and threaded PAM applications may authenticate in
 * parallel, so opens of the same store share it under this mutex.
 */
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store *registry;

/*
 * LMDB 0.9 has no page checksums.  A damaged page can send it past the end
 * of the file through the map (SIGBUS), or past the map (SIGSEGV); and it
 * writes its lock file through a map, which on a full disk is SIGBUS too.
 * That must not kill the host process: sshd's auth child, a screen locker.
 * So while a store is open a handler is installed, and opening, beginning
 * a transaction and every read run under a guard that turns such a fault
 * into ERR_CORRUPT; the environment it happened in is then abandoned, not
 * closed (closing writes through the same map).  A fault anywhere else
 * (another thread, other code) gets the previous handler back and recurs
 * as if we had never been here.  Installed and removed under registry_mu,
 * with the one store a process has open.
 */
static __thread sigjmp_buf *fault_jb;
static struct sigaction prev_bus, prev_segv;

static void
on_fault(int sig)
{
	if (fault_jb != NULL)
		siglongjmp(*fault_jb, sig);
	sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
}

static void
fault_handler_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	/* No mask change on entry, so siglongjmp need not restore one (no
	 * syscall per read). */
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, &prev_bus);
	sigaction(SIGSEGV, &sa, &prev_segv);
}

static void
fault_handler_remove(void)
{
	struct sigaction cur;

	/* Only put back what we replaced, never over a handler installed since.
	 */
	if (sigaction(SIGBUS, NULL, &cur) == 0 && cur.sa_handler == on_fault)
		sigaction(SIGBUS, &prev_bus, NULL);
	if (sigaction(SIGSEGV, NULL, &cur) == 0 && cur.sa_handler == on_fault)
		sigaction(SIGSEGV, &prev_segv, NULL);
}

/*
 * Run fn(arg) so that a fault inside it returns ERR_CORRUPT and sets
 * *damaged, which refuses every later use of that environment.
 */
static int
guarded(const char *dir, bool *damaged, int (*fn)(void *), void *arg, char *err)
{
	sigjmp_buf jb;
	int rc;

	if (*damaged)
		return err_set(err, ERR_CORRUPT,
		    "%s: store is damaged; restore it from a backup", dir);
	if (sigsetjmp(jb, 0) != 0) {
		fault_jb = NULL;
		*damaged = true;
		return err_set(err, ERR_CORRUPT,
		    "%s: store unusable: a mapped read or write failed (disk "
		    "full, or the file is damaged)",
		    dir);
	}
	fault_jb = &jb;
	rc = fn(arg);
	fault_jb = NULL;
	return rc;
}

/* A store_txn_fn call, packaged for guarded(). */
struct txn_call {
	store_txn_fn fn;
	struct store_txn *t;
	void *ctx;
	char *err;
};

static int
txn_call(void *arg)
{
	struct txn_call *c = arg;
	return c->fn(c->t, c->ctx, c->err);
}

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

static int
lmdb_error(char *err, const char *where, int rc)
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
static int
check_path(const char *path, bool dir, off_t *size, char *err)
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

static int
refuse_broken_lmdb(char *err)
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
static int
open_env(const char *dir, const char *file, unsigned envflags, bool create,
    bool shared, MDB_env **out, bool *fresh, char *err)
{
	char path[PATH_MAX + 32], lock[PATH_MAX + 40];
	MDB_env *env = NULL;
	off_t size = 0;
	int rc, dead;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	rc = check_path(path, false, &size, err);
	*fresh = rc == ERR_NOTFOUND;
	if (rc == ERR_NOTFOUND && !create)
		return err_set(err, ERR_NOTFOUND, "no store in %s", dir);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (!*fresh && size == 0)
		return err_set(err, ERR_CORRUPT,
		    "%s: store file is empty (truncated?); restore it from a "
		    "backup",
		    path);
	rc = check_path(lock, false, NULL, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;

	for (bool whole = shared;; whole = false) {
		if ((rc = mdb_env_create(&env)) != 0)
			return lmdb_error(err, path, rc);
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
		rc = lmdb_error(err, path, rc);
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

static int
begin(MDB_env *env, unsigned flags, MDB_txn **txn)
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
static const MDB_val next_uid_key = { 8, (void *)"next_uid" };

static void
be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static int
open_dbis(struct store *st, bool fresh, MDB_txn **txnp, char *err)
{
	MDB_txn *txn = NULL;
	MDB_dbi main_dbi;
	MDB_stat ms;
	MDB_val v;
	uint8_t ver[4];
	unsigned dflags;
	bool rdonly = st->flags & STORE_RDONLY;
	int rc;

	if ((rc = begin(st->env, rdonly ? MDB_RDONLY : 0, &txn)) != 0)
		return lmdb_error(err, st->dir, rc);
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
			rc = lmdb_error(err, st->dir, rc);
		goto out;
	}
	if (fresh) {
		be32(ver, STORE_SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = ver;
		if ((rc = mdb_put(txn, st->meta, (MDB_val *)&schema_key, &v,
		         0)) != 0) {
			rc = lmdb_error(err, st->dir, rc);
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
		rc = lmdb_error(err, st->dir, rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	*txnp = NULL;
	return rc;
}

/* open_env of the tokens file, for guarded(). */
struct env_args {
	const char *dir;
	unsigned envflags;
	bool create;
	MDB_env **out;
	bool *fresh;
	char *err;
};

static int
env_call(void *arg)
{
	struct env_args *a = arg;
	return open_env(a->dir, TOKENS_FILE, a->envflags, a->create,
	    a->envflags & MDB_RDONLY, a->out, a->fresh, a->err);
}

/* open_dbis for guarded(); txn is left for the caller to abort after a fault.
 */
struct dbis_args {
	struct store *st;
	bool fresh;
	MDB_txn *txn;
	char *err;
};

static int
dbis_call(void *arg)
{
	struct dbis_args *a = arg;
	return open_dbis(a->st, a->fresh, &a->txn, a->err);
}

/*
 * Environments and transactions abandoned after a fault.  They are kept
 * reachable so that a leak checker sees they are kept on purpose; a process
 * meets at most a few damaged stores (sshd's auth children exit after one
 * login).
 */
struct abandoned {
	MDB_env *env;
	MDB_txn *txn;
	struct abandoned *next;
};
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;
static struct abandoned *abandoned;

static void
abandon(MDB_env *env, MDB_txn *txn)
{
	struct abandoned *a;

	if ((env == NULL && txn == NULL) || (a = malloc(sizeof(*a))) == NULL)
		return;
	a->env = env;
	a->txn = txn;
	pthread_mutex_lock(&abandoned_mu);
	a->next = abandoned;
	abandoned = a;
	pthread_mutex_unlock(&abandoned_mu);
}

/* End a read transaction, unless a fault in its environment forbids it. */
static void
end_read(MDB_txn *txn, bool damaged)
{
	if (txn == NULL)
		return;
	if (damaged)
		abandon(NULL, txn);
	else
		mdb_txn_abort(txn);
}

static void
free_store(struct store *st)
{
	/* After a fault the maps cannot be trusted even to close: abandon them.
	 */
	if (st->damaged) {
		abandon(st->env, NULL);
		st->env = NULL;
	}
	if (st->udamaged) {
		abandon(st->uenv, NULL);
		st->uenv = NULL;
	}
	fault_handler_remove();
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

	if (st->damaged || st->flags != flags || strcmp(st->dir, dir) != 0 ||
	    stat(dir, &d) != 0 || !same_file(&d, &st->dir_sb) ||
	    stat_tokens(dir, &f) != 0 || !same_file(&f, &st->file_sb) ||
	    f.st_size < st->file_sb.st_size)
		return false;
	st->file_sb.st_size = f.st_size;
	return true;
}

static int
open_new(struct store **out, const char *dir, unsigned flags, char *err)
{
	struct store *st;
	struct dbis_args dargs;
	struct env_args oargs;
	bool create = flags & STORE_CREATE;
	bool fresh;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	fault_handler_install();
	st->lockfd = -1;
	st->flags = flags;
	st->pid = getpid();
	st->refs = 1;
	if (snprintf(st->dir, sizeof(st->dir), "%s", dir) >=
	    (int)sizeof(st->dir)) {
		rc = err_set(err, ERR_INVAL, "store directory name too long");
		goto fail;
	}
	if ((rc = refuse_broken_lmdb(err)) < 0)
		goto fail;
	rc = check_path(dir, true, NULL, err);
	if (rc == ERR_NOTFOUND && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = err_set(err, ERR_UNAVAIL, "cannot create %s: %s",
			    dir, strerror(errno));
			goto fail;
		}
		rc = check_path(dir, true, NULL, err);
	}
	if (rc == ERR_NOTFOUND)
		rc = err_set(err, ERR_NOTFOUND, "no store in %s", dir);
	if (rc < 0)
		goto fail;
	oargs = (struct env_args){ dir, (flags & STORE_RDONLY) ? MDB_RDONLY : 0,
		create && !(flags & STORE_RDONLY), &st->env, &fresh, err };
	if ((rc = guarded(dir, &st->damaged, env_call, &oargs, err)) < 0)
		goto fail;
	dargs = (struct dbis_args){ st, fresh, NULL, err };
	rc = guarded(st->dir, &st->damaged, dbis_call, &dargs, err);
	end_read(dargs.txn, st->damaged);
	if (rc < 0)
		goto fail;
	if (stat(dir, &st->dir_sb) < 0 || stat_tokens(dir, &st->file_sb) < 0) {
		rc = err_set(err, ERR_UNAVAIL, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (fresh) {
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
	pthread_mutex_lock(&registry_mu);
	/*
	 * A handle inherited across fork() must never be touched: forget it,
	 * and give back the fault handlers it had replaced, so this process's
	 * own open does not take ours for the previous ones.
	 */
	if (registry != NULL && registry->pid != getpid()) {
		fault_handler_remove();
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
		else {
			registry->refs++;
			*out = registry;
		}
	} else if ((rc = open_new(out, dir, flags, err)) == 0)
		registry = *out;
	pthread_mutex_unlock(&registry_mu);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&registry_mu);
	/* The last close keeps the handle for the next open (see store_open).
	 */
	if (--st->refs == 0 && (registry != st || st->damaged)) {
		if (registry == st)
			registry = NULL;
		free_store(st);
	}
	pthread_mutex_unlock(&registry_mu);
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

size_t
store_mapsize(const struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	return info.me_mapsize;
}

static int
grow(MDB_env *env, const char *dir, char *err)
{
	MDB_envinfo info;
	size_t want;
	int rc;

	mdb_env_info(env, &info);
	if (info.me_mapsize >= MAP_MAX)
		return err_set(err, ERR_NOSPACE,
		    "%s: store is full (map size %zu bytes)", dir,
		    info.me_mapsize);
	want = info.me_mapsize * 2 > MAP_MAX ? MAP_MAX : info.me_mapsize * 2;
	if ((rc = mdb_env_set_mapsize(env, want)) != 0)
		return lmdb_error(err, dir, rc);
	return 0;
}

/* Begin a read transaction and run fn in it, for guarded(). */
static int
read_call(void *arg)
{
	struct txn_call *c = arg;
	int rc;

	if ((rc = begin(c->t->st->env, MDB_RDONLY, &c->t->txn)) != 0)
		return lmdb_error(c->err, c->t->st->dir, rc);
	return c->fn(c->t, c->ctx, c->err);
}

int
store_read(struct store *st, store_txn_fn fn, void *ctx, char *err)
{
	struct store_txn t = { .st = st };
	int rc;

	rc = guarded(st->dir, &st->damaged, read_call,
	    &(struct txn_call){ fn, &t, ctx, err }, err);
	end_read(t.txn, st->damaged);
	return rc;
}

int
store_write(struct store *st, store_txn_fn fn, void *ctx, char *err)
{
	struct store_txn t = { .st = st };
	int rc;

	if (st->flags & STORE_RDONLY)
		return err_set(err, ERR_PERM, "%s: store is open read-only",
		    st->dir);
	for (;;) {
		t.mapfull = false;
		if ((rc = begin(st->env, 0, &t.txn)) != 0)
			return lmdb_error(err, st->dir, rc);
		rc = guarded(st->dir, &st->damaged, txn_call,
		    &(struct txn_call){ fn, &t, ctx, err }, err);
		if (rc != 0) {
			mdb_txn_abort(t.txn);
			if (!t.mapfull)
				return rc;
		} else if ((rc = mdb_txn_commit(t.txn)) != 0) {
			/* A failed commit has already freed the txn. */
			if (rc != MDB_MAP_FULL)
				return lmdb_error(err, st->dir, rc);
		} else
			return 0;
		if ((rc = grow(st->env, st->dir, err)) < 0)
			return rc;
	}
}

/* Map an LMDB error inside a write txn, noting MAP_FULL so store_write retries.
 */
static int
txn_error(struct store_txn *t, int rc, char *err)
{
	if (rc == MDB_MAP_FULL)
		t->mapfull = true;
	return lmdb_error(err, t->st->dir, rc);
}

static MDB_val
mkval(const void *p, size_t n)
{
	MDB_val v = { n, (void *)p };
	return v;
}

static int
get_in(struct store_txn *t, const char *id, struct record *r, char *err)
{
	MDB_val k = mkval(id, strlen(id)), v;
	int rc;

	rc = mdb_get(t->txn, t->st->tokens, &k, &v);
	if (rc == MDB_NOTFOUND)
		return err_set(err, ERR_NOTFOUND, "no token with id %s", id);
	if (rc != 0)
		return lmdb_error(err, t->st->dir, rc);
	if ((rc = record_decode(v.mv_data, v.mv_size, r, err)) < 0)
		return rc;
	/* A damaged key must not hand back some other token's record. */
	if (strcmp(r->id, id) != 0) {
		memset(r, 0, sizeof(*r));
		return err_set(err, ERR_CORRUPT,
		    "%s: damaged store: key %s holds another record",
		    t->st->dir, id);
	}
	return 0;
}

int
store_txn_get(struct store_txn *t, const char *id, struct record *r, char *err)
{
	if (!token_id_valid(id))
		return err_set(err, ERR_NOTFOUND, "no token with id %s", id);
	return get_in(t, id, r, err);
}

struct get_ctx {
	const char *id;
	struct record *r;
};

static int
get_fn(struct store_txn *t, void *ctx, char *err)
{
	struct get_ctx *g = ctx;
	return store_txn_get(t, g->id, g->r, err);
}

int
store_get(struct store *st, const char *id, struct record *r, char *err)
{
	struct get_ctx g = { id, r };
	return store_read(st, get_fn, &g, err);
}

/* Index keys: "<name or user>\0<id>". */
static size_t
index_key(char *buf, const char *a, const char *id)
{
	size_t n = strlen(a);

	memcpy(buf, a, n + 1);
	memcpy(buf + n + 1, id, TOKEN_ID_LEN);
	return n + 1 + TOKEN_ID_LEN;
}

static int
index_change(struct store_txn *t, const struct record *r, bool add, char *err)
{
	char key[NAME_MAX_LEN + USER_MAX_LEN + TOKEN_ID_LEN + 2];
	MDB_val k, v = mkval(r->id, TOKEN_ID_LEN);
	uint8_t uidb[4];
	int rc = 0;

	k = mkval(key, index_key(key, r->user, r->id));
	rc = add ? mdb_put(t->txn, t->st->by_user, &k, &v, 0) :
	           mdb_del(t->txn, t->st->by_user, &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND) {
		k = mkval(key, index_key(key, r->name, r->id));
		rc = add ? mdb_put(t->txn, t->st->by_name, &k, &v, 0) :
		           mdb_del(t->txn, t->st->by_name, &k, NULL);
	}
	if ((rc == 0 || rc == MDB_NOTFOUND) && r->service_user && r->uid != 0 &&
	    !add) {
		be32(uidb, r->uid);
		k = mkval(uidb, 4);
		rc = mdb_del(t->txn, t->st->uids, &k, NULL);
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		return 0;
	return txn_error(t, rc, err);
}

int
store_txn_put(struct store_txn *t, const struct record *r, char *err)
{
	struct record old;
	uint8_t buf[RECORD_MAX_ENCODED], uidb[4];
	MDB_val k = mkval(r->id, TOKEN_ID_LEN), v;
	int n, rc;

	if (!token_id_valid(r->id))
		return err_set(err, ERR_INVAL, "invalid token id");
	if ((n = record_encode(r, buf, sizeof(buf))) < 0)
		return err_set(err, ERR_LIMIT, "record too large");
	rc = get_in(t, r->id, &old, err);
	if (rc == 0)
		rc = index_change(t, &old, false, err);
	else if (rc == ERR_NOTFOUND)
		rc = 0;
	if (rc < 0)
		return rc;
	v = mkval(buf, (size_t)n);
	if ((rc = mdb_put(t->txn, t->st->tokens, &k, &v, 0)) != 0)
		return txn_error(t, rc, err);
	/* Tombstones keep their id and uid reserved but leave the name indexes.
	 */
	if (r->status != STATUS_DELETED &&
	    (rc = index_change(t, r, true, err)) < 0)
		return rc;
	if (r->service_user && r->uid != 0) {
		be32(uidb, r->uid);
		k = mkval(uidb, 4);
		v = mkval(r->id, TOKEN_ID_LEN);
		if ((rc = mdb_put(t->txn, t->st->uids, &k, &v, 0)) != 0)
			return txn_error(t, rc, err);
	}
	return 0;
}

int
store_txn_del(struct store_txn *t, const char *id, char *err)
{
	struct record old;
	MDB_val k = mkval(id, strlen(id));
	int rc;

	if ((rc = store_txn_get(t, id, &old, err)) < 0)
		return rc;
	if ((rc = index_change(t, &old, false, err)) < 0)
		return rc;
	if ((rc = mdb_del(t->txn, t->st->tokens, &k, NULL)) != 0)
		return txn_error(t, rc, err);
	return 0;
}

/* Visit records named by an index range "<prefix>\0*". */
static int
visit_index(struct store_txn *t, MDB_dbi dbi, const char *prefix,
    store_visit_fn fn, void *ctx, char *err)
{
	char key[NAME_MAX_LEN + USER_MAX_LEN + 2], id[TOKEN_ID_LEN + 1];
	size_t plen = strlen(prefix) + 1;
	struct record r;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	if (plen > sizeof(key))
		return 0;
	memcpy(key, prefix, plen);
	k = mkval(key, plen);
	if ((rc = mdb_cursor_open(t->txn, dbi, &cur)) != 0)
		return lmdb_error(err, t->st->dir, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != plen + TOKEN_ID_LEN ||
		    memcmp(k.mv_data, key, plen) != 0)
			break;
		memcpy(id, (char *)k.mv_data + plen, TOKEN_ID_LEN);
		id[TOKEN_ID_LEN] = '\0';
		if ((rc = get_in(t, id, &r, err)) != 0 ||
		    (rc = fn(&r, ctx)) != 0)
			goto out;
	}
	rc = (rc == MDB_NOTFOUND || rc == 0) ? 0 :
	                                       lmdb_error(err, t->st->dir, rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
store_txn_list(struct store_txn *t, const char *user, store_visit_fn fn,
    void *ctx, char *err)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct record r;
	int rc;

	if (user != NULL)
		return visit_index(t, t->st->by_user, user, fn, ctx, err);
	if ((rc = mdb_cursor_open(t->txn, t->st->tokens, &cur)) != 0)
		return lmdb_error(err, t->st->dir, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = record_decode(v.mv_data, v.mv_size, &r, err)) != 0 ||
		    (rc = fn(&r, ctx)) != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_error(err, t->st->dir, rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
store_txn_by_name(struct store_txn *t, const char *name, store_visit_fn fn,
    void *ctx, char *err)
{
	return visit_index(t, t->st->by_name, name, fn, ctx, err);
}

int
store_txn_by_uid(struct store_txn *t, uint32_t uid, char id[TOKEN_ID_LEN + 1],
    char *err)
{
	uint8_t b[4];
	MDB_val k, v;
	int rc;

	be32(b, uid);
	k = mkval(b, 4);
	rc = mdb_get(t->txn, t->st->uids, &k, &v);
	if (rc == MDB_NOTFOUND)
		return ERR_NOTFOUND;
	if (rc != 0)
		return lmdb_error(err, t->st->dir, rc);
	if (v.mv_size != TOKEN_ID_LEN)
		return err_set(err, ERR_CORRUPT, "%s: damaged uid index",
		    t->st->dir);
	memcpy(id, v.mv_data, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	return 0;
}

int
store_txn_next_uid(struct store_txn *t, uint32_t min, uint32_t max,
    int (*uid_free)(uint32_t uid), uint32_t *uid, char *err)
{
	char id[TOKEN_ID_LEN + 1];
	uint8_t b[4];
	MDB_val k = next_uid_key, v;
	uint32_t next = min;
	int rc;

	rc = mdb_get(t->txn, t->st->meta, &k, &v);
	if (rc == 0 && v.mv_size == 4 && get_be32(v.mv_data) > next)
		next = get_be32(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_error(err, t->st->dir, rc);
	for (; next <= max && next >= min; next++) {
		rc = store_txn_by_uid(t, next, id, err);
		if (rc == ERR_NOTFOUND && (uid_free == NULL || uid_free(next)))
			break;
		if (rc < 0 && rc != ERR_NOTFOUND)
			return rc;
	}
	if (next > max || next < min)
		return err_set(err, ERR_LIMIT,
		    "no free uid left in the service user range %u-%u", min,
		    max);
	*uid = next;
	be32(b, next + 1);
	v = mkval(b, 4);
	if ((rc = mdb_put(t->txn, t->st->meta, &k, &v, 0)) != 0)
		return txn_error(t, rc, err);
	return 0;
}

struct usage_open {
	struct store *st;
	MDB_txn *txn;
	char *err;
};

static int
usage_env_open(void *arg)
{
	struct usage_open *a = arg;
	struct store *st = a->st;
	char *err = a->err;
	bool fresh;
	int rc;

	/* Statistics only: never fsync, so logins never wait on the disk. */
	rc = open_env(st->dir, USAGE_FILE, MDB_NOSYNC, true, true, &st->uenv,
	    &fresh, err);
	if (rc < 0)
		return rc;
	/* A write transaction only the first time, to create the table. */
	for (int create = 0; create < 2; create++) {
		if ((rc = begin(st->uenv, create ? 0 : MDB_RDONLY, &a->txn)) !=
		    0)
			break;
		if ((rc = mdb_dbi_open(a->txn, "usage", create ? MDB_CREATE : 0,
		         &st->usage)) != 0)
			mdb_txn_abort(a->txn);
		else
			rc = mdb_txn_commit(a->txn);
		a->txn = NULL;
		if (rc != MDB_NOTFOUND)
			break;
	}
	if (rc != 0) {
		mdb_env_close(st->uenv);
		st->uenv = NULL;
		return lmdb_error(err, st->dir, rc);
	}
	return 0;
}

static int
usage_env(struct store *st, char *err)
{
	struct usage_open a = { st, NULL, err };
	int rc = 0;

	/*
	 * Threads share the handle, so two first logins can race here; a second
	 * open of the same environment in one process may take its lock file
	 * for unused and reset it under every reader.  One opens, under the
	 * registry's mutex; the rest find it open.
	 */
	pthread_mutex_lock(&registry_mu);
	if (st->uenv == NULL) {
		rc = guarded(st->dir, &st->udamaged, usage_env_open, &a, err);
		if (st->udamaged) {
			abandon(st->uenv, a.txn);
			st->uenv = NULL;
		}
	}
	pthread_mutex_unlock(&registry_mu);
	return rc;
}

struct usage_read {
	struct store *st;
	MDB_txn *txn;
	const char *id;
	struct usage *u;
	char *err;
	bool write;
};

/*
 * Begin a transaction (a write one when a->write), then read and decode the
 * usage entry of id; a missing one reads as zeros.
 */
static int
usage_read(void *arg)
{
	struct usage_read *a = arg;
	MDB_val k = mkval(a->id, strlen(a->id)), v;
	int rc;

	memset(a->u, 0, sizeof(*a->u));
	if ((rc = begin(a->st->uenv, a->write ? 0 : MDB_RDONLY, &a->txn)) != 0)
		return lmdb_error(a->err, a->st->dir, rc);
	rc = mdb_get(a->txn, a->st->usage, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_error(a->err, a->st->dir, rc);
	return usage_decode(v.mv_data, v.mv_size, a->u, a->err);
}

int
store_usage_get(struct store *st, const char *id, struct usage *u, char *err)
{
	struct usage_read a = { st, NULL, id, u, err, false };
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = usage_env(st, err)) < 0)
		return rc;
	rc = guarded(st->dir, &st->udamaged, usage_read, &a, err);
	end_read(a.txn, st->udamaged);
	return rc;
}

int
store_usage_update(struct store *st, const char *id,
    int (*fn)(struct usage *u, void *ctx), void *ctx, char *err)
{
	MDB_txn *txn;
	MDB_val k = mkval(id, strlen(id)), v;
	struct usage u;
	struct usage_read a = { st, NULL, id, &u, err, true };
	uint8_t buf[512];
	int rc, mrc, n;

	if ((rc = usage_env(st, err)) < 0)
		return rc;
	for (;;) {
		a.txn = NULL;
		rc = guarded(st->dir, &st->udamaged, usage_read, &a, err);
		if (st->udamaged) {
			/*
			 * The write transaction holds the usage writer lock:
			 * keep it and every other login's usage write waits for
			 * this process to exit (login(1) lives as long as the
			 * session).  The fault was in a read, nothing is
			 * written yet, and abort touches only the lock page
			 * that taking the lock already touched.
			 */
			if (a.txn != NULL)
				mdb_txn_abort(a.txn);
			return rc;
		}
		if ((txn = a.txn) == NULL)
			return rc;
		/* A record that only fails to decode is replaced rather than
		 * blocking logins. */
		if (rc < 0)
			memset(&u, 0, sizeof(u));
		if ((rc = fn(&u, ctx)) != 0) {
			mdb_txn_abort(txn);
			return rc > 0 ? 0 : rc;
		}
		n = usage_encode(&u, buf, sizeof(buf));
		v = mkval(buf, (size_t)n);
		if ((mrc = mdb_put(txn, st->usage, &k, &v, 0)) != 0)
			mdb_txn_abort(txn);
		else
			mrc = mdb_txn_commit(txn);
		if (mrc == 0)
			return 0;
		if (mrc != MDB_MAP_FULL)
			return lmdb_error(err, st->dir, mrc);
		if ((rc = grow(st->uenv, st->dir, err)) < 0)
			return rc;
	}
}

int
store_usage_del(struct store *st, const char *id, char *err)
{
	MDB_txn *txn;
	MDB_val k = mkval(id, strlen(id));
	int rc;

	if ((rc = usage_env(st, err)) < 0)
		return rc;
	if ((rc = begin(st->uenv, 0, &txn)) != 0)
		return lmdb_error(err, st->dir, rc);
	rc = mdb_del(txn, st->usage, &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		return (rc = mdb_txn_commit(txn)) == 0 ?
		    0 :
		    lmdb_error(err, st->dir, rc);
	mdb_txn_abort(txn);
	return lmdb_error(err, st->dir, rc);
}

int
store_lock(struct store *st, char *err)
{
	char path[PATH_MAX + 16];
	int rc;

	if (st->lockfd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", st->dir, LOCK_FILE);
	st->lockfd =
	    open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return err_set(err, ERR_UNAVAIL, "%s: %s", path,
		    strerror(errno));
	if ((rc = check_path(path, false, NULL, err)) < 0)
		goto fail;
	while (flock(st->lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			rc = err_set(err, ERR_UNAVAIL, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
	return 0;
fail:
	close(st->lockfd);
	st->lockfd = -1;
	return rc;
}

void
store_unlock(struct store *st)
{
	if (st->lockfd >= 0) {
		close(st->lockfd);
		st->lockfd = -1;
	}
}
