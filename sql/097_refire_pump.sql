-- 097_refire_pump: refire records go through the pump into the stream log
-- like any record (the pump format row with flag "r") and come back from
-- get_records in their place among the item's records, OldImage =
-- NewImage, with their marker: the log keeps the sequence number, whose
-- last digit (part 2) marks a refire, and render_record renders the
-- userIdentity from it, byte for byte as the plugin sends it.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('RfPump', 'id', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT dynamo.pump() >= 0 AS pumped;
SELECT 'init' FROM pg_create_logical_replication_slot('rf097', 'dynamo_streams');
SELECT dynamo.put_item('RfPump', '{"id":{"S":"a"},"v":{"N":"1"}}') IS NOT NULL;
BEGIN;
SELECT dynamo.refire('RfPump') AS refired;
SELECT dynamo.put_item('RfPump', '{"id":{"S":"a"},"v":{"N":"2"}}') IS NOT NULL;
COMMIT;
SELECT dynamo.refire('RfPump', '{"id":{"S":"a"}}') AS refired;
SELECT dynamo.pump() >= 3 AS pumped;
-- every record of the stream, from every shard, through get_records
CREATE FUNCTION rp_records() RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
DECLARE s text; arn text; it text; j jsonb;
BEGIN
  SELECT stream_arn INTO arn FROM dynamo._streams WHERE table_name = 'RfPump' ORDER BY stream_id DESC LIMIT 1;
  FOR s IN SELECT x ->> 'ShardId' FROM jsonb_array_elements(dynamo.describe_stream(arn) -> 'StreamDescription' -> 'Shards') x LOOP
    it := dynamo.get_shard_iterator(arn, s, 'TRIM_HORIZON') ->> 'ShardIterator';
    j := dynamo.get_records(it)::jsonb;
    RETURN QUERY SELECT r FROM jsonb_array_elements(j -> 'Records') r;
  END LOOP;
END $$;
SELECT r ->> 'eventName' AS event, r -> 'dynamodb' -> 'Keys' AS keys,
       r -> 'dynamodb' -> 'NewImage' AS new_image, r -> 'dynamodb' -> 'OldImage' AS old_image,
       (r -> 'dynamodb' -> 'NewImage') = (r -> 'dynamodb' -> 'OldImage') AS images_equal,
       r -> 'userIdentity' AS user_identity, right(r -> 'dynamodb' ->> 'SequenceNumber', 1) AS part
  FROM rp_records() r ORDER BY r -> 'dynamodb' ->> 'SequenceNumber';
-- the log's records rendered again are the plugin's, byte for byte
SELECT fmt, (SELECT array_agg(dynamo.render_record(fmt, s.stream_arn, s.stream_view_type, r.event_name, r.sequence_number,
                                                   r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted)
                              ORDER BY r.sequence_number)
               FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
              WHERE s.stream_id = (SELECT max(stream_id) FROM dynamo._streams WHERE table_name = 'RfPump'))
            = (SELECT array_agg(data) FROM pg_logical_slot_peek_changes('rf097', NULL, NULL, 'format', fmt, 'tables', 'RfPump'))
            AS log_is_plugin
  FROM unnest(ARRAY['lambda', 'streams']) fmt;
-- export_records renders them as the plugin too, refire marker included
SELECT fmt, (SELECT array_agg(e ORDER BY ord) FROM dynamo.export_records(
                 (SELECT stream_arn FROM dynamo._streams WHERE table_name = 'RfPump' ORDER BY stream_id DESC LIMIT 1),
                 format => fmt) WITH ORDINALITY x(e, ord))
            = (SELECT array_agg(data) FROM pg_logical_slot_peek_changes('rf097', NULL, NULL, 'format', fmt, 'tables', 'RfPump'))
            AS export_is_plugin
  FROM unnest(ARRAY['lambda', 'streams']) fmt;
-- the log holds what the plugin sent (the pump format's fields)
SELECT event_name, keys, new_image = old_image AS images_equal, ttl
  FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.stream_id = (SELECT max(stream_id) FROM dynamo._streams WHERE table_name = 'RfPump')
 ORDER BY sequence_number;
DROP FUNCTION rp_records;
SELECT pg_drop_replication_slot('rf097');
SELECT dynamo.delete_table('RfPump') IS NOT NULL AS deleted;
SELECT dynamo.pump() >= 0 AS pumped;
