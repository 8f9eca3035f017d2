/*-------------------------------------------------------------------------
 *
 * item_noop.c
 *		Leave a trace in the WAL of a put that changed nothing.
 *
 * A put (put_item, update_item, batch and transactional writes) of an item
 * identical to the stored one writes no row version (items.c), so logical
 * decoding never sees it.  To count such no-ops per stream (the stream
 * log's dynamo._noop_counts, filled by the pump), the write logs a small
 * transactional logical decoding message instead: the relation's OID and
 * the key hash of the item's Keys (for the plugin's hash-slots option).  It
 * is decoded at commit, in order with the transaction's changes, and
 * discarded with a rolled-back transaction; the output plugin counts it
 * (decode.c) and never sends it as a record.  Only with wal_level =
 * logical; it gives the no-op transaction a transaction id and a commit
 * record.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "replication/message.h"
#include "utils/jsonb.h"

#include "compat.h"
#include "decode.h"
#include "items.h"
#include "record.h"

/* See record.h. */
void
dynamo_log_noop(Oid relid, Jsonb *item, const char *hash_key, const char *range_key)
{
	DynamoNoopMessage msg;
	StringInfoData keys;
	bool		found;

	if (!XLogLogicalInfoActive())
		return;
	initStringInfo(&keys);
	dynamo_json_keys(&keys, &item->root, hash_key, range_key, &found);
	memset(&msg, 0, sizeof(msg));
	msg.relid = relid;
	msg.key_hash = dynamo_key_hash(keys.data, keys.len);
	DYNAMO_LOG_LOGICAL_MESSAGE(DYNAMO_NOOP_PREFIX, (const char *) &msg, sizeof(msg), true);
	pfree(keys.data);
}
