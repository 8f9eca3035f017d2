// test/e2e/lambda-powertools.test.mjs: a Lambda event built from
// dynamo_streams records passes a real DynamoDB Streams event consumer.
//
// @aws-lambda-powertools/parser's DynamoDBStreamSchema is a runtime (zod)
// check of the DynamoDBStreamEvent shape that also unmarshalls the images,
// and @aws-lambda-powertools/batch's BatchProcessor for DynamoDB streams
// builds the ReportBatchItemFailures response from each failed record's
// dynamodb.SequenceNumber.  Both are fed the records of a slot read with
// the default (lambda) format, exactly as the plugin wrote them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBStreamSchema, DynamoDBStreamRecord } from '@aws-lambda-powertools/parser/schemas';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import {
  psql, freshDatabase, dropDatabase, createSlot, slotRows, jsonb, lit,
} from './lib/pg.mjs';

const DB = 'e2e_powertools';
const SLOT = 'e2e_powertools';
const TABLE = 'E2eOrders';
let rawRecords;

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'id', 'N', NULL, 'S', 'NEW_AND_OLD_IMAGES');`);
  createSlot(DB, SLOT);
  const put = (item) => `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb(item)});\n`;
  psql(DB, [
    put({ id: { N: '1' }, status: { S: 'new' }, total: { N: '19.99' }, tags: { SS: ['a', 'b'] } }),
    put({ id: { N: '2' }, status: { S: 'new' }, total: { N: '5' } }),
    put({ id: { N: '1' }, status: { S: 'paid' }, total: { N: '19.99' }, tags: { SS: ['a', 'b'] } }),
    `SELECT dynamo.delete_item(${lit(TABLE)}, ${jsonb({ id: { N: '2' } })});\n`,
  ].join(''));
  rawRecords = slotRows(DB, SLOT);
});

after(() => dropDatabase(DB));

// The Lambda event: the plugin's rows, verbatim, in a Records array.
const event = () => JSON.parse(`{"Records":[${rawRecords.join(',')}]}`);

test('the event passes DynamoDBStreamSchema and unmarshalls', () => {
  assert.equal(rawRecords.length, 4);
  const parsed = DynamoDBStreamSchema.parse(event());
  assert.deepEqual(parsed.Records.map((r) => r.eventName), ['INSERT', 'INSERT', 'MODIFY', 'REMOVE']);
  const modify = parsed.Records[2].dynamodb;
  assert.deepEqual(modify.Keys, { id: 1 });
  assert.deepEqual(modify.NewImage, { id: 1, status: 'paid', total: 19.99, tags: new Set(['a', 'b']) });
  assert.deepEqual(modify.OldImage, { id: 1, status: 'new', total: 19.99, tags: new Set(['a', 'b']) });
  assert.deepEqual(parsed.Records[3].dynamodb.OldImage, { id: 2, status: 'new', total: 5 });
  assert.equal(parsed.Records[3].dynamodb.NewImage, undefined);
});

test('the schema check is real: a broken record is rejected', () => {
  const bad = event();
  bad.Records[0].eventName = 'UPSERT';
  assert.throws(() => DynamoDBStreamSchema.parse(bad));
  const bad2 = event();
  bad2.Records[1].dynamodb.SequenceNumber = Number(bad2.Records[1].dynamodb.SequenceNumber);
  assert.throws(() => DynamoDBStreamSchema.parse(bad2));
});

test('BatchProcessor reports the failed record by its SequenceNumber', async () => {
  const ev = event();
  const failing = ev.Records[2].dynamodb.SequenceNumber;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const seen = [];
  const handler = async (record) => {
    seen.push(record.eventName);
    if (record.dynamodb.SequenceNumber === failing) throw new Error('cannot process this one');
  };
  const response = await processPartialResponse(ev, handler, processor);
  assert.deepEqual(seen, ['INSERT', 'INSERT', 'MODIFY', 'REMOVE']);
  assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: failing }] });
});

test('BatchProcessor with the record schema parses every record', async () => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams, {
    parser, schema: DynamoDBStreamRecord,
  });
  const statuses = [];
  const handler = async (record) => {
    statuses.push(record.dynamodb.NewImage?.status ?? null);
  };
  const response = await processPartialResponse(event(), handler, processor);
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.deepEqual(statuses, ['new', 'new', 'paid', null]);
});
