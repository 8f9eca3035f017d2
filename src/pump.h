/*-------------------------------------------------------------------------
 *
 * pump.h
 *		The stream log pump: the output plugin's records into dynamo._records,
 *		exactly once (docs/stream-log.md).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_PUMP_H
#define DYNAMO_PUMP_H

#include "access/xlogdefs.h"

/*
 * One pump step in the caller's transaction (which must be open and must
 * not have set up a replication origin of its own): shard and partition
 * upkeep, then up to max_changes records (whole transactions; <= 0 means
 * no limit) from the pump's slot into the log, with the pump's progress
 * recorded in the same transaction (replication origin), so that the
 * records are written exactly once whatever happens after.  Returns the
 * number of records written; *more (if not NULL) is set when the slot may
 * hold more right now.  The slot must exist (dynamo_pump_ensure_slot).
 * The caller commits; the session's origin is reset at the end of the
 * transaction (commit or abort).  Errors are ereport(ERROR).
 */
extern int64 dynamo_pump_step(int64 max_changes, bool *more);

/*
 * Create the pump's logical slot and replication origin if missing.  Must
 * run in a transaction that has not written (a logical slot cannot be
 * created in one).  Returns true if it created the slot.
 */
extern bool dynamo_pump_ensure_slot(void);

/* A stream of the log, with the shard of each hash slot (pump_decode.c). */
typedef struct PumpStream
{
	struct PumpStream *next;
	char	   *arn;
	int			arn_len;
	int64		stream_id;
	int			slot_count;
	int64	   *shard_nos;		/* [slot_count]; 0 = no current shard */
} PumpStream;

typedef struct PumpStreamMap
{
	PumpStream *streams;
	PumpStream *last;			/* the last one found */
} PumpStreamMap;

/* What one step decoded and wrote. */
typedef struct PumpResult
{
	int64		decoded;		/* records the plugin gave, past done */
	int64		pumped;			/* records written */
	int64		noops;			/* no-op writes counted */
	XLogRecPtr	last_lsn;		/* commit LSN of the last transaction taken */
	XLogRecPtr	upto;			/* end of the WAL read */
	bool		more;			/* stopped at max_changes */
	int			n_noop_rows;	/* no-op counts per (stream, hour) */
	Datum	   *noop_streams;
	Datum	   *noop_buckets;
	Datum	   *noop_counts;
} PumpResult;

/*
 * Decode the pump's slot in this process, from just past done (the
 * committed progress) to the end of the flushed WAL (or past max_changes
 * records, whole transactions, when max_changes > 0), and write the records
 * of transactions that committed after done and after pending (what an
 * earlier step of this transaction took, or InvalidXLogRecPtr) into the
 * partition of dynamo._records; the no-op counts are returned for the
 * caller to store.
 */
extern void dynamo_pump_decode(const char *slot, PumpStreamMap *map,
							   XLogRecPtr done, XLogRecPtr pending,
							   Oid partition, int64 max_changes,
							   PumpResult *result);

/* Define the pump's settings (called by _PG_init). */
extern void dynamo_pump_define_settings(void);

#endif							/* DYNAMO_PUMP_H */
