-- 110_consumer_review: delivery checked against AWS Lambda's behaviour for
-- DynamoDB streams (consumer review).  Uses the ed_* helpers of 105.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;

-- Pump steps in one transaction: a second step takes nothing that the
-- first took and has not committed yet, so a loop of steps ends.
SELECT ed_table('CrPump', 5);
SET statement_timeout = '60s';
DO $$ DECLARE n bigint; steps int := 0; total bigint := 0;
BEGIN
  LOOP
    n := dynamo.pump();
    steps := steps + 1;
    total := total + n;
    EXIT WHEN n = 0 OR steps > 50;
  END LOOP;
  RAISE NOTICE 'steps %, records %', steps, total;
END $$;
DO $$ BEGIN WHILE dynamo.pump() > 0 LOOP END LOOP; END $$;
-- with max_changes smaller than a transaction, over several transactions
SELECT ed_table('CrPump', 3, 6);
SELECT ed_table('CrPump', 1, 9);
SELECT ed_table('CrPump', 2, 10);
DO $$ DECLARE n bigint; steps int := 0; total bigint := 0;
BEGIN
  LOOP
    n := dynamo.pump(1);
    steps := steps + 1;
    total := total + n;
    EXIT WHEN n = 0 OR steps > 50;
  END LOOP;
  RAISE NOTICE 'records %, ended %', total, steps <= 50;
END $$;
DO $$ BEGIN WHILE dynamo.pump(1) > 0 LOOP END LOOP; END $$;
RESET statement_timeout;
SELECT count(*) AS records FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.stream_arn = ed_arn('CrPump');

-- StartingPosition LATEST is fixed when the mapping is created (AWS: "LATEST
-- - Read only new records", from the time the mapping is created; Lambda
-- developer guide, CreateEventSourceMapping StartingPosition): records
-- written after the creation and before the first poll are delivered,
-- records written before it never are.
SELECT ed_table('CrLatest', 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crlatest', 'CrLatest', '{"starting_position":"LATEST","batch_size":10}') IS NOT NULL;
SELECT ed_table('CrLatest', 2, 4);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('crlatest', 'ok');
SELECT * FROM ed_drive('crlatest', 'ok');
-- records committed before the creation but pumped after it are not new
SELECT ed_table('CrLatePump', 3);
SELECT ed_map('crlatepump', 'CrLatePump', '{"starting_position":"LATEST","batch_size":10}') IS NOT NULL;
SELECT ed_table('CrLatePump', 2, 4);
SELECT dynamo.pump() > 0 AS pumped;
SELECT * FROM ed_drive('crlatepump', 'ok');

-- ReportBatchItemFailures, retries exhausted on a batch whose first record
-- is reported: the retried batch (from the lowest reported record on) is
-- discarded as a whole and the on-failure record covers it (localstack's
-- stream poller, which its AWS-validated test_dynamodb_report_batch_item_
-- failures drives: the retried events are the batch from the lowest
-- failure, sent to the destination with batchSize = their count).  With 8
-- records, batch_size 3, maximum_retry_attempts 2 and item i6 always
-- reported: i6 i7 i8 come 3 times, one on-failure record of batchSize 3.
SELECT ed_table('CrTail', 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crtail', 'CrTail', '{"batch_size":3,"report":true,"maximum_retry_attempts":2,"destination":"arn:aws:sqs:us-east-1:000000000000:dlq"}') IS NOT NULL;
SELECT * FROM ed_drive('crtail', 'report:i6');
SELECT record->'requestContext'->'approximateInvokeCount' AS invokes,
       record->'DDBStreamBatchInfo'->'batchSize' AS batch_size,
       record->'DDBStreamBatchInfo'->>'startSequenceNumber' < record->'DDBStreamBatchInfo'->>'endSequenceNumber' AS spans
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'crtail';

-- ReportBatchItemFailures with bisect_batch_on_function_error: "When a
-- partial batch success response is received and both
-- BisectBatchOnFunctionError and ReportBatchItemFailures are turned on, the
-- batch is bisected at the returned sequence number and Lambda retries only
-- the remaining records" (Lambda developer guide, "Configuring partial batch
-- response with DynamoDB and Lambda").  Batch i1..i4 reporting i2: the
-- retries are i2 i3 i4 (not i2..i5); exhausted, the on-failure record
-- covers those three; then i5.. go on.
SELECT ed_table('CrBisectPartial', 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crbisectpartial', 'CrBisectPartial', '{"batch_size":4,"report":true,"bisect":true,"maximum_retry_attempts":2}') IS NOT NULL;
SELECT * FROM ed_drive('crbisectpartial', 'report:i2');
SELECT record->'requestContext'->'approximateInvokeCount' AS invokes,
       record->'DDBStreamBatchInfo'->'batchSize' AS batch_size
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'crbisectpartial';
-- the retried remainder succeeds: the next batch starts after it, full size
SELECT ed_table('CrBisectPartial2', 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crbisectpartial2', 'CrBisectPartial2', '{"batch_size":4,"report":true,"bisect":true}') IS NOT NULL;
SELECT * FROM ed_drive('crbisectpartial2', 'report:i3', 2);
SELECT * FROM ed_drive('crbisectpartial2', 'ok');
-- without bisect the retry reads from the checkpoint again (i2..i5)
SELECT ed_table('CrPartialPlain', 8);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crpartialplain', 'CrPartialPlain', '{"batch_size":4,"report":true}') IS NOT NULL;
SELECT * FROM ed_drive('crpartialplain', 'report:i2', 2);
SELECT * FROM ed_drive('crpartialplain', 'ok');

-- Tumbling windows: "the Lambda function response must contain a state
-- property. If the response does not contain a state property, Lambda
-- considers this a failed invocation" (Lambda developer guide, "Stateful
-- DynamoDB stream processing in Lambda").  A response without state (null,
-- {}, a partial batch response alone, a state that is no object) fails the
-- batch: retried, then discarded with functionError null; {"state":{}} is
-- a success.
SELECT ed_table('CrWindow', 2);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_map('crwindow', 'CrWindow', '{"batch_size":10,"tumbling":900,"maximum_retry_attempts":4,"report":true}') IS NOT NULL;
CREATE FUNCTION cr_answer(fn text, r jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE b record;
BEGIN
  SELECT * INTO b FROM dynamo.receive_batch(fn);
  RETURN ed_ids(b.event) || ' -> ' || dynamo.complete_batch(b.batch_id, r);
END $$;
SELECT cr_answer('crwindow', NULL);
SELECT cr_answer('crwindow', '{}');
SELECT cr_answer('crwindow', '{"batchItemFailures":[]}');
SELECT cr_answer('crwindow', '{"state":"x"}');
SELECT cr_answer('crwindow', '{"state":null}');
SELECT record->'requestContext'->'approximateInvokeCount' AS invokes, record->'responseContext'->'functionError' AS function_error,
       record->'DDBStreamBatchInfo'->'batchSize' AS batch_size
  FROM dynamo.event_source_mapping_failures WHERE function_name = 'crwindow';
SELECT ed_table('CrWindow', 1, 3);
SELECT dynamo.pump() > 0 AS pumped;
SELECT ed_ids(event), dynamo.complete_batch(batch_id, '{"state":{}}') FROM dynamo.receive_batch('crwindow');
SELECT last_processing_result FROM dynamo._event_source_mappings WHERE function_name = 'crwindow';
