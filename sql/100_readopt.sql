-- 100_readopt: item tables that DROP EXTENSION ... CASCADE kept become item
-- tables again at the next CREATE EXTENSION (their comments hold the key
-- schema and creation time), or with dynamo.adopt_table.  Runs after
-- 099_drop_extension, so it installs the extension itself.
\set VERBOSITY terse
SET client_min_messages = notice;
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('Songs', 'Artist', 'S', 'Year', 'N', 'NEW_IMAGE') IS NOT NULL AS created;
SELECT dynamo.create_table('Blobs', 'Id', 'B') IS NOT NULL AS created;
SELECT dynamo.create_table('Old', 'Id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('Songs', '{"Artist":{"S":"Acme"},"Year":{"N":"2024"},"Title":{"S":"Happy Day"}}');
SELECT dynamo.put_item('Blobs', '{"Id":{"B":"AAEC"},"Size":{"N":"3"}}');
SELECT dynamo.put_item('Old', '{"Id":{"N":"1"}}');
CREATE TEMP TABLE before AS
  SELECT table_name, (dynamo.describe_table(table_name)->'Table')
                     - '{LatestStreamArn,LatestStreamLabel,StreamSpecification}'::text[] AS d
    FROM dynamo._tables;
-- a table made before 0.2.0 has no key schema in its comment
COMMENT ON TABLE dynamo."Old" IS 'dynamo_streams item table Old';
-- an ordinary table in the schema is never adopted
CREATE TABLE dynamo."Other" (pk text PRIMARY KEY, v int);
DROP EXTENSION dynamo_streams CASCADE;
-- without the guard, a plain write can store anything
INSERT INTO dynamo."Blobs" VALUES ('\x01', '{"Id":{"B":"AQ=="},"Bad":{"SS":[]}}');
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'dynamo."Songs"'::regclass AND tgname = '_item_guard';

-- CREATE EXTENSION adopts Songs; Blobs (a bad item) and Old (no key
-- schema) are left with a warning; Other is not an item table
CREATE EXTENSION dynamo_streams;
SELECT dynamo.list_tables();
-- the same table: key schema, TableId and CreationDateTime kept; no stream
SELECT b.d = ((dynamo.describe_table('Songs')->'Table') - 'StreamSpecification') AS same_description,
       dynamo.describe_table('Songs')->'Table' ? 'StreamSpecification' AS has_stream
  FROM before b WHERE b.table_name = 'Songs';
SELECT dynamo.get_item('Songs', '{"Artist":{"S":"Acme"},"Year":{"N":"2024"}}');
-- the guard is back
INSERT INTO dynamo."Songs" (item) VALUES ('{"Artist":{"S":"Acme"},"Year":{"N":"x"}}');
SELECT dynamo.put_item('Songs', '{"Artist":{"S":"Acme"},"Year":{"N":"2025.0"}}');
SELECT pk, sk, item FROM dynamo."Songs" ORDER BY sk;
SELECT relreplident FROM pg_class WHERE oid = 'dynamo."Songs"'::regclass;
-- create_table on an adopted name: it exists
SELECT dynamo.create_table('Songs', 'Artist');
-- create_table on a kept, not adopted name says how to adopt it
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dynamo.create_table('Old', 'Id', 'N');
-- adopt_table: Old needs its key name
SELECT dynamo.adopt_table('Old');
\set VERBOSITY terse
SELECT dynamo.adopt_table('Old', hash_key => 'Id') -> 'TableDescription' -> 'KeySchema';
SELECT dynamo.get_item('Old', '{"Id":{"N":"1"}}');
-- Blobs: fix the bad item, then adopt
SELECT dynamo.adopt_table('Blobs');
DELETE FROM dynamo."Blobs" WHERE pk = '\x01';
SELECT b.d = (dynamo.adopt_table('Blobs')->'TableDescription') AS same_description
  FROM before b WHERE b.table_name = 'Blobs';
SELECT dynamo.get_item('Blobs', '{"Id":{"B":"AAEC"}}');
-- a key attribute that does not match pk is a broken item too
DROP EXTENSION dynamo_streams CASCADE;
UPDATE dynamo."Old" SET item = '{"Id":{"N":"2"}}';
CREATE EXTENSION dynamo_streams;
SELECT dynamo.adopt_table('Old', 'Id');
UPDATE dynamo."Old" SET item = '{"Id":{"N":"1.0"}}';
SELECT dynamo.adopt_table('Old', 'Id');
UPDATE dynamo."Old" SET item = '{"Id":{"N":"1"}}';
SELECT dynamo.adopt_table('Old', 'Id') IS NOT NULL AS adopted;
-- errors
SELECT dynamo.adopt_table('Old');
SELECT dynamo.adopt_table('Other');
SELECT dynamo.adopt_table('Nothing');
SELECT dynamo.adopt_table('_tables');
SELECT dynamo.adopt_table(NULL);
-- a stream can be enabled again: a new stream
SELECT dynamo.update_table('Songs', true, 'KEYS_ONLY') -> 'TableDescription' -> 'StreamSpecification';
SELECT dynamo.delete_table('Songs') IS NOT NULL, dynamo.delete_table('Blobs') IS NOT NULL,
       dynamo.delete_table('Old') IS NOT NULL;
DROP TABLE dynamo."Other";
DROP EXTENSION dynamo_streams;
