/*-------------------------------------------------------------------------
 *
 * worker_jobs.c
 *		The jobs of the background worker: the pump, TTL sweeps and
 *		retention trims, each in transactions of its own.
 *
 * Each job's run function does one round and says whether more is waiting;
 * worker.c calls it again (a few rounds per wake), catches its errors and
 * schedules it.  A job does nothing in a database where the extension is
 * not installed.
 *
 * The pump job calls the stream log's C entry points (src/pump.h):
 * dynamo_pump_ensure_slot, then dynamo_pump_step in the transaction
 * pump_run opens.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dynamo_streams.h"
#include "http.h"
#include "ttl.h"
#include "worker.h"

#include "pump.h"

/* One pump step: create the slot if missing, then read from it. */
static int64
pump_step(int64 max_changes, bool *more)
{
	(void) dynamo_pump_ensure_slot();	/* the transaction has not written */
	return dynamo_pump_step(max_changes, more);
}

TimestampTz dynamo_worker_caught_up_at = 0;

/* Start a job's transaction; false (and no transaction) without the extension. */
static bool
job_begin(void)
{
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("dynamo_streams", true)))
	{
		CommitTransactionCommand();
		return false;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	return true;
}

/* Commit a job's transaction. */
static void
job_end(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Does the function named by signature exist?  Needs SPI. */
static bool
function_exists(const char *signature)
{
	char	   *q = psprintf("SELECT pg_catalog.to_regprocedure(%s) IS NOT NULL",
							 quote_literal_cstr(signature));
	bool		isnull;
	bool		found;

	if (SPI_execute(q, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up %s", signature);
	found = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
	return found && !isnull;
}


/* The pump job: one step in a transaction of its own. */
static int64
pump_run(bool *more)
{
	int64		n;

	if (!job_begin())
		return 0;
	n = pump_step(dynamo_worker_pump_max_changes, more);
	if (n > 0)
		dynamo_http_worker_wake();	/* new records for push delivery */
	job_end();
	if (!*more)
		dynamo_worker_caught_up_at = GetCurrentTimestamp();
	return n;
}

/*
 * The TTL job: delete expired items, DYNAMO_TTL_BATCH per transaction, at
 * most dynamo_streams.ttl_max_items, with the TTL replication origin set
 * up for the session meanwhile (ttl.h).  Returns at once when a CALL
 * dynamo.sweep_ttl() of this database holds the sweep lock.
 */
static int64
ttl_run(bool *more)
{
	int64		deleted = 0;
	int64		n = 0;
	bool		begun;

	if (!job_begin())
		return 0;
	begun = dynamo_ttl_origin_begin();
	job_end();
	if (!begun)
		return 0;
	PG_TRY();
	{
		do
		{
			if (!job_begin())
				break;
			n = dynamo_ttl_sweep(Min(DYNAMO_TTL_BATCH,
									 dynamo_worker_ttl_max_items - deleted));
			job_end();
			deleted += n;
			CHECK_FOR_INTERRUPTS();
		} while (n > 0 && deleted < dynamo_worker_ttl_max_items &&
				 !dynamo_worker_stop_requested);
	}
	PG_FINALLY();
	{
		dynamo_ttl_origin_end();
	}
	PG_END_TRY();
	return deleted;
}

/* The trim job: SELECT dynamo.trim() if the function exists. */
static int64
trim_run(bool *more)
{
	int64		n = 0;

	if (!job_begin())
		return 0;
	SPI_connect();
	if (function_exists("dynamo.trim()"))
	{
		if (SPI_execute("SELECT dynamo.trim()", false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dynamo.trim failed");
		n = 1;
	}
	SPI_finish();
	job_end();
	return n;
}

/* The job table, run in this order at each wake when due. */
DynamoWorkerJob dynamo_worker_jobs[] = {
	{"pump", NULL, pump_run},
	{"ttl", &dynamo_worker_ttl_interval, ttl_run},
	{"trim", &dynamo_worker_trim_interval, trim_run},
};
const int	dynamo_worker_njobs = lengthof(dynamo_worker_jobs);
