-- 066_transact_get: transact_get_items (DynamoDB's TransactGetItems).
-- Responses in request order, {} for a missing item, ProjectionExpression,
-- several tables, and the errors.  Sources: AWS API reference,
-- TransactGetItems; moto's tests/test_dynamodb/test_dynamodb_transact.py
-- (test_valid_transact_get_items,
-- test_transact_get_items_should_return_empty_map_for_non_existent_item).
\set VERBOSITY terse
SELECT dynamo.create_table('Users', 'id', 'S') IS NOT NULL AS created;
SELECT dynamo.create_table('Events', 'pk', 'S', 'sk', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('Users', '{"id": {"S": "u1"}, "name": {"S": "Ann"}, "address": {"M": {"city": {"S": "Oslo"}, "zip": {"S": "0150"}}}}');
SELECT dynamo.put_item('Events', '{"pk": {"S": "u1"}, "sk": {"N": "1"}, "kind": {"S": "login"}}');
CREATE FUNCTION tg(items jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN dynamo.transact_get_items(items)::text;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

SELECT jsonb_pretty(dynamo.transact_get_items('[
  {"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}},
  {"Get": {"TableName": "Users", "Key": {"id": {"S": "nobody"}}}},
  {"Get": {"TableName": "Events", "Key": {"pk": {"S": "u1"}, "sk": {"N": "1.00"}}}},
  {"Get": {"TableName": "Users", "Key": {"id": {"S": "u2"}}, "ProjectionExpression": "id"}},
  {"Get": {"TableName": "Events", "Key": {"sk": {"N": "1"}, "pk": {"S": "u2"}}}}
]'));
-- ProjectionExpression with names and nested paths
SELECT dynamo.transact_get_items('[
  {"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ProjectionExpression": "#n, address.city",
           "ExpressionAttributeNames": {"#n": "name"}}}
]');
-- a projection that names nothing of the item gives an empty Item
SELECT dynamo.transact_get_items('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ProjectionExpression": "nothing"}}]');

-- errors
SELECT tg(NULL);
SELECT tg('[]');
SELECT tg((SELECT jsonb_agg('{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}}'::jsonb) FROM generate_series(1, 101)));
SELECT jsonb_array_length(tg((SELECT jsonb_agg(jsonb_build_object('Get', jsonb_build_object('TableName', 'Users',
  'Key', jsonb_build_object('id', jsonb_build_object('S', 'k' || i))))) FROM generate_series(1, 100) i))::jsonb->'Responses') AS responses;
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}}, {"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}}]');
SELECT tg('[{"Put": {"TableName": "Users", "Item": {"id": {"S": "u1"}}}}]');
SELECT tg('[{"Get": {"Key": {"id": {"S": "u1"}}}}]');
SELECT tg('[{"Get": {"TableName": "Users"}}]');
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}, "name": {"S": "Ann"}}}}]');
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ExpressionAttributeNames": {"#n": "name"}}}]');
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ProjectionExpression": "#n"}}]');
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ProjectionExpression": "a,"}}]');
-- moto, test_invalid_transact_get_items: an unknown table
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}}, {"Get": {"TableName": "Nope", "Key": {"id": {"S": "u1"}}}}]');
-- a role needs SELECT on every table it reads
CREATE ROLE tx066_role;
GRANT USAGE ON SCHEMA dynamo TO tx066_role;
GRANT SELECT ON dynamo."Users" TO tx066_role;
SET ROLE tx066_role;
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}, "ProjectionExpression": "id"}}]');
SELECT tg('[{"Get": {"TableName": "Users", "Key": {"id": {"S": "u1"}}}}, {"Get": {"TableName": "Events", "Key": {"pk": {"S": "u1"}, "sk": {"N": "1"}}}}]');
RESET ROLE;
REVOKE ALL ON dynamo."Users" FROM tx066_role;
REVOKE ALL ON SCHEMA dynamo FROM tx066_role;
DROP ROLE tx066_role;

DROP FUNCTION tg(jsonb);
SELECT dynamo.delete_table('Users') IS NOT NULL, dynamo.delete_table('Events') IS NOT NULL;
