// test/e2e/lib/push.mjs: set-up shared by the push delivery tests
// (http-*.test.mjs): a database with one item table whose stream has a
// single shard, the background workers running, and helpers to create
// mappings that push to the Lambda stub (lib/lambda-stub.mjs) and to wait
// for their outcome.

import { setTimeout as sleep } from 'node:timers/promises';
import { psql, rows, value, lit, jsonb, freshDatabase, dropDatabase } from './pg.mjs';

// A fresh database with table (hash key "id", S) on a one-shard stream and
// the workers started.
export function pushDatabase(db, table) {
  freshDatabase(db);
  psql(db, `
    SELECT dynamo.create_table(${lit(table)}, 'id', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES');
    UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = ${lit(table)};
    SELECT dynamo.pump();
    SELECT dynamo.start();`);
  return value(db, `SELECT stream_arn FROM dynamo._streams WHERE table_name = ${lit(table)}
                     ORDER BY stream_id DESC LIMIT 1`);
}

// Stop the workers and drop the database.
export function dropPushDatabase(db) {
  try { psql(db, 'SELECT dynamo.stop(drop_slot => true);'); } catch { /* gone already */ }
  dropDatabase(db);
}

// Put items (plain objects with a string id, marshalled) in one transaction.
export function putItems(db, table, items) {
  const puts = items.map((it) => `SELECT dynamo.put_item(${lit(table)}, dynamo.marshall(${jsonb(it)}));`);
  psql(db, `BEGIN;\n${puts.join('\n')}\nCOMMIT;`);
}

// Wait until the pump has stored n records of the table's stream.
export async function waitForRecords(db, table, n, timeoutMs = 20000) {
  await waitFor(() => Number(value(db, `
    SELECT count(*) FROM dynamo._records r JOIN dynamo._shards h ON h.shard_no = r.shard_no
      JOIN dynamo._streams s ON s.stream_id = h.stream_id WHERE s.table_name = ${lit(table)}`)) >= n,
  timeoutMs, `${n} records of ${table} in the stream log`);
}

// Create a mapping; options are create_event_source_mapping's named arguments.
export function createMapping(db, functionName, arn, options = {}) {
  const args = Object.entries({ starting_position: 'TRIM_HORIZON', ...options }).map(([k, v]) => {
    if (Array.isArray(v)) return `${k} => ARRAY[${v.map(lit).join(',')}]::text[]`;
    if (typeof v === 'object' && v !== null) return `${k} => ${jsonb(v)}`;
    if (typeof v === 'string') return `${k} => ${lit(v)}`;
    return `${k} => ${v}`;
  });
  return value(db, `SELECT dynamo.create_event_source_mapping(${lit(functionName)}, ${lit(arn)},
    ${args.join(', ')}) ->> 'UUID'`);
}

// Poll check() until it returns true.
export async function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// The mapping's checkpoint row(s) and its push metrics.
export function checkpoints(db, uuid) {
  return rows(db, `SELECT shard_id, checkpoint_sequence_number, state, processed, failed
    FROM dynamo.event_source_mapping_checkpoints WHERE uuid = ${lit(uuid)} ORDER BY shard_id, lane`);
}
export function metrics(db, uuid) {
  const r = rows(db, `SELECT row_to_json(m)::text FROM dynamo.http_push_metrics m WHERE uuid = ${lit(uuid)}`);
  return r.length ? JSON.parse(r[0][0]) : null;
}
export function failures(db, uuid) {
  return rows(db, `SELECT condition, record::text FROM dynamo.event_source_mapping_failures
    WHERE uuid = ${lit(uuid)} ORDER BY failure_id`).map(([condition, record]) => ({ condition, record: JSON.parse(record) }));
}

// Has the mapping caught up (every lane idle with nothing pending)?
export function caughtUp(db, uuid) {
  return value(db, `SELECT count(*) > 0 AND bool_and(state IN ('CaughtUp', 'Done'))
    FROM dynamo.event_source_mapping_checkpoints WHERE uuid = ${lit(uuid)}`) === 't';
}

// A free TCP port on the loopback interface (nothing listens on it after).
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export { psql, rows, value, lit, jsonb };
