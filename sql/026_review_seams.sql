-- 026_review_seams: defects found where the issue-6 branches met.
\set VERBOSITY terse

-- 1. AccessDeniedException of the table functions names no internal
-- helper in CONTEXT (the rule of 036_error_hints): _require_access was
-- PL/pgSQL, and enable_stream/disable_stream called it with PERFORM.
CREATE ROLE regress_ds_r026;
CREATE TABLE public.r026_plain (id int PRIMARY KEY);
SELECT dynamo.create_table('R026', 'id') IS NOT NULL AS created;
CREATE FUNCTION pg_temp.error_context(stmt text)
RETURNS TABLE (no_helper boolean, state text, message text, detail text, context text)
LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    EXECUTE stmt;
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS c = PG_EXCEPTION_CONTEXT, detail = PG_EXCEPTION_DETAIL;
    state := SQLSTATE;
    message := SQLERRM;
    no_helper := c !~ 'dynamo\._';
    context := regexp_replace(regexp_replace(c, ' line \d+ ', ' line N ', 'g'),
                              E'\nPL/pgSQL function pg_temp_\\d+\\.error_context\\(text\\) .*$', '');
    RETURN NEXT;
END
$$;
GRANT USAGE ON SCHEMA public TO regress_ds_r026;
SET ROLE regress_ds_r026;
\x on
SELECT * FROM pg_temp.error_context($$SELECT dynamo.describe_table('R026')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.update_table('R026', true, 'KEYS_ONLY')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.delete_table('R026')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.enable_stream('public.r026_plain', 'KEYS_ONLY')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.disable_stream('public.r026_plain')$$);
\x off
RESET ROLE;
-- NULL arguments of the helper (callable by anyone) are harmless
SELECT dynamo._require_access(NULL, 'DescribeTable', '{SELECT}') IS NULL AS null_row;
SELECT (dynamo._require_access(t, NULL, NULL)).table_name FROM dynamo._tables t WHERE table_name = 'R026';
SELECT dynamo.delete_table('R026') IS NOT NULL AS deleted;
DROP TABLE public.r026_plain;
REVOKE USAGE ON SCHEMA public FROM regress_ds_r026;
DROP ROLE regress_ds_r026;

-- 2. A kept item table (DROP EXTENSION ... CASCADE) whose comment was
-- changed by hand: the comment's values were cast without a guard, so a
-- cast error escaped _adopt_kept_tables (it only catches AWS exceptions)
-- and made CREATE EXTENSION fail altogether.  Now ValidationException, and
-- CREATE EXTENSION's adoption warns and goes on.
CREATE TABLE dynamo.r026_kept (pk text PRIMARY KEY, item jsonb NOT NULL);
COMMENT ON TABLE dynamo.r026_kept IS 'dynamo_streams item table {"HashKey": "id", "CreatedAt": "yesterday-ish"}';
SELECT dynamo._adopt_kept_tables();
SELECT dynamo.adopt_table('r026_kept', 'id');
COMMENT ON TABLE dynamo.r026_kept IS 'dynamo_streams item table {bad';
SELECT dynamo._adopt_kept_tables();
COMMENT ON TABLE dynamo.r026_kept IS 'dynamo_streams item table {"HashKey": "id", "TableId": "x"}';
SELECT dynamo._adopt_kept_tables();
SELECT count(*) AS adopted FROM dynamo._tables WHERE table_name = 'r026_kept';
-- a good comment is still used (TableId and creation time kept)
COMMENT ON TABLE dynamo.r026_kept IS 'dynamo_streams item table {"HashKey": "id", "TableId": "0e0c2f4a-2d55-4b4e-9d1e-6c1f3a9b8e7d", "CreatedAt": "2026-01-02T03:04:05+00:00"}';
SELECT dynamo.adopt_table('r026_kept') -> 'TableDescription' ->> 'TableId' AS table_id;
SELECT created_at = '2026-01-02T03:04:05+00:00' AS created_kept FROM dynamo._tables WHERE table_name = 'r026_kept';
SELECT dynamo.delete_table('r026_kept') IS NOT NULL AS deleted;

-- 3. A catalog row whose relation was dropped while event triggers were
-- off (kept by the upgrade from 0.1.0, see TAP 070): describe_table and
-- delete_table failed with a syntax error (FROM <oid>, DROP TABLE <oid>),
-- so the row could not be deleted through the API.
SELECT dynamo.create_table('R026Gone', 'id') IS NOT NULL AS created;
SET session_replication_role = replica;
DROP TABLE dynamo."R026Gone";
RESET session_replication_role;
SELECT count(*) AS stale_rows FROM dynamo._tables WHERE table_name = 'R026Gone';
SELECT dynamo.describe_table('R026Gone') -> 'Table' -> 'ItemCount' AS items;
SELECT dynamo.delete_table('R026Gone') -> 'TableDescription' ->> 'TableStatus' AS status;
SELECT count(*) AS stale_rows FROM dynamo._tables WHERE table_name = 'R026Gone';

-- 4. The replica identity event trigger fires for every ALTER TABLE in the
-- database and read the catalog with the caller's privileges: with schema
-- dynamo or dynamo._tables locked down, every role's ALTER TABLE of its own
-- unrelated tables failed.  It runs as the extension's owner now.
CREATE ROLE regress_ds_r026b;
CREATE SCHEMA r026b AUTHORIZATION regress_ds_r026b;
REVOKE USAGE ON SCHEMA dynamo FROM PUBLIC;
REVOKE SELECT ON dynamo._tables FROM PUBLIC;
SET ROLE regress_ds_r026b;
CREATE TABLE r026b.t (id int PRIMARY KEY);
ALTER TABLE r026b.t ADD COLUMN v text;
ALTER TABLE r026b.t REPLICA IDENTITY FULL;
RESET ROLE;
GRANT USAGE ON SCHEMA dynamo TO PUBLIC;
GRANT SELECT ON dynamo._tables TO PUBLIC;
SELECT attname FROM pg_attribute WHERE attrelid = 'r026b.t'::regclass AND attnum > 0 ORDER BY attnum;
-- and it still guards item tables
SELECT dynamo.create_table('R026Guard', 'id') IS NOT NULL AS created;
ALTER TABLE dynamo."R026Guard" REPLICA IDENTITY DEFAULT;
SELECT dynamo.delete_table('R026Guard') IS NOT NULL AS deleted;
DROP SCHEMA r026b CASCADE;
DROP ROLE regress_ds_r026b;
