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
