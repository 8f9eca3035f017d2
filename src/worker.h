/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The background worker: one per database, running the pump, TTL
 *		sweeps and retention trims (src/worker*.c).
 *
 * worker.c		the process: main loop, signals, status reporting
 * worker_find.c	finding a database's worker; waking it on commit
 * worker_jobs.c	the job table (pump, ttl, trim) and how each job runs
 * worker_sql.c		dynamo.start() and dynamo.stop(); the launcher
 *
 * Design.  No shared memory: dynamo.start() must work without
 * shared_preload_libraries, so a database's worker is found through the
 * backend status array (pg_stat_activity: backend type "dynamo_streams
 * worker" and the database), and it publishes its status there as a JSON
 * object in its activity text, which the view dynamo.status reads.  At
 * most one worker runs per database: each holds a session advisory lock
 * (DYNAMO_WORKER_LOCK_*), and a second one exits at once, with code 0 so
 * that it is not restarted.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_WORKER_H
#define DYNAMO_WORKER_H

#include "datatype/timestamp.h"

/* bgw_type of the per-database worker and of the launcher. */
#define DYNAMO_WORKER_TYPE		"dynamo_streams worker"
#define DYNAMO_LAUNCHER_TYPE	"dynamo_streams launcher"

/* Advisory lock held by the worker of a database (with MyDatabaseId). */
#define DYNAMO_WORKER_LOCK_KEY1	0x64796e61	/* "dyna" */
#define DYNAMO_WORKER_LOCK_KEY2	0x776b7200	/* "wkr" */

/*
 * The pump's slot of a database is named DYNAMO_PUMP_SLOT_PREFIX<dboid>
 * (as dynamo._pump_slot_name() of the stream log names it).
 */
#define DYNAMO_PUMP_SLOT_PREFIX	"dynamo_pump_"

/* bgw_extra of a worker: whom to connect as, where. */
typedef struct DynamoWorkerArgs
{
	Oid			dboid;			/* InvalidOid: connect by dbname */
	Oid			roleoid;		/* InvalidOid: the bootstrap superuser */
	char		dbname[NAMEDATALEN];
} DynamoWorkerArgs;

/* Settings (worker.c). */
extern int	dynamo_worker_naptime;	/* ms */
extern int	dynamo_worker_ttl_interval; /* s */
extern int	dynamo_worker_ttl_max_items;
extern int	dynamo_worker_trim_interval;	/* s */
extern int	dynamo_worker_pump_max_changes;
extern char *dynamo_worker_databases;

/* Set in the worker process itself. */
extern bool dynamo_am_worker;
extern volatile sig_atomic_t dynamo_worker_stop_requested;

/* One job of the worker's loop (worker_jobs.c). */
typedef struct DynamoWorkerJob
{
	const char *name;			/* "pump", "ttl", "trim" */
	int		   *interval_s;		/* min seconds between runs; NULL: each wake */
	/* Run once; returns the number of items/changes handled. */
	int64		(*run) (bool *more);
	/* Bookkeeping (worker.c). */
	TimestampTz last_run;
	TimestampTz last_ok;
	TimestampTz last_error_at;
	TimestampTz next_due;
	int			failures;
	int64		total;
	char		last_error[120];
} DynamoWorkerJob;

extern DynamoWorkerJob dynamo_worker_jobs[];
extern const int dynamo_worker_njobs;

/* Time the pump last reported that it had caught up (worker_jobs.c). */
extern TimestampTz dynamo_worker_caught_up_at;

/* worker.c */
extern void dynamo_worker_define_settings(void);
extern void dynamo_bgworker_connect(DynamoWorkerArgs *args, pqsigfunc on_sigterm,
									const char *backend_type);
extern PGDLLEXPORT void dynamo_worker_main(Datum arg);

/* worker_sql.c */
extern PGDLLEXPORT void dynamo_launcher_main(Datum arg);
extern void dynamo_worker_register_launcher(void);
extern bool dynamo_worker_register(const DynamoWorkerArgs *args, bool wait, pid_t *pid);

/* worker_find.c */
extern pid_t dynamo_worker_find(Oid dboid, bool fresh);
extern void dynamo_worker_note_write(void);
extern void dynamo_worker_init_wakeup(void);

#endif							/* DYNAMO_WORKER_H */
