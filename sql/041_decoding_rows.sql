-- 041_decoding_rows: the output plugin on ordinary tables (enable_stream).
-- Column mapping, no-ops by image comparison, unchanged TOASTed columns,
-- key changes, enabling and disabling at exact WAL positions.
\set VERBOSITY terse
SELECT now() AS t0 \gset
SELECT 'slot' FROM pg_create_logical_replication_slot('dec041', 'dynamo_streams');

-- enable_stream checks its relation
CREATE TABLE nopk (a int);
SELECT dynamo.enable_stream('nopk', 'NEW_IMAGE');
CREATE VIEW v041 AS SELECT 1 AS a;
SELECT dynamo.enable_stream('v041', 'NEW_IMAGE');
CREATE UNLOGGED TABLE unlogged041 (a int PRIMARY KEY);
SELECT dynamo.enable_stream('unlogged041', 'NEW_IMAGE');
CREATE TABLE "bad name" (a int PRIMARY KEY);
SELECT dynamo.enable_stream('"bad name"', 'NEW_IMAGE');
SELECT dynamo.enable_stream('dynamo._tables', 'NEW_IMAGE');
SELECT dynamo.enable_stream(NULL, 'NEW_IMAGE');
CREATE TABLE people (id int PRIMARY KEY, name text, score numeric);
SELECT dynamo.enable_stream('people', 'ALL');
SELECT dynamo.enable_stream('people', NULL);
SELECT dynamo.disable_stream('people');
-- a name already used by an item table
SELECT dynamo.create_table('clash', 'id') IS NOT NULL;
CREATE TABLE clash (id int PRIMARY KEY);
SELECT dynamo.enable_stream('clash', 'KEYS_ONLY');
SELECT dynamo.delete_table('clash') IS NOT NULL;
DROP TABLE clash, nopk, unlogged041, "bad name";
DROP VIEW v041;

-- writes before the stream exists are not emitted
INSERT INTO people VALUES (1, 'before', 1);
SELECT regexp_replace(dynamo.enable_stream('people', 'NEW_AND_OLD_IMAGES')::text,
                      '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}', '<label>', 'g');
SELECT relreplident FROM pg_class WHERE oid = 'people'::regclass;
SELECT dynamo.enable_stream('people', 'NEW_IMAGE');
INSERT INTO people VALUES (2, 'two', 2.50);
UPDATE people SET score = 2.5 WHERE id = 2;      -- numeric 2.50 -> 2.5: no-op
UPDATE people SET name = name WHERE id = 2;      -- own value: no-op
UPDATE people SET name = 'Two' WHERE id = 2;
UPDATE people SET name = NULL WHERE id = 2;      -- NULL: attribute omitted
UPDATE people SET id = 3 WHERE id = 2;           -- key change: REMOVE + INSERT
DELETE FROM people WHERE id = 3;
DELETE FROM people WHERE id = 3;                 -- nothing to delete
SELECT * FROM ds_take('dec041');

-- disable: later writes are not emitted; enable again: a new stream label
SELECT regexp_replace(dynamo.disable_stream('people')::text,
                      '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}', '<label>', 'g');
SELECT dynamo.disable_stream('people');
INSERT INTO people VALUES (4, 'while disabled', 4);
SELECT stream_label AS old_label FROM dynamo._tables WHERE table_name = 'people' \gset
SELECT dynamo.enable_stream('people', 'KEYS_ONLY') IS NOT NULL;
SELECT stream_label > :'old_label' AS newer_label FROM dynamo._tables WHERE table_name = 'people';
UPDATE people SET name = 'four' WHERE id = 4;
SELECT * FROM ds_take('dec041');
SELECT data::jsonb->>'eventSourceARN' LIKE '%/stream/' || (SELECT stream_label FROM dynamo._tables WHERE table_name = 'people')
  FROM ds_seen ORDER BY n DESC LIMIT 1;
-- enable and disable in one transaction with writes around them: the
-- switch takes effect exactly at its place in the WAL
SELECT dynamo.disable_stream('people') IS NOT NULL;
BEGIN;
INSERT INTO people VALUES (5, 'before enable', 5);
SELECT dynamo.enable_stream('people', 'KEYS_ONLY') IS NOT NULL;
INSERT INTO people VALUES (6, 'after enable', 6);
SELECT dynamo.disable_stream('people') IS NOT NULL;
INSERT INTO people VALUES (7, 'after disable', 7);
COMMIT;
SELECT * FROM ds_take('dec041');

-- column types: text types S, numbers N (normalised; what DynamoDB cannot
-- hold becomes S), bytea B, boolean BOOL, json/jsonb marshalled, NULL
-- omitted, dates and times ISO 8601 S whatever the session's DateStyle and
-- TimeZone, everything else S of its text; a composite primary key
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE types041 (
  k1 text, k2 int8, t varchar(5), c char(3), i2 int2, i4 posint, f4 float4, f8 float8,
  n numeric, nan numeric, big numeric, inf float8, b bytea, ok bool, j json, jb jsonb,
  ts timestamptz, tn timestamp, d date, tinf timestamptz, u uuid, arr int[], nul text,
  PRIMARY KEY (k2, k1));
SELECT dynamo.enable_stream('types041', 'NEW_IMAGE') IS NOT NULL;
INSERT INTO types041 VALUES ('k', -42, 'ab"c', 'x', 7, 8, 1.5, -0.25, 000120.500, 'NaN',
  12345678901234567890123456789012345678901, '-Infinity', '\x00ff10', false,
  '{"b":[1,2.0,{"c":null}],"a":"x\ny"}', '[true,"s",1e2,{"z":{}}]',
  '2026-01-02 03:04:05.678+00', '2026-01-02 03:04:05', '2026-01-02', 'infinity', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2}', NULL);
UPDATE types041 SET n = 120.5000;
-- json that jsonb refuses is sent as S (decoding never stops on a value)
UPDATE types041 SET j = '{"a":"\u0000","b":1e1000000}';
SELECT * FROM ds_take('dec041');

-- unchanged TOASTed columns are taken from the old row
CREATE TABLE docs041 (id int PRIMARY KEY, body text, tag text);
ALTER TABLE docs041 ALTER COLUMN body SET STORAGE EXTERNAL;
SELECT dynamo.enable_stream('docs041', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT string_agg(md5(i::text), '') AS body FROM generate_series(1, 300) i \gset
INSERT INTO docs041 VALUES (1, :'body', 'a');
UPDATE docs041 SET tag = 'b';                     -- body unchanged (TOASTed)
UPDATE docs041 SET tag = 'b';                     -- nothing changed: no-op
UPDATE docs041 SET body = body || '!';
DELETE FROM docs041;
SELECT count(*) FROM ds_take('dec041');
SELECT j->>'eventName' AS event,
       j->'dynamodb'->'NewImage'->'body'->>'S' = :'body' AS new_body,
       j->'dynamodb'->'OldImage'->'body'->>'S' = :'body' AS old_body,
       j->'dynamodb'->'NewImage'->'tag' AS new_tag, j->'dynamodb'->'OldImage'->'tag' AS old_tag,
       j->'dynamodb'->'SizeBytes' AS size
  FROM (SELECT n, data::jsonb j FROM ds_seen ORDER BY n DESC LIMIT 4) r ORDER BY n;

-- DDL on a streamed table: new columns appear, dropped ones go
ALTER TABLE people ADD COLUMN extra jsonb;
SELECT dynamo.enable_stream('people', 'NEW_IMAGE') IS NOT NULL;
UPDATE people SET extra = '{"x":1}' WHERE id = 4;
ALTER TABLE people DROP COLUMN score;
UPDATE people SET name = 'FOUR' WHERE id = 4;
SELECT * FROM ds_take('dec041');

-- enable_stream / disable_stream on an item table act like update_table
SELECT dynamo.create_table('Items041', 'id') IS NOT NULL;
SELECT regexp_replace(dynamo.enable_stream('dynamo."Items041"', 'OLD_IMAGE')::text,
                      '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}', '<label>', 'g');
SELECT dynamo.put_item('Items041', '{"id":{"S":"i"}}') IS NOT NULL;
SELECT regexp_replace(dynamo.disable_stream('dynamo."Items041"')::text,
                      '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}', '<label>', 'g');
SELECT dynamo.put_item('Items041', '{"id":{"S":"j"}}') IS NOT NULL;
SELECT * FROM ds_take('dec041');
SELECT dynamo.delete_table('Items041') IS NOT NULL;

-- a dropped table's name can be streamed again by a new table
CREATE TABLE reborn (id int PRIMARY KEY);
SELECT dynamo.enable_stream('reborn', 'KEYS_ONLY') IS NOT NULL;
DROP TABLE reborn;
CREATE TABLE reborn (id int PRIMARY KEY);
SELECT dynamo.enable_stream('reborn', 'KEYS_ONLY') IS NOT NULL;
INSERT INTO reborn VALUES (1);
SELECT * FROM ds_take('dec041');
SELECT count(*) FROM dynamo._tables WHERE table_name = 'reborn';
DROP TABLE reborn;

SELECT * FROM ds_check('dec041', :'t0');
SELECT 'dropped' FROM pg_drop_replication_slot('dec041');
DROP TABLE people, types041, docs041;
DROP DOMAIN posint;
DELETE FROM dynamo._tables WHERE kind = 'relation';
