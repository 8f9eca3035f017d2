// test/e2e/http-sigv4.test.mjs: push requests signed with AWS Signature
// Version 4 (service lambda) from the credentials set by
// dynamo.set_http_credentials, verified by the stub with the AWS SDK's own
// signer (@smithy/signature-v4): it recomputes the Authorization header
// from the request's signed headers, path, query and the body hash, which
// it checks against the body.  A stub holding another secret refuses every
// request (403, a function error), so the check is not vacuous.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStub } from './lib/lambda-stub.mjs';
import {
  pushDatabase, dropPushDatabase, putItems, waitForRecords, createMapping, waitFor,
  metrics, failures, caughtUp, psql,
} from './lib/push.mjs';

const DB = 'e2e_http_sigv4';
const TABLE = 'PushSigned';
const CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
  region: 'eu-west-1',
};
let good;
let bad;
let arn;
const seen = [];

before(async () => {
  const handler = async (event) => { seen.push(event.Records.length); return {}; };
  good = await startStub({ credentials: CREDS, handlers: { 'signed:live': handler, plain: handler } });
  bad = await startStub({ credentials: { ...CREDS, secretAccessKey: 'not-the-secret' }, handlers: { other: handler } });
  arn = pushDatabase(DB, TABLE);
  psql(DB, `SELECT dynamo.set_http_credentials('127.0.0.1', '${CREDS.accessKeyId}', '${CREDS.secretAccessKey}',
    '${CREDS.sessionToken}', '${CREDS.region}');`);
  putItems(DB, TABLE, [{ id: 'a', note: 'signed  with   spaces' }, { id: 'b' }, { id: 'ü' }]);
  await waitForRecords(DB, TABLE, 3);
});

after(async () => {
  psql(DB, "SELECT dynamo.set_http_credentials('127.0.0.1', NULL)");
  dropPushDatabase(DB);
  await good.close();
  await bad.close();
});

test('the SDK signer verifies every request (qualified name, query string)', async () => {
  const url = `http://127.0.0.1:${good.port}/2015-03-31/functions/signed%3Alive/invocations?Qualifier=live&b=x%20y`;
  const uuid = createMapping(DB, 'signed', arn, { batch_size: 1, function_url: url });
  await waitFor(() => caughtUp(DB, uuid), 30000, 'delivery');
  const reqs = good.log.filter((e) => e.name === 'signed:live');
  assert.equal(reqs.length, 3);
  for (const r of reqs) {
    assert.equal(r.signatureError, null);
    assert.match(r.headers.authorization,
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-invocation-type;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    assert.equal(r.headers['x-amz-security-token'], CREDS.sessionToken);
  }
  assert.equal(metrics(DB, uuid).errors, 0);
});

test('a webhook on a host with credentials is signed too', async () => {
  const uuid = createMapping(DB, 'plain', arn, { function_url: `http://127.0.0.1:${good.port}/hook/plain` });
  await waitFor(() => caughtUp(DB, uuid), 30000, 'delivery');
  const reqs = good.log.filter((e) => e.name === 'plain');
  assert.ok(reqs.length >= 1);
  assert.equal(reqs[0].signatureError, null);
  assert.match(reqs[0].headers.authorization, /SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
});

test('a signature made with another secret is refused (403 is a function error)', async () => {
  const uuid = createMapping(DB, 'other', arn, {
    maximum_retry_attempts: 0, function_url: `http://127.0.0.1:${bad.port}/2015-03-31/functions/other/invocations`,
  });
  await waitFor(() => caughtUp(DB, uuid), 30000, 'the batch to be discarded');
  assert.match(bad.log[0].signatureError, /^signature mismatch/);
  assert.equal(failures(DB, uuid).length, 1);
  assert.equal(metrics(DB, uuid).last_error, 'HTTP 403');
});

test('the secret is not shown anywhere a user can look', () => {
  const out = psql(DB, `
    SELECT row_to_json(m)::text FROM dynamo.http_push_metrics m;
    SELECT dynamo.list_event_source_mappings()::text;
    SELECT coalesce(string_agg(query, ' '), '') FROM pg_stat_activity WHERE backend_type LIKE 'dynamo%';`);
  assert.ok(!out.includes(CREDS.secretAccessKey));
  assert.ok(!out.includes(CREDS.sessionToken));
});
