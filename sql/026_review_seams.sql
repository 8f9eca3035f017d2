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
SELECT dynamo.delete_table('R026') IS NOT NULL AS deleted;
DROP TABLE public.r026_plain;
REVOKE USAGE ON SCHEMA public FROM regress_ds_r026;
DROP ROLE regress_ds_r026;
