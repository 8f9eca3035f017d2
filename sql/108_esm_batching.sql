-- 108_esm_batching: batch_size, maximum_batching_window_in_seconds, the
-- 6 MB payload cap, and tumbling windows with state (issue 8j).  Windows
-- come from ApproximateCreationDateTime; the event adds window{start,end},
-- state, shardId, eventSourceARN, isFinalInvokeForWindow and
-- isWindowTerminatedEarly (the Lambda developer guide, "Using tumbling
-- windows with DynamoDB", sample event).  Uses the ed_* helpers of
-- 105_esm_delivery.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
-- set the creation times of a table's records: item id => time
CREATE FUNCTION ed_times(t text, times jsonb) RETURNS int LANGUAGE sql AS $$
  WITH u AS (
    UPDATE dynamo._records r SET created_at = (times->>(r.keys::jsonb->'id'->>'S'))::timestamptz
     WHERE r.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn(t))
       AND times ? (r.keys::jsonb->'id'->>'S')
    RETURNING 1)
  SELECT count(*)::int FROM u
$$;
-- an event without its records: ids, then the members after "Records"
CREATE FUNCTION ed_window_event(ev json) RETURNS text LANGUAGE sql AS $$
  SELECT '[' || ed_ids(ev) || '] ' || regexp_replace(regexp_replace(substring(ev::text from '^\{"Records":\[.*?\]\}?,?("window".*)$'),
           'shardId-[0-9]{20}-[0-9a-f]{8}', '<shard>', 'g'), '"eventSourceARN":"[^"]*"', '"eventSourceARN":<arn>')
$$;
-- receive a batch of fn and answer it with response (NULL: leave it leased)
CREATE FUNCTION ed_window_step(fn text, response jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE b record; outcome text;
BEGIN
  SELECT * INTO b FROM dynamo.receive_batch(fn);
  IF b.batch_id IS NULL THEN
    RETURN 'nothing';
  END IF;
  outcome := dynamo.complete_batch(b.batch_id, response);
  RETURN ed_window_event(b.event) || ' -> ' || outcome;
END $$;

-- batch_size
SELECT ed_table('EdSize', 7);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edsize', 'EdSize', '{"batch_size":3}') IS NOT NULL;
SELECT * FROM ed_drive('edsize', 'ok');

-- maximum_batching_window_in_seconds: a batch that is not full waits
-- until its first record is as old as the window
SELECT ed_table('EdWait', 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edwait', 'EdWait', '{"batch_size":5,"window":300}') IS NOT NULL;
SELECT * FROM ed_drive('edwait', 'ok');
SELECT ed_times('EdWait', jsonb_build_object('i1', now() - interval '301 seconds'));
SELECT * FROM ed_drive('edwait', 'ok');
-- a full batch goes at once
SELECT ed_table('EdWait', 7, 4);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edwait', 'ok');

-- the 6 MB payload cap: records of about 350 kB, batch_size 100: 17 fit
-- in 6 MB (6291456 bytes), the 18th would not
SELECT dynamo.create_table('EdBig', 'id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'EdBig';
SELECT dynamo.pump() >= 0;
SELECT count(dynamo.put_item('EdBig', jsonb_build_object('id', jsonb_build_object('S', 'i' || i),
                                                         'blob', jsonb_build_object('S', repeat('x', 350000)))))
  FROM generate_series(1, 20) i;
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edbig', 'EdBig', '{"batch_size":100}') IS NOT NULL;
CREATE TABLE ed_big AS SELECT batch_id, octet_length(event::text) AS bytes, json_array_length(event->'Records') AS n,
                              octet_length(event->'Records'->>0) AS record_bytes
                         FROM dynamo.receive_batch('edbig');
SELECT n, bytes <= 6291456 AS within_cap, bytes + record_bytes + 1 > 6291456 AS next_would_not_fit FROM ed_big;
SELECT dynamo.complete_batch(batch_id) FROM ed_big;
SELECT * FROM ed_drive('edbig', 'ok');

-- tumbling windows of 60 seconds, batch_size 2: records at 10:00:05,
-- 10:00:20, 10:00:50 (one window), 10:01:10, 10:01:30 (the next) and
-- 10:03:00; the state the function returns comes with the next invoke of
-- the window; the last invoke of a window says isFinalInvokeForWindow
SELECT ed_table('EdTumble', 6);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', '{"i1":"2026-01-01 10:00:05+00","i2":"2026-01-01 10:00:20+00","i3":"2026-01-01 10:00:50+00",
                              "i4":"2026-01-01 10:01:10+00","i5":"2026-01-01 10:01:30+00","i6":"2026-01-01 10:03:00+00"}');
SELECT ed_map('edtumble', 'EdTumble', '{"batch_size":2,"tumbling":60}') IS NOT NULL;
SELECT ed_window_step('edtumble', '{"state":{"sum":2}}');
SELECT ed_window_step('edtumble', '{"state":{"sum":3}}');
SELECT ed_window_step('edtumble', '{"state":{"sum":5}}');
SELECT ed_window_step('edtumble', '{"state":{"sum":6}}');
SELECT ed_window_step('edtumble', '{"state":{}}');
-- the window is byte for byte AWS's sample event's shape
SELECT ed_table('EdTumble', 1, 7);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', '{"i7":"2026-01-01 10:05:00+00"}');
SELECT regexp_replace(regexp_replace(regexp_replace(event::text, '"Records":\[.*\],"window"', '"Records":[...],"window"'),
         'shardId-[0-9]{20}-[0-9a-f]{8}', '<shard>', 'g'), '/stream/[0-9T:.-]+', '/stream/<label>') FROM dynamo.receive_batch('edtumble');
-- a window still open: its records are delivered, not as final; its final
-- invoke (no records) comes when the window is over
SELECT dynamo.complete_batch(batch_id, '{"state":{}}') FROM dynamo._esm_batches WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edtumble');
SELECT ed_table('EdTumble', 2, 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', jsonb_build_object('i8', dynamo._esm_window(now(), 900) + interval '1 second',
                                               'i9', dynamo._esm_window(now(), 900) + interval '2 seconds'));
-- (15-minute windows for this part, so that the present one stays open)
UPDATE dynamo._event_source_mappings SET batch_size = 1, tumbling_window_in_seconds = 900 WHERE function_name = 'edtumble';
SELECT regexp_replace(ed_window_step('edtumble', '{"state":{"n":1}}'), '"window":\{[^}]*\}', '"window":{<now>}');
SELECT regexp_replace(ed_window_step('edtumble', '{"state":{"n":2}}'), '"window":\{[^}]*\}', '"window":{<now>}');
SELECT ed_window_step('edtumble', '{"state":{}}') AS window_not_over;
-- (time passes: the window is over)
UPDATE dynamo._event_source_mappings SET tumbling_window_in_seconds = 60 WHERE function_name = 'edtumble';
SELECT ed_times('EdTumble', '{"i8":"2026-01-01 10:07:01+00","i9":"2026-01-01 10:07:02+00"}');
UPDATE dynamo._esm_shards SET window_start = '2026-01-01 10:07:00+00'
 WHERE mapping = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edtumble') AND window_start IS NOT NULL;
SELECT ed_window_step('edtumble', '{"state":{"n":3}}');
SELECT ed_window_step('edtumble', '{"state":{}}');
-- a state over 1 MB ends the window early: its final invoke comes at
-- once, with the last state that fitted, and the window's other records
-- start a window of their own
SELECT ed_table('EdTumble', 3, 10);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', '{"i10":"2026-01-01 10:09:01+00","i11":"2026-01-01 10:09:02+00","i12":"2026-01-01 10:09:03+00"}');
SELECT ed_window_step('edtumble', '{"state":{"n":10}}');
SELECT ed_window_step('edtumble', jsonb_build_object('state', jsonb_build_object('big', repeat('x', 1048576))));
SELECT ed_window_step('edtumble', '{"state":{"after":"final"}}');
SELECT ed_window_step('edtumble', '{"state":{"n":12}}');
SELECT ed_window_step('edtumble', '{"state":{}}');
-- a failed invoke keeps the window's state; the retry gets the same state
SELECT ed_table('EdTumble', 2, 13);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', '{"i13":"2026-01-01 10:11:00+00","i14":"2026-01-01 10:11:01+00"}');
SELECT ed_window_step('edtumble', '{"state":{"n":13}}');
SELECT dynamo.fail_batch(batch_id) FROM dynamo.receive_batch('edtumble');
SELECT ed_window_step('edtumble', '{"state":{"n":14}}');
SELECT ed_window_step('edtumble', '{"state":{}}');
-- a partial failure of a window's final batch: the window goes on, with
-- the state of that response (its records before the failure are done),
-- and its final invoke comes again
SELECT dynamo.update_event_source_mapping((SELECT uuid::text FROM dynamo._event_source_mappings WHERE function_name = 'edtumble'),
         batch_size => 2, function_response_types => '{ReportBatchItemFailures}')->>'BatchSize';
SELECT ed_table('EdTumble', 2, 15);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_times('EdTumble', '{"i15":"2026-01-01 10:13:00+00","i16":"2026-01-01 10:13:01+00"}');
SELECT ed_ids(event), dynamo.complete_batch(batch_id, jsonb_build_object('state', '{"n":15}'::jsonb,
         'batchItemFailures', jsonb_build_array(jsonb_build_object('itemIdentifier', ed_seq(event, 2)))))
  FROM dynamo.receive_batch('edtumble');
SELECT ed_window_step('edtumble', '{"state":{"n":16}}');
SELECT ed_window_step('edtumble', '{"state":{}}');
