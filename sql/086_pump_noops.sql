-- 086_pump_noops: writes that leave an item unchanged get no stream record
-- (DynamoDB's behaviour), but they are counted: the plugin counts them per
-- stream and transaction at decode time (format=pump: an N1 row after the
-- transaction's records) and the pump adds them into dynamo._noop_counts
-- (stream, hour of commit UTC) in the same transaction as the records,
-- exactly once (docs/stream-log.md, "No-op counts").
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('NoopItems', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
CREATE TABLE noop_rows (id int PRIMARY KEY, v text, n numeric);
SELECT dynamo.enable_stream('noop_rows', 'KEYS_ONLY') IS NOT NULL;
-- the pump (and its slot) first; a check slot sees the same changes
SELECT dynamo.pump() >= 0;
SELECT 'init' FROM pg_create_logical_replication_slot('noop_check', 'dynamo_streams');
CREATE TABLE noop_t0 AS SELECT now() AS t0;

-- an INSERT, then 5 re-puts of the unchanged item: 5 no-ops
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"1.50"}}') IS NOT NULL;
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"1.5"}}') IS NOT NULL FROM generate_series(1, 5);
-- an UpdateItem that sets an attribute to its value: 1 more
SELECT dynamo.update_item('NoopItems', '{"id":{"S":"a"}}', 'SET v = :v',
                          expression_attribute_values => '{":v":{"N":"1.5"}}') IS NOT NULL;
-- BatchWriteItem and TransactWriteItems (a put and an update): 3 more
SELECT dynamo.batch_write_item('{"NoopItems": [{"PutRequest": {"Item": {"id": {"S": "a"}, "v": {"N": "1.5"}}}}]}') IS NOT NULL;
SELECT dynamo.transact_write_items('[
  {"Put": {"TableName": "NoopItems", "Item": {"id": {"S": "a"}, "v": {"N": "1.5"}}}}]') IS NOT NULL;
SELECT dynamo.transact_write_items('[
  {"Update": {"TableName": "NoopItems", "Key": {"id": {"S": "a"}}, "UpdateExpression": "SET v = :v",
              "ExpressionAttributeValues": {":v": {"N": "1.50"}}}}]') IS NOT NULL;
-- a real change and a no-op in one transaction: 1 record, 1 no-op
BEGIN;
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
COMMIT;
-- a rolled-back no-op counts nothing
BEGIN;
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
ROLLBACK;
-- an ordinary stream-enabled table: an UPDATE setting a column to its
-- value (3 rows), and one whose number is only written differently
INSERT INTO noop_rows VALUES (1, 'x', 1.5), (2, 'y', 2), (3, 'z', 3);
UPDATE noop_rows SET v = v;
UPDATE noop_rows SET n = 1.50 WHERE id = 1;
-- and a real change: a record, no no-op
UPDATE noop_rows SET v = 'w' WHERE id = 3;

-- the plugin: the no-op rows of format=pump, one per stream and transaction
CREATE FUNCTION noop_rows_of(VARIADIC opts text[] DEFAULT '{}') RETURNS TABLE (tbl text, txns bigint, noops bigint)
LANGUAGE sql AS $$
  SELECT s.table_name, count(*), sum(f[6]::bigint)
    FROM (SELECT string_to_array(c.data, E'\t') f
            FROM pg_logical_slot_peek_changes('noop_check', NULL, NULL, VARIADIC opts || '{format,pump}'::text[]) c
           WHERE c.data LIKE 'N1%') x
    JOIN dynamo._streams s ON s.stream_arn = (f[5]::json #>> '{}')
   WHERE s.table_name IN ('NoopItems', 'noop_rows')
   GROUP BY 1 ORDER BY 1
$$;
SELECT * FROM noop_rows_of();
-- the row's fields: commit LSN below end LSN, commit time a TimestampTz
SELECT bool_and(f[2]::pg_lsn < f[3]::pg_lsn) AS lsns,
       bool_and(timestamptz '2000-01-01 00:00:00+00' + f[4]::bigint * interval '1 microsecond' >= (SELECT t0 FROM noop_t0)) AS times,
       bool_and(cardinality(f) = 6) AS fields
  FROM (SELECT string_to_array(data, E'\t') f
          FROM pg_logical_slot_peek_changes('noop_check', NULL, NULL, 'format', 'pump') WHERE data LIKE 'N1%') x;
-- include-noop sends the same-row UPDATEs as records instead; the puts of
-- an identical item wrote no row, so they stay counted
SELECT * FROM noop_rows_of('include-noop', 'on');
-- other formats have no such rows
SELECT count(*) FROM pg_logical_slot_peek_changes('noop_check', NULL, NULL) WHERE data NOT LIKE '{%';
-- hash-slots: each reader counts the no-ops of its own slots; together all
SELECT (SELECT sum(noops) FROM noop_rows_of('hash-slots', '0-1/4'))
     + (SELECT sum(noops) FROM noop_rows_of('hash-slots', '2/4'))
     + (SELECT sum(noops) FROM noop_rows_of('hash-slots', '3/4')) AS noops_over_slots;
-- the tables option filters them as it filters records
SELECT * FROM noop_rows_of('tables', 'NoopItems');

-- the pump: a step that rolls back stores nothing; the real one stores
-- the counts once, with the records; later steps add nothing
CREATE FUNCTION noop_counts() RETURNS TABLE (tbl text, suppressed bigint, hour_ok boolean)
LANGUAGE sql AS $$
  SELECT s.table_name, n.suppressed,
         n.bucket = date_trunc('hour', n.bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
         AND n.bucket BETWEEN date_trunc('hour', (SELECT t0 FROM noop_t0)) AND now()
    FROM dynamo._noop_counts n JOIN dynamo._streams s USING (stream_id)
   WHERE s.table_name IN ('NoopItems', 'noop_rows') ORDER BY 1
$$;
BEGIN;
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM noop_counts();
ROLLBACK;
SELECT * FROM noop_counts();
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM noop_counts();
SELECT dynamo.pump();
SELECT dynamo.pump();
SELECT * FROM noop_counts();
-- the records: 2 for the item table (INSERT, MODIFY), 4 for the rows
SELECT s.table_name, r.event_name, count(*) FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.table_name IN ('NoopItems', 'noop_rows') GROUP BY 1, 2 ORDER BY 1, 2;
-- a no-op-only transaction moves the pump's progress too (its count is
-- not taken again by a later step that decodes it once more)
SELECT dynamo.put_item('NoopItems', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
SELECT pg_replication_origin_progress(dynamo._pump_origin_name(), true) AS before \gset
SELECT dynamo.pump();
SELECT pg_replication_origin_progress(dynamo._pump_origin_name(), true) > :'before'::pg_lsn AS progressed;
SELECT dynamo.pump();
SELECT * FROM noop_counts();
-- counts of one hour add up across steps (one row per stream and hour)
SELECT count(*) FROM dynamo._noop_counts n JOIN dynamo._streams s USING (stream_id)
 WHERE s.table_name = 'NoopItems';

SELECT pg_drop_replication_slot('noop_check');
SELECT dynamo.disable_stream('noop_rows') IS NOT NULL;
DROP TABLE noop_rows, noop_t0;
SELECT dynamo.delete_table('NoopItems') IS NOT NULL;
