-- dynamo_streams install script, part 30: the item API (C, src/items.c,
-- src/query.c, src/item_read.c, src/batch_write.c, src/batch_get.c).  Required arguments are checked in C so
-- that a NULL gets AWS's "Member must not be null" message.

CREATE FUNCTION @extschema@.put_item(table_name text, item jsonb, return_values text DEFAULT 'NONE',
    condition_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_put_item';

CREATE FUNCTION @extschema@.get_item(table_name text, key jsonb, consistent_read boolean DEFAULT false,
    projection_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_get_item';

CREATE FUNCTION @extschema@.delete_item(table_name text, key jsonb, return_values text DEFAULT 'NONE',
    condition_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_delete_item';

CREATE FUNCTION @extschema@.query(table_name text, key_condition_expression text,
    expression_attribute_values jsonb, expression_attribute_names jsonb DEFAULT NULL,
    scan_index_forward boolean DEFAULT true, "limit" int DEFAULT NULL,
    exclusive_start_key jsonb DEFAULT NULL, filter_expression text DEFAULT NULL,
    projection_expression text DEFAULT NULL, "select" text DEFAULT NULL,
    consistent_read boolean DEFAULT false)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_query';

CREATE FUNCTION @extschema@.scan(table_name text, "limit" int DEFAULT NULL,
    exclusive_start_key jsonb DEFAULT NULL, filter_expression text DEFAULT NULL,
    projection_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL, "select" text DEFAULT NULL,
    consistent_read boolean DEFAULT false)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_scan';

CREATE FUNCTION @extschema@.batch_write_item(request_items jsonb)
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_batch_write_item';

CREATE FUNCTION @extschema@.batch_get_item(request_items jsonb)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_batch_get_item';
