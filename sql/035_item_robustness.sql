-- Robustness of the item API against adversarial input and hand-made
-- objects: each case once crashed the server or misbehaved (see the review
-- notes in the commit log).
\set VERBOSITY terse

-- _item_guard attached by hand to a table that is not an item table: the
-- trigger writes text/numeric/bytea and jsonb datums into pk, sk and item,
-- so a column of another type is an error (it used to read the text as jsonb
-- and crash).
CREATE TEMP TABLE g_text (pk text, item text);
CREATE TRIGGER g BEFORE INSERT ON g_text FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'S');
INSERT INTO g_text VALUES ('a', 'aaa xyz');
CREATE TEMP TABLE g_json (pk text, item json);
CREATE TRIGGER g BEFORE INSERT ON g_json FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'S');
INSERT INTO g_json VALUES ('a', '{"id":{"S":"a"}}');
CREATE TEMP TABLE g_name (pk name, item jsonb);
CREATE TRIGGER g BEFORE INSERT ON g_name FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'S');
INSERT INTO g_name VALUES ('a', '{"id":{"S":"a"}}');
CREATE TEMP TABLE g_nosk (pk numeric, item jsonb);
CREATE TRIGGER g BEFORE INSERT ON g_nosk FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'N', 'r', 'B');
INSERT INTO g_nosk VALUES (1, '{"id":{"N":"1"},"r":{"B":"AA=="}}');
CREATE TEMP TABLE g_nopk (id text, item jsonb);
CREATE TRIGGER g BEFORE INSERT ON g_nopk FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'S');
INSERT INTO g_nopk VALUES ('a', '{"id":{"S":"a"}}');
-- bad trigger arguments and trigger kinds
CREATE TEMP TABLE g_ok (pk bytea, sk text, item jsonb);
CREATE TRIGGER g BEFORE INSERT ON g_ok FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'X');
INSERT INTO g_ok VALUES ('\x00', 'a', '{}');
DROP TRIGGER g ON g_ok;
CREATE TRIGGER g BEFORE INSERT ON g_ok FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id');
INSERT INTO g_ok VALUES ('\x00', 'a', '{}');
DROP TRIGGER g ON g_ok;
CREATE TRIGGER g AFTER INSERT ON g_ok FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'B', 'r', 'S');
INSERT INTO g_ok VALUES ('\x00', 'a', '{}');
DROP TRIGGER g ON g_ok;
CREATE TRIGGER g BEFORE INSERT ON g_ok FOR EACH STATEMENT EXECUTE FUNCTION dynamo._item_guard('id', 'B', 'r', 'S');
INSERT INTO g_ok VALUES ('\x00', 'a', '{}');
DROP TRIGGER g ON g_ok;
-- with the right column types it does its job
CREATE TRIGGER g BEFORE INSERT OR UPDATE ON g_ok FOR EACH ROW EXECUTE FUNCTION dynamo._item_guard('id', 'B', 'r', 'S');
INSERT INTO g_ok VALUES (NULL, NULL, '{"id":{"B":"YR=="},"r":{"S":"x"},"n":{"N":"1.50"}}') RETURNING *;
SELECT dynamo.put_item('g_ok', '{"id":{"B":"AA=="},"r":{"S":"x"}}');

-- KeyConditionExpression: at most 4 KB, as in DynamoDB (deeply nested
-- parentheses used to overflow the stack and crash the server)
SELECT dynamo.create_table('robust_q', 'id', 'S', 'r', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('robust_q', '{"id":{"S":"a"},"r":{"S":"b"}}');
SELECT dynamo.query('robust_q', repeat('(', 100000) || 'id = :v' || repeat(')', 100000), '{":v":{"S":"a"}}');
SELECT dynamo.query('robust_q', 'id = :v' || repeat(' ', 4090), '{":v":{"S":"a"}}');
SELECT dynamo.query('robust_q', 'id = :v' || repeat(' ', 4089), '{":v":{"S":"a"}}') -> 'Count' AS count_4096;
SELECT dynamo.query('robust_q', repeat('(', 2040) || 'id = :v' || repeat(')', 2040), '{":v":{"S":"a"}}') -> 'Count' AS nested_2040;
SELECT dynamo.query('robust_q', repeat('(', 2045) || 'id = :v', '{":v":{"S":"a"}}');
-- syntax errors quote at most 100 bytes of a token, cut between characters
SELECT dynamo.query('robust_q', 'id = :v ' || repeat('x', 300), '{":v":{"S":"a"}}');
SELECT dynamo.query('robust_q', 'id = :v ' || repeat('é', 300), '{":v":{"S":"a"}}');
SELECT dynamo.query('robust_q', ':' || repeat(' ', 8) || 'éé', '{":v":{"S":"a"}}');
SELECT dynamo.query('robust_q', 'id = :v AND r = ' || repeat(' ', 6) || '!éééééé', '{":v":{"S":"a"}}');

-- A renamed item table: the item API follows the catalog row's relation
-- and never writes a relation that took the old name.
SELECT dynamo.create_table('robust_rn', 'id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('robust_rn', '{"id":{"N":"1"}}');
ALTER TABLE dynamo.robust_rn RENAME TO robust_rn2;
SELECT dynamo.put_item('robust_rn', '{"id":{"N":"2"}}');
CREATE TABLE dynamo.robust_rn (pk numeric PRIMARY KEY, item jsonb);
SELECT dynamo.put_item('robust_rn', '{"id":{"N":"3"}}');
SELECT dynamo.get_item('robust_rn', '{"id":{"N":"3"}}');
SELECT dynamo.delete_item('robust_rn', '{"id":{"N":"1"}}', 'ALL_OLD');
SELECT count(*) AS decoy_rows FROM dynamo.robust_rn;
SELECT pk, item FROM dynamo.robust_rn2 ORDER BY pk;
CREATE SCHEMA robust_other;
ALTER TABLE dynamo.robust_rn2 SET SCHEMA robust_other;
SELECT dynamo.query('robust_rn', 'id = :v', '{":v":{"N":"3"}}');
SELECT dynamo.scan('robust_rn');
ALTER TABLE robust_other.robust_rn2 SET SCHEMA dynamo;
DROP TABLE dynamo.robust_rn;
DROP SCHEMA robust_other;
SELECT dynamo.delete_table('robust_rn') -> 'TableDescription' -> 'TableName' AS deleted;
SELECT count(*) AS left_over FROM pg_class WHERE relname LIKE 'robust_rn%';

-- Plain COPY into an item table obeys the same rules as put_item.
COPY dynamo.robust_q (item) FROM stdin;
{"id": {"S": "c"}, "r": {"S": "d"}, "n": {"N": "01.10"}}
\.
SELECT item FROM dynamo.robust_q WHERE pk = 'c';
COPY dynamo.robust_q (item) FROM stdin;
{"id": {"S": "e"}, "r": {"S": "f"}}
{"id": {"S": "e"}, "r": {"SS": []}}
\.
SELECT count(*) AS rows_after_failed_copy FROM dynamo.robust_q;

-- A role with USAGE on the schema and privileges on one item table can use
-- it: the catalog is readable by every role, writable by none of them.
CREATE ROLE regress_dynamo_user;
GRANT USAGE ON SCHEMA dynamo TO regress_dynamo_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON dynamo.robust_q TO regress_dynamo_user;
SET ROLE regress_dynamo_user;
SELECT dynamo.put_item('robust_q', '{"id":{"S":"u"},"r":{"S":"v"}}');
SELECT dynamo.get_item('robust_q', '{"id":{"S":"u"},"r":{"S":"v"}}');
SELECT dynamo.query('robust_q', 'id = :v', '{":v":{"S":"u"}}') -> 'Count' AS count;
SELECT dynamo.delete_item('robust_q', '{"id":{"S":"u"},"r":{"S":"v"}}', 'ALL_OLD');
SELECT dynamo.put_item('robust_rn2', '{"id":{"N":"4"}}');
UPDATE dynamo._tables SET hash_key = 'x' WHERE table_name = 'robust_q';
INSERT INTO dynamo._tables (table_name, relid, kind) VALUES ('evil', 'pg_authid', 'relation');
SELECT dynamo.create_table('robust_u', 'id');
RESET ROLE;
REVOKE ALL ON dynamo.robust_q FROM regress_dynamo_user;
REVOKE USAGE ON SCHEMA dynamo FROM regress_dynamo_user;
DROP ROLE regress_dynamo_user;

-- The table functions ignore the caller's search_path: an operator that a
-- schema ahead of pg_catalog brings in is never called.
CREATE SCHEMA robust_evil;
CREATE FUNCTION robust_evil.lt(int, int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'hijacked';
    RETURN $1 OPERATOR(pg_catalog.<) $2;
END $$;
CREATE OPERATOR robust_evil.< (LEFTARG = int, RIGHTARG = int, FUNCTION = robust_evil.lt);
SET search_path = robust_evil, pg_catalog, public;
SELECT 1 < 2 AS hijack_works;
SELECT dynamo.create_table('robust_sp', 'id') -> 'TableDescription' -> 'TableName' AS created;
SELECT dynamo.create_table('sp', 'id');
SELECT dynamo.list_tables('robust_sp', 1);
SELECT dynamo.update_table('robust_sp', false);
SELECT dynamo.describe_table('robust_sp') -> 'Table' -> 'ItemCount' AS items;
SELECT dynamo.delete_table('robust_sp') -> 'TableDescription' -> 'TableName' AS deleted;
RESET search_path;
DROP SCHEMA robust_evil CASCADE;

SELECT dynamo.delete_table('robust_q') -> 'TableDescription' -> 'ItemCount' AS items;
