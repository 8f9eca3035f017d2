-- dynamo_streams install script, part 10: AttributeValues.
--
-- Validation, normalisation, item size and util-dynamodb style
-- marshalling of DynamoDB items held as jsonb (src/attrval.c and friends;
-- docs/attribute-values.md).

-- The item in normal form, or a ValidationException naming what is wrong.
CREATE FUNCTION @extschema@.validate_item(item jsonb) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_validate_item';
COMMENT ON FUNCTION @extschema@.validate_item(jsonb) IS
    'Validate a DynamoDB item (AttributeValue JSON) and return it normalised';

-- DynamoDB's item size in bytes (validates the item, but does not apply the
-- 400 KB limit, so that oversized items can be measured).
CREATE FUNCTION @extschema@.item_size(item jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_item_size';
COMMENT ON FUNCTION @extschema@.item_size(jsonb) IS
    'Size in bytes of a DynamoDB item as DynamoDB computes it';

CREATE FUNCTION @extschema@.marshall(item jsonb) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_marshall';
COMMENT ON FUNCTION @extschema@.marshall(jsonb) IS
    'Plain JSON to DynamoDB AttributeValue JSON (AWS SDK util-dynamodb marshall)';

CREATE FUNCTION @extschema@.unmarshall(item jsonb) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_unmarshall';
COMMENT ON FUNCTION @extschema@.unmarshall(jsonb) IS
    'DynamoDB AttributeValue JSON to plain JSON (AWS SDK util-dynamodb unmarshall)';

-- Internal: validate an item (or, with is_key, a Key argument) against a key
-- schema, as the item API does.  Used by the tests.
CREATE FUNCTION @extschema@._check_item(item jsonb, hash_key text, hash_type text,
                                        range_key text DEFAULT NULL,
                                        range_type text DEFAULT NULL,
                                        is_key boolean DEFAULT false)
    RETURNS jsonb
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_check_item';

-- Internal: a key attribute of a normalised item as its column value (text,
-- numeric or bytea, shown as text) followed by the Keys object.  Tests only.
CREATE FUNCTION @extschema@._key_value(item jsonb, attr text, type text)
    RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_key_value';

-- Internal: the size of an already normalised item, without validation (the
-- C function the output plugin uses for SizeBytes).  Tests only.
CREATE FUNCTION @extschema@._stored_item_size(item jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dynamo_sql_stored_item_size';
