-- 107_esm_partial_response: every shape of the partial batch response
-- table of SPEC 4.7 (issue 8d), as the Lambda developer guide states it
-- ("Configuring partial batch response with DynamoDB and Lambda", Success
-- and failure conditions): complete success for an empty or null
-- batchItemFailures list and an empty or null response; complete failure
-- for an empty-string or null itemIdentifier or one with a bad key name;
-- the checkpoint goes before the lowest sequence number reported.  Uses
-- the ed_* helpers of 105_esm_delivery.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
SELECT ed_table('EdPartial', 120);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edpartial', 'EdPartial', '{"batch_size":3,"report":true}') IS NOT NULL;
-- one case: lease a batch, answer it with response (#1, #2, #3: the
-- sequence numbers of its records), show the outcome and the next batch
-- (then answered with success, so that every case starts afresh)
CREATE FUNCTION ed_case(fn text, response text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE b record; c record; outcome text; r text := response; nxt text;
BEGIN
  SELECT * INTO b FROM dynamo.receive_batch(fn);
  FOR k IN 1..3 LOOP
    r := replace(r, '#' || k, coalesce(ed_seq(b.event, k), ''));
  END LOOP;
  outcome := dynamo.complete_batch(b.batch_id, r::jsonb);
  SELECT * INTO c FROM dynamo.receive_batch(fn);
  nxt := ed_ids(c.event);
  PERFORM dynamo.complete_batch(c.batch_id);
  RETURN rpad(coalesce(response, 'NULL'), 84) || ed_ids(b.event) || ' -> ' || rpad(outcome, 7) || ' next: ' || nxt;
END $$;
-- success: checkpoint after the batch
SELECT ed_case('edpartial', NULL);
SELECT ed_case('edpartial', 'null');
SELECT ed_case('edpartial', '{}');
SELECT ed_case('edpartial', '[]');
SELECT ed_case('edpartial', '{"batchItemFailures":[]}');
SELECT ed_case('edpartial', '{"batchItemFailures":null}');
SELECT ed_case('edpartial', '{"somethingElse":true}');
-- failures naming records of the batch: checkpoint before the lowest
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"#2"}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"#3"},{"itemIdentifier":"#2"}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"#1"}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"#3","other":1}]}');
-- an itemIdentifier empty, null, missing, not of the batch, not a string:
-- the whole batch failed
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":""}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":null}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemId":"#2"}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"1000000000000000000000"}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":"#2"},{"itemIdentifier":""}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":[{"itemIdentifier":12}]}');
SELECT ed_case('edpartial', '{"batchItemFailures":["#2"]}');
SELECT ed_case('edpartial', '{"batchItemFailures":"#2"}');
SELECT ed_case('edpartial', '"#2"');
-- a partial failure counts as a retry
SELECT attempts FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpartial' AND state <> 'Done';
SELECT dynamo.complete_batch(batch_id, jsonb_build_object('batchItemFailures',
         jsonb_build_array(jsonb_build_object('itemIdentifier', ed_seq(event, 2)))))
  FROM dynamo.receive_batch('edpartial');
SELECT attempts FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpartial' AND state <> 'Done';
SELECT * FROM ed_drive('edpartial', 'ok', 1);
SELECT attempts FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edpartial' AND state <> 'Done';

-- without ReportBatchItemFailures any response is success
SELECT ed_table('EdNoReport', 6);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('ednoreport', 'EdNoReport', '{"batch_size":3}') IS NOT NULL;
SELECT ed_case('ednoreport', '{"batchItemFailures":[{"itemIdentifier":"#2"}]}');

-- an invalid partial response, retries exhausted: functionError null
SELECT ed_table('EdInvalid', 2);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('edinvalid', 'EdInvalid', '{"batch_size":2,"report":true,"maximum_retry_attempts":0,"bisect":true}') IS NOT NULL;
-- (an invalid response is no function error: no bisect)
SELECT dynamo.complete_batch(batch_id, '{"batchItemFailures":[{"itemIdentifier":""}]}') FROM dynamo.receive_batch('edinvalid');
SELECT record->'requestContext'->'approximateInvokeCount', record->'responseContext',
       record->'DDBStreamBatchInfo'->'batchSize'
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'edinvalid';
-- a partial failure, retries exhausted: the records from the lowest
-- failure on are discarded, those before it were processed
SELECT ed_table('EdInvalid', 4, 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT dynamo.complete_batch(batch_id, jsonb_build_object('batchItemFailures',
         jsonb_build_array(jsonb_build_object('itemIdentifier', ed_seq(event, 2)))))
  FROM dynamo.receive_batch('edinvalid');
SELECT record->'requestContext'->'approximateInvokeCount', record->'responseContext',
       record->'DDBStreamBatchInfo'->'batchSize'
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'edinvalid' ORDER BY failure_id;
SELECT * FROM ed_drive('edinvalid', 'ok');
SELECT processed, failed FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'edinvalid' AND state <> 'Done';
