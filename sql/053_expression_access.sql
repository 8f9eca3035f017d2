-- 053_expression_access: update_item and conditional writes check the
-- caller's privileges up front, as the other item functions do
-- (docs/security.md): AccessDeniedException naming the DynamoDB action.
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dynamo.create_table('AccessX', 'k') IS NOT NULL AS created;
SELECT dynamo.put_item('AccessX', '{"k": {"S": "a"}, "n": {"N": "1"}}');
CREATE ROLE regress_expr_reader;
CREATE ROLE regress_expr_deleter;
GRANT SELECT ON dynamo."AccessX" TO regress_expr_reader;
GRANT SELECT, DELETE ON dynamo."AccessX" TO regress_expr_deleter;
SET ROLE regress_expr_reader;
SELECT dynamo.update_item('AccessX', '{"k": {"S": "a"}}', 'SET n = n + :one',
  expression_attribute_values => '{":one": {"N": "1"}}');
SELECT dynamo.put_item('AccessX', '{"k": {"S": "a"}}', condition_expression => 'attribute_exists(k)');
RESET ROLE;
SET ROLE regress_expr_deleter;
-- a plain delete is allowed; a conditional one locks the item and needs UPDATE
SELECT dynamo.delete_item('AccessX', '{"k": {"S": "none"}}');
SELECT dynamo.delete_item('AccessX', '{"k": {"S": "a"}}', condition_expression => 'attribute_exists(k)');
RESET ROLE;
SELECT item FROM dynamo."AccessX";
SELECT dynamo.delete_table('AccessX') IS NOT NULL AS deleted;
DROP ROLE regress_expr_reader;
DROP ROLE regress_expr_deleter;
