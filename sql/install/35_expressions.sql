-- dynamo_streams install script, part 35: DynamoDB expressions
-- (src/expr_*.c, src/update_item.c).  put_item and delete_item take a
-- condition expression (part 30); update_item applies an UpdateExpression.

CREATE FUNCTION @extschema@.update_item(table_name text, key jsonb,
    update_expression text DEFAULT NULL, condition_expression text DEFAULT NULL,
    expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values text DEFAULT 'NONE',
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_update_item';
