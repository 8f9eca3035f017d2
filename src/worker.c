/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The per-database background worker: its settings, main loop and
 *		status.
 *
 * The loop (after pg_cron's): wait on the latch with a timeout of
 * dynamo_streams.worker_naptime or less, CHECK_FOR_INTERRUPTS, reread the
 * configuration on SIGHUP, then run every job that is due (worker_jobs.c),
 * each in transactions of its own.  Committing backends set the latch
 * (worker_find.c), so the pump runs within milliseconds of a commit; the
 * timeout is the fallback for writes that do not wake it.
 *
 * Errors.  A job's error is caught, logged, recorded in the status and
 * answered with a back-off of 2^failures seconds (at most 60) for that job;
 * the worker itself never exits on a job's error, so it cannot crash-loop.
 *
 * Stopping.  SIGTERM (dynamo.stop(), pg_terminate_backend, shutdown) sets
 * a flag; the worker finishes the step it is in and exits with code 0, so
 * the postmaster does not restart it.  A crash (exit code 1 or a signal)
 * restarts it after bgw_restart_time.
 *
 * Status.  The worker reports a one-line JSON object as its activity text
 * (pg_stat_activity.query), read by the view dynamo.status: state,
 * started_at, woke_at, the last success and running total of each job,
 * the latest error (job, time, message of at most 120 bytes, so that the
 * object stays within track_activity_query_size), and caught_up_at (when
 * the pump last had nothing left).  Times are epoch seconds with
 * microseconds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dynamo_streams.h"
#include "http.h"
#include "worker.h"

int			dynamo_worker_naptime = 500;
int			dynamo_worker_ttl_interval = 10;
int			dynamo_worker_ttl_max_items = 1000;
int			dynamo_worker_trim_interval = 60;
int			dynamo_worker_pump_max_changes = 1000;
char	   *dynamo_worker_databases = NULL;

bool		dynamo_am_worker = false;
volatile sig_atomic_t dynamo_worker_stop_requested = false;

static TimestampTz started_at;
static TimestampTz woke_at;

/* Define the worker's settings (called by _PG_init). */
void
dynamo_worker_define_settings(void)
{
	DefineCustomIntVariable("dynamo_streams.worker_naptime",
							"Longest wait of the background worker between two runs of the pump, in milliseconds.",
							"Commits that write item tables wake it at once; this bounds the delay for other writes.",
							&dynamo_worker_naptime, 500, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.ttl_interval",
							"Seconds between two TTL sweeps of the background worker.",
							NULL,
							&dynamo_worker_ttl_interval, 10, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.ttl_max_items",
							"Most expired items one TTL sweep of the background worker deletes (in transactions of 100).",
							NULL,
							&dynamo_worker_ttl_max_items, 1000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.trim_interval",
							"Seconds between two retention trims (dynamo.trim()) of the background worker.",
							NULL,
							&dynamo_worker_trim_interval, 60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.pump_max_changes",
							"Most changes one step of the background worker's pump reads from the slot.",
							NULL,
							&dynamo_worker_pump_max_changes, 1000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	/* PGC_POSTMASTER settings can be defined only while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomStringVariable("dynamo_streams.databases",
							   "Databases whose background worker starts with the server (comma-separated; needs shared_preload_libraries).",
							   NULL,
							   &dynamo_worker_databases, "",
							   PGC_POSTMASTER, GUC_LIST_INPUT, NULL, NULL, NULL);
}

/* SIGTERM: finish the current step, then exit with code 0. */
static void
worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	dynamo_worker_stop_requested = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* Append "key": epoch seconds (or null) to a JSON object being built. */
static void
append_time(StringInfo buf, const char *key, TimestampTz t)
{
	appendStringInfo(buf, ",\"%s\":", key);
	if (t == 0)
		appendStringInfoString(buf, "null");
	else
		appendStringInfo(buf, "%.6f",
						 (double) (t - SetEpochTimestamp()) / USECS_PER_SEC);
}

/* Publish the status as the activity text (see the file header). */
static void
report_status(const char *state)
{
	StringInfoData buf;
	DynamoWorkerJob *last_error = &dynamo_worker_jobs[0];
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"state\":\"%s\"", state);
	append_time(&buf, "started_at", started_at);
	append_time(&buf, "woke_at", woke_at);
	append_time(&buf, "caught_up_at", dynamo_worker_caught_up_at);
	for (i = 0; i < dynamo_worker_njobs; i++)
	{
		DynamoWorkerJob *job = &dynamo_worker_jobs[i];
		char		key[64];

		snprintf(key, sizeof(key), "%s_at", job->name);
		append_time(&buf, key, job->last_ok);
		appendStringInfo(&buf, ",\"%s_total\":" INT64_FORMAT, job->name, job->total);
		if (job->last_error_at > last_error->last_error_at)
			last_error = job;
	}
	appendStringInfoString(&buf, ",\"error_job\":");
	if (last_error->last_error_at == 0)
		appendStringInfoString(&buf, "null");
	else
		escape_json(&buf, last_error->name);
	append_time(&buf, "error_at", last_error->last_error_at);
	appendStringInfoString(&buf, ",\"error\":");
	if (last_error->last_error_at == 0)
		appendStringInfoString(&buf, "null");
	else
		escape_json(&buf, last_error->last_error);
	appendStringInfoChar(&buf, '}');
	pgstat_report_activity(strcmp(state, "idle") == 0 ? STATE_IDLE : STATE_RUNNING,
						   buf.data);
	pfree(buf.data);
}

/* Record a job's error (already logged) and schedule its back-off. */
static void
job_failed(DynamoWorkerJob *job, ErrorData *edata)
{
	int			backoff;
	const char *msg;
	int			len;

	job->failures++;
	job->last_error_at = GetCurrentTimestamp();
	msg = edata->message ? edata->message : "unknown error";
	len = pg_mbcliplen(msg, strlen(msg), sizeof(job->last_error) - 1);
	memcpy(job->last_error, msg, len);
	job->last_error[len] = '\0';
	backoff = job->failures >= 6 ? 60 : (1 << job->failures);
	job->next_due = TimestampTzPlusMilliseconds(job->last_error_at, backoff * 1000);
}

/*
 * Run one job until it has nothing more (at most a few rounds, so that the
 * other jobs and SIGTERM get their turn), catching its errors.
 */
static void
run_job(DynamoWorkerJob *job, MemoryContext loopcxt)
{
	bool		more = true;
	int			rounds = 0;

	report_status(job->name);
	job->last_run = GetCurrentTimestamp();
	PG_TRY();
	{
		while (more && rounds++ < 10 && !dynamo_worker_stop_requested)
		{
			more = false;
			job->total += job->run(&more);
			CHECK_FOR_INTERRUPTS();
		}
		job->last_ok = GetCurrentTimestamp();
		job->failures = 0;
		job->last_error[0] = '\0';
		if (job->interval_s != NULL)
			job->next_due = TimestampTzPlusMilliseconds(job->last_run,
														*job->interval_s * 1000);
		else
			job->next_due = 0;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(loopcxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		job_failed(job, edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/* Take this database's worker lock, or return false if another holds it. */
static bool
take_worker_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, DYNAMO_WORKER_LOCK_KEY1,
						 DYNAMO_WORKER_LOCK_KEY2, 2);
	return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * The start of every dynamo_streams background worker of a database (the
 * worker, the HTTP push worker): read its DynamoWorkerArgs from bgw_extra,
 * take SIGTERM and SIGHUP, connect to its database as its role.
 */
void
dynamo_bgworker_connect(DynamoWorkerArgs *args, pqsigfunc on_sigterm, const char *backend_type)
{
	memcpy(args, MyBgworkerEntry->bgw_extra, sizeof(*args));
	dynamo_am_worker = true;
	pqsignal(SIGTERM, on_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	if (OidIsValid(args->dboid))
		BackgroundWorkerInitializeConnectionByOid(args->dboid, args->roleoid, 0);
	else
		BackgroundWorkerInitializeConnection(args->dbname, NULL, 0);
	pgstat_report_appname(backend_type);
}

/* Entry point of the per-database worker (bgw_extra: DynamoWorkerArgs). */
void
dynamo_worker_main(Datum arg)
{
	DynamoWorkerArgs args;
	MemoryContext loopcxt;
	bool		locked;

	dynamo_bgworker_connect(&args, worker_sigterm, DYNAMO_WORKER_TYPE);

	StartTransactionCommand();
	locked = take_worker_lock();
	CommitTransactionCommand();
	if (!locked)
	{
		ereport(LOG,
				errmsg("dynamo_streams worker of database %u exits: another is running",
					   MyDatabaseId));
		proc_exit(0);
	}
	started_at = GetCurrentTimestamp();
	ereport(LOG, errmsg("dynamo_streams worker started for database %u", MyDatabaseId));
	dynamo_http_worker_launch(&args);	/* push delivery (http_worker.c) */

	loopcxt = AllocSetContextCreate(TopMemoryContext, "dynamo_streams worker loop",
									ALLOCSET_DEFAULT_SIZES);
	while (!dynamo_worker_stop_requested)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		timeout = dynamo_worker_naptime;
		int			i;
		int			rc;

		MemoryContextSwitchTo(loopcxt);
		for (i = 0; i < dynamo_worker_njobs && !dynamo_worker_stop_requested; i++)
		{
			DynamoWorkerJob *job = &dynamo_worker_jobs[i];

			if (job->next_due <= now)
				run_job(job, loopcxt);
			MemoryContextReset(loopcxt);
		}
		now = GetCurrentTimestamp();
		for (i = 0; i < dynamo_worker_njobs; i++)
		{
			long		ms = (long) ((dynamo_worker_jobs[i].next_due - now) / 1000);

			if (dynamo_worker_jobs[i].next_due > now && ms < timeout)
				timeout = Max(ms, 1);
		}
		report_status("idle");
		if (dynamo_worker_stop_requested)
			break;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (rc & WL_LATCH_SET)
			woke_at = GetCurrentTimestamp();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
	report_status("stopping");
	dynamo_http_worker_shutdown();
	ereport(LOG, errmsg("dynamo_streams worker of database %u stopped", MyDatabaseId));
	proc_exit(0);
}
