/*-------------------------------------------------------------------------
 *
 * http_sigv4.c
 *		AWS Signature Version 4 for push delivery requests (service
 *		"lambda"), so that a mapping can invoke a real Lambda function.
 *
 * The algorithm is AWS's (docs: "Create a signed AWS API request"):
 * a canonical request (method, canonical URI, canonical query, canonical
 * headers, signed header names, hex SHA-256 of the body), a string to sign
 * over its hash and the credential scope date/region/service/aws4_request,
 * and an HMAC-SHA-256 chain from "AWS4" + secret through date, region,
 * service and "aws4_request".  The canonical URI encodes the (already
 * percent-encoded) path once more, as AWS does for every service but S3;
 * the canonical query decodes and re-encodes each name and value and sorts
 * them.  The signed headers are host, content-type, x-amz-content-sha256,
 * x-amz-date, x-amz-security-token (with a session token) and the caller's
 * x-amz-* headers; test/e2e verifies signatures with the AWS SDK's own
 * signer (@smithy/signature-v4).
 *
 * Hashing uses the server's pg_cryptohash/pg_hmac (src/compat.h), which
 * with OpenSSL need a resource owner: call inside a transaction.  The
 * secret never leaves this file except as derived keys; nothing here logs
 * or reports it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "compat.h"
#include "http.h"

#define SHA256_LEN PG_SHA256_DIGEST_LENGTH

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
static void
hex_encode(const uint8 *in, int n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Hex SHA-256 of data into out (65 bytes). */
static void
sha256_hex(const char *data, size_t len, char *out)
{
	uint8		digest[SHA256_LEN];

	if (!dynamo_sha256((const uint8 *) data, len, digest))
		elog(ERROR, "could not compute a SHA-256 digest");
	hex_encode(digest, SHA256_LEN, out);
}

/* HMAC-SHA-256 of a NUL-terminated message under key into out. */
static void
hmac(const uint8 *key, size_t klen, const char *msg, uint8 *out)
{
	if (!dynamo_hmac_sha256(key, klen, (const uint8 *) msg, strlen(msg), out))
		elog(ERROR, "could not compute an HMAC-SHA-256");
}

/* Is c unreserved in AWS's URI encoding (RFC 3986)? */
static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Append s (len bytes) URI-encoded; keep_slash leaves '/' as is. */
static void
append_uri_encoded(StringInfo buf, const char *s, size_t len, bool keep_slash)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (unreserved(c) || (keep_slash && c == '/'))
			appendStringInfoChar(buf, c);
		else
			appendStringInfo(buf, "%%%02X", c);
	}
}

/* Value of a hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode len bytes of s (a query name or value); '+' stays. */
static char *
uri_decode(const char *s, size_t len, size_t *outlen)
{
	char	   *out = palloc(len + 1);
	size_t		i;
	size_t		n = 0;

	for (i = 0; i < len; i++)
	{
		if (s[i] == '%' && i + 2 < len &&
			hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0)
		{
			out[n++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* qsort comparator of C strings. */
static int
cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The canonical query string of a raw query (or NULL). */
static char *
canonical_query(const char *query)
{
	StringInfoData buf;
	char	  **pairs;
	int			n = 0;
	int			cap = 8;
	const char *p = query;
	int			i;

	if (query == NULL || *query == '\0')
		return pstrdup("");
	pairs = palloc(sizeof(char *) * cap);
	while (*p)
	{
		const char *end = strchr(p, '&');
		size_t		len = end ? (size_t) (end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t		klen = eq ? (size_t) (eq - p) : len;
		size_t		dlen;
		char	   *dec;
		StringInfoData pair;

		if (len > 0)
		{
			initStringInfo(&pair);
			dec = uri_decode(p, klen, &dlen);
			append_uri_encoded(&pair, dec, dlen, false);
			appendStringInfoChar(&pair, '=');
			if (eq)
			{
				dec = uri_decode(eq + 1, len - klen - 1, &dlen);
				append_uri_encoded(&pair, dec, dlen, false);
			}
			if (n == cap)
				pairs = repalloc(pairs, sizeof(char *) * (cap *= 2));
			pairs[n++] = pair.data;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	qsort(pairs, n, sizeof(char *), cmp_strings);
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '&');
		appendStringInfoString(&buf, pairs[i]);
	}
	return buf.data;
}

/* A header with a lowercase name and a trimmed value. */
static DynamoHttpHeader *
canonical_header(const char *name, const char *value)
{
	DynamoHttpHeader *h = palloc(sizeof(DynamoHttpHeader));
	StringInfoData v;
	const char *p;
	char	   *n;
	char	   *q;
	bool		space = false;

	n = pstrdup(name);
	for (q = n; *q; q++)
		*q = pg_ascii_tolower((unsigned char) *q);
	initStringInfo(&v);
	for (p = value; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p; p++)
	{
		if (*p == ' ' || *p == '\t')
			space = true;
		else
		{
			if (space)
				appendStringInfoChar(&v, ' ');
			space = false;
			appendStringInfoChar(&v, *p);
		}
	}
	h->name = n;
	h->value = v.data;
	return h;
}

/* list_sort comparator of headers by name. */
static int
cmp_headers(const ListCell *a, const ListCell *b)
{
	return strcmp(((DynamoHttpHeader *) lfirst(a))->name,
				  ((DynamoHttpHeader *) lfirst(b))->name);
}

/* Make a header (not canonicalised). */
static DynamoHttpHeader *
make_header(const char *name, const char *value)
{
	DynamoHttpHeader *h = palloc(sizeof(DynamoHttpHeader));

	h->name = pstrdup(name);
	h->value = pstrdup(value);
	return h;
}

/*
 * Sign a request: return the headers to send, which are the given ones
 * plus Host, X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token (with a
 * session token) and Authorization.  now: the signing time (epoch seconds).
 */
List *
dynamo_sigv4_sign(const char *method, const DynamoHttpUrl *url,
				  List *headers, const char *body, size_t body_len,
				  const DynamoSigV4Credentials *creds,
				  const char *service, time_t now)
{
	struct tm	tm;
	char		amzdate[17];
	char		date[9];
	char		payload_hash[2 * SHA256_LEN + 1];
	char		request_hash[2 * SHA256_LEN + 1];
	char		signature[2 * SHA256_LEN + 1];
	uint8		key[SHA256_LEN];
	uint8		next[SHA256_LEN];
	List	   *out = NIL;
	List	   *canon = NIL;
	ListCell   *lc;
	StringInfoData cr;
	StringInfoData signed_names;
	StringInfoData sts;
	StringInfoData secret;
	char	   *scope;
	char	   *auth;

	gmtime_r(&now, &tm);
	strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	sha256_hex(body ? body : "", body ? body_len : 0, payload_hash);

	out = list_copy(headers);
	out = lappend(out, make_header("Host", url->host_header));
	out = lappend(out, make_header("X-Amz-Date", amzdate));
	out = lappend(out, make_header("X-Amz-Content-Sha256", payload_hash));
	if (creds->session_token && creds->session_token[0])
		out = lappend(out, make_header("X-Amz-Security-Token", creds->session_token));
	foreach(lc, out)
	{
		DynamoHttpHeader *h = lfirst(lc);

		canon = lappend(canon, canonical_header(h->name, h->value));
	}
	list_sort(canon, cmp_headers);

	/* the canonical request */
	initStringInfo(&cr);
	appendStringInfo(&cr, "%s\n", method);
	append_uri_encoded(&cr, url->path, strlen(url->path), true);
	appendStringInfo(&cr, "\n%s\n", canonical_query(url->query));
	initStringInfo(&signed_names);
	foreach(lc, canon)
	{
		DynamoHttpHeader *h = lfirst(lc);

		appendStringInfo(&cr, "%s:%s\n", h->name, h->value);
		if (signed_names.len > 0)
			appendStringInfoChar(&signed_names, ';');
		appendStringInfoString(&signed_names, h->name);
	}
	appendStringInfo(&cr, "\n%s\n%s", signed_names.data, payload_hash);
	sha256_hex(cr.data, cr.len, request_hash);

	/* the string to sign and the signing key */
	scope = psprintf("%s/%s/%s/aws4_request", date, creds->region, service);
	initStringInfo(&sts);
	appendStringInfo(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope, request_hash);
	initStringInfo(&secret);
	appendStringInfo(&secret, "AWS4%s", creds->secret_access_key);
	hmac((const uint8 *) secret.data, secret.len, date, key);
	memset(secret.data, 0, secret.len);
	pfree(secret.data);
	hmac(key, SHA256_LEN, creds->region, next);
	hmac(next, SHA256_LEN, service, key);
	hmac(key, SHA256_LEN, "aws4_request", next);
	hmac(next, SHA256_LEN, sts.data, key);
	hex_encode(key, SHA256_LEN, signature);
	memset(next, 0, sizeof(next));
	memset(key, 0, sizeof(key));

	auth = psprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
					creds->access_key_id, scope, signed_names.data, signature);
	return lappend(out, make_header("Authorization", auth));
}
