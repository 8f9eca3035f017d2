-- 046_decoding_never_stop: a record that cannot be built never stops the
-- slot.  An error in the change callback would fail every later read at
-- that change, and nothing after it would ever be delivered.  A record
-- larger than max-record-bytes (default 64MB), or one whose building hits
-- a data or limit error, is sent without its images (or, failing that,
-- with empty Keys), with the member "omitted", and a WARNING is logged.
\set VERBOSITY terse
SELECT now() AS t0 \gset
CREATE TABLE big (id int PRIMARY KEY, t text);
SELECT dynamo.enable_stream('big', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT 'init' FROM pg_create_logical_replication_slot('never', 'dynamo_streams');
-- the issue's repro: 180 MB of control characters are 1 GB of JSON
-- escapes ("Cannot enlarge string buffer" on every read); the next row
-- must still arrive
INSERT INTO big VALUES (1, repeat(chr(1), 180000000));
INSERT INTO big VALUES (2, 'after');
-- (with the highest cap the value is detoasted and measured)
SELECT data::jsonb->'dynamodb'->'Keys' AS keys, data::jsonb->>'omitted' AS omitted,
       data::jsonb->'dynamodb'->'NewImage' AS new_image
  FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', '256MB');
SELECT * FROM ds_take('never');
DELETE FROM big WHERE id = 1;
SELECT * FROM ds_take('never');

-- item tables: an item nested deeper than the decoding stack allows,
-- written around the guard trigger ("stack depth limit exceeded" on every
-- read), then one whose key attribute is nested so deep (Keys are {}),
-- then an ordinary item
SELECT dynamo.create_table('NeverItems', 'Id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SET max_stack_depth = '7MB';
SET session_replication_role = replica;
INSERT INTO dynamo."NeverItems" (pk, item) VALUES
  ('deep', ('{"Id":{"S":"deep"},"d":' || repeat('{"L":[', 20000) || repeat(']}', 20000) || '}')::jsonb),
  ('deepkey', ('{"Id":' || repeat('{"L":[', 20000) || repeat(']}', 20000) || '}')::jsonb);
RESET session_replication_role;
RESET max_stack_depth;
SELECT dynamo.put_item('NeverItems', '{"Id":{"S":"after"}}');
SELECT * FROM ds_take('never');
DELETE FROM dynamo."NeverItems" WHERE pk = 'deep';
SELECT * FROM ds_take('never');

-- max-record-bytes as an option, on both table kinds: records above it
-- lose their images (only the view's images count: KEYS_ONLY records keep
-- coming whole); whole images and Keys are checked, and so is their sum
CREATE TABLE capped (id text PRIMARY KEY, a text, b text);
SELECT dynamo.enable_stream('capped', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
CREATE TABLE capped_keys (id int PRIMARY KEY, a text);
SELECT dynamo.enable_stream('capped_keys', 'KEYS_ONLY') IS NOT NULL;
CREATE TABLE capped_arr (id int PRIMARY KEY, a int[]);
SELECT dynamo.enable_stream('capped_arr', 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.put_item('NeverItems', jsonb_build_object('Id', '{"S":"big"}'::jsonb, 'v', jsonb_build_object('S', repeat('x', 2000))));
INSERT INTO capped VALUES ('small', 'a', 'b');
INSERT INTO capped VALUES ('wide', repeat('a', 2000), 'b');
INSERT INTO capped VALUES ('half', repeat('a', 450), 'b');
UPDATE capped SET b = 'c' WHERE id = 'half';
INSERT INTO capped VALUES (repeat('k', 1500), 'a', 'b');
UPDATE capped SET id = 'short' WHERE id = repeat('k', 1500);
INSERT INTO capped_keys VALUES (1, repeat('a', 5000));
INSERT INTO capped_arr SELECT 1, array_agg(i) FROM generate_series(1, 300) i;
CREATE TABLE never_cap AS
  SELECT row_number() OVER () n, data FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', '1kB');
SELECT n, data::jsonb->>'eventName' ev, left(data::jsonb->'dynamodb'->>'Keys', 40) keys,
       data::jsonb->>'omitted' omitted, data::jsonb->'dynamodb' ? 'NewImage' has_new,
       data::jsonb->'dynamodb' ? 'OldImage' has_old, data::jsonb->'dynamodb'->'SizeBytes' size,
       octet_length(data) <= 1024 fits
  FROM never_cap ORDER BY n;
-- without the option the same records come whole
SELECT count(*) AS records, count(*) FILTER (WHERE data::jsonb ? 'omitted') AS omitted
  FROM pg_logical_slot_peek_changes('never', NULL, NULL);
SET client_min_messages = error;
SELECT count(*) FROM ds_take('never', 'max-record-bytes', '1kB');
RESET client_min_messages;
-- bad values
SELECT count(*) FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', '1000');
SELECT count(*) FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', '1GB');
SELECT count(*) FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', 'lots');
SELECT count(*) FROM pg_logical_slot_peek_changes('never', NULL, NULL, 'max-record-bytes', '2kB');

SELECT * FROM ds_check('never', :'t0');
SELECT pg_drop_replication_slot('never');
-- (describe_table and delete_table cannot size an item nested this deep)
DELETE FROM dynamo."NeverItems" WHERE pk = 'deepkey';
SELECT dynamo.delete_table('NeverItems') IS NOT NULL;
DROP TABLE big, capped, capped_keys, capped_arr, never_cap;
