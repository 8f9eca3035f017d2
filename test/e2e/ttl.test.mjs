// test/e2e/ttl.test.mjs: the REMOVE record of a TTL delete (dynamo.sweep_ttl)
// passes Powertools' DynamoDBStreamSchema with its userIdentity, which
// consumers use to tell TTL deletes from user deletes.
//
// @aws-lambda-powertools/parser's record schema declares userIdentity as
// exactly {type: "Service", principalId: "dynamodb.amazonaws.com"}
// (optional; zod drops members a schema does not declare, so the member
// surviving the parse shows the schema knows it, and another value fails).
// A user's delete in the same event has none.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBStreamSchema } from '@aws-lambda-powertools/parser/schemas';
import {
  psql, freshDatabase, dropDatabase, createSlot, slotRows, jsonb, lit,
} from './lib/pg.mjs';

const DB = 'e2e_ttl';
const SLOT = 'e2e_ttl';
const TABLE = 'E2eSessions';
let rawRecords;

before(() => {
  freshDatabase(DB);
  psql(DB, `SELECT dynamo.create_table(${lit(TABLE)}, 'id', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES');
            SELECT dynamo.update_time_to_live(${lit(TABLE)}, 'expiresAt', true);`);
  createSlot(DB, SLOT);
  const now = Math.floor(Date.now() / 1000);
  const put = (item) => `SELECT dynamo.put_item(${lit(TABLE)}, ${jsonb(item)});\n`;
  psql(DB, [
    put({ id: { S: 'old' }, user: { S: 'ann' }, expiresAt: { N: String(now - 60) } }),
    put({ id: { S: 'live' }, user: { S: 'bob' }, expiresAt: { N: String(now + 3600) } }),
    'CALL dynamo.sweep_ttl();\n',
    `SELECT dynamo.delete_item(${lit(TABLE)}, ${jsonb({ id: { S: 'live' } })});\n`,
  ].join(''));
  rawRecords = slotRows(DB, SLOT);
});

after(() => dropDatabase(DB));

const event = () => JSON.parse(`{"Records":[${rawRecords.join(',')}]}`);

test('a TTL REMOVE parses with its userIdentity; a user REMOVE has none', () => {
  assert.equal(rawRecords.length, 4);
  const parsed = DynamoDBStreamSchema.parse(event());
  assert.deepEqual(parsed.Records.map((r) => r.eventName), ['INSERT', 'INSERT', 'REMOVE', 'REMOVE']);
  const ttl = parsed.Records[2];
  assert.deepEqual(ttl.dynamodb.Keys, { id: 'old' });
  assert.equal(ttl.dynamodb.OldImage.user, 'ann');
  assert.deepEqual(ttl.userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
  const user = parsed.Records[3];
  assert.deepEqual(user.dynamodb.Keys, { id: 'live' });
  assert.equal(user.userIdentity, undefined);
});

test('the schema checks userIdentity: another principal is rejected', () => {
  const bad = event();
  bad.Records[2].userIdentity.principalId = 'someone.example.com';
  assert.throws(() => DynamoDBStreamSchema.parse(bad));
});

test('the record is exactly as the plugin wrote it, userIdentity before dynamodb', () => {
  const ttl = JSON.parse(rawRecords[2]);
  assert.deepEqual(Object.keys(ttl),
    ['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'userIdentity', 'dynamodb', 'eventSourceARN']);
  assert.deepEqual(ttl.userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
});
