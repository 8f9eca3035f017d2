// test/e2e/http-powertools.test.mjs: push delivery to a handler built on
// @aws-lambda-powertools/batch behind the Lambda Invoke API stub: the
// checkpointing rules of SPEC 4.7 hold over HTTP exactly as for SQL pull.
//
// Partial batch responses: a handler that fails the 4th record of every
// batch it gets, reporting it through ReportBatchItemFailures, on 10
// records of one shard with BatchSize 10 gets batches of 10, 7, 4 and 1
// records (AWS's behaviour: the checkpoint moves to just before the lowest
// reported failure and delivery resumes there; AWS Lambda developer guide,
// "Configuring partial batch response with DynamoDB and Lambda").
// Bisect: with BisectBatchOnFunctionError a batch whose handler throws is
// split in halves until the poison record is alone; only it goes to the
// on-failure destination (DDBStreamBatchInfo with batchSize 1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { startStub } from './lib/lambda-stub.mjs';
import {
  pushDatabase, dropPushDatabase, putItems, waitForRecords, createMapping, waitFor,
  caughtUp, metrics, failures, checkpoints, value, lit, psql,
} from './lib/push.mjs';

const DB = 'e2e_http_powertools';
const TABLE = 'PushOrders';
let stub;
let arn;
const batches = { fail4th: [], poison: [] };

before(async () => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const fail4th = async (event) => {
    batches.fail4th.push(event.Records.map((r) => r.dynamodb.Keys.id.S));
    let i = 0;
    return processPartialResponse(event, async () => {
      i += 1;
      if (i === 4) throw new Error('the 4th record fails');
    }, processor);
  };
  // throws (a function error) whenever the batch holds item "p6"
  const poison = async (event) => {
    const ids = event.Records.map((r) => r.dynamodb.NewImage.id.S);
    batches.poison.push(ids);
    if (ids.includes('p6')) throw new Error('poison record');
    return {};
  };
  stub = await startStub({ handlers: { fail4th, poison } });
  arn = pushDatabase(DB, TABLE);
});

after(async () => {
  dropPushDatabase(DB);
  await stub.close();
});

const invokeUrl = (name) => `http://127.0.0.1:${stub.port}/2015-03-31/functions/${name}/invocations`;

test('partial batch responses over HTTP: batches of 10, 7, 4 and 1', async () => {
  putItems(DB, TABLE, Array.from({ length: 10 }, (_, i) => ({ id: `r${String(i + 1).padStart(2, '0')}` })));
  await waitForRecords(DB, TABLE, 10);
  const uuid = createMapping(DB, 'fail4th', arn, {
    batch_size: 10, function_response_types: ['ReportBatchItemFailures'], function_url: invokeUrl('fail4th'),
  });
  await waitFor(() => caughtUp(DB, uuid) && batches.fail4th.length >= 4, 30000, 'the mapping to catch up');
  assert.deepEqual(batches.fail4th.map((b) => b.length), [10, 7, 4, 1]);
  assert.deepEqual(batches.fail4th[1][0], 'r04');
  assert.deepEqual(batches.fail4th[2][0], 'r07');
  assert.deepEqual(batches.fail4th[3], ['r10']);
  // the checkpoint is the last record's sequence number; nothing failed
  const lastSeq = value(DB, `SELECT max(sequence_number) FROM dynamo._records`);
  const cps = checkpoints(DB, uuid).map((c) => c[1]).filter((c) => c !== '');
  assert.deepEqual(cps, [lastSeq]);
  assert.equal(failures(DB, uuid).length, 0);
  const m = metrics(DB, uuid);
  assert.equal(m.invokes, 4);
  assert.equal(m.errors, 0);
  assert.equal(m.last_status, 'OK');
  assert.equal(m.last_http_status, 200);
  assert.equal(m.target_type, 'Invoke');
  assert.ok(m.latency_p50_ms > 0 && m.latency_p99_ms >= m.latency_p50_ms);
  assert.equal(value(DB, `SELECT last_processing_result FROM dynamo._event_source_mappings
                           WHERE uuid = ${lit(uuid)}`), 'OK');
  // each request was a Lambda Invoke API call of the whole batch
  const req = stub.log.find((e) => e.name === 'fail4th');
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers['x-amz-invocation-type'], 'RequestResponse');
  assert.equal(req.event.Records[0].eventSource, 'aws:dynamodb');
  assert.equal(req.event.Records[0].eventSourceARN, arn);
});

test('bisect over HTTP: only the poison record is discarded', async () => {
  psql(DB, 'DELETE FROM dynamo._esm_failures');
  const before = Number(value(DB, 'SELECT count(*) FROM dynamo._records'));
  putItems(DB, TABLE, Array.from({ length: 8 }, (_, i) => ({ id: `p${i + 1}` })));
  await waitForRecords(DB, TABLE, before + 8);
  const uuid = createMapping(DB, 'poison', arn, {
    starting_position: 'LATEST', batch_size: 8, bisect_batch_on_function_error: true,
    maximum_retry_attempts: 1, function_url: invokeUrl('poison'),
  });
  // LATEST: the mapping starts after the records there are when it first
  // reads its shards; wait for that, then write again
  await waitFor(() => checkpoints(DB, uuid).length > 0, 20000, 'the mapping to start');
  const seen = before + 8;
  putItems(DB, TABLE, Array.from({ length: 8 }, (_, i) => ({ id: `p${i + 1}`, v: 'again' })));
  await waitForRecords(DB, TABLE, seen + 8);
  await waitFor(() => caughtUp(DB, uuid) && failures(DB, uuid).length === 1, 60000, 'the poison record to be discarded');
  const f = failures(DB, uuid);
  assert.equal(f.length, 1);
  const { record } = f[0];
  assert.equal(f[0].condition, 'RetryAttemptsExhausted');
  assert.equal(record.DDBStreamBatchInfo.batchSize, 1);
  assert.equal(record.DDBStreamBatchInfo.startSequenceNumber, record.DDBStreamBatchInfo.endSequenceNumber);
  assert.equal(record.responseContext.functionError, 'Unhandled');
  assert.equal(record.responseContext.statusCode, 200);
  const poisonSeq = value(DB, `SELECT max(sequence_number) FROM dynamo._records WHERE keys::jsonb = '{"id":{"S":"p6"}}'`);
  assert.equal(record.DDBStreamBatchInfo.startSequenceNumber, poisonSeq);
  // the first batch was all 8; every other record was delivered in a batch that succeeded
  assert.deepEqual(batches.poison[0], ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  const ok = new Set(batches.poison.filter((b) => !b.includes('p6')).flat());
  assert.deepEqual([...ok].sort(), ['p1', 'p2', 'p3', 'p4', 'p5', 'p7', 'p8']);
  // a lone poison batch was delivered 1 + maximum_retry_attempts times
  assert.equal(batches.poison.filter((b) => b.length === 1 && b[0] === 'p6').length, 2);
  const m = metrics(DB, uuid);
  assert.ok(m.errors >= 4, `errors ${m.errors}`);
  assert.equal(m.consecutive_errors, 0);
  assert.match(m.last_error, /^Unhandled/);
});
