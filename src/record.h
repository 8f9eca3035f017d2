/*-------------------------------------------------------------------------
 *
 * record.h
 *		The stream record model: one DynamoDB Streams record as decoding
 *		fills it, separate from its renderings.
 *
 * Decoding (decode.c) fills a DynamoRecord: where the change sits in the
 * WAL (commit LSN, end LSN, change number, part, hence the SequenceNumber),
 * the stream it belongs to (ARN, region, view type), the event, the Keys
 * and images as built AttributeValue JSON text, SizeBytes, the TTL and
 * no-op flags, and why parts were left out.  Renderers write it out:
 * record_render.c as the Lambda or GetRecords JSON record, or in the
 * internal pump format (tab-separated fields with the JSON fragments as
 * they are), which the stream log stores without parsing JSON;
 * record_sql.c renders stored fields again from SQL
 * (dynamo.render_record), byte for byte as the plugin does.
 *
 * The record never owns its text: keys and images point into buffers of
 * the change's memory context (or of the SQL caller).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_RECORD_H
#define DYNAMO_RECORD_H

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* The record's eventName. */
typedef enum DynamoEvent
{
	DYNAMO_EV_INSERT,
	DYNAMO_EV_MODIFY,
	DYNAMO_EV_REMOVE
} DynamoEvent;

extern const char *const dynamo_event_names[];

/* Why a record carries less than its view type says ("omitted"). */
typedef enum DynamoOmitted
{
	DYNAMO_OMITTED_NONE,
	DYNAMO_OMITTED_TOO_BIG,		/* "max-record-bytes" */
	DYNAMO_OMITTED_ERROR		/* "error" */
} DynamoOmitted;

extern const char *const dynamo_omitted_names[];

/* Seed of the key hash (hash_bytes_extended of the Keys JSON text). */
#define DYNAMO_KEY_HASH_SEED	UINT64CONST(0x5d1f0e6a9c3b2741)

/* One stream record. */
typedef struct DynamoRecord
{
	/* position */
	XLogRecPtr	commit_lsn;		/* the transaction's commit LSN */
	XLogRecPtr	end_lsn;		/* end of its commit record */
	XLogRecPtr	lsn;			/* the change's own LSN ("pg" metadata) */
	TransactionId xid;
	TimestampTz commit_time;
	uint64		change_no;		/* 1-based number of the change in its txn */
	int			part;			/* 1 for the INSERT half of a key change */
	char		seq[41];		/* SequenceNumber, 40 digits */
	char		event_id[33];	/* eventID, 32 hex digits */
	/* stream */
	const char *stream_arn;
	int			stream_arn_len;
	const char *region;
	const char *view_name;		/* StreamViewType */
	/* content */
	DynamoEvent event;
	const char *keys;			/* Keys JSON ("{}" when omitted) */
	int			keys_len;
	const char *new_image;		/* NewImage JSON, NULL when not carried */
	int			new_len;
	const char *old_image;		/* OldImage JSON, NULL when not carried */
	int			old_len;
	uint64		key_hash;		/* hash of the Keys text: picks the shard */
	int64		size_bytes;		/* SizeBytes: of what the record carries */
	bool		ttl;			/* a TTL delete: userIdentity */
	bool		noop;			/* an unchanged item (include-noop) */
	DynamoOmitted omitted;
} DynamoRecord;

/*
 * An in-process reader of the plugin's records: the stream log pump
 * (pump.c) installs one in dynamo_decode_sink before it creates its
 * decoding context, and the plugin then hands it each record (as
 * format=pump would carry it) instead of writing text, and, at each
 * commit, the writes of the transaction that were suppressed as no-ops
 * (per stream).  Callbacks run inside decoding (historic snapshot,
 * internal subtransaction): they may only copy what they are given.
 */
typedef struct DynamoRecordSink DynamoRecordSink;
struct DynamoRecordSink
{
	void		(*record) (DynamoRecordSink *sink, const DynamoRecord *rec);
	void		(*noops) (DynamoRecordSink *sink, XLogRecPtr commit_lsn,
						  TimestampTz commit_time, const char *stream_arn,
						  int stream_arn_len, int64 count);
};

extern PGDLLIMPORT DynamoRecordSink *dynamo_decode_sink;

/*
 * A put that left its item unchanged writes no row; it logs this as a
 * transactional logical decoding message (prefix DYNAMO_NOOP_PREFIX) so
 * that the plugin can count it (item_noop.c).
 */
#define DYNAMO_NOOP_PREFIX		"dynamo_streams.noop"

typedef struct DynamoNoopMessage
{
	Oid			relid;			/* the item table */
	uint64		key_hash;		/* of the item's Keys (dynamo_key_hash) */
} DynamoNoopMessage;

/* item_noop.c */
extern void dynamo_log_noop(Oid relid, Jsonb *item, const char *hash_key,
							const char *range_key);

/* Renderer flags. */
#define DYNAMO_RENDER_STREAMS	0x01	/* GetRecords record, not Lambda */
#define DYNAMO_RENDER_PG_XID	0x02	/* "pg":{"xid"} */
#define DYNAMO_RENDER_PG_LSN	0x04	/* "pg":{"lsn","commitLsn"} */
#define DYNAMO_RENDER_PG_TIME	0x08	/* "pg":{"commitTime"} */
#define DYNAMO_RENDER_PG_ANY	(DYNAMO_RENDER_PG_XID | DYNAMO_RENDER_PG_LSN | DYNAMO_RENDER_PG_TIME)

/* record_render.c */
extern void dynamo_render_json(StringInfo out, const DynamoRecord *rec, int flags);
extern void dynamo_render_pump(StringInfo out, const DynamoRecord *rec);
extern void dynamo_render_pump_noops(StringInfo out, XLogRecPtr commit_lsn,
									 XLogRecPtr end_lsn, TimestampTz commit_time,
									 const char *stream_arn, int stream_arn_len,
									 int64 count);
extern Size dynamo_render_json_len(const DynamoRecord *rec, int flags);
extern void dynamo_render_lsn(StringInfo out, XLogRecPtr lsn);
extern void dynamo_render_time(StringInfo out, TimestampTz t);
extern uint64 dynamo_key_hash(const char *keys, int len);

#endif							/* DYNAMO_RECORD_H */
