/*-------------------------------------------------------------------------
 *
 * http.h
 *		Push delivery over HTTP (docs/http-push.md): the parts of
 *		src/http*.c that talk to each other.
 *
 * http_sigv4.c		AWS Signature Version 4 (service lambda)
 * http_target.c	targets: URL checks, allowed hosts, libcurl (the only
 *					file that includes curl.h)
 * http_sql.c		the SQL entry points (target check, settings)
 * http_worker.c	the delivery worker: leases, requests, completions
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_HTTP_H
#define DYNAMO_HTTP_H

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

/* What a function_url calls (decided by dynamo_http_check_url). */
typedef enum DynamoHttpTargetType
{
	DYNAMO_HTTP_INVOKE,			/* .../2015-03-31/functions/<name>/invocations */
	DYNAMO_HTTP_WEBHOOK			/* any other http(s) URL */
} DynamoHttpTargetType;

/* The parts of a checked URL (palloc'd). */
typedef struct DynamoHttpUrl
{
	DynamoHttpTargetType type;
	char	   *url;			/* the whole URL, normalised */
	char	   *scheme;			/* "http" or "https" */
	char	   *host;			/* as in the URL, without brackets */
	int			port;			/* explicit or the scheme's default */
	char	   *host_header;	/* Host: value (host[:port]) */
	char	   *path;			/* percent-encoded, starts with "/" */
	char	   *query;			/* without "?", or NULL */
} DynamoHttpUrl;

/* Credentials for SigV4 (never logged, never shown). */
typedef struct DynamoSigV4Credentials
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;	/* or NULL */
	char	   *region;
} DynamoSigV4Credentials;

/* One header of a request: "name" and "value". */
typedef struct DynamoHttpHeader
{
	char	   *name;
	char	   *value;
} DynamoHttpHeader;

/* Settings (http_sql.c). */
extern char *dynamo_http_allowed_hosts;
extern bool dynamo_http_verify_tls;
extern int	dynamo_http_max_inflight;
extern int	dynamo_http_retry_backoff;	/* ms */
extern int	dynamo_http_retry_max_backoff;	/* ms */
extern int	dynamo_http_max_response_bytes;

/* Largest response body of a function (Lambda's synchronous payload limit). */
#define DYNAMO_HTTP_MAX_RESPONSE (6 * 1024 * 1024)

/* http_sql.c */
extern void dynamo_http_define_settings(void);

/* http_worker.c */
struct DynamoWorkerArgs;
extern void dynamo_http_worker_launch(const struct DynamoWorkerArgs *args);
extern void dynamo_http_worker_wake(void);
extern void dynamo_http_worker_shutdown(void);
extern PGDLLEXPORT void dynamo_http_worker_main(Datum arg);

/* http_sigv4.c */
extern List *dynamo_sigv4_sign(const char *method, const DynamoHttpUrl *url,
							   List *headers, const char *body, size_t body_len,
							   const DynamoSigV4Credentials *creds,
							   const char *service, time_t now);

/* http_target.c */
extern DynamoHttpUrl *dynamo_http_parse_url(const char *url, char **why);
extern bool dynamo_http_host_allowed(const DynamoHttpUrl *url, const char *allowed);
extern void dynamo_http_check_url(const char *url, DynamoHttpUrl **parsed);

/* The outcome of one request (http_target.c fills it; no palloc inside curl). */
typedef struct DynamoHttpResult
{
	void	   *owner;			/* the caller's request */
	long		status;			/* HTTP status, 0 if none */
	char	   *body;			/* malloc'd, NUL-terminated, or NULL */
	size_t		body_len;
	char		function_error[64];	/* X-Amz-Function-Error, or "" */
	char		error[256];		/* transport error, or "" */
	bool		timed_out;
	bool		too_large;
	double		seconds;		/* total time */
} DynamoHttpResult;

extern void dynamo_http_multi_init(void);
extern void dynamo_http_multi_cleanup(void);
extern bool dynamo_http_send(void *owner, const DynamoHttpUrl *url, List *headers,
							 const char *body, size_t body_len, int timeout_ms,
							 char **why);
extern int	dynamo_http_perform(int wait_ms);
extern bool dynamo_http_next_result(DynamoHttpResult *result);
extern void dynamo_http_free_result(DynamoHttpResult *result);
extern int	dynamo_http_inflight(void);

#endif							/* DYNAMO_HTTP_H */
