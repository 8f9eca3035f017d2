-- 036_error_hints: what the commonest mistakes are told (issue 6, item 11),
-- and the CONTEXT of errors of the table functions.  Messages stay
-- DynamoDB's own (015_aws_messages); the exception name opens DETAIL and
-- the help is in DETAIL and HINT, so this suite shows them.
\set VERBOSITY default

SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S') IS NOT NULL AS created;

-- A plain-JSON item: the hint points to dynamo.marshall().
SELECT dynamo.put_item('Music', '{"Artist": "Acme Band", "SongTitle": "Happy Day"}');
SELECT dynamo.put_item('Music', dynamo.marshall('{"Artist": "Acme Band", "SongTitle": "Happy Day"}')) AS marshalled;

-- A table name in the wrong case: names are case-sensitive, the hint names
-- the table that differs only in case.
SELECT dynamo.get_item('music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}');
SELECT dynamo.put_item('MUSIC', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}');
SELECT dynamo.batch_write_item('{"music": [{"DeleteRequest": {"Key": {"Artist": {"S": "a"}, "SongTitle": {"S": "b"}}}}]}');
-- no hint when no table is close
SELECT dynamo.get_item('Nothing', '{"Artist": {"S": "Acme Band"}}');

-- A key that does not match the schema: DETAIL states the key schema.
SELECT dynamo.get_item('Music', '{"Artist": {"S": "Acme Band"}}');
SELECT dynamo.delete_item('Music', '{"Artist": {"S": "Acme Band"}, "Title": {"S": "Happy Day"}}');
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}}');
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"N": "1"}}');
SELECT dynamo.batch_write_item('{"Music": [{"PutRequest": {"Item": {"Artist": {"S": "a"}}}}]}');

-- An invalid item for an existing table: the attribute path is in DETAIL.
SELECT dynamo.put_item('Music', '{"Artist": {"S": "a"}, "SongTitle": {"S": "b"}, "Tags": {"M": {"x": {"SS": []}}}}');

-- enable_stream('Music') names a relation, and unquoted names fold to lower
-- case: the hint says how to turn on the stream of item table Music.
SELECT dynamo.enable_stream('Music', 'NEW_IMAGE');
SELECT dynamo.disable_stream('Music');
-- an unknown relation gets PostgreSQL's error, without a hint
SELECT dynamo.enable_stream('no_such_relation', 'NEW_IMAGE');
-- named as the hint says, it works (as update_table)
SELECT dynamo.enable_stream('dynamo."Music"', 'NEW_IMAGE') -> 'StreamSpecification' AS enabled;
SELECT dynamo.disable_stream('dynamo."Music"') -> 'StreamSpecification' AS disabled;
-- a string that names an ordinary table resolves with the caller's search_path
CREATE TABLE public.hints_plain (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('hints_plain', 'KEYS_ONLY') ->> 'TableName' AS enabled;
SELECT dynamo.disable_stream('HINTS_PLAIN') ->> 'TableName' AS disabled;
DROP TABLE public.hints_plain;

-- CONTEXT: an error of a table function shows that function only, never an
-- internal helper (dynamo._item_table, dynamo._check_table_name, ...).
-- As psql shows it:
SELECT dynamo.describe_table('music');
-- Line numbers are masked below; no_helper: no internal name in CONTEXT.
CREATE FUNCTION pg_temp.error_context(stmt text) RETURNS TABLE (no_helper boolean, message text, context text)
LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    EXECUTE stmt;
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS c = PG_EXCEPTION_CONTEXT;
    message := SQLERRM;
    no_helper := c !~ 'dynamo\._';
    context := regexp_replace(regexp_replace(c, ' line \d+ ', ' line N ', 'g'),
                              E'\nPL/pgSQL function pg_temp_\\d+\\.error_context\\(text\\) .*$', '');
    RETURN NEXT;
END
$$;
SELECT * FROM pg_temp.error_context($$SELECT dynamo.describe_table('music')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.delete_table('x')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.update_table('Music', true, 'ALL')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.create_table('bad name', 'k')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.create_table('Music2', 'k', 'X')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.create_table('Music', 'k')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.list_tables("limit" => 0)$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.enable_stream(NULL::regclass, 'KEYS_ONLY')$$);
SELECT * FROM pg_temp.error_context($$SELECT dynamo.put_item('Music', '{"a": 1}')$$);

-- The exception name, for code that handles errors (docs/errors.md).
DO $$
DECLARE
    d text;
BEGIN
    PERFORM dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}, "Genre": {"SS": []}}');
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'exception %, message %', substring(d FROM '^[A-Za-z]+'), SQLERRM;
END
$$;

SELECT dynamo.delete_table('Music') IS NOT NULL AS dropped;
