/*-------------------------------------------------------------------------
 *
 * worker_sql.c
 *		dynamo.start() and dynamo.stop(), and the launcher that starts the
 *		workers of dynamo_streams.databases with the server.
 *
 * dynamo.start() registers a dynamic background worker for the current
 * database, running as the calling role, and waits until it shows in
 * pg_stat_activity, so that a second call finds it and returns the same pid.
 * Concurrent calls in one database are serialised by a transaction advisory
 * lock.  It needs no shared_preload_libraries.  bgw_restart_time makes the
 * postmaster restart a worker that crashed, including after a crash
 * restart of the whole server; it does not survive a server restart.
 *
 * The launcher (only under shared_preload_libraries) is a static worker
 * without a database that registers one worker per database named in
 * dynamo_streams.databases, running as the bootstrap superuser, and exits.
 * A database where the extension is not installed gets an idle worker.
 *
 * dynamo.stop() sends SIGTERM, waits until the worker has exited, and with
 * drop_slot drops the pump's slot ("dynamo_pump_<database oid>") afterwards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "dynamo_streams.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(dynamo_worker_start);
PG_FUNCTION_INFO_V1(dynamo_worker_stop);

/* Seconds that start() and stop() wait for the worker. */
#define WORKER_WAIT_SECONDS 30

/* The handle of the worker this backend registered last. */
static BackgroundWorkerHandle *handle = NULL;

/* Fill in the common fields of a worker's registration. */
static void
worker_struct(BackgroundWorker *w, const char *function, const char *type)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->bgw_library_name, BGW_MAXLEN, "dynamo_streams");
	snprintf(w->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(w->bgw_type, BGW_MAXLEN, "%s", type);
	snprintf(w->bgw_name, BGW_MAXLEN, "%s", type);
}

/*
 * Register a per-database worker; with wait, wait until it has started and
 * set *pid.  Returns false when no slot is free (max_worker_processes).
 */
bool
dynamo_worker_register(const DynamoWorkerArgs *args, bool wait, pid_t *pid)
{
	BackgroundWorker w;

	worker_struct(&w, "dynamo_worker_main", DYNAMO_WORKER_TYPE);
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = 5;
	snprintf(w.bgw_name, BGW_MAXLEN, "%s %s", DYNAMO_WORKER_TYPE, args->dbname);
	memcpy(w.bgw_extra, args, sizeof(*args));
	w.bgw_notify_pid = wait ? MyProcPid : 0;
	if (!RegisterDynamicBackgroundWorker(&w, wait ? &handle : NULL))
		return false;
	if (wait && WaitForBackgroundWorkerStartup(handle, pid) != BGWH_STARTED)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				errmsg("the dynamo_streams worker did not start"),
				errhint("See the server log."));
	return true;
}

/* Sleep a little, waking for interrupts. */
static void
nap(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * The worker connects as roleid, which must be allowed to log in (before
 * PostgreSQL 17 a background worker cannot bypass that check; failing it
 * there would make the worker exit and restart forever).
 */
static void
require_login(Oid roleid)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	bool		canlogin;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", roleid);
	canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!canlogin)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				errmsg("role \"%s\" is not permitted to log in", GetUserNameFromId(roleid, false)),
				errdetail("The dynamo_streams worker runs as the role that starts it."),
				errhint("Start it as a role with LOGIN."));
}

/*
 * FUNCTION dynamo.start() RETURNS integer: the pid of this database's
 * worker, started if it was not running.
 */
Datum
dynamo_worker_start(PG_FUNCTION_ARGS)
{
	DynamoWorkerArgs args;
	pid_t		pid;
	int			waited;

	/* one start at a time per database (released at transaction end) */
	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(DYNAMO_WORKER_LOCK_KEY1),
						Int32GetDatum((int32) MyDatabaseId));
	pid = dynamo_worker_find(MyDatabaseId, true);
	if (pid != 0)
		PG_RETURN_INT32(pid);

	require_login(GetUserId());
	memset(&args, 0, sizeof(args));
	args.dboid = MyDatabaseId;
	args.roleoid = GetUserId();
	strlcpy(args.dbname, get_database_name(MyDatabaseId), sizeof(args.dbname));
	if (!dynamo_worker_register(&args, true, &pid))
		ereport(ERROR,
				errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("could not register the dynamo_streams worker"),
				errdetail("All max_worker_processes (%d) background worker slots are in use.",
						  max_worker_processes),
				errhint("Raise max_worker_processes (needs a restart), or stop another background worker."));
	/* wait until it shows in pg_stat_activity (or has exited) */
	for (waited = 0; waited < WORKER_WAIT_SECONDS * 100; waited++)
	{
		if (dynamo_worker_find(MyDatabaseId, true) == pid)
			break;
		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("the dynamo_streams worker exited at once"),
					errhint("See the server log."));
		nap(10);
	}
	PG_RETURN_INT32(pid);
}

/*
 * Drop the pump's slot if it exists; true if it did.  The stream log's
 * dynamo._pump_drop_slot() also drops the pump's replication origin; where
 * it is missing, the slot is dropped by name.
 */
static bool
drop_slot(char **name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		dropped;
	bool		isnull;
	int			rc;

	*name = psprintf("%s%u", DYNAMO_PUMP_SLOT_PREFIX, MyDatabaseId);
	values[0] = CStringGetTextDatum(*name);
	SPI_connect();
	rc = SPI_execute("SELECT pg_catalog.to_regprocedure('dynamo._pump_drop_slot()') IS NOT NULL",
					 true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up dynamo._pump_drop_slot()");
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		rc = SPI_execute("SELECT 1 WHERE dynamo._pump_drop_slot()", false, 0);
	else
		rc = SPI_execute_with_args("SELECT pg_catalog.pg_drop_replication_slot(slot_name)"
								   " FROM pg_catalog.pg_replication_slots"
								   " WHERE slot_name OPERATOR(pg_catalog.=) $1",
								   1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not drop slot %s", *name);
	dropped = SPI_processed > 0;
	SPI_finish();
	return dropped;
}

/*
 * FUNCTION dynamo.stop(drop_slot boolean DEFAULT false) RETURNS boolean:
 * stop this database's worker and wait until it has exited; true if one
 * was running.  With drop_slot, then drop the pump's slot.
 */
Datum
dynamo_worker_stop(PG_FUNCTION_ARGS)
{
	bool		want_drop = !PG_ARGISNULL(0) && PG_GETARG_BOOL(0);
	pid_t		pid;
	bool		was_running = false;
	int			waited;
	char	   *slot;

	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(DYNAMO_WORKER_LOCK_KEY1),
						Int32GetDatum((int32) MyDatabaseId));
	while ((pid = dynamo_worker_find(MyDatabaseId, true)) != 0)
	{
		was_running = true;
		if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("could not signal the dynamo_streams worker (pid %d): %m", (int) pid));
		for (waited = 0; BackendPidGetProc(pid) != NULL; waited++)
		{
			if (waited >= WORKER_WAIT_SECONDS * 100)
				ereport(ERROR,
						errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						errmsg("the dynamo_streams worker (pid %d) did not stop within %d seconds",
							   (int) pid, WORKER_WAIT_SECONDS));
			nap(10);
		}
	}
	if (!was_running)
		ereport(NOTICE,
				errmsg("the dynamo_streams worker of database \"%s\" is not running",
					   get_database_name(MyDatabaseId)));
	if (want_drop && drop_slot(&slot))
		ereport(NOTICE,
				errmsg("dropped the pump's replication slot"),
				errdetail("The slot was \"%s\".", slot));
	PG_RETURN_BOOL(was_running);
}

/* Register the launcher (from _PG_init, under shared_preload_libraries). */
void
dynamo_worker_register_launcher(void)
{
	BackgroundWorker w;

	worker_struct(&w, "dynamo_launcher_main", DYNAMO_LAUNCHER_TYPE);
	w.bgw_flags = BGWORKER_SHMEM_ACCESS;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	RegisterBackgroundWorker(&w);
}

/* The launcher: register a worker per database of dynamo_streams.databases. */
void
dynamo_launcher_main(Datum arg)
{
	char	   *raw;
	List	   *names = NIL;
	ListCell   *lc;

	BackgroundWorkerUnblockSignals();
	raw = pstrdup(dynamo_worker_databases ? dynamo_worker_databases : "");
	if (!SplitIdentifierString(raw, ',', &names))
	{
		ereport(LOG,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid list syntax in dynamo_streams.databases"));
		proc_exit(0);
	}
	foreach(lc, names)
	{
		DynamoWorkerArgs args;

		memset(&args, 0, sizeof(args));
		strlcpy(args.dbname, (char *) lfirst(lc), sizeof(args.dbname));
		if (!dynamo_worker_register(&args, false, NULL))
			ereport(LOG,
					errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("could not register the dynamo_streams worker of database \"%s\"",
						   args.dbname),
					errhint("Raise max_worker_processes."));
	}
	proc_exit(0);
}
