-- 040_decoding: the dynamo_streams output plugin on item tables.
-- Every view type x event type, AWS's own example field for field, no-op
-- writes, key changes, large items, DDL, transactions.  Fields that vary
-- (eventID, SequenceNumber, ApproximateCreationDateTime, stream label) are
-- masked by pattern and checked by property at the end.
\set VERBOSITY terse
SELECT now() AS t0 \gset
SELECT 'slot' FROM pg_create_logical_replication_slot('dec040', 'dynamo_streams');

-- AWS's example: ExampleTable, key Id (N), NEW_AND_OLD_IMAGES
SELECT dynamo.create_table('ExampleTable', 'Id', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('ExampleTable', '{"Id":{"N":"101"},"Message":{"S":"New item!"}}');
SELECT dynamo.put_item('ExampleTable', '{"Id":{"N":"101"},"Message":{"S":"This item has changed"}}');
SELECT dynamo.delete_item('ExampleTable', '{"Id":{"N":"101"}}');
SELECT * FROM ds_take('dec040');
-- the label in eventSourceARN is the table's stream label
SELECT bool_and(data::jsonb->>'eventSourceARN' =
       'arn:aws:dynamodb:us-east-1:000000000000:table/ExampleTable/stream/' ||
       (SELECT stream_label FROM dynamo._tables WHERE table_name = 'ExampleTable'))
  FROM ds_seen;

-- every view type x INSERT, MODIFY, REMOVE; hash key S + range key N
SELECT dynamo.create_table('Keys', 'pk', 'S', 'sk', 'N', 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('New', 'pk', 'S', 'sk', 'N', 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('Old', 'pk', 'S', 'sk', 'N', 'OLD_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('Both', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT count(*) FROM unnest(ARRAY['Keys', 'New', 'Old', 'Both']) t,
  LATERAL (SELECT dynamo.put_item(t, '{"pk":{"S":"a"},"sk":{"N":"1.0"},"v":{"S":"one"}}'),
                  dynamo.put_item(t, '{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"two"},"w":{"BOOL":true}}'),
                  dynamo.delete_item(t, '{"pk":{"S":"a"},"sk":{"N":"1"}}')) x;
SELECT * FROM ds_take('dec040');

-- no-op writes emit nothing: identical re-put, 1.50 vs 1.5, set order,
-- map key order, deleting a missing item
SELECT dynamo.create_table('Noop', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('Noop', '{"id":{"S":"x"},"n":{"N":"1.50"},"ss":{"SS":["b","a"]},"ns":{"NS":["10","2.0"]},"m":{"M":{"q":{"S":"1"},"p":{"L":[{"N":"0"}]}}}}') IS NOT NULL;
SELECT dynamo.put_item('Noop', '{"id":{"S":"x"},"n":{"N":"1.50"},"ss":{"SS":["b","a"]},"ns":{"NS":["10","2.0"]},"m":{"M":{"q":{"S":"1"},"p":{"L":[{"N":"0"}]}}}}') IS NOT NULL;
SELECT dynamo.put_item('Noop', '{"id":{"S":"x"},"n":{"N":"1.5"},"ss":{"SS":["a","b"]},"ns":{"NS":["2","1E1"]},"m":{"M":{"p":{"L":[{"N":"-0"}]},"q":{"S":"1"}}}}') IS NOT NULL;
SELECT dynamo.delete_item('Noop', '{"id":{"S":"missing"}}') IS NOT NULL;
-- put_item itself skips identical writes; plain SQL writes reach the WAL
-- and the plugin must find them unchanged (the guard normalises the item)
UPDATE dynamo."Noop" SET item = item;
UPDATE dynamo."Noop" SET item = '{"id":{"S":"x"},"n":{"N":"15E-1"},"ss":{"SS":["a","b"]},"ns":{"NS":["2","1E1"]},"m":{"M":{"p":{"L":[{"N":"-0"}]},"q":{"S":"1"}}}}';
INSERT INTO dynamo."Noop" (item) VALUES ('{"id":{"S":"x"},"n":{"N":"1.500"},"ss":{"SS":["b","a"]},"ns":{"NS":["10.0","2"]},"m":{"M":{"q":{"S":"1"},"p":{"L":[{"N":"0.0"}]}}}}')
  ON CONFLICT (pk) DO UPDATE SET item = EXCLUDED.item;
-- a real change after the no-ops is a MODIFY against the first image
SELECT dynamo.put_item('Noop', '{"id":{"S":"x"},"n":{"N":"1.6"},"ss":{"SS":["a","b"]},"ns":{"NS":["2","10"]},"m":{"M":{"p":{"L":[{"N":"0"}]},"q":{"S":"1"}}}}') IS NOT NULL;
SELECT * FROM ds_take('dec040');
-- include-noop shows the suppressed update, marked
UPDATE dynamo."Noop" SET item = '{"id":{"S":"x"},"n":{"N":"1.60"},"ss":{"SS":["b","a"]},"ns":{"NS":["2","10"]},"m":{"M":{"p":{"L":[{"N":"0"}]},"q":{"S":"1"}}}}';
SELECT * FROM ds_take('dec040', 'include-noop', 'on');

-- a plain SQL update that changes the key: REMOVE of the old key, then
-- INSERT of the new one, in the same change (last digit 0, then 1)
SELECT dynamo.put_item('Both', '{"pk":{"S":"k1"},"sk":{"N":"5"},"v":{"S":"moved"}}') IS NOT NULL;
SELECT * FROM ds_take('dec040');
UPDATE dynamo."Both" SET item = item || '{"pk":{"S":"k2"}}';
SELECT * FROM ds_take('dec040');
SELECT left(a, 39) = left(b, 39) AS same_change, right(a, 1) || right(b, 1) AS parts
  FROM (SELECT (SELECT data::jsonb->'dynamodb'->>'SequenceNumber' FROM ds_seen ORDER BY n DESC OFFSET 1 LIMIT 1) a,
               (SELECT data::jsonb->'dynamodb'->>'SequenceNumber' FROM ds_seen ORDER BY n DESC LIMIT 1) b) s;

-- one transaction, several changes: one commit LSN, change numbers 1, 2, 3
BEGIN;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"t"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"t"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"t"},"sk":{"N":"3"}}') IS NOT NULL;
COMMIT;
SELECT * FROM ds_take('dec040');
SELECT count(DISTINCT substr(s, 4, 20)) AS commit_lsns, array_agg(substr(s, 24, 17) ORDER BY n) AS change_numbers
  FROM (SELECT n, data::jsonb->'dynamodb'->>'SequenceNumber' s FROM ds_seen ORDER BY n DESC LIMIT 3) x;

-- rolled back transactions and subtransactions emit nothing
BEGIN;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"rb"},"sk":{"N":"1"}}') IS NOT NULL;
ROLLBACK;
BEGIN;
SAVEPOINT s1;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"rb"},"sk":{"N":"2"}}') IS NOT NULL;
ROLLBACK TO SAVEPOINT s1;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"rb"},"sk":{"N":"3"}}') IS NOT NULL;
COMMIT;
SELECT * FROM ds_take('dec040');

-- large (TOASTed) items decode in full
SELECT dynamo.create_table('Large', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT string_agg(md5(i::text), '') AS big FROM generate_series(1, 400) i \gset
SELECT dynamo.put_item('Large', jsonb_build_object('id', '{"S":"L"}'::jsonb, 'big', jsonb_build_object('S', :'big'))) IS NOT NULL;
SELECT dynamo.put_item('Large', jsonb_build_object('id', '{"S":"L"}'::jsonb, 'big', jsonb_build_object('S', :'big'), 'v', '{"N":"2"}'::jsonb)) IS NOT NULL;
UPDATE dynamo."Large" SET item = item;
UPDATE dynamo."Large" SET pk = pk;
SELECT pg_column_size(item) > 2000 AS stored_large FROM dynamo."Large";
SELECT dynamo.delete_item('Large', '{"id":{"S":"L"}}') IS NOT NULL;
SELECT count(*) FROM ds_take('dec040');
SELECT j->>'eventName' AS event,
       j->'dynamodb'->'NewImage'->'big'->>'S' = :'big' AS new_ok,
       j->'dynamodb'->'OldImage'->'big'->>'S' = :'big' AS old_ok,
       j->'dynamodb'->'NewImage'->'v' AS new_v, j->'dynamodb'->'OldImage'->'v' AS old_v,
       j->'dynamodb'->'SizeBytes' AS size
  FROM (SELECT n, data::jsonb j FROM ds_seen ORDER BY n DESC LIMIT 3) r ORDER BY n;

-- DDL on an item table is harmless
ALTER TABLE dynamo."Keys" ADD COLUMN extra int;
SELECT dynamo.put_item('Keys', '{"pk":{"S":"ddl"},"sk":{"N":"1"}}') IS NOT NULL;
ALTER TABLE dynamo."Keys" DROP COLUMN extra;
VACUUM FULL dynamo."Keys";                          -- a rewrite: no records
SELECT dynamo.put_item('Keys', '{"pk":{"S":"ddl"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT * FROM ds_take('dec040');

-- tables without a stream, and the extension's own tables: nothing
SELECT dynamo.create_table('Quiet', 'id') IS NOT NULL;
SELECT dynamo.put_item('Quiet', '{"id":{"S":"q"}}') IS NOT NULL;
UPDATE dynamo._tables SET ttl_attribute = NULL WHERE table_name = 'Quiet';
SELECT * FROM ds_take('dec040');

SELECT * FROM ds_check('dec040', :'t0');
SELECT 'dropped' FROM pg_drop_replication_slot('dec040');
SELECT count(*) FROM unnest(ARRAY['ExampleTable', 'Keys', 'New', 'Old', 'Both', 'Noop', 'Large', 'Quiet']) t,
  LATERAL dynamo.delete_table(t) d;
