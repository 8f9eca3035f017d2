-- 044_decoding_robustness: column types, schema changes and extension
-- life-cycle events must never wedge a slot.
\set VERBOSITY terse
SELECT now() AS t0 \gset
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN jdom AS jsonb;
CREATE TABLE kinds (id int PRIMARY KEY, arr int[], comp pair, dom posint, jd jdom, en mood,
  mon money, iv interval, u uuid, ip inet, x xml, ts tsvector, rng int4range, bits bit(4), vb varbit,
  n numeric, f8 float8, f4 float4, j json, nm name, ch "char", oid oid, pt point);
SELECT dynamo.enable_stream('kinds', 'NEW_AND_OLD_IMAGES') #>> '{StreamSpecification,StreamViewType}' AS view;
SELECT 'init' FROM pg_create_logical_replication_slot('rob', 'dynamo_streams');
SET lc_monetary = 'C';
INSERT INTO kinds VALUES (1, '{1,NULL,3}', '(1,"x,y")', 5, '{"a":[1,"b",null,true]}', 'happy',
  12.34, '1 day 02:03:04', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.1.2.3/8', '<a>&amp;</a>',
  'a fat cat', '[1,5)', B'1010', B'101', 'NaN', 'Infinity', '-0', '{"k":1,"k":2}', 'nm', 'c', 42, '(1,2)');
INSERT INTO kinds (id, n, f8, f4, j) VALUES (2, '-Infinity', 'NaN', '-Infinity', '"\u0000"');
INSERT INTO kinds (id, n, f8, j) VALUES (3, '1e-131', '-0', '[1e400]');
INSERT INTO kinds (id, n, f8, j) VALUES (4, '123456789012345678901234567890123456789', 1e308, '{"a":{"a":{}}}');
UPDATE kinds SET en = 'sad' WHERE id = 1;
DELETE FROM kinds WHERE id = 2;
SELECT * FROM ds_take('rob');
-- long strings shortened for display
CREATE FUNCTION rob_short(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(t, '"([0-9a-zA-Z+/=]{60})[0-9a-zA-Z+/=]*"', '"\1..."', 'g') $$;

-- schema changes of a streamed ordinary table, TOASTed values
CREATE TABLE evo (id int PRIMARY KEY, a text, b int, big text);
SELECT dynamo.enable_stream('evo', 'NEW_AND_OLD_IMAGES') #>> '{StreamSpecification,StreamViewType}' AS view;
INSERT INTO evo VALUES (1, 'x', 1, repeat('abc', 100000));
INSERT INTO evo VALUES (2, 'y', 2, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 5000) i));
ALTER TABLE evo ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO evo VALUES (3, 'z', 3, repeat('abc', 100000));
UPDATE evo SET b = b + 10;
ALTER TABLE evo DROP COLUMN a;
INSERT INTO evo VALUES (4, 4, 'w');
ALTER TABLE evo ADD COLUMN c int DEFAULT 7;
UPDATE evo SET b = 5 WHERE id = 4;
ALTER TABLE evo ADD COLUMN g int GENERATED ALWAYS AS (b * 2) STORED;
ALTER TABLE evo RENAME COLUMN b TO "we""ird\col";
UPDATE evo SET "we""ird\col" = 6 WHERE id = 4;
ALTER TABLE evo RENAME TO evo2;
ALTER TABLE evo2 ALTER COLUMN c TYPE text;
UPDATE evo2 SET c = 'seven' WHERE id = 4;
BEGIN;
ALTER TABLE evo2 ADD COLUMN d int DEFAULT 1;
UPDATE evo2 SET d = 2 WHERE id = 4;
ALTER TABLE evo2 DROP COLUMN d;
UPDATE evo2 SET c = 'eight' WHERE id = 4;
COMMIT;
SELECT rob_short(x) FROM ds_take('rob') x;
-- primary key dropped, replica identity changed by the user: records keep
-- coming; without REPLICA IDENTITY FULL the old tuple holds only the key,
-- so no OldImage is sent (not a key-only OldImage).  The event trigger
-- refuses the change, and any ALTER TABLE of the table until FULL is back
-- (048_stream_identity); a superuser in replica mode gets around it.
ALTER TABLE evo2 DROP CONSTRAINT evo_pkey;
UPDATE evo2 SET c = 'nine' WHERE id = 4;
SET session_replication_role = replica;
ALTER TABLE evo2 REPLICA IDENTITY DEFAULT;
UPDATE evo2 SET c = 'ten' WHERE id = 4;
DELETE FROM evo2 WHERE id = 3;
ALTER TABLE evo2 ADD PRIMARY KEY (id);
RESET session_replication_role;
UPDATE evo2 SET c = 'eleven' WHERE id = 4;
UPDATE evo2 SET "we""ird\col" = 0 WHERE id = 2;
UPDATE evo2 SET id = 5 WHERE id = 4;
DELETE FROM evo2 WHERE id = 5;
SET session_replication_role = replica;
ALTER TABLE evo2 REPLICA IDENTITY NOTHING;
RESET session_replication_role;
UPDATE evo2 SET c = 'twelve' WHERE id = 1;
DELETE FROM evo2 WHERE id = 1;
SELECT rob_short(x) FROM ds_take('rob') x;

-- item tables: large items, key change by plain SQL, catalog edits and
-- delete_table in the writing transaction
SELECT dynamo.create_table('RobItems', 'Id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('RobItems', jsonb_build_object('Id', '{"S":"big"}'::jsonb, 'v',
       jsonb_build_object('S', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 12500) i)))) = '{}';
UPDATE dynamo."RobItems" SET item = item || '{"w":{"N":"1"}}' WHERE pk = 'big';
UPDATE dynamo."RobItems" SET item = item || '{"Id":{"S":"big2"}}' WHERE pk = 'big';
SELECT rob_short(x) FROM ds_take('rob') x;
BEGIN;
SELECT dynamo.put_item('RobItems', '{"Id":{"S":"a"}}');
SELECT dynamo.update_table('RobItems', false) IS NOT NULL;
SELECT dynamo.put_item('RobItems', '{"Id":{"S":"b"}}');
SELECT dynamo.update_table('RobItems', true, 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.put_item('RobItems', '{"Id":{"S":"c"}}');
SELECT dynamo.delete_table('RobItems') IS NOT NULL;
COMMIT;
SELECT rob_short(x) FROM ds_take('rob') x;

-- sequence numbers and event ids do not depend on the options: the
-- records a filtered or include-noop read returns are the same records,
-- across savepoints and two tables in one transaction
CREATE TABLE seq_a (id int PRIMARY KEY, v int);
CREATE TABLE seq_b (id int PRIMARY KEY, v int);
SELECT dynamo.enable_stream('seq_a', 'NEW_IMAGE') IS NOT NULL, dynamo.enable_stream('seq_b', 'NEW_IMAGE') IS NOT NULL;
BEGIN;
INSERT INTO seq_a VALUES (1, 1);
SAVEPOINT s;
INSERT INTO seq_b VALUES (1, 1);
ROLLBACK TO s;
INSERT INTO seq_b VALUES (2, 2);
UPDATE seq_a SET v = v;
SAVEPOINT t;
INSERT INTO seq_a VALUES (2, 2);
RELEASE t;
UPDATE seq_b SET v = 3;
COMMIT;
INSERT INTO seq_b VALUES (3, 3);
CREATE TABLE rob_reads AS
  SELECT o, data::jsonb->>'eventID' id, data::jsonb->'dynamodb'->>'SequenceNumber' seq, ds_mask(data) masked
    FROM unnest(ARRAY['', 'tables', 'include-noop', 'format']) o,
    LATERAL pg_logical_slot_peek_changes('rob', NULL, NULL, VARIADIC
      CASE o WHEN 'tables' THEN ARRAY['tables', 'seq_b'] WHEN 'include-noop' THEN ARRAY['include-noop', 'on']
             WHEN 'format' THEN ARRAY['format', 'streams'] ELSE '{}' END);
SELECT o, count(*) FROM rob_reads GROUP BY o ORDER BY o;
-- each read's (id, seq) pairs are among the include-noop read's
SELECT o, bool_and(EXISTS (SELECT FROM rob_reads n WHERE n.o = 'include-noop' AND n.id = r.id AND n.seq = r.seq))
  FROM rob_reads r GROUP BY o ORDER BY o;
SELECT masked FROM rob_reads WHERE o = 'include-noop';
SELECT count(*) FROM ds_take('rob');

-- a 32-column primary key
SELECT format('CREATE TABLE wide (%s, v int, PRIMARY KEY (%s))', string_agg(format('k%s int', i), ', '),
              string_agg(format('k%s', i), ', ')) FROM generate_series(1, 32) i \gexec
SELECT dynamo.enable_stream('wide', 'OLD_IMAGE') IS NOT NULL;
INSERT INTO wide SELECT 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
  25, 26, 27, 28, 29, 30, 31, 32, 0;
UPDATE wide SET v = 1;
UPDATE wide SET k32 = 0;
DELETE FROM wide;
SELECT data::jsonb->>'eventName' ev, (SELECT count(*) FROM jsonb_object_keys(data::jsonb->'dynamodb'->'Keys')) keys,
       data::jsonb->'dynamodb'->'Keys'->'k32' k32, data::jsonb->'dynamodb'->'OldImage'->'v' old_v
  FROM pg_logical_slot_get_changes('rob', NULL, NULL);

-- more distinct tables in one session than the plugin caches (1024): the
-- cache is emptied and refilled, records of streamed tables keep coming
CREATE TABLE many_s (id int PRIMARY KEY);
SELECT dynamo.enable_stream('many_s', 'KEYS_ONLY') IS NOT NULL;
DO $$ BEGIN FOR i IN 1..1100 LOOP EXECUTE format('CREATE TABLE rob_many_%s (id int)', i); END LOOP; END $$;
DO $$ BEGIN
  FOR i IN 1..1100 LOOP
    EXECUTE format('INSERT INTO rob_many_%s VALUES (1)', i);
    IF i % 100 = 0 THEN INSERT INTO many_s VALUES (i); END IF;
  END LOOP;
END $$;
SELECT string_agg(data::jsonb->'dynamodb'->'Keys'->'id'->>'N', ',') FROM pg_logical_slot_get_changes('rob', NULL, NULL);
DO $$ BEGIN FOR i IN 1..1100 LOOP EXECUTE format('DROP TABLE rob_many_%s', i); END LOOP; END $$;


-- item tables written around the guard trigger (session_replication_role
-- = replica, as a logical replication apply does): whatever jsonb the item
-- holds, decoding goes on
SELECT dynamo.create_table('RobRaw', 'Id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SET session_replication_role = replica;
INSERT INTO dynamo."RobRaw" (pk, item) VALUES
  ('a', '[1, {"S": "x"}]'), ('b', '"text"'), ('c', '{"Id": "plain"}'), ('d', '{}'),
  ('e', '{"Id": {"S": "e"}, "n": {"N": "abc"}, "b": {"B": "!"}, "ns": {"NS": ["x", 1, null]}, "m": {"M": [1]}, "l": {"L": {"a": 1}}, "q": {"Q": 1, "R": 2}}'),
  ('f', '{"Id": {"N": 1}}'), ('g', 'null'), ('h', '{"Id": {"S": "h"}, "deep": {"L": [[[{"M": {"x": {"SS": [1]}}}]]]}}');
UPDATE dynamo."RobRaw" SET item = '{"Id": {"S": "c2"}}' WHERE pk = 'c';
RESET session_replication_role;
-- describe_table still answers: stored sizes are not validated again
SELECT dynamo.describe_table('RobRaw') -> 'Table' -> 'ItemCount' AS items;
SELECT data::jsonb->>'eventName' ev, data::jsonb->'dynamodb'->'Keys' keys, data::jsonb->'dynamodb'->'NewImage' img,
       data::jsonb->'dynamodb'->'SizeBytes' size
  FROM pg_logical_slot_get_changes('rob', NULL, NULL);
DELETE FROM dynamo."RobRaw";
SELECT count(*) FROM pg_logical_slot_get_changes('rob', NULL, NULL);
SELECT dynamo.delete_table('RobRaw') IS NOT NULL;
-- the item column's type changed by the user: no records, no failure
-- (it crashed the server: text read as jsonb)
SELECT dynamo.create_table('RobType', 'Id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.put_item('RobType', '{"Id":{"S":"a"}}');
ALTER TABLE dynamo."RobType" ALTER COLUMN item TYPE text;
SET session_replication_role = replica;
INSERT INTO dynamo."RobType" (pk, item) VALUES ('b', 'not json');
RESET session_replication_role;
SELECT data::jsonb->'dynamodb'->'Keys' keys FROM pg_logical_slot_get_changes('rob', NULL, NULL);
DELETE FROM dynamo."RobType" WHERE pk = 'b';
ALTER TABLE dynamo."RobType" ALTER COLUMN item TYPE jsonb USING item::jsonb;
SELECT dynamo.delete_table('RobType') IS NOT NULL;


-- partitioned tables: the parent is refused, a partition streams (writes
-- through the parent are the partition's); unlogged and temp are refused;
-- a schema with an odd name; a table name with dots and dashes
CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
SELECT dynamo.enable_stream('parted', 'KEYS_ONLY');
SELECT dynamo.enable_stream('parted_1', 'KEYS_ONLY') IS NOT NULL;
CREATE UNLOGGED TABLE rob_unlogged (id int PRIMARY KEY);
SELECT dynamo.enable_stream('rob_unlogged', 'KEYS_ONLY');
CREATE TEMP TABLE rob_temp (id int PRIMARY KEY);
SELECT dynamo.enable_stream('rob_temp', 'KEYS_ONLY');
CREATE SCHEMA "we ird""s";
CREATE TABLE "we ird""s"."a.b-c" (id int PRIMARY KEY);
SELECT dynamo.enable_stream('"we ird""s"."a.b-c"', 'KEYS_ONLY') IS NOT NULL;
INSERT INTO parted VALUES (1);
INSERT INTO "we ird""s"."a.b-c" VALUES (2);
SELECT data::jsonb->'dynamodb'->'Keys' keys, data::jsonb->>'eventSourceARN' ~ ':table/(parted_1|a\.b-c)/stream/' arn_ok
  FROM pg_logical_slot_get_changes('rob', NULL, NULL);
SELECT dynamo.disable_stream('"we ird""s"."a.b-c"') IS NOT NULL;
DROP SCHEMA "we ird""s" CASCADE;

-- a stream-enabled table dropped without disable_stream loses its catalog
-- row with the drop (event trigger): its name can be enabled again
CREATE TABLE "rob.gone" (id int PRIMARY KEY);
SELECT dynamo.enable_stream('"rob.gone"', 'KEYS_ONLY') IS NOT NULL;
DROP TABLE "rob.gone";
SELECT count(*) AS dangling FROM dynamo._tables WHERE table_name = 'rob.gone';
CREATE TABLE "rob.gone" (id int PRIMARY KEY);
SELECT dynamo.enable_stream('"rob.gone"', 'KEYS_ONLY') IS NOT NULL;
DROP TABLE "rob.gone";

-- JSON escaping of every control character, U+2028/2029, odd column
-- names; a 2 MB bytea
CREATE TABLE esc (id int PRIMARY KEY, "q""\x" text, "tab	name" text, b bytea);
SELECT dynamo.enable_stream('esc', 'NEW_IMAGE') IS NOT NULL;
INSERT INTO esc SELECT 1, string_agg(chr(i), '' ORDER BY i) || chr(127) || chr(8232) || chr(8233) || 'é"\', 'x',
  decode(repeat('ab', 2000000), 'hex') FROM generate_series(1, 31) i;
SELECT (data::jsonb->'dynamodb'->'NewImage'->'q"\x'->>'S') =
         (SELECT string_agg(chr(i), '' ORDER BY i) || chr(127) || chr(8232) || chr(8233) || 'é"\' FROM generate_series(1, 31) i) AS text_ok,
       data::jsonb->'dynamodb'->'NewImage'->'tab	name' AS tab_ok,
       decode(data::jsonb->'dynamodb'->'NewImage'->'b'->>'B', 'base64') = decode(repeat('ab', 2000000), 'hex') AS bytea_ok,
       (data::jsonb->'dynamodb'->>'SizeBytes')::int AS size,
       substr(data, strpos(data, '"q\"'), 200) AS escaped
  FROM pg_logical_slot_get_changes('rob', NULL, NULL);
DROP TABLE esc;

-- sequence numbers, ids, sizes of every record above
SELECT * FROM ds_check('rob', :'t0');
SELECT pg_drop_replication_slot('rob');

-- the extension dropped (and created again) after writes that a slot has
-- not decoded yet, with a checkpoint in between that removes the old
-- catalog's file: decoding the old WAL must not fail
CREATE DATABASE rob_life;
\c rob_life
SET client_min_messages = warning;
CREATE EXTENSION dynamo_streams;
CREATE TABLE life (id int PRIMARY KEY);
SELECT dynamo.enable_stream('life', 'KEYS_ONLY') IS NOT NULL;
SELECT 'init' FROM pg_create_logical_replication_slot('life', 'dynamo_streams');
INSERT INTO life VALUES (1);
DROP EXTENSION dynamo_streams;
INSERT INTO life VALUES (2);
CHECKPOINT;
SELECT count(*) FROM pg_logical_slot_peek_changes('life', NULL, NULL);
CREATE EXTENSION dynamo_streams;
SELECT dynamo.enable_stream('life', 'KEYS_ONLY') IS NOT NULL;
INSERT INTO life VALUES (3);
CHECKPOINT;
SELECT data::jsonb->'dynamodb'->'Keys' FROM pg_logical_slot_get_changes('life', NULL, NULL);
SELECT pg_drop_replication_slot('life');
\c contrib_regression
DROP DATABASE rob_life;
