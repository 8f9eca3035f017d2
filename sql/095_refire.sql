-- 095_refire: dynamo.refire emits MODIFY records for existing items
-- without changing them: OldImage = NewImage = the item as it is, marked
-- userIdentity {"type":"Service","principalId":"dynamo_streams.refire"}
-- (GetRecords: PrincipalId/Type), in the pump format with flag "r".  The
-- records travel through the WAL as transactional logical messages, so
-- they take their place among the transaction's writes, vanish with a
-- rollback, and decode to the same sequence numbers every time (ds_take
-- peeks twice and gets).  Item tables; every view type and ordinary tables
-- are in 096.
\set VERBOSITY terse
SELECT dynamo.create_table('RfItems', 'id', 'S', 'n', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT 'init' FROM pg_create_logical_replication_slot('rf095', 'dynamo_streams');
SELECT dynamo.put_item('RfItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"one"}}') IS NOT NULL;
SELECT dynamo.put_item('RfItems', '{"id":{"S":"b"},"n":{"N":"2.50"},"v":{"SS":["x","y"]}}') IS NOT NULL;
-- a large item, stored out of line (TOAST): the message carries it whole
SELECT dynamo.put_item('RfItems', jsonb_build_object('id', '{"S":"c"}'::jsonb, 'n', '{"N":"3"}'::jsonb,
         'big', jsonb_build_object('S', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 300) i))))
       IS NOT NULL;
SELECT count(*) AS inserts FROM ds_take('rf095');
SELECT pg_relation_size(reltoastrelid) > 0 AS stored_out_of_line
  FROM pg_class WHERE oid = 'dynamo."RfItems"'::regclass;

-- every item: one MODIFY each, in key order, the item unchanged
SELECT dynamo.refire('RfItems') AS refired;
SELECT * FROM ds_take('rf095', 'tables', 'RfItems') x WHERE x NOT LIKE '%"big"%';
SELECT (d::jsonb -> 'dynamodb' -> 'NewImage') = (dynamo.get_item('RfItems', '{"id":{"S":"c"},"n":{"N":"3"}}') -> 'Item') AS big_new_is_item,
       (d::jsonb -> 'dynamodb' -> 'OldImage') = (d::jsonb -> 'dynamodb' -> 'NewImage') AS big_old_is_new,
       (d::jsonb -> 'dynamodb' ->> 'SizeBytes')::bigint = dynamo.item_size(d::jsonb -> 'dynamodb' -> 'Keys')
         + 2 * dynamo.item_size(d::jsonb -> 'dynamodb' -> 'NewImage') AS size_bytes_ok
  FROM (SELECT data d FROM ds_seen WHERE slot = 'rf095' AND data LIKE '%"big"%' ORDER BY n DESC LIMIT 1) x;
SELECT * FROM ds_check('rf095', now() - interval '1 hour');
-- the items did not change, and nothing else was written
SELECT pk, sk, item FROM dynamo."RfItems" WHERE pk <> 'c' ORDER BY pk;

-- GetRecords format: the marker with AWS's capitalised members
SELECT dynamo.refire('RfItems', '{"id":{"S":"a"},"n":{"N":"1"}}') AS refired;
SELECT * FROM ds_take('rf095', 'format', 'streams');
-- pump format: event MODIFY, flags "r", both images the item
SELECT dynamo.refire('RfItems', '[{"id":{"S":"a"},"n":{"N":"1"}},{"id":{"S":"b"},"n":{"N":"2.5"}}]') AS refired;
SELECT f[1] AS layout, f[5] AS event, f[9] AS flags, f[12] AS keys, f[13] = f[14] AS images_equal, f[13] AS new_image
  FROM (SELECT string_to_array(data, E'\t') f
          FROM pg_logical_slot_get_changes('rf095', NULL, NULL, 'format', 'pump')) x;

-- ordered with real writes of the same transaction; a key given with
-- another spelling of its number (2.500) is the same item
BEGIN;
SELECT dynamo.put_item('RfItems', '{"id":{"S":"b"},"n":{"N":"2.5"},"v":{"S":"second"}}') IS NOT NULL;
SELECT dynamo.refire('RfItems', '{"id":{"S":"b"},"n":{"N":"2.500"}}') AS refired;
SELECT dynamo.put_item('RfItems', '{"id":{"S":"b"},"n":{"N":"2.5"},"v":{"S":"third"}}') IS NOT NULL;
SELECT dynamo.refire('RfItems', '{"id":{"S":"b"},"n":{"N":"2.5"}}') AS refired;
COMMIT;
SELECT * FROM ds_take('rf095');
SELECT bool_and(s1 < s2) AS sequence_numbers_increase
  FROM (SELECT data::jsonb -> 'dynamodb' ->> 'SequenceNumber' AS s1,
               lead(data::jsonb -> 'dynamodb' ->> 'SequenceNumber') OVER (ORDER BY n) AS s2
          FROM ds_seen WHERE slot = 'rf095' ORDER BY n DESC LIMIT 4) x WHERE s2 IS NOT NULL;

-- a rolled-back refire emits nothing; a delete after a refire in one
-- transaction: the MODIFY, then the REMOVE
BEGIN;
SELECT dynamo.refire('RfItems') AS refired;
ROLLBACK;
BEGIN;
SELECT dynamo.refire('RfItems', '{"id":{"S":"a"},"n":{"N":"1"}}') AS refired;
SELECT dynamo.delete_item('RfItems', '{"id":{"S":"a"},"n":{"N":"1"}}') IS NOT NULL;
COMMIT;
SELECT * FROM ds_take('rf095');
-- keys that name no item are skipped (the count says how many were
-- refired); a key listed twice is refired once
SELECT dynamo.refire('RfItems', '[{"id":{"S":"a"},"n":{"N":"1"}},{"id":{"S":"c"},"n":{"N":"3"}}]') AS one_missing;
SELECT dynamo.refire('RfItems', '[{"id":{"S":"b"},"n":{"N":"2.5"}},{"id":{"S":"b"},"n":{"N":"2.5"}}]') AS twice;
SELECT dynamo.refire('RfItems', '[]') AS no_keys;
SELECT count(*) AS records FROM ds_take('rf095');

-- consumers can tell refire records apart with a filter
SELECT x.what, dynamo.test_filter_criteria(jsonb_build_object('Filters', jsonb_build_array(jsonb_build_object('Pattern', x.p))),
                                           d::jsonb) AS passes
  FROM (SELECT data d FROM ds_seen WHERE slot = 'rf095' AND data LIKE '%dynamo_streams.refire%' AND data NOT LIKE '%PrincipalId%'
         ORDER BY n DESC LIMIT 1) r,
       (VALUES ('only refires', '{"userIdentity":{"principalId":["dynamo_streams.refire"]}}'),
               ('no refires', '{"userIdentity":{"principalId":[{"anything-but":["dynamo_streams.refire"]}]}}'),
               ('no service records', '{"userIdentity":{"type":[{"exists":false}]}}'),
               ('TTL deletes', '{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}')) x(what, p);

-- other logical messages are not records, and do not shift sequence numbers
SELECT 'msg' FROM pg_logical_emit_message(true, 'dynamo_streams.other', 'x');
SELECT 'msg' FROM pg_logical_emit_message(false, 'dynamo_streams.refire', 'not transactional');
SELECT 'msg' FROM pg_logical_emit_message(true, 'dynamo_streams.refire', 'malformed');
SELECT count(*) AS records FROM ds_take('rf095');

SELECT pg_drop_replication_slot('rf095');
SELECT dynamo.delete_table('RfItems') IS NOT NULL AS deleted;
