-- 081_shards: shards of the stream log.  A record goes to the open shard
-- its full primary key hashes to (shard_for says which); a stream has
-- shard_count open shards (default 4); shards roll over after
-- dynamo_streams.shard_rollover_interval or on demand (rollover_shards),
-- closed with an EndingSequenceNumber and replaced by children naming
-- their parent; sequence numbers increase within every shard and children
-- start above their parents; disabling a stream closes its shards once
-- the pump has passed the disabling; enabling it again makes a new stream
-- with new shards.  ShardIds: 'shardId-' + 20 digits + '-' + 8 hex (SPEC 4.6).
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('ShItems', 'pk', 'S', 'sk', 'N', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.pump(); -- makes the slot (other suites' records may come along)
CREATE FUNCTION sh_arn(tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = tbl ORDER BY stream_id DESC LIMIT 1
$$;
-- four open shards right away, well-formed ids, no parents
SELECT count(*), bool_and(shard_id ~ '^shardId-[0-9]{20}-[0-9a-f]{8}$'), bool_and(parent_shard_id IS NULL),
       bool_and(ending_sequence_number IS NULL), bool_and(starting_sequence_number ~ '^[1-9][0-9]{39}$'),
       array_agg(hash_slot ORDER BY hash_slot)
  FROM dynamo.list_shards(sh_arn('ShItems'));
-- items that share a partition key spread over shards; shard_for agrees
-- with where the pump puts each record
SELECT count(dynamo.put_item('ShItems', jsonb_build_object('pk', '{"S":"same"}'::jsonb,
                             'sk', jsonb_build_object('N', i::text)))) FROM generate_series(1, 40) i;
SELECT dynamo.pump() >= 40;
SELECT count(DISTINCT sh.shard_id) > 1 AS spread,
       bool_and(sh.shard_id = dynamo.shard_for('ShItems', r.keys::jsonb)) AS shard_for_agrees
  FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = sh_arn('ShItems'));
-- the same key always maps to the same shard; numbers are normalised first
SELECT dynamo.shard_for('ShItems', '{"pk":{"S":"same"},"sk":{"N":"7"}}') =
       dynamo.shard_for('ShItems', '{"sk":{"N":"7.0"},"pk":{"S":"same"}}');
-- on demand: every open shard closes and gets a child
SELECT dynamo.rollover_shards(sh_arn('ShItems'));
SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open,
       count(*) FILTER (WHERE ending_sequence_number IS NOT NULL) AS closed,
       bool_and(parent_shard_id IS NULL OR EXISTS (SELECT FROM dynamo.list_shards(sh_arn('ShItems')) p
                WHERE p.shard_id = c.parent_shard_id AND p.ending_sequence_number <= c.starting_sequence_number
                  AND p.hash_slot = c.hash_slot)) AS children_above_parents
  FROM dynamo.list_shards(sh_arn('ShItems')) c;
SELECT count(dynamo.put_item('ShItems', jsonb_build_object('pk', '{"S":"same"}'::jsonb,
                             'sk', jsonb_build_object('N', i::text)))) FROM generate_series(41, 60) i;
SELECT dynamo.pump() >= 20;
-- new records went to the children, above their parents' ends; each closed
-- shard ends at its last record
SELECT bool_and(sh.ending_seq IS NULL) AS into_open_shards,
       bool_and(r.sequence_number > (SELECT p.ending_seq FROM dynamo._shards p WHERE p.shard_id = sh.parent_shard_id
                                      AND p.stream_id = sh.stream_id)) AS above_parent
  FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = sh_arn('ShItems'))
   AND sh.parent_shard_id IS NOT NULL;
SELECT bool_and(p.ending_seq = (SELECT max(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = p.shard_no)
                OR NOT EXISTS (SELECT FROM dynamo._records r WHERE r.shard_no = p.shard_no)) AS ends_at_last
  FROM dynamo._shards p WHERE p.ending_seq IS NOT NULL
   AND p.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = sh_arn('ShItems'));
-- by age: with the interval at one second, a pump step rolls them over
SET dynamo_streams.shard_rollover_interval = '1s';
SELECT pg_sleep(1.1);
SELECT dynamo.pump() >= 0;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open,
       count(*) FILTER (WHERE parent_shard_id IS NOT NULL) AS children,
       count(*) AS shards
  FROM dynamo.list_shards(sh_arn('ShItems'));
-- sequence numbers strictly increase within every shard, in pump order
SELECT bool_and(ok) FROM (
  SELECT r.sequence_number > lag(r.sequence_number) OVER (PARTITION BY r.shard_no ORDER BY r.sequence_number)
         IS NOT FALSE ok FROM dynamo._records r) x;
-- shard_count: eight shards for a stream that asks for them
UPDATE dynamo._streams SET shard_count = 8 WHERE stream_arn = sh_arn('ShItems');
SELECT dynamo.pump() >= 0;
SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open, max(slot_count)
  FROM dynamo.list_shards(sh_arn('ShItems'));
-- disabling closes the shards, once the pump has passed the disabling
SELECT dynamo.put_item('ShItems', '{"pk":{"S":"last"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.update_table('ShItems', false) IS NOT NULL;
SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open_before_pump
  FROM dynamo.list_shards((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'ShItems' ORDER BY stream_id DESC LIMIT 1));
SELECT dynamo.pump() >= 1;
SELECT dynamo.pump() >= 0;
SELECT count(*) FILTER (WHERE ending_sequence_number IS NULL) AS open_after_pump,
       bool_and(closed_at IS NOT NULL) AS all_closed
  FROM dynamo.list_shards(sh_arn('ShItems'));
-- its last record is in it
SELECT count(*) FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.stream_arn = sh_arn('ShItems') AND r.keys = '{"pk":{"S":"last"},"sk":{"N":"1"}}';
-- enabling again: a new stream with new open shards; the old one stays
SELECT dynamo.update_table('ShItems', true, 'NEW_IMAGE') IS NOT NULL;
SELECT count(*) AS streams FROM dynamo._streams WHERE table_name = 'ShItems';
SELECT count(*) AS open, bool_and(parent_shard_id IS NULL) AS new_lineage
  FROM dynamo.list_shards(sh_arn('ShItems')) WHERE ending_sequence_number IS NULL;
SELECT dynamo.put_item('ShItems', '{"pk":{"S":"new"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump() >= 1;
SELECT s.stream_arn = sh_arn('ShItems') AS in_new_stream FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE r.keys = '{"pk":{"S":"new"},"sk":{"N":"1"}}';
-- bad input
SELECT * FROM dynamo.list_shards('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000');
SELECT dynamo.rollover_shards('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000');
SELECT dynamo.rollover_shards((SELECT stream_arn FROM dynamo._streams WHERE table_name = 'ShItems' ORDER BY stream_id LIMIT 1)) IS NULL;
SELECT dynamo.shard_for('ShItems', '{"pk":{"S":"x"}}');
SELECT dynamo.shard_for('ShItems', '{"pk":{"S":"x"},"sk":{"S":"notanumber"}}');
SELECT dynamo.shard_for('ShItems', '{"pk":{"S":"x"},"sk":{"N":"1"},"extra":{"S":"y"}}');
SELECT dynamo.shard_for('NoSuchTable', '{"pk":{"S":"x"}}');
SELECT dynamo._pump_drop_slot();
