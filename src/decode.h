/*-------------------------------------------------------------------------
 *
 * decode.h
 *		Internal interfaces of the logical decoding output plugin.
 *
 * The plugin is split by job: decode.c (callbacks, options, filling the
 * record), decode_cache.c (per-relation stream metadata read from
 * dynamo._tables with the historic snapshot), record.h (the record model)
 * and its renderers record_render.c (JSON and pump rows) and
 * record_sql.c (dynamo.render_record), record_json.c (JSON strings, the
 * record size limit), record_item.c (AttributeValue items and Keys from
 * jsonb, with their sizes), record_marshall.c (plain JSON as
 * AttributeValues), record_seq.c (sequence numbers and event ids),
 * decode_keys.c (Keys of an item-table row from its key columns) and
 * row_image.c (ordinary-table rows as AttributeValue maps).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_DECODE_H
#define DYNAMO_DECODE_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#include "dynamo_streams.h"

/* How an ordinary-table column maps to an AttributeValue. */
typedef enum DynamoColKind
{
	DCOL_SKIP,					/* dropped column */
	DCOL_S,						/* text output as S */
	DCOL_S_OUT,					/* other type whose output function reads no
								 * setting: S of its text */
	DCOL_S_PINNED,				/* other type: S of its output function, run
								 * under fixed settings (row_image.c) */
	DCOL_N_INT,					/* int2/4/8: canonical already */
	DCOL_N_OUT,					/* numeric: normalise output text */
	DCOL_FLOAT4,				/* float4: shortest exact text, normalised */
	DCOL_FLOAT8,				/* float8: shortest exact text, normalised */
	DCOL_MONEY,					/* money: N in units of 1/100 */
	DCOL_INTERVAL,				/* interval: ISO 8601 duration, as S */
	DCOL_B,						/* bytea */
	DCOL_BOOL,					/* boolean */
	DCOL_JSON,					/* json: parse, marshall */
	DCOL_JSONB,					/* jsonb: marshall */
	DCOL_TIMESTAMPTZ,			/* ISO 8601 in UTC, as S */
	DCOL_TIMESTAMP,				/* ISO 8601 without zone, as S */
	DCOL_DATE					/* ISO 8601 date, as S */
} DynamoColKind;

/* One column of a stream-enabled ordinary table. */
typedef struct DynamoColumn
{
	DynamoColKind kind;
	bool		is_key;			/* part of the primary key */
	char	   *name_json;		/* "name" escaped, with quotes */
	int			name_len;		/* UTF-8 bytes of the bare name */
	FmgrInfo	out;			/* output function, where one is used */
} DynamoColumn;

/* View types, as bits of what a record carries. */
#define DYNAMO_VIEW_NEW		0x01
#define DYNAMO_VIEW_OLD		0x02

/* Cached stream metadata of one relation (valid for the decoding session). */
typedef struct DynamoRelInfo
{
	Oid			relid;			/* hash key */
	MemoryContext cxt;			/* what the entry points to, or NULL */
	bool		valid;
	bool		streamed;		/* produces records at this WAL position */
	bool		is_item;		/* item table (else ordinary relation) */
	int			view;			/* DYNAMO_VIEW_* bits */
	const char *view_name;		/* "NEW_AND_OLD_IMAGES", ... */
	char	   *table_name;
	char	   *region;			/* awsRegion, fixed when the stream was enabled */
	char	   *stream_arn;
	int			stream_arn_len;
	/* item tables */
	int			item_attnum;
	char	   *hash_key;
	char	   *range_key;		/* NULL without a range key */
	int			key_attnums[2]; /* pk, sk columns (0 = none) */
	char		key_types[2];	/* their types: 'S', 'N' or 'B' */
	/* ordinary tables */
	int			natts;
	DynamoColumn *cols;
	bool		pinned;			/* some column is DCOL_S_PINNED */
} DynamoRelInfo;

/*
 * Records that cannot be built.  A record is never allowed to raise an
 * error out of the change callback (the slot would fail there on every
 * retry): a record larger than max-record-bytes, or one whose building hit
 * a data or limit error, is sent without its images (or, failing that,
 * with empty Keys), marked "omitted", and a WARNING is logged.
 */
#define DYNAMO_DEFAULT_MAX_RECORD_BYTES (64 * 1024 * 1024)
#define DYNAMO_MIN_MAX_RECORD_BYTES		1024
#define DYNAMO_MAX_MAX_RECORD_BYTES		(256 * 1024 * 1024)

/* What a record had to leave out, and why. */
typedef enum DynamoOmit
{
	DOMIT_NONE,					/* complete record */
	DOMIT_IMAGES,				/* no NewImage / OldImage */
	DOMIT_ALL					/* no images, and Keys are {} */
} DynamoOmit;

typedef struct DynamoOmitInfo
{
	DynamoOmit	level;
	bool		too_big;		/* over max-record-bytes (else an error) */
	int			sqlerrcode;		/* the error's, when not too_big */
	char	   *message;		/* the error's message, when not too_big */
} DynamoOmitInfo;

/*
 * The JSON writers check, before they append, that a buffer stays within
 * dynamo_out_limit bytes (its len, header included); past it they raise
 * dynamo_too_big(), which the record builder catches.  The limit is
 * MaxAllocSize outside record building.
 */
extern Size dynamo_out_limit;
extern bool dynamo_out_limit_hit;
extern void dynamo_too_big(void) pg_attribute_noreturn();

#define DYNAMO_ROOM(out, n) \
	do { \
		if (unlikely((Size) (out)->len + (Size) (n) > dynamo_out_limit)) \
			dynamo_too_big(); \
	} while (0)

/* decode_cache.c */
extern void dynamo_relinfo_init(MemoryContext parent, const char *region,
								const char *account, List *tables);
extern DynamoRelInfo *dynamo_relinfo_get(Relation rel);
extern DynamoRelInfo *dynamo_relinfo_get_sql(Relation rel, MemoryContext cxt);
extern void dynamo_check_table_names(List *tables);
extern int	dynamo_relinfo_epoch(void);

/* record_json.c */
extern void dynamo_json_string(StringInfo out, const char *s, int len);

/* record_item.c */
extern int64 dynamo_json_item(StringInfo out, JsonbContainer *item);
extern int64 dynamo_json_keys(StringInfo out, JsonbContainer *item,
							  const char *hash_key, const char *range_key,
							  bool *found);
extern bool dynamo_json_keys_equal(JsonbContainer *a, JsonbContainer *b,
								   const char *hash_key, const char *range_key);

/* record_marshall.c */
extern void dynamo_marshall_container(StringInfo out, JsonbContainer *jc,
									  int64 *size);

/* record_seq.c */
#define DYNAMO_SEQ_EPOCH_MIN	100
#define DYNAMO_SEQ_EPOCH_MAX	999
#define DYNAMO_SEQ_DIGITS		40
extern void dynamo_sequence_number(char *buf, int epoch, XLogRecPtr commit_lsn,
								   uint64 change_no, int part);
extern void dynamo_event_id(char *buf, const char *arn, int arn_len,
							const char *seq);

/* decode_keys.c */
extern bool dynamo_item_keys_from_columns(DynamoRelInfo *info, TupleDesc desc,
										  HeapTuple tuple, StringInfo out,
										  int64 *size);

/* row_image.c */
typedef struct DynamoImage
{
	StringInfoData keys;		/* {"a":{...}} */
	StringInfoData item;		/* {"a":{...},...} (unless keys_only) */
	int64		key_size;
	int64		item_size;
	bool		keys_only;		/* item was not built */
	DynamoOmitInfo omit;		/* what could not be built, and why */
} DynamoImage;

extern void dynamo_row_image(DynamoRelInfo *info, TupleDesc desc,
							 HeapTuple tuple, HeapTuple fallback,
							 bool keys_only, DynamoImage *img);
extern bool dynamo_rows_identical(DynamoRelInfo *info, TupleDesc desc,
								  HeapTuple newtup, HeapTuple oldtup,
								  bool keys_only);
extern bool dynamo_number_canonical(const char *s, StringInfo out, int *size);
extern void dynamo_catch_value_error(MemoryContext cxt, DynamoOmitInfo *omit);
extern void dynamo_release_settings(void);
extern void dynamo_forget_settings(void);

#endif							/* DYNAMO_DECODE_H */
