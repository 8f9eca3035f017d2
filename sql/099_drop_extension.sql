-- 099_drop_extension: runs last.  DROP EXTENSION refuses while item tables
-- exist; with CASCADE it drops the extension's objects and the tables'
-- triggers, and keeps the item tables and their data.
\set VERBOSITY terse
SELECT dynamo.create_table('Keep', 'Id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('Keep', '{"Id":{"N":"1.50"},"v":{"S":"kept"}}');
DROP EXTENSION dynamo_streams;
DROP EXTENSION dynamo_streams CASCADE;
SELECT pk, item FROM dynamo."Keep";
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'dynamo."Keep"'::regclass;
SELECT count(*) AS catalog FROM pg_class WHERE relname = '_tables';
-- the schema stays for the tables it holds; a new CREATE EXTENSION uses it
-- and adopts the kept item table again (more in 100_readopt)
CREATE EXTENSION dynamo_streams;
SELECT dynamo.list_tables();
DROP TABLE dynamo."Keep";
DROP EXTENSION dynamo_streams;
