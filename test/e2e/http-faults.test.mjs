// test/e2e/http-faults.test.mjs: every way an HTTP target can fail is a
// function error handled by the consumers' failure rules: with
// MaximumRetryAttempts 0 each batch is delivered once and then discarded
// with an on-failure record (SPEC 4.7: condition RetryAttemptsExhausted,
// responseContext.functionError "Unhandled", or "Handled" when the Invoke
// API says so), and the reason shows in dynamo.http_push_metrics.
// Faults: a timeout (the function's Timeout of 1 s), HTTP 500, connection
// refused, a server that accepts and never answers, a slow trickle, a
// malformed and an oversized (over 6 MB) body, X-Amz-Function-Error, and a
// redirect (never followed).  A webhook's 204 is a success.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStub, raw } from './lib/lambda-stub.mjs';
import {
  pushDatabase, dropPushDatabase, putItems, waitForRecords, createMapping, waitFor,
  metrics, failures, caughtUp, freePort, psql, lit, value,
} from './lib/push.mjs';

const DB = 'e2e_http_faults';
const TABLE = 'PushFaults';
let stub;
let arn;
let refusedPort;

const SIX_MB = 6 * 1024 * 1024;
const handlers = {
  h500: async () => raw({ status: 500, body: '{"message":"boom"}' }),
  hang: async () => raw({ hang: true }),
  trickle: async () => raw({ body: '{"batchItemFailures":[]}'.repeat(4), trickleMs: 100 }),
  malformed: async () => raw({ body: '{"batchItemFailures": [' }),
  oversized: async () => raw({ body: `"${'x'.repeat(SIX_MB)}"` }),
  unhandled: async () => { throw new Error('handler threw'); },
  handled: async () => raw({ headers: { 'X-Amz-Function-Error': 'Handled' }, body: '{"errorMessage":"handled"}' }),
  redirect: async () => raw({ status: 302, headers: { Location: 'file:///etc/passwd' } }),
  slowok: async () => raw({ delayMs: 300, body: '{}' }),
  nocontent: async () => raw({ status: 204 }),
  fast: async () => ({}),
  keepalive: async () => ({}),
};

before(async () => {
  stub = await startStub({ handlers });
  refusedPort = await freePort();
  arn = pushDatabase(DB, TABLE);
  putItems(DB, TABLE, [{ id: 'a' }]);
  await waitForRecords(DB, TABLE, 1);
  psql(DB, `SELECT dynamo.update_function_configuration(f, 1) FROM unnest(ARRAY['hang', 'trickle']) f`);
});

after(async () => {
  dropPushDatabase(DB);
  await stub.close();
});

const invoke = (name, port = stub.port) => `http://127.0.0.1:${port}/2015-03-31/functions/${name}/invocations`;

// Map function name to one record, delivered once; return its outcome.
async function deliverOnce(name, url = invoke(name)) {
  const uuid = createMapping(DB, name, arn, {
    maximum_retry_attempts: 0, function_response_types: ['ReportBatchItemFailures'], function_url: url,
  });
  await waitFor(() => caughtUp(DB, uuid), 30000, `${name} to finish`);
  return { uuid, failures: failures(DB, uuid), metrics: metrics(DB, uuid), requests: stub.log.filter((e) => e.name === name) };
}

// The on-failure record of a batch discarded after one delivery.
function assertDiscarded(out, functionError, lastError) {
  assert.equal(out.failures.length, 1, JSON.stringify(out.metrics));
  const { condition, record } = out.failures[0];
  assert.equal(condition, 'RetryAttemptsExhausted');
  assert.equal(record.requestContext.condition, 'RetryAttemptsExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(record.responseContext.functionError, functionError);
  assert.equal(record.DDBStreamBatchInfo.batchSize, 1);
  assert.equal(record.DDBStreamBatchInfo.streamArn, arn);
  assert.equal(out.metrics.invokes, 1);
  assert.equal(out.metrics.errors, 1);
  assert.equal(out.metrics.consecutive_errors, 1);
  assert.match(out.metrics.last_error, lastError);
  assert.equal(out.metrics.last_processing_result, 'PROBLEM: Function call failed');
}

test('HTTP 500 is a function error', async () => {
  const out = await deliverOnce('h500');
  assertDiscarded(out, 'Unhandled', /^HTTP 500$/);
  assert.equal(out.metrics.last_http_status, 500);
  assert.equal(out.requests.length, 1);
});

test('a thrown error (X-Amz-Function-Error: Unhandled) is a function error', async () => {
  assertDiscarded(await deliverOnce('unhandled'), 'Unhandled', /^Unhandled$/);
});

test('X-Amz-Function-Error: Handled is kept as the functionError', async () => {
  assertDiscarded(await deliverOnce('handled'), 'Handled', /^Handled$/);
});

test('connection refused is a function error', async () => {
  const out = await deliverOnce('refused', invoke('refused', refusedPort));
  assertDiscarded(out, 'Unhandled', /^connection error: .*(refused|connect)/i);
  assert.equal(out.metrics.last_http_status, null);
});

test('a server that accepts and never answers times out after the function Timeout', async () => {
  const t0 = Date.now();
  const out = await deliverOnce('hang');
  assertDiscarded(out, 'Unhandled', /^timeout: no answer within 1000 ms$/);
  assert.ok(Date.now() - t0 >= 1000);
});

test('a slow trickle times out too', async () => {
  const out = await deliverOnce('trickle');
  assertDiscarded(out, 'Unhandled', /^timeout/);
});

test('a malformed body is a function error with the reason', async () => {
  const out = await deliverOnce('malformed');
  assertDiscarded(out, 'Unhandled', /^malformed response: invalid input syntax for type json/);
});

test('a body over 6 MB is a function error', async () => {
  const out = await deliverOnce('oversized');
  assertDiscarded(out, 'Unhandled', /^response too large: more than 6291456 bytes$/);
});

test('a redirect is not followed', async () => {
  const out = await deliverOnce('redirect');
  assertDiscarded(out, 'Unhandled', /^HTTP 302$/);
  assert.equal(out.requests.length, 1);
});

test('a slow answer within the timeout succeeds; a webhook 204 too', async () => {
  const slow = await deliverOnce('slowok');
  assert.equal(slow.failures.length, 0);
  assert.equal(slow.metrics.last_status, 'OK');
  assert.ok(slow.metrics.latency_p50_ms >= 250, `p50 ${slow.metrics.latency_p50_ms}`);
  const hook = await deliverOnce('nocontent', `http://127.0.0.1:${stub.port}/hook/nocontent`);
  assert.equal(hook.failures.length, 0);
  assert.equal(hook.metrics.target_type, 'Webhook');
  assert.equal(hook.metrics.last_http_status, 204);
  assert.equal(hook.requests[0].headers['x-amz-invocation-type'], undefined);
});

test('a mapping whose owner lost the right is not called and says why', async () => {
  psql(DB, `DROP ROLE IF EXISTS e2e_http_pusher; CREATE ROLE e2e_http_pusher;
    GRANT dynamo_http_targets TO e2e_http_pusher; GRANT SELECT ON dynamo."${TABLE}" TO e2e_http_pusher;`);
  try {
    const uuid = value(DB, `SET ROLE e2e_http_pusher;
      SELECT dynamo.create_event_source_mapping('lost', ${lit(arn)}, 'TRIM_HORIZON',
        function_url => ${lit(invoke('fast'))}) ->> 'UUID'`);
    psql(DB, 'REVOKE dynamo_http_targets FROM e2e_http_pusher');
    putItems(DB, TABLE, [{ id: 'lost1' }]);
    await waitFor(() => (metrics(DB, uuid)?.last_processing_result || '').startsWith('PROBLEM'), 20000, 'the problem');
    const m = metrics(DB, uuid);
    assert.equal(m.last_processing_result,
      "PROBLEM: the mapping's owner is neither a superuser nor a member of dynamo_http_targets");
    assert.equal(m.invokes, 0);
    assert.equal(stub.log.filter((e) => e.name === 'fast').length, 0);
    psql(DB, 'GRANT dynamo_http_targets TO e2e_http_pusher');
    await waitFor(() => caughtUp(DB, uuid) && metrics(DB, uuid).invokes >= 1, 20000, 'delivery once allowed again');
    assert.equal(metrics(DB, uuid).last_processing_result, 'OK');
  } finally {
    psql(DB, `SELECT dynamo.delete_event_source_mapping(uuid::text) FROM dynamo._event_source_mappings
                WHERE owner = 'e2e_http_pusher'::regrole;
              DROP OWNED BY e2e_http_pusher; DROP ROLE e2e_http_pusher;`);
  }
});

test('keep-alive: one connection carries many requests', async () => {
  // the other mappings would push the new records too, concurrently (more
  // connections): disable them and let their requests end
  psql(DB, `SELECT dynamo.update_event_source_mapping(uuid::text, enabled => false)
              FROM dynamo._event_source_mappings WHERE enabled`);
  await new Promise((r) => setTimeout(r, 1500));
  const opened = stub.connectionsOpened();
  const uuid = createMapping(DB, 'keepalive', arn, { batch_size: 1, function_url: invoke('keepalive') });
  putItems(DB, TABLE, [{ id: 'k1' }, { id: 'k2' }, { id: 'k3' }, { id: 'k4' }, { id: 'k5' }]);
  await waitFor(() => stub.log.filter((e) => e.name === 'keepalive').length >= 7 && caughtUp(DB, uuid),
    30000, 'one batch per record');
  // seven requests, one after the other, over at most two new connections
  // (the worker's connection cache reuses them; one more may replace a
  // connection that the stub closed while idle)
  const requests = stub.log.filter((e) => e.name === 'keepalive').length;
  assert.ok(requests >= 7);
  assert.ok(stub.connectionsOpened() - opened <= 2, `${stub.connectionsOpened() - opened} connections opened`);
});
