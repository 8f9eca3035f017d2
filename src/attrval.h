/*-------------------------------------------------------------------------
 *
 * attrval.h
 *		AttributeValue core (TEMPORARY copy of the contract's declarations,
 *		replaced by the attrval branch).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_ATTRVAL_H
#define DYNAMO_ATTRVAL_H

#include "utils/jsonb.h"
#include "dynamo_streams.h"

extern Jsonb *dynamo_item_normalize(Jsonb *item, const DynamoKeySchema *ks);
extern Jsonb *dynamo_key_normalize(Jsonb *key, const DynamoKeySchema *ks);
extern Datum dynamo_key_datum(JsonbContainer *item, const char *attr, char type);
extern int64 dynamo_item_size(JsonbContainer *item);
extern char *dynamo_number_normalize(const char *str, int len, const char *attr);
extern Jsonb *dynamo_marshall_jsonb(Jsonb *plain);

#endif							/* DYNAMO_ATTRVAL_H */
