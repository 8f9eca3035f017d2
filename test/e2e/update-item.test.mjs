// test/e2e/update-item.test.mjs: update_item and conditional writes as an
// AWS SDK v3 application uses them.  ExpressionAttributeValues are built
// with @aws-sdk/util-dynamodb's marshall (as DynamoDBDocumentClient does),
// the Attributes update_item returns are read with its unmarshall, and so
// are the stream records: a counter bumped three times gives three records
// whose images unmarshall to 1, 2 and 3; an update that changes nothing and
// a put whose condition fails give none.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { psql, value, freshDatabase, dropDatabase, createSlot, slotRows, jsonb, lit } from './lib/pg.mjs';

const DB = 'e2e_update_item';
const SLOT = 'e2e_update_item';
const TABLE = 'E2eCounters';
const key = marshall({ id: 'page#home' });

// update_item through psql; returns the unmarshalled Attributes (or {}).
function update(expr, values, { names = null, cond = null, rv = 'ALL_NEW' } = {}) {
  const res = value(DB, `SELECT dynamo.update_item(${lit(TABLE)}, ${jsonb(key)}, ${lit(expr)}, ${cond ? lit(cond) : 'NULL'},
      ${names ? jsonb(names) : 'NULL'}, ${values ? jsonb(marshall(values)) : 'NULL'}, ${lit(rv)});`);
  const out = JSON.parse(res);
  return out.Attributes ? unmarshall(out.Attributes) : {};
}

let records;

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'id', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES');`);
  createSlot(DB, SLOT);
});

after(() => dropDatabase(DB));

test('an atomic counter: SET #v = if_not_exists(#v, :zero) + :one', () => {
  const bump = () => update('SET #v = if_not_exists(#v, :zero) + :one, tags = list_append(if_not_exists(tags, :empty), :tag)',
    { ':zero': 0, ':one': 1, ':empty': [], ':tag': ['seen'] }, { names: { '#v': 'views' }, rv: 'UPDATED_NEW' });
  assert.deepEqual(bump(), { views: 1, tags: ['seen'] });
  assert.deepEqual(bump(), { views: 2, tags: ['seen', 'seen'] });
  assert.deepEqual(bump(), { views: 3, tags: ['seen', 'seen', 'seen'] });
});

test('ALL_NEW unmarshalls: sets, maps, big numbers', () => {
  const got = update('SET meta = :m, big = :big ADD colours :c REMOVE tags',
    { ':m': { a: { b: [1, 'x', true, null] } }, ':big': 12345678901234567890123456789012345678n,
      ':c': new Set(['red', 'blue']) });
  assert.equal(got.id, 'page#home');
  assert.equal(got.views, 3);
  assert.deepEqual(got.meta, { a: { b: [1, 'x', true, null] } });
  assert.deepEqual([...got.colours].sort(), ['blue', 'red']);
  assert.equal(got.tags, undefined);
  // numbers beyond double precision keep every digit with wrapNumbers
  const raw = JSON.parse(value(DB, `SELECT dynamo.get_item(${lit(TABLE)}, ${jsonb(key)});`));
  assert.equal(unmarshall(raw.Item, { wrapNumbers: true }).big.value, '12345678901234567890123456789012345678');
});

test('a no-op update and a failed condition write nothing', () => {
  // (VIEWS is a reserved word: it goes through a name placeholder)
  assert.deepEqual(update('SET #v = #v + :zero', { ':zero': 0 }, { names: { '#v': 'views' }, rv: 'NONE' }), {});
  assert.throws(() => psql(DB, `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb(key)},
      condition_expression => 'attribute_not_exists(id)');`),
  /The conditional request failed[\s\S]*ConditionalCheckFailedException/);
  assert.throws(() => update('SET #v = :n', { ':n': 0, ':max': 3 }, { names: { '#v': 'views' }, cond: '#v < :max' }),
    /The conditional request failed/);
});

test('stream records of the updates unmarshall to the counter values', () => {
  records = slotRows(DB, SLOT, { format: 'lambda' }).map((r) => JSON.parse(r));
  assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY', 'MODIFY', 'MODIFY']);
  assert.deepEqual(records.slice(0, 3).map((r) => unmarshall(r.dynamodb.NewImage).views), [1, 2, 3]);
  assert.deepEqual(records.slice(1, 3).map((r) => unmarshall(r.dynamodb.OldImage).views), [1, 2]);
  assert.deepEqual(unmarshall(records[3].dynamodb.Keys), { id: 'page#home' });
});
