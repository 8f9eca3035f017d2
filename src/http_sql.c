/*-------------------------------------------------------------------------
 *
 * http_sql.c
 *		Settings of push delivery and its SQL entry points.
 *
 * The settings that decide where requests may go (allowed hosts, TLS
 * verification) are superuser-only (PGC_SUSET); the delivery worker reads
 * them from the server configuration, so set them in postgresql.conf or
 * with ALTER SYSTEM and reload.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "dynamo_streams.h"
#include "http.h"

char	   *dynamo_http_allowed_hosts = NULL;
bool		dynamo_http_verify_tls = true;
int			dynamo_http_max_inflight = 64;
int			dynamo_http_retry_backoff = 100;
int			dynamo_http_retry_max_backoff = 10000;
int			dynamo_http_max_response_bytes = DYNAMO_HTTP_MAX_RESPONSE;

PG_FUNCTION_INFO_V1(dynamo_http_target_check);

/* Define the settings of push delivery (called by _PG_init). */
void
dynamo_http_define_settings(void)
{
	DefineCustomStringVariable("dynamo_streams.http_allowed_hosts",
							   "Hosts that event source mappings may push to (comma-separated: host, host:port, *.domain, or *).",
							   "Empty: none.  Names are compared, not resolved.",
							   &dynamo_http_allowed_hosts, "",
							   PGC_SUSET, GUC_LIST_INPUT, NULL, NULL, NULL);
	DefineCustomBoolVariable("dynamo_streams.http_verify_tls",
							 "Verify the TLS certificate and host name of https targets.",
							 NULL,
							 &dynamo_http_verify_tls, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.http_max_inflight",
							"Most push requests the delivery worker has in flight at once.",
							NULL,
							&dynamo_http_max_inflight, 64, 1, 1024,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.http_retry_backoff",
							"Wait before the first retry of a failed push to a shard; doubles per failure.",
							NULL,
							&dynamo_http_retry_backoff, 100, 0, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.http_retry_max_backoff",
							"Longest wait before a retry of a failed push.",
							NULL,
							&dynamo_http_retry_max_backoff, 10000, 0, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("dynamo_streams.http_max_response_bytes",
							"Largest response body of a pushed function; larger is a function error.",
							"Lambda's limit for a synchronous response is 6 MB.",
							&dynamo_http_max_response_bytes, DYNAMO_HTTP_MAX_RESPONSE, 1024,
							DYNAMO_HTTP_MAX_RESPONSE,
							PGC_SIGHUP, GUC_UNIT_BYTE, NULL, NULL, NULL);
}

/*
 * FUNCTION dynamo._http_target_check(url text) RETURNS text: 'Invoke' or
 * 'Webhook', or InvalidParameterValueException if the URL may not be a
 * target.
 */
Datum
dynamo_http_target_check(PG_FUNCTION_ARGS)
{
	char	   *url = text_to_cstring(PG_GETARG_TEXT_PP(0));
	DynamoHttpUrl *u;

	dynamo_http_check_url(url, &u);
	PG_RETURN_TEXT_P(cstring_to_text(u->type == DYNAMO_HTTP_INVOKE ? "Invoke" : "Webhook"));
}
