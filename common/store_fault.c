/* SPDX-License-Identifier: ISC */
/*
 * store_fault.c - surviving a fault in LMDB's maps.
 *
 * LMDB 0.9 has no page checksums.  A damaged page can send it past the end
 * of the file through the map (SIGBUS), or past the map (SIGSEGV); and it
 * writes its lock file through a map, which on a full disk is SIGBUS too.
 * That must not kill the host process: sshd's auth child, a screen locker.
 * So while a store handle exists a handler is installed, and opening,
 * beginning a transaction and every read run under fault_guard(), which
 * turns such a fault into ERR_CORRUPT; the environment it happened in is
 * then abandoned, not closed (closing writes through the same map).  A
 * fault anywhere else (another thread, other code) gets the previous
 * handler back and recurs as if we had never been here.  Installed and
 * removed under store_registry_mu, with the one handle a process has.
 *
 * Why a callback, fault_guard(fn, arg), and not sigsetjmp inline in each
 * caller: after siglongjmp, every automatic variable of the function that
 * called sigsetjmp and changed since is indeterminate unless volatile
 * (C11 7.13.2.1), and the callers are exactly the functions that must look
 * at their transaction and environment pointers after a fault.  Here the
 * frame that calls sigsetjmp reads nothing after a jump that it changed
 * since; what the caller needs after a fault (the txn, the env) is stored
 * through arg, in memory that keeps its last value.  So each guarded step is a
 * small thunk taking its arguments in a struct (txn_call, open_call,
 * usage_call).
 *
 * Why the handlers stay installed for the life of a handle, not only
 * around each guarded call: sigaction is process-wide, so with threads one
 * thread's removal would expose another's guarded read, and counting them
 * under a mutex would serialise the reads that share a handle; it would
 * also cost a few system calls per read.  The handler passes every fault
 * it did not cause on, so being installed longer costs the host nothing,
 * except that a host which itself handles SIGSEGV (a JVM, a garbage
 * collector) gets its handler back on its first fault and keeps it: the
 * guard is off from then on.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "err.h"
#include "store_int.h"

static __thread sigjmp_buf *fault_jb;
static struct sigaction prev_bus, prev_segv;

static void
on_fault(int sig)
{
	if (fault_jb != NULL)
		siglongjmp(*fault_jb, sig);
	sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
}

void
fault_install(void)
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

void
fault_remove(void)
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
int
fault_guard(const char *dir, bool *damaged, int (*fn)(void *), void *arg,
    char *err)
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

void
fault_abandon(MDB_env *env, MDB_txn *txn)
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
void
fault_end_read(MDB_txn *txn, bool damaged)
{
	if (txn == NULL)
		return;
	if (damaged)
		fault_abandon(NULL, txn);
	else
		mdb_txn_abort(txn);
}
