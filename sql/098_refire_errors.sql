-- 098_refire_errors: bad input to dynamo.refire gets AWS's exception
-- names and nothing is emitted; refire needs the privileges of writing the
-- table (SELECT and UPDATE), checked again by _refire_row for direct
-- callers, and refuses tables whose rows the role sees through row
-- security.
CREATE FUNCTION rf_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; res text;
BEGIN
  EXECUTE q INTO res;
  RETURN 'ok: ' || coalesce(res, 'NULL');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || msg || coalesce(' | ' || det, '');
END $$;
SELECT 'init' FROM pg_create_logical_replication_slot('rf098', 'dynamo_streams');
SELECT dynamo.create_table('RfErr', 'id', 'S', 'n', 'N', 'NEW_IMAGE') IS NOT NULL AS created;
SELECT dynamo.create_table('RfNoStream', 'id') IS NOT NULL AS created;
SELECT dynamo.put_item('RfErr', '{"id":{"S":"a"},"n":{"N":"1"}}') IS NOT NULL;
CREATE TABLE rf_plain (id int PRIMARY KEY, v text);
CREATE TABLE rf_uuid (id uuid PRIMARY KEY, v text);
SELECT dynamo.enable_stream('rf_uuid', 'NEW_IMAGE') IS NOT NULL AS enabled;
INSERT INTO rf_uuid VALUES ('00000000-0000-0000-0000-000000000001', 'u');
SELECT count(*) AS inserts FROM pg_logical_slot_get_changes('rf098', NULL, NULL);
SELECT what, rf_try(q) AS result FROM (VALUES
  ('no table name', $$SELECT dynamo.refire(NULL)$$),
  ('unknown table', $$SELECT dynamo.refire('RfMissing')$$),
  ('no stream', $$SELECT dynamo.refire('RfNoStream')$$),
  ('ordinary table without a stream', $$SELECT dynamo.refire('rf_plain')$$),
  ('keys not a list', $$SELECT dynamo.refire('RfErr', '"a"')$$),
  ('key not an object', $$SELECT dynamo.refire('RfErr', '["a"]')$$),
  ('key without the range key', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a"}}')$$),
  ('key with another attribute', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a"},"n":{"N":"1"},"x":{"S":"y"}}')$$),
  ('key of the wrong type', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a"},"n":{"S":"1"}}')$$),
  ('key value not an AttributeValue', $$SELECT dynamo.refire('RfErr', '{"id":"a","n":{"N":"1"}}')$$),
  ('key value with two types', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a","N":"1"},"n":{"N":"1"}}')$$),
  ('key number not a number', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a"},"n":{"N":"one"}}')$$),
  ('key not of the column type', $$SELECT dynamo.refire('rf_uuid', '{"id":{"S":"not-a-uuid"}}')$$),
  ('uuid key (control)', $$SELECT dynamo.refire('rf_uuid', '{"id":{"S":"00000000-0000-0000-0000-000000000001"}}')$$),
  ('item table key (control)', $$SELECT dynamo.refire('RfErr', '{"id":{"S":"a"},"n":{"N":"1"}}')$$),
  ('_refire_row on a view', $$SELECT dynamo._refire_row('pg_roles', '(0,1)')$$),
  ('_refire_row, no such block', $$SELECT dynamo._refire_row('rf_uuid', '(999,1)')$$),
  ('_refire_row, no such row', $$SELECT dynamo._refire_row('rf_uuid', '(0,99)')$$)) v(what, q);
-- only the two controls emitted records
SELECT count(*) AS records FROM pg_logical_slot_get_changes('rf098', NULL, NULL);

-- privileges: SELECT and UPDATE on the table, as for update_item
CREATE ROLE regress_rf_reader;
CREATE ROLE regress_rf_writer;
SELECT dynamo.grant_access('regress_rf_reader'), dynamo.grant_access('regress_rf_writer');
GRANT SELECT ON dynamo."RfErr", rf_uuid TO regress_rf_reader;
GRANT SELECT, UPDATE ON dynamo."RfErr", rf_uuid TO regress_rf_writer;
SET ROLE regress_rf_reader;
SELECT rf_try($$SELECT dynamo.refire('RfErr')$$) AS reader_refire;
SELECT rf_try($$SELECT dynamo._refire_row('dynamo."RfErr"', '(0,1)')$$) AS reader_direct;
SELECT rf_try($$SELECT dynamo.refire('rf_uuid')$$) AS reader_ordinary;
RESET ROLE;
SET ROLE regress_rf_writer;
SELECT rf_try($$SELECT dynamo.refire('RfErr')$$) AS writer_refire;
SELECT rf_try($$SELECT dynamo.refire('rf_uuid')$$) AS writer_ordinary;
RESET ROLE;
-- row security that applies to the role: refire sees no rows, and the
-- ctid reader refuses
ALTER TABLE rf_uuid ENABLE ROW LEVEL SECURITY;
CREATE POLICY rf_none ON rf_uuid USING (false);
SET ROLE regress_rf_writer;
SELECT rf_try($$SELECT dynamo.refire('rf_uuid')$$) AS writer_under_rls;
SELECT rf_try($$SELECT dynamo._refire_row('rf_uuid', '(0,1)')$$) AS writer_direct_under_rls;
RESET ROLE;
SELECT rf_try($$SELECT dynamo.refire('rf_uuid')$$) AS owner_under_rls;
SELECT count(*) AS records FROM pg_logical_slot_get_changes('rf098', NULL, NULL);

SELECT pg_drop_replication_slot('rf098');
DROP TABLE rf_plain, rf_uuid;
SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['RfErr', 'RfNoStream']) t;
DROP OWNED BY regress_rf_reader, regress_rf_writer;
DROP ROLE regress_rf_reader, regress_rf_writer;
DROP FUNCTION rf_try;
