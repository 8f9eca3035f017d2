/*-------------------------------------------------------------------------
 *
 * dynamo_streams.c
 *		Module entry point: settings, and the shared cache invalidation hook.
 *
 * _PG_init is always safe to load: it defines the dynamo_streams.* settings
 * and registers a transaction callback that wakes the background worker
 * (src/worker_find.c).  The launcher of the background workers registers
 * only under shared_preload_libraries; there is no shared memory.
 *
 * Caches.  Several parts of the library keep per-backend caches keyed by
 * relation (the item API's prepared plans, the output plugin's table
 * metadata).  PostgreSQL offers only a handful of relcache callback slots
 * per backend, so this file registers exactly one and fans it out to the
 * reset functions the caches register.  Edits of dynamo._tables fire a
 * relcache invalidation of the catalog itself (see the _tables_changed
 * trigger), which reaches both ordinary backends and logical decoding at the
 * catalog change's exact position in the WAL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "dynamo_streams.h"
#include "http.h"
#include "pump.h"
#include "ttl.h"
#include "worker.h"

PG_MODULE_MAGIC;

char	   *dynamo_region = NULL;
int			dynamo_iterator_ttl = 900;
char	   *dynamo_account_id = NULL;

#define MAX_CACHE_RESETS 8

static DynamoCacheResetFn cache_resets[MAX_CACHE_RESETS];
static int	n_cache_resets = 0;
static bool relcache_callback_registered = false;

void		_PG_init(void);

/* Check a region name: lowercase letters, digits and dashes. */
static bool
check_region(char **newval, void **extra, GucSource source)
{
	const char *p;

	if (*newval == NULL || **newval == '\0')
		return false;
	for (p = *newval; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
		{
			GUC_check_errdetail("A region is lowercase letters, digits and dashes, such as \"us-east-1\".");
			return false;
		}
	return true;
}

/* Check an account id: exactly 12 digits. */
static bool
check_account_id(char **newval, void **extra, GucSource source)
{
	const char *p;

	if (*newval == NULL || strlen(*newval) != 12)
	{
		GUC_check_errdetail("An account id is exactly 12 digits.");
		return false;
	}
	for (p = *newval; *p; p++)
		if (*p < '0' || *p > '9')
		{
			GUC_check_errdetail("An account id is exactly 12 digits.");
			return false;
		}
	return true;
}

/* Module load: define settings. */
void
_PG_init(void)
{
	DefineCustomStringVariable("dynamo_streams.region",
							   "AWS region used in stream ARNs and records.",
							   NULL,
							   &dynamo_region,
							   "us-east-1",
							   PGC_USERSET, 0,
							   check_region, NULL, NULL);
	DefineCustomStringVariable("dynamo_streams.account_id",
							   "AWS account id used in stream ARNs.",
							   NULL,
							   &dynamo_account_id,
							   "000000000000",
							   PGC_USERSET, 0,
							   check_account_id, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.iterator_ttl",
							"Seconds after which a shard iterator expires.",
							"DynamoDB Streams shard iterators expire 15 minutes after they are issued.",
							&dynamo_iterator_ttl,
							900, 1, 86400,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	dynamo_ttl_define_settings();
	dynamo_worker_define_settings();
	dynamo_pump_define_settings();
	dynamo_http_define_settings();
	MarkGUCPrefixReserved("dynamo_streams");
	dynamo_worker_init_wakeup();
	/* the launcher of dynamo_streams.databases: only when preloaded */
	if (process_shared_preload_libraries_in_progress &&
		dynamo_worker_databases != NULL && dynamo_worker_databases[0] != '\0')
		dynamo_worker_register_launcher();
}

/* The one relcache callback: fan out to every registered cache. */
static void
dynamo_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < n_cache_resets; i++)
		cache_resets[i] (relid);
}

/* Register a cache reset function (idempotent). */
void
dynamo_register_cache_reset(DynamoCacheResetFn fn)
{
	int			i;

	if (!relcache_callback_registered)
	{
		CacheRegisterRelcacheCallback(dynamo_relcache_callback, (Datum) 0);
		relcache_callback_registered = true;
	}
	for (i = 0; i < n_cache_resets; i++)
		if (cache_resets[i] == fn)
			return;
	if (n_cache_resets >= MAX_CACHE_RESETS)
		elog(ERROR, "too many dynamo_streams cache reset functions");
	cache_resets[n_cache_resets++] = fn;
}

/* OID of dynamo._tables, or InvalidOid if the extension is not installed. */
Oid
dynamo_catalog_relid(void)
{
	Oid			nspid = get_namespace_oid(DYNAMO_SCHEMA, true);

	if (!OidIsValid(nspid))
		return InvalidOid;
	return get_relname_relid(DYNAMO_CATALOG_TABLE, nspid);
}

/*
 * Refuse to work in a database whose encoding is not UTF8.  DynamoDB strings
 * are UTF-8: item sizes count UTF-8 bytes and stream records must be valid
 * UTF-8 JSON, whatever the client encoding.  CREATE EXTENSION and the
 * upgrade to 0.2.0 refuse such a database (sql/install/00_catalog.sql); this
 * catches an install made by 0.1.0, which had no check: every item and
 * attribute value function, the _item_guard trigger and the output plugin
 * call it first.  The database encoding is a variable read, so it costs
 * nothing.  The same message is raised by the install script.
 */
void
dynamo_require_utf8(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("dynamo_streams needs a database with encoding UTF8, not %s",
					   GetDatabaseEncodingName()),
				errdetail("DynamoDB strings are UTF-8, and stream records must be valid UTF-8."),
				errhint("Create a UTF8 database, for example with CREATE DATABASE mydb ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0, and use dynamo_streams there."));
}

PG_FUNCTION_INFO_V1(dynamo_tables_changed);

/*
 * Statement trigger on dynamo._tables: invalidate every cache built from it.
 * The invalidation is transactional and is also logged for logical
 * decoding, so the output plugin sees stream settings change exactly at the
 * commit that changed them.
 */
Datum
dynamo_tables_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dynamo_tables_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
