/*-------------------------------------------------------------------------
 *
 * export_files.c
 *		The file side of dynamo.export_table_to_point_in_time: data files
 *		and manifests written to a server directory, with their MD5s.
 *
 * DynamoDB's export to S3 writes JSON-lines files (gzip-compressed data
 * files, plain manifests) and lists every data file in manifest-files.json
 * with its item count, its MD5 (base64) and its S3 ETag.  The SQL side
 * (sql/install/72_export.sql) decides what goes where; this file does the
 * writing:
 *
 *	 _export_write_file(path, query, gzip)  runs query (one text column)
 *		through an SPI cursor, writes each row as one line (gzip-compressed
 *		with zlib when asked), and returns {"itemCount","md5Checksum",
 *		"etag","size"} of the bytes written.  Memory holds one batch of
 *		rows, whatever the file's size.
 *	 _export_mkdir(path)  creates a directory and its parents.
 *	 _item_json(item)  an item as compact JSON, byte for byte as the plugin
 *		writes NewImage (record_item.c).
 *	 _row_item(relation, row)  a row of a stream-enabled ordinary table as
 *		the item the plugin writes as its NewImage (row_image.c, with the
 *		plugin's column mapping from decode_cache.c).
 *
 * Writing server files is for superusers and members of
 * pg_write_server_files, as for COPY TO a file: both file functions check
 * the current user (the SQL function that calls them checks its caller
 * too) and take absolute paths only.  Files are opened with AllocateFile,
 * so an error closes them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <zlib.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_authid.h"
#include "common/file_perm.h"
#include "common/base64.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compat.h"
#include "decode.h"
#include "dynamo_streams.h"

PG_FUNCTION_INFO_V1(dynamo_sql_export_write_file);
PG_FUNCTION_INFO_V1(dynamo_sql_export_mkdir);
PG_FUNCTION_INFO_V1(dynamo_sql_item_json);
PG_FUNCTION_INFO_V1(dynamo_sql_row_item);

#define EXPORT_FETCH 1000
#define GZ_CHUNK 65536

/* An open output file: its handle, its running MD5, its compressor. */
typedef struct ExportFile
{
	FILE	   *fp;
	const char *path;
	uint64		size;
	bool		gzip;
	z_stream	zs;
	unsigned char *zbuf;
	DynamoMd5	md5;
} ExportFile;

/* Writing server files needs what COPY TO a file needs. */
static void
check_write_privilege(const char *path)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_ACCESS_DENIED,
										"Writing export files to a server directory needs superuser or membership in pg_write_server_files."),
				errmsg("User: %s is not authorized to perform: dynamodb:ExportTableToPointInTime on resource: %s",
					   GetUserNameFromId(GetUserId(), false), path),
				errhint("A superuser can GRANT pg_write_server_files to the role; see docs/security.md."));
	if (!is_absolute_path(path))
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION, "The directory must be an absolute path on the database server."),
				errmsg("1 validation error detected: Value '%s' at 'directory' failed to satisfy constraint: Member must be an absolute path",
					   path));
}

/* Write n raw bytes to the file, counting and hashing them. */
static void
file_raw(ExportFile *f, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (fwrite(data, 1, n, f->fp) != n)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", f->path)));
	dynamo_md5_update(&f->md5, data, n);
	f->size += n;
}

/* Run the compressor over its input with flush mode mode. */
static void
file_deflate(ExportFile *f, int mode)
{
	do
	{
		f->zs.next_out = f->zbuf;
		f->zs.avail_out = GZ_CHUNK;
		if (deflate(&f->zs, mode) == Z_STREAM_ERROR)
			elog(ERROR, "zlib deflate failed");
		file_raw(f, f->zbuf, GZ_CHUNK - f->zs.avail_out);
	} while (f->zs.avail_out == 0);
}

/* Append one line's bytes (compressed when the file is gzip). */
static void
file_write(ExportFile *f, const char *data, size_t n)
{
	if (!f->gzip)
	{
		file_raw(f, data, n);
		return;
	}
	f->zs.next_in = (unsigned char *) data;
	f->zs.avail_in = n;
	file_deflate(f, Z_NO_FLUSH);
}

/* Open path for writing. */
static void
file_open(ExportFile *f, const char *path, bool gzip)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->gzip = gzip;
	dynamo_md5_init(&f->md5);
	if (gzip)
	{
		f->zbuf = palloc(GZ_CHUNK);
		/* 15 + 16: a gzip wrapper, as .json.gz files have */
		if (deflateInit2(&f->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
						 Z_DEFAULT_STRATEGY) != Z_OK)
			elog(ERROR, "zlib deflateInit2 failed");
	}
	f->fp = AllocateFile(path, PG_BINARY_W);
	if (f->fp == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for writing: %m", path)));
}

/* Finish the file; its MD5 into digest (16 bytes). */
static void
file_close(ExportFile *f, uint8 *digest)
{
	if (f->gzip)
	{
		file_deflate(f, Z_FINISH);
		deflateEnd(&f->zs);
	}
	if (FreeFile(f->fp) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", f->path)));
	f->fp = NULL;
	dynamo_md5_final(&f->md5, digest, f->path);
}

/*
 * _export_write_file(path text, query text, gzip boolean) returns text:
 * {"itemCount":n,"md5Checksum":"<base64>","etag":"<hex>","size":bytes}.
 */
Datum
dynamo_sql_export_write_file(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		gzip = PG_GETARG_BOOL(2);
	ExportFile	f;
	SPIPlanPtr	plan;
	Portal		portal;
	uint64		items = 0;
	uint8		digest[16];
	char		b64[32];
	int			b64len;
	char		hex[33];
	int			i;
	StringInfoData out;
	MemoryContext rowcxt;
	MemoryContext old;

	check_write_privilege(path);
	file_open(&f, path, gzip);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dynamo export rows", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare the export query: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, EXPORT_FETCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(rowcxt);
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;

			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			file_write(&f, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			file_write(&f, "\n", 1);
			items++;
			CHECK_FOR_INTERRUPTS();
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	file_close(&f, digest);

	b64len = pg_b64_encode(DYNAMO_B64_SRC(digest), 16, b64, sizeof(b64));
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	initStringInfo(&out);
	appendStringInfo(&out, "{\"itemCount\":" UINT64_FORMAT ",\"md5Checksum\":\"%.*s\",\"etag\":\"%s\",\"size\":" UINT64_FORMAT "}",
					 items, b64len, b64, hex, f.size);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* _export_mkdir(path text) returns void: the directory and its parents. */
Datum
dynamo_sql_export_mkdir(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));

	check_write_privilege(path);
	if (pg_mkdir_p(path, pg_dir_create_mode) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
	PG_RETURN_VOID();
}

/* _item_json(item jsonb) returns text: compact, as the plugin writes images. */
Datum
dynamo_sql_item_json(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	StringInfoData out;

	initStringInfo(&out);
	dynamo_json_item(&out, &item->root);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/*
 * _row_item(relation regclass, row record) returns text: the row (of that
 * relation's row type) as the item the plugin writes as its NewImage.
 * Values the plugin cannot render raise their error here (the plugin would
 * send the record without images): an export has no place for half an item.
 */
Datum
dynamo_sql_row_item(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(1);
	HeapTupleData tuple;
	Relation	rel;
	DynamoRelInfo *info;
	DynamoImage img;

	rel = relation_open(relid, AccessShareLock);
	if (HeapTupleHeaderGetTypeId(th) != rel->rd_rel->reltype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("row is not of the row type of %s", RelationGetRelationName(rel))));
	info = dynamo_relinfo_get_sql(rel, fcinfo->flinfo->fn_mcxt);
	if (!info->streamed || info->is_item)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a stream-enabled ordinary table", RelationGetRelationName(rel))));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = relid;
	tuple.t_data = th;
	dynamo_out_limit = MaxAllocSize;
	PG_TRY();
	{
		dynamo_row_image(info, RelationGetDescr(rel), &tuple, NULL, false, &img);
	}
	PG_CATCH();
	{
		/* the (sub)transaction's abort pops the pinned settings' level */
		dynamo_forget_settings();
		PG_RE_THROW();
	}
	PG_END_TRY();
	dynamo_release_settings();
	relation_close(rel, NoLock);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(img.item.data, img.item.len));
}
