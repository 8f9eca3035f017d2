-- 088_streams_api_lineage: a consumer that follows shard lineage through
-- the Streams API (parents before children, children found with
-- shard_filter CHILD_SHARDS, describe_stream paged) reads every record of
-- a stream exactly once, in order per item, across several roll-overs,
-- byte for byte as the plugin sends them.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0 AS pump_ready;
SELECT dynamo.create_table('SlItems', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT 'slot' FROM pg_create_logical_replication_slot('sl088', 'dynamo_streams');
CREATE FUNCTION sl_arn() RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = 'SlItems' ORDER BY stream_id DESC LIMIT 1
$$;
-- writes to 12 items (4 keys sharing a partition key), then a pump step
CREATE FUNCTION sl_write(round int) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(dynamo.put_item('SlItems', jsonb_build_object(
           'pk', jsonb_build_object('S', 'p' || (i % 3)), 'sk', jsonb_build_object('N', (i / 3)::text),
           'round', jsonb_build_object('N', round::text))))
    FROM generate_series(0, 11) i
$$;
SELECT sl_write(1);
SELECT dynamo.pump() >= 12;
SELECT dynamo.rollover_shards(sl_arn());
SELECT sl_write(2);
SELECT dynamo.delete_item('SlItems', '{"pk":{"S":"p0"},"sk":{"N":"0"}}') IS NOT NULL;
SELECT dynamo.pump() >= 13;
SELECT dynamo.rollover_shards(sl_arn());
SELECT sl_write(3);
SELECT dynamo.pump() >= 12;
SELECT dynamo.rollover_shards(sl_arn());
SELECT sl_write(4);
SELECT dynamo.pump() >= 12;

-- the consumer: start at the shards without a parent; read a shard to its
-- end (no NextShardIterator: closed; empty Records: open and caught up),
-- then queue its children
CREATE TABLE sl_read (n serial, shard text, data text);
CREATE FUNCTION sl_consume(page int, batch int) RETURNS TABLE (shards int, calls int) LANGUAGE plpgsql AS $$
DECLARE
  arn text := sl_arn();
  queue text[] := '{}';
  shard text;
  d jsonb;
  start text;
  it text;
  j json;
  done int := 0;
  ncalls int := 0;
BEGIN
  -- every shard without a parent, describe_stream paged
  LOOP
    d := dynamo.describe_stream(arn, page, start)->'StreamDescription';
    queue := queue || ARRAY(SELECT s->>'ShardId' FROM jsonb_array_elements(d->'Shards') s WHERE NOT s ? 'ParentShardId');
    start := d->>'LastEvaluatedShardId';
    EXIT WHEN start IS NULL;
  END LOOP;
  WHILE cardinality(queue) > 0 LOOP
    shard := queue[1];
    queue := queue[2:];
    it := dynamo.get_shard_iterator(arn, shard, 'TRIM_HORIZON')->>'ShardIterator';
    LOOP
      j := dynamo.get_records(it, batch);
      ncalls := ncalls + 1;
      INSERT INTO sl_read (shard, data) SELECT shard, r::text FROM json_array_elements(j->'Records') r;
      it := j->>'NextShardIterator';
      EXIT WHEN it IS NULL OR json_array_length(j->'Records') = 0;
    END LOOP;
    done := done + 1;
    queue := queue || ARRAY(SELECT s->>'ShardId' FROM jsonb_array_elements(dynamo.describe_stream(arn,
               shard_filter => jsonb_build_object('Type', 'CHILD_SHARDS', 'ShardId', shard))->'StreamDescription'->'Shards') s);
  END LOOP;
  RETURN QUERY SELECT done, ncalls;
END $$;
SELECT shards, calls > shards AS paged FROM sl_consume(3, 5);
SELECT count(*) AS shards, count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open
  FROM dynamo.list_shards(sl_arn());

-- every record once, byte for byte the plugin's
CREATE TABLE sl_plugin AS
  SELECT row_number() OVER () n, data FROM pg_logical_slot_get_changes('sl088', NULL, NULL, 'format', 'streams', 'tables', 'SlItems');
SELECT (SELECT count(*) FROM sl_plugin) AS plugin, (SELECT count(*) FROM sl_read) AS read,
       (SELECT count(DISTINCT data::json->>'eventID') FROM sl_read) AS distinct_read,
       (SELECT array_agg(data ORDER BY data) FROM sl_read) = (SELECT array_agg(data ORDER BY data) FROM sl_plugin) AS identical;
-- in order per item: each item's records come in the plugin's order
SELECT bool_and(ok) AS per_item_order FROM (
  SELECT (SELECT array_agg(p.n ORDER BY r.n) FROM sl_read r JOIN sl_plugin p USING (data)
           WHERE r.data::json->'dynamodb'->>'Keys' = k.keys) =
         (SELECT array_agg(p.n ORDER BY p.n) FROM sl_plugin p WHERE p.data::json->'dynamodb'->>'Keys' = k.keys) AS ok
    FROM (SELECT DISTINCT data::json->'dynamodb'->>'Keys' AS keys FROM sl_plugin) k) x;
-- and a parent's records all come before its children's
SELECT bool_and(pmax < cmin) AS parents_first FROM (
  SELECT (SELECT max(n) FROM sl_read WHERE shard = l.parent_shard_id) pmax,
         (SELECT min(n) FROM sl_read WHERE shard = l.shard_id) cmin
    FROM dynamo.list_shards(sl_arn()) l WHERE l.parent_shard_id IS NOT NULL) x
 WHERE pmax IS NOT NULL AND cmin IS NOT NULL;
SELECT pg_drop_replication_slot('sl088');
SELECT dynamo.delete_table('SlItems') IS NOT NULL;
DROP TABLE sl_read, sl_plugin;
DROP FUNCTION sl_arn, sl_write, sl_consume;
