/*-------------------------------------------------------------------------
 *
 * dynamo_streams.h
 *		Declarations shared by every part of dynamo_streams.
 *
 * The shared library is at once the SQL function module, the logical
 * decoding output plugin and (later) the background worker.  This header
 * holds what crosses those parts: the key schema of a table, the AWS
 * exception names with the SQLSTATE each maps to, the settings, and the one
 * relcache invalidation callback that every cache hangs off.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_STREAMS_H
#define DYNAMO_STREAMS_H

#include "compat.h"

/*
 * AWS exceptions (docs/errors.md).  An error that DynamoDB would answer with
 * an exception carries DynamoDB's own message, word for word, as errmsg;
 * the SQLSTATE of the exception; and a DETAIL that starts with the
 * exception name ("ValidationException." or "ValidationException: more").
 * src/errors.c holds the one table of names and SQLSTATEs, which SQL code
 * reaches through dynamo._raise().  Use them inside ereport():
 *
 *	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
 *			errmsg("The provided key element does not match the schema"));
 */
typedef enum DynamoException
{
	DYNAMO_EXC_VALIDATION,		/* ValidationException, 22023 */
	DYNAMO_EXC_NOT_FOUND,		/* ResourceNotFoundException, 42P01 */
	DYNAMO_EXC_EXISTS,			/* ResourceInUseException, 42P07 */
	DYNAMO_EXC_IN_USE,			/* ResourceInUseException, 55006 */
	DYNAMO_EXC_LIMIT,			/* LimitExceededException, 54000 */
	DYNAMO_EXC_ACCESS_DENIED,	/* AccessDeniedException, 42501 */
	DYNAMO_EXC_CONDITION_FAILED,	/* ConditionalCheckFailedException, 23514 */
	DYNAMO_EXC_TRANSACTION_CANCELED,	/* TransactionCanceledException, 23000 */
	DYNAMO_EXC_TRIMMED,			/* TrimmedDataAccessException, 72000 */
	DYNAMO_EXC_EXPIRED_ITERATOR,	/* ExpiredIteratorException, 55000 */
	/* Lambda's exceptions (event source mappings, filters) */
	DYNAMO_EXC_INVALID_PARAMETER,	/* InvalidParameterValueException, 22023 */
	DYNAMO_EXC_INVALID_PARAMETER_ACCESS,	/* InvalidParameterValueException, 42501 */
	DYNAMO_EXC_RESOURCE_CONFLICT	/* ResourceConflictException, 42710 */
} DynamoException;

extern const char *dynamo_exception_name(DynamoException exc);
extern int	dynamo_exception(DynamoException exc);
extern int	dynamo_exception_detail(DynamoException exc, const char *fmt,...)
			pg_attribute_printf(2, 3);

/* The names alone, for code that predates the table above. */
#define DYNAMO_VALIDATION		"ValidationException"
#define DYNAMO_NOT_FOUND		"ResourceNotFoundException"
#define DYNAMO_IN_USE			"ResourceInUseException"
#define DYNAMO_LIMIT			"LimitExceededException"

#define ERRCODE_DYNAMO_VALIDATION	ERRCODE_INVALID_PARAMETER_VALUE /* 22023 */
#define ERRCODE_DYNAMO_NOT_FOUND	ERRCODE_UNDEFINED_TABLE /* 42P01 */
#define ERRCODE_DYNAMO_EXISTS		ERRCODE_DUPLICATE_TABLE /* 42P07 */
#define ERRCODE_DYNAMO_IN_USE		ERRCODE_OBJECT_IN_USE	/* 55006 */
#define ERRCODE_DYNAMO_LIMIT		ERRCODE_PROGRAM_LIMIT_EXCEEDED	/* 54000 */
#define ERRCODE_DYNAMO_ACCESS_DENIED	ERRCODE_INSUFFICIENT_PRIVILEGE	/* 42501 */
#define ERRCODE_DYNAMO_CONDITION_FAILED	ERRCODE_CHECK_VIOLATION /* 23514 */
/* class 23 as a whole: one handler catches both condition failures */
#define ERRCODE_DYNAMO_TRANSACTION_CANCELED	ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION	/* 23000 */
/* data past the stream log's trim horizon: PostgreSQL's "snapshot too old" */
#define ERRCODE_DYNAMO_TRIMMED		ERRCODE_SNAPSHOT_TOO_OLD	/* 72000 */
#define ERRCODE_DYNAMO_EXPIRED_ITERATOR	ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE	/* 55000 */
/* Lambda's bad-parameter exception (event source mappings, filters) */
#define ERRCODE_DYNAMO_INVALID_PARAMETER	ERRCODE_INVALID_PARAMETER_VALUE	/* 22023 */
/* Lambda: "Cannot access stream": the caller may not read the stream */
#define ERRCODE_DYNAMO_INVALID_PARAMETER_ACCESS	ERRCODE_INSUFFICIENT_PRIVILEGE	/* 42501 */
/* Lambda: a mapping of that function and stream exists already */
#define ERRCODE_DYNAMO_RESOURCE_CONFLICT	ERRCODE_DUPLICATE_OBJECT	/* 42710 */

/* DynamoDB limits (SPEC 4.1, 4.2). */
#define DYNAMO_MAX_ITEM_SIZE		409600
#define DYNAMO_MAX_HASH_KEY_BYTES	2048
#define DYNAMO_MAX_RANGE_KEY_BYTES	1024
#define DYNAMO_MAX_DEPTH			32
#define DYNAMO_MAX_NUMBER_DIGITS	38

/* Names of the extension's schema and catalog table. */
#define DYNAMO_SCHEMA			"dynamo"
#define DYNAMO_CATALOG_TABLE	"_tables"
#define DYNAMO_SOURCE_TABLE		"_source"

/* Replication origin whose changes are TTL expiry deletes (SPEC 4.3). */
#define DYNAMO_TTL_ORIGIN		"dynamo_streams_ttl"

/*
 * Key schema of an item table: the hash (partition) key and the optional
 * range (sort) key, each with its type 'S', 'N' or 'B'.  range_key is NULL
 * when the table has a simple primary key.
 */
typedef struct DynamoKeySchema
{
	char	   *hash_key;
	char		hash_type;
	char	   *range_key;
	char		range_type;
} DynamoKeySchema;

/* Settings (dynamo_streams.c). */
extern char *dynamo_region;
extern char *dynamo_account_id;
extern int	dynamo_iterator_ttl;

/*
 * A cache that must be dropped when a relation changes registers here; the
 * single relcache callback (PostgreSQL allows only a few per backend) calls
 * every registered function with the relation's OID, or InvalidOid for
 * "everything".  Registering the same function twice is a no-op.
 */
typedef void (*DynamoCacheResetFn) (Oid relid);
extern void dynamo_register_cache_reset(DynamoCacheResetFn fn);

/* Raise an error unless the database encoding is UTF8 (dynamo_streams.c). */
extern void dynamo_require_utf8(void);

/* OID of dynamo._tables, or InvalidOid when the extension is not installed. */
extern Oid	dynamo_catalog_relid(void);

#endif							/* DYNAMO_STREAMS_H */
