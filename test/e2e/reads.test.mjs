// test/e2e/reads.test.mjs: the reads as an AWS SDK v3 application uses
// them.  Items are written from plain objects with @aws-sdk/util-dynamodb's
// marshall, filter values are marshalled the same way, and every result of
// get_item (with a projection), query and scan (filter, projection,
// Select COUNT, pagination with LastEvaluatedKey as ExclusiveStartKey) and
// batch_get_item (Responses, UnprocessedKeys) is read back with its
// unmarshall, as DynamoDBDocumentClient does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { psql, value, freshDatabase, dropDatabase, jsonb, lit } from './lib/pg.mjs';

const DB = 'e2e_reads';
const TABLE = 'E2eOrders';

const orders = Array.from({ length: 12 }, (_, i) => ({
  customer: i < 10 ? 'alice' : 'bob',
  orderId: 1000 + i,
  total: (i + 1) * 12.5,
  status: i % 3 === 0 ? 'OPEN' : 'SHIPPED',
  lineItems: [{ sku: `sku-${i}`, qty: i + 1 }, { sku: 'gift', qty: 1 }],
  tags: new Set(i % 2 ? ['even-day'] : ['odd-day', 'promo']),
}));

function call(sql) {
  return JSON.parse(value(DB, `SELECT ${sql};`));
}

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'customer', 'S', 'orderId', 'N');`);
  for (const o of orders)
    psql(DB, `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb(marshall(o))});`);
});

after(() => dropDatabase(DB));

test('get_item with a projection of nested paths unmarshalls in place', () => {
  const res = call(`dynamo.get_item(${lit(TABLE)}, ${jsonb(marshall({ customer: 'alice', orderId: 1003 }))},
      projection_expression => 'lineItems[0].sku, #s', expression_attribute_names => '{"#s": "status"}')`);
  assert.deepEqual(unmarshall(res.Item), { lineItems: [{ sku: 'sku-3' }], status: 'OPEN' });
});

test('query with a filter, paginated by limit: counts and LastEvaluatedKey', () => {
  const values = marshall({ ':c': 'alice', ':st': 'OPEN', ':min': 20 });
  let start = null;
  const got = [];
  let scanned = 0;
  let pages = 0;
  do {
    const res = call(`dynamo.query(${lit(TABLE)}, 'customer = :c', ${jsonb(values)}, '{"#s": "status"}',
        "limit" => 4, filter_expression => '#s = :st AND total >= :min',
        projection_expression => 'orderId, total', exclusive_start_key => ${start ? jsonb(start) : 'NULL'})`);
    got.push(...res.Items.map((i) => unmarshall(i)));
    assert.ok(res.Count <= res.ScannedCount);
    scanned += res.ScannedCount;
    start = res.LastEvaluatedKey ?? null;
    if (start) assert.deepEqual(Object.keys(unmarshall(start)).sort(), ['customer', 'orderId']);
    pages++;
  } while (start);
  // 10 items of alice read in pages of 4 (the last page ends without a key)
  assert.equal(scanned, 10);
  assert.equal(pages, 3);
  const want = orders.filter((o) => o.customer === 'alice' && o.status === 'OPEN' && o.total >= 20)
    .map((o) => ({ orderId: o.orderId, total: o.total }));
  assert.deepEqual(got, want);
});

test('query Select COUNT has no Items', () => {
  const res = call(`dynamo.query(${lit(TABLE)}, 'customer = :c', ${jsonb(marshall({ ':c': 'alice', ':t': 'promo' }))},
      filter_expression => 'contains(tags, :t)', "select" => 'COUNT')`);
  assert.equal(res.Items, undefined);
  assert.deepEqual([res.Count, res.ScannedCount], [5, 10]);
});

test('scan with a filter and projection, every item read once', () => {
  const res = call(`dynamo.scan(${lit(TABLE)}, filter_expression => 'size(lineItems) = :two AND lineItems[1].qty = :one',
      expression_attribute_values => ${jsonb(marshall({ ':two': 2, ':one': 1 }))}, projection_expression => 'customer, tags')`);
  assert.equal(res.Count, 12);
  const items = res.Items.map((i) => unmarshall(i));
  assert.equal(items.filter((i) => i.customer === 'bob').length, 2);
  assert.ok(items.every((i) => i.tags instanceof Set && Object.keys(i).length === 2));
});

test('batch_get_item: Responses unmarshall, missing keys are absent, UnprocessedKeys is empty', () => {
  const keys = [1000, 1005, 4242].map((orderId) => marshall({ customer: 'alice', orderId }));
  const res = call(`dynamo.batch_get_item(${jsonb({ [TABLE]: { Keys: keys, ProjectionExpression: 'orderId, total' } })})`);
  assert.deepEqual(res.UnprocessedKeys, {});
  assert.deepEqual(res.Responses[TABLE].map((i) => unmarshall(i)),
    [{ orderId: 1000, total: 12.5 }, { orderId: 1005, total: 75 }]);
});

test('bad requests fail with the AWS exception name', () => {
  assert.throws(() => psql(DB, `SELECT dynamo.query(${lit(TABLE)}, 'customer = :c', ${jsonb(marshall({ ':c': 'x', ':o': 1 }))},
      filter_expression => 'orderId > :o');`),
  /Filter Expression can only contain non-primary key attributes: Primary key attribute: orderId[\s\S]*ValidationException/);
  assert.throws(() => psql(DB, `SELECT dynamo.batch_get_item(${jsonb({ NoSuchTable: { Keys: [marshall({ a: 'b' })] } })});`),
    /Requested resource not found[\s\S]*ResourceNotFoundException/);
});
