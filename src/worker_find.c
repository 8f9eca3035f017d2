/*-------------------------------------------------------------------------
 *
 * worker_find.c
 *		Finding a database's worker, and waking it when a transaction
 *		that wrote an item table commits.
 *
 * Finding.  There is no shared memory of our own (see worker.h): the
 * worker is the backend whose status entry is a background worker of this
 * database with bgw_type DYNAMO_WORKER_TYPE.  Reading the status array
 * copies it (O(max_connections)), so callers that do it often cache the pid.
 *
 * Waking.  The item API (dynamo_item_table) and the _item_guard trigger
 * call dynamo_worker_note_write(); a transaction callback then sets the
 * worker's latch (its PGPROC's procLatch) once the transaction has
 * committed, if it had an xid (wrote something).  The pid is cached per
 * backend and looked up again at most once a second while it is unknown or
 * gone (dynamo.start() and dynamo.stop() refresh it too).  A prepared
 * transaction does not wake it.  A write that goes through neither (a plain SQL DELETE in a session
 * that never loaded the library) is seen at the worker's next poll
 * (dynamo_streams.worker_naptime).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/timestamp.h"

#include "dynamo_streams.h"
#include "worker.h"

static pid_t cached_pid = 0;
static Oid	cached_db = InvalidOid;
static TimestampTz last_lookup = 0;
static bool wrote_item_table = false;
static bool wake_at_commit = false;
static bool callback_registered = false;

/* Is pid a dynamo_streams worker (by its registered bgw_type)? */
static bool
is_dynamo_worker(pid_t pid)
{
	const char *type = GetBackgroundWorkerTypeByPid(pid);

	return type != NULL && strcmp(type, DYNAMO_WORKER_TYPE) == 0;
}

/*
 * The pid of the worker of database dboid, or 0.  Needs a transaction.
 * fresh: drop this transaction's copy of the status array first (which
 * also drops its statistics snapshot), to see a worker that just started.
 */
pid_t
dynamo_worker_find(Oid dboid, bool fresh)
{
	int			n;
	int			i;
	pid_t		found = 0;

	if (fresh)
		pgstat_clear_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n && found == 0; i++)
	{
		LocalPgBackendStatus *l = DYNAMO_LOCAL_BEENTRY(i);
		PgBackendStatus *be;

		if (l == NULL)
			continue;
		be = &l->backendStatus;
		if (be->st_backendType == B_BG_WORKER && be->st_databaseid == dboid &&
			be->st_procpid != MyProcPid && is_dynamo_worker(be->st_procpid))
			found = be->st_procpid;
	}
	if (dboid == MyDatabaseId)
	{
		/* what start() and stop() find is the freshest answer */
		cached_db = dboid;
		cached_pid = found;
		last_lookup = GetCurrentTimestamp();
	}
	return found;
}

/* Transaction callback: wake the worker after a commit that wrote items. */
static void
worker_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			wake_at_commit = wrote_item_table &&
				GetTopTransactionIdIfAny() != InvalidTransactionId;
			break;
		case XACT_EVENT_COMMIT:
			if (wake_at_commit && cached_pid != 0)
			{
				PGPROC	   *proc = BackendPidGetProc(cached_pid);

				if (proc != NULL)
					SetLatch(&proc->procLatch);
				else
					cached_pid = 0;
			}
			wrote_item_table = false;
			wake_at_commit = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
			wrote_item_table = false;
			wake_at_commit = false;
			break;
		default:
			break;
	}
}

/* Register the transaction callback (from _PG_init; not in the worker). */
void
dynamo_worker_init_wakeup(void)
{
	if (callback_registered)
		return;
	RegisterXactCallback(worker_xact_callback, NULL);
	callback_registered = true;
}

/*
 * Note that the current transaction writes (or may write) an item table,
 * so that its commit wakes the worker.  Called inside a transaction.
 */
void
dynamo_worker_note_write(void)
{
	TimestampTz now;

	if (dynamo_am_worker || !callback_registered || !IsTransactionState())
		return;
	wrote_item_table = true;
	if (cached_pid != 0 && cached_db == MyDatabaseId)
		return;
	now = GetCurrentTimestamp();
	if (cached_db == MyDatabaseId &&
		!TimestampDifferenceExceeds(last_lookup, now, 1000))
		return;
	(void) dynamo_worker_find(MyDatabaseId, false);	/* sets the cache */
}
