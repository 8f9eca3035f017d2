/*-------------------------------------------------------------------------
 *
 * decode.c
 *		The dynamo_streams logical decoding output plugin.
 *
 * One output row per record: each committed INSERT, UPDATE or DELETE of a
 * stream-enabled item table or ordinary table becomes one DynamoDB Streams
 * record (Lambda event record or GetRecords record), written at commit in
 * commit order.  Updates that leave the item unchanged produce nothing;
 * updates that change the primary key produce a REMOVE and an INSERT.
 * TRUNCATE produces nothing.  A transactional logical message of
 * dynamo.refire (prefix dynamo_streams.refire, record.h) produces a MODIFY
 * record of the item it carries, both images that item, marked by its
 * userIdentity (docs/functions/refire.md).  The layout and every option are
 * described in docs/output-plugin.md.
 *
 * Shape (as contrib/test_decoding and pgoutput): options are parsed from a
 * table into a state struct at startup; all work for a change happens in a
 * private memory context that is reset after the change, so a transaction
 * of any size decodes in bounded memory; OutputPluginPrepareWrite and
 * OutputPluginWrite surround every row.  There are no streaming
 * (in-progress) callbacks.
 *
 * Each record is first filled into a DynamoRecord (record.h: position,
 * stream, event, Keys and images as built JSON text, SizeBytes, key hash,
 * flags), then written by a renderer (record_render.c): the Lambda or
 * GetRecords JSON record, or the internal pump row (format=pump).  The
 * hash-slots option drops records whose key hash is outside the reader's
 * slots after filling and before anything is written, so sequence numbers
 * and change numbers stay those of a reader without it.
 *
 * Sequence numbers come from the database's epoch (dynamo._source), the
 * commit LSN and the change's number in its transaction, counting every row
 * change the transaction made (whatever the table and the options), so
 * decoding the same WAL again gives the same numbers and event ids (format:
 * record_seq.c); a refire message counts as a change.  A stream's region
 * and ARN come from its catalog row, fixed when the stream was enabled; the region/account-id options only stand in
 * for catalog rows written before that was stored.
 * Nothing in a record depends on the settings of the reading session or
 * of the server (row_image.c).
 *
 * A change callback never raises an error about the data: the slot would
 * fail at that change on every retry and nothing after it would ever be
 * delivered.  Each record is built under PG_TRY; a data or limit error
 * (SQLSTATE class 22 or 54: a value nested too deep for the stack, a record
 * larger than max-record-bytes) makes it a record without images, marked
 * "omitted", and a WARNING.  Building a record only appends to buffers and
 * allocates memory in the change context, so such an error can be caught
 * without a subtransaction; any other error (cancel, out of memory) goes
 * through.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/output_plugin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "decode.h"
#include "record.h"

/* Option types */
typedef enum OptKind
{
	OPT_BOOL,
	OPT_FORMAT,
	OPT_REGION,
	OPT_ACCOUNT,
	OPT_TABLES,
	OPT_SIZE,
	OPT_SLOTS
} OptKind;

/* Output formats */
typedef enum OutFormat
{
	FORMAT_LAMBDA,
	FORMAT_STREAMS,
	FORMAT_PUMP					/* internal: record_render.c */
} OutFormat;

/* Plugin state for one decoding session. */
typedef struct DecodeState
{
	MemoryContext change_cxt;	/* reset after every change */
	OutFormat	format;
	int			render_flags;	/* DYNAMO_RENDER_* of format and include-* */
	bool		include_noop;
	bool		include_xids;
	bool		include_lsn;
	bool		include_timestamp;
	bool		include_transaction;
	bool		refiring;		/* the record being written is a refire's */
	char	   *region;
	char	   *account;
	List	   *tables;			/* table-name filter, NIL = all */
	int			max_record_bytes;	/* larger records lose their images */
	/* hash-slots: only records whose key hash % slot_count is in range */
	uint32		slot_count;		/* 0 = every record */
	uint32		slot_first;
	uint32		slot_last;
	RepOriginId ttl_origin;		/* origin of TTL deletes, once looked up */
	bool		ttl_origin_known;
	RepOriginId skip_origin;	/* changes of this origin are not decoded */
	/* the transaction being decoded */
	uint64		change_no;
	int64		records;
	bool		begin_written;
} DecodeState;

/* One option: name, kind, and where a boolean lands in DecodeState. */
typedef struct DecodeOption
{
	const char *name;
	OptKind		kind;
	size_t		offset;
} DecodeOption;

static const DecodeOption decode_options[] = {
	{"format", OPT_FORMAT, 0},
	{"include-noop", OPT_BOOL, offsetof(DecodeState, include_noop)},
	{"include-xids", OPT_BOOL, offsetof(DecodeState, include_xids)},
	{"include-lsn", OPT_BOOL, offsetof(DecodeState, include_lsn)},
	{"include-timestamp", OPT_BOOL, offsetof(DecodeState, include_timestamp)},
	{"include-transaction", OPT_BOOL, offsetof(DecodeState, include_transaction)},
	{"region", OPT_REGION, 0},
	{"account-id", OPT_ACCOUNT, 0},
	{"tables", OPT_TABLES, 0},
	{"max-record-bytes", OPT_SIZE, offsetof(DecodeState, max_record_bytes)},
	{"hash-slots", OPT_SLOTS, 0},
};

#define OPTION_NAMES "format, include-noop, include-xids, include-lsn, include-timestamp, include-transaction, region, account-id, tables, max-record-bytes, hash-slots"

/* What one record carries. */
typedef DynamoEvent EventKind;

#define EV_INSERT DYNAMO_EV_INSERT
#define EV_MODIFY DYNAMO_EV_MODIFY
#define EV_REMOVE DYNAMO_EV_REMOVE

/* The images of one record: jsonb items (item tables) or built rows. */
typedef struct RecordImages
{
	JsonbContainer *new_item;
	JsonbContainer *old_item;
	DynamoImage *new_row;
	DynamoImage *old_row;
	bool		old_keys_only;	/* old_row holds only the replica identity */
	StringInfo	old_keys;		/* item table without the old item: Keys from
								 * the old row's key columns */
	int64		old_keys_size;
} RecordImages;

/* What a record is made of, while it is filled and rendered. */
typedef struct RecordParts
{
	EventKind	ev;
	RecordImages *im;
	int64		key_size;		/* SizeBytes of the Keys alone */
	DynamoOmitInfo omit;
} RecordParts;

extern void _PG_output_plugin_init(OutputPluginCallbacks *cb);

/* A bad option value. */
static void
bad_option(DefElem *elem, const char *detail)
{
	ereport(ERROR,
			errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("invalid value \"%s\" for dynamo_streams option \"%s\"",
				   elem->arg ? strVal(elem->arg) : "", elem->defname),
			errdetail("%s", detail));
}

/* Check a region / account override like the settings do. */
static char *
option_identifier(DefElem *elem, bool account)
{
	char	   *v = elem->arg ? strVal(elem->arg) : "";
	char	   *p;

	if (account && strlen(v) != 12)
		bad_option(elem, "An account id is exactly 12 digits.");
	if (*v == '\0')
		bad_option(elem, "A region is lowercase letters, digits and dashes, such as \"us-east-1\".");
	for (p = v; *p; p++)
		if (account ? !(*p >= '0' && *p <= '9') :
			!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			bad_option(elem, account ? "An account id is exactly 12 digits." :
					   "A region is lowercase letters, digits and dashes, such as \"us-east-1\".");
	return pstrdup(v);
}

/* Split a comma-separated list of table names (case kept, spaces trimmed). */
static List *
split_table_names(DefElem *elem)
{
	char	   *v = elem->arg ? pstrdup(strVal(elem->arg)) : NULL;
	List	   *names = NIL;
	char	   *tok;

	if (v == NULL)
		bad_option(elem, "A comma-separated list of table names is expected.");
	for (tok = v;;)
	{
		char	   *comma = strchr(tok, ',');
		char	   *end;

		if (comma)
			*comma = '\0';
		while (*tok == ' ')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = '\0';
		if (*tok == '\0')
			bad_option(elem, "A comma-separated list of table names is expected.");
		names = lappend(names, tok);
		if (comma == NULL)
			break;
		tok = comma + 1;
	}
	return names;
}

/*
 * hash-slots: "F-L/N" or "S/N" (0 <= F <= L < N <= 65536): only records
 * whose key hash modulo N lies in F..L, so that several readers can each
 * decode a disjoint group of a stream's shards.
 */
static void
parse_slots(DecodeState *st, DefElem *elem)
{
	const char *v = elem->arg ? strVal(elem->arg) : "";
	unsigned int first;
	unsigned int last;
	unsigned int count;
	int			used = 0;

	if (sscanf(v, "%u-%u/%u%n", &first, &last, &count, &used) == 3 &&
		v[used] == '\0')
		;
	else if (sscanf(v, "%u/%u%n", &first, &count, &used) == 2 && v[used] == '\0')
		last = first;
	else
		used = -1;
	if (used <= 0 || strspn(v, "0123456789-/") != strlen(v) ||
		count < 1 || count > 65536 || first > last || last >= count)
		bad_option(elem, "Slots are given as FIRST-LAST/COUNT or SLOT/COUNT, with 0 <= FIRST <= LAST < COUNT <= 65536 (\"0-3/16\").");
	st->slot_first = first;
	st->slot_last = last;
	st->slot_count = count;
}

/* Apply one option to the state. */
static void
apply_option(DecodeState *st, const DecodeOption *opt, DefElem *elem)
{
	char	   *v = elem->arg ? strVal(elem->arg) : NULL;

	switch (opt->kind)
	{
		case OPT_BOOL:
			if (v == NULL)
				*(bool *) ((char *) st + opt->offset) = true;
			else if (!parse_bool(v, (bool *) ((char *) st + opt->offset)))
				bad_option(elem, "A Boolean value is expected.");
			break;
		case OPT_FORMAT:
			if (v != NULL && strcmp(v, "lambda") == 0)
				st->format = FORMAT_LAMBDA;
			else if (v != NULL && strcmp(v, "streams") == 0)
				st->format = FORMAT_STREAMS;
			else if (v != NULL && strcmp(v, "pump") == 0)
				st->format = FORMAT_PUMP;
			else
				bad_option(elem, "The format is \"lambda\" or \"streams\".");
			break;
		case OPT_REGION:
			st->region = option_identifier(elem, false);
			break;
		case OPT_ACCOUNT:
			st->account = option_identifier(elem, true);
			break;
		case OPT_TABLES:
			st->tables = split_table_names(elem);
			break;
		case OPT_SIZE:
			{
				int		   *dst = (int *) ((char *) st + opt->offset);

				if (v == NULL || !parse_int(v, dst, GUC_UNIT_BYTE, NULL) ||
					*dst < DYNAMO_MIN_MAX_RECORD_BYTES ||
					*dst > DYNAMO_MAX_MAX_RECORD_BYTES)
					bad_option(elem, "A size from 1kB to 256MB is expected, in bytes or with a unit (\"64MB\").");
			}
			break;
		case OPT_SLOTS:
			parse_slots(st, elem);
			break;
	}
}

/* Parse the options given to the slot into the state. */
static void
parse_options(DecodeState *st, List *options)
{
	ListCell   *lc;
	int			i;

	foreach(lc, options)
	{
		DefElem    *elem = lfirst(lc);

		for (i = 0; i < lengthof(decode_options); i++)
			if (strcmp(elem->defname, decode_options[i].name) == 0)
				break;
		if (i == lengthof(decode_options))
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("unrecognized dynamo_streams option \"%s\"", elem->defname),
					errhint("The options are %s.", OPTION_NAMES));
		apply_option(st, &decode_options[i], elem);
	}
	if (st->format == FORMAT_PUMP &&
		(st->include_xids || st->include_lsn || st->include_timestamp ||
		 st->include_transaction))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("dynamo_streams format \"pump\" takes no include-xids, include-lsn, include-timestamp or include-transaction"),
				errdetail("Each pump row carries its commit LSN, end LSN and commit time."));
	st->render_flags = (st->format == FORMAT_STREAMS ? DYNAMO_RENDER_STREAMS : 0) |
		(st->include_xids ? DYNAMO_RENDER_PG_XID : 0) |
		(st->include_lsn ? DYNAMO_RENDER_PG_LSN : 0) |
		(st->include_timestamp ? DYNAMO_RENDER_PG_TIME : 0);
}

/* Startup: options, memory, cache. */
static void
decode_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt,
			   bool is_init)
{
	DecodeState *st;
	MemoryContext old;

	/* records are JSON text in the database encoding: it must be UTF-8 */
	dynamo_require_utf8();
	st = MemoryContextAllocZero(ctx->context, sizeof(DecodeState));
	old = MemoryContextSwitchTo(ctx->context);
	st->change_cxt = AllocSetContextCreate(ctx->context, "dynamo_streams change",
										   ALLOCSET_DEFAULT_SIZES);
	st->region = pstrdup(dynamo_region ? dynamo_region : "us-east-1");
	st->account = pstrdup(dynamo_account_id ? dynamo_account_id : "000000000000");
	st->ttl_origin = InvalidRepOriginId;
	st->skip_origin = InvalidRepOriginId;
	/*
	 * The stream log pump's own transactions (its replication origin, one
	 * per database; docs/stream-log.md) write only the log: skip them before
	 * they are even queued.  The name is looked up where there is a
	 * transaction (the SQL interface); a walsender decodes them and finds
	 * nothing to emit.
	 */
	if (IsTransactionState())
	{
		char		name[NAMEDATALEN];

		snprintf(name, sizeof(name), "dynamo_streams_pump_%u", MyDatabaseId);
		st->skip_origin = replorigin_by_name(name, true);
	}
	st->max_record_bytes = DYNAMO_DEFAULT_MAX_RECORD_BYTES;
	dynamo_forget_settings();
	parse_options(st, ctx->output_plugin_options);
	if (!is_init)
		dynamo_check_table_names(st->tables);
	dynamo_relinfo_init(ctx->context, st->region, st->account, st->tables);
	MemoryContextSwitchTo(old);
	ctx->output_plugin_private = st;
	opt->output_type = OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
	opt->receive_rewrites = false;
}

/* Shutdown: everything lives in ctx->context, freed by the caller. */
static void
decode_shutdown(LogicalDecodingContext *ctx)
{
}

/* Hook for a later pump: skip transactions of its own origin. */
static bool
decode_filter_origin(LogicalDecodingContext *ctx, RepOriginId origin_id)
{
	DecodeState *st = ctx->output_plugin_private;

	return st->skip_origin != InvalidRepOriginId && origin_id == st->skip_origin;
}

/* Begin: reset the per-transaction counters. */
static void
decode_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	DecodeState *st = ctx->output_plugin_private;

	st->change_no = 0;
	st->records = 0;
	st->begin_written = false;
	dynamo_forget_settings();
}

/* Write a BEGIN or COMMIT row (include-transaction). */
static void
write_txn_row(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  bool commit, bool last)
{
	DecodeState *st = ctx->output_plugin_private;

	OutputPluginPrepareWrite(ctx, last);
	appendStringInfo(ctx->out, "{\"action\":\"%s\",\"xid\":%u,\"commitLsn\":",
					 commit ? "COMMIT" : "BEGIN", txn->xid);
	dynamo_render_lsn(ctx->out, txn->final_lsn);
	appendStringInfoString(ctx->out, ",\"commitTime\":");
	dynamo_render_time(ctx->out, DYNAMO_TXN_COMMIT_TIME(txn));
	if (commit)
		appendStringInfo(ctx->out, ",\"records\":" INT64_FORMAT, st->records);
	appendStringInfoCharMacro(ctx->out, '}');
	OutputPluginWrite(ctx, last);
}

/* Commit: close the transaction's BEGIN row, if one was written. */
static void
decode_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  XLogRecPtr commit_lsn)
{
	DecodeState *st = ctx->output_plugin_private;

	dynamo_release_settings();
	if (st->include_transaction && st->begin_written)
		write_txn_row(ctx, txn, true, true);
}

/* Is this transaction a TTL sweeper's (replication origin)? */
static bool
is_ttl_txn(DecodeState *st, ReorderBufferTXN *txn)
{
	if (txn->origin_id == InvalidRepOriginId)
		return false;
	if (!st->ttl_origin_known)
	{
		st->ttl_origin = replorigin_by_name(DYNAMO_TTL_ORIGIN, true);
		st->ttl_origin_known = (st->ttl_origin != InvalidRepOriginId);
	}
	return st->ttl_origin_known && txn->origin_id == st->ttl_origin;
}

/* Append the Keys map of an item table's record to buf; return its size. */
static int64
put_item_keys(StringInfo buf, DynamoRelInfo *info, RecordImages *im, EventKind ev)
{
	bool		found;

	if (ev == EV_REMOVE && im->old_item == NULL && im->old_keys)
	{
		DYNAMO_ROOM(buf, im->old_keys->len);
		appendBinaryStringInfo(buf, im->old_keys->data, im->old_keys->len);
		return im->old_keys_size;
	}
	return dynamo_json_keys(buf, ev == EV_REMOVE ? im->old_item : im->new_item,
							info->hash_key, info->range_key, &found);
}

/* Does the record carry a NewImage / an OldImage (view and event)? */
static inline bool
wants_new(DynamoRelInfo *info, EventKind ev)
{
	return (info->view & DYNAMO_VIEW_NEW) && ev != EV_REMOVE;
}

static inline bool
wants_old(DynamoRelInfo *info, EventKind ev, RecordImages *im)
{
	return (info->view & DYNAMO_VIEW_OLD) && ev != EV_INSERT &&
		(im->old_item || im->old_row) && !im->old_keys_only;
}

/* Point a record's text at part of buf (offsets survive buf growing). */
typedef struct TextSpan
{
	int			off;
	int			len;
	bool		present;
} TextSpan;

/*
 * Fill the record's Keys and images (as the omission level allows) and
 * SizeBytes.  Item tables: written from the jsonb items into buf.  Ordinary
 * tables: the row images are built text already and are pointed to.  May
 * raise an error (see try_fill).
 */
static void
fill_record(StringInfo buf, DynamoRelInfo *info, RecordParts *rp, DynamoRecord *rec)
{
	RecordImages *im = rp->im;
	EventKind	ev = rp->ev;
	bool		images = (rp->omit.level == DOMIT_NONE);
	TextSpan	k = {0},
				n = {0},
				o = {0};

	if (!info->is_item)
	{
		DynamoImage *kimg = (ev == EV_REMOVE) ? im->old_row : im->new_row;

		rec->keys = kimg->keys.data;
		rec->keys_len = kimg->keys.len;
		rp->key_size = kimg->key_size;
		rec->size_bytes = rp->key_size;
		if (images && wants_new(info, ev))
		{
			rec->new_image = im->new_row->item.data;
			rec->new_len = im->new_row->item.len;
			rec->size_bytes += im->new_row->item_size;
		}
		if (images && wants_old(info, ev, im))
		{
			rec->old_image = im->old_row->item.data;
			rec->old_len = im->old_row->item.len;
			rec->size_bytes += im->old_row->item_size;
		}
		return;
	}
	resetStringInfo(buf);
	rp->key_size = put_item_keys(buf, info, im, ev);
	k.len = buf->len;
	rec->size_bytes = rp->key_size;
	if (images && wants_new(info, ev))
	{
		n.off = buf->len;
		rec->size_bytes += dynamo_json_item(buf, im->new_item);
		n.len = buf->len - n.off;
		n.present = true;
	}
	if (images && wants_old(info, ev, im))
	{
		o.off = buf->len;
		rec->size_bytes += dynamo_json_item(buf, im->old_item);
		o.len = buf->len - o.off;
		o.present = true;
	}
	rec->keys = buf->data;
	rec->keys_len = k.len;
	rec->new_image = n.present ? buf->data + n.off : NULL;
	rec->new_len = n.len;
	rec->old_image = o.present ? buf->data + o.off : NULL;
	rec->old_len = o.len;
}

/* Take the next omission level after a data or limit error (first reason kept). */
static void
omit_more(RecordParts *rp, DynamoOmitInfo *why)
{
	if (rp->omit.level == DOMIT_NONE)
	{
		rp->omit = *why;
		rp->omit.level = DOMIT_IMAGES;
	}
	else
		rp->omit.level = DOMIT_ALL;
}

/* Leave out what rp->omit.level says of an already filled record. */
static void
apply_omissions(RecordParts *rp, DynamoRecord *rec)
{
	if (rp->omit.level == DOMIT_NONE)
		return;
	rec->omitted = rp->omit.too_big ? DYNAMO_OMITTED_TOO_BIG : DYNAMO_OMITTED_ERROR;
	rec->new_image = rec->old_image = NULL;
	rec->new_len = rec->old_len = 0;
	rec->size_bytes = rp->key_size;
	if (rp->omit.level == DOMIT_ALL)
	{
		rec->keys = "{}";
		rec->keys_len = 2;
		rec->size_bytes = 0;
	}
}

/*
 * Fill the record within max-record-bytes.  On a data or limit error note
 * the reason, take the next omission level and return false.  At DOMIT_ALL
 * nothing is left that can fail.
 */
static bool
try_fill(StringInfo buf, DecodeState *st, DynamoRelInfo *info,
		 RecordParts *rp, DynamoRecord *rec)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	if (rp->omit.level == DOMIT_ALL)
	{
		apply_omissions(rp, rec);
		return true;
	}
	/* the images alone past the limit: the record is, too */
	dynamo_out_limit = st->max_record_bytes;
	dynamo_out_limit_hit = false;
	PG_TRY();
	{
		fill_record(buf, info, rp, rec);
	}
	PG_CATCH();
	{
		DynamoOmitInfo why = {0};

		dynamo_catch_value_error(cxt, &why);
		omit_more(rp, &why);
		ok = false;
	}
	PG_END_TRY();
	dynamo_out_limit = MaxAllocSize;
	if (ok)
		apply_omissions(rp, rec);
	return ok;
}

/*
 * Render the record as JSON within limit bytes of out.  Past the limit
 * truncate out back to its length at entry, take the next omission level
 * and return false.
 */
static bool
try_render(StringInfo out, RecordParts *rp, DynamoRecord *rec, int flags,
		   Size limit)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			start = out->len;
	volatile bool ok = true;

	if (rp->omit.level == DOMIT_ALL)
	{
		dynamo_render_json(out, rec, flags);
		return true;
	}
	dynamo_out_limit = limit;
	dynamo_out_limit_hit = false;
	PG_TRY();
	{
		dynamo_render_json(out, rec, flags);
	}
	PG_CATCH();
	{
		DynamoOmitInfo why = {0};

		dynamo_catch_value_error(cxt, &why);
		omit_more(rp, &why);
		ok = false;
	}
	PG_END_TRY();
	dynamo_out_limit = MaxAllocSize;
	if (!ok)
	{
		out->len = start;
		out->data[start] = '\0';
		apply_omissions(rp, rec);
	}
	return ok;
}

/*
 * Pump format: leave out what the Lambda rendering (the longer JSON form)
 * could not carry within max-record-bytes, then write the fields.
 */
static void
render_pump(StringInfo out, DecodeState *st, RecordParts *rp, DynamoRecord *rec)
{
	while (rp->omit.level != DOMIT_ALL &&
		   dynamo_render_json_len(rec, 0) > (Size) st->max_record_bytes)
	{
		DynamoOmitInfo why = {0};

		why.too_big = true;
		why.sqlerrcode = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		omit_more(rp, &why);
		apply_omissions(rp, rec);
	}
	dynamo_render_pump(out, rec);
}

/* What the built row images of an ordinary table make the record leave out. */
static void
row_omissions(DynamoRelInfo *info, RecordParts *rp)
{
	RecordImages *im = rp->im;
	DynamoImage *kimg = (rp->ev == EV_REMOVE) ? im->old_row : im->new_row;

	if (kimg->omit.level == DOMIT_ALL)
		rp->omit = kimg->omit;
	else if (wants_new(info, rp->ev) && im->new_row->omit.level != DOMIT_NONE)
		rp->omit = im->new_row->omit;
	else if (wants_old(info, rp->ev, im) && im->old_row->omit.level != DOMIT_NONE)
		rp->omit = im->old_row->omit;
	else
		return;
	/* the Keys come from kimg: only its own failure empties them */
	rp->omit.level = (kimg->omit.level == DOMIT_ALL) ? DOMIT_ALL : DOMIT_IMAGES;
}

/* Log that a record went out without its images (and keys). */
static void
warn_omitted(DecodeState *st, DynamoRelInfo *info, RecordParts *rp,
			 DynamoRecord *rec)
{
	ereport(WARNING,
			errcode(rp->omit.too_big ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : rp->omit.sqlerrcode),
			errmsg("dynamo_streams record of table \"%s\" is sent without its %s",
				   info->table_name,
				   rp->omit.level == DOMIT_ALL ? "images and keys" : "images"),
			rp->omit.too_big ?
			errdetail("Record %s is larger than max-record-bytes (%d bytes).",
					  rec->seq, st->max_record_bytes) :
			errdetail("Building record %s failed: %s.", rec->seq, rp->omit.message),
			errhint("The record carries the member \"omitted\"; see the output plugin documentation."));
}

/* Is the record's key hash in this reader's slots (hash-slots)? */
static inline bool
slot_wanted(DecodeState *st, uint64 key_hash)
{
	uint32		slot;

	if (st->slot_count == 0)
		return true;
	slot = (uint32) (key_hash % (uint64) st->slot_count);
	return slot >= st->slot_first && slot <= st->slot_last;
}

/* Fill the record's position, stream and flags from the change. */
static void
init_record(DynamoRecord *rec, DecodeState *st, ReorderBufferTXN *txn,
			ReorderBufferChange *change, DynamoRelInfo *info, EventKind ev,
			int part, bool noop)
{
	memset(rec, 0, sizeof(*rec));
	rec->commit_lsn = txn->final_lsn;
	rec->end_lsn = txn->end_lsn;
	rec->lsn = change->lsn;
	rec->xid = txn->xid;
	rec->commit_time = DYNAMO_TXN_COMMIT_TIME(txn);
	rec->change_no = st->change_no;
	rec->part = part;
	rec->stream_arn = info->stream_arn;
	rec->stream_arn_len = info->stream_arn_len;
	rec->region = info->region;
	rec->view_name = info->view_name;
	rec->event = ev;
	rec->ttl = (ev == EV_REMOVE && is_ttl_txn(st, txn));
	rec->refire = st->refiring;
	rec->noop = noop;
	dynamo_sequence_number(rec->seq, dynamo_relinfo_epoch(), txn->final_lsn,
						   st->change_no, part);
	dynamo_event_id(rec->event_id, info->stream_arn, info->stream_arn_len, rec->seq);
}

/*
 * Write one record as one output row: fill the record, skip it when its
 * key hash is not in this reader's slots, render it.
 */
static void
write_record(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			 ReorderBufferChange *change, DynamoRelInfo *info,
			 EventKind ev, RecordImages *im, int part, bool noop)
{
	/* only the REMOVE half of a key-changing update is followed by more */
	bool		last = !(ev == EV_REMOVE && (im->new_item != NULL || im->new_row != NULL));
	DecodeState *st = ctx->output_plugin_private;
	StringInfoData buf;
	StringInfo	out;
	RecordParts rp;
	DynamoRecord rec;

	memset(&rp, 0, sizeof(rp));
	rp.ev = ev;
	rp.im = im;
	init_record(&rec, st, txn, change, info, ev, part, noop);
	if (!info->is_item)
		row_omissions(info, &rp);
	initStringInfo(&buf);
	while (!try_fill(&buf, st, info, &rp, &rec))
		;
	rec.key_hash = dynamo_key_hash(rec.keys, rec.keys_len);
	if (!slot_wanted(st, rec.key_hash))
		return;
	if (st->include_transaction && !st->begin_written)
	{
		write_txn_row(ctx, txn, false, false);
		st->begin_written = true;
	}
	OutputPluginPrepareWrite(ctx, last);
	out = ctx->out;
	if (st->format == FORMAT_PUMP)
		render_pump(out, st, &rp, &rec);
	else
	{
		Size		limit = (Size) out->len + st->max_record_bytes;

		while (!try_render(out, &rp, &rec, st->render_flags, limit))
			;
	}
	if (rp.omit.level != DOMIT_NONE)
		warn_omitted(st, info, &rp, &rec);
	OutputPluginWrite(ctx, last);
	st->records++;
}

/*
 * Emit the records of an update: nothing when the item is unchanged (a
 * noop MODIFY with include-noop), REMOVE + INSERT when the key changed,
 * else MODIFY.  same/keys_same say what the caller compared.
 */
static void
emit_update(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			ReorderBufferChange *change, DynamoRelInfo *info,
			RecordImages *im, bool have_old, bool same, bool keys_same)
{
	DecodeState *st = ctx->output_plugin_private;

	if (have_old && same)
	{
		if (st->include_noop)
			write_record(ctx, txn, change, info, EV_MODIFY, im, 0, true);
	}
	else if (have_old && !keys_same)
	{
		write_record(ctx, txn, change, info, EV_REMOVE, im, 0, false);
		write_record(ctx, txn, change, info, EV_INSERT, im, 1, false);
	}
	else
		write_record(ctx, txn, change, info, EV_MODIFY, im, 0, false);
}

/* Do two built images hold the same bytes? */
static inline bool
strings_equal(StringInfo a, StringInfo b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* The item jsonb of an item-table tuple; NULL if null or not inline. */
static Jsonb *
tuple_item(HeapTuple tup, TupleDesc desc, int attnum)
{
	bool		isnull;
	Datum		d;

	if (tup == NULL)
		return NULL;
	d = heap_getattr(tup, attnum, desc, &isnull);
	if (isnull || VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
		return NULL;
	return DatumGetJsonbP(d);
}

/* A change of an item table. */
static void
change_item(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			ReorderBufferChange *change, DynamoRelInfo *info, TupleDesc desc)
{
	HeapTuple	newtup = DYNAMO_CHANGE_NEWTUPLE(change);
	HeapTuple	oldtup = DYNAMO_CHANGE_OLDTUPLE(change);
	Jsonb	   *newj = tuple_item(newtup, desc, info->item_attnum);
	Jsonb	   *oldj = tuple_item(oldtup, desc, info->item_attnum);
	RecordImages im = {0};
	StringInfoData old_keys;
	bool		key_only = false;

	im.new_item = newj ? &newj->root : NULL;
	im.old_item = oldj ? &oldj->root : NULL;
	/* replica identity changed away from FULL: the old row holds the key */
	if (oldtup != NULL && oldj == NULL)
	{
		initStringInfo(&old_keys);
		key_only = dynamo_item_keys_from_columns(info, desc, oldtup, &old_keys,
												 &im.old_keys_size);
		if (key_only)
			im.old_keys = &old_keys;
	}
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			if (newj)
				write_record(ctx, txn, change, info, EV_INSERT, &im, 0, false);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			if (newj == NULL && oldj != NULL)
			{
				/* item unchanged and TOASTed: the old tuple has it inline */
				newj = oldj;
				im.new_item = im.old_item;
			}
			if (newj == NULL)
				break;
			if (key_only)
			{
				/* only the old key: a changed key is REMOVE + INSERT */
				StringInfoData new_keys;
				bool		found;

				initStringInfo(&new_keys);
				dynamo_json_keys(&new_keys, im.new_item, info->hash_key,
								 info->range_key, &found);
				emit_update(ctx, txn, change, info, &im, true, false,
							strings_equal(&new_keys, &old_keys));
				break;
			}
			emit_update(ctx, txn, change, info, &im, oldj != NULL,
						oldj && VARSIZE(newj) == VARSIZE(oldj) &&
						memcmp(newj, oldj, VARSIZE(newj)) == 0,
						oldj && dynamo_json_keys_equal(im.new_item, im.old_item,
													   info->hash_key, info->range_key));
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			if (oldj || key_only)
				write_record(ctx, txn, change, info, EV_REMOVE, &im, 0, false);
			break;
		default:
			break;
	}
}

/*
 * Build a row's image (only its Keys with keys_only) within max-record-bytes.
 * On a data or limit error the image is left out (img->omit says why) and
 * its Keys built alone; if they fail too, Keys are {}.
 */
static void
build_image(DecodeState *st, DynamoRelInfo *info, TupleDesc desc,
			HeapTuple tuple, HeapTuple fallback, bool keys_only,
			DynamoImage *img)
{
	MemoryContext cxt = CurrentMemoryContext;

	memset(&img->omit, 0, sizeof(img->omit));
	dynamo_out_limit = st->max_record_bytes;
	dynamo_out_limit_hit = false;
	PG_TRY();
	{
		dynamo_row_image(info, desc, tuple, fallback, keys_only, img);
	}
	PG_CATCH();
	{
		dynamo_catch_value_error(cxt, &img->omit);
		img->omit.level = DOMIT_IMAGES;
	}
	PG_END_TRY();
	if (img->omit.level != DOMIT_NONE)
	{
		PG_TRY();
		{
			dynamo_row_image(info, desc, tuple, fallback, true, img);
		}
		PG_CATCH();
		{
			DynamoOmitInfo why = {0};

			dynamo_catch_value_error(cxt, &why);
			img->omit.level = DOMIT_ALL;
			initStringInfo(&img->keys);
			appendBinaryStringInfo(&img->keys, "{}", 2);
			img->key_size = 0;
		}
		PG_END_TRY();
	}
	dynamo_out_limit = MaxAllocSize;
}

/* Were both images built (not only their Keys)? */
static inline bool
images_built(DynamoImage *a, DynamoImage *b)
{
	return a->omit.level == DOMIT_NONE && !a->keys_only &&
		b->omit.level == DOMIT_NONE && !b->keys_only;
}

/*
 * An UPDATE of a stream-enabled ordinary table.  No-op detection: rows
 * whose values are byte-identical are unchanged without rendering them;
 * otherwise the two images (exact renderings, numbers normalised as
 * DynamoDB does) are compared.  Without REPLICA IDENTITY FULL the old row
 * holds only the key: no no-op detection, no OldImage.
 */
static void
change_row_update(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				  ReorderBufferChange *change, DynamoRelInfo *info,
				  TupleDesc desc, bool full)
{
	DecodeState *st = ctx->output_plugin_private;
	HeapTuple	newtup = DYNAMO_CHANGE_NEWTUPLE(change);
	HeapTuple	oldtup = DYNAMO_CHANGE_OLDTUPLE(change);
	DynamoImage newimg;
	DynamoImage oldimg;
	RecordImages im = {0};
	bool		identical = false;
	bool		same;
	bool		keys_same;

	if (oldtup && full)
	{
		identical = dynamo_rows_identical(info, desc, newtup, oldtup, false);
		if (identical && !st->include_noop)
			return;
	}
	/* images are compared, unless identical or without an old row */
	build_image(st, info, desc, newtup, oldtup,
				(identical || !oldtup || !full) && !(info->view & DYNAMO_VIEW_NEW),
				&newimg);
	im.new_row = &newimg;
	if (oldtup)
	{
		build_image(st, info, desc, oldtup, NULL,
					!full || (identical && !(info->view & DYNAMO_VIEW_OLD)), &oldimg);
		im.old_row = &oldimg;
		im.old_keys_only = !full;
	}
	if (oldtup == NULL)
		same = keys_same = false;
	else if (identical)
		same = keys_same = true;
	else
	{
		same = full && images_built(&newimg, &oldimg) &&
			strings_equal(&newimg.item, &oldimg.item);
		if (newimg.omit.level != DOMIT_ALL && oldimg.omit.level != DOMIT_ALL)
			keys_same = strings_equal(&newimg.keys, &oldimg.keys);
		else
			keys_same = dynamo_rows_identical(info, desc, newtup, oldtup, true);
	}
	emit_update(ctx, txn, change, info, &im, oldtup != NULL, same, keys_same);
}

/* A change of a stream-enabled ordinary table. */
static void
change_row(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
		   ReorderBufferChange *change, DynamoRelInfo *info, TupleDesc desc,
		   char relreplident)
{
	DecodeState *st = ctx->output_plugin_private;
	HeapTuple	newtup = DYNAMO_CHANGE_NEWTUPLE(change);
	HeapTuple	oldtup = DYNAMO_CHANGE_OLDTUPLE(change);
	DynamoImage img;
	RecordImages im = {0};

	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			if (newtup == NULL)
				break;
			build_image(st, info, desc, newtup, NULL,
						!(info->view & DYNAMO_VIEW_NEW), &img);
			im.new_row = &img;
			write_record(ctx, txn, change, info, EV_INSERT, &im, 0, false);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			if (newtup)
				change_row_update(ctx, txn, change, info, desc,
								  relreplident == REPLICA_IDENTITY_FULL);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			if (oldtup == NULL)
				break;
			/* without REPLICA IDENTITY FULL the old tuple holds only the key */
			im.old_keys_only = (relreplident != REPLICA_IDENTITY_FULL);
			build_image(st, info, desc, oldtup, NULL,
						im.old_keys_only || !(info->view & DYNAMO_VIEW_OLD), &img);
			im.old_row = &img;
			write_record(ctx, txn, change, info, EV_REMOVE, &im, 0, false);
			break;
		default:
			break;
	}
}

/* Change: one row change of any table. */
static void
decode_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  Relation relation, ReorderBufferChange *change)
{
	DecodeState *st = ctx->output_plugin_private;
	MemoryContext old;
	DynamoRelInfo *info;

	st->change_no++;
	dynamo_out_limit = MaxAllocSize;
	dynamo_out_limit_hit = false;
	old = MemoryContextSwitchTo(st->change_cxt);
	info = dynamo_relinfo_get(relation);
	if (info->streamed)
	{
		if (info->is_item)
			change_item(ctx, txn, change, info, RelationGetDescr(relation));
		else
			change_row(ctx, txn, change, info, RelationGetDescr(relation),
					   relation->rd_rel->relreplident);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->change_cxt);
}

/*
 * The tuple of a refire message (record.h), copied to aligned memory;
 * false if the message is malformed or of another version.
 */
static bool
refire_tuple(const char *message, Size size, Oid *relid, HeapTupleData *tup)
{
	DynamoRefireMessage hdr;
	char	   *data;

	if (size < sizeof(hdr))
		return false;
	memcpy(&hdr, message, sizeof(hdr));
	if (hdr.version != DYNAMO_REFIRE_VERSION || hdr.t_len < SizeofHeapTupleHeader ||
		size != sizeof(hdr) + hdr.t_len)
		return false;
	data = palloc(hdr.t_len);
	memcpy(data, message + sizeof(hdr), hdr.t_len);
	*relid = hdr.relid;
	tup->t_len = hdr.t_len;
	tup->t_data = (HeapTupleHeader) data;
	tup->t_tableOid = hdr.relid;
	ItemPointerSetInvalid(&tup->t_self);
	return true;
}

/* Write the MODIFY record of a refired item or row (both images the same). */
static void
refire_record(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  ReorderBufferChange *change, DynamoRelInfo *info,
			  TupleDesc desc, HeapTuple tup)
{
	DecodeState *st = ctx->output_plugin_private;
	RecordImages im = {0};
	DynamoImage img;

	if (info->is_item)
	{
		Jsonb	   *item = tuple_item(tup, desc, info->item_attnum);

		if (item == NULL)
			return;
		im.new_item = im.old_item = &item->root;
	}
	else
	{
		build_image(st, info, desc, tup, NULL,
					!(info->view & (DYNAMO_VIEW_NEW | DYNAMO_VIEW_OLD)), &img);
		im.new_row = im.old_row = &img;
	}
	st->refiring = true;
	write_record(ctx, txn, change, info, EV_MODIFY, &im, 0, false);
	st->refiring = false;
}

/*
 * Message: a transactional dynamo_streams.refire message becomes a MODIFY
 * record of its item, in its place among the transaction's changes (it
 * counts as a change for sequence numbers).  The relation is read as of
 * the message, as a change's would be; a table whose stream is not
 * enabled there gets no record.  Other messages are not ours.
 */
static void
decode_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			   XLogRecPtr message_lsn, bool transactional, const char *prefix,
			   Size message_size, const char *message)
{
	DecodeState *st = ctx->output_plugin_private;
	MemoryContext old;
	ReorderBufferChange change;
	HeapTupleData tup;
	Relation	rel;
	Oid			relid;

	if (!transactional || strcmp(prefix, DYNAMO_REFIRE_PREFIX) != 0)
		return;
	st->change_no++;
	dynamo_out_limit = MaxAllocSize;
	dynamo_out_limit_hit = false;
	old = MemoryContextSwitchTo(st->change_cxt);
	memset(&change, 0, sizeof(change));
	change.lsn = message_lsn;
	if (refire_tuple(message, message_size, &relid, &tup) &&
		(rel = RelationIdGetRelation(relid)) != NULL)
	{
		DynamoRelInfo *info = dynamo_relinfo_get(rel);

		if (info->streamed && rel->rd_rel->relkind == RELKIND_RELATION)
			refire_record(ctx, txn, &change, info, RelationGetDescr(rel), &tup);
		RelationClose(rel);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->change_cxt);
}

/* Plugin entry point: the library name is the plugin name. */
void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = decode_startup;
	cb->begin_cb = decode_begin;
	cb->change_cb = decode_change;
	cb->commit_cb = decode_commit;
	cb->message_cb = decode_message;
	cb->filter_by_origin_cb = decode_filter_origin;
	cb->shutdown_cb = decode_shutdown;
}
