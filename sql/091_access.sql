-- 091_access: application roles (docs/security.md).  grant_access lets a
-- role create item tables and manage its own; item functions need the
-- table privileges plain SQL would need; a role without them gets
-- AccessDeniedException (SQLSTATE 42501) naming the DynamoDB action, not an
-- error from inside the function.  Row security keeps a role's catalog
-- writes to its own tables.
\set VERBOSITY terse
CREATE ROLE regress_ds_app;
CREATE ROLE regress_ds_other;
CREATE ROLE regress_ds_none;
SELECT dynamo.grant_access('regress_ds_app'), dynamo.grant_access('regress_ds_other');
CREATE SCHEMA ds091 AUTHORIZATION regress_ds_app;
SELECT dynamo.create_table('Admin091', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL AS created;

-- the application role: tables, items, streams of its own tables
SET ROLE regress_ds_app;
SELECT dynamo.create_table('App091', 'id', 'S', 'n', 'N', 'NEW_IMAGE') -> 'TableDescription' -> 'TableStatus';
SELECT dynamo.put_item('App091', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"x"}}');
SELECT dynamo.batch_write_item('{"App091":[{"PutRequest":{"Item":{"id":{"S":"a"},"n":{"N":"2"}}}},
                                          {"DeleteRequest":{"Key":{"id":{"S":"a"},"n":{"N":"3"}}}}]}');
SELECT dynamo.get_item('App091', '{"id":{"S":"a"},"n":{"N":"1"}}');
SELECT dynamo.query('App091', 'id = :a', '{":a":{"S":"a"}}') -> 'Count' AS query_count;
SELECT dynamo.scan('App091') -> 'Count' AS scan_count;
SELECT dynamo.delete_item('App091', '{"id":{"S":"a"},"n":{"N":"2"}}', 'ALL_OLD');
SELECT dynamo.describe_table('App091') -> 'Table' -> 'ItemCount' AS items;
SELECT dynamo.update_table('App091', false) -> 'TableDescription' -> 'StreamSpecification';
SELECT dynamo.update_table('App091', true, 'KEYS_ONLY') -> 'TableDescription' -> 'StreamSpecification';
SELECT item FROM dynamo."App091";
SELECT dynamo.list_tables();
CREATE TABLE ds091.orders (id int PRIMARY KEY, total numeric);
GRANT USAGE ON SCHEMA ds091 TO regress_ds_other;
SELECT dynamo.enable_stream('ds091.orders', 'NEW_IMAGE') -> 'StreamSpecification';
-- but not another role's table, nor its catalog row
SELECT dynamo.put_item('Admin091', '{"id":{"S":"a"}}');
SELECT dynamo.update_table('Admin091', false);
SELECT dynamo.delete_table('Admin091');
UPDATE dynamo._tables SET stream_enabled = false WHERE table_name = 'Admin091';
DELETE FROM dynamo._tables WHERE table_name = 'Admin091';
INSERT INTO dynamo._tables (table_name, relid, kind) VALUES ('evil091', 'pg_authid', 'relation');
SELECT dynamo.enable_stream('pg_authid', 'KEYS_ONLY');
RESET ROLE;
SELECT table_name, stream_enabled FROM dynamo._tables
 WHERE table_name IN ('Admin091', 'App091', 'orders') ORDER BY table_name COLLATE "C";

-- another role with grant_access: the app's tables are not its tables
SET ROLE regress_ds_other;
SELECT dynamo.put_item('App091', '{"id":{"S":"b"},"n":{"N":"1"}}');
SELECT dynamo.get_item('App091', '{"id":{"S":"a"},"n":{"N":"1"}}');
SELECT dynamo.delete_item('App091', '{"id":{"S":"a"},"n":{"N":"1"}}');
SELECT dynamo.query('App091', 'id = :a', '{":a":{"S":"a"}}');
SELECT dynamo.scan('App091');
SELECT dynamo.batch_write_item('{"App091":[{"PutRequest":{"Item":{"id":{"S":"b"},"n":{"N":"1"}}}}]}');
SELECT dynamo.describe_table('App091');
SELECT dynamo.update_table('App091', false);
SELECT dynamo.delete_table('App091');
SELECT dynamo.disable_stream('ds091.orders');
RESET ROLE;
-- privileges granted by the table's owner are honoured, exactly
SET ROLE regress_ds_app;
GRANT SELECT ON dynamo."App091" TO regress_ds_other;
SET ROLE regress_ds_other;
SELECT dynamo.get_item('App091', '{"id":{"S":"a"},"n":{"N":"1"}}');
SELECT dynamo.scan('App091') -> 'Count' AS scan_count;
SELECT dynamo.describe_table('App091') -> 'Table' -> 'ItemCount' AS items;
SELECT dynamo.put_item('App091', '{"id":{"S":"b"},"n":{"N":"1"}}');
RESET ROLE;

-- a role without grant_access
SET ROLE regress_ds_none;
SELECT dynamo.create_table('None091', 'id');
SELECT dynamo.put_item('App091', '{"id":{"S":"b"},"n":{"N":"1"}}');
SELECT dynamo.list_tables();
-- the SQLSTATE and the full message
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dynamo.get_item('Admin091', '{"id":{"S":"a"}}');
\set VERBOSITY terse
DO $$
BEGIN
    PERFORM dynamo.scan('Admin091');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, split_part(SQLERRM, ':', 1);
END $$;
RESET ROLE;

-- grant_access is the owner's: nobody else may call it
SET ROLE regress_ds_none;
SELECT dynamo.grant_access('regress_ds_none');
RESET ROLE;
SELECT dynamo.grant_access(NULL);
SELECT dynamo.revoke_access('regress_ds_other');
SET ROLE regress_ds_other;
SELECT dynamo.create_table('Other091', 'id');
RESET ROLE;

-- reading streams: logical slots need the REPLICATION attribute
SET ROLE regress_ds_app;
SELECT 'slot' FROM pg_create_logical_replication_slot('ds091', 'dynamo_streams');
RESET ROLE;
ALTER ROLE regress_ds_app REPLICATION;
SET ROLE regress_ds_app;
SELECT 'slot' FROM pg_create_logical_replication_slot('ds091', 'dynamo_streams');
SELECT dynamo.put_item('App091', '{"id":{"S":"s"},"n":{"N":"1"}}');
INSERT INTO ds091.orders VALUES (1, 9.5);
SELECT data::jsonb->>'eventName' AS event, data::jsonb->'dynamodb'->'Keys' AS keys
  FROM pg_logical_slot_get_changes('ds091', NULL, NULL, 'tables', 'App091,orders');
SELECT 'dropped' FROM pg_drop_replication_slot('ds091');
RESET ROLE;

SELECT dynamo.delete_table('Admin091') IS NOT NULL AS deleted;
DROP OWNED BY regress_ds_app, regress_ds_other, regress_ds_none;
DROP ROLE regress_ds_app, regress_ds_other, regress_ds_none;
SELECT count(*) AS left_over FROM dynamo._tables WHERE table_name IN ('App091', 'orders');
