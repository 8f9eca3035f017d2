/*-------------------------------------------------------------------------
 *
 * attrval.h
 *		The AttributeValue core: validation, normalisation, item size and
 *		marshalling of DynamoDB items held as jsonb.
 *
 * An item is a jsonb object mapping attribute names to AttributeValues
 * ({"S": "x"}, {"N": "1.5"}, {"M": {...}}, ...).  dynamo_item_normalize()
 * checks every rule of DynamoDB (SPEC 4.1, 4.2) and returns the item in its
 * normal form: numbers in one canonical text, sets in one canonical order,
 * binary values in canonical base64.  Equal DynamoDB items therefore become
 * byte-identical jsonb, which the output plugin relies on to detect no-op
 * writes.  The rules and the canonical forms are described in
 * docs/attribute-values.md.
 *
 * Every user error is raised with ERRCODE_DYNAMO_VALIDATION and a message
 * that starts with "ValidationException: ".
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_ATTRVAL_H
#define DYNAMO_ATTRVAL_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "dynamo_streams.h"

/* Validate and normalise an item; ks may be NULL (no key checks). */
extern Jsonb *dynamo_item_normalize(Jsonb *item, const DynamoKeySchema *ks);

/* Validate and normalise a Key argument: exactly the key attributes. */
extern Jsonb *dynamo_key_normalize(Jsonb *key, const DynamoKeySchema *ks);
extern void dynamo_item_check_keys(Jsonb *item, const DynamoKeySchema *ks,
								   bool key_message);

/*
 * A key attribute of a normalised item (or key) as the datum of its column:
 * text for S, numeric for N, bytea for B.  Errors if missing or mistyped.
 */
extern Datum dynamo_key_datum(JsonbContainer *item, const char *attr, char type);

/* The Keys object of a normalised item: only its key attributes. */
extern Jsonb *dynamo_item_keys(JsonbContainer *item, const DynamoKeySchema *ks);

/* SPEC 4.2 size of a normalised item object (no validation). */
extern int64 dynamo_item_size(JsonbContainer *item);

/* SPEC 4.2 size of one normalised AttributeValue object. */
extern int64 dynamo_value_size(JsonbContainer *av);

/*
 * Canonical text of a DynamoDB number (palloc'd, NUL-terminated), or an
 * ereport naming attr (which may be NULL) when str is not a valid number.
 */
extern char *dynamo_number_normalize(const char *str, int len, const char *attr);

/* Storage size of a valid number text (any spelling), SPEC 4.2. */
extern int	dynamo_number_size(const char *str, int len);

/* Numeric comparison of two canonical number texts: <0, 0, >0. */
extern int	dynamo_number_cmp(const char *a, int alen, const char *b, int blen);

/*
 * Strict base64 (RFC 4648 alphabet, padded to a multiple of 4).  Decode
 * returns false on invalid input; on success *out is palloc'd, *outlen set,
 * and *canonical tells whether re-encoding gives back the same text.
 */
extern bool dynamo_base64_decode(const char *src, int len, char **out,
								 int *outlen, bool *canonical);
extern char *dynamo_base64_encode(const char *src, int len, int *outlen);

/* Length of the bytes a valid base64 text decodes to, without decoding. */
extern int	dynamo_base64_decoded_len(const char *src, int len);

/* util-dynamodb marshall of plain JSON: object -> item of AttributeValues. */
extern Jsonb *dynamo_marshall_jsonb(Jsonb *plain);

/* util-dynamodb unmarshall of a (normalised) item to plain JSON. */
extern Jsonb *dynamo_unmarshall_jsonb(Jsonb *item);

#endif							/* DYNAMO_ATTRVAL_H */
