-- 065_transact_write: transact_write_items (DynamoDB's TransactWriteItems).
-- Every action type, all or nothing, TransactionCanceledException with its
-- CancellationReasons in request order, every validation error, and the
-- stream records a transaction gives: one per changed item, in request
-- order, under one commit; none for a ConditionCheck, a Put or Update that
-- changes nothing, or a cancelled transaction.
-- Sources: AWS API reference, TransactWriteItems; moto's
-- tests/test_dynamodb/test_dynamodb_transact.py and
-- exceptions/test_dynamodb_transactions.py (those marked aws_verified were
-- recorded against DynamoDB).
\set VERBOSITY terse
SELECT 'slot' FROM pg_create_logical_replication_slot('tx065', 'dynamo_streams');
SELECT dynamo.create_table('Accounts', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT dynamo.create_table('Orders', 'pk', 'S', 'sk', 'N', 'KEYS_ONLY') IS NOT NULL AS created;
SELECT dynamo.put_item('Accounts', '{"id": {"S": "alice"}, "balance": {"N": "100"}}');
SELECT dynamo.put_item('Accounts', '{"id": {"S": "bob"}, "balance": {"N": "20"}}');
SELECT dynamo.put_item('Accounts', '{"id": {"S": "carol"}, "balance": {"N": "0"}, "closed": {"BOOL": true}}');
SELECT count(*) FROM ds_take('tx065');

-- errors shown as SQLSTATE, message and the CancellationReasons of the DETAIL
CREATE FUNCTION tx(items jsonb, token text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  RETURN dynamo.transact_write_items(items, token)::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || msg || CASE WHEN det LIKE 'TransactionCanceledException: CancellationReasons: %'
    THEN E'\n' || jsonb_pretty(split_part(det, 'CancellationReasons: ', 2)::jsonb) ELSE '' END;
END $$;
CREATE FUNCTION items() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT i::text FROM jsonb_array_elements(dynamo.scan('Accounts')->'Items') i ORDER BY i->'id'->>'S'
$$;

-- A transfer: Update, Update, Put (new), Delete, ConditionCheck.  Records
-- come in request order, all at one commit; none for the ConditionCheck.
SELECT dynamo.transact_write_items('[
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "alice"}},
              "UpdateExpression": "SET balance = balance - :a", "ConditionExpression": "balance >= :a",
              "ExpressionAttributeValues": {":a": {"N": "30"}}}},
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}},
              "UpdateExpression": "SET balance = balance + :a", "ExpressionAttributeValues": {":a": {"N": "30"}}}},
  {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "alice"}, "sk": {"N": "1"}, "amount": {"N": "30"}},
           "ConditionExpression": "attribute_not_exists(pk)"}},
  {"Delete": {"TableName": "Accounts", "Key": {"id": {"S": "carol"}}, "ConditionExpression": "closed = :t",
              "ExpressionAttributeValues": {":t": {"BOOL": true}}}},
  {"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "dave"}},
                      "ConditionExpression": "attribute_not_exists(id)"}}
]');
SELECT * FROM items();
SELECT * FROM ds_take('tx065');
-- one commit: the records share their ApproximateCreationDateTime and
-- their sequence numbers increase in request order
SELECT count(*) AS records, count(DISTINCT data::jsonb->'dynamodb'->'ApproximateCreationDateTime') AS times,
       bool_and(data::jsonb->'dynamodb'->>'SequenceNumber' > prev) AS increasing
  FROM (SELECT data, lag(data::jsonb->'dynamodb'->>'SequenceNumber', 1, '') OVER (ORDER BY n) prev
          FROM ds_seen WHERE slot = 'tx065' ORDER BY n DESC LIMIT 4) s;

-- A Put of an identical item and an Update that changes nothing write no
-- row version and give no record; the third action's change does.
SELECT xmin AS alice_xmin FROM dynamo."Accounts" WHERE pk = 'alice' \gset
SELECT dynamo.transact_write_items('[
  {"Put": {"TableName": "Accounts", "Item": {"balance": {"N": "70.0"}, "id": {"S": "alice"}}}},
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "UpdateExpression": "SET balance = :b",
              "ExpressionAttributeValues": {":b": {"N": "50"}}}},
  {"Update": {"TableName": "Orders", "Key": {"pk": {"S": "alice"}, "sk": {"N": "1"}},
              "UpdateExpression": "SET shipped = :t", "ExpressionAttributeValues": {":t": {"BOOL": true}}}}
]');
SELECT xmin::text = :'alice_xmin' AS alice_untouched FROM dynamo."Accounts" WHERE pk = 'alice';
SELECT * FROM ds_take('tx065');

-- An Update of a missing key creates the item (INSERT); a Delete of a
-- missing key does nothing.
SELECT dynamo.transact_write_items('[
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "dave"}}, "UpdateExpression": "ADD balance :z",
              "ExpressionAttributeValues": {":z": {"N": "5"}}}},
  {"Delete": {"TableName": "Accounts", "Key": {"id": {"S": "nobody"}}}}
]');
SELECT * FROM ds_take('tx065');

-- Cancelled: the message lists every action's code in request order, the
-- DETAIL the CancellationReasons (AWS, moto
-- test_transact_write_items_fails_with_transaction_canceled_exception:
-- "[None, ConditionalCheckFailed]").  Nothing is written, no record.
SELECT tx('[
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "UpdateExpression": "SET balance = :b",
              "ExpressionAttributeValues": {":b": {"N": "1"}}}},
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "alice"}},
              "UpdateExpression": "SET balance = balance - :a", "ConditionExpression": "balance >= :a",
              "ExpressionAttributeValues": {":a": {"N": "1000"}}}}
]');
-- at the top level the error is TransactionCanceledException, SQLSTATE 23000
SELECT dynamo.transact_write_items('[
  {"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_not_exists(id)"}},
  {"Put": {"TableName": "Accounts", "Item": {"id": {"S": "eve"}}}}
]');
SELECT * FROM items();
SELECT count(*) AS no_records FROM ds_take('tx065');
-- integrity_constraint_violation (class 23) catches it, and a single
-- item's ConditionalCheckFailedException (23514) too
DO $$
BEGIN
  PERFORM dynamo.transact_write_items('[{"Delete": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}},
    "ConditionExpression": "attribute_not_exists(id)"}}]');
EXCEPTION WHEN integrity_constraint_violation THEN
  RAISE NOTICE 'caught % %', SQLSTATE, SQLERRM;
END $$;

-- ReturnValuesOnConditionCheckFailure ALL_OLD puts the current item in the
-- reason, for every action type (moto, aws_verified
-- test_transact_write_items_failure__return_item); a missing item has none;
-- every failing action has its reason.
SELECT tx('[
  {"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "alice"}}, "ConditionExpression": "balance > :x",
    "ExpressionAttributeValues": {":x": {"N": "500"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
  {"Put": {"TableName": "Accounts", "Item": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_not_exists(id)",
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
  {"Delete": {"TableName": "Accounts", "Key": {"id": {"S": "dave"}}, "ConditionExpression": "balance = :x",
    "ExpressionAttributeValues": {":x": {"N": "500"}}, "ReturnValuesOnConditionCheckFailure": "NONE"}},
  {"Update": {"TableName": "Orders", "Key": {"pk": {"S": "alice"}, "sk": {"N": "1"}}, "UpdateExpression": "REMOVE shipped",
    "ConditionExpression": "shipped = :f", "ExpressionAttributeValues": {":f": {"BOOL": false}},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
  {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "zed"}}, "UpdateExpression": "SET a = :f",
    "ConditionExpression": "attribute_exists(id)", "ExpressionAttributeValues": {":f": {"BOOL": false}},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
  {"Put": {"TableName": "Accounts", "Item": {"id": {"S": "frank"}}}}
]');
-- "<>" on a missing attribute is true: only the existing item fails (moto,
-- aws_verified test_transact_write_items_put_conditional_expressions)
SELECT tx((SELECT jsonb_agg(jsonb_build_object('Put', jsonb_build_object('TableName', 'Accounts',
  'Item', jsonb_build_object('id', jsonb_build_object('S', x)), 'ConditionExpression', '#i <> :i',
  'ExpressionAttributeNames', '{"#i": "id"}'::jsonb, 'ExpressionAttributeValues', '{":i": {"S": "bob"}}'::jsonb)))
  FROM unnest(ARRAY['x1', 'bob', 'x2']) x));

-- An Update that breaks a rule only on this item (an operand of the wrong
-- type in the item, the item grown too large) is cancelled with reason
-- ValidationError and DynamoDB's message; a wrong type that the request
-- itself shows (a value) is a ValidationException for the whole request.
-- (AWS knowledge center, "Why is my TransactWriteItems API call failing in
-- Amazon DynamoDB?": a ValidationError reason for an item over 400 KB, an
-- operand of the wrong type, a number overflow, an invalid document path.)
SELECT dynamo.put_item('Accounts', '{"id": {"S": "str"}, "balance": {"S": "ten"}}');
SELECT tx(jsonb_build_array(
  '{"Update": {"TableName": "Accounts", "Key": {"id": {"S": "str"}}, "UpdateExpression": "SET balance = balance + :n",
               "ExpressionAttributeValues": {":n": {"N": "1"}}}}'::jsonb,
  '{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "new"}}}}'::jsonb,
  jsonb_build_object('Update', jsonb_build_object('TableName', 'Accounts', 'Key', '{"id": {"S": "bob"}}'::jsonb,
    'UpdateExpression', 'SET big = :s, big2 = :s',
    'ExpressionAttributeValues', jsonb_build_object(':s', jsonb_build_object('S', repeat('x', 300000)))))));
SELECT tx('[{"Update": {"TableName": "Accounts", "Key": {"id": {"S": "alice"}}, "UpdateExpression": "SET balance = balance + :s",
             "ExpressionAttributeValues": {":s": {"S": "x"}}}}]');
SELECT dynamo.delete_item('Accounts', '{"id": {"S": "str"}}');
SELECT count(*) FROM ds_take('tx065');
SELECT count(*) AS no_records FROM ds_take('tx065');

-- Validation errors: the whole request is rejected (ValidationException).
SELECT tx(NULL);
SELECT tx('[]');
SELECT tx('{}');
SELECT tx((SELECT jsonb_agg(jsonb_build_object('Put', jsonb_build_object('TableName', 'Accounts',
  'Item', jsonb_build_object('id', jsonb_build_object('S', 'k' || i))))) FROM generate_series(1, 101) i));
-- moto, test_multiple_transactions_on_same_item and (aws_verified)
-- put_and_delete_with_different_key_order
SELECT tx('[{"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_exists(id)"}},
            {"Update": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "UpdateExpression": "REMOVE x"}}]');
SELECT tx('[{"Put": {"TableName": "Orders", "Item": {"pk": {"S": "p"}, "sk": {"N": "1.0"}, "a": {"S": "x"}}}},
            {"Delete": {"TableName": "Orders", "Key": {"sk": {"N": "1"}, "pk": {"S": "p"}}}}]');
-- the same key in two tables is two items
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "same"}}}},
            {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "same"}, "sk": {"N": "0"}}}}]');
-- moto, test_transact_write_items_multiple_operations_fail
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}}},
             "Delete": {"TableName": "Accounts", "Key": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Get": {"TableName": "Accounts", "Key": {"id": {"S": "x"}}}}]');
SELECT tx('[1]');
SELECT tx('[{"Put": {"Item": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}}}}, {"Delete": {"TableName": "Accounts"}}]');
SELECT tx('[{"Put": {"TableName": "Accounts"}}]');
SELECT tx('[{"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Update": {"TableName": "Accounts", "Key": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}}, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"}}]');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}}]');
-- moto, aws_verified test_transact_write_items__empty_expr_attr_values
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}}, "ConditionExpression": "attribute_not_exists(#n0)",
                     "ExpressionAttributeNames": {"#n0": "id"}, "ExpressionAttributeValues": {}}}]');
SELECT tx('[{"Update": {"TableName": "Accounts", "Key": {"id": {"S": "x"}}, "UpdateExpression": "SET a = :v SET b = :v",
                        "ExpressionAttributeValues": {":v": {"S": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "x"}, "bad": {"N": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"idx": {"S": "x"}}}}]');
SELECT tx('[{"Delete": {"TableName": "Accounts", "Key": {"id": {"N": "1"}}}}]');
SELECT tx('[{"Put": {"TableName": "NoSuchTable", "Item": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": "x", "Item": {"id": {"S": "x"}}}}]');
SELECT tx('[{"Put": {"TableName": 5, "Item": {"id": {"S": "x"}}}}]');
-- ClientRequestToken: 1 to 36 characters, accepted and not remembered
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "tok"}}}}]', repeat('t', 37));
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "tok"}}}}]', '');
SELECT tx('[{"Put": {"TableName": "Accounts", "Item": {"id": {"S": "tok"}}}}]', 'b1ad6ab4-5e1d-4b5c-9d7e-0123456789ab');
-- two records for "same", one for "tok"
SELECT count(*) AS records FROM ds_take('tx065');

-- 100 actions are allowed, each gives its record
SELECT tx((SELECT jsonb_agg(jsonb_build_object('Put', jsonb_build_object('TableName', 'Orders',
  'Item', jsonb_build_object('pk', '{"S": "bulk"}'::jsonb, 'sk', jsonb_build_object('N', i::text))))) FROM generate_series(1, 100) i));
SELECT count(*) FROM ds_take('tx065');
-- (the lock order is by key hash, so request order is no accident)
SELECT count(*) AS records, bool_and(sk = r::text) AS in_request_order
  FROM (SELECT data::jsonb->'dynamodb'->'Keys'->'sk'->>'N' sk, row_number() OVER (ORDER BY n) r
          FROM (SELECT * FROM ds_seen WHERE slot = 'tx065' ORDER BY n DESC LIMIT 100) l) s;

-- Privileges: each action needs what its single-item function needs
-- (ConditionCheck: SELECT, and UPDATE for the row lock), and names the IAM
-- action (AWS: dynamodb:ConditionCheckItem, PutItem, UpdateItem, DeleteItem).
CREATE ROLE tx065_reader;
GRANT USAGE ON SCHEMA dynamo TO tx065_reader;
GRANT SELECT ON dynamo."Accounts" TO tx065_reader;
SET ROLE tx065_reader;
SELECT tx('[{"ConditionCheck": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_exists(id)"}}]');
SELECT tx('[{"Delete": {"TableName": "Accounts", "Key": {"id": {"S": "bob"}}}}]');
RESET ROLE;
REVOKE ALL ON dynamo."Accounts" FROM tx065_reader;
REVOKE ALL ON SCHEMA dynamo FROM tx065_reader;
DROP ROLE tx065_reader;

SELECT * FROM ds_check('tx065', now() - interval '1 hour');
SELECT 'dropped' FROM pg_drop_replication_slot('tx065');
DROP FUNCTION tx(jsonb, text);
DROP FUNCTION items();
SELECT dynamo.delete_table('Accounts') IS NOT NULL, dynamo.delete_table('Orders') IS NOT NULL;
