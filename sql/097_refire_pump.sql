-- 097_refire_pump: refire records go through the pump into the stream log
-- like any record (the pump format row with flag "r") and come back from
-- get_records in their place among the item's records, OldImage =
-- NewImage.  The stream log keeps no column for the marker yet: records
-- read back through the log carry no userIdentity (docs/functions/refire.md,
-- "Through the stream log").
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('RfPump', 'id', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT dynamo.pump() >= 0 AS pumped;
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
       r ? 'userIdentity' AS marked
  FROM rp_records() r ORDER BY r -> 'dynamodb' ->> 'SequenceNumber';
-- the log holds what the plugin sent (the pump format's fields)
SELECT event_name, keys, new_image = old_image AS images_equal, ttl
  FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.table_name = 'RfPump' ORDER BY sequence_number;
DROP FUNCTION rp_records;
SELECT dynamo.delete_table('RfPump') IS NOT NULL AS deleted;
SELECT dynamo.pump() >= 0 AS pumped;
