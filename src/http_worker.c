/*-------------------------------------------------------------------------
 *
 * http_worker.c
 *		The delivery worker: pushes the batches of event source mappings
 *		that have a function_url to their HTTP targets.
 *
 * Process.  One per database, a background worker of its own
 * (DYNAMO_HTTP_WORKER_TYPE) that the database's main worker registers when
 * it starts and stops (SIGTERM, then waits) before it exits, so that
 * dynamo.start() and dynamo.stop() start and stop both.  It exits by itself
 * when it finds no main worker, and a second one of a database exits at
 * once (advisory lock), as the main worker does.
 *
 * Loop.  (1) Lease: in one transaction, for every enabled mapping with a
 * function_url, dynamo._lease_batch() one batch at a time, round-robin over
 * the mappings, until none has more or dynamo_streams.http_max_inflight
 * batches are out; commit.  (2) Send: each leased batch whose shard is not
 * backing off becomes a request on the libcurl multi handle (signed with
 * SigV4 when credentials match its host; signing needs a transaction,
 * which sends nothing).  (3) Wait for the network, no transaction open.
 * (4) Each finished request is completed (complete_batch with the response)
 * or failed (fail_batch with the error) in a transaction of its own, with
 * its metrics.  The main worker sets this worker's latch when the pump has
 * stored new records, and a completion asks for another lease round at
 * once; otherwise it polls every dynamo_streams.worker_naptime.
 *
 * The rules of batching, retries, bisecting and failure records are those
 * of dynamo._lease_batch/complete_batch/fail_batch (docs/consumers.md):
 * pull and push share them and one set of checkpoints.  This file only adds
 * what is particular to HTTP: which answers are function errors, a
 * per-shard back-off between retries (dynamo_streams.http_retry_backoff,
 * doubling up to http_retry_max_backoff), and the leases' length (the
 * function's timeout plus the longest back-off plus 30 s).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "dynamo_streams.h"
#include "http.h"
#include "worker.h"

#define DYNAMO_HTTP_WORKER_TYPE "dynamo_streams http worker"

/* A leased batch, until it is completed or failed. */
typedef struct Push
{
	struct Push *next;
	MemoryContext cxt;
	char		mapping[40];
	int64		batch_id;
	char	   *shard_id;
	DynamoHttpUrl *url;
	char	   *body;
	size_t		body_len;
	int			timeout_ms;
	TimestampTz not_before;
	bool		sent;
	char	   *send_error;		/* libcurl refused the request */
} Push;

/* Back-off state of a shard of a mapping. */
typedef struct ShardBackoff
{
	char		key[128];		/* mapping uuid '/' shard id */
	int			failures;
	TimestampTz retry_at;
} ShardBackoff;

static volatile sig_atomic_t stop_requested = false;
static Push *pushes = NULL;
static int	npushes = 0;
static HTAB *backoffs = NULL;
static TimestampTz main_checked_at = 0;

/* The main worker's view of this worker (in the main worker's process). */
static BackgroundWorkerHandle *http_handle = NULL;
static pid_t wake_pid = 0;
static TimestampTz wake_lookup_at = 0;

/* SIGTERM: finish the current step, then exit with code 0. */
static void
http_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	stop_requested = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* The pid of this database's delivery worker, or 0.  Needs a transaction. */
static pid_t
find_http_worker(void)
{
	int			n;
	int			i;

	pgstat_clear_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *l = DYNAMO_LOCAL_BEENTRY(i);
		PgBackendStatus *be;
		const char *type;

		if (l == NULL)
			continue;
		be = &l->backendStatus;
		if (be->st_backendType != B_BG_WORKER || be->st_databaseid != MyDatabaseId ||
			be->st_procpid == MyProcPid)
			continue;
		type = GetBackgroundWorkerTypeByPid(be->st_procpid);
		if (type != NULL && strcmp(type, DYNAMO_HTTP_WORKER_TYPE) == 0)
			return be->st_procpid;
	}
	return 0;
}

/* Register the delivery worker (by the main worker, as it starts). */
void
dynamo_http_worker_launch(const DynamoWorkerArgs *args)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	snprintf(w.bgw_library_name, BGW_MAXLEN, "dynamo_streams");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "dynamo_http_worker_main");
	snprintf(w.bgw_type, BGW_MAXLEN, "%s", DYNAMO_HTTP_WORKER_TYPE);
	snprintf(w.bgw_name, BGW_MAXLEN, "%s %s", DYNAMO_HTTP_WORKER_TYPE, args->dbname);
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = 5;
	memcpy(w.bgw_extra, args, sizeof(*args));
	w.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&w, &http_handle))
		ereport(WARNING,
				errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("could not register the dynamo_streams http worker"),
				errdetail("All max_worker_processes (%d) background worker slots are in use.",
						  max_worker_processes),
				errhint("Push delivery (docs/http-push.md) needs one more; raise max_worker_processes."));
}

/* Set the delivery worker's latch (by the main worker, in a transaction). */
void
dynamo_http_worker_wake(void)
{
	PGPROC	   *proc = wake_pid != 0 ? BackendPidGetProc(wake_pid) : NULL;
	TimestampTz now;

	if (proc == NULL)
	{
		now = GetCurrentTimestamp();
		if (!TimestampDifferenceExceeds(wake_lookup_at, now, 1000))
			return;
		wake_lookup_at = now;
		wake_pid = find_http_worker();
		proc = wake_pid != 0 ? BackendPidGetProc(wake_pid) : NULL;
	}
	if (proc != NULL)
		SetLatch(&proc->procLatch);
}

/* Stop the delivery worker and wait until it has exited (main worker). */
void
dynamo_http_worker_shutdown(void)
{
	pid_t		pid;
	int			waited;

	if (http_handle != NULL)
		TerminateBackgroundWorker(http_handle);
	StartTransactionCommand();
	pid = find_http_worker();
	CommitTransactionCommand();
	if (pid != 0)
		(void) kill(pid, SIGTERM);
	for (waited = 0; pid != 0 && BackendPidGetProc(pid) != NULL && waited < 3000; waited++)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Milliseconds of back-off after n consecutive failures. */
static int
backoff_ms(int n)
{
	double		ms = (double) dynamo_http_retry_backoff;

	while (--n > 0 && ms < dynamo_http_retry_max_backoff)
		ms *= 2;
	return (int) Min(ms, (double) dynamo_http_retry_max_backoff);
}

/* The back-off entry of a shard (created if missing and create). */
static ShardBackoff *
shard_backoff(const char *mapping, const char *shard_id, bool create)
{
	char		key[128];
	bool		found;
	ShardBackoff *b;

	memset(key, 0, sizeof(key));
	snprintf(key, sizeof(key), "%s/%s", mapping, shard_id);
	b = hash_search(backoffs, key, create ? HASH_ENTER : HASH_FIND, &found);
	if (b != NULL && !found)
	{
		b->failures = 0;
		b->retry_at = 0;
	}
	return b;
}

/* Text of column col of row row of the SPI result (palloc'd), or NULL. */
static char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* Start a transaction with a snapshot; false (none open) without the extension. */
static bool
begin(void)
{
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("dynamo_streams", true)))
	{
		CommitTransactionCommand();
		return false;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_connect();
	return true;
}

/* Commit what begin() started. */
static void
end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Does the delivery interface of the consumers exist (part 62)? */
static bool
delivery_installed(void)
{
	bool		isnull;

	if (SPI_execute("SELECT pg_catalog.to_regprocedure('dynamo._lease_batch(uuid,integer)') IS NOT NULL"
					" AND pg_catalog.to_regprocedure('dynamo.fail_batch(bigint,text)') IS NOT NULL",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up dynamo._lease_batch");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* One mapping with a function_url, as the lease round reads it. */
typedef struct Target
{
	char	   *mapping;
	char	   *url;
	int			timeout_s;
	bool		right;
	DynamoHttpUrl *parsed;
	bool		done;
} Target;

/* Lease one batch of target t into a new Push (in TopMemoryContext); NULL if none. */
static Push *
lease_one(Target *t)
{
	Oid			types[2] = {UUIDOID, INT4OID};
	Datum		values[2];
	int			lease_s = t->timeout_s + dynamo_http_retry_max_backoff / 1000 + 10;
	Push	   *p;
	MemoryContext old;
	ShardBackoff *b;
	char	   *body;

	values[0] = DirectFunctionCall1(uuid_in, CStringGetDatum(t->mapping));
	values[1] = Int32GetDatum(lease_s);
	if (SPI_execute_with_args("SELECT batch_id, shard_id, event::text FROM dynamo._lease_batch($1, $2)",
							  2, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "dynamo._lease_batch failed");
	if (SPI_processed == 0)
		return NULL;
	p = MemoryContextAllocZero(TopMemoryContext, sizeof(Push));
	p->cxt = AllocSetContextCreate(TopMemoryContext, "dynamo_streams push", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(p->cxt);
	strlcpy(p->mapping, t->mapping, sizeof(p->mapping));
	p->batch_id = strtoi64(spi_text(0, 1), NULL, 10);
	p->shard_id = pstrdup(spi_text(0, 2));
	body = spi_text(0, 3);
	p->body = pstrdup(body ? body : "{}");
	p->body_len = strlen(p->body);
	p->url = dynamo_http_parse_url(t->url, &body);
	p->timeout_ms = t->timeout_s * 1000;
	MemoryContextSwitchTo(old);
	b = shard_backoff(p->mapping, p->shard_id, false);
	p->not_before = b != NULL ? b->retry_at : 0;
	return p;
}

/* Free a push. */
static void
free_push(Push *p)
{
	MemoryContextDelete(p->cxt);
	pfree(p);
}

/* Read the targets: enabled mappings with a function_url. */
static List *
read_targets(void)
{
	List	   *targets = NIL;
	uint64		i;

	if (SPI_execute("SELECT m.uuid::text, m.function_url, COALESCE(f.timeout, 3),"
					"       COALESCE((SELECT dynamo._http_target_right(a.rolname) FROM pg_catalog.pg_roles a"
					"                  WHERE a.oid = m.owner), false)"
					"  FROM dynamo._event_source_mappings m"
					"  LEFT JOIN dynamo._function_config f USING (function_name)"
					" WHERE m.function_url IS NOT NULL AND m.enabled ORDER BY m.uuid",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the event source mappings");
	for (i = 0; i < SPI_processed; i++)
	{
		Target	   *t = palloc0(sizeof(Target));

		t->mapping = spi_text(i, 1);
		t->url = spi_text(i, 2);
		t->timeout_s = atoi(spi_text(i, 3));
		t->right = strcmp(spi_text(i, 4), "t") == 0;
		targets = lappend(targets, t);
	}
	return targets;
}

/* Record a problem that keeps a mapping from being delivered. */
static void
record_problem(const char *mapping, const char *problem)
{
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		values[2];

	values[0] = DirectFunctionCall1(uuid_in, CStringGetDatum(mapping));
	values[1] = CStringGetTextDatum(problem);
	if (SPI_execute_with_args("SELECT dynamo._http_record_problem($1, $2)",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dynamo._http_record_problem failed");
}

/* Check a target at delivery time; false (problem recorded) if refused. */
static bool
target_usable(Target *t)
{
	char	   *why = NULL;

	if (!t->right)
		why = "the mapping's owner is neither a superuser nor a member of dynamo_http_targets";
	else if ((t->parsed = dynamo_http_parse_url(t->url, &why)) == NULL)
		;
	else if (!dynamo_http_host_allowed(t->parsed, dynamo_http_allowed_hosts))
		why = psprintf("host %s (port %d) is not in dynamo_streams.http_allowed_hosts",
					   t->parsed->host, t->parsed->port);
	if (why == NULL)
		return true;
	record_problem(t->mapping, why);
	return false;
}

/*
 * Is the main worker of this database still running?  Checked at most once
 * a second, in a transaction.
 */
static bool
main_worker_alive(void)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!TimestampDifferenceExceeds(main_checked_at, now, 1000))
		return true;
	main_checked_at = now;
	return dynamo_worker_find(MyDatabaseId, true) != 0;
}

/* (1) Lease batches round-robin over the targets, in one transaction. */
static void
lease_round(void)
{
	Push	   *volatile fresh = NULL;

	if (!begin())
		return;
	PG_TRY();
	{
		if (!main_worker_alive())
			stop_requested = true;
		else if (delivery_installed())
		{
			List	   *targets = read_targets();
			ListCell   *lc;
			bool		more = true;

			foreach(lc, targets)
				((Target *) lfirst(lc))->done = !target_usable(lfirst(lc));
			while (more && npushes < dynamo_http_max_inflight)
			{
				more = false;
				foreach(lc, targets)
				{
					Target	   *t = lfirst(lc);
					Push	   *p;

					if (t->done || npushes >= dynamo_http_max_inflight)
						continue;
					if ((p = lease_one(t)) == NULL)
					{
						t->done = true;
						continue;
					}
					p->next = fresh;
					fresh = p;
					npushes++;
					more = true;
				}
			}
		}
		end();
	}
	PG_CATCH();
	{
		/* the leases were rolled back: forget their batches */
		while (fresh != NULL)
		{
			Push	   *p = fresh;

			fresh = p->next;
			free_push(p);
			npushes--;
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	while (fresh != NULL)
	{
		Push	   *p = fresh;

		fresh = p->next;
		p->next = pushes;
		pushes = p;
	}
}

/* Credentials for host (as the bootstrap superuser: the table is theirs). */
static DynamoSigV4Credentials *
credentials_for(const char *host)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	Oid			save_user;
	int			save_sec;
	int			rc;
	DynamoSigV4Credentials *c = NULL;

	values[0] = CStringGetTextDatum(host);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_with_args("SELECT access_key_id, secret_access_key, session_token, region"
							   "  FROM dynamo._http_credentials"
							   " WHERE host IN ($1, '*') ORDER BY host = '*' LIMIT 1",
							   1, types, values, NULL, true, 1);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the HTTP credentials");
	if (SPI_processed == 1)
	{
		c = palloc0(sizeof(DynamoSigV4Credentials));
		c->access_key_id = spi_text(0, 1);
		c->secret_access_key = spi_text(0, 2);
		c->session_token = spi_text(0, 3);
		c->region = spi_text(0, 4);
		if (c->region == NULL)
			c->region = pstrdup(dynamo_region);
	}
	return c;
}

/* Make a header. */
static DynamoHttpHeader *
header(const char *name, const char *value)
{
	DynamoHttpHeader *h = palloc(sizeof(DynamoHttpHeader));

	h->name = pstrdup(name);
	h->value = pstrdup(value);
	return h;
}

/* (2) Send every leased batch that is due; the earliest later one into *next. */
static void
send_due(TimestampTz *next)
{
	TimestampTz now = GetCurrentTimestamp();
	Push	   *p;
	bool		due = false;

	*next = 0;
	for (p = pushes; p; p = p->next)
		if (!p->sent && p->not_before <= now)
			due = true;
		else if (!p->sent && (*next == 0 || p->not_before < *next))
			*next = p->not_before;
	if (!due)
		return;
	if (!begin())
		return;
	for (p = pushes; p; p = p->next)
	{
		List	   *headers = NIL;
		DynamoSigV4Credentials *creds;

		if (p->sent || p->not_before > now)
			continue;
		p->sent = true;
		if (p->url == NULL)
		{
			p->send_error = MemoryContextStrdup(p->cxt, "connection error: invalid URL");
			continue;
		}
		headers = lappend(headers, header("Content-Type", "application/json"));
		if (p->url->type == DYNAMO_HTTP_INVOKE)
			headers = lappend(headers, header("X-Amz-Invocation-Type", "RequestResponse"));
		creds = credentials_for(p->url->host);
		if (creds != NULL)
			headers = dynamo_sigv4_sign("POST", p->url, headers, p->body, p->body_len,
										creds, "lambda", time(NULL));
		else
			headers = lappend(headers, header("Host", p->url->host_header));
		{
			char	   *why = NULL;

			if (!dynamo_http_send(p, p->url, headers, p->body, p->body_len,
								  p->timeout_ms, &why))
				p->send_error = MemoryContextStrdup(p->cxt,
													psprintf("connection error: %s", why));
		}
	}
	end();
}

/* The error text of a finished request (palloc'd), or NULL if it was invoked. */
static char *
classify(Push *p, DynamoHttpResult *r)
{
	if (r->too_large)
		return psprintf("response too large: more than %d bytes", dynamo_http_max_response_bytes);
	if (r->timed_out)
		return psprintf("timeout: no answer within %d ms", p->timeout_ms);
	if (r->error[0])
		return psprintf("connection error: %s", r->error);
	if (r->function_error[0])
		return psprintf("%s", r->function_error);
	if (p->url->type == DYNAMO_HTTP_INVOKE ? r->status != 200 : (r->status < 200 || r->status > 299))
		return psprintf("HTTP %ld", r->status);
	return NULL;
}

/* complete_batch or fail_batch, with the metrics, in the current transaction. */
static void
settle(Push *p, const char *response, const char *error, long status, double ms)
{
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, FLOAT4OID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			mtypes[4] = {UUIDOID, INT4OID, FLOAT4OID, TEXTOID};
	Datum		mvalues[4];
	char		mnulls[4] = {' ', ' ', ' ', ' '};
	const char *q;

	values[0] = Int64GetDatum(p->batch_id);
	if (error != NULL)
	{
		values[1] = CStringGetTextDatum(error);
		q = "SELECT dynamo.fail_batch($1, $2)";
	}
	else
	{
		if (response != NULL)
			values[1] = CStringGetTextDatum(response);
		else
			nulls[1] = 'n';
		q = "SELECT dynamo.complete_batch($1, $2::jsonb)";
	}
	if (SPI_execute_with_args(q, 2, types, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "%s failed", q);
	mvalues[0] = DirectFunctionCall1(uuid_in, CStringGetDatum(p->mapping));
	mvalues[1] = Int32GetDatum((int32) status);
	if (status == 0)
		mnulls[1] = 'n';
	mvalues[2] = Float4GetDatum((float4) ms);
	if (error != NULL)
		mvalues[3] = CStringGetTextDatum(error);
	else
		mnulls[3] = 'n';
	if (SPI_execute_with_args("SELECT dynamo._http_record_invoke($1, $2, $3, $4)",
							  4, mtypes, mvalues, mnulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dynamo._http_record_invoke failed");
}

/* Settle in a transaction of its own; false (error logged) if that failed. */
static bool
settle_xact(Push *p, const char *response, const char *error, long status,
			double ms, int *sqlerrcode, char **message)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	if (!begin())
		return true;
	PG_TRY();
	{
		settle(p, response, error, status, ms);
		end();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		*sqlerrcode = edata->sqlerrcode;
		*message = pstrdup(edata->message ? edata->message : "unknown error");
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* (4) Complete or fail a finished push, then forget it. */
static void
finish(Push *p, DynamoHttpResult *r)
{
	char	   *error = p->send_error ? pstrdup(p->send_error) : classify(p, r);
	const char *response = NULL;
	double		ms = r ? r->seconds * 1000.0 : 0;
	long		status = r ? r->status : 0;
	int			code = 0;
	char	   *message = NULL;
	ShardBackoff *b;
	Push	  **pp;

	if (error == NULL && r->body != NULL && r->body_len > 0)
	{
		if (strlen(r->body) != r->body_len)
			error = pstrdup("malformed response: the body holds a NUL byte");
		else
			response = r->body;
	}
	if (!settle_xact(p, response, error, status, ms, &code, &message))
	{
		if (error == NULL &&
			(code == ERRCODE_INVALID_TEXT_REPRESENTATION ||
			 code == ERRCODE_UNTRANSLATABLE_CHARACTER ||
			 code == ERRCODE_CHARACTER_NOT_IN_REPERTOIRE))
		{
			error = psprintf("malformed response: %s", message);
			if (!settle_xact(p, NULL, error, status, ms, &code, &message))
				ereport(WARNING,
						errmsg("dynamo_streams http worker could not fail batch " INT64_FORMAT ": %s",
							   p->batch_id, message));
		}
		else
			ereport(WARNING,
					errmsg("dynamo_streams http worker could not settle batch " INT64_FORMAT ": %s",
						   p->batch_id, message));
	}
	if (error != NULL)
	{
		b = shard_backoff(p->mapping, p->shard_id, true);
		b->failures++;
		b->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), backoff_ms(b->failures));
	}
	else if ((b = shard_backoff(p->mapping, p->shard_id, false)) != NULL)
	{
		b->failures = 0;
		b->retry_at = 0;
	}
	for (pp = &pushes; *pp; pp = &(*pp)->next)
		if (*pp == p)
		{
			*pp = p->next;
			break;
		}
	npushes--;
	free_push(p);
}

/* (3)+(4) Settle what has finished; returns how many. */
static int
collect(void)
{
	DynamoHttpResult r;
	Push	   *p;
	Push	   *next;
	int			n = 0;

	for (p = pushes; p; p = next)
	{
		next = p->next;
		if (p->send_error != NULL)
		{
			finish(p, NULL);
			n++;
		}
	}
	while (dynamo_http_next_result(&r))
	{
		finish((Push *) r.owner, &r);
		dynamo_http_free_result(&r);
		n++;
	}
	return n;
}

/* Take this database's delivery worker lock, or return false. */
static bool
take_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, DYNAMO_WORKER_LOCK_KEY1,
						 DYNAMO_WORKER_LOCK_KEY2 + 1, 2);
	return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
}

/* Log an error of a step, and clean up after it. */
static void
step_failed(MemoryContext cxt)
{
	MemoryContextSwitchTo(cxt);
	EmitErrorReport();
	FlushErrorState();
	AbortOutOfAnyTransaction();
}

/* Publish a one-line status as the activity text. */
static void
report(const char *state)
{
	char		buf[128];

	snprintf(buf, sizeof(buf), "{\"state\":\"%s\",\"leased\":%d,\"inflight\":%d}",
			 state, npushes, dynamo_http_inflight());
	pgstat_report_activity(STATE_RUNNING, buf);
}

/* Entry point of the delivery worker (bgw_extra: DynamoWorkerArgs). */
void
dynamo_http_worker_main(Datum arg)
{
	DynamoWorkerArgs args;
	HASHCTL		ctl;
	MemoryContext loopcxt;
	TimestampTz next_scan = 0;
	bool		scan = true;
	bool		locked;

	dynamo_bgworker_connect(&args, http_sigterm, DYNAMO_HTTP_WORKER_TYPE);

	StartTransactionCommand();
	locked = take_lock();
	CommitTransactionCommand();
	if (!locked)
		proc_exit(0);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(((ShardBackoff *) NULL)->key);
	ctl.entrysize = sizeof(ShardBackoff);
	backoffs = hash_create("dynamo_streams push back-off", 64, &ctl, HASH_ELEM | HASH_STRINGS);
	dynamo_http_multi_init();
	loopcxt = AllocSetContextCreate(TopMemoryContext, "dynamo_streams http worker loop",
									ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, errmsg("dynamo_streams http worker started for database %u", MyDatabaseId));

	while (!stop_requested)
	{
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz next_send = 0;
		long		timeout;
		int			rc;

		MemoryContextSwitchTo(loopcxt);
		if (scan || now >= next_scan)
		{
			scan = false;
			next_scan = TimestampTzPlusMilliseconds(now, dynamo_worker_naptime);
			PG_TRY();
			{
				lease_round();
			}
			PG_CATCH();
			{
				step_failed(loopcxt);
				next_scan = TimestampTzPlusMilliseconds(now, 1000);
			}
			PG_END_TRY();
		}
		PG_TRY();
		{
			send_due(&next_send);
		}
		PG_CATCH();
		{
			step_failed(loopcxt);
		}
		PG_END_TRY();
		if (dynamo_http_inflight() > 0)
		{
			report("waiting");
			dynamo_http_perform(20);
			timeout = 0;
		}
		else
		{
			now = GetCurrentTimestamp();
			timeout = Max(0, (long) ((next_scan - now) / 1000));
			if (next_send != 0)
				timeout = Min(timeout, Max(1, (long) ((next_send - now) / 1000)));
			report("idle");
		}
		if (collect() > 0)
			scan = true;
		MemoryContextReset(loopcxt);
		if (stop_requested)
			break;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   scan ? 0 : timeout, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			scan = true;
		}
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
	dynamo_http_multi_cleanup();
	ereport(LOG, errmsg("dynamo_streams http worker of database %u stopped", MyDatabaseId));
	proc_exit(0);
}
