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
 * they are); the stream log pump gets the record itself (DynamoRecordSink
 * below) and stores its fields;
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

#include "access/htup.h"
#include "access/tupdesc.h"
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
	bool		refire;			/* re-fired by dynamo.refire: userIdentity */
	bool		noop;			/* an unchanged item (include-noop) */
	DynamoOmitted omitted;
} DynamoRecord;

/*
 * dynamo.refire (refire.c) writes one row per item into the table
 * dynamo._refires and deletes it again in the same transaction; the
 * plugin turns the row's INSERT into a MODIFY record whose images are both
 * the item (decode.c, refire_change).  A row is (relid, message): the
 * message is a DynamoRefireMessage followed by the item's heap tuple data
 * (t_data, t_len bytes, no external TOAST pointers), since decoding cannot
 * read the item's table.  Only refire.c writes the table (no privilege on
 * it is granted), so the plugin never decodes a row that someone forged.
 * The record's part (the last digit of the SequenceNumber, record_seq.c)
 * is DYNAMO_PART_REFIRE, so a stored record stays recognisable as a refire
 * wherever its sequence number goes (dynamo_seq_is_refire).
 */
#define DYNAMO_REFIRE_TABLE		"_refires"
#define DYNAMO_REFIRE_PRINCIPAL	"dynamo_streams.refire"
#define DYNAMO_REFIRE_VERSION	1
#define DYNAMO_PART_REFIRE		2

typedef struct DynamoRefireMessage
{
	uint32		version;		/* DYNAMO_REFIRE_VERSION */
	Oid			relid;			/* the table */
	uint32		t_len;			/* bytes of tuple data that follow */
} DynamoRefireMessage;

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

/* record_seq.c */
extern bool dynamo_seq_is_refire(const char *seq);

/*
 * record_log.c: the columns of dynamo._records (alias r) a reader selects,
 * in this order, to fill a record's row part from each row (the stream's
 * fields, stream_arn, region and view_name, are the caller's); and the
 * region of a stream ARN from the catalog.
 */
#define DYNAMO_LOG_RECORD_COLUMNS \
	"r.sequence_number, r.event_name, r.created_at, r.keys, r.new_image, " \
	"r.old_image, r.size_bytes, r.ttl, r.omitted"
extern void dynamo_record_from_log_row(DynamoRecord *rec, HeapTuple tup, TupleDesc desc);
extern char *dynamo_stream_arn_region(const char *arn);

#endif							/* DYNAMO_RECORD_H */
