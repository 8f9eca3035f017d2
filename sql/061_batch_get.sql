-- 061_batch_get: batch_get_item with DynamoDB's request and response shapes,
-- projections, UnprocessedKeys past 16 MB, and every bad request with its
-- message.
--
-- Sources: AWS API reference, BatchGetItem ("up to 100 items", "If you
-- request more than 100 items, BatchGetItem returns a ValidationException
-- with the message 'Too many items requested for the BatchGetItem call'",
-- "if you ask to retrieve 100 items, but each individual item is 300 KB in
-- size, the system returns 52 items ... It also returns an appropriate
-- UnprocessedKeys value"); dynalite validations/batchGetItem.js and
-- test/batchGetItem.js (duplicates, 100 keys over several tables, unknown
-- table); ScyllaDB test/alternator/test_batch.py (projection, missing
-- items); an emulator conformance suite recorded against DynamoDB (empty
-- request, more than 100 keys of one table).
\set VERBOSITY terse
SELECT dynamo.create_table('BgUsers', 'username') IS NOT NULL AS created;
SELECT dynamo.create_table('BgThread', 'ForumName', 'S', 'Subject', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('BgUsers', jsonb_build_object('username', jsonb_build_object('S', 'user' || i),
    'foo', '{"S": "bar"}'::jsonb, 'n', jsonb_build_object('N', i::text),
    'address', '{"M": {"city": {"S": "Paris"}, "zip": {"L": [{"N": "75"}, {"N": "1"}]}}}'::jsonb))
  FROM generate_series(1, 3) i;
SELECT dynamo.put_item('BgThread', '{"ForumName": {"S": "Amazon DynamoDB"}, "Subject": {"S": "Thread 1"}, "Views": {"N": "3"}}');

-- Two tables; a missing key gives nothing; every table is in Responses.
SELECT dynamo.batch_get_item('{
  "BgUsers": {"Keys": [{"username": {"S": "user1"}}, {"username": {"S": "nobody"}}, {"username": {"S": "user3"}}]},
  "BgThread": {"Keys": [{"ForumName": {"S": "Amazon DynamoDB"}, "Subject": {"S": "Thread 1"}}],
               "ConsistentRead": true}}');
SELECT dynamo.batch_get_item('{"BgThread": {"Keys": [{"ForumName": {"S": "x"}, "Subject": {"S": "y"}}]}}');
-- Projection with names, nested paths; numbers in keys are normalised.
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user2"}}],
  "ProjectionExpression": "#u, address.zip[1], n", "ExpressionAttributeNames": {"#u": "username"}}}');

-- 16 MB: of 60 items of 300 KB, 52 are returned and 8 keys come back in
-- UnprocessedKeys, with the table's other request members.
SELECT dynamo.create_table('BgBig', 'k') IS NOT NULL AS created;
SELECT count(dynamo.put_item('BgBig', jsonb_build_object('k', jsonb_build_object('S', 'k' || lpad(i::text, 2, '0')),
    'b', jsonb_build_object('S', repeat('x', 307195)))))
  FROM generate_series(1, 60) i;
SELECT dynamo.item_size(item) AS item_size FROM dynamo.scan('BgBig', 1) s, jsonb_array_elements(s->'Items') item;
WITH r AS (SELECT dynamo.batch_get_item(jsonb_build_object('BgBig', jsonb_build_object(
             'Keys', (SELECT jsonb_agg(jsonb_build_object('k', jsonb_build_object('S', 'k' || lpad(i::text, 2, '0'))) ORDER BY i)
                        FROM generate_series(1, 60) i),
             'ProjectionExpression', 'k', 'ConsistentRead', false))) AS r)
SELECT jsonb_array_length(r->'Responses'->'BgBig') AS returned,
       jsonb_array_length(r->'UnprocessedKeys'->'BgBig'->'Keys') AS unprocessed,
       r->'UnprocessedKeys'->'BgBig'->'Keys'->0 AS first_unprocessed,
       (r->'UnprocessedKeys'->'BgBig') - 'Keys'::text AS other_members
  FROM r;
-- Past the limit, later tables are unprocessed whole.
WITH r AS (SELECT dynamo.batch_get_item(jsonb_build_object(
             'BgBig', jsonb_build_object('Keys', (SELECT jsonb_agg(jsonb_build_object('k', jsonb_build_object('S', 'k' || lpad(i::text, 2, '0'))))
                                                    FROM generate_series(1, 60) i)),
             'BgUsers', '{"Keys": [{"username": {"S": "user1"}}]}'::jsonb)) AS r)
SELECT jsonb_array_length(r->'Responses'->'BgBig') AS returned, r->'Responses'->'BgUsers' AS users,
       r->'UnprocessedKeys'->'BgUsers' AS users_unprocessed
  FROM r;

-- 100 keys are allowed, 101 are not, per table or in all.
SELECT jsonb_array_length(dynamo.batch_get_item(jsonb_build_object('BgUsers', jsonb_build_object('Keys',
    (SELECT jsonb_agg(jsonb_build_object('username', jsonb_build_object('S', 'u' || i))) FROM generate_series(1, 100) i))))
  ->'Responses'->'BgUsers') AS found;
SELECT dynamo.batch_get_item(jsonb_build_object('BgUsers', jsonb_build_object('Keys',
    (SELECT jsonb_agg(jsonb_build_object('username', jsonb_build_object('S', 'u' || i))) FROM generate_series(1, 101) i))));
SELECT dynamo.batch_get_item(jsonb_build_object(
    'BgUsers', jsonb_build_object('Keys', (SELECT jsonb_agg(jsonb_build_object('username', jsonb_build_object('S', 'u' || i))) FROM generate_series(1, 100) i)),
    'BgThread', '{"Keys": [{"ForumName": {"S": "x"}, "Subject": {"S": "y"}}]}'::jsonb));

-- Bad requests.
SELECT dynamo.batch_get_item(NULL);
SELECT dynamo.batch_get_item('{}');
SELECT dynamo.batch_get_item('[]');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}, {"username": {"S": "user1"}}]}}');
SELECT dynamo.batch_get_item('{"BgThread": {"Keys": [{"ForumName": {"S": "a"}, "Subject": {"N": "1.0"}}, {"Subject": {"N": "1"}, "ForumName": {"S": "a"}}]}}');
SELECT dynamo.batch_get_item('{"NoSuchTable": {"Keys": [{"username": {"S": "user1"}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}]}, "NoSuchTable": {"Keys": [{"k": {"S": "a"}}]}}');
SELECT dynamo.batch_get_item('{"ab": {"Keys": [{"username": {"S": "user1"}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": []}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": {"username": {"S": "user1"}}}}');
SELECT dynamo.batch_get_item('{"BgUsers": [{"username": {"S": "user1"}}]}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": ["user1"]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": ""}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"user": {"S": "user1"}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"N": "1"}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}, "foo": {"S": "bar"}}]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "AttributesToGet": ["foo"]}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ConsistentRead": "yes"}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ProjectionExpression": 1}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ExpressionAttributeNames": {"#f": "foo"}}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ProjectionExpression": "#f", "ExpressionAttributeNames": {"#f": "foo", "#g": "x"}}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ProjectionExpression": "foo, foo"}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ProjectionExpression": "name"}}');

-- Privileges: SELECT on every table read.
CREATE ROLE regress_bg_reader;
GRANT SELECT ON dynamo."BgUsers" TO regress_bg_reader;
SET ROLE regress_bg_reader;
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}], "ProjectionExpression": "foo"}}');
SELECT dynamo.batch_get_item('{"BgUsers": {"Keys": [{"username": {"S": "user1"}}]}, "BgThread": {"Keys": [{"ForumName": {"S": "x"}, "Subject": {"S": "y"}}]}}');
RESET ROLE;
REVOKE SELECT ON dynamo."BgUsers" FROM regress_bg_reader;
DROP ROLE regress_bg_reader;

SELECT dynamo.delete_table(t) IS NOT NULL AS dropped FROM unnest(ARRAY['BgUsers', 'BgThread', 'BgBig']) t;
