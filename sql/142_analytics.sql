-- 142_analytics: change_counts, hot_keys, item_change_frequency and the
-- view noop_writes on a known workload, with exact numbers.  The workload
-- is a history written straight into the log at fixed times (so that time
-- buckets are known), next to a live one through the pump (totals only);
-- the no-op counts are rows of dynamo._noop_counts as the pump writes
-- them.  Callers see only the streams of tables they may SELECT from.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- a pump slot of its own: one left by earlier suites may hold WAL of
-- relations dropped since
SELECT dynamo._pump_drop_slot() IS NOT NULL AS slot_reset;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('AnHist', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('AnLive', 'id', 'S', 'n', 'N', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.pump() >= 0;

-- a history at fixed times on 2026-01-01 (UTC):
--   A: INSERT 00:10, MODIFY 00:20, MODIFY 01:05, REMOVE 02:30
--   B: INSERT 00:15, MODIFY 00:50
--   C: INSERT 01:10
--   D: INSERT 02:40, MODIFY 02:41, MODIFY 02:42, MODIFY 02:43
SELECT dynamo._records_partition(now()) IS NOT NULL;
INSERT INTO dynamo._records (stream_id, shard_no, sequence_number, commit_lsn, event_name, created_at,
                             key_hash, size_bytes, ttl, keys)
SELECT s.stream_id, (SELECT min(h.shard_no) FROM dynamo._shards h WHERE h.stream_id = s.stream_id),
       '9' || lpad(w.n::text, 39, '0'), '0/1', w.ev, '2026-01-01 00:00:00+00'::timestamptz + w.at,
       w.n, 5, false, '{"id":{"S":"' || w.k || '"}}'
  FROM dynamo._streams s,
       (VALUES (1, 'A', 'INSERT', interval '00:10'), (2, 'B', 'INSERT', interval '00:15'),
               (3, 'A', 'MODIFY', interval '00:20'), (4, 'B', 'MODIFY', interval '00:50'),
               (5, 'A', 'MODIFY', interval '01:05'), (6, 'C', 'INSERT', interval '01:10'),
               (7, 'A', 'REMOVE', interval '02:30'), (8, 'D', 'INSERT', interval '02:40'),
               (9, 'D', 'MODIFY', interval '02:41'), (10, 'D', 'MODIFY', interval '02:42'),
               (11, 'D', 'MODIFY', interval '02:43')) w(n, k, ev, at)
 WHERE s.table_name = 'AnHist';
-- suppressed no-op writes, per hour
INSERT INTO dynamo._noop_counts (stream_id, bucket, suppressed)
SELECT s.stream_id, b, n FROM dynamo._streams s,
       (VALUES ('2026-01-01 00:00+00'::timestamptz, 3), ('2026-01-01 02:00+00', 7), ('2026-01-01 05:00+00', 1)) v(b, n)
 WHERE s.table_name = 'AnHist';

SELECT * FROM dynamo.change_counts(interval '1 hour', '2026-01-01', '2026-01-02', 'AnHist');
SELECT * FROM dynamo.change_counts(interval '30 minutes', '2026-01-01 00:15', '2026-01-01 02:41', 'AnHist');
SELECT * FROM dynamo.change_counts(interval '1 day', table_filter => 'AnHist');
SELECT * FROM dynamo.hot_keys('AnHist');
SELECT keys, changes FROM dynamo.hot_keys('AnHist', '2026-01-01 00:00', '2026-01-01 01:00', 1);
SELECT * FROM dynamo.item_change_frequency('AnHist');
SELECT * FROM dynamo.item_change_frequency('AnHist', '2026-01-01 01:00', '2026-01-01 03:00');
SELECT table_name, bucket, suppressed, records FROM dynamo.noop_writes WHERE table_name = 'AnHist' ORDER BY bucket;
SELECT sum(suppressed) AS suppressed, sum(records) AS records,
       round(100.0 * sum(suppressed) / (sum(suppressed) + sum(records)), 1) AS suppressed_pct
  FROM dynamo.noop_writes WHERE table_name = 'AnHist';

-- a live workload through the pump: totals per event, over any buckets
SELECT count(dynamo.put_item('AnLive', jsonb_build_object('id', jsonb_build_object('S', 'i' || (i % 5)),
         'n', jsonb_build_object('N', (i % 2)::text), 'v', jsonb_build_object('N', i::text))))
  FROM generate_series(1, 30) i;
SELECT dynamo.delete_item('AnLive', '{"id":{"S":"i0"},"n":{"N":"0"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT event_name, sum(changes) FROM dynamo.change_counts(interval '1 minute', table_filter => 'AnLive') GROUP BY 1 ORDER BY 1;
SELECT keys, changes, inserts, modifies, removes FROM dynamo.hot_keys('AnLive', "limit" => 3);
SELECT * FROM dynamo.item_change_frequency('AnLive');
-- no-op writes counted at decode time by the pump: updates that leave a
-- row as it was, and puts of an identical item, emit no record
CREATE TABLE an_rows (id int PRIMARY KEY, v text, n numeric);
SELECT dynamo.enable_stream('an_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.pump() >= 0;
INSERT INTO an_rows SELECT i, 'v' || i, 1.5 FROM generate_series(1, 3) i;
UPDATE an_rows SET v = v;
UPDATE an_rows SET n = 1.50 WHERE id = 1;
UPDATE an_rows SET v = 'changed' WHERE id = 2;
SELECT dynamo.pump() AS pumped;
-- (per hour: the test may straddle one)
SELECT sum(suppressed) AS suppressed,
       (SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'an_rows') AS records_in_log,
       bool_and(records = (SELECT count(*) FROM dynamo.stream_records r
                            WHERE r.table_name = 'an_rows' AND date_trunc('hour', r.created_at) = bucket)) AS records_ok,
       bool_and(bucket = date_trunc('hour', bucket)) AS hour_buckets
  FROM dynamo.noop_writes WHERE table_name = 'an_rows';
SELECT dynamo.put_item('AnLive', '{"id":{"S":"i1"},"n":{"N":"1"},"v":{"N":"21"}}') IS NOT NULL;
SELECT dynamo.put_item('AnLive', '{"id":{"S":"i1"},"n":{"N":"1"},"v":{"N":"21.0"}}') IS NOT NULL;
SELECT dynamo.put_item('AnLive', '{"id":{"S":"i2"},"n":{"N":"0"},"v":{"N":"23"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT sum(suppressed) AS suppressed FROM dynamo.noop_writes WHERE table_name = 'AnLive';
-- every table at once
SELECT table_name, event_name, sum(changes) FROM dynamo.change_counts(interval '1 day')
 WHERE table_name IN ('AnHist', 'AnLive') GROUP BY 1, 2 ORDER BY 1, 2;

-- access: only the tables a role may SELECT from (errors shown without
-- the stream label, a time)
CREATE FUNCTION an_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '/stream/[-0-9T:.]+', '/stream/<label>', 'g');
END $$;
CREATE ROLE an_user;
GRANT USAGE ON SCHEMA dynamo TO an_user;
GRANT SELECT ON dynamo."AnLive" TO an_user;
SET ROLE an_user;
SELECT DISTINCT table_name FROM dynamo.change_counts(interval '1 day') WHERE table_name LIKE 'An%';
SELECT count(*) FROM dynamo.noop_writes WHERE table_name = 'AnHist';
SELECT count(*) FROM dynamo.item_change_frequency('AnLive');
SELECT an_try($$SELECT * FROM dynamo.hot_keys('AnHist')$$);
SELECT count(*) FROM dynamo._noop_counts;
RESET ROLE;
REVOKE ALL ON dynamo."AnLive" FROM an_user;
REVOKE USAGE ON SCHEMA dynamo FROM an_user;
DROP ROLE an_user;

-- bad input
SELECT * FROM dynamo.change_counts(NULL);
SELECT * FROM dynamo.change_counts(interval '1 month');
SELECT * FROM dynamo.change_counts(interval '0 seconds');
SELECT * FROM dynamo.change_counts(interval '-1 hour');
SELECT * FROM dynamo.change_counts(interval '1 hour', '2026-01-02', '2026-01-01');
SELECT * FROM dynamo.change_counts(interval '1 hour', table_filter => 'Nope');
SELECT * FROM dynamo.hot_keys(NULL);
SELECT * FROM dynamo.hot_keys('AnHist', "limit" => 0);
SELECT * FROM dynamo.hot_keys('AnHist', "limit" => NULL);
SELECT * FROM dynamo.hot_keys('AnHist', '2026-01-02', '2026-01-01');
SELECT * FROM dynamo.hot_keys('Nope');
SELECT * FROM dynamo.item_change_frequency(NULL);
SELECT * FROM dynamo.item_change_frequency('AnHist', '2026-01-02', '2026-01-01');
SELECT * FROM dynamo.item_change_frequency('Nope');

SELECT dynamo.delete_table('AnHist') IS NOT NULL, dynamo.delete_table('AnLive') IS NOT NULL;
SELECT dynamo.disable_stream('an_rows') IS NOT NULL;
DROP TABLE an_rows;
SELECT dynamo._pump_drop_slot();
