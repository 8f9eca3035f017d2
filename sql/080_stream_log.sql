-- 080_stream_log: the pump writes the plugin's records into the stream log
-- exactly once (docs/stream-log.md).  Records rendered from the log are
-- byte for byte the plugin's; pumping again writes nothing; a pump step
-- whose transaction rolls back (a crash before commit) loses nothing; a
-- committed step whose slot was not advanced yet (a crash after commit) is
-- not written twice; max_changes takes whole transactions.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('PmItems', 'id', 'S', 'n', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
-- the first pump creates the slot; a check slot sees the same changes
SELECT dynamo.pump();
SELECT 'init' FROM pg_create_logical_replication_slot('pm_check', 'dynamo_streams');
SELECT count(*) FROM pg_replication_slots WHERE slot_name = dynamo._pump_slot_name();
-- the log's records, rendered, and the plugin's, for PmItems
CREATE FUNCTION pm_log(fmt text DEFAULT 'lambda') RETURNS SETOF text LANGUAGE sql AS $$
  SELECT dynamo.render_record(fmt, s.stream_arn, s.stream_view_type, r.event_name, r.sequence_number,
                              r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted)
    FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
   WHERE s.table_name = 'PmItems' ORDER BY r.sequence_number
$$;
CREATE FUNCTION pm_plugin(fmt text DEFAULT 'lambda') RETURNS SETOF text LANGUAGE sql AS $$
  SELECT data FROM pg_logical_slot_peek_changes('pm_check', NULL, NULL, 'format', fmt, 'tables', 'PmItems')
$$;
CREATE FUNCTION pm_same() RETURNS TABLE (log bigint, plugin bigint, same_lambda boolean, same_streams boolean)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM pm_log()), (SELECT count(*) FROM pm_plugin()),
         (SELECT array_agg(x) FROM pm_log() x) IS NOT DISTINCT FROM (SELECT array_agg(x) FROM pm_plugin() x),
         (SELECT array_agg(x) FROM pm_log('streams') x) IS NOT DISTINCT FROM (SELECT array_agg(x) FROM pm_plugin('streams') x)
$$;

SELECT dynamo.put_item('PmItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"one"}}') IS NOT NULL;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"two"}}') IS NOT NULL;
BEGIN;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"b"},"n":{"N":"2"},"big":{"N":"1.50"}}') IS NOT NULL;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"c"},"n":{"N":"3"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}') IS NOT NULL;
SELECT dynamo.delete_item('PmItems', '{"id":{"S":"a"},"n":{"N":"1"}}') IS NOT NULL;
COMMIT;
-- a no-op write and a rolled-back one emit nothing
SELECT dynamo.put_item('PmItems', '{"id":{"S":"b"},"n":{"N":"2"},"big":{"N":"1.5"}}') IS NOT NULL;
BEGIN;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"z"},"n":{"N":"9"}}') IS NOT NULL;
ROLLBACK;

-- a pump step whose transaction rolls back writes nothing, and loses nothing
BEGIN;
SELECT dynamo.pump() > 0 AS pumped;
SELECT count(*) FROM pm_log();
ROLLBACK;
SELECT count(*) FROM pm_log();
-- the real step: byte for byte the plugin's records, in order
SELECT dynamo.pump() >= 5 AS pumped;
SELECT * FROM pm_same();
-- the slot still holds them (it is advanced by the next step), yet a
-- second step writes none of them again: their commits are at or below
-- the origin's progress
SELECT count(*) > 0 AS slot_still_has_them
  FROM pg_logical_slot_peek_changes(dynamo._pump_slot_name(), NULL, NULL, 'format', 'pump', 'tables', 'PmItems');
SELECT dynamo.pump();
SELECT dynamo.pump();
SELECT * FROM pm_same();
SELECT count(*) AS slot_now_empty
  FROM pg_logical_slot_peek_changes(dynamo._pump_slot_name(), NULL, NULL, 'format', 'pump', 'tables', 'PmItems');
SELECT pg_replication_origin_progress(dynamo._pump_origin_name(), true) > '0/0' AS progress_recorded;

-- max_changes takes whole transactions: three of two records each
CREATE FUNCTION pm_two(i int) RETURNS boolean LANGUAGE sql AS $$
  SELECT dynamo.transact_write_items(jsonb_build_array(
         jsonb_build_object('Put', jsonb_build_object('TableName', 'PmItems', 'Item', jsonb_build_object('id', jsonb_build_object('S', 't' || i), 'n', '{"N":"1"}'::jsonb))),
         jsonb_build_object('Put', jsonb_build_object('TableName', 'PmItems', 'Item', jsonb_build_object('id', jsonb_build_object('S', 'u' || i), 'n', '{"N":"1"}'::jsonb))))) IS NOT NULL
$$;
SELECT pm_two(1);
SELECT pm_two(2);
SELECT pm_two(3);
SELECT dynamo.pump(1);
SELECT dynamo.pump(3);
SELECT dynamo.pump(3);
SELECT dynamo.pump(100);
SELECT * FROM pm_same();
-- every record in the log once, sequence numbers increasing in each shard
SELECT count(*) = count(DISTINCT sequence_number) AS unique_seq FROM dynamo._records;
-- bad input
SELECT dynamo.pump(0);
SELECT dynamo.pump(-5);
-- a transaction that has written cannot pump: the plugin skips the
-- pump's transactions, so its other writes would reach no stream
BEGIN;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"w"},"n":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump();
ROLLBACK;
-- nor create the slot
SELECT dynamo._pump_drop_slot();
BEGIN;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"w"},"n":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump();
ROLLBACK;
BEGIN;
SELECT dynamo.put_item('PmItems', '{"id":{"S":"w"},"n":{"N":"1"}}') IS NOT NULL;
SELECT dynamo._pump_ensure_slot();
ROLLBACK;
SELECT dynamo.pump();
SELECT dynamo._pump_drop_slot();
SELECT pg_drop_replication_slot('pm_check');
