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

#include "postgres.h"

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

/* Define the pump's settings (called by _PG_init). */
extern void dynamo_pump_define_settings(void);

#endif							/* DYNAMO_PUMP_H */
