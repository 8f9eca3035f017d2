-- 090_plugin_tables_option: the output plugin's "tables" option checks its
-- names when a read starts.  A name that is neither an item table nor a
-- stream-enabled table (a typo) is ResourceNotFoundException before any
-- change is decoded, so the records stay in the slot instead of being
-- filtered out and consumed.
\set VERBOSITY terse
SELECT 'slot' FROM pg_create_logical_replication_slot('dec090', 'dynamo_streams');
SELECT dynamo.create_table('Tab090', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL AS created;
CREATE TABLE plain090 (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('plain090', 'KEYS_ONLY') IS NOT NULL AS enabled;
CREATE TABLE never090 (id int PRIMARY KEY);
SELECT dynamo.put_item('Tab090', '{"id":{"S":"a"}}') IS NOT NULL AS put;
INSERT INTO plain090 VALUES (1, 'x');
-- a typo, wrong case, an ordinary table without a stream: errors, for get
-- and peek alike, naming the first unknown name
SELECT count(*) FROM pg_logical_slot_get_changes('dec090', NULL, NULL, 'tables', 'Tab09O');
SELECT count(*) FROM pg_logical_slot_get_changes('dec090', NULL, NULL, 'tables', 'Tab090, tab090');
SELECT count(*) FROM pg_logical_slot_peek_changes('dec090', NULL, NULL, 'tables', 'never090,Tab090');
-- nothing was consumed
SELECT count(*) AS still_there FROM pg_logical_slot_peek_changes('dec090', NULL, NULL);
-- known names (item table, ordinary table) work
SELECT data::jsonb->>'eventSourceARN' LIKE '%table/Tab090/stream/%' AS tab090
  FROM pg_logical_slot_peek_changes('dec090', NULL, NULL, 'tables', 'Tab090');
SELECT data::jsonb->'dynamodb'->'Keys' AS keys
  FROM pg_logical_slot_get_changes('dec090', NULL, NULL, 'tables', 'plain090 , Tab090');
-- a table whose stream is disabled is still a known name
SELECT dynamo.update_table('Tab090', false) IS NOT NULL AS disabled;
SELECT count(*) FROM pg_logical_slot_get_changes('dec090', NULL, NULL, 'tables', 'Tab090');
-- a deleted table is no longer a known name
SELECT dynamo.delete_table('Tab090') IS NOT NULL AS deleted;
SELECT count(*) FROM pg_logical_slot_get_changes('dec090', NULL, NULL, 'tables', 'Tab090');
SELECT count(*) FROM pg_logical_slot_get_changes('dec090', NULL, NULL);
SELECT 'dropped' FROM pg_drop_replication_slot('dec090');
SELECT dynamo.disable_stream('plain090') IS NOT NULL AS disabled;
DROP TABLE plain090, never090;
