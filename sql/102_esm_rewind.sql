-- 102_esm_rewind: rewind (beyond AWS) moves a mapping's checkpoints back,
-- on every shard and lane, to a time or a sequence number; the records
-- from there on come again through receive_batch exactly as they came the
-- first time, with their original images (OldImage included: the record of
-- the change, not the item's current state).
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0 AS pumped;
CREATE FUNCTION rw_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
-- an error as "SQLSTATE exception: message"
CREATE FUNCTION rw_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || coalesce(split_part(split_part(det, ':', 1), '.', 1), '') || ': '
         || regexp_replace(regexp_replace(msg, '[0-9]{21,40}', '<seq>', 'g'),
                           '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END $$;
GRANT EXECUTE ON FUNCTION rw_err(text), rw_arn(text) TO PUBLIC;
-- everything the function received, batch by batch
CREATE TABLE rw_got (n serial, fn text, batch_id bigint, event jsonb);
GRANT ALL ON rw_got, rw_got_n_seq TO PUBLIC;
-- receive every batch of fn there is, completing each; the number received
CREATE FUNCTION rw_drain(fn text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE b record; k integer := 0;
BEGIN
  LOOP
    SELECT * INTO b FROM dynamo.receive_batch(fn);
    EXIT WHEN b.batch_id IS NULL;
    INSERT INTO rw_got (fn, batch_id, event) VALUES (fn, b.batch_id, b.event::jsonb);
    PERFORM dynamo.complete_batch(b.batch_id);
    k := k + 1;
  END LOOP;
  RETURN k;
END $$;
GRANT EXECUTE ON FUNCTION rw_drain(text) TO PUBLIC;
-- the records received by fn since batch n: event name, key, old and new status
CREATE FUNCTION rw_records(fn text, since integer DEFAULT 0)
RETURNS TABLE (n integer, event_name text, id text, old_status text, new_status text) LANGUAGE sql AS $$
  SELECT g.n, r ->> 'eventName', r -> 'dynamodb' -> 'Keys' -> 'id' ->> 'S',
         r -> 'dynamodb' -> 'OldImage' -> 'status' ->> 'S', r -> 'dynamodb' -> 'NewImage' -> 'status' ->> 'S'
    FROM rw_got g, jsonb_array_elements(g.event -> 'Records') WITH ORDINALITY x(r, o)
   WHERE g.fn = rw_records.fn AND g.n > since ORDER BY g.n, x.o
$$;
GRANT EXECUTE ON FUNCTION rw_records(text, integer) TO PUBLIC;

SELECT dynamo.create_table('RwOrders', 'id', 'S', NULL, NULL, 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'RwOrders';
SELECT dynamo.put_item('RwOrders', '{"id":{"S":"o1"},"status":{"S":"new"}}') IS NOT NULL;
SELECT dynamo.put_item('RwOrders', '{"id":{"S":"o2"},"status":{"S":"new"}}') IS NOT NULL;
SELECT pg_sleep(0.01);
SELECT clock_timestamp() AS t1 \gset
SELECT dynamo.put_item('RwOrders', '{"id":{"S":"o1"},"status":{"S":"paid"}}') IS NOT NULL;
SELECT dynamo.put_item('RwOrders', '{"id":{"S":"o1"},"status":{"S":"shipped"}}') IS NOT NULL;
SELECT dynamo.delete_item('RwOrders', '{"id":{"S":"o2"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT dynamo.create_event_source_mapping('rw-fn', rw_arn('RwOrders'), 'TRIM_HORIZON', batch_size => 2) ->> 'State';

-- first delivery: 5 records in batches of 2
SELECT rw_drain('rw-fn') AS batches;
SELECT * FROM rw_records('rw-fn');
SELECT max(n) AS first_pass FROM rw_got \gset
-- nothing more, and rewinding to a time after the last record moves nothing
SELECT rw_drain('rw-fn') AS batches;
SELECT dynamo.rewind('rw-fn', now() + interval '1 hour') AS shards_moved;
SELECT rw_drain('rw-fn') AS batches;

-- rewind to t1: the three records written after it come again, with the
-- images they had (o1 paid -> shipped, not the item's state now), and
-- byte for byte as they came the first time
SELECT dynamo.rewind('rw-fn', :'t1') AS shards_moved;
SELECT rw_drain('rw-fn') AS batches;
SELECT * FROM rw_records('rw-fn', :first_pass);
SELECT (SELECT array_agg(r ORDER BY g.n, o) FROM rw_got g, jsonb_array_elements(g.event -> 'Records') WITH ORDINALITY x(r, o)
         WHERE g.n > :first_pass)
     = (SELECT (array_agg(r ORDER BY g.n, o))[3:5] FROM rw_got g, jsonb_array_elements(g.event -> 'Records') WITH ORDINALITY x(r, o)
         WHERE g.n <= :first_pass) AS same_records;
SELECT max(n) AS second_pass FROM rw_got \gset

-- rewind to a sequence number: that record and the ones after it
SELECT r -> 'dynamodb' ->> 'SequenceNumber' AS seq4
  FROM rw_got g, jsonb_array_elements(g.event -> 'Records') WITH ORDINALITY x(r, o)
 WHERE g.n <= :first_pass ORDER BY g.n, o OFFSET 3 LIMIT 1 \gset
SELECT dynamo.rewind('rw-fn', sequence_number => :'seq4') AS shards_moved;
SELECT rw_drain('rw-fn') AS batches;
SELECT * FROM rw_records('rw-fn', :second_pass);
-- a sequence number without leading zeros, as AWS writes them, is the same
SELECT max(n) AS third_pass FROM rw_got \gset
SELECT dynamo.rewind('rw-fn', sequence_number => ltrim(:'seq4', '0')) AS shards_moved;
SELECT rw_drain('rw-fn') AS batches;
SELECT count(*) AS again FROM rw_records('rw-fn', :third_pass);

-- rewind to the beginning (a time before every record): all five
SELECT max(n) AS fourth_pass FROM rw_got \gset
SELECT dynamo.rewind('rw-fn', '2000-01-01') AS shards_moved;
SELECT rw_drain('rw-fn') AS batches;
SELECT count(*) AS all_again FROM rw_records('rw-fn', :fourth_pass);

-- a batch in flight when the checkpoint moves back is dropped: completing
-- it afterwards is STALE and moves nothing; the next batch starts at the
-- rewind point
SELECT max(n) AS fifth_pass FROM rw_got \gset
SELECT dynamo.rewind('rw-fn', '2000-01-01') AS shards_moved;
SELECT batch_id AS b1 FROM dynamo.receive_batch('rw-fn') \gset
SELECT dynamo.complete_batch(:b1);
SELECT batch_id AS b2 FROM dynamo.receive_batch('rw-fn') \gset
SELECT dynamo.rewind('rw-fn', '2000-01-01') AS shards_moved;
SELECT count(*) AS batches_in_flight FROM dynamo._esm_batches
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'rw-fn');
SELECT dynamo.complete_batch(:b2) AS dropped_batch;
SELECT rw_drain('rw-fn') AS batches;
SELECT count(*) AS from_the_start FROM rw_records('rw-fn', :fifth_pass);
-- a failing batch's retry count starts again after a rewind
SELECT dynamo.rewind('rw-fn', '2000-01-01') AS shards_moved;
SELECT batch_id AS b3 FROM dynamo.receive_batch('rw-fn') \gset
SELECT dynamo.complete_batch(:b3);
SELECT batch_id AS b4 FROM dynamo.receive_batch('rw-fn') \gset
SELECT dynamo.fail_batch(:b4, 'Unhandled');
SELECT max(attempts) AS attempts FROM dynamo._esm_shards
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'rw-fn');
SELECT dynamo.rewind('rw-fn', '2000-01-01') AS shards_moved;
SELECT max(attempts) AS attempts_after FROM dynamo._esm_shards
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'rw-fn');
SELECT rw_drain('rw-fn') AS batches;
-- parallelization_factor 2: every lane moves back
SELECT dynamo.create_event_source_mapping('rw-lanes', rw_arn('RwOrders'), 'TRIM_HORIZON',
         parallelization_factor => 2) ->> 'ParallelizationFactor';
SELECT rw_drain('rw-lanes') AS batches;
SELECT count(*) AS records, count(DISTINCT id) AS keys FROM rw_records('rw-lanes');
SELECT max(n) AS lanes_pass FROM rw_got \gset
SELECT dynamo.rewind('rw-lanes', '2000-01-01') AS shards_moved;
SELECT count(DISTINCT lane) AS lanes_rewound FROM dynamo._esm_shards
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'rw-lanes') AND checkpoint_seq = '';
SELECT rw_drain('rw-lanes') AS batches;
SELECT count(*) AS records FROM rw_records('rw-lanes', :lanes_pass);

-- a function with mappings on two streams: both move back
SELECT dynamo.create_table('RwAudit', 'id', 'S', NULL, NULL, 'KEYS_ONLY') IS NOT NULL AS created;
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'RwAudit';
SELECT dynamo.put_item('RwAudit', '{"id":{"S":"a1"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT dynamo.create_event_source_mapping('rw-fn', rw_arn('RwAudit'), 'TRIM_HORIZON') ->> 'State';
SELECT rw_drain('rw-fn') AS batches;
SELECT dynamo.rewind('arn:aws:lambda:us-east-1:000000000000:function:rw-fn', '2000-01-01') AS shards_moved;

-- bad input
SELECT rw_err($$SELECT dynamo.rewind('rw-fn')$$);
SELECT rw_err($$SELECT dynamo.rewind('rw-fn', now(), '12345678901234567890123')$$);
SELECT rw_err($$SELECT dynamo.rewind('rw-fn', sequence_number => '123')$$);
SELECT rw_err($$SELECT dynamo.rewind('rw-fn', sequence_number => repeat('1', 41))$$);
SELECT rw_err($$SELECT dynamo.rewind('rw-fn', sequence_number => '1234567890123456789x1')$$);
SELECT rw_err($$SELECT dynamo.rewind('no-such-fn', now())$$);
SELECT rw_err($$SELECT dynamo.rewind('bad name', now())$$);
SELECT rw_err($$SELECT dynamo.rewind(NULL, now())$$);
-- only the mapping's owner (and superusers) may rewind it; a role that
-- cannot see it gets ResourceNotFoundException
CREATE ROLE regress_rw_reader;
CREATE ROLE regress_rw_none;
GRANT SELECT ON dynamo."RwOrders" TO regress_rw_reader;
SET ROLE regress_rw_reader;
SELECT rw_err($$SELECT dynamo.rewind('rw-lanes', now())$$);
SET ROLE regress_rw_none;
SELECT rw_err($$SELECT dynamo.rewind('rw-lanes', now())$$);
RESET ROLE;

SELECT dynamo.delete_event_source_mapping(uuid::text) ->> 'State' FROM dynamo._event_source_mappings
 WHERE function_name IN ('rw-fn', 'rw-lanes') ORDER BY created_at;
SELECT count(*) AS lane_rows_left FROM dynamo._esm_shards e
 WHERE NOT EXISTS (SELECT FROM dynamo._event_source_mappings m WHERE m.uuid = e.mapping);
SELECT dynamo.delete_table('RwOrders') IS NOT NULL, dynamo.delete_table('RwAudit') IS NOT NULL;
DROP OWNED BY regress_rw_reader, regress_rw_none;
DROP ROLE regress_rw_reader, regress_rw_none;
DROP TABLE rw_got;
