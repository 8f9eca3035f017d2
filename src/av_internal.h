/*-------------------------------------------------------------------------
 *
 * av_internal.h
 *		Private pieces shared by the files of the AttributeValue core
 *		(attrval.c, av_number.c, av_size.c, marshall.c).
 *
 * The number parser reports a status instead of raising an error, so that
 * the item walk can name the offending attribute by its full path.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_AV_INTERNAL_H
#define DYNAMO_AV_INTERNAL_H

#include "attrval.h"

/* Outcome of parsing a number text. */
typedef enum DynamoNumStatus
{
	DYNAMO_NUM_OK,
	DYNAMO_NUM_NOT_NUMERIC,
	DYNAMO_NUM_TOO_MANY_DIGITS,
	DYNAMO_NUM_OVERFLOW,
	DYNAMO_NUM_UNDERFLOW
} DynamoNumStatus;

/*
 * A parsed number: value = 0 when zero, else
 * (-1)^negative * d1.d2d3...dn * 10^adj with d1 and dn non-zero.
 */
typedef struct DynamoNumber
{
	bool		negative;
	bool		zero;
	int			ndigits;
	int			adj;
	char		digits[DYNAMO_MAX_NUMBER_DIGITS + 1];
} DynamoNumber;

extern DynamoNumStatus dynamo_number_parse(const char *str, int len,
										   DynamoNumber *num);
extern char *dynamo_number_text(const DynamoNumber *num, int *len);
extern int	dynamo_number_storage(const DynamoNumber *num);
extern const char *dynamo_number_message(DynamoNumStatus status);

/* The ten AttributeValue types. */
typedef enum DynamoAvType
{
	AV_S,
	AV_N,
	AV_B,
	AV_BOOL,
	AV_NULL,
	AV_M,
	AV_L,
	AV_SS,
	AV_NS,
	AV_BS,
	AV_INVALID
} DynamoAvType;

/* Type of a type key ("S", "NS", ...), AV_INVALID if not one. */
extern DynamoAvType dynamo_av_type(const char *key, int len);
extern const char *dynamo_av_type_name(DynamoAvType type);

/*
 * The single type key and value of a normalised AttributeValue object; false
 * if the container is not an object with exactly one member.
 */
extern bool dynamo_av_unwrap(JsonbContainer *av, DynamoAvType *type,
							 JsonbValue *value);

/* Validate an item's values and return its normal form (attrval.c). */
extern Jsonb *dynamo_item_check(Jsonb *item, int64 *size);
extern void dynamo_item_size_limit(int64 size);

#endif							/* DYNAMO_AV_INTERNAL_H */
