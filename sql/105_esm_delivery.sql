-- 105_esm_delivery: SQL pull delivery for event source mappings (SPEC 4.7).
-- The event is the Lambda event {"Records":[...]} of the records rendered
-- as the plugin's format=lambda records; one batch never mixes shards, a
-- shard's records come in order and parents before children; starting
-- positions; checkpointing with ReportBatchItemFailures (issue 8a: a
-- handler failing the 4th record of every batch gets 10, 7, 4, 1).
-- Defines the ed_* helpers that 106-109 use.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0 AS pump_ready;
-- a table whose stream has one open shard (its first four shards close
-- at the first pump: the open shard is their child), items i1..in
CREATE FUNCTION ed_table(t text, n int, first int DEFAULT 1) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM dynamo._tables WHERE table_name = t) THEN
    PERFORM dynamo.create_table(t, 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES');
    UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = t;
  END IF;
  PERFORM dynamo.put_item(t, jsonb_build_object('id', jsonb_build_object('S', 'i' || i),
                                                'n', jsonb_build_object('N', i::text)))
     FROM generate_series(first, first + n - 1) i;
  RETURN n;
END $$;
CREATE FUNCTION ed_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
-- a mapping made with create_event_source_mapping; opts: its arguments
CREATE FUNCTION ed_map(fn text, t text, opts jsonb DEFAULT '{}') RETURNS uuid LANGUAGE sql AS $$
  SELECT (dynamo.create_event_source_mapping(fn, ed_arn(t),
      starting_position => COALESCE(opts->>'starting_position', 'TRIM_HORIZON'),
      starting_position_timestamp => (opts->>'starting_position_timestamp')::timestamptz,
      batch_size => (opts->>'batch_size')::int,
      maximum_batching_window_in_seconds => (opts->>'window')::int,
      parallelization_factor => (opts->>'parallelization_factor')::int,
      maximum_retry_attempts => (opts->>'maximum_retry_attempts')::int,
      maximum_record_age_in_seconds => (opts->>'maximum_record_age_in_seconds')::int,
      bisect_batch_on_function_error => (opts->>'bisect')::boolean,
      function_response_types => CASE WHEN opts ? 'report' THEN '{ReportBatchItemFailures}'::text[] END,
      filter_criteria => opts->'filter_criteria',
      destination_config => CASE WHEN opts ? 'destination' THEN
          jsonb_build_object('OnFailure', jsonb_build_object('Destination', opts->>'destination')) END,
      tumbling_window_in_seconds => (opts->>'tumbling')::int)->>'UUID')::uuid
$$;
-- the item ids of an event's records, e.g. 'i1 i2 i3'
CREATE FUNCTION ed_ids(ev json) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(r->'dynamodb'->'Keys'->'id'->>'S', ' ' ORDER BY o), '')
    FROM json_array_elements(ev->'Records') WITH ORDINALITY AS x(r, o)
$$;
-- the sequence number of the k-th record of an event
CREATE FUNCTION ed_seq(ev json, k int) RETURNS text LANGUAGE sql AS $$
  SELECT ev->'Records'->(k - 1)->'dynamodb'->>'SequenceNumber'
$$;
-- drive a function: receive batches and answer them as handler h would,
-- at most max_calls invocations; one line per invocation:
-- "<records>: <ids> -> <outcome>".  Handlers: ok (null response),
-- report4 (reports the 4th record's sequence number when there is one),
-- error4 (an error when there is a 4th record), report:<id> (reports the
-- record of item <id>), error (always an error).
CREATE FUNCTION ed_drive(fn text, h text, max_calls int DEFAULT 30) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE b record; n int; outcome text; calls int := 0; target text;
BEGIN
  LOOP
    EXIT WHEN calls >= max_calls;
    SELECT * INTO b FROM dynamo.receive_batch(fn);
    EXIT WHEN b.batch_id IS NULL;
    calls := calls + 1;
    n := json_array_length(b.event->'Records');
    IF h = 'ok' THEN
      outcome := dynamo.complete_batch(b.batch_id);
    ELSIF h = 'report4' THEN
      outcome := dynamo.complete_batch(b.batch_id, CASE WHEN n >= 4 THEN
        jsonb_build_object('batchItemFailures', jsonb_build_array(jsonb_build_object('itemIdentifier', ed_seq(b.event, 4))))
        ELSE '{"batchItemFailures":[]}' END);
    ELSIF h = 'error4' THEN
      outcome := CASE WHEN n >= 4 THEN dynamo.fail_batch(b.batch_id, 'Unhandled') ELSE dynamo.complete_batch(b.batch_id) END;
    ELSIF h = 'error' THEN
      outcome := dynamo.fail_batch(b.batch_id);
    ELSIF h LIKE 'report:%' THEN
      SELECT r->'dynamodb'->>'SequenceNumber' INTO target FROM json_array_elements(b.event->'Records') r
       WHERE r->'dynamodb'->'Keys'->'id'->>'S' = substr(h, 8);
      outcome := dynamo.complete_batch(b.batch_id, jsonb_build_object('batchItemFailures',
        CASE WHEN target IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('itemIdentifier', target)) END));
    END IF;
    RETURN NEXT n || ': ' || ed_ids(b.event) || ' -> ' || outcome;
  END LOOP;
END $$;
-- on-failure records of a function, masked (uuids, times, sequence numbers, shard ids, arns)
CREATE FUNCTION ed_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\m[0-9a-f]{32}\M', '<id>', 'g'),
    '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z', '<time>', 'g'),
    '[1-9][0-9]{39}', '<seq>', 'g'),
    'shardId-[0-9]{20}-[0-9a-f]{8}', '<shard>', 'g'),
    '/stream/[0-9T:.-]+', '/stream/<label>', 'g')
$$;
CREATE FUNCTION ed_failures(fn text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT ed_mask(record::text) FROM dynamo.event_source_mapping_failures WHERE function_name = fn ORDER BY failure_id
$$;

-- 8a: 10 records in one shard, batch_size 10, ReportBatchItemFailures, a
-- handler that fails the 4th record of every batch it gets: batches of
-- 10, 7, 4 and 1 records, then done (SPEC 4.7, as recorded from AWS)
SELECT ed_table('EdCheck', 10);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edcheck', 'EdCheck', '{"batch_size":10,"report":true}') IS NOT NULL;
SELECT * FROM ed_drive('edcheck', 'report4');
SELECT shard_id IS NOT NULL, checkpoint_sequence_number IS NOT NULL AS checkpointed, state, processed, failed
  FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edcheck' ORDER BY shard_id;

-- the event is {"Records":[...]} of the plugin's Lambda records, byte for byte
SELECT ed_table('EdShape', 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edshape', 'EdShape', '{"batch_size":2}') IS NOT NULL;
CREATE TABLE ed_events (batch_id bigint, event json);
INSERT INTO ed_events SELECT * FROM dynamo.receive_batch('edshape');
SELECT e.event::text = '{"Records":[' || string_agg(dynamo.render_record('lambda', s.stream_arn, s.stream_view_type,
           r.event_name, r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl,
           r.omitted), ',' ORDER BY r.sequence_number) || ']}' AS byte_exact
  FROM ed_events e, dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.stream_arn = ed_arn('EdShape')
   AND r.sequence_number IN (SELECT json_array_elements(e.event->'Records')->'dynamodb'->>'SequenceNumber')
 GROUP BY e.event::text;
SELECT ed_mask(regexp_replace(event->'Records'->>0, '"ApproximateCreationDateTime":[0-9]+', '"ApproximateCreationDateTime":<t>'))
  FROM ed_events;
-- one batch in flight per shard (and lane): nothing more until it is answered
SELECT count(*) AS while_leased FROM dynamo.receive_batch('edshape');
SELECT dynamo.complete_batch(batch_id) FROM ed_events;
-- a batch answered twice: the second answer is stale
SELECT dynamo.complete_batch(batch_id) FROM ed_events;
SELECT dynamo.fail_batch(batch_id) FROM ed_events;
SELECT * FROM ed_drive('edshape', 'ok');
SELECT * FROM ed_drive('edshape', 'ok');
-- records written later come next, in order
SELECT ed_table('EdShape', 2, 4);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edshape', 'ok');

-- parents before children, one batch never mixes shards: with four shards
-- whose records continue in child shards, each batch is of one shard and
-- every parent is read to its end before its child's first record
SELECT dynamo.create_table('EdLineage', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.pump() >= 0;
SELECT count(dynamo.put_item('EdLineage', jsonb_build_object('id', jsonb_build_object('S', 'a' || i)))) FROM generate_series(1, 40) i;
SELECT dynamo.pump() > 0 AS pumped;
-- roll the four shards over: each gets a child
SELECT dynamo._pump_lock(), dynamo._close_shards((SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdLineage')), true) AS rolled;
SELECT count(dynamo.put_item('EdLineage', jsonb_build_object('id', jsonb_build_object('S', 'b' || i)))) FROM generate_series(1, 40) i;
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edlineage', 'EdLineage', '{"batch_size":3}') IS NOT NULL;
CREATE TABLE ed_seen (n serial, batch_id bigint, shard_id text, seqs text[]);
DO $$
DECLARE b record;
BEGIN
  LOOP
    SELECT * INTO b FROM dynamo._lease_batch((SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edlineage'), 30);
    EXIT WHEN b.batch_id IS NULL;
    INSERT INTO ed_seen (batch_id, shard_id, seqs)
    SELECT b.batch_id, b.shard_id, array_agg(r->'dynamodb'->>'SequenceNumber' ORDER BY o)
      FROM json_array_elements(b.event->'Records') WITH ORDINALITY AS x(r, o);
    PERFORM dynamo.complete_batch(b.batch_id);
  END LOOP;
END $$;
-- every record once
SELECT count(*) AS delivered, count(DISTINCT s) AS distinct_records
  FROM ed_seen, unnest(seqs) s;
-- each batch's records belong to its shard and are in order
SELECT bool_and(r.shard_no = h.shard_no) AS one_shard_per_batch
  FROM ed_seen e JOIN dynamo._shards h ON h.shard_id = e.shard_id, unnest(e.seqs) s
  JOIN dynamo._records r ON r.sequence_number = s;
SELECT bool_and(seqs = (SELECT array_agg(x ORDER BY x COLLATE "C") FROM unnest(seqs) x)) AS in_order FROM ed_seen;
-- a shard's batches in order, and a child's first batch after its parent's last
SELECT bool_and(a.seqs[array_length(a.seqs, 1)] COLLATE "C" < b.seqs[1]) AS shard_in_order
  FROM ed_seen a JOIN ed_seen b ON a.shard_id = b.shard_id AND b.n = (SELECT min(n) FROM ed_seen c WHERE c.shard_id = a.shard_id AND c.n > a.n);
SELECT bool_and((SELECT max(p.n) FROM ed_seen p WHERE p.shard_id = h.parent_shard_id)
                < (SELECT min(c.n) FROM ed_seen c WHERE c.shard_id = h.shard_id)) AS parents_first
  FROM dynamo._shards h
 WHERE h.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdLineage'))
   AND h.parent_shard_id IS NOT NULL AND EXISTS (SELECT FROM ed_seen c WHERE c.shard_id = h.shard_id);
SELECT state, count(*) FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edlineage' GROUP BY state ORDER BY state;

-- starting positions: LATEST skips what is there; AT_TIMESTAMP starts at
-- the first record created at or after the timestamp
SELECT ed_table('EdStart', 4);
SELECT dynamo.pump() > 0 AS pumped;
UPDATE dynamo._records r SET created_at = '2026-01-01 00:00:00+00'::timestamptz + (k || ' minutes')::interval
  FROM (SELECT sequence_number, row_number() OVER (ORDER BY sequence_number) k FROM dynamo._records
         WHERE stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdStart'))) x
 WHERE r.sequence_number = x.sequence_number;
SELECT ed_map('edlatest', 'EdStart', '{"starting_position":"LATEST"}') IS NOT NULL;
SELECT ed_map('edat', 'EdStart', '{"starting_position":"AT_TIMESTAMP","starting_position_timestamp":"2026-01-01 00:03:00+00"}') IS NOT NULL;
SELECT ed_map('edtrim', 'EdStart', '{}') IS NOT NULL;
-- the lanes are placed when a mapping is first leased (or by _esm_init_shards at creation)
SELECT dynamo._esm_init_shards(uuid) > 0 FROM dynamo._event_source_mappings WHERE function_name IN ('edlatest', 'edat', 'edtrim') ORDER BY function_name;
SELECT ed_table('EdStart', 1, 5);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edlatest', 'ok');
SELECT * FROM ed_drive('edat', 'ok');
SELECT * FROM ed_drive('edtrim', 'ok');

-- bad input: "SQLSTATE exception: message"
CREATE FUNCTION ed_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || coalesce(split_part(split_part(det, ':', 1), '.', 1), '') || ': ' || msg;
END $$;
SELECT ed_err($$SELECT * FROM dynamo.receive_batch('no-such-function')$$);
SELECT ed_err($$SELECT * FROM dynamo.receive_batch('edtrim', 0)$$);
SELECT ed_err($$SELECT * FROM dynamo.receive_batch('edtrim', 901)$$);
SELECT ed_err($$SELECT * FROM dynamo.receive_batch('edtrim', NULL)$$);
SELECT ed_err($$SELECT dynamo.complete_batch(NULL)$$);
SELECT ed_err($$SELECT dynamo.fail_batch(NULL)$$);
SELECT dynamo.complete_batch(-1), dynamo.fail_batch(-1);
-- a disabled mapping delivers nothing
SELECT dynamo.update_event_source_mapping((SELECT uuid::text FROM dynamo._event_source_mappings WHERE function_name = 'edtrim'), enabled => false)->>'State';
SELECT ed_table('EdStart', 1, 6);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edtrim', 'ok');
SELECT dynamo.update_event_source_mapping((SELECT uuid::text FROM dynamo._event_source_mappings WHERE function_name = 'edtrim'), enabled => true)->>'State';
SELECT * FROM ed_drive('edtrim', 'ok');
