/*-------------------------------------------------------------------------
 *
 * ttl.h
 *		Time to live: the entry points of the TTL sweeper (src/ttl.c).
 *
 * DynamoDB deletes the items of a TTL-enabled table whose TTL attribute (a
 * top-level N holding epoch seconds) lies in the past, but not more than
 * five years in the past, and marks the REMOVE stream records of those
 * deletes with userIdentity {"type":"Service","principalId":
 * "dynamodb.amazonaws.com"}.  The output plugin marks every REMOVE of a
 * transaction whose replication origin is dynamo_streams_ttl
 * (DYNAMO_TTL_ORIGIN, created by the install script), so a sweep runs with
 * that origin set up for its session and does nothing else in its
 * transactions.
 *
 * A background worker sweeps like this (dynamo.sweep_ttl does the same
 * with SPI_commit between batches):
 *
 *		if (!dynamo_ttl_origin_begin())
 *			return;				-- another sweep of this database is running
 *		PG_TRY();
 *		{
 *			do {
 *				StartTransactionCommand();
 *				PushActiveSnapshot(GetTransactionSnapshot());
 *				n = dynamo_ttl_sweep(DYNAMO_TTL_BATCH);
 *				PopActiveSnapshot();
 *				CommitTransactionCommand();
 *			} while (n > 0 && budget left);
 *		}
 *		PG_FINALLY();
 *		{
 *			dynamo_ttl_origin_end();
 *		}
 *		PG_END_TRY();
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_TTL_H
#define DYNAMO_TTL_H

/* Items deleted per transaction by sweep_ttl (one short transaction each). */
#define DYNAMO_TTL_BATCH	100

/*
 * Set up the TTL replication origin for this session, after taking this
 * database's TTL sweep lock (a session-level advisory lock).  Returns false,
 * having set up nothing, when another session of this database is sweeping.
 * Raises an error when the session already has a replication origin, or
 * when a session of another database holds the origin.
 */
extern bool dynamo_ttl_origin_begin(void);

/* Undo dynamo_ttl_origin_begin (safe to call when it did nothing). */
extern void dynamo_ttl_origin_end(void);

/*
 * Delete at most budget expired items of the TTL-enabled item tables the
 * current user may SELECT, UPDATE and DELETE, in the current transaction,
 * which must have an active snapshot and do nothing else (every REMOVE of
 * it is marked as a TTL delete).  Needs dynamo_ttl_origin_begin first.
 * Items locked by other transactions are skipped, not waited for.  Returns
 * the number of items deleted.
 */
extern int64 dynamo_ttl_sweep(int budget);

/* Define the TTL settings (called by _PG_init). */
extern void dynamo_ttl_define_settings(void);

#endif							/* DYNAMO_TTL_H */
