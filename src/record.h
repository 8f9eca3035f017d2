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
 * dynamo.refire (refire.c) writes one transactional logical message per
 * item with this prefix; the plugin turns it into a MODIFY record whose
 * images are both the item (decode.c, decode_message).  The message is a
 * DynamoRefireMessage followed by the heap tuple's data (t_data, t_len
 * bytes, no external TOAST pointers), since decoding cannot read the table.
 */
#define DYNAMO_REFIRE_PREFIX	"dynamo_streams.refire"
#define DYNAMO_REFIRE_PRINCIPAL	"dynamo_streams.refire"
#define DYNAMO_REFIRE_VERSION	1

typedef struct DynamoRefireMessage
{
	uint32		version;		/* DYNAMO_REFIRE_VERSION */
	Oid			relid;			/* the table */
	uint32		t_len;			/* bytes of tuple data that follow */
} DynamoRefireMessage;

/* Renderer flags. */
#define DYNAMO_RENDER_STREAMS	0x01	/* GetRecords record, not Lambda */
#define DYNAMO_RENDER_PG_XID	0x02	/* "pg":{"xid"} */
#define DYNAMO_RENDER_PG_LSN	0x04	/* "pg":{"lsn","commitLsn"} */
#define DYNAMO_RENDER_PG_TIME	0x08	/* "pg":{"commitTime"} */
#define DYNAMO_RENDER_PG_ANY	(DYNAMO_RENDER_PG_XID | DYNAMO_RENDER_PG_LSN | DYNAMO_RENDER_PG_TIME)

/* record_render.c */
extern void dynamo_render_json(StringInfo out, const DynamoRecord *rec, int flags);
extern void dynamo_render_pump(StringInfo out, const DynamoRecord *rec);
extern Size dynamo_render_json_len(const DynamoRecord *rec, int flags);
extern void dynamo_render_lsn(StringInfo out, XLogRecPtr lsn);
extern void dynamo_render_time(StringInfo out, TimestampTz t);
extern uint64 dynamo_key_hash(const char *keys, int len);

#endif							/* DYNAMO_RECORD_H */
