// test/e2e/transact.test.mjs: transact_write_items and transact_get_items
// as an AWS SDK v3 application uses them.  The TransactItems are built with
// @aws-sdk/util-dynamodb's marshall and passed through the SDK's own
// TransactWriteItemsCommand / TransactGetItemsCommand input; the Responses
// of transact_get_items unmarshall to the items written; a cancelled
// transaction's DETAIL becomes the SDK's TransactionCanceledException, whose
// CancellationReasons (with the ALL_OLD Item) unmarshall; and the stream
// has one record per changed item, in request order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TransactWriteItemsCommand, TransactGetItemsCommand, TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { psql, value, freshDatabase, dropDatabase, createSlot, slotRows, jsonb, lit } from './lib/pg.mjs';

const DB = 'e2e_transact';
const SLOT = 'e2e_transact';
const T = 'E2eOrders';

// transact_write_items; a TransactionCanceledException comes back as the
// SDK's exception object, built from the SQL error as a client would.
function transactWrite(command) {
  const res = JSON.parse(value(DB, `SELECT try_tx(${jsonb(command.input.TransactItems)});`));
  if (res.ok) return res.ok;
  assert.equal(res.sqlstate, '23000', res.message);
  const prefix = 'TransactionCanceledException: CancellationReasons: ';
  assert.ok(res.detail.startsWith(prefix), res.detail);
  throw new TransactionCanceledException({
    message: res.message, $metadata: {}, CancellationReasons: JSON.parse(res.detail.slice(prefix.length)),
  });
}

function transactGet(command) {
  return JSON.parse(value(DB, `SELECT dynamo.transact_get_items(${jsonb(command.input.TransactItems)});`));
}

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(T)}, 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');
    CREATE FUNCTION try_tx(items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE st text; msg text; det text;
    BEGIN
      RETURN jsonb_build_object('ok', dynamo.transact_write_items(items));
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
      RETURN jsonb_build_object('sqlstate', st, 'message', msg, 'detail', det);
    END $$;`);
  createSlot(DB, SLOT);
});

after(() => dropDatabase(DB));

const order = { pk: 'customer#1', sk: 1, lines: [{ sku: 'A-1', qty: 2 }], total: 12.5, tags: new Set(['new']) };

test('a transaction puts, updates and checks; transact_get_items unmarshalls them', () => {
  const out = transactWrite(new TransactWriteItemsCommand({
    TransactItems: [
      { Put: { TableName: T, Item: marshall(order), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Update: { TableName: T, Key: marshall({ pk: 'customer#1', sk: 0 }),
        UpdateExpression: 'SET orders = if_not_exists(orders, :z) + :one',
        ExpressionAttributeValues: marshall({ ':z': 0, ':one': 1 }) } },
      { ConditionCheck: { TableName: T, Key: marshall({ pk: 'customer#2', sk: 0 }),
        ConditionExpression: 'attribute_not_exists(pk)' } },
    ],
  }));
  assert.deepEqual(out, {});
  const res = transactGet(new TransactGetItemsCommand({
    TransactItems: [
      { Get: { TableName: T, Key: marshall({ pk: 'customer#1', sk: 1 }) } },
      { Get: { TableName: T, Key: marshall({ pk: 'customer#1', sk: 0 }), ProjectionExpression: 'orders' } },
      { Get: { TableName: T, Key: marshall({ pk: 'customer#2', sk: 0 }) } },
    ],
  }));
  assert.equal(res.Responses.length, 3);
  assert.deepEqual(unmarshall(res.Responses[0].Item), order);
  assert.deepEqual(unmarshall(res.Responses[1].Item), { orders: 1 });
  assert.deepEqual(res.Responses[2], {});
});

test('a cancelled transaction is the SDK\'s TransactionCanceledException', () => {
  let err;
  try {
    transactWrite(new TransactWriteItemsCommand({
      TransactItems: [
        { Update: { TableName: T, Key: marshall({ pk: 'customer#1', sk: 0 }),
          UpdateExpression: 'SET orders = orders + :one', ExpressionAttributeValues: marshall({ ':one': 1 }) } },
        { Put: { TableName: T, Item: marshall({ ...order, total: 99 }), ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
      ],
    }));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TransactionCanceledException);
  assert.equal(err.name, 'TransactionCanceledException');
  assert.equal(err.message,
    'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]');
  assert.deepEqual(err.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
  assert.equal(err.CancellationReasons[1].Message, 'The conditional request failed');
  assert.deepEqual(unmarshall(err.CancellationReasons[1].Item), order);
  // nothing was written
  const res = transactGet(new TransactGetItemsCommand({
    TransactItems: [{ Get: { TableName: T, Key: marshall({ pk: 'customer#1', sk: 0 }) } }],
  }));
  assert.equal(unmarshall(res.Responses[0].Item).orders, 1);
});

test('one stream record per changed item, in request order', () => {
  const records = slotRows(DB, SLOT, { format: 'lambda' }).map((r) => JSON.parse(r));
  assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'INSERT']);
  assert.deepEqual(unmarshall(records[0].dynamodb.NewImage), order);
  assert.deepEqual(unmarshall(records[1].dynamodb.NewImage), { pk: 'customer#1', sk: 0, orders: 1 });
  assert.ok(records[0].dynamodb.SequenceNumber < records[1].dynamodb.SequenceNumber);
});
