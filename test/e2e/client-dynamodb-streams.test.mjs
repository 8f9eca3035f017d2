// test/e2e/client-dynamodb-streams.test.mjs: the real DynamoDB Streams SDK
// client reads a stream through the extension's Streams API.
//
// A local HTTP stub speaks the DynamoDB Streams JSON 1.0 protocol
// (X-Amz-Target DynamoDBStreams_20120810.*) and answers every call with the
// SQL function of the same name: ListStreams with dynamo.list_streams,
// DescribeStream with dynamo.describe_stream, GetShardIterator with
// dynamo.get_shard_iterator and GetRecords with dynamo.get_records (its
// JSON text sent unchanged); an error of the SQL function goes back as the
// AWS exception its DETAIL names.  The records come from the stream log
// (dynamo.pump()); a slot with format=streams records the plugin's own
// bytes for the same changes, and every record GetRecords sends must be
// byte-identical to them.  @aws-sdk/client-dynamodb-streams, pointed at
// the stub with dummy credentials, walks ListStreams → DescribeStream →
// GetShardIterator → GetRecords as a consumer would; the test asserts what
// the SDK's deserializer made of every field (SequenceNumber string,
// ApproximateCreationDateTime and CreationRequestDateTime as Dates,
// AttributeValues, SizeBytes, ...).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  DynamoDBStreamsClient, ListStreamsCommand, DescribeStreamCommand,
  GetShardIteratorCommand, GetRecordsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  psql, value, freshDatabase, dropDatabase, createSlot, slotRows, streamArn, jsonb, lit,
} from './lib/pg.mjs';

const DB = 'e2e_client_streams';
const SLOT = 'e2e_client_streams';
const TABLES = { E2eStream: 'NEW_AND_OLD_IMAGES', E2eKeysOnly: 'KEYS_ONLY' };

const a1 = {
  id: { S: 'a' }, n: { N: '-12.5' }, big: { N: '99999999999999999999999999999999999999' },
  b: { B: 'AAEC/w==' }, ok: { BOOL: true }, nil: { NULL: true },
  m: { M: { x: { L: [{ S: 'y' }, { N: '1' }] } } },
  ss: { SS: ['p', 'q'] }, ns: { NS: ['1', '2.5'] }, bs: { BS: ['AQ==', 'Ag=='] },
};
const a2 = { ...a1, n: { N: '13' }, extra: { S: 'ünïcödé' } };
const b1 = { id: { S: 'b' }, n: { N: '0' } };

const streams = {};        // stream ARN -> { table, view, raw: [record text] }
const targets = [];        // X-Amz-Target of every request the stub got
let server;
let client;

const sqlOrNull = (v) => (v === undefined ? 'NULL' : lit(v));
const bodies = [];         // every GetRecords response body, as sent

// The stub: each DynamoDB Streams action answered by its SQL function.
// Returns the response body text.
function handle(target, input) {
  switch (target) {
    case 'ListStreams':
      return value(DB, `SELECT dynamo.list_streams(${sqlOrNull(input.TableName)},
        ${input.Limit ?? 'NULL'}, ${sqlOrNull(input.ExclusiveStartStreamArn)})`);
    case 'DescribeStream':
      return value(DB, `SELECT dynamo.describe_stream(${sqlOrNull(input.StreamArn)},
        ${input.Limit ?? 'NULL'}, ${sqlOrNull(input.ExclusiveStartShardId)},
        ${input.ShardFilter ? jsonb(input.ShardFilter) : 'NULL'})`);
    case 'GetShardIterator':
      return value(DB, `SELECT dynamo.get_shard_iterator(${sqlOrNull(input.StreamArn)},
        ${sqlOrNull(input.ShardId)}, ${sqlOrNull(input.ShardIteratorType)}, ${sqlOrNull(input.SequenceNumber)})`);
    case 'GetRecords': {
      const body = value(DB, `SELECT dynamo.get_records(${sqlOrNull(input.ShardIterator)}, ${input.Limit ?? 'NULL'})`);
      bodies.push(body);
      return body;
    }
    default:
      return null;
  }
}

// An error of a SQL function as DynamoDB's error response: the exception
// its DETAIL names, and its message.
function awsError(err) {
  const text = String(err.message);
  const msg = /ERROR:\s+(.*)/.exec(text)?.[1] ?? 'bad request';
  const name = /DETAIL:\s+(\w+Exception)/.exec(text)?.[1] ?? 'ValidationException';
  return { __type: `com.amazonaws.dynamodb.v20120810#${name}`, message: msg };
}

function startStub() {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const full = req.headers['x-amz-target'] ?? '';
      targets.push(full);
      const [service, op] = full.split('.');
      const input = JSON.parse(body || '{}');
      let out = null;
      let error = { __type: 'com.amazon.coral.validate#ValidationException', message: `bad request ${full}` };
      try {
        if (service === 'DynamoDBStreams_20120810' &&
            req.headers['content-type'] === 'application/x-amz-json-1.0') {
          out = handle(op, input);
        }
      } catch (err) {
        out = null;
        error = awsError(err);
      }
      if (out === null) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(error));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(out);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

before(async () => {
  freshDatabase(DB);
  for (const [table, view] of Object.entries(TABLES)) {
    psql(DB, `SELECT dynamo.create_table(${lit(table)}, 'id', 'S', NULL, 'S', ${lit(view)});`);
  }
  // one shard per stream, so that the slot's order is the shard's order
  // (the four shards enabling made hold nothing yet)
  psql(DB, 'UPDATE dynamo._streams SET shard_count = 1; DELETE FROM dynamo._shards;');
  psql(DB, 'SELECT dynamo.pump();');   // creates the pump's slot
  createSlot(DB, SLOT);
  const put = (t, item) => `SELECT dynamo.put_item(${lit(t)}, ${jsonb(item)});\n`;
  psql(DB, [
    put('E2eStream', a1), put('E2eKeysOnly', a1), put('E2eStream', b1), put('E2eStream', a2),
    put('E2eKeysOnly', a2),
    `SELECT dynamo.delete_item('E2eStream', ${jsonb({ id: { S: 'a' } })});\n`,
  ].join(''));
  psql(DB, 'SELECT dynamo.pump();');
  for (const [table, view] of Object.entries(TABLES)) {
    streams[streamArn(DB, table)] = {
      table, view, raw: slotRows(DB, SLOT, { format: 'streams', tables: table }, { peek: true }),
    };
  }
  await startStub();
  client = new DynamoDBStreamsClient({
    endpoint: `http://127.0.0.1:${server.address().port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy-secret' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10000, connectionTimeout: 5000 },
  });
});

after(() => {
  client?.destroy();
  server?.close();
  dropDatabase(DB);
});

// The SDK's AttributeValue objects with binary as base64 again, to compare
// with the JSON the plugin sent.
function sdkToJson(v) {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(sdkToJson);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)
      .map(([k, x]) => [k, sdkToJson(x)]));
  }
  return v;
}

// Read a whole stream through the SDK the way a consumer does.
async function readStream(arn, limit) {
  const desc = await client.send(new DescribeStreamCommand({ StreamArn: arn }));
  const shard = desc.StreamDescription.Shards[0];
  let it = (await client.send(new GetShardIteratorCommand({
    StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
  }))).ShardIterator;
  const out = [];
  while (it) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: limit }));
    out.push(...page.Records);
    if (page.Records.length === 0) break;   // an open shard read to its present end
    it = page.NextShardIterator;
  }
  return out;
}

test('the slot gave GetRecords-format records for each table', () => {
  const [main, keys] = Object.values(streams);
  assert.equal(main.raw.length, 4);
  assert.equal(keys.raw.length, 2);
  for (const r of [...main.raw, ...keys.raw].map((x) => JSON.parse(x))) {
    assert.equal(r.eventSourceARN, undefined, 'streams format has no eventSourceARN');
  }
});

test('the SDK lists and describes the streams', async () => {
  const list = await client.send(new ListStreamsCommand({}));
  assert.deepEqual(list.Streams.map((s) => s.TableName).sort(), ['E2eKeysOnly', 'E2eStream']);
  const desc = await client.send(new DescribeStreamCommand({ StreamArn: list.Streams[0].StreamArn }));
  const d = desc.StreamDescription;
  assert.equal(d.StreamArn, list.Streams[0].StreamArn);
  assert.equal(d.StreamLabel, list.Streams[0].StreamLabel);
  assert.equal(d.StreamStatus, 'ENABLED');
  assert.equal(d.TableName, list.Streams[0].TableName);
  assert.equal(d.StreamViewType, TABLES[d.TableName]);
  assert.deepEqual(d.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
  assert.ok(d.CreationRequestDateTime instanceof Date);
  // the label is the creation time, to the millisecond
  assert.equal(d.CreationRequestDateTime.toISOString(), `${d.StreamLabel}Z`);
  assert.equal(d.Shards.length, 1);
  assert.match(d.Shards[0].ShardId, /^shardId-\d{20}-[0-9a-f]{8}$/);
  assert.match(d.Shards[0].SequenceNumberRange.StartingSequenceNumber, /^\d{21,40}$/);
  assert.equal(d.Shards[0].SequenceNumberRange.EndingSequenceNumber, undefined);
  assert.equal(d.LastEvaluatedShardId, undefined);
});

test('ListStreams: the SDK parses dynamo.list_streams, pages and filters', async () => {
  // one more, older stream of E2eKeysOnly: disabled, then enabled again
  psql(DB, `SELECT dynamo.update_table('E2eKeysOnly', false);
            SELECT dynamo.update_table('E2eKeysOnly', true, 'KEYS_ONLY');`);
  const all = await client.send(new ListStreamsCommand({}));
  assert.equal(all.Streams.length, 3);
  assert.equal(all.LastEvaluatedStreamArn, undefined);
  for (const s of all.Streams) {
    assert.match(s.StreamArn, /^arn:aws:dynamodb:us-east-1:000000000000:table\/E2e\w+\/stream\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    assert.equal(s.StreamArn, `arn:aws:dynamodb:us-east-1:000000000000:table/${s.TableName}/stream/${s.StreamLabel}`);
  }
  // newest first
  const labels = all.Streams.map((s) => s.StreamLabel);
  assert.deepEqual(labels, [...labels].sort().reverse());
  const paged = [];
  let start;
  do {
    const page = await client.send(new ListStreamsCommand({ Limit: 1, ExclusiveStartStreamArn: start }));
    assert.ok(page.Streams.length <= 1);
    paged.push(...page.Streams);
    start = page.LastEvaluatedStreamArn;
  } while (start);
  assert.deepEqual(paged, all.Streams);
  const keysOnly = await client.send(new ListStreamsCommand({ TableName: 'E2eKeysOnly' }));
  assert.equal(keysOnly.Streams.length, 2);
  assert.ok(keysOnly.Streams.every((s) => s.TableName === 'E2eKeysOnly'));
  assert.ok(keysOnly.Streams.some((s) => streams[s.StreamArn]), 'the recorded stream is listed');
});

test('GetRecords: every field as the SDK deserializes it', async () => {
  for (const [arn, s] of Object.entries(streams)) {
    const got = await readStream(arn, 3);
    const raw = s.raw.map((x) => JSON.parse(x));
    assert.equal(got.length, raw.length);
    got.forEach((rec, i) => {
      const want = raw[i];
      assert.equal(rec.eventID, want.eventID);
      assert.match(rec.eventID, /^[0-9a-f]{32}$/);
      assert.equal(rec.eventName, want.eventName);
      assert.equal(rec.eventVersion, '1.1');
      assert.equal(rec.eventSource, 'aws:dynamodb');
      assert.equal(rec.awsRegion, 'us-east-1');
      assert.equal(rec.userIdentity, undefined);
      const d = rec.dynamodb;
      assert.equal(typeof d.SequenceNumber, 'string');
      assert.equal(d.SequenceNumber, want.dynamodb.SequenceNumber);
      assert.match(d.SequenceNumber, /^\d{21,40}$/);
      assert.ok(d.ApproximateCreationDateTime instanceof Date, 'ApproximateCreationDateTime is a Date');
      assert.equal(d.ApproximateCreationDateTime.getTime(), want.dynamodb.ApproximateCreationDateTime * 1000);
      assert.ok(Math.abs(d.ApproximateCreationDateTime.getTime() - Date.now()) < 600000);
      assert.equal(d.SizeBytes, want.dynamodb.SizeBytes);
      assert.ok(Number.isInteger(d.SizeBytes) && d.SizeBytes > 0);
      assert.equal(d.StreamViewType, s.view);
      for (const image of ['Keys', 'NewImage', 'OldImage']) {
        assert.deepEqual(sdkToJson(d[image]), want.dynamodb[image], `${s.table} record ${i} ${image}`);
      }
    });
    const seqs = got.map((r) => BigInt(r.dynamodb.SequenceNumber));
    seqs.slice(1).forEach((q, i) => assert.ok(q > seqs[i], 'sequence numbers increase'));
  }
});

test('GetRecords: event names, images and view types', async () => {
  const arnOf = (t) => Object.keys(streams).find((a) => streams[a].table === t);
  const main = await readStream(arnOf('E2eStream'), 1000);
  assert.deepEqual(main.map((r) => r.eventName), ['INSERT', 'INSERT', 'MODIFY', 'REMOVE']);
  const img = (r, k) => (r.dynamodb[k] ? unmarshall(r.dynamodb[k], { wrapNumbers: true }) : undefined);
  assert.equal(img(main[0], 'NewImage').big.value, '99999999999999999999999999999999999999');
  assert.deepEqual([...img(main[0], 'NewImage').bs].map((b) => [...b]), [[1], [2]]);
  assert.deepEqual(img(main[1], 'Keys'), { id: 'b' });
  assert.equal(img(main[2], 'OldImage').n.value, '-12.5');
  assert.equal(img(main[2], 'NewImage').n.value, '13');
  assert.equal(img(main[2], 'NewImage').extra, 'ünïcödé');
  assert.equal(img(main[3], 'NewImage'), undefined);
  assert.equal(img(main[3], 'OldImage').extra, 'ünïcödé');
  const keys = await readStream(arnOf('E2eKeysOnly'), 1000);
  assert.deepEqual(keys.map((r) => r.eventName), ['INSERT', 'MODIFY']);
  for (const r of keys) {
    assert.deepEqual(unmarshall(r.dynamodb.Keys), { id: 'a' });
    assert.equal(r.dynamodb.NewImage, undefined);
    assert.equal(r.dynamodb.OldImage, undefined);
    assert.equal(r.dynamodb.StreamViewType, 'KEYS_ONLY');
  }
});

test('a SequenceNumber goes back to the service as a request parameter', async () => {
  const arn = Object.keys(streams).find((a) => streams[a].table === 'E2eStream');
  const first = JSON.parse(streams[arn].raw[1]).dynamodb.SequenceNumber;
  const desc = await client.send(new DescribeStreamCommand({ StreamArn: arn }));
  const { ShardIterator } = await client.send(new GetShardIteratorCommand({
    StreamArn: arn, ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: first,
  }));
  const page = await client.send(new GetRecordsCommand({ ShardIterator }));
  assert.deepEqual(page.Records.map((r) => r.eventName), ['MODIFY', 'REMOVE']);
  assert.ok(targets.includes('DynamoDBStreams_20120810.GetRecords'));
  assert.ok(targets.every((t) => t.startsWith('DynamoDBStreams_20120810.')));
});

test('GetRecords sends the plugin\'s record bytes unchanged', () => {
  const all = Object.values(streams).flatMap((x) => x.raw);
  assert.equal(all.length, 6);
  for (const raw of all) {
    assert.ok(bodies.some((b) => b.includes(raw)), `a GetRecords response holds ${raw} byte for byte`);
  }
});

test('errors come back as AWS exceptions the SDK recognises', async () => {
  const arn = Object.keys(streams)[0];
  await assert.rejects(client.send(new GetRecordsCommand({ ShardIterator: 'forged-iterator-xyz' })),
    (e) => e.name === 'ValidationException');
  await assert.rejects(client.send(new DescribeStreamCommand({
    StreamArn: `${arn.slice(0, -3)}999`,
  })), (e) => e.name === 'ResourceNotFoundException');
  const desc = await client.send(new DescribeStreamCommand({ StreamArn: arn }));
  psql(DB, `ALTER DATABASE ${DB} SET dynamo_streams.iterator_ttl = '1s';`);
  try {
    const { ShardIterator } = await client.send(new GetShardIteratorCommand({
      StreamArn: arn, ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: 'TRIM_HORIZON',
    }));
    await new Promise((r) => setTimeout(r, 1500));
    await assert.rejects(client.send(new GetRecordsCommand({ ShardIterator })),
      (e) => e.name === 'ExpiredIteratorException');
  } finally {
    psql(DB, `ALTER DATABASE ${DB} RESET dynamo_streams.iterator_ttl;`);
  }
});
