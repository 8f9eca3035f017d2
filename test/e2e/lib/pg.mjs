// test/e2e/lib/pg.mjs: psql helpers for the end-to-end tests.
//
// The tests talk to the throwaway server of test/run-tests.sh through the
// psql binary named by $PSQL (PGHOST, PGPORT and PGUSER come from the
// environment), so they need no PostgreSQL driver from npm.  Each test file
// works in a database of its own, made fresh by freshDatabase().

import { spawnSync } from 'node:child_process';

const PSQL = process.env.PSQL || 'psql';

// Run SQL (one or more statements) in database db; return psql's stdout.
// Rows are separated by NUL bytes and columns by the unit separator, so
// that values may hold newlines.  Throws with psql's stderr on any error.
export function psql(db, sql) {
  const res = spawnSync(PSQL, ['-X', '-q', '-A', '-t', '-0', '-F', '\x1f',
    '-v', 'ON_ERROR_STOP=1', '-d', db, '-f', '-'], {
    input: sql,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    throw new Error(`psql failed (exit ${res.status}) on:\n${sql}\n${res.stderr}`);
  }
  return res.stdout;
}

// The rows of the last statement of sql, each an array of column strings.
export function rows(db, sql) {
  return psql(db, sql).split('\0').filter((r) => r !== '' && r !== '\n')
    .map((r) => r.replace(/^\n/, '').split('\x1f'));
}

// The single value of a one-row, one-column query.
export function value(db, sql) {
  const r = rows(db, sql);
  if (r.length !== 1 || r[0].length !== 1) {
    throw new Error(`expected one value from ${sql}, got ${JSON.stringify(r)}`);
  }
  return r[0][0];
}

// A SQL literal for any string (standard_conforming_strings is on).
export function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

// A jsonb literal for a JavaScript value.
export function jsonb(v) {
  return `${lit(JSON.stringify(v))}::jsonb`;
}

// Drop and re-create database name with the extension installed, dropping
// any slots a previous run left behind in it.
export function freshDatabase(name) {
  psql('postgres', `
    SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
     WHERE database = ${lit(name)};
    DROP DATABASE IF EXISTS "${name}";
    CREATE DATABASE "${name}";`);
  psql(name, 'CREATE EXTENSION dynamo_streams;');
  return name;
}

// Drop database name and its slots.
export function dropDatabase(name) {
  psql('postgres', `
    SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
     WHERE database = ${lit(name)};
    DROP DATABASE IF EXISTS "${name}";`);
}

// Create a logical slot with the dynamo_streams plugin.
export function createSlot(db, slot) {
  psql(db, `SELECT pg_create_logical_replication_slot(${lit(slot)}, 'dynamo_streams');`);
}

// The raw text rows the plugin emits, consuming them (get) or not (peek).
// options is an object of plugin options, e.g. { format: 'streams' }.
export function slotRows(db, slot, options = {}, { peek = false } = {}) {
  const fn = peek ? 'pg_logical_slot_peek_changes' : 'pg_logical_slot_get_changes';
  const opts = Object.entries(options).flatMap(([k, v]) => [lit(k), lit(v)]);
  const args = [lit(slot), 'NULL', 'NULL', ...opts].join(', ');
  return rows(db, `SELECT data FROM pg_catalog.${fn}(${args});`).map((r) => r[0]);
}

// The stream ARN of an item table, as the plugin puts it in eventSourceARN.
export function streamArn(db, table) {
  // Fixed in the catalog when the stream was enabled.
  return value(db, `
    SELECT stream_arn FROM dynamo._tables WHERE table_name = ${lit(table)};`);
}
