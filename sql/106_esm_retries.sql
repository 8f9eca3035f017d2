-- 106_esm_retries: function errors, bisect, retries, record age and the
-- on-failure records (SPEC 4.7; issue 8b, 8c).  Uses the ed_* helpers of
-- 105_esm_delivery.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;

-- 8b: the handler raises an error when the batch has a 4th record; with
-- bisect_batch_on_function_error: invocations of 10, 5, 2, 3, 5, 2, 3
-- (each half holding a 4th record fails and is split again; halves in
-- order; splits consume no retries: maximum_retry_attempts 0 is enough)
SELECT ed_table('EdBisect', 10);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edbisect', 'EdBisect', '{"batch_size":10,"bisect":true,"maximum_retry_attempts":0}') IS NOT NULL;
SELECT * FROM ed_drive('edbisect', 'error4');
SELECT count(*) AS on_failure_records FROM dynamo.event_source_mapping_failures WHERE function_name = 'edbisect';

-- without bisect and with maximum_retry_attempts -1: the same 10 again and
-- again, until the records expire (here: trimmed by retention)
SELECT ed_table('EdForever', 10);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edforever', 'EdForever', '{"batch_size":10}') IS NOT NULL;
SELECT * FROM ed_drive('edforever', 'error4', 5);
SELECT state, attempts FROM dynamo.event_source_mapping_checkpoints
 WHERE function_name = 'edforever' AND state <> 'Done';
-- retention trims the ten: nothing more to deliver, no on-failure record
UPDATE dynamo._shards h SET trimmed_seq = (SELECT max(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = h.shard_no)
 WHERE h.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdForever'));
SELECT * FROM ed_drive('edforever', 'error4', 5);
SELECT count(*) AS on_failure_records FROM dynamo.event_source_mapping_failures WHERE function_name = 'edforever';
-- the shard goes on after the trimmed records
SELECT ed_table('EdForever', 2, 11);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edforever', 'error4', 5);

-- 8c: 6 records, batch_size 3, maximum_retry_attempts 3, the 6th always
-- reported failed: it is delivered 4 times in all, then exactly one
-- on-failure record (batchSize 1, approximateInvokeCount 4, functionError
-- null: the function answered), and the shard moves on
SELECT ed_table('EdPoison', 6);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edpoison', 'EdPoison', '{"batch_size":3,"report":true,"maximum_retry_attempts":3}') IS NOT NULL;
SELECT * FROM ed_drive('edpoison', 'report:i6');
SELECT * FROM ed_failures('edpoison');
SELECT ed_table('EdPoison', 2, 7);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edpoison', 'report:i6');
SELECT count(*) AS on_failure_records FROM dynamo.event_source_mapping_failures WHERE function_name = 'edpoison';
-- the on-failure record names the discarded records
SELECT (f.record->'DDBStreamBatchInfo'->>'startSequenceNumber') = r.sequence_number
       AND (f.record->'DDBStreamBatchInfo'->>'endSequenceNumber') = r.sequence_number AS names_i6,
       f.record->'DDBStreamBatchInfo'->>'streamArn' = ed_arn('EdPoison') AS stream_arn,
       f.record->'DDBStreamBatchInfo'->>'shardId' = (SELECT shard_id FROM dynamo._shards WHERE shard_no = r.shard_no) AS shard_id,
       f.record->'DDBStreamBatchInfo'->>'approximateArrivalOfFirstRecord'
         = to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS arrival,
       f.uuid = (SELECT uuid FROM dynamo._event_source_mappings WHERE function_name = 'edpoison') AS mapping
  FROM dynamo.event_source_mapping_failures f, dynamo._records r
 WHERE f.function_name = 'edpoison' AND r.keys = '{"id":{"S":"i6"}}'
   AND r.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdPoison'));

-- a function error, retries exhausted: functionError "Unhandled", the whole
-- batch; maximum_retry_attempts 0: one delivery only; an S3 destination's
-- record carries the records under payload.Records
SELECT ed_table('EdError', 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('ederror', 'EdError', '{"batch_size":2,"maximum_retry_attempts":1,"destination":"arn:aws:s3:::ed-bucket"}') IS NOT NULL;
SELECT * FROM ed_drive('ederror', 'error');
SELECT ed_mask(regexp_replace(f::text, '"payload".*', '...')) FROM ed_failures('ederror') f;
SELECT ed_ids((record->'payload')::json) AS payload_ids,
       record->'payload'->'Records'->>0 = (SELECT dynamo.render_record('lambda', s.stream_arn, s.stream_view_type,
           r.event_name, r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted)
           FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
          WHERE s.stream_arn = ed_arn('EdError')
            AND r.sequence_number = record->'DDBStreamBatchInfo'->>'startSequenceNumber') AS payload_exact
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'ederror' ORDER BY failure_id;
-- an SQS destination: no payload
SELECT ed_table('EdSqs', 1);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edsqs', 'EdSqs', '{"maximum_retry_attempts":0,"destination":"arn:aws:sqs:us-east-1:000000000000:dlq"}') IS NOT NULL;
SELECT * FROM ed_drive('edsqs', 'error');
SELECT record::jsonb ? 'payload' AS has_payload, destination FROM dynamo.event_source_mapping_failures WHERE function_name = 'edsqs';
-- fail_batch('Handled'): functionError Handled
SELECT ed_table('EdSqs', 1, 2);
SELECT dynamo.pump() > 0 AS pumped;
SELECT dynamo.fail_batch(batch_id, 'Handled') FROM dynamo.receive_batch('edsqs');
SELECT record->'responseContext' FROM dynamo.event_source_mapping_failures WHERE function_name = 'edsqs' ORDER BY failure_id;

-- maximum_record_age_in_seconds: records older than it are never
-- delivered; one RecordAgeExceeded record (no responseContext) per batch
-- of them, then the younger records
SELECT ed_table('EdAge', 5);
SELECT dynamo.pump() > 0 AS pumped;
UPDATE dynamo._records r SET created_at = now() - interval '2 hours'
 WHERE r.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdAge'))
   AND r.keys IN ('{"id":{"S":"i1"}}', '{"id":{"S":"i2"}}', '{"id":{"S":"i3"}}');
SELECT ed_map('edage', 'EdAge', '{"batch_size":2,"maximum_record_age_in_seconds":3600}') IS NOT NULL;
SELECT * FROM ed_drive('edage', 'ok');
SELECT * FROM ed_failures('edage');
-- a record that grows too old while it is retried goes the same way
SELECT ed_table('EdAge', 1, 6);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('edage', 'error', 2);
UPDATE dynamo._records r SET created_at = now() - interval '2 hours'
 WHERE r.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ed_arn('EdAge')) AND r.keys = '{"id":{"S":"i6"}}';
SELECT * FROM ed_drive('edage', 'error', 2);
SELECT * FROM ed_failures('edage');

-- an expired lease counts as a failed attempt: the batch comes again,
-- and the late answer to the expired lease is stale
SELECT ed_table('EdLease', 2);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edlease', 'EdLease', '{"maximum_retry_attempts":1}') IS NOT NULL;
CREATE TABLE ed_lease AS SELECT * FROM dynamo.receive_batch('edlease', 1);
SELECT ed_ids(event) FROM ed_lease;
SELECT pg_sleep(1.2);
SELECT ed_ids(event), batch_id > (SELECT batch_id FROM ed_lease) AS new_batch FROM dynamo.receive_batch('edlease', 1);
SELECT attempts FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edlease' AND state <> 'Done';
SELECT dynamo.complete_batch(batch_id) AS late_answer FROM ed_lease;
SELECT pg_sleep(1.2);
-- the second expiry exhausts the retry: discarded
SELECT count(*) FROM dynamo.receive_batch('edlease', 1);
SELECT ed_mask(record->'requestContext'->>'condition'), record->'requestContext'->'approximateInvokeCount',
       record->'responseContext'->>'functionError', record->'DDBStreamBatchInfo'->'batchSize'
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'edlease';
