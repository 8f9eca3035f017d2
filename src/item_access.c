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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"

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
