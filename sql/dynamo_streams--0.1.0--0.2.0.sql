-- dynamo_streams upgrade 0.1.0 -> 0.2.0.
--
-- Every change to installed objects between the releases, in the order
-- the install script (sql/install/) makes them.  test/t/003_upgrade.pl
-- checks that an upgraded database has exactly the objects of a fresh
-- 0.2.0 install and keeps its items, catalog rows and streams.

\echo Use "ALTER EXTENSION dynamo_streams UPDATE TO '0.2.0'" to load this file. \quit

-- Cheap table descriptions and random TableIds (issue 6, items 8 and 12).
-- TableId becomes a random version-4 UUID stored in the catalog (existing
-- tables get a new one here); ItemCount and TableSizeBytes no longer read
-- the whole table (see _table_size).
-- _tables is a user catalog table, which ALTER TABLE may not rewrite: add
-- the column empty, fill it, then set the default and NOT NULL (no rewrite).
ALTER TABLE @extschema@._tables ADD COLUMN table_id uuid;
UPDATE @extschema@._tables SET table_id = pg_catalog.gen_random_uuid();
ALTER TABLE @extschema@._tables
    ALTER COLUMN table_id SET DEFAULT pg_catalog.gen_random_uuid(),
    ALTER COLUMN table_id SET NOT NULL;

-- The TableId: the random (version 4) UUID stored at creation.
CREATE OR REPLACE FUNCTION @extschema@._table_id(t @extschema@._tables)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.table_id::text
$$;

-- ItemCount and TableSizeBytes of item table relid, read from at most 128
-- pages (1 MB at the default block size) whatever the table's size.  A table
-- that fits in 128 pages is counted exactly.  For a larger one, ItemCount is
-- PostgreSQL's row count statistic (pg_class.reltuples, refreshed by VACUUM,
-- ANALYZE and autovacuum) and TableSizeBytes is ItemCount times the mean
-- item size of a block sample of about 128 pages (TABLESAMPLE SYSTEM with a
-- fixed seed, so an unchanged table reports the same figure every time).
-- Before the first VACUUM or ANALYZE the sample estimates ItemCount too.
-- DynamoDB itself refreshes both figures only about every six hours.
CREATE FUNCTION @extschema@._table_size(relid pg_catalog.regclass, OUT item_count bigint, OUT size_bytes bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sample_pages constant int := 128;
    pages bigint := pg_catalog.pg_relation_size(relid) OPERATOR(pg_catalog./)
                    pg_catalog.current_setting('block_size')::int;
    percent float8 := 100;
    n bigint;
    size numeric;
    stats_pages int;
    stats_tuples float4;
BEGIN
    IF pages IS NULL THEN
        -- the relation is gone (dropped while event triggers were off)
        item_count := 0;
        size_bytes := 0;
        RETURN;
    END IF;
    IF pages OPERATOR(pg_catalog.>) sample_pages THEN
        percent := 100.0 OPERATOR(pg_catalog.*) sample_pages OPERATOR(pg_catalog./) pages;
    END IF;
    -- Stored items are normalised, so their size needs no validation; an
    -- item written around the guard trigger must not make describe_table
    -- (or delete_table) fail.
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*), COALESCE(pg_catalog.sum(@extschema@._stored_item_size(item)), 0) FROM %s%s',
                              relid, CASE WHEN percent OPERATOR(pg_catalog.<) 100
                                          THEN pg_catalog.format(' TABLESAMPLE SYSTEM (%s) REPEATABLE (0)', percent) END)
        INTO n, size;
    IF percent OPERATOR(pg_catalog.=) 100 THEN
        item_count := n;
        size_bytes := size;
        RETURN;
    END IF;
    SELECT c.relpages, c.reltuples INTO stats_pages, stats_tuples
      FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relid;
    IF stats_pages OPERATOR(pg_catalog.>) 0 AND stats_tuples OPERATOR(pg_catalog.>=) 0 THEN
        item_count := pg_catalog.round(stats_tuples);
    ELSE
        item_count := pg_catalog.round(n OPERATOR(pg_catalog.*) 100 OPERATOR(pg_catalog./) percent);
    END IF;
    size_bytes := CASE WHEN n OPERATOR(pg_catalog.=) 0 THEN 0
                       ELSE pg_catalog.round(item_count OPERATOR(pg_catalog.*) size OPERATOR(pg_catalog./) n) END;
END
$$;

-- Encoding and concurrency (issue 6, items 3 and 5).
--
-- Encoding: the same check as the install script.  A 0.1.0 install in a
-- database that is not UTF8 is not upgraded (the 0.2.0 library refuses to
-- work there anyway, see dynamo_require_utf8): the update fails and changes
-- nothing; see docs/item-tables.md for moving the tables to a UTF8 database.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'dynamo_streams needs a database with encoding UTF8, not %',
            pg_catalog.getdatabaseencoding()
            USING ERRCODE = '0A000',
            DETAIL = 'DynamoDB strings are UTF-8, and stream records must be valid UTF-8.',
            HINT = 'Create a UTF8 database, for example with CREATE DATABASE mydb ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0, and use dynamo_streams there.';
    END IF;
END
$$;

-- Concurrency: catalog changes of one TableName are serialised by a
-- transaction-level advisory lock (_lock_table_name); the loser of a race
-- gets ResourceInUseException, also under REPEATABLE READ.
CREATE FUNCTION @extschema@._lock_table_name(table_name text)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF table_name IS NULL OR pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtext('dynamo_streams.table_name'), pg_catalog.hashtext(table_name)) THEN
        RETURN false;
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dynamo_streams.table_name'),
                                             pg_catalog.hashtext(table_name));
    RETURN true;
END
$$;

-- aws-errors: DynamoDB's messages word for word with the exception name in
-- DETAIL (src/errors.c holds the one table of exceptions, _raise() serves
-- SQL), hints for the commonest mistakes, enable_stream/disable_stream for a
-- relation named by a string, and the checks of the table functions in C,
-- called so that no internal function shows in an error's CONTEXT
-- (docs/errors.md).  The checks now return boolean, hence DROP and CREATE.
DROP FUNCTION @extschema@._check_stream_relation(regclass);
DROP FUNCTION @extschema@._invalid_parameter(text, text, text);
DROP FUNCTION @extschema@._check_table_name(text, boolean);
DROP FUNCTION @extschema@._check_key(text, text, int);
DROP FUNCTION @extschema@._check_stream_view_type(text);
DROP FUNCTION @extschema@._require_logical_wal();

CREATE FUNCTION @extschema@._raise(exception text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL,
                                   sqlstate text DEFAULT NULL)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_raise';

CREATE FUNCTION @extschema@._invalid_parameter(value text, what text, rule text)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_invalid_parameter';

CREATE FUNCTION @extschema@._check_table_name(table_name text, creating boolean)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_table_name';

CREATE OR REPLACE FUNCTION @extschema@._item_table(table_name text, lock boolean DEFAULT false)
RETURNS @extschema@._tables LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_item_table';

CREATE FUNCTION @extschema@._check_key(name text, type text, n int)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_key';

CREATE FUNCTION @extschema@._check_stream_view_type(stream_view_type text)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_stream_view_type';

CREATE FUNCTION @extschema@._require_logical_wal()
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_require_logical_wal';

CREATE OR REPLACE FUNCTION @extschema@.list_tables(exclusive_start_table_name text DEFAULT NULL, "limit" int DEFAULT 100)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    names text[];
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 100;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 100 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 100');
    END IF;
    IF exclusive_start_table_name IS NOT NULL THEN
        ok := @extschema@._check_table_name(exclusive_start_table_name, false);
    END IF;
    SELECT pg_catalog.array_agg(n) INTO names FROM (
        SELECT c.table_name AS n FROM @extschema@._tables c
         WHERE c.kind OPERATOR(pg_catalog.=) 'item'
           AND (exclusive_start_table_name IS NULL
                OR c.table_name COLLATE "C" OPERATOR(pg_catalog.>) exclusive_start_table_name)
         ORDER BY c.table_name COLLATE "C"
         LIMIT "limit" OPERATOR(pg_catalog.+) 1) s;
    IF pg_catalog.cardinality(names) > "limit" THEN
        RETURN pg_catalog.jsonb_build_object('TableNames', pg_catalog.to_jsonb(names[1:"limit"]),
                                             'LastEvaluatedTableName', names["limit"]);
    END IF;
    RETURN pg_catalog.jsonb_build_object('TableNames', pg_catalog.to_jsonb(COALESCE(names, '{}')));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._stream_relation(relation text) RETURNS regclass
    LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_sql_stream_relation';

CREATE OR REPLACE FUNCTION @extschema@.enable_stream(relation text, stream_view_type text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.enable_stream(@extschema@._stream_relation(relation), stream_view_type)
$$;

CREATE OR REPLACE FUNCTION @extschema@.disable_stream(relation text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.disable_stream(@extschema@._stream_relation(relation))
$$;

COMMENT ON FUNCTION @extschema@.enable_stream(text, text) IS
    'enable_stream for a relation named by a string';

COMMENT ON FUNCTION @extschema@.disable_stream(text) IS
    'disable_stream for a relation named by a string';

-- first-user: application roles, AccessDeniedException, adopting item tables
-- that DROP EXTENSION ... CASCADE kept (issue 6, items 10 and 11).  Item
-- table comments now hold the key schema, creation time and TableId
-- (back-filled below), the catalog has row security, and schema dynamo is
-- usable by every role.  Replaces functions changed by earlier sections.

CREATE FUNCTION @extschema@._require_access(t @extschema@._tables, action text, needs text[])
RETURNS @extschema@._tables LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_sql_require_access';

CREATE FUNCTION @extschema@._item_table_comment(t @extschema@._tables)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_streams item table ' OPERATOR(pg_catalog.||) pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'TableName', t.table_name,
        'HashKey', t.hash_key, 'HashKeyType', t.hash_key_type::text,
        'RangeKey', t.range_key, 'RangeKeyType', t.range_key_type::text,
        'CreatedAt', t.created_at, 'TableId', t.table_id))::text
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_table(
    table_name text, hash_key text, hash_key_type text DEFAULT 'S',
    range_key text DEFAULT NULL, range_key_type text DEFAULT 'S',
    stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    rel text;
    existing pg_catalog.regclass;
    t @extschema@._tables;
BEGIN
    ok := @extschema@._check_table_name(table_name, true);
    ok := @extschema@._check_key(hash_key, hash_key_type, 1);
    IF range_key IS NOT NULL THEN
        ok := @extschema@._check_key(range_key, range_key_type, 2);
        IF range_key OPERATOR(pg_catalog.=) hash_key THEN
            ok := @extschema@._raise('ValidationException',
                'Both the Hash Key and the Range Key element in the KeySchema have the same name');
        END IF;
    END IF;
    ok := @extschema@._check_stream_view_type(stream_view_type);
    IF stream_view_type IS NOT NULL THEN
        ok := @extschema@._require_logical_wal();
    END IF;
    IF NOT pg_catalog.has_schema_privilege('@extschema@', 'CREATE')
       OR NOT pg_catalog.has_table_privilege('@extschema@._tables', 'INSERT') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:CreateTable on resource: %s', CURRENT_USER, @extschema@._table_arn(table_name)),
            'dynamodb:CreateTable needs the CREATE privilege on schema @extschema@ and INSERT on @extschema@._tables.',
            'A superuser or the extension''s owner can give them with SELECT @extschema@.grant_access(''role''); see docs/security.md.');
    END IF;
    -- Serialise changes of one name, so that the loser of a race gets
    -- ResourceInUseException rather than a duplicate-key error of pg_class.
    ok := @extschema@._lock_table_name(table_name);
    existing := pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.'
                                       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(table_name));
    -- Under REPEATABLE READ or SERIALIZABLE a table committed after this
    -- transaction's snapshot is invisible to the snapshot, but the catalog
    -- lookup above sees its relation.
    IF EXISTS (SELECT FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) create_table.table_name)
       OR (existing IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                                                 WHERE c.oid OPERATOR(pg_catalog.=) existing::pg_catalog.oid)) THEN
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) table_name);
    END IF;
    IF @extschema@._kept_item_table(table_name) IS NOT NULL THEN
        ok := @extschema@._raise('ResourceInUseException',
            pg_catalog.format('Table already exists: %s', table_name),
            pg_catalog.format('The relation %s is an item table that DROP EXTENSION ... CASCADE kept, with its items.',
                                       @extschema@._kept_item_table(table_name)),
            pg_catalog.format('Adopt it with SELECT @extschema@.adopt_table(%L), or drop the relation.', table_name));
    END IF;
    IF existing IS NOT NULL THEN
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) table_name,
            'Another relation in schema @extschema@ has that name.',
            'Names of dynamo_streams'' own objects start with "_"; choose another table name.');
    END IF;

    rel := pg_catalog.format('@extschema@.%I', table_name);
    EXECUTE pg_catalog.format('CREATE TABLE %s (pk %s NOT NULL, %s item jsonb NOT NULL, PRIMARY KEY (pk%s))',
        rel, @extschema@._key_column_type(hash_key_type),
        CASE WHEN range_key IS NULL THEN ''
             ELSE pg_catalog.format('sk %s NOT NULL,', @extschema@._key_column_type(range_key_type)) END,
        CASE WHEN range_key IS NULL THEN '' ELSE ', sk' END);
    EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', rel);
    EXECUTE pg_catalog.format('CREATE TRIGGER _item_guard BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION @extschema@._item_guard(%L, %L%s)',
        rel, hash_key, hash_key_type,
        CASE WHEN range_key IS NULL THEN ''
             ELSE pg_catalog.format(', %L, %L', range_key, range_key_type) END);
    BEGIN
        INSERT INTO @extschema@._tables (table_name, relid, kind, hash_key, hash_key_type,
                                         range_key, range_key_type, stream_enabled,
                                         stream_view_type, stream_label)
        VALUES (table_name, rel::pg_catalog.regclass, 'item', hash_key, hash_key_type,
                range_key, CASE WHEN range_key IS NOT NULL THEN range_key_type END,
                stream_view_type IS NOT NULL, stream_view_type,
                CASE WHEN stream_view_type IS NOT NULL THEN @extschema@._new_stream_label(NULL) END)
        RETURNING * INTO t;
    EXCEPTION WHEN unique_violation THEN
        -- a stream-enabled relation of that name, committed after this
        -- transaction's snapshot (REPEATABLE READ, SERIALIZABLE)
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) table_name);
    END;
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', rel, @extschema@._item_table_comment(t));
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.update_table(
    table_name text, stream_enabled boolean, stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    t @extschema@._tables := @extschema@._require_access(@extschema@._item_table(table_name),
                                                         'UpdateTable', '{OWNER,catalog UPDATE}');
    waited boolean := @extschema@._lock_table_name(table_name);
BEGIN
    t := @extschema@._item_table(table_name, true);
    ok := @extschema@._check_stream_view_type(stream_view_type);
    IF stream_enabled IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required',
            'stream_enabled is NULL.');
    ELSIF stream_enabled AND stream_view_type IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'One or more parameter values were invalid: Enabled stream must specify a StreamViewType');
    ELSIF NOT stream_enabled AND stream_view_type IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            'One or more parameter values were invalid: Disabled stream must not specify a StreamViewType');
    ELSIF waited AND stream_enabled OPERATOR(pg_catalog.=) t.stream_enabled THEN
        -- a concurrent change made the same switch first
        ok := @extschema@._raise('ResourceInUseException',
            'Attempt to change a resource which is still in use: Table is being updated: ' OPERATOR(pg_catalog.||) table_name, NULL, NULL, '55006');
    ELSIF stream_enabled AND t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table already has an enabled stream: TableName: ' OPERATOR(pg_catalog.||) table_name);
    ELSIF NOT stream_enabled AND NOT t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table does not have an enabled stream: TableName: ' OPERATOR(pg_catalog.||) table_name);
    END IF;

    IF stream_enabled THEN
        ok := @extschema@._require_logical_wal();
        UPDATE @extschema@._tables c
           SET stream_enabled = true, stream_view_type = update_table.stream_view_type,
               stream_label = @extschema@._new_stream_label(c.stream_label)
         WHERE c.table_name OPERATOR(pg_catalog.=) t.table_name
        RETURNING * INTO t;
    ELSE
        UPDATE @extschema@._tables c SET stream_enabled = false
         WHERE c.table_name OPERATOR(pg_catalog.=) t.table_name
        RETURNING * INTO t;
    END IF;
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.describe_table(table_name text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('Table', @extschema@._table_description(
        @extschema@._require_access(@extschema@._item_table(table_name), 'DescribeTable', '{SELECT}')))
$$;

CREATE OR REPLACE FUNCTION @extschema@.delete_table(table_name text)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables := @extschema@._require_access(@extschema@._item_table(table_name),
                                                         'DeleteTable', '{OWNER,SELECT,catalog UPDATE,catalog DELETE}');
    d jsonb;
BEGIN
    t := @extschema@._item_table(table_name, true);
    d := @extschema@._table_description(t, 'DELETING');
    DELETE FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) t.table_name;
    IF EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid) THEN
        EXECUTE pg_catalog.format('DROP TABLE %s', t.relid);
    END IF;
    RETURN pg_catalog.jsonb_build_object('TableDescription', d);
END
$$;

CREATE FUNCTION @extschema@._kept_item_table(table_name text)
RETURNS pg_catalog.regclass LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.oid::pg_catalog.regclass
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) c.oid AND i.indisprimary
     WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND c.relname OPERATOR(pg_catalog.=) table_name
       AND c.relkind OPERATOR(pg_catalog.=) 'r'
       AND NOT EXISTS (SELECT FROM @extschema@._tables t WHERE t.relid OPERATOR(pg_catalog.=) c.oid
                          OR t.table_name OPERATOR(pg_catalog.=) _kept_item_table.table_name)
       AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum > 0 AND NOT a.attisdropped)
           IN ('{pk,item}', '{pk,sk,item}')
       AND (SELECT a.atttypid FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attname OPERATOR(pg_catalog.=) 'item')
           OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::pg_catalog.regtype
       AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.n)
              FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, n)
              JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
                                            AND a.attnum OPERATOR(pg_catalog.=) k.attnum)
           IN ('{pk}', '{pk,sk}')
$$;

CREATE FUNCTION @extschema@._key_column_key_type(rel pg_catalog.regclass, col text)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE a.atttypid WHEN 'pg_catalog.text'::pg_catalog.regtype THEN 'S'
                           WHEN 'pg_catalog.numeric'::pg_catalog.regtype THEN 'N'
                           WHEN 'pg_catalog.bytea'::pg_catalog.regtype THEN 'B' END
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col AND NOT a.attisdropped
$$;

CREATE FUNCTION @extschema@._key_from_item(param text, type text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.format(CASE type
        WHEN 'S' THEN '(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''S'')'
        WHEN 'N' THEN '(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''N'')::pg_catalog.numeric'
        ELSE 'pg_catalog.decode(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''B'', ''base64'')' END, param)
$$;

CREATE FUNCTION @extschema@.adopt_table(table_name text, hash_key text DEFAULT NULL, range_key text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    rel pg_catalog.regclass;
    kept jsonb;
    comment text;
    kept_created timestamptz;
    kept_id uuid;
    hash_type text;
    range_type text;
    has_sk boolean;
    bad text;
    t @extschema@._tables;
BEGIN
    ok := @extschema@._check_table_name(table_name, true);
    -- Serialise with every other change of the name (see _lock_table_name):
    -- a concurrent adopt_table, create_table or enable_stream of the name
    -- that committed first makes this one ResourceInUseException.
    ok := @extschema@._lock_table_name(table_name);
    IF EXISTS (SELECT FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) adopt_table.table_name) THEN
        ok := @extschema@._raise('ResourceInUseException',
            pg_catalog.format('Table already exists: %s', table_name));
    END IF;
    rel := @extschema@._kept_item_table(table_name);
    IF rel IS NULL THEN
        IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', table_name)) IS NULL THEN
            ok := @extschema@._raise('ResourceNotFoundException',
            pg_catalog.format('Requested resource not found: Table: %s not found', table_name));
        END IF;
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation @extschema@.%s is not an item table', pg_catalog.quote_ident(table_name)),
            'An item table has the columns pk, sk (with a sort key) and item jsonb, and the primary key (pk[, sk]).');
    END IF;
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) rel), 'USAGE')
       OR NOT pg_catalog.has_table_privilege('@extschema@._tables', 'INSERT') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:CreateTable on resource: %s', CURRENT_USER, @extschema@._table_arn(table_name)),
            pg_catalog.format('adopt_table needs ownership of the table %s and the INSERT privilege on @extschema@._tables.', rel),
            'See docs/security.md for the privileges each function needs.');
    END IF;

    has_sk := @extschema@._key_column_key_type(rel, 'sk') IS NOT NULL;
    comment := pg_catalog.obj_description(rel, 'pg_class');
    IF comment OPERATOR(pg_catalog.~) '^dynamo_streams item table \{' THEN
        -- written by create_table, but anyone who owns the relation can
        -- change it: a comment that does not parse is a ValidationException
        -- (which CREATE EXTENSION turns into a WARNING), not a cast error
        BEGIN
            kept := pg_catalog.substr(comment, 27)::jsonb;
            kept_created := (kept OPERATOR(pg_catalog.->>) 'CreatedAt')::timestamptz;
            kept_id := (kept OPERATOR(pg_catalog.->>) 'TableId')::uuid;
            hash_key := COALESCE(hash_key, kept OPERATOR(pg_catalog.->>) 'HashKey');
            IF has_sk THEN
                range_key := COALESCE(range_key, kept OPERATOR(pg_catalog.->>) 'RangeKey');
            END IF;
        EXCEPTION WHEN data_exception THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('the comment of %s does not hold a valid key schema', rel),
                pg_catalog.format('The comment is changed: %s.', SQLERRM),
                'Set the comment back, or remove it (COMMENT ON TABLE ... IS NULL) and name the keys with hash_key and range_key.');
        END;
    END IF;
    IF NOT has_sk AND range_key IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation %s has no sort key column sk, so the table cannot have a range key', rel));
    END IF;
    IF hash_key IS NULL OR (has_sk AND range_key IS NULL) THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('the key attribute names of %s are not known', rel),
            'Its comment does not hold the key schema (tables made before 0.2.0 do not have it).',
            pg_catalog.format('Name them: SELECT @extschema@.adopt_table(%L, hash_key => ''...''%s).',
                                     table_name, CASE WHEN has_sk THEN ', range_key => ''...''' ELSE '' END));
    END IF;
    hash_type := @extschema@._key_column_key_type(rel, 'pk');
    range_type := CASE WHEN has_sk THEN @extschema@._key_column_key_type(rel, 'sk') END;
    ok := @extschema@._check_key(hash_key, hash_type, 1);
    IF has_sk THEN
        ok := @extschema@._check_key(range_key, range_type, 2);
        IF range_key OPERATOR(pg_catalog.=) hash_key THEN
            ok := @extschema@._raise('ValidationException',
            'Both the Hash Key and the Range Key element in the KeySchema have the same name');
        END IF;
    END IF;

    -- the items must obey the table's rules, as if the guard had been there
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.format(%L, i.pk%s) FROM %s i
          WHERE @extschema@.validate_item(i.item) IS DISTINCT FROM i.item
             OR %s IS DISTINCT FROM i.pk%s
          LIMIT 1',
        CASE WHEN has_sk THEN 'pk %s, sk %s' ELSE 'pk %s' END,
        CASE WHEN has_sk THEN ', i.sk' ELSE '' END, rel,
        @extschema@._key_from_item('$1', hash_type),
        CASE WHEN has_sk THEN pg_catalog.format(' OR %s IS DISTINCT FROM i.sk',
                                                @extschema@._key_from_item('$2', range_type)) ELSE '' END)
        INTO bad USING hash_key, range_key;
    IF bad IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('the item with %s of %s breaks the table''s rules', bad, rel),
            'Items must be valid and normalised (dynamo.validate_item) and hold the key attributes with the values of pk and sk.',
            'Fix or delete that item with plain SQL, then adopt the table.');
    END IF;

    -- the catalog row first: under REPEATABLE READ a concurrent adoption
    -- that committed first is not in this snapshot, but its row is found
    BEGIN
        INSERT INTO @extschema@._tables (table_name, relid, kind, hash_key, hash_key_type,
                                         range_key, range_key_type, created_at, table_id)
        VALUES (table_name, rel, 'item', hash_key, hash_type, range_key, range_type,
                COALESCE(kept_created, pg_catalog.now()), COALESCE(kept_id, pg_catalog.gen_random_uuid()))
        RETURNING * INTO t;
    EXCEPTION WHEN unique_violation THEN
        -- the name or the relation was taken by a transaction that committed
        -- after this one's snapshot (REPEATABLE READ, SERIALIZABLE)
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) table_name);
    END;
    IF EXISTS (SELECT FROM pg_catalog.pg_trigger g WHERE g.tgrelid OPERATOR(pg_catalog.=) rel
                  AND g.tgname OPERATOR(pg_catalog.=) '_item_guard') THEN
        EXECUTE pg_catalog.format('DROP TRIGGER _item_guard ON %s', rel);
    END IF;
    EXECUTE pg_catalog.format('CREATE TRIGGER _item_guard BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION @extschema@._item_guard(%L, %L%s)',
        rel, hash_key, hash_type,
        CASE WHEN has_sk THEN pg_catalog.format(', %L, %L', range_key, range_type) ELSE '' END);
    EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', rel);
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', rel, @extschema@._item_table_comment(t));
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

COMMENT ON FUNCTION @extschema@.adopt_table(text, text, text) IS
    'make an item table that DROP EXTENSION ... CASCADE kept an item table again';

CREATE FUNCTION @extschema@._adopt_kept_tables()
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname::text AS name FROM pg_catalog.pg_class c
              WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                AND c.relkind OPERATOR(pg_catalog.=) 'r'
                AND @extschema@._kept_item_table(c.relname) IS NOT NULL
              ORDER BY c.relname COLLATE "C" LOOP
        BEGIN
            PERFORM @extschema@.adopt_table(r.name);
            RAISE NOTICE 'dynamo_streams: adopted the kept item table %', r.name;
        EXCEPTION WHEN invalid_parameter_value OR insufficient_privilege OR duplicate_table THEN
            RAISE WARNING 'dynamo_streams: did not adopt the kept relation @extschema@.%: %', pg_catalog.quote_ident(r.name), SQLERRM
                USING HINT = 'See dynamo.adopt_table in docs/functions/adopt_table.md.';
        END;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._adopt_kept_tables() FROM PUBLIC;

CREATE FUNCTION @extschema@._relation_row(relation regclass) RETURNS @extschema@._tables
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@._tables;
BEGIN
    r.table_name := (SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relation);
    r.relid := relation;
    r.kind := 'relation';
    RETURN r;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.enable_stream(relation regclass, stream_view_type text)
    RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    r @extschema@._tables;
    rel pg_catalog.pg_class;
    name text;
    waited boolean;
    violated text;
BEGIN
    ok := @extschema@._require_logical_wal();
    IF relation IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    ok := @extschema@._check_stream_view_type(stream_view_type);
    IF stream_view_type IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'One or more parameter values were invalid: Enabled stream must specify a StreamViewType');
    END IF;
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
    IF r.kind = 'item' THEN
        EXECUTE 'SELECT @extschema@.update_table($1, true, $2)' USING r.table_name, stream_view_type;
        SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
        RETURN @extschema@._stream_description(r);
    END IF;
    ok := @extschema@._require_access(@extschema@._relation_row(relation), 'UpdateTable',
                                      '{OWNER,catalog INSERT,catalog UPDATE}') IS NULL;
    -- the relation must be able to stream as an ordinary table
    SELECT * INTO rel FROM pg_catalog.pg_class WHERE oid = relation;
    name := rel.relname;
    IF rel.relkind <> 'r' OR rel.relpersistence <> 'p' THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation "%s" is not an ordinary permanent table', relation), NULL,
            'Streams need a regular, logged table (not a view, partitioned, temporary or unlogged table).');
    END IF;
    IF rel.relnamespace = '@extschema@'::regnamespace THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation "%s" belongs to dynamo_streams', relation));
    END IF;
    IF rel.relname !~ '^[a-zA-Z0-9_.-]{3,255}$' THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('1 validation error detected: Value ''%s'' at ''tableName'' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 3 to 255', rel.relname),
            NULL, 'The relation name is the stream''s table name; rename the table.');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_index
                    WHERE indrelid = relation AND indisprimary) THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation "%s" has no primary key', relation), NULL,
            'Stream records are keyed by the primary key; add one.');
    END IF;
    -- Serialise with every other change of the name (see _lock_table_name),
    -- then read the row again: a concurrent enable may have made it.
    waited := @extschema@._lock_table_name(name);
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
    IF r.stream_enabled AND waited THEN
        ok := @extschema@._raise('ResourceInUseException',
            'Attempt to change a resource which is still in use: Table is being updated: ' OPERATOR(pg_catalog.||) r.table_name, NULL, NULL, '55006');
    ELSIF r.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table already has an enabled stream: TableName: ' OPERATOR(pg_catalog.||) r.table_name);
    END IF;
    -- the row of a dropped table that had a stream no longer holds its name
    DELETE FROM @extschema@._tables t
     WHERE t.kind = 'relation' AND t.table_name = name AND t.relid <> relation
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = t.relid);
    IF EXISTS (SELECT FROM @extschema@._tables t
                WHERE t.table_name = name AND t.relid <> relation) THEN
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) name,
            'Another item table or stream-enabled relation has that name.');
    END IF;
    IF (SELECT relreplident FROM pg_catalog.pg_class WHERE oid = relation) <> 'f' THEN
        EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', relation);
    END IF;
    BEGIN
        IF r.relid IS NULL THEN
            INSERT INTO @extschema@._tables (table_name, relid, kind, stream_enabled,
                                             stream_view_type, stream_label)
            VALUES (name, relation, 'relation', true, stream_view_type,
                    @extschema@._new_stream_label(NULL))
            RETURNING * INTO r;
        ELSE
            UPDATE @extschema@._tables t
               SET table_name = name, stream_enabled = true,
                   stream_view_type = enable_stream.stream_view_type,
                   stream_label = @extschema@._new_stream_label(t.stream_label)
             WHERE t.relid = relation
            RETURNING * INTO r;
        END IF;
    EXCEPTION WHEN unique_violation THEN
        -- A row committed after this transaction's snapshot (REPEATABLE
        -- READ, SERIALIZABLE): the name (primary key, checked first) or
        -- this relation (relid) was taken concurrently.
        GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
        IF violated = '_tables_relid_key' THEN
            ok := @extschema@._raise('ResourceInUseException',
                'Attempt to change a resource which is still in use: Table is being updated: ' OPERATOR(pg_catalog.||) name,
                NULL, NULL, '55006');
        END IF;
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) name,
            'Another item table or stream-enabled relation has that name.');
    END;
    RETURN @extschema@._stream_description(r);
END $$;

CREATE OR REPLACE FUNCTION @extschema@.disable_stream(relation regclass)
    RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    r @extschema@._tables;
    waited boolean;
    name text;
BEGIN
    ok := @extschema@._require_logical_wal();
    IF relation IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
    IF r.kind = 'item' THEN
        EXECUTE 'SELECT @extschema@.update_table($1, false, NULL)' USING r.table_name;
        SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
        RETURN @extschema@._stream_description(r);
    END IF;
    ok := @extschema@._require_access(@extschema@._relation_row(relation), 'UpdateTable',
                                      '{OWNER,catalog UPDATE}') IS NULL;
    -- Serialise with every other change of the name (see _lock_table_name).
    name := coalesce(r.table_name, (SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.oid = relation));
    waited := @extschema@._lock_table_name(name);
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
    IF r.relid IS NOT NULL AND NOT r.stream_enabled AND waited THEN
        ok := @extschema@._raise('ResourceInUseException',
            'Attempt to change a resource which is still in use: Table is being updated: ' OPERATOR(pg_catalog.||) r.table_name, NULL, NULL, '55006');
    ELSIF r.relid IS NULL OR NOT r.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table does not have an enabled stream: TableName: ' OPERATOR(pg_catalog.||) name);
    END IF;
    UPDATE @extschema@._tables t SET stream_enabled = false
     WHERE t.relid = relation
    RETURNING * INTO r;
    RETURN @extschema@._stream_description(r);
END $$;

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

ALTER TABLE @extschema@._tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY _tables_read ON @extschema@._tables FOR SELECT USING (true);
CREATE POLICY _tables_own ON @extschema@._tables
    USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid OPERATOR(pg_catalog.=) relid), 'USAGE'));

-- Let role create item tables and manage (update, delete, stream) the ones
-- it owns: CREATE on the schema, INSERT/UPDATE/DELETE on the catalog (row
-- security limits them to its own tables).  Runs with the caller's
-- privileges, so only a role that may grant these (the extension's owner,
-- a superuser) can call it.
CREATE FUNCTION @extschema@.grant_access(role regrole)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF role IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'role must not be null');
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE, CREATE ON SCHEMA @extschema@ TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@._tables TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb), '
        '@extschema@.get_shard_iterator(text, text, text, text, timestamptz), '
        '@extschema@.get_records(text, int) TO %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.grant_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.grant_access(regrole) IS
    'let a role create item tables and manage the ones it owns';

-- Undo grant_access (the role keeps the tables it owns and their items).
CREATE FUNCTION @extschema@.revoke_access(role regrole)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF role IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'role must not be null');
    END IF;
    EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA @extschema@ FROM %s', role);
    EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE ON @extschema@._tables FROM %s', role);
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb), '
        '@extschema@.get_shard_iterator(text, text, text, text, timestamptz), '
        '@extschema@.get_records(text, int) FROM %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.revoke_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_access(regrole) IS
    'undo grant_access';

-- the key schema of every item table, for adopt_table (a row whose
-- relation is gone, dropped while event triggers were off, is left alone)
DO $$
DECLARE
    t @extschema@._tables;
BEGIN
    FOR t IN SELECT c.* FROM @extschema@._tables c
               JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) c.relid::pg_catalog.oid
              WHERE c.kind OPERATOR(pg_catalog.=) 'item' LOOP
        EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', t.relid, @extschema@._item_table_comment(t));
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------
-- Stream identity, SequenceNumber epoch, replica identity (issue 6,
-- items 4, 6, 7).
--
-- A stream's region, account and ARN are stored when it is enabled
-- (back-filled here for existing streams from this session's settings);
-- the SequenceNumber epoch lives in _source (no row: epoch 100); item
-- tables and stream-enabled tables must keep REPLICA IDENTITY FULL.
-- ---------------------------------------------------------------------

ALTER TABLE @extschema@._tables
    ADD COLUMN stream_region text,
    ADD COLUMN stream_account_id text,
    ADD COLUMN stream_arn text;

UPDATE @extschema@._tables t
   SET stream_region = s.region, stream_account_id = s.account,
       stream_arn = 'arn:aws:dynamodb:' || s.region || ':' || s.account || ':table/'
                    || t.table_name || '/stream/' || t.stream_label
  FROM (SELECT coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1') AS region,
               coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000') AS account) s
 WHERE t.stream_label IS NOT NULL;

ALTER TABLE @extschema@._tables
    ADD CHECK (NOT stream_enabled OR (stream_region IS NOT NULL AND stream_account_id IS NOT NULL
                                      AND stream_arn IS NOT NULL));

CREATE TABLE @extschema@._source (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch  smallint NOT NULL CHECK (epoch BETWEEN 100 AND 999)
) WITH (user_catalog_table = true);

COMMENT ON TABLE @extschema@._source IS
    'dynamo_streams catalog: the SequenceNumber epoch of this database''s stream records';

SELECT pg_catalog.pg_extension_config_dump('@extschema@._source', '');

-- The epoch never goes down.  And no transaction that writes a streamed
-- table may span the commit of a new epoch: the plugin reads the epoch as
-- of each change, so such a transaction's records would carry the old
-- epoch behind the commit LSN of a later commit, below the numbers of
-- transactions that committed in between.  So a new epoch first takes
-- SHARE locks on the catalog and on every catalogued table: it waits for
-- the writers in flight, and new writers wait for its commit.
CREATE FUNCTION @extschema@._source_epoch_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    ok boolean;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) ANY (ARRAY['DELETE', 'TRUNCATE'])
       OR (TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.epoch OPERATOR(pg_catalog.<) OLD.epoch) THEN
        ok := @extschema@._raise('ValidationException', 'the SequenceNumber epoch never goes down', NULL,
            'Sequence numbers must keep increasing; raise the epoch instead (dynamo._raise_epoch()).');
    END IF;
    LOCK TABLE @extschema@._tables IN SHARE MODE;
    FOR r IN SELECT t.relid FROM @extschema@._tables t
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
              ORDER BY t.relid::pg_catalog.oid
    LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', r.relid);
    END LOOP;
    RETURN NEW;
END
$$;

CREATE TRIGGER _source_epoch_guard
    BEFORE INSERT OR UPDATE OR DELETE ON @extschema@._source
    FOR EACH ROW EXECUTE FUNCTION @extschema@._source_epoch_guard();

CREATE TRIGGER _source_no_truncate
    BEFORE TRUNCATE ON @extschema@._source
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._source_epoch_guard();

CREATE TRIGGER _source_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@._source
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._tables_changed();

-- Raise the epoch by one and return it: run after restoring the database
-- from a dump or moving it to another cluster, before new writes are
-- decoded (a restore procedure calls it).  Owner only.
CREATE FUNCTION @extschema@._raise_epoch() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e integer;
BEGIN
    LOCK TABLE @extschema@._source IN SHARE ROW EXCLUSIVE MODE;
    UPDATE @extschema@._source s SET epoch = s.epoch OPERATOR(pg_catalog.+) 1 RETURNING s.epoch INTO e;
    IF NOT FOUND THEN
        INSERT INTO @extschema@._source (epoch) VALUES (101) RETURNING epoch INTO e;
    END IF;
    RETURN e;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._raise_epoch() FROM PUBLIC;

CREATE FUNCTION @extschema@._tables_stream_identity() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.stream_label IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' AND NEW.stream_arn IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND NEW.stream_label IS NOT DISTINCT FROM OLD.stream_label
       AND NEW.stream_arn IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND NEW.stream_label IS DISTINCT FROM OLD.stream_label
       AND NEW.stream_arn IS DISTINCT FROM OLD.stream_arn THEN
        RETURN NEW;
    END IF;
    NEW.stream_region := coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1');
    NEW.stream_account_id := coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000');
    NEW.stream_arn := 'arn:aws:dynamodb:' OPERATOR(pg_catalog.||) NEW.stream_region
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) NEW.stream_account_id
        OPERATOR(pg_catalog.||) ':table/' OPERATOR(pg_catalog.||) NEW.table_name
        OPERATOR(pg_catalog.||) '/stream/' OPERATOR(pg_catalog.||) NEW.stream_label;
    RETURN NEW;
END
$$;

CREATE TRIGGER _tables_stream_identity
    BEFORE INSERT OR UPDATE ON @extschema@._tables
    FOR EACH ROW EXECUTE FUNCTION @extschema@._tables_stream_identity();

CREATE OR REPLACE FUNCTION @extschema@._table_description(t @extschema@._tables, status text DEFAULT 'ACTIVE')
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
    size bigint;
    created numeric := pg_catalog.round(EXTRACT(epoch FROM t.created_at), 3);
    d jsonb;
BEGIN
    SELECT z.item_count, z.size_bytes INTO n, size FROM @extschema@._table_size(t.relid) z;
    d := pg_catalog.jsonb_build_object(
        'AttributeDefinitions', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'AttributeType', t.hash_key_type::text))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'AttributeType', t.range_key_type::text)) END,
        'TableName', t.table_name,
        'KeySchema', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'KeyType', 'HASH'))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'KeyType', 'RANGE')) END,
        'TableStatus', status,
        'CreationDateTime', created,
        'ProvisionedThroughput', '{"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}'::jsonb,
        'TableSizeBytes', size,
        'ItemCount', n,
        'TableArn', @extschema@._table_arn(t.table_name),
        'TableId', @extschema@._table_id(t),
        'BillingModeSummary', pg_catalog.jsonb_build_object('BillingMode', 'PAY_PER_REQUEST',
                                                            'LastUpdateToPayPerRequestDateTime', created),
        'DeletionProtectionEnabled', false);
    IF t.stream_label IS NOT NULL THEN
        d := d OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'StreamSpecification', CASE WHEN t.stream_enabled
                THEN pg_catalog.jsonb_build_object('StreamEnabled', true, 'StreamViewType', t.stream_view_type)
                ELSE '{"StreamEnabled": false}'::jsonb END,
            'LatestStreamLabel', t.stream_label,
            'LatestStreamArn', t.stream_arn);
    END IF;
    RETURN d;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._stream_description(r @extschema@._tables) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'TableName', r.table_name,
        'TableArn', t.arn,
        'StreamSpecification', CASE WHEN r.stream_enabled
            THEN pg_catalog.jsonb_build_object('StreamEnabled', true,
                                               'StreamViewType', r.stream_view_type)
            ELSE pg_catalog.jsonb_build_object('StreamEnabled', false) END,
        'LatestStreamLabel', r.stream_label,
        'LatestStreamArn', r.stream_arn))
      FROM (SELECT 'arn:aws:dynamodb:'
                   || coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1')
                   || ':'
                   || coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000')
                   || ':table/' || r.table_name AS arn) t
$$;

CREATE FUNCTION @extschema@._replica_identity_check() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    ok boolean;
BEGIN
    FOR r IN SELECT t.table_name, t.kind, t.relid, c.relreplident
               FROM pg_catalog.pg_event_trigger_ddl_commands() d
               JOIN @extschema@._tables t ON t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid
              WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                AND (t.kind OPERATOR(pg_catalog.=) 'item' OR t.stream_enabled)
                AND c.relreplident OPERATOR(pg_catalog.<>) 'f'
    LOOP
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('table %s must keep REPLICA IDENTITY FULL', r.relid),
            pg_catalog.format('%s %s streams its changes from the full old row of each UPDATE and DELETE.',
                CASE WHEN r.kind OPERATOR(pg_catalog.=) 'item' THEN 'Item table' ELSE 'Stream-enabled table' END,
                r.table_name),
            CASE WHEN r.kind OPERATOR(pg_catalog.=) 'item'
                THEN 'Item tables always keep REPLICA IDENTITY FULL; ALTER TABLE ... REPLICA IDENTITY FULL sets it back.'
                ELSE 'Keep REPLICA IDENTITY FULL while the stream is enabled, or disable the stream first (dynamo.disable_stream).' END);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._replica_identity_check() FROM PUBLIC;

CREATE EVENT TRIGGER dynamo_streams_replica_identity ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION @extschema@._replica_identity_check();

-- Tables whose identity was changed under 0.1.0 get REPLICA IDENTITY FULL
-- back (REMOVE records of item tables were lost without it).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.relid FROM @extschema@._tables t
               JOIN pg_catalog.pg_class c ON c.oid = t.relid
              WHERE (t.kind = 'item' OR t.stream_enabled) AND c.relreplident <> 'f'
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', r.relid);
    END LOOP;
END
$$;
-- ---------------------------------------------------------------------
-- Privileges of the item functions whose signatures change below
-- (put_item, delete_item, get_item, query, scan).  DROP FUNCTION loses
-- what an administrator granted or revoked on them (a REVOKE EXECUTE ...
-- FROM PUBLIC would silently come undone: the new functions start
-- executable by PUBLIC), so their ACLs are kept here, for this
-- transaction only, and applied to the new functions at the end of the
-- script.
-- ---------------------------------------------------------------------
SELECT pg_catalog.set_config('dynamo_streams_upgrade.acls',
           COALESCE(pg_catalog.jsonb_object_agg(p.proname, p.proacl::text[]), '{}')::text, true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.put_item(text, jsonb, text)',
                                               '@extschema@.delete_item(text, jsonb, text)',
                                               '@extschema@.get_item(text, jsonb, boolean)',
                                               '@extschema@.query(text, text, jsonb, jsonb, boolean, int, jsonb)',
                                               '@extschema@.scan(text, int, jsonb)']::pg_catalog.regprocedure[])
   AND p.proacl IS NOT NULL;

-- Expressions (issue 9): condition expressions on put_item and delete_item
-- (new parameters with defaults, so the old signatures are dropped), and
-- update_item.
DROP FUNCTION @extschema@.put_item(text, jsonb, text);
CREATE FUNCTION @extschema@.put_item(table_name text, item jsonb, return_values text DEFAULT 'NONE',
    condition_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_put_item';

DROP FUNCTION @extschema@.delete_item(text, jsonb, text);
CREATE FUNCTION @extschema@.delete_item(table_name text, key jsonb, return_values text DEFAULT 'NONE',
    condition_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_delete_item';

CREATE FUNCTION @extschema@.update_item(table_name text, key jsonb,
    update_expression text DEFAULT NULL, condition_expression text DEFAULT NULL,
    expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL,
    return_values text DEFAULT 'NONE',
    return_values_on_condition_check_failure text DEFAULT 'NONE')
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_update_item';

-- ---------------------------------------------------------------------
-- Reads (issue 9, item 4): projection_expression on get_item, query and
-- scan; filter_expression and "select" on query and scan; consistent_read
-- on query and scan; batch_get_item.  New parameters with defaults, so the
-- old signatures are dropped (nothing in the extension depends on them) and
-- positional calls of 0.1.0 keep working.
-- ---------------------------------------------------------------------
DROP FUNCTION @extschema@.get_item(text, jsonb, boolean);
CREATE FUNCTION @extschema@.get_item(table_name text, key jsonb, consistent_read boolean DEFAULT false,
    projection_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_get_item';

DROP FUNCTION @extschema@.query(text, text, jsonb, jsonb, boolean, int, jsonb);
DROP FUNCTION @extschema@.scan(text, int, jsonb);
CREATE FUNCTION @extschema@.query(table_name text, key_condition_expression text,
    expression_attribute_values jsonb, expression_attribute_names jsonb DEFAULT NULL,
    scan_index_forward boolean DEFAULT true, "limit" int DEFAULT NULL,
    exclusive_start_key jsonb DEFAULT NULL, filter_expression text DEFAULT NULL,
    projection_expression text DEFAULT NULL, "select" text DEFAULT NULL,
    consistent_read boolean DEFAULT false)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_query';

CREATE FUNCTION @extschema@.scan(table_name text, "limit" int DEFAULT NULL,
    exclusive_start_key jsonb DEFAULT NULL, filter_expression text DEFAULT NULL,
    projection_expression text DEFAULT NULL, expression_attribute_names jsonb DEFAULT NULL,
    expression_attribute_values jsonb DEFAULT NULL, "select" text DEFAULT NULL,
    consistent_read boolean DEFAULT false)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_scan';

CREATE FUNCTION @extschema@.batch_get_item(request_items jsonb)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_batch_get_item';

-- Transactions (issue 9): transact_write_items and transact_get_items.
CREATE FUNCTION @extschema@.transact_write_items(transact_items jsonb,
    client_request_token text DEFAULT NULL)
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_transact_write_items';

CREATE FUNCTION @extschema@.transact_get_items(transact_items jsonb)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_transact_get_items';

-- ---------------------------------------------------------------------
-- Time to live (issue 7, item 8): update_time_to_live,
-- describe_time_to_live, sweep_ttl, the TTL indexes (sql/install/45_ttl.sql,
-- src/ttl.c) and the column ttl_updated_at of the catalog.
-- ---------------------------------------------------------------------
ALTER TABLE @extschema@._tables ADD COLUMN ttl_updated_at timestamptz;

-- The number an item holds in its top-level N attribute attribute, or
-- NULL (missing, another type).  Never fails: TTL indexes are built on it.
CREATE FUNCTION @extschema@._ttl_epoch(item jsonb, attribute text)
RETURNS numeric LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'dynamo_ttl_epoch';

-- The TTL index of an item table: a partial expression index on
-- _ttl_epoch(item, <TTL attribute>), so that a sweep finds expired items
-- without reading the table.  Its name starts with "_", as the names of
-- every object of dynamo_streams in the schema do, so it never takes a
-- TableName.  Created by update_time_to_live when TTL is enabled, dropped
-- when it is disabled (and with the table).
CREATE FUNCTION @extschema@._ttl_index(t @extschema@._tables, enabled boolean)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid)) IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP INDEX @extschema@.%I', '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid);
    END IF;
    IF enabled THEN
        EXECUTE pg_catalog.format('CREATE INDEX %I ON %s (@extschema@._ttl_epoch(item, %L)) WHERE @extschema@._ttl_epoch(item, %L) IS NOT NULL',
                                  '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid, t.relid,
                                  t.ttl_attribute, t.ttl_attribute);
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION @extschema@.update_time_to_live(table_name text, attribute_name text, enabled boolean)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    t @extschema@._tables;
    waited boolean;
BEGIN
    IF attribute_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'timeToLiveSpecification.attributeName', 'Member must not be null');
    ELSIF pg_catalog.length(attribute_name) OPERATOR(pg_catalog.<) 1 THEN
        ok := @extschema@._invalid_parameter(attribute_name, 'timeToLiveSpecification.attributeName',
                                             'Member must have length greater than or equal to 1');
    ELSIF pg_catalog.length(attribute_name) OPERATOR(pg_catalog.>) 255 THEN
        ok := @extschema@._invalid_parameter(attribute_name, 'timeToLiveSpecification.attributeName',
                                             'Member must have length less than or equal to 255');
    END IF;
    IF enabled IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'timeToLiveSpecification.enabled', 'Member must not be null');
    END IF;
    t := @extschema@._require_access(@extschema@._item_table(table_name), 'UpdateTimeToLive', '{OWNER,catalog UPDATE}');
    waited := @extschema@._lock_table_name(table_name);
    t := @extschema@._item_table(table_name, true);
    -- DynamoDB checks the state first, then how recent the last change is
    -- (test/alternator/test_ttl.py of ScyllaDB, run against DynamoDB).
    IF enabled AND t.ttl_enabled AND t.ttl_attribute OPERATOR(pg_catalog.=) attribute_name THEN
        ok := @extschema@._raise('ValidationException', 'TimeToLive is already enabled');
    ELSIF t.ttl_enabled AND t.ttl_attribute OPERATOR(pg_catalog.<>) attribute_name THEN
        ok := @extschema@._raise('ValidationException',
            'TimeToLive is active on a different AttributeName: current value of AttributeName is '
            OPERATOR(pg_catalog.||) t.ttl_attribute);
    ELSIF NOT enabled AND NOT t.ttl_enabled THEN
        ok := @extschema@._raise('ValidationException', 'TimeToLive is already disabled');
    ELSIF t.ttl_updated_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-)
              pg_catalog.current_setting('dynamo_streams.ttl_update_interval')::pg_catalog.interval) THEN
        ok := @extschema@._raise('ValidationException',
            'Time to live has been modified multiple times within a fixed interval',
            pg_catalog.format('The TTL setting of table %s was changed less than dynamo_streams.ttl_update_interval (%s) ago.',
                              table_name, pg_catalog.current_setting('dynamo_streams.ttl_update_interval')),
            'DynamoDB allows one change of a table''s TTL setting per hour; wait, or lower dynamo_streams.ttl_update_interval (superuser).');
    END IF;
    UPDATE @extschema@._tables c
       SET ttl_enabled = enabled,
           ttl_attribute = CASE WHEN enabled THEN attribute_name END,
           ttl_updated_at = pg_catalog.now()
     WHERE c.table_name OPERATOR(pg_catalog.=) t.table_name
    RETURNING * INTO t;
    ok := @extschema@._ttl_index(t, enabled);
    RETURN pg_catalog.jsonb_build_object('TimeToLiveSpecification',
        pg_catalog.jsonb_build_object('AttributeName', attribute_name, 'Enabled', enabled));
END
$$;

CREATE FUNCTION @extschema@.describe_time_to_live(table_name text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('TimeToLiveDescription',
               CASE WHEN t.ttl_enabled
                    THEN pg_catalog.jsonb_build_object('TimeToLiveStatus', 'ENABLED', 'AttributeName', t.ttl_attribute)
                    ELSE '{"TimeToLiveStatus": "DISABLED"}'::jsonb END)
      FROM @extschema@._require_access(@extschema@._item_table(table_name), 'DescribeTimeToLive', '{SELECT}') t
$$;

-- Delete at most max_items expired items of the TTL-enabled tables the
-- caller may SELECT, UPDATE and DELETE, committing every 100; deleted
-- returns how many.  CALL only, outside a transaction block.
CREATE PROCEDURE @extschema@.sweep_ttl(max_items int DEFAULT 100, INOUT deleted bigint DEFAULT NULL)
LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sweep_ttl';

-- 0.1.0 had no way to enable TTL but an edit of the catalog: give such
-- tables their TTL index.
SELECT @extschema@._ttl_index(t, true) FROM @extschema@._tables t
 WHERE t.kind OPERATOR(pg_catalog.=) 'item' AND t.ttl_enabled AND t.ttl_attribute IS NOT NULL;

-- ---------------------------------------------------------------------
-- The kept privileges (see above) on the new item functions: the same
-- grants and revokes, made with GRANT/REVOKE so that the roles they name
-- are tracked.  Inside an extension script GRANT/REVOKE also record the
-- result as the functions' initial privileges; those rows are removed, so
-- that pg_dump still dumps these privileges as the administrator's own (as
-- it did for the 0.1.0 functions).
-- ---------------------------------------------------------------------
DO $$
DECLARE
    f record;
    e record;
    fn pg_catalog.regprocedure;
BEGIN
    FOR f IN SELECT k.key AS name, k.value AS acl
               FROM pg_catalog.jsonb_each(pg_catalog.current_setting('dynamo_streams_upgrade.acls')::jsonb) k
    LOOP
        SELECT p.oid INTO fn FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
           AND p.proname OPERATOR(pg_catalog.=) f.name;
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        FOR e IN SELECT a.grantee, a.privilege_type, a.is_grantable
                   FROM pg_catalog.aclexplode(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(f.acl))::pg_catalog.aclitem[]) a
        LOOP
            EXECUTE pg_catalog.format('GRANT %s ON FUNCTION %s TO %s%s', e.privilege_type, fn,
                CASE WHEN e.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                     ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) END,
                CASE WHEN e.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
        DELETE FROM pg_catalog.pg_init_privs i
         WHERE i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND i.objoid OPERATOR(pg_catalog.=) fn AND i.objsubid OPERATOR(pg_catalog.=) 0;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------
-- Streams catalog (issue 7, item 2): dynamo._streams, one row per stream
-- ever enabled, kept by the _tables_streams trigger; list_streams; and
-- render_record (issue 7, item 1: stored records rendered as the plugin
-- does).  Existing streams get their rows: the enabled stream of each table
-- as ENABLED, the last stream of a table whose stream is disabled as
-- DISABLED (0.1.0 kept no trace of earlier ones).
-- ---------------------------------------------------------------------

CREATE SEQUENCE @extschema@._streams_stream_id_seq;

CREATE TABLE @extschema@._streams (
    stream_id         bigint PRIMARY KEY
                        DEFAULT pg_catalog.nextval('@extschema@._streams_stream_id_seq'::pg_catalog.regclass),
    stream_arn        text NOT NULL UNIQUE,
    table_name        text NOT NULL,
    -- the table's relation; it may have been dropped since
    relid             pg_catalog.oid NOT NULL,
    -- TableId of the table (a table dropped and created again has another)
    table_id          uuid,
    stream_label      text NOT NULL,
    stream_view_type  text NOT NULL CHECK (stream_view_type IN
                        ('KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES')),
    -- StreamStatus as DescribeStream shows it
    stream_status     text NOT NULL DEFAULT 'ENABLED' CHECK (stream_status IN
                        ('ENABLING', 'ENABLED', 'DISABLING', 'DISABLED')),
    created_at        timestamptz NOT NULL,
    disabled_at       timestamptz,
    -- shards a record's key hash is spread over (SPEC 4.6)
    shard_count       integer NOT NULL DEFAULT 4 CHECK (shard_count BETWEEN 1 AND 1024),
    -- how long records are kept; NULL keeps them for ever
    retention         interval DEFAULT '24 hours' CHECK (retention > interval '0'),
    CHECK ((stream_status OPERATOR(pg_catalog.=) 'DISABLED') = (disabled_at IS NOT NULL))
) WITH (user_catalog_table = true);

CREATE INDEX _streams_table_name ON @extschema@._streams (table_name, created_at);

COMMENT ON TABLE @extschema@._streams IS
    'dynamo_streams catalog: every stream enabled, with its ARN, view type and status';

SELECT pg_catalog.pg_extension_config_dump('@extschema@._streams', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@._streams_stream_id_seq', '');

GRANT SELECT ON @extschema@._streams TO PUBLIC;

-- The creation time a stream label names ('YYYY-MM-DDTHH:MM:SS.mmm', UTC).
CREATE FUNCTION @extschema@._stream_label_time(label text) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.timezone('UTC', label::timestamp)
$$;

-- Keep _streams in step with _tables: a row whose stream was enabled with a
-- new ARN makes a stream; a stream that stops being the table's enabled
-- stream (disabled, replaced, or its table deleted) becomes DISABLED.
-- SECURITY DEFINER: roles that manage their own tables (grant_access) write
-- _tables, never _streams.
CREATE FUNCTION @extschema@._tables_streams() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' AND OLD.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NOT NEW.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        UPDATE @extschema@._streams s
           SET stream_status = 'DISABLED', disabled_at = pg_catalog.now()
         WHERE s.stream_arn OPERATOR(pg_catalog.=) OLD.stream_arn
           AND s.stream_status OPERATOR(pg_catalog.<>) 'DISABLED';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' AND NEW.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR NOT OLD.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        -- (a catalog table takes no ON CONFLICT; a restored dump has the row)
        INSERT INTO @extschema@._streams
               (stream_arn, table_name, relid, table_id, stream_label, stream_view_type, created_at)
        SELECT NEW.stream_arn, NEW.table_name, NEW.relid::pg_catalog.oid, NEW.table_id,
               NEW.stream_label, NEW.stream_view_type,
               @extschema@._stream_label_time(NEW.stream_label)
         WHERE NOT EXISTS (SELECT FROM @extschema@._streams s
                            WHERE s.stream_arn OPERATOR(pg_catalog.=) NEW.stream_arn);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._tables_streams() FROM PUBLIC;

CREATE TRIGGER _tables_streams
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@._tables
    FOR EACH ROW EXECUTE FUNCTION @extschema@._tables_streams();

-- ListStreams: the streams of the database (or of one table), newest
-- first, at most "limit" of them after exclusive_start_stream_arn.
CREATE FUNCTION @extschema@.list_streams(table_name text DEFAULT NULL, "limit" int DEFAULT 100,
                                         exclusive_start_stream_arn text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    start @extschema@._streams;
    rows jsonb[];
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 100;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 100 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 100');
    END IF;
    IF table_name IS NOT NULL THEN
        ok := @extschema@._check_table_name(table_name, false);
    END IF;
    IF exclusive_start_stream_arn IS NOT NULL THEN
        IF pg_catalog.length(exclusive_start_stream_arn) < 37 THEN
            ok := @extschema@._invalid_parameter(exclusive_start_stream_arn, 'exclusiveStartStreamArn',
                'Member must have length greater than or equal to 37');
        ELSIF pg_catalog.length(exclusive_start_stream_arn) > 1024 THEN
            ok := @extschema@._invalid_parameter(exclusive_start_stream_arn, 'exclusiveStartStreamArn',
                'Member must have length less than or equal to 1024');
        END IF;
        SELECT * INTO start FROM @extschema@._streams s
         WHERE s.stream_arn OPERATOR(pg_catalog.=) exclusive_start_stream_arn;
        IF NOT FOUND THEN
            ok := @extschema@._raise('ResourceNotFoundException',
                'Requested resource not found: Stream: ' OPERATOR(pg_catalog.||) exclusive_start_stream_arn
                OPERATOR(pg_catalog.||) ' not found');
        END IF;
    END IF;
    SELECT pg_catalog.array_agg(pg_catalog.jsonb_build_object(
               'StreamArn', s.stream_arn, 'TableName', s.table_name, 'StreamLabel', s.stream_label)
               ORDER BY s.created_at DESC, s.stream_id DESC)
      INTO rows
      FROM (SELECT * FROM @extschema@._streams s
             WHERE (list_streams.table_name IS NULL
                    OR s.table_name OPERATOR(pg_catalog.=) list_streams.table_name)
               -- only streams the caller may read (docs/security.md)
               AND CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.relid)
                        THEN pg_catalog.has_table_privilege(s.relid, 'SELECT')
                        ELSE pg_catalog.pg_has_role((SELECT e.extowner FROM pg_catalog.pg_extension e
                                                      WHERE e.extname OPERATOR(pg_catalog.=) 'dynamo_streams'), 'USAGE') END
               AND (start.stream_id IS NULL
                    OR (s.created_at, s.stream_id) OPERATOR(pg_catalog.<) (start.created_at, start.stream_id))
             ORDER BY s.created_at DESC, s.stream_id DESC
             LIMIT "limit" OPERATOR(pg_catalog.+) 1) s;
    IF pg_catalog.cardinality(rows) > "limit" THEN
        RETURN pg_catalog.jsonb_build_object('Streams', pg_catalog.to_jsonb(rows[1:"limit"]),
                                             'LastEvaluatedStreamArn', rows["limit"] OPERATOR(pg_catalog.->>) 'StreamArn');
    END IF;
    RETURN pg_catalog.jsonb_build_object('Streams', pg_catalog.to_jsonb(COALESCE(rows, '{}')));
END
$$;
COMMENT ON FUNCTION @extschema@.list_streams(text, int, text) IS
    'ListStreams: the streams of the database or of one table, newest first';

-- A stored record rendered as the Lambda or GetRecords JSON record, byte
-- for byte as the output plugin sends it (src/record_sql.c).
CREATE FUNCTION @extschema@.render_record(format text, stream_arn text, stream_view_type text,
                                          event_name text, sequence_number text,
                                          creation_time timestamptz, keys text,
                                          new_image text DEFAULT NULL, old_image text DEFAULT NULL,
                                          size_bytes bigint DEFAULT NULL, ttl boolean DEFAULT false,
                                          omitted text DEFAULT NULL, noop boolean DEFAULT false)
RETURNS text LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_render_record';
COMMENT ON FUNCTION @extschema@.render_record(text, text, text, text, text, timestamptz, text, text, text, bigint, boolean, text, boolean) IS
    'a stored stream record as the Lambda or GetRecords JSON record';

INSERT INTO @extschema@._streams
       (stream_arn, table_name, relid, table_id, stream_label, stream_view_type,
        stream_status, created_at, disabled_at)
SELECT t.stream_arn, t.table_name, t.relid::pg_catalog.oid, t.table_id, t.stream_label,
       t.stream_view_type,
       CASE WHEN t.stream_enabled THEN 'ENABLED' ELSE 'DISABLED' END,
       @extschema@._stream_label_time(t.stream_label),
       CASE WHEN t.stream_enabled THEN NULL ELSE pg_catalog.now() END
  FROM @extschema@._tables t
 WHERE t.stream_arn IS NOT NULL AND t.stream_label IS NOT NULL
   AND t.stream_view_type IS NOT NULL
 ORDER BY t.stream_label, t.table_name;

-- stream log: shards, records, the pump (sql/install/06_stream_log.sql)
-- When a stream is disabled: the WAL position, so that the pump closes its
-- shards once it has pumped everything written before it.
ALTER TABLE @extschema@._streams ADD COLUMN disabled_lsn pg_catalog.pg_lsn;

CREATE TABLE @extschema@._shards (
    shard_no          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id         bigint NOT NULL REFERENCES @extschema@._streams ON DELETE CASCADE,
    -- 'shardId-' + 20 digits (creation time, ms since 1970) + '-' + 8 hex
    shard_id          text NOT NULL,
    -- the records whose key hash modulo slot_count is hash_slot
    hash_slot         integer NOT NULL,
    slot_count        integer NOT NULL,
    parent_shard_id   text,
    starting_seq      text COLLATE "C" NOT NULL,
    -- set when the shard is closed (rolled over, or its stream disabled)
    ending_seq        text COLLATE "C",
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at         timestamptz,
    -- the shard of its slot that new records go to (the newest)
    current           boolean NOT NULL DEFAULT true,
    -- records at or below this sequence number are trimmed (gone or hidden)
    trimmed_seq       text COLLATE "C",
    UNIQUE (stream_id, shard_id),
    CHECK ((ending_seq IS NULL) = (closed_at IS NULL)),
    CHECK (hash_slot >= 0 AND hash_slot < slot_count)
);
CREATE UNIQUE INDEX _shards_current ON @extschema@._shards (stream_id, hash_slot) WHERE current;

COMMENT ON TABLE @extschema@._shards IS
    'dynamo_streams stream log: the shards of every stream, with their lineage';

CREATE TABLE @extschema@._records (
    stream_id         bigint NOT NULL,
    shard_no          bigint NOT NULL,
    sequence_number   text COLLATE "C" NOT NULL,
    commit_lsn        pg_catalog.pg_lsn NOT NULL,
    event_name        text NOT NULL,
    -- commit time of the change (ApproximateCreationDateTime)
    created_at        timestamptz NOT NULL,
    key_hash          bigint NOT NULL,
    size_bytes        bigint NOT NULL,
    ttl               boolean NOT NULL,
    -- '' as NULL, 'max-record-bytes' or 'error' (docs/output-plugin.md)
    omitted           text,
    -- AttributeValue JSON text exactly as the plugin wrote it
    keys              text NOT NULL,
    new_image         text,
    old_image         text,
    -- when the pump wrote it: the partition key, and what retention counts
    arrived_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
) PARTITION BY RANGE (arrived_at);
CREATE INDEX _records_shard_seq ON @extschema@._records (shard_no, sequence_number);
CREATE INDEX _records_stream_time ON @extschema@._records (stream_id, created_at);

COMMENT ON TABLE @extschema@._records IS
    'dynamo_streams stream log: every record the pump wrote, partitioned by day';

-- The pump's state: one row.  pumped_through: every transaction that
-- committed before it is in the log (set when a step drained the slot).
CREATE TABLE @extschema@._pump (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pumped_through    pg_catalog.pg_lsn,
    last_step_at      timestamptz,
    records           bigint NOT NULL DEFAULT 0
);
INSERT INTO @extschema@._pump DEFAULT VALUES;

REVOKE ALL ON @extschema@._shards, @extschema@._records, @extschema@._pump FROM PUBLIC;
-- shards, like streams (dynamo._streams), are no secret: list_shards and
-- shard_for read them as the caller; the records are not readable
GRANT SELECT ON @extschema@._shards TO PUBLIC;

-- The pump's slot and replication origin (per database: origins and slots
-- are cluster-wide).
CREATE FUNCTION @extschema@._pump_slot_name() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_pump_' OPERATOR(pg_catalog.||) d.oid::text FROM pg_catalog.pg_database d
     WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
$$;
CREATE FUNCTION @extschema@._pump_origin_name() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_streams_pump_' OPERATOR(pg_catalog.||) d.oid::text FROM pg_catalog.pg_database d
     WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
$$;

-- The LSN just after lsn (pg_lsn + numeric needs PostgreSQL 14).
CREATE FUNCTION @extschema@._lsn_next(lsn pg_catalog.pg_lsn) RETURNS pg_catalog.pg_lsn
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT (pg_catalog.to_hex(pg_catalog.div(n, 4294967296)::bigint) OPERATOR(pg_catalog.||) '/'
            OPERATOR(pg_catalog.||) pg_catalog.to_hex(pg_catalog.mod(n, 4294967296)::bigint))::pg_catalog.pg_lsn
      FROM (SELECT (lsn OPERATOR(pg_catalog.-) '0/0'::pg_catalog.pg_lsn) OPERATOR(pg_catalog.+) 1 AS n) x
$$;

-- The SequenceNumber below every record committed at or after lsn
-- (change number 0; see src/record_seq.c for the layout).
CREATE FUNCTION @extschema@._seq_at_lsn(lsn pg_catalog.pg_lsn) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE((SELECT s.epoch::text FROM @extschema@._source s LIMIT 1), '100')
           OPERATOR(pg_catalog.||) pg_catalog.lpad((lsn OPERATOR(pg_catalog.-) '0/0'::pg_lsn)::text, 20, '0')
           OPERATOR(pg_catalog.||) '00000000000000000'
$$;

-- The hash slot (0..n-1) of a key hash: its unsigned 64-bit value modulo n,
-- as the plugin's hash-slots option computes it.
CREATE FUNCTION @extschema@._hash_slot(h bigint, n integer) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_hash_slot';

-- A new ShardId: 'shardId-' + creation time (ms since 1970, 20 digits) +
-- '-' + 8 hex digits that tell apart the shards made at once.
CREATE FUNCTION @extschema@._new_shard_id(stream_id bigint, hash_slot integer) RETURNS text
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'shardId-'
           OPERATOR(pg_catalog.||) pg_catalog.lpad(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())
                                                   OPERATOR(pg_catalog.*) 1000)::bigint::text, 20, '0')
           OPERATOR(pg_catalog.||) '-'
           OPERATOR(pg_catalog.||) pg_catalog.substr(pg_catalog.md5(stream_id::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) hash_slot::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) pg_catalog.clock_timestamp()::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) pg_catalog.random()::text), 1, 8)
$$;

-- Close the current shards of a stream (all, or those older than
-- older_than) at the log's present position; when reopen, each gets a
-- child (ParentShardId) that takes over its slot.  Returns the number of
-- shards closed.  Callers hold the pump lock (_pump_lock).
CREATE FUNCTION @extschema@._close_shards(stream_id bigint, reopen boolean,
                                          older_than timestamptz DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    sh @extschema@._shards;
    start_seq text;
    n integer := 0;
BEGIN
    SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_id OPERATOR(pg_catalog.=) _close_shards.stream_id;
    start_seq := @extschema@._seq_at_lsn(@extschema@._pump_position());
    FOR sh IN SELECT * FROM @extschema@._shards s
               WHERE s.stream_id OPERATOR(pg_catalog.=) _close_shards.stream_id AND s.current
                 AND s.ending_seq IS NULL
                 AND (older_than IS NULL OR s.created_at OPERATOR(pg_catalog.<=) older_than)
               ORDER BY s.hash_slot FOR UPDATE LOOP
        UPDATE @extschema@._shards s
           SET ending_seq = GREATEST(s.starting_seq,
                   (SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                     WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no)),
               closed_at = pg_catalog.now(),
               current = NOT reopen
         WHERE s.shard_no OPERATOR(pg_catalog.=) sh.shard_no;
        IF reopen THEN
            INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, parent_shard_id, starting_seq)
            VALUES (sh.stream_id, @extschema@._new_shard_id(sh.stream_id, sh.hash_slot), sh.hash_slot,
                    sh.slot_count, sh.shard_id, GREATEST(start_seq, sh.starting_seq));
        END IF;
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN n;
END
$$;

-- The position the log has reached: every transaction that committed
-- before it is in the log, or was skipped as having no record.
CREATE FUNCTION @extschema@._pump_position() RETURNS pg_catalog.pg_lsn
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT GREATEST(
        (SELECT p.pumped_through FROM @extschema@._pump p),
        @extschema@._lsn_next(pg_catalog.pg_replication_origin_progress(@extschema@._pump_origin_name(), true)),
        (SELECT r.confirmed_flush_lsn FROM pg_catalog.pg_replication_slots r
          WHERE r.slot_name OPERATOR(pg_catalog.=) @extschema@._pump_slot_name()),
        '0/0'::pg_catalog.pg_lsn)
$$;

-- Serialise the pump, rollovers and trims of this database (transaction lock).
CREATE FUNCTION @extschema@._pump_lock() RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(7239939240701681457)
$$;

-- Shard upkeep before a pump step: every enabled stream has shard_count
-- current open shards; shards older than the rollover interval (setting
-- dynamo_streams.shard_rollover_interval) roll over; the shards of a
-- disabled stream close once the log has passed its disabling.
CREATE FUNCTION @extschema@._maintain_shards() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    pos pg_catalog.pg_lsn := @extschema@._pump_position();
    start_seq text;
    rollover interval := NULLIF(pg_catalog.current_setting('dynamo_streams.shard_rollover_interval', true)::interval,
                                interval '0');
    ok integer;
BEGIN
    start_seq := @extschema@._seq_at_lsn(pos);
    FOR st IN SELECT * FROM @extschema@._streams s ORDER BY s.stream_id LOOP
        IF st.stream_status OPERATOR(pg_catalog.=) 'DISABLED' THEN
            IF st.disabled_lsn IS NULL OR st.disabled_lsn OPERATOR(pg_catalog.<=) pos THEN
                ok := @extschema@._close_shards(st.stream_id, false);
            END IF;
            CONTINUE;
        END IF;
        -- a changed shard_count: roll every shard over into the new count
        -- (the current shards of a stream always share one slot_count)
        IF EXISTS (SELECT FROM @extschema@._shards s
                    WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current
                      AND s.slot_count OPERATOR(pg_catalog.<>) st.shard_count) THEN
            ok := @extschema@._close_shards(st.stream_id, false);
            UPDATE @extschema@._shards s SET current = false
             WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current;
        ELSIF rollover IS NOT NULL THEN
            ok := @extschema@._close_shards(st.stream_id, true, pg_catalog.now() OPERATOR(pg_catalog.-) rollover);
        END IF;
        INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, parent_shard_id, starting_seq)
        SELECT st.stream_id, @extschema@._new_shard_id(st.stream_id, g), g, st.shard_count,
               (SELECT p.shard_id FROM @extschema@._shards p
                 WHERE p.stream_id OPERATOR(pg_catalog.=) st.stream_id AND p.hash_slot OPERATOR(pg_catalog.=) g
                   AND p.slot_count OPERATOR(pg_catalog.<>) st.shard_count
                 ORDER BY p.shard_no DESC LIMIT 1),
               start_seq
          FROM pg_catalog.generate_series(0, st.shard_count OPERATOR(pg_catalog.-) 1) g
         WHERE NOT EXISTS (SELECT FROM @extschema@._shards s
                            WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current
                              AND s.hash_slot OPERATOR(pg_catalog.=) g);
    END LOOP;
END
$$;

-- The partition of _records for the day of at (UTC), created if missing.
-- Created on its own and then attached: ATTACH PARTITION takes only a
-- SHARE UPDATE EXCLUSIVE lock on _records, so readers and writers go on.
CREATE FUNCTION @extschema@._records_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    day date := (at AT TIME ZONE 'UTC')::date;
    name text := '_records_' OPERATOR(pg_catalog.||) pg_catalog.to_char(day, 'YYYYMMDD');
    lo timestamptz := pg_catalog.timezone('UTC', day::timestamp);
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.'
                              OPERATOR(pg_catalog.||) name) IS NULL THEN
        EXECUTE pg_catalog.format('CREATE TABLE @extschema@.%I (LIKE @extschema@._records INCLUDING DEFAULTS)', name);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CHECK (arrived_at >= %L AND arrived_at < %L)',
                                  name, lo, lo OPERATOR(pg_catalog.+) interval '1 day');
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@._records ATTACH PARTITION @extschema@.%I FOR VALUES FROM (%L) TO (%L)',
                                  name, lo, lo OPERATOR(pg_catalog.+) interval '1 day');
    END IF;
    RETURN name;
END
$$;

-- Create the pump's slot (and replication origin) if missing.  A logical
-- slot cannot be created in a transaction that has written, hence not in
-- CREATE EXTENSION: the first dynamo.pump() or dynamo.start() makes it.
-- Returns the slot's name.
CREATE FUNCTION @extschema@._pump_ensure_slot() RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        IF pg_catalog.txid_current_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'the pump''s replication slot does not exist'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'A logical slot cannot be created in a transaction that has written: call dynamo.pump() or dynamo.start() first in a transaction of its own.';
        END IF;
        PERFORM pg_catalog.pg_create_logical_replication_slot(slot, 'dynamo_streams');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_create(origin);
    END IF;
    RETURN slot;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_ensure_slot() FROM PUBLIC;

-- Drop the pump's slot and origin (dynamo.stop(drop_slot => true)).  The
-- log stays; a later pump starts again from the present WAL position,
-- without the changes made while there was no slot.
CREATE FUNCTION @extschema@._pump_drop_slot() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
    found_one boolean := false;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        PERFORM pg_catalog.pg_drop_replication_slot(slot);
        found_one := true;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_drop(origin);
    END IF;
    UPDATE @extschema@._pump SET pumped_through = NULL;
    RETURN found_one;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_drop_slot() FROM PUBLIC;

-- One pump step, in the caller's transaction, with the pump's replication
-- origin set up for this session (dynamo_pump_step in src/pump.c does that
-- and then calls this): upkeep of shards and partitions, then up to
-- max_changes records (whole transactions) from the slot into _records,
-- skipping transactions whose commit LSN is at or below the origin's
-- progress, and the progress moved to the last commit LSN written, at commit.  Returns the
-- records written and whether the slot may hold more.
CREATE FUNCTION @extschema@._pump_step(max_changes bigint, OUT pumped bigint, OUT more boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
    done pg_catalog.pg_lsn;
    confirmed pg_catalog.pg_lsn;
    upto pg_catalog.pg_lsn;
    last_end pg_catalog.pg_lsn;
    decoded bigint;
    part text;
BEGIN
    PERFORM @extschema@._pump_lock();
    done := COALESCE(pg_catalog.pg_replication_origin_progress(origin, true), '0/0');
    SELECT r.confirmed_flush_lsn INTO confirmed FROM pg_catalog.pg_replication_slots r
     WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the pump''s replication slot does not exist'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'dynamo.pump() and dynamo.start() create it.';
    END IF;
    -- what earlier steps committed need not be decoded again: the slot
    -- moves just past the start of the last commit written (the origin's
    -- progress), so decoding resumes with the next transaction
    IF done OPERATOR(pg_catalog.>) '0/0' AND done OPERATOR(pg_catalog.>=) confirmed THEN
        PERFORM pg_catalog.pg_replication_slot_advance(slot, @extschema@._lsn_next(done));
    END IF;
    PERFORM @extschema@._maintain_shards();
    part := @extschema@._records_partition(pg_catalog.now());
    upto := pg_catalog.pg_current_wal_insert_lsn();
    -- straight into the day's partition; the peek's rows are split once
    -- each (OFFSET 0 keeps the subquery from being pulled up)
    EXECUTE pg_catalog.format($q$
    WITH ins AS (
        INSERT INTO @extschema@.%I (stream_id, shard_no, sequence_number, commit_lsn, event_name,
                                    created_at, key_hash, size_bytes, ttl, omitted, keys,
                                    new_image, old_image)
        SELECT s.stream_id, sh.shard_no, r.f[2], r.f[3]::pg_catalog.pg_lsn, r.f[5],
               timestamptz '2000-01-01 00:00:00+00' OPERATOR(pg_catalog.+)
                   (r.f[6]::bigint::float8 OPERATOR(pg_catalog.*) interval '1 microsecond'),
               r.f[7]::bigint, r.f[8]::bigint, pg_catalog.strpos(r.f[9], 't') OPERATOR(pg_catalog.>) 0,
               NULLIF(r.f[10], ''), r.f[12], NULLIF(r.f[13], ''), NULLIF(r.f[14], '')
          FROM (SELECT pg_catalog.string_to_array(c.data, E'\t') f
                  FROM pg_catalog.pg_logical_slot_peek_changes($1, $2, $3, 'format', 'pump') c
                OFFSET 0) r
          JOIN @extschema@._streams s
            ON s.stream_arn OPERATOR(pg_catalog.=) pg_catalog.btrim(r.f[11], '"')
          JOIN @extschema@._shards sh
            ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id AND sh.current
           AND sh.hash_slot OPERATOR(pg_catalog.=) @extschema@._hash_slot(r.f[7]::bigint, sh.slot_count)
         WHERE r.f[3]::pg_catalog.pg_lsn OPERATOR(pg_catalog.>) $4
        RETURNING commit_lsn)
    SELECT pg_catalog.count(*), pg_catalog.max(ins.commit_lsn) FROM ins$q$, part)
      INTO pumped, last_end
     USING slot, upto, max_changes::integer, done;
    -- (a transaction decoded again after a crash is skipped, not counted)
    decoded := pumped;
    more := max_changes IS NOT NULL AND decoded OPERATOR(pg_catalog.>=) max_changes;
    IF pumped OPERATOR(pg_catalog.>) 0 THEN
        -- progress commits with the records (the session has the origin)
        PERFORM pg_catalog.pg_replication_origin_xact_setup(last_end, pg_catalog.now());
        -- a closed shard that got late records (a transaction that
        -- committed after its stream was disabled) ends at the last of them
        UPDATE @extschema@._shards sh
           SET ending_seq = (SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                              WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no)
         WHERE sh.current AND sh.ending_seq IS NOT NULL
           AND EXISTS (SELECT FROM @extschema@._records r
                        WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no
                          AND r.sequence_number OPERATOR(pg_catalog.>) sh.ending_seq);
    END IF;
    UPDATE @extschema@._pump p
       SET pumped_through = CASE WHEN more THEN GREATEST(p.pumped_through, @extschema@._lsn_next(last_end))
                                 ELSE GREATEST(p.pumped_through, upto) END,
           last_step_at = pg_catalog.now(),
           records = p.records OPERATOR(pg_catalog.+) pumped;
    IF NOT more THEN
        -- caught up: close the shards of streams disabled before upto now
        PERFORM @extschema@._maintain_shards();
    END IF;
    IF NOT more AND decoded OPERATOR(pg_catalog.=) 0 THEN
        -- nothing up to upto: let the slot release that WAL now
        SELECT r.confirmed_flush_lsn INTO confirmed FROM pg_catalog.pg_replication_slots r
         WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
        IF upto OPERATOR(pg_catalog.>) confirmed THEN
            PERFORM pg_catalog.pg_replication_slot_advance(slot, upto);
        END IF;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_step(bigint) FROM PUBLIC;

-- dynamo.pump(max_changes): one synchronous pump step (docs/functions/pump.md).
CREATE FUNCTION @extschema@.pump(max_changes bigint DEFAULT NULL) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_pump';
REVOKE ALL ON FUNCTION @extschema@.pump(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.pump(bigint) IS
    'one synchronous step of the stream log pump: returns the records written';
CREATE OR REPLACE FUNCTION @extschema@._tables_streams() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' AND OLD.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NOT NEW.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        UPDATE @extschema@._streams s
           SET stream_status = 'DISABLED', disabled_at = pg_catalog.now(),
               disabled_lsn = pg_catalog.pg_current_wal_insert_lsn()
         WHERE s.stream_arn OPERATOR(pg_catalog.=) OLD.stream_arn
           AND s.stream_status OPERATOR(pg_catalog.<>) 'DISABLED';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' AND NEW.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR NOT OLD.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        -- (a catalog table takes no ON CONFLICT; a restored dump has the row)
        INSERT INTO @extschema@._streams
               (stream_arn, table_name, relid, table_id, stream_label, stream_view_type, created_at)
        SELECT NEW.stream_arn, NEW.table_name, NEW.relid::pg_catalog.oid, NEW.table_id,
               NEW.stream_label, NEW.stream_view_type,
               @extschema@._stream_label_time(NEW.stream_label)
         WHERE NOT EXISTS (SELECT FROM @extschema@._streams s
                            WHERE s.stream_arn OPERATOR(pg_catalog.=) NEW.stream_arn);
        -- its first shards (the stream log), open from here on
        INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, starting_seq)
        SELECT s.stream_id, @extschema@._new_shard_id(s.stream_id, g), g, s.shard_count,
               @extschema@._seq_at_lsn(pg_catalog.pg_current_wal_insert_lsn())
          FROM @extschema@._streams s,
               pg_catalog.generate_series(0, s.shard_count OPERATOR(pg_catalog.-) 1) g
         WHERE s.stream_arn OPERATOR(pg_catalog.=) NEW.stream_arn
           AND s.stream_status OPERATOR(pg_catalog.<>) 'DISABLED'
           AND NOT EXISTS (SELECT FROM @extschema@._shards x WHERE x.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    END IF;
    RETURN NULL;
END
$$;

-- The change history: every record of the log that is not trimmed, with
-- typed columns (docs/stream-log.md, "The history view").  Stable: columns
-- are only ever added at the end.
CREATE VIEW @extschema@.stream_records AS
SELECT s.stream_arn, s.table_name, sh.shard_id, r.sequence_number, r.event_name,
       r.keys::jsonb AS keys, r.new_image::jsonb AS new_image, r.old_image::jsonb AS old_image,
       r.created_at, r.size_bytes, r.commit_lsn, s.stream_view_type, r.ttl, r.arrived_at,
       r.stream_id, r.shard_no, r.key_hash
  FROM @extschema@._records r
  JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
  JOIN @extschema@._streams s ON s.stream_id OPERATOR(pg_catalog.=) r.stream_id
 WHERE sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq;
COMMENT ON VIEW @extschema@.stream_records IS
    'the stream log as rows: every record not yet trimmed, with typed columns';

-- Raise TrimmedDataAccessException when sequence_number of shard shard_no
-- is below the shard's trim horizon (no longer readable).  Returns true.
-- The Streams API (get_shard_iterator, get_records) calls it.
CREATE FUNCTION @extschema@._check_not_trimmed(shard_no bigint, sequence_number text)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sh @extschema@._shards;
    st @extschema@._streams;
    ok boolean;
BEGIN
    SELECT * INTO sh FROM @extschema@._shards s WHERE s.shard_no OPERATOR(pg_catalog.=) _check_not_trimmed.shard_no;
    IF sh.trimmed_seq IS NOT NULL AND sequence_number COLLATE "C" OPERATOR(pg_catalog.<=) sh.trimmed_seq THEN
        SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_id OPERATOR(pg_catalog.=) sh.stream_id;
        ok := @extschema@._raise('TrimmedDataAccessException',
            'Attempted to access data past the trim horizon of shard ' OPERATOR(pg_catalog.||) sh.shard_id
            OPERATOR(pg_catalog.||) ' in stream ' OPERATOR(pg_catalog.||) st.stream_arn,
            'sequence number ' OPERATOR(pg_catalog.||) sequence_number
            OPERATOR(pg_catalog.||) ' is at or below the trim horizon ' OPERATOR(pg_catalog.||) sh.trimmed_seq);
    END IF;
    RETURN true;
END
$$;

-- The key hash of a normalised item's Keys, as the plugin computes it.
CREATE FUNCTION @extschema@._key_hash(item jsonb, hash_key text, range_key text) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_key_hash';

-- The stream of an ARN, or ResourceNotFoundException.
CREATE FUNCTION @extschema@._stream_by_arn(stream_arn text) RETURNS @extschema@._streams
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    ok boolean;
BEGIN
    SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_arn OPERATOR(pg_catalog.=) _stream_by_arn.stream_arn;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Stream: ' OPERATOR(pg_catalog.||) COALESCE(stream_arn, '')
            OPERATOR(pg_catalog.||) ' not found');
    END IF;
    RETURN st;
END
$$;

-- The shards of a stream with their lineage, oldest first (trimmed
-- shards are gone).  docs/functions/list_shards.md
CREATE FUNCTION @extschema@.list_shards(stream_arn text)
RETURNS TABLE (shard_id text, parent_shard_id text, starting_sequence_number text,
               ending_sequence_number text, hash_slot integer, slot_count integer,
               created_at timestamptz, closed_at timestamptz, trim_horizon text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
BEGIN
    RETURN QUERY
    SELECT sh.shard_id, sh.parent_shard_id, sh.starting_seq::text, sh.ending_seq::text, sh.hash_slot,
           sh.slot_count, sh.created_at, sh.closed_at, sh.trimmed_seq::text
      FROM @extschema@._shards sh
     WHERE sh.stream_id OPERATOR(pg_catalog.=) st.stream_id
     ORDER BY sh.shard_no;
END
$$;
COMMENT ON FUNCTION @extschema@.list_shards(text) IS
    'the shards of a stream, with ParentShardId and sequence number range, oldest first';

-- Roll a stream's open shards over now: each is closed (EndingSequenceNumber)
-- and replaced by a child.  Returns the number of shards rolled over.
-- docs/functions/rollover_shards.md
CREATE FUNCTION @extschema@.rollover_shards(stream_arn text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean;
BEGIN
    IF st.stream_status OPERATOR(pg_catalog.=) 'DISABLED' THEN
        ok := @extschema@._raise('ValidationException',
            'The stream is disabled: its shards are closed', st.stream_arn);
    END IF;
    PERFORM @extschema@._pump_lock();
    RETURN @extschema@._close_shards(st.stream_id, true);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.rollover_shards(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.rollover_shards(text) IS
    'close the open shards of a stream now and open a child shard for each';

-- The open shard of the table's current stream that an item with this
-- key goes to now.  docs/functions/shard_for.md
CREATE FUNCTION @extschema@.shard_for(table_name text, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables := @extschema@._item_table(table_name);
    st @extschema@._streams;
    h bigint;
    ok boolean;
    result text;
BEGIN
    t := @extschema@._require_access(t, 'DescribeStream', '{SELECT}');
    IF t.kind OPERATOR(pg_catalog.<>) 'item' THEN
        ok := @extschema@._raise('ValidationException',
            'shard_for supports item tables only: ' OPERATOR(pg_catalog.||) table_name);
    END IF;
    IF NOT t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has no stream enabled');
    END IF;
    h := @extschema@._key_hash(@extschema@.validate_item(key), t.hash_key, t.range_key);
    IF h IS NULL OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key))
                    OPERATOR(pg_catalog.<>) (CASE WHEN t.range_key IS NULL THEN 1 ELSE 2 END)
       OR NOT ((key OPERATOR(pg_catalog.->) t.hash_key) OPERATOR(pg_catalog.?) t.hash_key_type::text)
       OR NOT (t.range_key IS NULL
               OR (key OPERATOR(pg_catalog.->) t.range_key) OPERATOR(pg_catalog.?) t.range_key_type::text) THEN
        ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema');
    END IF;
    SELECT sh.shard_id INTO result
      FROM @extschema@._streams s
      JOIN @extschema@._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id AND sh.current
     WHERE s.stream_arn OPERATOR(pg_catalog.=) t.stream_arn AND sh.ending_seq IS NULL
       AND sh.hash_slot OPERATOR(pg_catalog.=) @extschema@._hash_slot(h, sh.slot_count);
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.shard_for(text, jsonb) IS
    'the open shard of the table''s stream that a key maps to now';

-- Retention (docs/stream-log.md#retention): move every shard's trim
-- horizon past the records older than its stream's retention (by the time
-- the pump wrote them), forget shards and disabled streams trimmed
-- entirely, and drop whole days of _records that no stream keeps.  Never
-- waits: a partition is dropped only if its lock is free at once (else the
-- next trim drops it), and trims do not queue behind each other.  Returns
-- the number of records newly trimmed.  Run it in a transaction of its own.
-- docs/functions/trim.md
CREATE FUNCTION @extschema@.trim() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    trimmed bigint := 0;
    keep interval;
    part record;
    hi timestamptz;
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(7239939240701681458) THEN
        RETURN 0;
    END IF;
    -- horizons: the newest record of each shard that is past retention
    WITH h AS (
        SELECT r.shard_no, pg_catalog.max(r.sequence_number) seq, pg_catalog.count(*) n
          FROM @extschema@._records r
          JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
          JOIN @extschema@._streams s ON s.stream_id OPERATOR(pg_catalog.=) sh.stream_id
         WHERE s.retention IS NOT NULL
           AND r.arrived_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
           AND (sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq)
         GROUP BY r.shard_no),
    u AS (
        UPDATE @extschema@._shards sh SET trimmed_seq = h.seq
          FROM h WHERE sh.shard_no OPERATOR(pg_catalog.=) h.shard_no
        RETURNING h.n)
    SELECT COALESCE(pg_catalog.sum(u.n), 0) INTO trimmed FROM u;
    -- closed shards past retention with nothing left: gone (DescribeStream
    -- no longer lists them)
    DELETE FROM @extschema@._shards sh
     USING @extschema@._streams s
     WHERE s.stream_id OPERATOR(pg_catalog.=) sh.stream_id AND s.retention IS NOT NULL
       AND sh.closed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
       AND NOT EXISTS (SELECT FROM @extschema@._records r
                        WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no
                          AND r.sequence_number OPERATOR(pg_catalog.>) COALESCE(sh.trimmed_seq, ''));
    -- disabled streams past retention with no shard left: gone
    DELETE FROM @extschema@._streams s
     WHERE s.stream_status OPERATOR(pg_catalog.=) 'DISABLED' AND s.retention IS NOT NULL
       AND s.disabled_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
       AND NOT EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    -- whole days older than every stream's retention (none while a stream
    -- with records keeps them for ever)
    IF EXISTS (SELECT FROM @extschema@._streams s WHERE s.retention IS NULL
                 AND EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id)) THEN
        RETURN trimmed;
    END IF;
    SELECT COALESCE(pg_catalog.max(s.retention), interval '0') INTO keep FROM @extschema@._streams s
     WHERE EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    FOR part IN SELECT c.relname FROM pg_catalog.pg_inherits i
                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
                 WHERE i.inhparent OPERATOR(pg_catalog.=) '@extschema@._records'::pg_catalog.regclass
                   AND c.relname OPERATOR(pg_catalog.~) '^_records_[0-9]{8}$'
                 ORDER BY c.relname LOOP
        hi := pg_catalog.timezone('UTC', pg_catalog.to_date(pg_catalog.substr(part.relname, 10), 'YYYYMMDD')::timestamp)
              OPERATOR(pg_catalog.+) interval '1 day';
        EXIT WHEN hi OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) keep);
        BEGIN
            LOCK TABLE @extschema@._records IN ACCESS EXCLUSIVE MODE NOWAIT;
            EXECUTE pg_catalog.format('DROP TABLE @extschema@.%I', part.relname);
        EXCEPTION WHEN lock_not_available THEN
            EXIT;
        END;
    END LOOP;
    RETURN trimmed;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.trim() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.trim() IS
    'apply every stream''s retention to the stream log: returns the records trimmed';

-- Set how long a stream's records are kept (NULL: for ever).
-- docs/functions/set_stream_retention.md
CREATE FUNCTION @extschema@.set_stream_retention(stream_arn text, retention interval) RETURNS interval
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean;
BEGIN
    IF retention IS NOT NULL AND retention OPERATOR(pg_catalog.<=) interval '0' THEN
        ok := @extschema@._invalid_parameter(retention::text, 'retention',
            'Member must be a positive interval, or NULL to keep records for ever');
    END IF;
    UPDATE @extschema@._streams s SET retention = set_stream_retention.retention
     WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
    RETURN retention;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.set_stream_retention(text, interval) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_stream_retention(text, interval) IS
    'set how long the stream log keeps a stream''s records (NULL: for ever)';

-- ---------------------------------------------------------------------
-- Background worker (issue 7): start(), stop(), the view status
-- (sql/install/57_worker.sql).
-- ---------------------------------------------------------------------
CREATE FUNCTION @extschema@.start()
RETURNS integer LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'dynamo_worker_start';
REVOKE ALL ON FUNCTION @extschema@.start() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.start() IS
    'start the background worker of this database (if not running); returns its pid';

CREATE FUNCTION @extschema@.stop(drop_slot boolean DEFAULT false)
RETURNS boolean LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'dynamo_worker_stop';
REVOKE ALL ON FUNCTION @extschema@.stop(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.stop(boolean) IS
    'stop the background worker of this database; with drop_slot, drop the pump''s slot';

-- One row: the worker of this database (NULL pid when none runs) and the
-- pump's slot.  The worker publishes its status as JSON in its
-- pg_stat_activity.query, which only superusers, members of
-- pg_read_all_stats and the worker's role can read.
CREATE VIEW @extschema@.status AS
SELECT w.pid,
       pg_catalog.current_database() AS database,
       CASE WHEN w.pid IS NULL THEN 'stopped' ELSE COALESCE(w.s OPERATOR(pg_catalog.->>) 'state', 'unknown') END AS state,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'started_at')::pg_catalog.float8) AS started_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'woke_at')::pg_catalog.float8) AS woke_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'pump_at')::pg_catalog.float8) AS last_pump_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'ttl_at')::pg_catalog.float8) AS last_ttl_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'trim_at')::pg_catalog.float8) AS last_trim_at,
       (w.s OPERATOR(pg_catalog.->>) 'ttl_total')::pg_catalog.int8 AS ttl_deleted,
       w.s OPERATOR(pg_catalog.->>) 'error_job' AS last_error_job,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'error_at')::pg_catalog.float8) AS last_error_at,
       w.s OPERATOR(pg_catalog.->>) 'error' AS last_error,
       c.slot_name,
       r.confirmed_flush_lsn,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.confirmed_flush_lsn) AS lag_bytes,
       pg_catalog.now() OPERATOR(pg_catalog.-)
           pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'caught_up_at')::pg_catalog.float8) AS lag_time,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.restart_lsn) AS retained_wal_bytes
  FROM (SELECT ('dynamo_pump_' OPERATOR(pg_catalog.||) d.oid)::pg_catalog.name AS slot_name
          FROM pg_catalog.pg_database d
         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) c
  LEFT JOIN (SELECT a.pid,
                    CASE WHEN a.query OPERATOR(pg_catalog.~) '^\{.*\}$' THEN a.query::pg_catalog.jsonb END AS s
               FROM pg_catalog.pg_stat_activity a
              WHERE a.backend_type OPERATOR(pg_catalog.=) 'dynamo_streams worker'
                AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
              ORDER BY a.backend_start LIMIT 1) w ON true
  LEFT JOIN pg_catalog.pg_replication_slots r ON r.slot_name OPERATOR(pg_catalog.=) c.slot_name;
GRANT SELECT ON @extschema@.status TO PUBLIC;
COMMENT ON VIEW @extschema@.status IS
    'the background worker of this database and the pump''s slot: lag and retained WAL';

-- streams-api: describe_stream, get_shard_iterator, get_records, the
-- iterator key; grant_access/revoke_access also grant/revoke EXECUTE on them.

CREATE TABLE @extschema@._iterator_key (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    -- the 64-byte key XOR 0x36 and XOR 0x5c (RFC 2104)
    ipad   bytea NOT NULL CHECK (pg_catalog.length(ipad) OPERATOR(pg_catalog.=) 64),
    opad   bytea NOT NULL CHECK (pg_catalog.length(opad) OPERATOR(pg_catalog.=) 64)
);
REVOKE ALL ON @extschema@._iterator_key FROM PUBLIC;
COMMENT ON TABLE @extschema@._iterator_key IS
    'dynamo_streams: the key that signs shard iterators (not dumped; a restored database makes a new one)';

-- A new random iterator key (gen_random_uuid: pg_strong_random).
CREATE FUNCTION @extschema@._new_iterator_key() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k bytea := pg_catalog.decode(pg_catalog.replace(
        pg_catalog.gen_random_uuid()::text OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text
        OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text
        OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text, '-', ''), 'hex');
BEGIN
    DELETE FROM @extschema@._iterator_key;
    INSERT INTO @extschema@._iterator_key (ipad, opad)
    SELECT pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(
               pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 54), 2, '0'), '' ORDER BY i), 'hex'),
           pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(
               pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 92), 2, '0'), '' ORDER BY i), 'hex')
      FROM pg_catalog.generate_series(0, 63) i;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._new_iterator_key() FROM PUBLIC;
SELECT @extschema@._new_iterator_key();

-- HMAC-SHA-256 of msg under the iterator key.
CREATE FUNCTION @extschema@._iterator_mac(msg bytea) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.sha256(k.opad OPERATOR(pg_catalog.||)
                             pg_catalog.sha256(k.ipad OPERATOR(pg_catalog.||) msg))
      FROM @extschema@._iterator_key k
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_mac(bytea) FROM PUBLIC;

-- A shard iterator: position kind 'TRIM' (the oldest record kept), 'AT' or
-- 'AFTER' sequence number seq, issued at clock_timestamp().
CREATE FUNCTION @extschema@._iterator_encode(stream_id bigint, shard_id text, kind text, seq numeric)
RETURNS text LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(p OPERATOR(pg_catalog.||) @extschema@._iterator_mac(p), 'base64'),
                                E'+/=\n', '-_')
      FROM pg_catalog.convert_to(pg_catalog.concat_ws('|', 'v1', stream_id, shard_id, kind, COALESCE(seq::text, ''),
               pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.*) 1000)::bigint),
           'UTF8') p
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_encode(bigint, text, text, numeric) FROM PUBLIC;

-- The parts of a shard iterator, or ValidationException if it is not one
-- that this database issued, unaltered.
CREATE FUNCTION @extschema@._iterator_decode(iterator text, OUT stream_id bigint, OUT shard_id text,
                                             OUT kind text, OUT seq numeric, OUT issued timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    b bytea;
    p bytea;
    f text[];
BEGIN
    IF iterator IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'shardIterator', 'Member must not be null');
    ELSIF pg_catalog.length(iterator) < 1 THEN
        ok := @extschema@._invalid_parameter(iterator, 'shardIterator', 'Member must have length greater than or equal to 1');
    ELSIF pg_catalog.length(iterator) > 2048 THEN
        ok := @extschema@._invalid_parameter(iterator, 'shardIterator', 'Member must have length less than or equal to 2048');
    END IF;
    BEGIN
        b := pg_catalog.decode(pg_catalog.rpad(pg_catalog.translate(iterator, '-_', '+/'),
                 ((pg_catalog.length(iterator) OPERATOR(pg_catalog.+) 3) OPERATOR(pg_catalog./) 4) OPERATOR(pg_catalog.*) 4, '='),
             'base64');
    EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
        b := NULL;
    END;
    IF b IS NOT NULL AND pg_catalog.length(b) > 32
       AND iterator !~ '[^A-Za-z0-9_-]' THEN
        p := pg_catalog.substr(b, 1, pg_catalog.length(b) OPERATOR(pg_catalog.-) 32);
        IF pg_catalog.substr(b, pg_catalog.length(b) OPERATOR(pg_catalog.-) 31) OPERATOR(pg_catalog.=) @extschema@._iterator_mac(p) THEN
            f := pg_catalog.string_to_array(pg_catalog.convert_from(p, 'UTF8'), '|');
            IF f[1] OPERATOR(pg_catalog.=) 'v1' AND pg_catalog.cardinality(f) OPERATOR(pg_catalog.=) 6 THEN
                stream_id := f[2]::bigint;
                shard_id := f[3];
                kind := f[4];
                seq := NULLIF(f[5], '')::numeric;
                issued := pg_catalog.to_timestamp(f[6]::numeric OPERATOR(pg_catalog./) 1000);
                RETURN;
            END IF;
        END IF;
    END IF;
    ok := @extschema@._raise('ValidationException', 'Invalid ShardIterator',
        'The shard iterator was not issued by get_shard_iterator or get_records of this database, or was altered.');
END
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_decode(text) FROM PUBLIC;

-- The role that called the API function: the current role outside every
-- SECURITY DEFINER function (SET ROLE's role, else the session user).
CREATE FUNCTION @extschema@._stream_caller() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
                THEN SESSION_USER ELSE pg_catalog.current_setting('role')::name END
$$;

-- AccessDeniedException unless the caller may read stream s: SELECT on
-- its table, or (the table dropped) membership in the extension's owner.
CREATE FUNCTION @extschema@._stream_require_read(s @extschema@._streams, action text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.relid) THEN
        IF pg_catalog.has_table_privilege(who, s.relid, 'SELECT') THEN
            RETURN true;
        END IF;
    ELSIF pg_catalog.pg_has_role(who, (SELECT e.extowner FROM pg_catalog.pg_extension e
                                        WHERE e.extname OPERATOR(pg_catalog.=) 'dynamo_streams'), 'USAGE') THEN
        RETURN true;
    END IF;
    ok := @extschema@._raise('AccessDeniedException',
        pg_catalog.format('User: %s is not authorized to perform: dynamodb:%s on resource: %s', who, action, s.stream_arn),
        pg_catalog.format('dynamodb:%s needs the SELECT privilege on the stream''s table %s.', action,
            COALESCE(s.relid::pg_catalog.regclass::text, 'dynamo.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(s.table_name))),
        'The table''s owner can grant it; see docs/security.md.');
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_require_read(@extschema@._streams, text) FROM PUBLIC;

-- The stream named by a StreamArn argument, checked, that the caller may read.
CREATE FUNCTION @extschema@._stream_for_read(stream_arn text, action text) RETURNS @extschema@._streams
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
BEGIN
    IF stream_arn IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'streamArn', 'Member must not be null');
    ELSIF pg_catalog.length(stream_arn) < 37 THEN
        ok := @extschema@._invalid_parameter(stream_arn, 'streamArn', 'Member must have length greater than or equal to 37');
    ELSIF pg_catalog.length(stream_arn) > 1024 THEN
        ok := @extschema@._invalid_parameter(stream_arn, 'streamArn', 'Member must have length less than or equal to 1024');
    END IF;
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_arn OPERATOR(pg_catalog.=) _stream_for_read.stream_arn;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Stream: ' OPERATOR(pg_catalog.||) stream_arn OPERATOR(pg_catalog.||) ' not found');
    END IF;
    ok := @extschema@._stream_require_read(s, action);
    RETURN s;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_for_read(text, text) FROM PUBLIC;

-- Check a ShardId argument's length.
CREATE FUNCTION @extschema@._check_shard_id(shard_id text, what text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF shard_id IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, what, 'Member must not be null');
    ELSIF pg_catalog.length(shard_id) < 28 THEN
        ok := @extschema@._invalid_parameter(shard_id, what, 'Member must have length greater than or equal to 28');
    ELSIF pg_catalog.length(shard_id) > 65 THEN
        ok := @extschema@._invalid_parameter(shard_id, what, 'Member must have length less than or equal to 65');
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._check_shard_id(text, text) FROM PUBLIC;

-- The stream log as the API reads it (the only functions that name the
-- log's tables, docs/stream-log.md).  Sequence numbers are numeric here and
-- 40-digit text in the log ("C" order = numeric order).
CREATE FUNCTION @extschema@._log_seq(seq numeric) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.lpad(seq::text, 40, '0') COLLATE "C"
$$;

-- The shards of a stream, parents first (in the order they were made);
-- trim_horizon: the lowest sequence number not trimmed (NULL: none is).
CREATE FUNCTION @extschema@._log_shards(stream_id bigint)
RETURNS TABLE (shard_no bigint, shard_id text, parent_shard_id text, starting_sequence_number numeric,
               ending_sequence_number numeric, trim_horizon numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT h.shard_no, h.shard_id, h.parent_shard_id, h.starting_seq::numeric, h.ending_seq::numeric,
           h.trimmed_seq::numeric OPERATOR(pg_catalog.+) 1
      FROM @extschema@._shards h
     WHERE h.stream_id OPERATOR(pg_catalog.=) _log_shards.stream_id
     ORDER BY h.shard_no;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_shards(bigint) FROM PUBLIC;

-- The records of a shard from position (kind, seq) on that are not
-- trimmed, in order, at most n.
CREATE FUNCTION @extschema@._log_records(shard_no bigint, kind text, seq numeric, n integer)
RETURNS TABLE (sequence_number text, event_name text, creation_time timestamptz, keys text,
               new_image text, old_image text, size_bytes bigint, ttl boolean, omitted text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    low text := CASE WHEN kind OPERATOR(pg_catalog.=) 'TRIM' THEN '' ELSE @extschema@._log_seq(seq) END;
    trimmed text := COALESCE((SELECT h.trimmed_seq FROM @extschema@._shards h
                               WHERE h.shard_no OPERATOR(pg_catalog.=) _log_records.shard_no), '');
BEGIN
    IF kind OPERATOR(pg_catalog.=) 'AT' THEN
        -- AT seq is AFTER the number below it
        low := @extschema@._log_seq(seq OPERATOR(pg_catalog.-) 1);
    END IF;
    RETURN QUERY
    SELECT r.sequence_number::text, r.event_name, r.created_at, r.keys, r.new_image, r.old_image,
           r.size_bytes, r.ttl, r.omitted
      FROM @extschema@._records r
     WHERE r.shard_no OPERATOR(pg_catalog.=) _log_records.shard_no
       AND r.sequence_number OPERATOR(pg_catalog.>) GREATEST(low, trimmed) COLLATE "C"
     ORDER BY r.sequence_number
     LIMIT n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_records(bigint, text, numeric, integer) FROM PUBLIC;

-- The newest sequence number of a shard that is not trimmed (NULL: none).
CREATE FUNCTION @extschema@._log_last_seq(shard_no bigint) RETURNS numeric
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT r.sequence_number::numeric FROM @extschema@._records r
             WHERE r.shard_no OPERATOR(pg_catalog.=) _log_last_seq.shard_no
               AND r.sequence_number OPERATOR(pg_catalog.>) COALESCE((SELECT h.trimmed_seq FROM @extschema@._shards h
                                   WHERE h.shard_no OPERATOR(pg_catalog.=) _log_last_seq.shard_no), '') COLLATE "C"
             ORDER BY r.sequence_number DESC LIMIT 1);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_last_seq(bigint) FROM PUBLIC;

-- DescribeStream: the stream and its shards (parents before children), at
-- most "limit" of them after exclusive_start_shard_id; shard_filter
-- {"Type": "CHILD_SHARDS", "ShardId": ...} keeps the children of one shard.
CREATE FUNCTION @extschema@.describe_stream(stream_arn text, "limit" int DEFAULT 100,
                                            exclusive_start_shard_id text DEFAULT NULL,
                                            shard_filter jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
    t @extschema@._tables;
    parent text;
    shards jsonb[];
    d jsonb;
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 100;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 100 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 100');
    END IF;
    IF exclusive_start_shard_id IS NOT NULL THEN
        ok := @extschema@._check_shard_id(exclusive_start_shard_id, 'exclusiveStartShardId');
    END IF;
    IF shard_filter IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(shard_filter) IS DISTINCT FROM 'object'
           OR shard_filter OPERATOR(pg_catalog.->>) 'Type' IS DISTINCT FROM 'CHILD_SHARDS' THEN
            ok := @extschema@._invalid_parameter(COALESCE(shard_filter OPERATOR(pg_catalog.->>) 'Type', 'null'),
                'shardFilter.type', 'Member must satisfy enum value set: [CHILD_SHARDS]');
        END IF;
        parent := shard_filter OPERATOR(pg_catalog.->>) 'ShardId';
        ok := @extschema@._check_shard_id(parent, 'shardFilter.shardId');
    END IF;
    s := @extschema@._stream_for_read(stream_arn, 'DescribeStream');
    SELECT * INTO t FROM @extschema@._tables x WHERE x.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    SELECT pg_catalog.array_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'ShardId', h.shard_id, 'ParentShardId', h.parent_shard_id,
               'SequenceNumberRange', pg_catalog.jsonb_build_object(
                   'StartingSequenceNumber', h.starting_sequence_number::text,
                   'EndingSequenceNumber', h.ending_sequence_number::text))) ORDER BY h.n)
      INTO shards
      FROM (SELECT x.*, pg_catalog.row_number() OVER () AS n FROM @extschema@._log_shards(s.stream_id) x) h
     WHERE (parent IS NULL OR h.parent_shard_id OPERATOR(pg_catalog.=) parent)
       AND (exclusive_start_shard_id IS NULL
            OR h.n OPERATOR(pg_catalog.>) (SELECT y.n FROM (SELECT x.shard_id, pg_catalog.row_number() OVER () AS n
                                              FROM @extschema@._log_shards(s.stream_id) x) y
                                            WHERE y.shard_id OPERATOR(pg_catalog.=) exclusive_start_shard_id));
    shards := COALESCE(shards, '{}');
    d := pg_catalog.jsonb_build_object(
        'StreamArn', s.stream_arn,
        'StreamLabel', s.stream_label,
        'StreamStatus', s.stream_status,
        'StreamViewType', s.stream_view_type,
        'CreationRequestDateTime', pg_catalog.round(EXTRACT(epoch FROM s.created_at), 3),
        'TableName', s.table_name,
        'KeySchema', CASE WHEN t.hash_key IS NULL THEN '[]'::jsonb ELSE
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'KeyType', 'HASH'))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'KeyType', 'RANGE')) END END,
        'Shards', pg_catalog.to_jsonb(shards[1:"limit"]));
    IF pg_catalog.cardinality(shards) > "limit" THEN
        d := d OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('LastEvaluatedShardId',
                 shards["limit"] OPERATOR(pg_catalog.->>) 'ShardId');
    END IF;
    RETURN pg_catalog.jsonb_build_object('StreamDescription', d);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb) IS
    'DescribeStream: a stream and its shards';

-- GetShardIterator: an iterator at a position of a shard.  AT_TIMESTAMP
-- (beyond AWS) is the first record created at or after "timestamp".
CREATE FUNCTION @extschema@.get_shard_iterator(stream_arn text, shard_id text, shard_iterator_type text,
                                               sequence_number text DEFAULT NULL,
                                               "timestamp" timestamptz DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
    h record;
    horizon numeric;
    seq numeric;
    kind text;
BEGIN
    ok := @extschema@._check_shard_id(shard_id, 'shardId');
    IF shard_iterator_type IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'shardIteratorType', 'Member must not be null');
    ELSIF shard_iterator_type NOT IN ('TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP') THEN
        ok := @extschema@._invalid_parameter(shard_iterator_type, 'shardIteratorType',
            'Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, LATEST, TRIM_HORIZON]');
    END IF;
    IF sequence_number IS NOT NULL THEN
        IF pg_catalog.length(sequence_number) < 21 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber', 'Member must have length greater than or equal to 21');
        ELSIF pg_catalog.length(sequence_number) > 40 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber', 'Member must have length less than or equal to 40');
        ELSIF sequence_number !~ '^[0-9]+$' THEN
            ok := @extschema@._raise('ValidationException',
                'Invalid SequenceNumber: ' OPERATOR(pg_catalog.||) sequence_number, 'A SequenceNumber is a string of 21 to 40 digits.');
        END IF;
    END IF;
    IF shard_iterator_type IN ('AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER') THEN
        IF sequence_number IS NULL THEN
            ok := @extschema@._raise('ValidationException',
                'Must provide a SequenceNumber for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
        END IF;
    ELSIF sequence_number IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            'Must not provide a SequenceNumber for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
    END IF;
    IF shard_iterator_type OPERATOR(pg_catalog.=) 'AT_TIMESTAMP' THEN
        IF "timestamp" IS NULL THEN
            ok := @extschema@._raise('ValidationException', 'Must provide a timestamp for ShardIteratorType AT_TIMESTAMP');
        END IF;
    ELSIF "timestamp" IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            'Must not provide a timestamp for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
    END IF;
    s := @extschema@._stream_for_read(stream_arn, 'GetShardIterator');
    SELECT * INTO h FROM @extschema@._log_shards(s.stream_id) x WHERE x.shard_id OPERATOR(pg_catalog.=) get_shard_iterator.shard_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Shard does not exist',
            pg_catalog.format('Stream %s has no shard %s.', s.stream_arn, shard_id));
    END IF;
    horizon := h.trim_horizon;
    CASE shard_iterator_type
    WHEN 'TRIM_HORIZON' THEN
        kind := 'TRIM';
    WHEN 'LATEST' THEN
        -- after the newest record, or (none) after everything trimmed
        seq := @extschema@._log_last_seq(h.shard_no);
        kind := 'AFTER';
        seq := GREATEST(seq, horizon OPERATOR(pg_catalog.-) 1, h.starting_sequence_number OPERATOR(pg_catalog.-) 1);
    WHEN 'AT_TIMESTAMP' THEN
        SELECT r.sequence_number::numeric INTO seq
          FROM @extschema@._log_records(h.shard_no, 'TRIM', NULL, NULL) r
         WHERE r.creation_time OPERATOR(pg_catalog.>=) "timestamp"
         ORDER BY r.sequence_number LIMIT 1;
        IF seq IS NOT NULL THEN
            kind := 'AT';
        ELSE
            seq := @extschema@._log_last_seq(h.shard_no);
            kind := 'AFTER';
            seq := GREATEST(seq, horizon OPERATOR(pg_catalog.-) 1, h.starting_sequence_number OPERATOR(pg_catalog.-) 1);
        END IF;
    ELSE
        seq := sequence_number::numeric;
        kind := CASE shard_iterator_type WHEN 'AT_SEQUENCE_NUMBER' THEN 'AT' ELSE 'AFTER' END;
        IF seq < h.starting_sequence_number
           OR seq > h.ending_sequence_number THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Invalid SequenceNumber %s for shard %s', sequence_number, shard_id),
                pg_catalog.format('The shard holds sequence numbers %s to %s.', h.starting_sequence_number,
                                  COALESCE(h.ending_sequence_number::text, 'now')));
        END IF;
        IF seq < horizon THEN
            ok := @extschema@._raise('TrimmedDataAccessException',
                pg_catalog.format('Attempted to access data that has been trimmed: sequence number %s of shard %s', sequence_number, shard_id),
                'Records older than the stream''s retention have been trimmed; start at TRIM_HORIZON.');
        END IF;
    END CASE;
    RETURN pg_catalog.jsonb_build_object('ShardIterator', @extschema@._iterator_encode(s.stream_id, shard_id, kind, seq));
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) IS
    'GetShardIterator: an iterator at a position of a shard';

-- GetRecords: the records at a shard iterator, at most "limit" and at most
-- 1 MB of them, as GetRecords's JSON text (json: the records are the
-- plugin's bytes, unchanged), and the iterator after them; no
-- NextShardIterator once a closed shard has been read to its end.
CREATE FUNCTION @extschema@.get_records(shard_iterator text, "limit" int DEFAULT 1000)
RETURNS json LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    it record;
    s @extschema@._streams;
    h record;
    horizon numeric;
    body text;
    n integer;
    last_seq numeric;
    stopped boolean;
    next_it text;
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 1000;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 1000 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 1000');
    END IF;
    it := @extschema@._iterator_decode(shard_iterator);
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) it.stream_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'Requested resource not found: Stream not found');
    END IF;
    ok := @extschema@._stream_require_read(s, 'GetRecords');
    -- botocore's model documents the message of ExpiredIteratorException
    IF pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) it.issued
       > COALESCE(pg_catalog.current_setting('dynamo_streams.iterator_ttl', true), '900')::interval THEN
        ok := @extschema@._raise('ExpiredIteratorException',
            'The provided iterator exceeds the maximum age allowed.',
            pg_catalog.format('The iterator was issued at %s; iterators expire after dynamo_streams.iterator_ttl (%s).',
                              it.issued, COALESCE(pg_catalog.current_setting('dynamo_streams.iterator_ttl', true), '900')),
            'Use the NextShardIterator of the previous get_records, or call get_shard_iterator again.');
    END IF;
    SELECT * INTO h FROM @extschema@._log_shards(s.stream_id) x WHERE x.shard_id OPERATOR(pg_catalog.=) it.shard_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'Requested resource not found: Shard does not exist');
    END IF;
    horizon := h.trim_horizon;
    IF it.kind IN ('AT', 'AFTER')
       AND (CASE WHEN it.kind OPERATOR(pg_catalog.=) 'AFTER' THEN it.seq OPERATOR(pg_catalog.+) 1 ELSE it.seq END) < horizon THEN
        ok := @extschema@._raise('TrimmedDataAccessException',
            'Attempted to access data that has been trimmed',
            pg_catalog.format('Records of shard %s before sequence number %s have been trimmed.', it.shard_id, horizon),
            'Records older than the stream''s retention have been trimmed; start at TRIM_HORIZON.');
    END IF;
    -- The page in one statement: records in order, at most "limit", and at
    -- most 1 MB of them (the first always goes); one row past the page
    -- tells whether the shard has more.
    SELECT pg_catalog.string_agg(p.rec, ',' ORDER BY p.k) FILTER (WHERE p.taken),
           pg_catalog.count(*) FILTER (WHERE p.taken),
           pg_catalog.max(p.seq COLLATE "C") FILTER (WHERE p.taken)::numeric,
           pg_catalog.bool_or(NOT p.taken)
      INTO body, n, last_seq, stopped
      FROM (SELECT q.k, q.seq, q.rec,
                   q.k OPERATOR(pg_catalog.<=) "limit"
                   AND (q.k OPERATOR(pg_catalog.=) 1
                        OR pg_catalog.sum(pg_catalog.octet_length(q.rec)) OVER (ORDER BY q.k)
                           OPERATOR(pg_catalog.<=) 1048576) AS taken
              FROM (SELECT x.k, x.sequence_number AS seq,
                           @extschema@.render_record('streams', s.stream_arn, s.stream_view_type, x.event_name,
                               x.sequence_number, x.creation_time, x.keys, x.new_image, x.old_image,
                               x.size_bytes, COALESCE(x.ttl, false), x.omitted) AS rec
                      FROM @extschema@._log_records(h.shard_no, it.kind, it.seq, "limit" OPERATOR(pg_catalog.+) 1)
                           WITH ORDINALITY AS x(sequence_number, event_name, creation_time, keys, new_image,
                                                old_image, size_bytes, ttl, omitted, k)) q) p;
    stopped := COALESCE(stopped, false);
    IF NOT stopped AND h.ending_sequence_number IS NOT NULL THEN
        next_it := NULL;               -- a closed shard, read to its end
    ELSIF last_seq IS NOT NULL THEN
        next_it := @extschema@._iterator_encode(s.stream_id, it.shard_id, 'AFTER', last_seq);
    ELSE
        next_it := @extschema@._iterator_encode(s.stream_id, it.shard_id, it.kind, it.seq);
    END IF;
    RETURN ('{"Records":[' OPERATOR(pg_catalog.||) COALESCE(body, '') OPERATOR(pg_catalog.||) ']'
            OPERATOR(pg_catalog.||) CASE WHEN next_it IS NULL THEN '' ELSE
                ',"NextShardIterator":' OPERATOR(pg_catalog.||) pg_catalog.to_json(next_it)::text END
            OPERATOR(pg_catalog.||) '}')::json;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_records(text, int) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_records(text, int) IS
    'GetRecords: the records at a shard iterator, as the plugin renders them';

-- roles given grant_access before the upgrade may read streams too
DO $$
DECLARE
    r regrole;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee::regrole
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@._tables'::pg_catalog.regclass
                AND a.privilege_type OPERATOR(pg_catalog.=) 'INSERT'
                AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
                AND a.grantee OPERATOR(pg_catalog.<>) 0 LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb), '
            '@extschema@.get_shard_iterator(text, text, text, text, timestamptz), '
            '@extschema@.get_records(text, int) TO %s', r);
    END LOOP;
END
$$;
