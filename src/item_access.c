/*-------------------------------------------------------------------------
 *
 * item_access.c
 *		Privilege checks of the item API, raised as AccessDeniedException.
 *
 * Item functions run with the caller's privileges: a role may put, get,
 * query, scan or delete items exactly when plain SQL on the item table
 * would let it.  The check is made up front, when the table has been
 * found, so that a role without the privileges gets DynamoDB's
 * AccessDeniedException naming the action and the table (SQLSTATE 42501,
 * the same class as PostgreSQL's own "permission denied") instead of an
 * error from inside the statement the function runs.  See docs/security.md.
 *
 * The table functions (PL/pgSQL) check through dynamo._require_access,
 * written here in C so that its error's CONTEXT names only the public
 * function that called it (see table_checks.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "items.h"

/* Privilege names in the order GRANT lists them. */
static const struct
{
	AclMode		mode;
	const char *name;
}			privilege_names[] =
{
	{ACL_SELECT, "SELECT"},
	{ACL_INSERT, "INSERT"},
	{ACL_UPDATE, "UPDATE"},
	{ACL_DELETE, "DELETE"},
};

/*
 * Raise AccessDeniedException unless the current user holds every privilege
 * of mode on the item table; action is the DynamoDB action ("PutItem").
 */
void
dynamo_require_item_access(DynamoItemTable *t, AclMode mode, const char *action)
{
	AclMode		have = pg_class_aclmask(t->relid, GetUserId(), mode, ACLMASK_ALL);
	StringInfoData missing;
	int			i;

	if ((have & mode) == mode)
		return;
	initStringInfo(&missing);
	for (i = 0; i < lengthof(privilege_names); i++)
		if ((mode & privilege_names[i].mode) && !(have & privilege_names[i].mode))
			appendStringInfo(&missing, "%s%s", missing.len ? ", " : "",
							 privilege_names[i].name);
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_ACCESS_DENIED,
									"dynamodb:%s needs the %s privilege on the item table %s.",
									action, missing.data, t->qualname),
			errmsg("User: %s is not authorized to perform: dynamodb:%s on resource: arn:aws:dynamodb:%s:%s:table/%s",
				   GetUserNameFromId(GetUserId(), false), action,
				   dynamo_region ? dynamo_region : "us-east-1",
				   dynamo_account_id ? dynamo_account_id : "000000000000",
				   t->name),
			errhint("The table's owner can grant it; see docs/security.md."));
}

PG_FUNCTION_INFO_V1(dynamo_sql_require_access);

/* The privilege bit of a name ("SELECT"), or 0. */
static AclMode
privilege_mode(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(privilege_names); i++)
		if (strcmp(privilege_names[i].name, name) == 0)
			return privilege_names[i].mode;
	return 0;
}

/* A relation as regclass shows it (qualified unless on the search_path). */
static char *
relation_text(Oid relid)
{
	return DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
}

/*
 * _require_access(t _tables, action text, needs text[]) → t.
 * Raise AccessDeniedException unless the current user has every one of
 * needs on catalog row t: 'OWNER' (be a member of the owner of t.relid),
 * a privilege on t.relid ('SELECT', ...) or on the catalog ('catalog
 * UPDATE', ...).  A relation that no longer exists (its catalog row stayed
 * because event triggers were off when it was dropped) has no owner, so
 * only a superuser passes 'OWNER', and no privilege is missing on it (as
 * has_table_privilege's NULL): its row can be described and deleted.
 */
Datum
dynamo_sql_require_access(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	char	   *action;
	ArrayType  *needs;
	Oid			catalog;
	bool		isnull;
	Datum		d;
	Oid			relid = InvalidOid;
	char	   *table_name = NULL;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	StringInfoData missing;

	/* no row: nothing to check (callers pass the row of a found table) */
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	row = PG_GETARG_HEAPTUPLEHEADER(0);
	if (PG_ARGISNULL(2))
		PG_RETURN_HEAPTUPLEHEADER(row);
	action = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	needs = PG_GETARG_ARRAYTYPE_P(2);
	catalog = get_typ_typrelid(HeapTupleHeaderGetTypeId(row));
	d = GetAttributeByName(row, "relid", &isnull);
	if (!isnull)
		relid = DatumGetObjectId(d);
	d = GetAttributeByName(row, "table_name", &isnull);
	if (!isnull)
		table_name = TextDatumGetCString(d);
	deconstruct_array(needs, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	initStringInfo(&missing);
	for (i = 0; i < n; i++)
	{
		char	   *need;
		bool		ok;
		char	   *what;

		if (nulls[i])
			continue;
		need = TextDatumGetCString(elems[i]);
		if (strcmp(need, "OWNER") == 0)
		{
			HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

			/* a relation that is gone has no owner: superusers only */
			ok = superuser();
			if (HeapTupleIsValid(tup))
			{
				ok = has_privs_of_role(GetUserId(), ((Form_pg_class) GETSTRUCT(tup))->relowner);
				ReleaseSysCache(tup);
			}
			what = psprintf("ownership of the table %s", relation_text(relid));
		}
		else if (strncmp(need, "catalog ", 8) == 0)
		{
			ok = pg_class_aclcheck(catalog, GetUserId(), privilege_mode(need + 8)) == ACLCHECK_OK;
			what = psprintf("the %s privilege on %s", need + 8,
							relation_text(catalog));
		}
		else
		{
			ok = !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
				pg_class_aclcheck(relid, GetUserId(), privilege_mode(need)) == ACLCHECK_OK;
			what = psprintf("the %s privilege on the table %s", need,
							relation_text(relid));
		}
		if (!ok)
			appendStringInfo(&missing, "%s%s", missing.len ? " and " : "", what);
	}
	if (missing.len > 0)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_ACCESS_DENIED, "dynamodb:%s needs %s.",
										action, missing.data),
				errmsg("User: %s is not authorized to perform: dynamodb:%s on resource: arn:aws:dynamodb:%s:%s:table/%s",
					   GetUserNameFromId(GetUserId(), false), action,
					   dynamo_region ? dynamo_region : "us-east-1",
					   dynamo_account_id ? dynamo_account_id : "000000000000",
					   table_name ? table_name : ""),
				errhint("See docs/security.md for the privileges each function needs."));
	PG_RETURN_HEAPTUPLEHEADER(row);
}
