/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every PostgreSQL version difference dynamo_streams cares about.
 *
 * The extension builds against PostgreSQL 13 to 18.  All #if PG_VERSION_NUM
 * blocks live here so that the rest of the code reads as if there were one
 * server version.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_COMPAT_H
#define DYNAMO_COMPAT_H

#if PG_VERSION_NUM < 130000
#error "dynamo_streams needs PostgreSQL 13 or later"
#endif

#include "replication/reorderbuffer.h"

/* The commit timestamp of a decoded transaction moved into a union in 15. */
#if PG_VERSION_NUM >= 150000
#define DYNAMO_TXN_COMMIT_TIME(txn) ((txn)->xact_time.commit_time)
#else
#define DYNAMO_TXN_COMMIT_TIME(txn) ((txn)->commit_time)
#endif

/* Decoded tuples of a change became plain HeapTuples in 17. */
#if PG_VERSION_NUM >= 170000
#define DYNAMO_CHANGE_NEWTUPLE(change) ((change)->data.tp.newtuple)
#define DYNAMO_CHANGE_OLDTUPLE(change) ((change)->data.tp.oldtuple)
#else
#define DYNAMO_CHANGE_NEWTUPLE(change) \
	((change)->data.tp.newtuple ? &(change)->data.tp.newtuple->tuple : NULL)
#define DYNAMO_CHANGE_OLDTUPLE(change) \
	((change)->data.tp.oldtuple ? &(change)->data.tp.oldtuple->tuple : NULL)
#endif

/* varatt.h was split out of postgres.h in 16. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* MarkGUCPrefixReserved was called EmitWarningsOnPlaceholders before 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* pg_b64_encode takes its input as uint8 from 18 on. */
#include "common/base64.h"
#if PG_VERSION_NUM >= 180000
#define DYNAMO_B64_SRC(p) ((const uint8 *) (p))
#else
#define DYNAMO_B64_SRC(p) ((const char *) (p))
#endif

/*
 * An interval as an ISO 8601 duration into buf (MAXDATELEN + 1 bytes):
 * EncodeInterval takes a struct pg_itm from 15 on (a pg_tm and fractional
 * seconds before).  Infinite intervals exist from 17 on.  Use where
 * utils/datetime.h and utils/timestamp.h are included.
 */
#if PG_VERSION_NUM >= 150000
#define DYNAMO_INTERVAL_ISO(span, buf) \
	do { \
		struct pg_itm itm_; \
		interval2itm(*(span), &itm_); \
		EncodeInterval(&itm_, INTSTYLE_ISO_8601, (buf)); \
	} while (0)
#else
#define DYNAMO_INTERVAL_ISO(span, buf) \
	do { \
		struct pg_tm tm_; \
		fsec_t		fsec_; \
		if (interval2tm(*(span), &tm_, &fsec_) != 0) \
			ereport(ERROR, \
					errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), \
					errmsg("interval out of range")); \
		EncodeInterval(&tm_, fsec_, INTSTYLE_ISO_8601, (buf)); \
	} while (0)
#endif
#if PG_VERSION_NUM >= 170000
#define DYNAMO_INTERVAL_NOT_FINITE(span) INTERVAL_NOT_FINITE(span)
#else
#define DYNAMO_INTERVAL_NOT_FINITE(span) false
#endif

/*
 * replorigin_session_setup takes the PID whose origin to share from 16 on;
 * SPI_commit starts the next transaction itself from 15 on.
 */
#include "replication/origin.h"
#if PG_VERSION_NUM >= 160000
#define DYNAMO_REPLORIGIN_SESSION_SETUP(origin) replorigin_session_setup((origin), 0)
#else
#define DYNAMO_REPLORIGIN_SESSION_SETUP(origin) replorigin_session_setup(origin)
#endif
#if PG_VERSION_NUM >= 150000
#define DYNAMO_SPI_START_TRANSACTION() ((void) 0)
#else
#define DYNAMO_SPI_START_TRANSACTION() SPI_start_transaction()
#endif

/*
 * The local copy of one backend's status entry, by index (1-based), as the
 * worker's lookup in src/worker_find.c reads it.
 */
#if PG_VERSION_NUM >= 160000
#define DYNAMO_LOCAL_BEENTRY(i) pgstat_get_local_beentry_by_index(i)
#else
#define DYNAMO_LOCAL_BEENTRY(i) pgstat_fetch_stat_local_beentry(i)
#endif

/*
 * The in-process pump (src/pump_decode.c): acquiring a slot, the flushed
 * end of the WAL, and inserting index entries, as their signatures changed.
 */
#if PG_VERSION_NUM >= 180000
#define DYNAMO_SLOT_ACQUIRE(name) ReplicationSlotAcquire((name), true, true)
#elif PG_VERSION_NUM >= 140000
#define DYNAMO_SLOT_ACQUIRE(name) ReplicationSlotAcquire((name), true)
#else
#define DYNAMO_SLOT_ACQUIRE(name) ReplicationSlotAcquire((name), SAB_Error)
#endif
#if PG_VERSION_NUM >= 150000
#define DYNAMO_FLUSH_REC_PTR() GetFlushRecPtr(NULL)
#else
#define DYNAMO_FLUSH_REC_PTR() GetFlushRecPtr()
#endif
#if PG_VERSION_NUM >= 160000
#define DYNAMO_INSERT_INDEX_TUPLES(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#elif PG_VERSION_NUM >= 140000
#define DYNAMO_INSERT_INDEX_TUPLES(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#else
#define DYNAMO_INSERT_INDEX_TUPLES(rri, slot, estate) \
	ExecInsertIndexTuples((slot), (estate), false, NULL, NIL)
#endif
#if PG_VERSION_NUM >= 140000
#define DYNAMO_INDEX_INSERT(irel, values, isnull, tid, heap, ii) \
	index_insert((irel), (values), (isnull), (tid), (heap), UNIQUE_CHECK_NO, false, (ii))
#else
#define DYNAMO_INDEX_INSERT(irel, values, isnull, tid, heap, ii) \
	index_insert((irel), (values), (isnull), (tid), (heap), UNIQUE_CHECK_NO, (ii))
#endif
#if PG_VERSION_NUM >= 140000
#define DYNAMO_ESTATE_RESULT_REL(estate, rri) ((void) 0)
#else
#define DYNAMO_ESTATE_RESULT_REL(estate, rri) ((estate)->es_result_relation_info = (rri))
#endif

/*
 * SHA-256 and HMAC-SHA-256 for SigV4 signing (src/http_sigv4.c): the
 * server's own pg_cryptohash and pg_hmac (OpenSSL when the server was built
 * with it) from 14 on; before 14, pg_sha256 with HMAC built on it.  With
 * OpenSSL the contexts are tracked by the current resource owner, so call
 * these inside a transaction.  Both return false on failure.
 */
#if PG_VERSION_NUM >= 140000
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
static inline bool
dynamo_sha256(const uint8 *data, size_t len, uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bool		ok;

	if (ctx == NULL)
		return false;
#if PG_VERSION_NUM >= 150000
	ok = pg_cryptohash_init(ctx) == 0 && pg_cryptohash_update(ctx, data, len) == 0 &&
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) == 0;
#else
	ok = pg_cryptohash_init(ctx) == 0 && pg_cryptohash_update(ctx, data, len) == 0 &&
		pg_cryptohash_final(ctx, out) == 0;
#endif
	pg_cryptohash_free(ctx);
	return ok;
}
static inline bool
dynamo_hmac_sha256(const uint8 *key, size_t klen, const uint8 *data, size_t len, uint8 *out)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	bool		ok;

	if (ctx == NULL)
		return false;
	ok = pg_hmac_init(ctx, key, klen) == 0 && pg_hmac_update(ctx, data, len) == 0 &&
		pg_hmac_final(ctx, out, PG_SHA256_DIGEST_LENGTH) == 0;
	pg_hmac_free(ctx);
	return ok;
}
#else
#include "common/sha2.h"
static inline bool
dynamo_sha256(const uint8 *data, size_t len, uint8 *out)
{
	pg_sha256_ctx ctx;

	pg_sha256_init(&ctx);
	pg_sha256_update(&ctx, data, len);
	pg_sha256_final(&ctx, out);
	return true;
}
static inline bool
dynamo_hmac_sha256(const uint8 *key, size_t klen, const uint8 *data, size_t len, uint8 *out)
{
	uint8		k[PG_SHA256_BLOCK_LENGTH] = {0};
	uint8		pad[PG_SHA256_BLOCK_LENGTH];
	uint8		inner[PG_SHA256_DIGEST_LENGTH];
	pg_sha256_ctx ctx;
	int			i;

	if (klen > PG_SHA256_BLOCK_LENGTH)
		dynamo_sha256(key, klen, k);
	else
		memcpy(k, key, klen);
	for (i = 0; i < PG_SHA256_BLOCK_LENGTH; i++)
		pad[i] = k[i] ^ 0x36;
	pg_sha256_init(&ctx);
	pg_sha256_update(&ctx, pad, sizeof(pad));
	pg_sha256_update(&ctx, data, len);
	pg_sha256_final(&ctx, inner);
	for (i = 0; i < PG_SHA256_BLOCK_LENGTH; i++)
		pad[i] = k[i] ^ 0x5c;
	pg_sha256_init(&ctx);
	pg_sha256_update(&ctx, pad, sizeof(pad));
	pg_sha256_update(&ctx, inner, sizeof(inner));
	pg_sha256_final(&ctx, out);
	return true;
}
#endif


/* String keys of dynahash tables need HASH_STRINGS from 14 on (the default before). */
#if PG_VERSION_NUM < 140000
#define HASH_STRINGS 0
#endif

/* LogLogicalMessage took a flush argument in 17. */
#include "replication/message.h"
#if PG_VERSION_NUM >= 170000
#define DYNAMO_LOG_LOGICAL_MESSAGE(prefix, msg, size, transactional) \
	LogLogicalMessage((prefix), (msg), (size), (transactional), false)
#else
#define DYNAMO_LOG_LOGICAL_MESSAGE(prefix, msg, size, transactional) \
	LogLogicalMessage((prefix), (msg), (size), (transactional))
#endif

/*
 * A running MD5 of an export file (export_files.c): pg_cryptohash from 14
 * on, whose final takes the digest length from 15 on; before 14 there is
 * no incremental MD5, so the finished file is read back and hashed whole.
 */
#if PG_VERSION_NUM >= 140000
#include "common/cryptohash.h"
typedef struct DynamoMd5
{
	pg_cryptohash_ctx *ctx;
} DynamoMd5;

static inline void
dynamo_md5_init(DynamoMd5 *m)
{
	m->ctx = pg_cryptohash_create(PG_MD5);
	if (m->ctx == NULL || pg_cryptohash_init(m->ctx) < 0)
		elog(ERROR, "could not initialise an MD5 context");
}

static inline void
dynamo_md5_update(DynamoMd5 *m, const void *data, size_t n)
{
	if (pg_cryptohash_update(m->ctx, (const uint8 *) data, n) < 0)
		elog(ERROR, "could not update an MD5 context");
}

static inline void
dynamo_md5_final(DynamoMd5 *m, uint8 *digest, const char *path)
{
#if PG_VERSION_NUM >= 150000
	if (pg_cryptohash_final(m->ctx, digest, 16) < 0)
#else
	if (pg_cryptohash_final(m->ctx, digest) < 0)
#endif
		elog(ERROR, "could not finish an MD5 context");
	pg_cryptohash_free(m->ctx);
	m->ctx = NULL;
}
#else
#include "common/md5.h"
#include "storage/fd.h"
typedef struct DynamoMd5
{
	int			unused;
} DynamoMd5;

#define dynamo_md5_init(m) ((void) (m))
#define dynamo_md5_update(m, data, n) ((void) 0)

static inline void
dynamo_md5_final(DynamoMd5 *m, uint8 *digest, const char *path)
{
	StringInfoData buf;
	char		chunk[8192];
	size_t		n;
	FILE	   *fp = AllocateFile(path, PG_BINARY_R);

	if (fp == NULL)
		elog(ERROR, "could not read back \"%s\": %m", path);
	initStringInfo(&buf);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		appendBinaryStringInfo(&buf, chunk, n);
	FreeFile(fp);
	if (!pg_md5_binary(buf.data, buf.len, digest))
		elog(ERROR, "could not compute an MD5");
	pfree(buf.data);
}
#endif

#endif							/* DYNAMO_COMPAT_H */
