// test/e2e/util-dynamodb.test.mjs: records read off a dynamo_streams slot
// unmarshall with @aws-sdk/util-dynamodb into exactly the values written.
//
// An item table with NEW_AND_OLD_IMAGES gets items holding every
// AttributeValue type (numbers at DynamoDB's limits, multi-byte strings,
// binary, nested maps and lists, the three set types), is modified through
// put_item and through plain SQL, rewritten with an equal item (no record),
// written in a rolled-back transaction (no record) and deleted.  The records
// from pg_logical_slot_get_changes (format lambda) must be the expected
// five, in order, with lambda record fields as SPEC 4.5 says, and every
// Keys/NewImage/OldImage must unmarshall to the values written.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  psql, freshDatabase, dropDatabase, createSlot, slotRows, streamArn, jsonb, lit,
} from './lib/pg.mjs';
import { canonicalItemFromAttr, canonicalFromNative, withBinary } from './lib/values.mjs';

const DB = 'e2e_util_dynamodb';
const SLOT = 'e2e_util_dynamodb';
const TABLE = 'E2eTypes';

// Every type; numbers in non-canonical spellings where DynamoDB normalises.
const item1 = {
  pk: { S: 'item#1' },
  sk: { N: '1' },
  str: { S: 'héllo wörld ✓ 🚀 "quoted" \\ back\nslash' },
  empty: { S: '' },
  big: { N: '12345678901234567890123456789012345678' },
  negbig: { N: '-98765432109876543210987654321098765432' },
  frac: { N: '3.14159' },
  neg: { N: '-42.5' },
  trailing: { N: '1.50' },
  tiny: { N: '1E-130' },
  huge: { N: '9.9999999999999999999999999999999999999E+125' },
  zero: { N: '0' },
  small: { N: '-0.000123' },
  bin: { B: Buffer.from([0, 1, 2, 255, 254, 10]).toString('base64') },
  yes: { BOOL: true },
  no: { BOOL: false },
  nothing: { NULL: true },
  map: {
    M: {
      inner: { S: 'x' },
      n: { N: '7' },
      deeper: { M: { list: { L: [{ N: '1' }, { S: 'two' }, { SS: ['z'] }] } } },
    },
  },
  list: {
    L: [{ S: 'a' }, { N: '-1' }, { BOOL: false }, { NULL: true }, { M: {} }, { L: [] },
      { B: 'AA==' }, { NS: ['2', '1'] }],
  },
  ss: { SS: ['b', 'a', 'ç', 'A'] },
  ns: { NS: ['10', '-2.5', '3E+2', '0.001'] },
  bs: { BS: ['AQ==', 'AA==', '/w=='] },
};

// item1 changed: one value changed, one attribute dropped, one added.
const item1b = { ...item1, str: { S: 'changed' }, added: { NS: ['1', '2'] } };
delete item1b.nothing;

// The same item as item1b, spelled differently: equal by DynamoDB's rules.
const item1bAgain = {
  ...item1b,
  trailing: { N: '1.500' },
  ss: { SS: ['A', 'ç', 'a', 'b'] },
  ns: { NS: ['300', '0.0010', '-2.50', '10'] },
  added: { NS: ['2', '1'] },
};

const item2 = {
  pk: { S: 'item#2' },
  sk: { N: '-1.5' },
  note: { S: 'second' },
};
const item2b = { ...item2, via: { S: 'plain SQL' } };

const key1 = { pk: item1.pk, sk: item1.sk };
let records;
let started;

// Unmarshall an image the way an SDK application would (binary already
// decoded, numbers wrapped to keep all digits), then canonicalise.
const native = (image) => canonicalFromNative(unmarshall(withBinary(image), { wrapNumbers: true }));
const keysOf = (item) => ({ pk: item.pk, sk: item.sk });

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');`);
  createSlot(DB, SLOT);
  started = Math.floor(Date.now() / 1000);
  const put = (item) => `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb(item)});\n`;
  psql(DB, [
    put(item1),
    put(item2),
    put(item1b),
    put(item1bAgain),                     // equal item: no record
    `UPDATE dynamo."${TABLE}" SET item = item || ${jsonb({ via: item2b.via })}
      WHERE pk = 'item#2';\n`,
    `BEGIN;\n${put({ ...item2, note: { S: 'rolled back' } })}ROLLBACK;\n`,
    `SELECT dynamo.delete_item(${lit(TABLE)}, ${jsonb(key1)});\n`,
    `SELECT dynamo.delete_item(${lit(TABLE)}, ${jsonb({ pk: { S: 'missing' }, sk: { N: '1' } })});\n`,
  ].join(''));
  records = slotRows(DB, SLOT, { format: 'lambda' }).map((r) => JSON.parse(r));
});

after(() => dropDatabase(DB));

test('one record per changing write, in write order', () => {
  assert.deepEqual(records.map((r) => r.eventName),
    ['INSERT', 'INSERT', 'MODIFY', 'MODIFY', 'REMOVE']);
});

test('Keys unmarshall to the written key values', () => {
  const expected = [item1, item2, item1, item2, item1].map(keysOf);
  records.forEach((r, i) => {
    assert.deepEqual(native(r.dynamodb.Keys), canonicalItemFromAttr(expected[i]), `record ${i}`);
  });
  // Without wrapNumbers, small numbers come back as JavaScript numbers.
  assert.deepEqual(unmarshall(records[1].dynamodb.Keys), { pk: 'item#2', sk: -1.5 });
});

test('NewImage and OldImage unmarshall to the written items', () => {
  const expected = [
    { NewImage: item1 },
    { NewImage: item2 },
    { NewImage: item1b, OldImage: item1 },
    { NewImage: item2b, OldImage: item2 },
    { OldImage: item1b },
  ];
  records.forEach((r, i) => {
    for (const image of ['NewImage', 'OldImage']) {
      if (expected[i][image] === undefined) {
        assert.equal(r.dynamodb[image], undefined, `record ${i} has no ${image}`);
      } else {
        assert.deepEqual(native(r.dynamodb[image]), canonicalItemFromAttr(expected[i][image]),
          `record ${i} ${image}`);
      }
    }
  });
});

test('values come back as the SDK types: Set, Uint8Array, NumberValue', () => {
  const img = unmarshall(withBinary(records[0].dynamodb.NewImage), { wrapNumbers: true });
  assert.ok(img.ss instanceof Set && img.ns instanceof Set && img.bs instanceof Set);
  assert.deepEqual([...img.ss].sort(), ['A', 'a', 'b', 'ç']);
  assert.ok(img.bin instanceof Uint8Array);
  assert.deepEqual([...img.bin], [0, 1, 2, 255, 254, 10]);
  assert.equal(img.big.value, '12345678901234567890123456789012345678');
  assert.equal(img.big.toBigInt(), 12345678901234567890123456789012345678n);
  assert.equal(img.nothing, null);
  assert.equal(img.empty, '');
  assert.equal(img.str, item1.str.S);
  // On the raw Lambda JSON, unmarshall leaves binary as its base64 text.
  const raw = unmarshall(records[0].dynamodb.NewImage, { wrapNumbers: true });
  assert.deepEqual(Buffer.from(raw.bin, 'base64'), Buffer.from([0, 1, 2, 255, 254, 10]));
  assert.deepEqual([...raw.bs].map((b) => Buffer.from(b, 'base64')[0]).sort(), [0, 1, 255]);
  // DynamoDB stores numbers normalised: 1.50 is sent as 1.5.
  assert.equal(records[0].dynamodb.NewImage.trailing.N, '1.5');
});

test('lambda record fields', () => {
  const arn = streamArn(DB, TABLE);
  assert.match(arn, /^arn:aws:dynamodb:us-east-1:000000000000:table\/E2eTypes\/stream\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  const now = Math.floor(Date.now() / 1000);
  for (const r of records) {
    assert.deepEqual(Object.keys(r),
      ['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN']);
    assert.match(r.eventID, /^[0-9a-f]{32}$/);
    assert.equal(r.eventVersion, '1.1');
    assert.equal(r.eventSource, 'aws:dynamodb');
    assert.equal(r.awsRegion, 'us-east-1');
    assert.equal(r.eventSourceARN, arn);
    const d = r.dynamodb;
    assert.equal(d.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(Number.isInteger(d.ApproximateCreationDateTime));
    assert.ok(d.ApproximateCreationDateTime >= started - 1 && d.ApproximateCreationDateTime <= now + 1,
      `ApproximateCreationDateTime ${d.ApproximateCreationDateTime} is the commit time`);
    assert.ok(Number.isInteger(d.SizeBytes) && d.SizeBytes > 0);
    assert.match(d.SequenceNumber, /^\d{21,40}$/);
  }
  assert.equal(new Set(records.map((r) => r.eventID)).size, records.length, 'eventIDs are unique');
  const seqs = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
  for (let i = 1; i < seqs.length; i++) {
    assert.ok(seqs[i] > seqs[i - 1], `sequence numbers increase (${seqs[i - 1]} < ${seqs[i]})`);
  }
  // A MODIFY carries both images, so it is larger than the INSERT before it.
  assert.ok(records[2].dynamodb.SizeBytes > records[0].dynamodb.SizeBytes);
});

test('the slot was consumed: nothing is sent twice', () => {
  assert.deepEqual(slotRows(DB, SLOT, { format: 'lambda' }), []);
});
