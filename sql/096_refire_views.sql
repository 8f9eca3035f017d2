-- 096_refire_views: refire records carry what the stream's view type says
-- of a MODIFY (SPEC 4.4: KEYS_ONLY Keys; NEW_IMAGE Keys, NewImage;
-- OLD_IMAGE Keys, OldImage; NEW_AND_OLD_IMAGES both), on item tables and on
-- stream-enabled ordinary tables (columns mapped as the plugin maps them,
-- keys given as AttributeValues of the primary key columns).  SizeBytes
-- counts what the record carries.
\set VERBOSITY terse
SELECT 'init' FROM pg_create_logical_replication_slot('rf096', 'dynamo_streams');
SELECT v, dynamo.create_table('RfView_' || v, 'id', 'N', stream_view_type => v) IS NOT NULL AS created
  FROM unnest(ARRAY['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']) v;
SELECT count(dynamo.put_item('RfView_' || v, '{"id":{"N":"7"},"msg":{"S":"hello"}}'))
  FROM unnest(ARRAY['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']) v;
SELECT count(*) AS inserts FROM ds_take('rf096');
SELECT v, dynamo.refire('RfView_' || v) AS refired
  FROM unnest(ARRAY['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']) v;
SELECT regexp_replace(x, '"eventSourceARN":"[^"]*"', '"eventSourceARN":<arn>') FROM ds_take('rf096') x;

-- ordinary tables: an integer key, a composite key with bytea and text
CREATE TABLE rf_orders (id int PRIMARY KEY, total numeric, note text, paid boolean, meta jsonb);
CREATE TABLE rf_blobs (owner text, tag bytea, body text, PRIMARY KEY (owner, tag));
SELECT dynamo.enable_stream('rf_orders', 'NEW_AND_OLD_IMAGES') -> 'StreamSpecification' ->> 'StreamViewType' AS orders,
       dynamo.enable_stream('rf_blobs', 'KEYS_ONLY') -> 'StreamSpecification' ->> 'StreamViewType' AS blobs;
INSERT INTO rf_orders VALUES (1, 9.50, 'first', true, '{"a":[1,2]}'), (2, 3, NULL, false, NULL), (3, 1, 'third', NULL, NULL);
INSERT INTO rf_blobs VALUES ('ann', '\x0102', 'b1'), ('ann', '\xff', 'b2'), ('bob', '\x0102', 'b3');
SELECT count(*) AS inserts FROM ds_take('rf096');
SELECT dynamo.refire('rf_orders', '[{"id":{"N":"2"}},{"id":{"N":"1"}}]') AS orders,
       dynamo.refire('rf_blobs', '{"owner":{"S":"ann"},"tag":{"B":"/w=="}}') AS blobs;
SELECT regexp_replace(x, '"eventSourceARN":"[^"]*"', '"eventSourceARN":<arn>') FROM ds_take('rf096') x;
-- the other view types on the ordinary table
SELECT dynamo.disable_stream('rf_orders') IS NOT NULL AS disabled;
SELECT dynamo.enable_stream('rf_orders', 'OLD_IMAGE') IS NOT NULL AS old_image;
SELECT dynamo.refire('rf_orders', '{"id":{"N":"3"}}') AS refired;
SELECT dynamo.disable_stream('rf_orders') IS NOT NULL AS disabled;
SELECT dynamo.enable_stream('rf_orders', 'NEW_IMAGE') IS NOT NULL AS new_image;
SELECT dynamo.refire('rf_orders', '{"id":{"N":"3"}}') AS refired;
SELECT dynamo.disable_stream('rf_orders') IS NOT NULL AS disabled;
SELECT dynamo.enable_stream('rf_orders', 'KEYS_ONLY') IS NOT NULL AS keys_only;
SELECT dynamo.refire('rf_orders') AS refired;
SELECT regexp_replace(x, '"eventSourceARN":"[^"]*"', '"eventSourceARN":<arn>') FROM ds_take('rf096') x;
SELECT * FROM ds_check('rf096', now() - interval '1 hour');
-- a refire, then the stream disabled in the same transaction: the record
-- belongs to the stream as of the message, which was still enabled
BEGIN;
SELECT dynamo.refire('rf_orders', '{"id":{"N":"1"}}') AS refired;
SELECT dynamo.disable_stream('rf_orders') IS NOT NULL AS disabled;
COMMIT;
SELECT count(*) AS records FROM ds_take('rf096');

SELECT pg_drop_replication_slot('rf096');
DROP TABLE rf_orders, rf_blobs;
SELECT count(dynamo.delete_table('RfView_' || v))
  FROM unnest(ARRAY['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']) v;
