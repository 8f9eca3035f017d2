/*-------------------------------------------------------------------------
 *
 * table_checks.c
 *		The argument checks of the table functions (create_table,
 *		update_table, describe_table, delete_table, list_tables,
 *		enable_stream), written in C.
 *
 * The table functions are PL/pgSQL (sql/install/20_tables.sql).  Their
 * checks used to be PL/pgSQL helpers too, and an error raised in a helper
 * carried the helper's frames in its CONTEXT ("PL/pgSQL function
 * dynamo._item_table(text,boolean) line 11 at RAISE"): internal names that
 * mean nothing to a user.  A C function adds no frame of its own, so an error
 * raised here shows only the public function that called it, provided the
 * caller evaluates it as a PL/pgSQL expression (ok := _check_...(...)) rather
 * than with PERFORM, which runs an SQL statement that CONTEXT would quote.
 * The checks return true or raise.  Messages are DynamoDB's, as everywhere
 * (errors.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "items.h"

PG_FUNCTION_INFO_V1(dynamo_sql_invalid_parameter);
PG_FUNCTION_INFO_V1(dynamo_sql_check_table_name);
PG_FUNCTION_INFO_V1(dynamo_sql_check_key);
PG_FUNCTION_INFO_V1(dynamo_sql_check_stream_view_type);
PG_FUNCTION_INFO_V1(dynamo_sql_require_logical_wal);
PG_FUNCTION_INFO_V1(dynamo_sql_item_table);
PG_FUNCTION_INFO_V1(dynamo_sql_stream_relation);

/* Raise AWS's "1 validation error detected" message (value NULL: null). */
static void
invalid_parameter(const char *value, const char *what, const char *rule)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			value ?
			errmsg("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
				   value, what, rule) :
			errmsg("1 validation error detected: Value null at '%s' failed to satisfy constraint: %s",
				   what, rule));
}

/* Argument n as a C string, or NULL. */
static char *
arg_cstring(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* _invalid_parameter(value text, what text, rule text) */
Datum
dynamo_sql_invalid_parameter(PG_FUNCTION_ARGS)
{
	invalid_parameter(arg_cstring(fcinfo, 0), arg_cstring(fcinfo, 1),
					  arg_cstring(fcinfo, 2));
	PG_RETURN_BOOL(true);
}

/*
 * Check a TableName: DynamoDB's rules, plus (when creating) PostgreSQL's
 * 63-byte identifier limit.
 */
static void
check_table_name(const char *name, bool creating)
{
	int			len;

	if (name == NULL)
		invalid_parameter(NULL, "tableName", "Member must not be null");
	len = strlen(name);
	if (pg_mbstrlen_with_len(name, len) < 3)
		invalid_parameter(name, "tableName", "Member must have length greater than or equal to 3");
	if (pg_mbstrlen_with_len(name, len) > 255)
		invalid_parameter(name, "tableName", "Member must have length less than or equal to 255");
	dynamo_check_table_name(name, len);
	if (creating && len > DYNAMO_TABLE_NAME_MAX)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"dynamo_streams limits table names to %d characters, PostgreSQL's identifier limit.",
										DYNAMO_TABLE_NAME_MAX),
				errmsg("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to %d",
					   name, DYNAMO_TABLE_NAME_MAX));
}

/* _check_table_name(table_name text, creating boolean) */
Datum
dynamo_sql_check_table_name(PG_FUNCTION_ARGS)
{
	check_table_name(arg_cstring(fcinfo, 0), !PG_ARGISNULL(1) && PG_GETARG_BOOL(1));
	PG_RETURN_BOOL(true);
}

/* _check_key(name text, type text, n int): a key attribute of create_table */
Datum
dynamo_sql_check_key(PG_FUNCTION_ARGS)
{
	char	   *name = arg_cstring(fcinfo, 0);
	char	   *type = arg_cstring(fcinfo, 1);
	int			n = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
	char	   *what = psprintf("keySchema.%d.member.attributeName", n);

	if (name == NULL)
		invalid_parameter(NULL, what, "Member must not be null");
	if (strlen(name) < 1)
		invalid_parameter(name, what, "Member must have length greater than or equal to 1");
	if (strlen(name) > 255)
		invalid_parameter(name, what, "Member must have length less than or equal to 255");
	if (type == NULL || strlen(type) != 1 || strchr("SNB", type[0]) == NULL)
		invalid_parameter(type, psprintf("attributeDefinitions.%d.member.attributeType", n),
						  "Member must satisfy enum value set: [B, N, S]");
	PG_RETURN_BOOL(true);
}

/* _check_stream_view_type(stream_view_type text): NULL is fine */
Datum
dynamo_sql_check_stream_view_type(PG_FUNCTION_ARGS)
{
	static const char *const types[] = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"};
	char	   *svt = arg_cstring(fcinfo, 0);
	int			i;

	if (svt == NULL)
		PG_RETURN_BOOL(true);
	for (i = 0; i < lengthof(types); i++)
		if (strcmp(svt, types[i]) == 0)
			PG_RETURN_BOOL(true);
	invalid_parameter(svt, "streamSpecification.streamViewType",
					  "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]");
	PG_RETURN_BOOL(true);
}

/*
 * _require_logical_wal(): streams are decoded from the WAL, so enabling one
 * needs wal_level = logical (item tables themselves work at any level).
 */
Datum
dynamo_sql_require_logical_wal(PG_FUNCTION_ARGS)
{
	const char *level = GetConfigOption("wal_level", false, false);

	if (strcmp(level, "logical") != 0)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"This server runs with wal_level = %s.", level),
				errmsg("Streams need wal_level = logical, but this server runs with wal_level = %s",
					   level),
				errhint("Set wal_level = logical in postgresql.conf and restart the server; item tables work without it."));
	PG_RETURN_BOOL(true);
}

/*
 * _item_table(table_name text, lock boolean DEFAULT false) → dynamo._tables
 * The catalog row of item table table_name (locked FOR UPDATE with lock), or
 * ResourceNotFoundException with DescribeTable's wording.
 */
Datum
dynamo_sql_item_table(PG_FUNCTION_ARGS)
{
	char	   *name = arg_cstring(fcinfo, 0);
	bool		lock = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	Datum		row;
	bool		isnull;

	check_table_name(name, false);
	SPI_connect();
	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args(lock ?
							  "SELECT c FROM " DYNAMO_SCHEMA "." DYNAMO_CATALOG_TABLE " c"
							  " WHERE c.table_name OPERATOR(pg_catalog.=) $1"
							  " AND c.kind OPERATOR(pg_catalog.=) 'item' FOR UPDATE" :
							  "SELECT c FROM " DYNAMO_SCHEMA "." DYNAMO_CATALOG_TABLE " c"
							  " WHERE c.table_name OPERATOR(pg_catalog.=) $1"
							  " AND c.kind OPERATOR(pg_catalog.=) 'item'",
							  1, argtypes, args, NULL, !lock, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the dynamo_streams catalog");
	if (SPI_processed == 0)
		dynamo_table_not_found(name, strlen(name), true);
	row = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	row = SPI_datumTransfer(row, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(row);
}

/*
 * _stream_relation(relation text) → regclass
 * The relation a string names, resolved with the caller's search_path as a
 * regclass argument is (unquoted names fold to lower case).  When there is
 * none and an item table has that name (enable_stream('Music', ...)), the
 * hint says how to name it.
 */
Datum
dynamo_sql_stream_relation(PG_FUNCTION_ARGS)
{
	text	   *arg;
	char	   *str;
	Oid			relid;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	   *item = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arg = PG_GETARG_TEXT_PP(0);
	str = text_to_cstring(arg);
	relid = RangeVarGetRelid(makeRangeVarFromNameList(textToQualifiedNameList(arg)),
							 NoLock, true);
	if (OidIsValid(relid))
		PG_RETURN_OID(relid);
	SPI_connect();
	args[0] = CStringGetTextDatum(str);
	if (SPI_execute_with_args("SELECT c.table_name FROM " DYNAMO_SCHEMA "." DYNAMO_CATALOG_TABLE " c"
							  " WHERE c.kind OPERATOR(pg_catalog.=) 'item'"
							  " AND pg_catalog.lower(c.table_name) OPERATOR(pg_catalog.=) pg_catalog.lower($1)"
							  " ORDER BY c.table_name OPERATOR(pg_catalog.<>) $1, c.table_name COLLATE \"C\" LIMIT 1",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
		item = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	ereport(ERROR,
			errcode(ERRCODE_UNDEFINED_TABLE),
			errmsg("relation \"%s\" does not exist", str),
			item ?
			errhint("\"%s\" is an item table: turn its stream on with dynamo.update_table('%s', true, 'NEW_IMAGE'), or name its relation as dynamo.\"%s\".",
					item, item, item) : 0);
	PG_RETURN_NULL();
}
