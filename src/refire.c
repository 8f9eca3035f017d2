/*-------------------------------------------------------------------------
 *
 * refire.c
 *		dynamo.refire's emitter: one transactional logical message per
 *		item, which the output plugin turns into a MODIFY record.
 *
 * Logical decoding cannot read user tables, so the message carries the
 * row itself: the heap tuple's data as it is now (the latest committed
 * version, or this transaction's own), with out-of-line TOAST values
 * fetched into it, after a DynamoRefireMessage header (record.h).  Being
 * transactional, the message is decoded at its place among the
 * transaction's changes and only if the transaction commits, so refire
 * records are ordered with real writes.  dynamo.refire (SQL, part 63)
 * finds and locks the rows and calls _refire_row for each.
 *
 * _refire_row checks for itself that the caller could update the table
 * (SELECT and UPDATE) and that no row security applies to the caller, as
 * it reads the row by its ctid.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "dynamo_streams.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_refire_row);

/* Raise AccessDeniedException unless the caller may read and update relid. */
static void
require_write_access(Oid relid)
{
	AclMode		have = pg_class_aclmask(relid, GetUserId(), ACL_SELECT | ACL_UPDATE,
										ACLMASK_ALL);

	if ((have & (ACL_SELECT | ACL_UPDATE)) != (ACL_SELECT | ACL_UPDATE))
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_ACCESS_DENIED,
										"refire needs the SELECT and UPDATE privileges on %s.",
										get_rel_name(relid)),
				errmsg("User: %s is not authorized to perform: refire on table %s",
					   GetUserNameFromId(GetUserId(), false), get_rel_name(relid)));
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_ACCESS_DENIED,
										"Row security applies to %s for this role.",
										get_rel_name(relid)),
				errmsg("User: %s is not authorized to perform: refire on table %s",
					   GetUserNameFromId(GetUserId(), false), get_rel_name(relid)),
				errhint("Refire as the table's owner or a role that bypasses row security."));
}

/* Write the refire message of one heap tuple of rel. */
static void
emit_tuple(Relation rel, HeapTuple tup)
{
	DynamoRefireMessage hdr;
	HeapTuple	flat = tup;
	char	   *buf;

	if (HeapTupleHasExternal(tup))
		flat = toast_flatten_tuple(tup, RelationGetDescr(rel));
	hdr.version = DYNAMO_REFIRE_VERSION;
	hdr.relid = RelationGetRelid(rel);
	hdr.t_len = flat->t_len;
	buf = palloc(sizeof(hdr) + flat->t_len);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), flat->t_data, flat->t_len);
	DYNAMO_LOG_LOGICAL_MESSAGE(DYNAMO_REFIRE_PREFIX, buf, sizeof(hdr) + flat->t_len, true);
	pfree(buf);
	if (flat != tup)
		heap_freetuple(flat);
}

/*
 * _refire_row(relation regclass, row_ctid tid) returns boolean: emit the
 * refire message of the row at row_ctid as the latest snapshot sees it
 * (the caller locked it); false when there is no such row.
 */
Datum
dynamo_sql_refire_row(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ItemPointer tid = (ItemPointer) PG_GETARG_POINTER(1);
	Relation	rel;
	TupleTableSlot *slot;
	bool		found;

	require_write_access(relid);
	rel = table_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", RelationGetRelationName(rel)));
	if (!ItemPointerIsValid(tid) ||
		ItemPointerGetBlockNumber(tid) >= RelationGetNumberOfBlocks(rel))
	{
		table_close(rel, AccessShareLock);
		PG_RETURN_BOOL(false);
	}
	slot = table_slot_create(rel, NULL);
	found = table_tuple_fetch_row_version(rel, tid, GetLatestSnapshot(), slot);
	if (found)
	{
		bool		should_free;
		HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &should_free);

		emit_tuple(rel, tup);
		if (should_free)
			heap_freetuple(tup);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(found);
}
