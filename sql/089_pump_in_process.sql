-- 089_pump_in_process: the pump decodes in its own process and bulk-writes
-- (src/pump_decode.c).  What that path must keep: records land in the
-- shards the step's own upkeep made (a changed shard count); a transaction
-- larger than a multi-insert batch and than the rows written at once comes
-- whole and identical to the plugin's records; max_changes takes whole
-- transactions; a step runs inside a procedure that commits between steps
-- (decoding's internal subtransactions must not leave another resource
-- owner current); the pump's own writes are never decoded.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('InProc', 'id', 'S', 'n', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.pump() >= 0;
SELECT 'init' FROM pg_create_logical_replication_slot('inproc_check', 'dynamo_streams');
CREATE FUNCTION inproc_same() RETURNS TABLE (log bigint, plugin bigint, same boolean)
LANGUAGE sql AS $$
  WITH l AS (SELECT r.sequence_number, r.event_name, r.keys, r.new_image, r.old_image, r.size_bytes, r.key_hash
               FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'InProc'),
       p AS (SELECT f[2] AS sequence_number, f[5] AS event_name, f[12] AS keys, nullif(f[13], '') AS new_image,
                    nullif(f[14], '') AS old_image, f[8]::bigint AS size_bytes, f[7]::bigint AS key_hash
               FROM (SELECT string_to_array(data, E'\t') f
                       FROM pg_logical_slot_peek_changes('inproc_check', NULL, NULL, 'format', 'pump', 'tables', 'InProc')
                      WHERE data LIKE 'R1%') x)
  SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM p),
         -- (EXCEPT ALL: a record written twice is a difference)
         NOT EXISTS (SELECT * FROM l EXCEPT ALL SELECT * FROM p) AND NOT EXISTS (SELECT * FROM p EXCEPT ALL SELECT * FROM l)
$$;

-- one transaction of 25,000 changes (multi-insert batches of 1,000, rows
-- written every 10,000): whole, identical, each record in its key's shard
SELECT count(dynamo.put_item('InProc', jsonb_build_object('id', jsonb_build_object('S', 'k' || (g % 50)),
                                   'n', jsonb_build_object('N', (g % 500)::text), 'v', jsonb_build_object('S', repeat('x', g % 40) || g))))
  FROM generate_series(1, 25000) g;
SELECT dynamo.pump(10) AS pumped;
SELECT * FROM inproc_same();
SELECT count(*) FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no) JOIN dynamo._streams s ON s.stream_id = r.stream_id
 WHERE s.table_name = 'InProc' AND sh.hash_slot <> dynamo._hash_slot(r.key_hash, sh.slot_count);

-- max_changes: whole transactions
SELECT dynamo.put_item('InProc', jsonb_build_object('id', jsonb_build_object('S', 't' || g), 'n', '{"N":"1"}'::jsonb)) IS NOT NULL
  FROM generate_series(1, 3) g;
BEGIN;
SELECT dynamo.put_item('InProc', jsonb_build_object('id', jsonb_build_object('S', 'u' || g), 'n', '{"N":"1"}'::jsonb)) IS NOT NULL
  FROM generate_series(1, 4) g;
COMMIT;
-- (two steps in one transaction: the second skips what the first took,
-- though it is not committed yet)
SELECT dynamo.pump(2) AS first, dynamo.pump(1) AS second;
SELECT dynamo.pump(1) AS third;
SELECT dynamo.pump(1) AS fourth, dynamo.pump() AS rest;
SELECT * FROM inproc_same();
-- a transaction of two steps that rolls back loses nothing
SELECT dynamo.put_item('InProc', jsonb_build_object('id', jsonb_build_object('S', 'v' || g), 'n', '{"N":"1"}'::jsonb)) IS NOT NULL
  FROM generate_series(1, 2) g;
SELECT dynamo.put_item('InProc', '{"id":{"S":"w"},"n":{"N":"1"}}') IS NOT NULL;
BEGIN;
SELECT dynamo.pump(1) AS first, dynamo.pump() AS second, dynamo.pump() AS third;
ROLLBACK;
SELECT dynamo.pump() AS again;
SELECT * FROM inproc_same();

-- a changed shard count: the step that closes the old shards writes the
-- records of the same step into the new one
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'InProc';
SELECT dynamo.put_item('InProc', '{"id":{"S":"after"},"n":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT sh.slot_count, sh.ending_seq IS NULL AS open, count(r.*) AS records
  FROM dynamo._shards sh JOIN dynamo._streams s USING (stream_id)
  LEFT JOIN dynamo._records r ON r.shard_no = sh.shard_no AND r.keys::jsonb = '{"id":{"S":"after"},"n":{"N":"1"}}'
 WHERE s.table_name = 'InProc' AND sh.current
 GROUP BY 1, 2;

-- steps inside a procedure that commits between them
CREATE PROCEDURE inproc_loop(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. n LOOP
    PERFORM dynamo.put_item('InProc', jsonb_build_object('id', jsonb_build_object('S', 'p' || i), 'n', '{"N":"1"}'::jsonb));
    COMMIT;
    PERFORM dynamo.pump(1);
    COMMIT;
  END LOOP;
END $$;
CALL inproc_loop(5);
SELECT * FROM inproc_same();
-- the pump's own writes were never decoded: the check slot has no record
-- of the log's tables, and a last step finds nothing
SELECT count(*) FROM pg_logical_slot_peek_changes('inproc_check', NULL, NULL, 'format', 'pump')
 WHERE data NOT LIKE 'R1%' AND data NOT LIKE 'N1%';
SELECT dynamo.pump();

-- every record is in every index of its day partition: the key index's
-- entries, written sorted at the end of each step, included (amcheck's
-- heapallindexed check fails on a row missing from an index)
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT i.indexrelid::regclass::text ~ '_(shard_no_sequence_number|stream_id_created_at|key_hash_stream_id)_idx$' AS known_index,
       bt_index_check(i.indexrelid, true)::text = '' AS complete
  FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid
 WHERE h.inhparent = 'dynamo._records'::regclass
 ORDER BY i.indexrelid::regclass::text COLLATE "C";
SELECT count(*) AS records, count(*) FILTER (WHERE key_hash IS NOT NULL) AS with_key
  FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'InProc';
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- the same count found through the key index, one key at a time
SELECT sum((SELECT count(*) FROM dynamo._records x WHERE x.key_hash = k.key_hash AND x.stream_id = k.stream_id))
       AS through_key_index
  FROM (SELECT DISTINCT r.key_hash, r.stream_id FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
         WHERE s.table_name = 'InProc') k;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP EXTENSION amcheck;

SELECT pg_drop_replication_slot('inproc_check');
DROP PROCEDURE inproc_loop(int);
SELECT dynamo.delete_table('InProc') IS NOT NULL;
