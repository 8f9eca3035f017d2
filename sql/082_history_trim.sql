-- 082_history_trim: the history view dynamo.stream_records (typed columns,
-- ordinary indexes) and retention: dynamo.trim() moves each shard's trim
-- horizon past records older than the stream's retention (24 hours by
-- default, per stream, NULL = for ever), drops whole days nobody keeps,
-- and reading at or below a horizon raises TrimmedDataAccessException.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('HiItems', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('HiKeep', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.pump() >= 0;
SELECT dynamo.put_item('HiItems', '{"id":{"S":"a"},"v":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.put_item('HiItems', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.delete_item('HiItems', '{"id":{"S":"a"}}') IS NOT NULL;
SELECT dynamo.put_item('HiKeep', '{"id":{"S":"k"}}') IS NOT NULL;
SELECT dynamo.pump() >= 4;
-- typed columns
SELECT table_name, event_name, keys, new_image, old_image, size_bytes, ttl,
       stream_view_type, pg_typeof(keys) AS keys_type, pg_typeof(created_at) AS time_type,
       pg_typeof(commit_lsn) AS lsn_type, sequence_number ~ '^[1-9][0-9]{39}$' AS seq_ok,
       shard_id ~ '^shardId-[0-9]{20}-[0-9a-f]{8}$' AS shard_ok,
       stream_arn LIKE 'arn:aws:dynamodb:us-east-1:000000000000:table/HiItems/stream/%' AS arn_ok,
       created_at BETWEEN now() - interval '1 minute' AND clock_timestamp() AS time_ok
  FROM dynamo.stream_records WHERE table_name = 'HiItems' ORDER BY sequence_number;
SELECT new_image->'v'->>'N' AS v FROM dynamo.stream_records
 WHERE table_name = 'HiItems' AND event_name = 'MODIFY';
-- ordinary indexes serve analytics queries through the view
CREATE FUNCTION hi_plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(l, '_records_[0-9]{8}', '_records_<day>', 'g');
  END LOOP;
END $$;
SET enable_seqscan = off;
SELECT count(*) > 0 AS shard_seq_index FROM hi_plan($$SELECT * FROM dynamo.stream_records
  WHERE shard_no = 1 AND sequence_number > '1' ORDER BY sequence_number LIMIT 10$$) l
 WHERE l ~ 'Index.*_records_<day>_shard_no_sequence_number_idx';
SELECT count(*) > 0 AS stream_time_index FROM hi_plan($$SELECT count(*) FROM dynamo.stream_records
  WHERE stream_id = 1 AND created_at > '2020-01-01'$$) l
 WHERE l ~ 'Index.*_records_<day>_stream_id_created_at_idx';
RESET enable_seqscan;
-- retention: HiItems keeps 24 hours (the default), HiKeep for ever
SELECT retention FROM dynamo._streams WHERE table_name = 'HiItems';
SELECT dynamo.set_stream_retention((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'HiKeep'), NULL);
-- make both streams' records two days old (in a partition of that day)
SELECT dynamo._records_partition(now() - interval '2 days') IS NOT NULL;
UPDATE dynamo._records r SET arrived_at = r.arrived_at - interval '2 days'
  FROM dynamo._streams s WHERE s.stream_id = r.stream_id AND s.table_name IN ('HiItems', 'HiKeep');
CREATE TEMP TABLE hi_before AS
  SELECT r.shard_no, r.sequence_number FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
   WHERE s.table_name = 'HiItems';
SELECT dynamo.trim();
SELECT dynamo.trim();
SELECT table_name, count(*) FROM dynamo.stream_records WHERE table_name IN ('HiItems', 'HiKeep')
 GROUP BY 1 ORDER BY 1;
-- the horizon is at the last trimmed record of each shard
SELECT bool_and(sh.trim_horizon = (SELECT max(b.sequence_number) FROM hi_before b
                                    JOIN dynamo._shards x USING (shard_no) WHERE x.shard_id = sh.shard_id))
  FROM dynamo.list_shards((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'HiItems')) sh
 WHERE sh.trim_horizon IS NOT NULL;
-- reading at or below it: TrimmedDataAccessException (SQLSTATE 72000)
DO $$
BEGIN
  PERFORM dynamo._check_not_trimmed(b.shard_no, b.sequence_number) FROM hi_before b;
EXCEPTION WHEN snapshot_too_old THEN
  RAISE NOTICE 'sqlstate %: %', SQLSTATE, split_part(SQLERRM, ' of shard', 1);
END $$;
SELECT dynamo._check_not_trimmed(max(b.shard_no), '9' || repeat('9', 39)) FROM hi_before b;
-- the old day stays while HiKeep keeps its record for ever; then it goes
SELECT count(*) AS old_partitions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'dynamo._records'::regclass
   AND c.relname = '_records_' || to_char((now() - interval '2 days') AT TIME ZONE 'UTC', 'YYYYMMDD');
SELECT dynamo.set_stream_retention((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'HiKeep'), '1 hour');
SELECT dynamo.trim();
SELECT count(*) AS old_partitions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'dynamo._records'::regclass
   AND c.relname = '_records_' || to_char((now() - interval '2 days') AT TIME ZONE 'UTC', 'YYYYMMDD');
SELECT count(*) FROM dynamo.stream_records WHERE table_name IN ('HiItems', 'HiKeep');
-- a disabled stream past its retention, with nothing left, is forgotten;
-- its closed shards first
SELECT dynamo.update_table('HiKeep', false) IS NOT NULL;
SELECT dynamo.pump() >= 0;
UPDATE dynamo._shards sh SET closed_at = closed_at - interval '2 hours'
  FROM dynamo._streams s WHERE s.stream_id = sh.stream_id AND s.table_name = 'HiKeep';
UPDATE dynamo._streams SET disabled_at = disabled_at - interval '2 hours' WHERE table_name = 'HiKeep';
SELECT dynamo.trim();
SELECT count(*) AS hikeep_streams FROM dynamo._streams WHERE table_name = 'HiKeep';
-- bad input
SELECT dynamo.set_stream_retention((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'HiItems'), '-1 hour');
SELECT dynamo.set_stream_retention('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000', '1 day');
SELECT dynamo._pump_drop_slot();
