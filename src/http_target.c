/*-------------------------------------------------------------------------
 *
 * http_target.c
 *		HTTP targets of push delivery: URL checks, the allowed hosts, and
 *		every use of libcurl (this is the only file that includes curl.h).
 *
 * Safety (docs/security.md).  A target URL must be http or https, name a
 * host, carry no user name or password (credentials go through
 * dynamo.set_http_credentials) and have a host that
 * dynamo_streams.http_allowed_hosts allows.  Requests are restricted to
 * http and https at the libcurl level as well (CURLOPT_PROTOCOLS_STR, or
 * CURLOPT_PROTOCOLS before libcurl 7.85), follow no redirect at all (a 3xx
 * answer is a function error), ignore proxy settings of the server's
 * environment, verify TLS peers and host names unless
 * dynamo_streams.http_verify_tls is off, and run with CURLOPT_NOSIGNAL and
 * explicit timeouts.
 *
 * Requests run on one libcurl multi handle, so that many are in flight at
 * once and connections are kept alive and reused between requests to the
 * same host.  The callbacks run inside libcurl: they use malloc, never
 * palloc or ereport, and stop a body at the response size cap.  A request
 * owns malloc'd copies of its body and headers until it is done.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"

#include "dynamo_streams.h"
#include "http.h"

#if LIBCURL_VERSION_NUM < 0x073e00
#error "dynamo_streams needs libcurl 7.62 or later (curl_url)"
#endif

/* A request in flight (malloc'd: libcurl's callbacks write into it). */
typedef struct HttpRequest
{
	struct HttpRequest *prev;
	struct HttpRequest *next;
	CURL	   *easy;
	struct curl_slist *headers;
	void	   *owner;
	char	   *body;
	char	   *resp;
	size_t		resp_len;
	size_t		resp_cap;
	size_t		max_len;
	bool		too_large;
	char		function_error[64];
	char		errbuf[CURL_ERROR_SIZE];
} HttpRequest;

static CURLM *multi = NULL;
static int	inflight = 0;
static HttpRequest *requests = NULL;	/* those added to multi */

#define DYNAMO_HTTP_VERSION "0.2.0"

#if LIBCURL_VERSION_NUM >= 0x075000
#define URL_STRERROR(rc) curl_url_strerror(rc)
#else
#define URL_STRERROR(rc) "malformed URL"
#endif

/* Lowercase copy of s (palloc'd). */
static char *
lower(const char *s)
{
	char	   *r = pstrdup(s);
	char	   *p;

	for (p = r; *p; p++)
		*p = pg_ascii_tolower((unsigned char) *p);
	return r;
}

/* One part of a parsed URL, palloc'd, or NULL. */
static char *
url_part(CURLU *u, CURLUPart part, unsigned int flags)
{
	char	   *v = NULL;
	char	   *r;

	if (curl_url_get(u, part, &v, flags) != CURLUE_OK || v == NULL)
		return NULL;
	r = pstrdup(v);
	curl_free(v);
	return r;
}

/* Does the path name the Lambda Invoke API (/2015-03-31/functions/X/invocations)? */
static bool
is_invoke_path(const char *path)
{
	const char *prefix = "/2015-03-31/functions/";
	const char *suffix = "/invocations";
	const char *name;
	const char *end;

	if (strncmp(path, prefix, strlen(prefix)) != 0)
		return false;
	name = path + strlen(prefix);
	end = strchr(name, '/');
	return end != NULL && end > name && strcmp(end, suffix) == 0;
}

/*
 * Parse and check a target URL; NULL with *why set (a full sentence) if
 * it is not an acceptable target.  Does not check the allowed hosts.
 */
DynamoHttpUrl *
dynamo_http_parse_url(const char *url, char **why)
{
	CURLU	   *u = curl_url();
	DynamoHttpUrl *r;
	char	   *port;
	char	   *host;
	CURLUcode	rc;

	*why = NULL;
	if (u == NULL)
		elog(ERROR, "out of memory");
	rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK)
	{
		*why = psprintf("The URL could not be parsed (%s).", URL_STRERROR(rc));
		curl_url_cleanup(u);
		return NULL;
	}
	r = palloc0(sizeof(DynamoHttpUrl));
	r->scheme = lower(url_part(u, CURLUPART_SCHEME, 0));
	host = url_part(u, CURLUPART_HOST, 0);
	if (strcmp(r->scheme, "http") != 0 && strcmp(r->scheme, "https") != 0)
		*why = psprintf("Only http and https URLs are allowed, not %s.", r->scheme);
	else if (host == NULL || host[0] == '\0')
		*why = pstrdup("The URL names no host.");
	else if (url_part(u, CURLUPART_USER, 0) != NULL ||
			 url_part(u, CURLUPART_PASSWORD, 0) != NULL)
		*why = pstrdup("The URL must not carry a user name or password; use dynamo.set_http_credentials() for signing.");
	if (*why != NULL)
	{
		curl_url_cleanup(u);
		return NULL;
	}
	r->host_header = lower(host);
	if (host[0] == '[')
	{
		host = pstrdup(host + 1);
		host[strlen(host) - 1] = '\0';
	}
	r->host = lower(host);
	port = url_part(u, CURLUPART_PORT, 0);
	if (port != NULL)
	{
		r->port = atoi(port);
		r->host_header = psprintf("%s:%s", r->host_header, port);
	}
	else
		r->port = strcmp(r->scheme, "https") == 0 ? 443 : 80;
	r->path = url_part(u, CURLUPART_PATH, 0);
	if (r->path == NULL || r->path[0] != '/')
		r->path = pstrdup("/");
	r->query = url_part(u, CURLUPART_QUERY, 0);
	r->url = url_part(u, CURLUPART_URL, 0);
	r->type = is_invoke_path(r->path) ? DYNAMO_HTTP_INVOKE : DYNAMO_HTTP_WEBHOOK;
	curl_url_cleanup(u);
	return r;
}

/*
 * Does the comma-separated list allowed (dynamo_streams.http_allowed_hosts)
 * allow the URL's host?  Entries: "*" (any host), "host" (any port),
 * "host:port", "[v6addr]" or "[v6addr]:port", "*.domain" (any subdomain).
 * Names compare case-insensitively and are not resolved.
 */
bool
dynamo_http_host_allowed(const DynamoHttpUrl *url, const char *allowed)
{
	char	   *list = lower(allowed ? allowed : "");
	char	   *save = NULL;
	char	   *tok;

	for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
	{
		char	   *host = tok;
		char	   *colon;
		int			port = -1;

		if (strcmp(tok, "*") == 0)
			return true;
		if (tok[0] == '[')
		{
			char	   *close = strchr(tok, ']');

			if (close == NULL)
				continue;
			*close = '\0';
			host = tok + 1;
			if (close[1] == ':')
				port = atoi(close + 2);
		}
		else if ((colon = strchr(tok, ':')) != NULL && strchr(colon + 1, ':') == NULL)
		{
			*colon = '\0';
			port = atoi(colon + 1);
		}
		if (port != -1 && port != url->port)
			continue;
		if (strncmp(host, "*.", 2) == 0)
		{
			size_t		hl = strlen(url->host);
			size_t		sl = strlen(host + 1);

			if (hl > sl && strcmp(url->host + hl - sl, host + 1) == 0)
				return true;
		}
		else if (strcmp(host, url->host) == 0)
			return true;
	}
	return false;
}

/* Raise InvalidParameterValueException for a refused function_url. */
static void
refuse(const char *url, const char *why, const char *hint)
{
	ereport(ERROR,
			errmsg("function_url \"%s\" is not an allowed target", url),
			dynamo_exception_detail(DYNAMO_EXC_INVALID_PARAMETER, "%s", why),
			hint ? errhint("%s", hint) : 0);
}

/*
 * Check a function_url as a mapping's target, raising
 * InvalidParameterValueException if refused; *parsed gets the parts.
 */
void
dynamo_http_check_url(const char *url, DynamoHttpUrl **parsed)
{
	char	   *why;
	DynamoHttpUrl *u = dynamo_http_parse_url(url, &why);

	if (u == NULL)
		refuse(url, why, NULL);
	if (!dynamo_http_host_allowed(u, dynamo_http_allowed_hosts))
		refuse(url, psprintf("Host \"%s\" (port %d) is not in dynamo_streams.http_allowed_hosts.",
							 u->host, u->port),
			   "A superuser can add it to dynamo_streams.http_allowed_hosts (postgresql.conf or ALTER SYSTEM, then reload).");
	if (parsed)
		*parsed = u;
}

/* libcurl write callback: append to the response up to its cap. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpRequest *r = arg;
	size_t		n = size * nmemb;

	if (r->resp_len + n > r->max_len)
	{
		r->too_large = true;
		return 0;				/* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	if (r->resp_len + n + 1 > r->resp_cap)
	{
		size_t		cap = Max(r->resp_cap * 2, r->resp_len + n + 1);
		char	   *p = realloc(r->resp, Max(cap, 1024));

		if (p == NULL)
			return 0;
		r->resp = p;
		r->resp_cap = Max(cap, 1024);
	}
	memcpy(r->resp + r->resp_len, data, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

/* libcurl header callback: keep X-Amz-Function-Error. */
static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpRequest *r = arg;
	size_t		n = size * nmemb;
	static const char name[] = "x-amz-function-error:";
	size_t		nl = sizeof(name) - 1;

	if (n > nl && pg_strncasecmp(data, name, nl) == 0)
	{
		size_t		i = nl;
		size_t		len;

		while (i < n && (data[i] == ' ' || data[i] == '\t'))
			i++;
		len = n - i;
		while (len > 0 && (data[i + len - 1] == '\r' || data[i + len - 1] == '\n' ||
						   data[i + len - 1] == ' '))
			len--;
		if (len >= sizeof(r->function_error))
			len = sizeof(r->function_error) - 1;
		memcpy(r->function_error, data + i, len);
		r->function_error[len] = '\0';
		if (len == 0)
			strcpy(r->function_error, "Unhandled");
	}
	return n;
}

/* Set up libcurl and the multi handle (once per process). */
void
dynamo_http_multi_init(void)
{
	if (multi != NULL)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "could not initialise libcurl");
	multi = curl_multi_init();
	if (multi == NULL)
		elog(ERROR, "could not create a libcurl multi handle");
	/* keep a few idle connections per host for reuse */
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) Max(dynamo_http_max_inflight, 8));
}

/* Free a request and its easy handle (after removing it from multi). */
static void
free_request(HttpRequest *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (requests == r)
		requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r->resp);
	free(r);
}

/* Abandon every request and close every connection. */
void
dynamo_http_multi_cleanup(void)
{
	if (multi == NULL)
		return;
	while (requests != NULL)
	{
		curl_multi_remove_handle(multi, requests->easy);
		free_request(requests);
	}
	curl_multi_cleanup(multi);
	multi = NULL;
	inflight = 0;
}

/* Restrict an easy handle to http and https, also for redirects. */
static void
only_http(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
}

/*
 * Start a POST of body to url with headers (List of DynamoHttpHeader);
 * false with *why if libcurl refused it.  owner comes back in the result.
 */
bool
dynamo_http_send(void *owner, const DynamoHttpUrl *url, List *headers,
				 const char *body, size_t body_len, int timeout_ms, char **why)
{
	HttpRequest *r = calloc(1, sizeof(HttpRequest));
	CURL	   *e;
	ListCell   *lc;
	CURLMcode	mrc;

	if (r == NULL)
		elog(ERROR, "out of memory");
	r->owner = owner;
	r->max_len = (size_t) dynamo_http_max_response_bytes;
	r->body = malloc(body_len + 1);
	r->easy = e = curl_easy_init();
	if (r->body == NULL || e == NULL)
	{
		free_request(r);
		elog(ERROR, "out of memory");
	}
	memcpy(r->body, body, body_len);
	r->body[body_len] = '\0';

	r->headers = curl_slist_append(NULL, "Expect:");
	foreach(lc, headers)
	{
		DynamoHttpHeader *h = lfirst(lc);
		char	   *line = psprintf("%s: %s", h->name, h->value);

		r->headers = curl_slist_append(r->headers, line);
		pfree(line);
	}
	curl_easy_setopt(e, CURLOPT_URL, url->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	only_http(e);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dynamo_streams/" DYNAMO_HTTP_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, dynamo_http_verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, dynamo_http_verify_tls ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) r->max_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *) r);
	mrc = curl_multi_add_handle(multi, e);
	if (mrc != CURLM_OK)
	{
		*why = pstrdup(curl_multi_strerror(mrc));
		free_request(r);
		return false;
	}
	r->next = requests;
	if (requests)
		requests->prev = r;
	requests = r;
	inflight++;
	return true;
}

/* Wait up to wait_ms for network activity, then make progress; returns running requests. */
int
dynamo_http_perform(int wait_ms)
{
	int			running = 0;

	if (multi == NULL)
		return 0;
	if (wait_ms > 0)
#if LIBCURL_VERSION_NUM >= 0x074200
		curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
#else
		curl_multi_wait(multi, NULL, 0, wait_ms, NULL);
#endif
	curl_multi_perform(multi, &running);
	return running;
}

/* Requests started and not yet returned by dynamo_http_next_result. */
int
dynamo_http_inflight(void)
{
	return inflight;
}

/*
 * The next finished request, if any: fills result (its body malloc'd, to
 * be freed with dynamo_http_free_result) and frees the request.
 */
bool
dynamo_http_next_result(DynamoHttpResult *result)
{
	CURLMsg    *msg;
	int			left;

	memset(result, 0, sizeof(*result));
	if (multi == NULL)
		return false;
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		HttpRequest *r = NULL;
		CURLcode	rc = msg->data.result;
		double		t = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &result->status);
		curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &t);
		result->owner = r->owner;
		result->seconds = t;
		strlcpy(result->function_error, r->function_error, sizeof(result->function_error));
		result->too_large = r->too_large || rc == CURLE_FILESIZE_EXCEEDED;
		result->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		if (rc != CURLE_OK)
		{
			if (result->too_large)
				snprintf(result->error, sizeof(result->error),
						 "response larger than %d bytes", dynamo_http_max_response_bytes);
			else
				snprintf(result->error, sizeof(result->error), "%s",
						 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		}
		else
		{
			result->body = r->resp;
			result->body_len = r->resp_len;
			r->resp = NULL;
		}
		curl_multi_remove_handle(multi, r->easy);
		free_request(r);
		inflight--;
		return true;
	}
	return false;
}

/* Free what dynamo_http_next_result allocated. */
void
dynamo_http_free_result(DynamoHttpResult *result)
{
	free(result->body);
	result->body = NULL;
}
