/*-------------------------------------------------------------------------
 *
 * errors.c
 *		The one table of AWS exceptions and their SQLSTATEs (docs/errors.md).
 *
 * DynamoDB clients tell errors apart by exception name and often compare
 * the message word for word, so an error of dynamo_streams carries three
 * things: errmsg = DynamoDB's own message, unchanged (AWS's spacing and
 * all); the SQLSTATE of the exception; and a DETAIL whose first word is the
 * exception name, followed by "." or by ": " and what else helps (the
 * attribute path, the table's key schema, ...).  C code raises through
 * dynamo_exception() / dynamo_exception_detail() inside ereport(); SQL code
 * through dynamo._raise(), which looks the name up in the same table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "dynamo_streams.h"

PG_FUNCTION_INFO_V1(dynamo_sql_raise);

/* Indexed by DynamoException; the first row of a name is its default. */
static const struct
{
	const char *name;
	int			sqlstate;
}			dynamo_exceptions[] =
{
	[DYNAMO_EXC_VALIDATION] = {"ValidationException", ERRCODE_DYNAMO_VALIDATION},
	[DYNAMO_EXC_NOT_FOUND] = {"ResourceNotFoundException", ERRCODE_DYNAMO_NOT_FOUND},
	[DYNAMO_EXC_EXISTS] = {"ResourceInUseException", ERRCODE_DYNAMO_EXISTS},
	[DYNAMO_EXC_IN_USE] = {"ResourceInUseException", ERRCODE_DYNAMO_IN_USE},
	[DYNAMO_EXC_LIMIT] = {"LimitExceededException", ERRCODE_DYNAMO_LIMIT},
	[DYNAMO_EXC_ACCESS_DENIED] = {"AccessDeniedException", ERRCODE_DYNAMO_ACCESS_DENIED},
	[DYNAMO_EXC_CONDITION_FAILED] = {"ConditionalCheckFailedException", ERRCODE_DYNAMO_CONDITION_FAILED},
	[DYNAMO_EXC_TRANSACTION_CANCELED] = {"TransactionCanceledException", ERRCODE_DYNAMO_TRANSACTION_CANCELED},
	[DYNAMO_EXC_TRIMMED] = {"TrimmedDataAccessException", ERRCODE_DYNAMO_TRIMMED},
	[DYNAMO_EXC_EXPIRED_ITERATOR] = {"ExpiredIteratorException", ERRCODE_DYNAMO_EXPIRED_ITERATOR},
	[DYNAMO_EXC_INVALID_PARAMETER] = {"InvalidParameterValueException", ERRCODE_DYNAMO_INVALID_PARAMETER},
	[DYNAMO_EXC_INVALID_PARAMETER_ACCESS] = {"InvalidParameterValueException", ERRCODE_DYNAMO_INVALID_PARAMETER_ACCESS},
	[DYNAMO_EXC_RESOURCE_CONFLICT] = {"ResourceConflictException", ERRCODE_DYNAMO_RESOURCE_CONFLICT},
};

/* The AWS name of an exception. */
const char *
dynamo_exception_name(DynamoException exc)
{
	return dynamo_exceptions[exc].name;
}

/* ereport() helper: SQLSTATE and DETAIL "<Exception>." */
int
dynamo_exception(DynamoException exc)
{
	errcode(dynamo_exceptions[exc].sqlstate);
	return errdetail_internal("%s.", dynamo_exceptions[exc].name);
}

/* ereport() helper: SQLSTATE and DETAIL "<Exception>: <fmt ...>" */
int
dynamo_exception_detail(DynamoException exc, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s: ", dynamo_exceptions[exc].name);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	errcode(dynamo_exceptions[exc].sqlstate);
	return errdetail_internal("%s", buf.data);
}

/*
 * _raise(exception text, message text, detail text DEFAULT NULL,
 *        hint text DEFAULT NULL, sqlstate text DEFAULT NULL) → never returns.
 * The SQL scripts' way to raise an AWS exception: message is DynamoDB's
 * message, detail (if any) what follows the exception name in DETAIL;
 * sqlstate (if any) chooses among the rows of that name.
 */
Datum
dynamo_sql_raise(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *message = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *detail = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *hint = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *state = (PG_NARGS() < 5 || PG_ARGISNULL(4)) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(4));
	int			i;

	for (i = 0; i < lengthof(dynamo_exceptions); i++)
		if (strcmp(dynamo_exceptions[i].name, name) == 0 &&
			(state == NULL || strlen(state) != 5 ||
			 dynamo_exceptions[i].sqlstate ==
			 MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])))
			break;
	if (i == lengthof(dynamo_exceptions))
		elog(ERROR, "unknown AWS exception \"%s\"", name);
	ereport(ERROR,
			detail ? dynamo_exception_detail(i, "%s", detail) : dynamo_exception(i),
			errmsg_internal("%s", message),
			hint ? errhint("%s", hint) : 0);
	PG_RETURN_BOOL(true);
}
