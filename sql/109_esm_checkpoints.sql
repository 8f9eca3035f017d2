-- 109_esm_checkpoints: the checkpoints view and the metrics function;
-- filter criteria in delivery (filtered-out records are checkpointed,
-- never delivered, retried or sent to the failure table); the
-- parallelization factor (up to N batches of a shard in flight, records of
-- one partition key in order).  Uses the ed_* helpers of 105_esm_delivery.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;

-- filters: only INSERTs of items whose n is 3 or 6 are delivered
SELECT ed_table('EdFilter', 8);
SELECT dynamo.put_item('EdFilter', '{"id":{"S":"i3"},"n":{"N":"33"}}') IS NOT NULL;
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edfilter', 'EdFilter', jsonb_build_object('batch_size', 2, 'report', true, 'maximum_retry_attempts', 0,
  'filter_criteria', jsonb_build_object('Filters', jsonb_build_array(
      jsonb_build_object('Pattern', '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"n":{"N":["3"]}}}}'),
      jsonb_build_object('Pattern', '{"dynamodb":{"NewImage":{"n":{"N":["6"]}}}}'))))) IS NOT NULL;
SELECT * FROM ed_drive('edfilter', 'report:i6');
-- the failed record went to the failure table; the filtered ones never
SELECT record->'DDBStreamBatchInfo'->'batchSize' AS failed_batch_size FROM dynamo.event_source_mapping_failures WHERE function_name = 'edfilter';
SELECT checkpoint_sequence_number = (SELECT max(sequence_number) FROM dynamo._records
                                      WHERE stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdFilter'))) AS checkpoint_at_end,
       state, processed, failed, filtered
  FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edfilter' AND state <> 'Done';
-- a batch of filtered-out records only: checkpointed, nothing delivered
SELECT ed_table('EdFilter', 4, 20);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edfilter', 'ok');
SELECT state, processed, failed, filtered, iterator_age IS NULL AS caught_up
  FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edfilter' AND state <> 'Done';

-- the checkpoints view through a batch's life
SELECT ed_table('EdView', 5);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edview', 'EdView', '{"batch_size":2,"maximum_retry_attempts":2}') IS NOT NULL;
CREATE FUNCTION ed_view(fn text) RETURNS TABLE (state text, lane int, checkpoint text, has_age boolean, attempts int,
                                                in_flight int, processed bigint, failed bigint, filtered bigint)
LANGUAGE sql AS $$
  SELECT c.state, c.lane, ed_mask(coalesce(c.checkpoint_sequence_number, '-')), c.iterator_age IS NOT NULL, c.attempts,
         c.batches_in_flight, c.processed, c.failed, c.filtered
    FROM dynamo.event_source_mapping_checkpoints c
   WHERE c.function_name = fn ORDER BY c.shard_id, c.lane
$$;
SELECT * FROM ed_view('edview');
CREATE TABLE ed_vb AS SELECT * FROM dynamo.receive_batch('edview');
SELECT * FROM ed_view('edview') WHERE state <> 'Done';
SELECT dynamo.fail_batch(batch_id) FROM ed_vb;
SELECT * FROM ed_view('edview') WHERE state <> 'Done';
SELECT * FROM ed_drive('edview', 'ok');
SELECT * FROM ed_view('edview') WHERE state <> 'Done';
-- a lease past its time
SELECT ed_table('EdView', 1, 6);
SELECT dynamo.pump() > 0 AS pumped;
CREATE TABLE ed_vb2 AS SELECT * FROM dynamo.receive_batch('edview');
UPDATE dynamo._esm_shards SET leased_until = now() - interval '1 second' WHERE batch_id IN (SELECT batch_id FROM ed_vb2);
SELECT * FROM ed_view('edview') WHERE state <> 'Done';
SELECT * FROM ed_drive('edview', 'ok');
-- a child shard waits for its parent
SELECT ed_table('EdView', 1, 7);
SELECT dynamo.pump() > 0 AS pumped;
SELECT dynamo._pump_lock(), dynamo._close_shards((SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdView')), true) AS rolled;
SELECT ed_table('EdView', 1, 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT count(*) FROM dynamo.receive_batch('edview');
SELECT * FROM ed_view('edview') WHERE state <> 'Done';

-- metrics, in the manner of pgmq's metrics()
SELECT function_name, records_processed, records_failed, records_filtered, batches_in_flight,
       oldest_unprocessed_age_sec IS NOT NULL AS has_age, on_failure_records, scrape_time IS NOT NULL
  FROM dynamo.event_source_mapping_metrics() WHERE function_name IN ('edfilter', 'edview', 'edpoison', 'edcheck')
 ORDER BY function_name;
SELECT count(*) FROM dynamo.event_source_mapping_metrics('edview');
SELECT count(*) FROM dynamo.event_source_mapping_metrics('no-such-function');

-- parallelization_factor 3: up to three batches of the one shard in
-- flight at once, none sharing a partition key; each key's records in order
SELECT dynamo.create_table('EdPar', 'pk', 'S', 'sk', 'N', 'KEYS_ONLY') IS NOT NULL;
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'EdPar';
SELECT dynamo.pump() >= 0;
SELECT count(dynamo.put_item('EdPar', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 7)),
                                                         'sk', jsonb_build_object('N', i::text))))
  FROM generate_series(1, 70) i;
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edpar', 'EdPar', '{"batch_size":4,"parallelization_factor":3}') IS NOT NULL;
CREATE TABLE ed_par (n serial, batch_id bigint, keys text[], sks int[]);
-- lease until nothing more is free: three batches, one per lane
DO $$
DECLARE b record;
BEGIN
  LOOP
    SELECT * INTO b FROM dynamo.receive_batch('edpar');
    EXIT WHEN b.batch_id IS NULL;
    INSERT INTO ed_par (batch_id, keys, sks)
    SELECT b.batch_id, array_agg(r->'dynamodb'->'Keys'->'pk'->>'S' ORDER BY o), array_agg((r->'dynamodb'->'Keys'->'sk'->>'N')::int ORDER BY o)
      FROM json_array_elements(b.event->'Records') WITH ORDINALITY AS x(r, o);
  END LOOP;
END $$;
SELECT count(*) AS in_flight FROM ed_par;
SELECT count(*) AS keys_in_two_batches FROM (SELECT k FROM ed_par, unnest(keys) k GROUP BY k HAVING count(DISTINCT batch_id) > 1) x;
-- then drain: answer each and lease more
DO $$
DECLARE b record; p record;
BEGIN
  LOOP
    SELECT * INTO p FROM ed_par WHERE NOT EXISTS (SELECT FROM dynamo._esm_batches x WHERE false) AND batch_id IN (SELECT batch_id FROM dynamo._esm_batches) ORDER BY n LIMIT 1;
    EXIT WHEN p.batch_id IS NULL;
    PERFORM dynamo.complete_batch(p.batch_id);
    LOOP
      SELECT * INTO b FROM dynamo.receive_batch('edpar');
      EXIT WHEN b.batch_id IS NULL;
      INSERT INTO ed_par (batch_id, keys, sks)
      SELECT b.batch_id, array_agg(r->'dynamodb'->'Keys'->'pk'->>'S' ORDER BY o), array_agg((r->'dynamodb'->'Keys'->'sk'->>'N')::int ORDER BY o)
        FROM json_array_elements(b.event->'Records') WITH ORDINALITY AS x(r, o);
    END LOOP;
  END LOOP;
END $$;
SELECT count(*) AS delivered, count(DISTINCT sk) AS distinct_records FROM ed_par, unnest(sks) sk;
-- per partition key, the order of delivery is the order of writing
SELECT bool_and(ok) AS per_key_order FROM (
  SELECT k, array_agg(sk ORDER BY n, o) = array_agg(sk ORDER BY sk) AS ok
    FROM ed_par, unnest(keys, sks) WITH ORDINALITY AS u(k, sk, o) GROUP BY k) x;
SELECT lane, state, processed FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpar' AND state <> 'Done' ORDER BY lane;
-- a changed parallelization factor re-lanes the shard (nothing in flight)
SELECT dynamo.update_event_source_mapping((SELECT uuid::text FROM dynamo._event_source_mappings WHERE function_name = 'edpar'),
                                          parallelization_factor => 2)->>'ParallelizationFactor';
SELECT count(dynamo.put_item('EdPar', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 7)),
                                                         'sk', jsonb_build_object('N', i::text))))
  FROM generate_series(71, 80) i;
SELECT dynamo.pump() > 0 AS pumped;
SELECT count(*) FROM (SELECT * FROM ed_drive('edpar', 'ok')) x;
SELECT lane, state, processed FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpar' AND state <> 'Done' ORDER BY lane;
SELECT sum(processed) FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpar';

-- access: only members of the mapping's owner may consume it
CREATE ROLE ed_other;
GRANT USAGE ON SCHEMA dynamo TO ed_other;
SET ROLE ed_other;
SELECT ed_err($$SELECT * FROM dynamo.receive_batch('edview')$$);
RESET ROLE;
CREATE TABLE ed_other_batch AS SELECT batch_id FROM dynamo._esm_batches
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edview');
GRANT SELECT ON ed_other_batch TO ed_other;
SET ROLE ed_other;
SELECT ed_err($$SELECT dynamo.complete_batch(batch_id) FROM ed_other_batch$$);
SELECT ed_err($$SELECT dynamo.fail_batch(batch_id) FROM ed_other_batch$$);
SELECT count(*) FROM dynamo.event_source_mapping_checkpoints;
RESET ROLE;
SELECT dynamo.complete_batch(batch_id) IS NOT NULL FROM dynamo._esm_batches WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edview');
DROP OWNED BY ed_other;
DROP ROLE ed_other;
-- deleting a mapping removes its checkpoints, keeps its on-failure records
SELECT dynamo.delete_event_source_mapping((SELECT uuid::text FROM dynamo._event_source_mappings WHERE function_name = 'edpoison'))->>'State';
SELECT count(*) FROM dynamo._esm_shards e WHERE NOT EXISTS (SELECT FROM dynamo._event_source_mappings m WHERE m.uuid = e.mapping);
SELECT count(*) AS kept FROM dynamo.event_source_mapping_failures WHERE function_name = 'edpoison';
