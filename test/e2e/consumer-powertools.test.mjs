// test/e2e/consumer-powertools.test.mjs: a real DynamoDB Streams consumer
// built on @aws-lambda-powertools/batch reads an event source mapping
// through receive_batch, and its partial batch responses drive
// complete_batch.
//
// The handler is what a Lambda function with ReportBatchItemFailures runs:
// BatchProcessor(EventType.DynamoDBStreams) with processPartialResponse,
// which answers {"batchItemFailures":[{"itemIdentifier":<SequenceNumber>}]}
// for the records whose handler threw.  SPEC 4.7 (as recorded from AWS):
// a handler that fails the 4th record of every batch it gets, on 10
// records of one shard with batch size 10, gets batches of 10, 7, 4 and 1
// records.  A batch whose every record fails makes processPartialResponse
// throw (FullBatchFailureError), which a Lambda runtime reports as a
// function error: fail_batch.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBStreamSchema } from '@aws-lambda-powertools/parser/schemas';
import { psql, value, rows, freshDatabase, dropDatabase, jsonb, lit } from './lib/pg.mjs';

const DB = 'e2e_consumer_powertools';
const TABLE = 'E2eConsumer';
let streamArn;

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.pump();`);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'id', 'N', NULL, NULL, 'NEW_AND_OLD_IMAGES');
            UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = ${lit(TABLE)};`);
  // ten records in one shard: ids 1..10, each its own transaction
  psql(DB, Array.from({ length: 10 }, (_, i) =>
    `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb({ id: { N: String(i + 1) }, n: { N: String(i + 1) } })});\n`).join(''));
  psql(DB, `SELECT dynamo.pump();`);
  streamArn = value(DB, `SELECT stream_arn FROM dynamo._streams WHERE table_name = ${lit(TABLE)}`);
});

after(() => dropDatabase(DB));

// One invocation: lease the next batch of fn (or null when there is none).
function receive(fn) {
  const r = rows(DB, `SELECT batch_id, event FROM dynamo.receive_batch(${lit(fn)}, 60);`);
  if (r.length === 0) return null;
  return { batchId: r[0][0], event: JSON.parse(r[0][1]) };
}

// Run the Powertools handler on one batch and hand its outcome to
// complete_batch (a response) or fail_batch (the handler threw).
async function invoke(fn, batch, recordHandler) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  try {
    const response = await processPartialResponse(batch.event, recordHandler, processor);
    return value(DB, `SELECT dynamo.complete_batch(${batch.batchId}, ${jsonb(response)});`);
  } catch (err) {
    return value(DB, `SELECT dynamo.fail_batch(${batch.batchId}, ${lit(err.name)});`);
  }
}

test('the leased event is a DynamoDB Streams event Powertools accepts', () => {
  psql(DB, `SELECT dynamo.create_event_source_mapping('e2e-peek', ${lit(streamArn)}, 'TRIM_HORIZON',
                                                     batch_size => 10);`);
  const batch = receive('e2e-peek');
  const parsed = DynamoDBStreamSchema.parse(batch.event);
  assert.equal(parsed.Records.length, 10);
  assert.deepEqual(parsed.Records.map((r) => r.dynamodb.NewImage.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(parsed.Records.every((r) => r.eventName === 'INSERT' && r.eventSourceARN === streamArn));
  assert.equal(value(DB, `SELECT dynamo.complete_batch(${batch.batchId});`), 'SUCCESS');
  assert.equal(receive('e2e-peek'), null);
});

test('failing the 4th record of every batch: batches of 10, 7, 4 and 1', async () => {
  psql(DB, `SELECT dynamo.create_event_source_mapping('e2e-fourth', ${lit(streamArn)}, 'TRIM_HORIZON',
              batch_size => 10, function_response_types => '{ReportBatchItemFailures}');`);
  const sizes = [];
  const outcomes = [];
  const processedIds = [];
  for (let batch = receive('e2e-fourth'); batch; batch = receive('e2e-fourth')) {
    sizes.push(batch.event.Records.length);
    const fourth = batch.event.Records[3]?.dynamodb.SequenceNumber;
    const outcome = await invoke('e2e-fourth', batch, async (record) => {
      if (record.dynamodb.SequenceNumber === fourth) throw new Error('the 4th record fails');
      processedIds.push(Number(record.dynamodb.Keys.id.N));
    });
    outcomes.push(outcome);
    assert.ok(sizes.length < 10, `too many batches: ${sizes}`);
  }
  assert.deepEqual(sizes, [10, 7, 4, 1]);
  assert.deepEqual(outcomes, ['PARTIAL', 'PARTIAL', 'PARTIAL', 'SUCCESS']);
  // every record was handled successfully at least once; 4, 7 and 10 each
  // came again at the head of the next batch
  assert.deepEqual([...new Set(processedIds)].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // the checkpoint is after the last record: nothing is left
  assert.equal(value(DB, `SELECT count(*) FROM dynamo._esm_batches b JOIN dynamo._event_source_mappings m
                           ON m.uuid = b.mapping WHERE m.function_name = 'e2e-fourth';`), '0');
});

test('a batch whose every record fails is a function error (fail_batch), retried', async () => {
  psql(DB, `SELECT dynamo.create_event_source_mapping('e2e-all', ${lit(streamArn)}, 'TRIM_HORIZON',
              batch_size => 3, maximum_retry_attempts => 1,
              function_response_types => '{ReportBatchItemFailures}');`);
  const first = receive('e2e-all');
  const firstSeqs = first.event.Records.map((r) => r.dynamodb.SequenceNumber);
  assert.equal(await invoke('e2e-all', first, async () => { throw new Error('down'); }), 'FAILED');
  // the same three records again (one retry allowed), then they succeed
  const second = receive('e2e-all');
  assert.deepEqual(second.event.Records.map((r) => r.dynamodb.SequenceNumber), firstSeqs);
  assert.equal(await invoke('e2e-all', second, async () => {}), 'SUCCESS');
  const third = receive('e2e-all');
  assert.equal(Number(third.event.Records[0].dynamodb.Keys.id.N), 4);
  assert.equal(await invoke('e2e-all', third, async () => {}), 'SUCCESS');
});

test('a rewind brings the records again, through the same consumer', async () => {
  psql(DB, `SELECT dynamo.rewind('e2e-fourth', '2000-01-01');`);
  const ids = [];
  for (let batch = receive('e2e-fourth'); batch; batch = receive('e2e-fourth')) {
    assert.equal(await invoke('e2e-fourth', batch, async (record) => {
      ids.push(Number(record.dynamodb.NewImage.id.N));
    }), 'SUCCESS');
  }
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
