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

-- The TableDescription object of DescribeTable/CreateTable/DeleteTable.
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
            'LatestStreamArn', @extschema@._table_arn(t.table_name) OPERATOR(pg_catalog.||) '/stream/'
                OPERATOR(pg_catalog.||) t.stream_label);
    END IF;
    RETURN d;
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

CREATE OR REPLACE FUNCTION @extschema@.create_table(
    table_name text, hash_key text, hash_key_type text DEFAULT 'S',
    range_key text DEFAULT NULL, range_key_type text DEFAULT 'S',
    stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel text;
    existing pg_catalog.regclass;
    t @extschema@._tables;
BEGIN
    PERFORM @extschema@._check_table_name(table_name, true);
    PERFORM @extschema@._check_key(hash_key, hash_key_type, 1);
    IF range_key IS NOT NULL THEN
        PERFORM @extschema@._check_key(range_key, range_key_type, 2);
        IF range_key OPERATOR(pg_catalog.=) hash_key THEN
            RAISE EXCEPTION 'ValidationException: Both the Hash Key and the Range Key element in the KeySchema have the same name'
                USING ERRCODE = '22023';
        END IF;
    END IF;
    PERFORM @extschema@._check_stream_view_type(stream_view_type);
    IF stream_view_type IS NOT NULL THEN
        PERFORM @extschema@._require_logical_wal();
    END IF;
    -- Serialise changes of one name, so that the loser of a race gets
    -- ResourceInUseException rather than a duplicate-key error of pg_class.
    PERFORM @extschema@._lock_table_name(table_name);
    existing := pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.'
                                       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(table_name));
    -- Under REPEATABLE READ or SERIALIZABLE a table committed after this
    -- transaction's snapshot is invisible to the snapshot, but the catalog
    -- lookup above sees its relation.
    IF EXISTS (SELECT FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) create_table.table_name)
       OR (existing IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                                                 WHERE c.oid OPERATOR(pg_catalog.=) existing::pg_catalog.oid)) THEN
        RAISE EXCEPTION 'ResourceInUseException: Table already exists: %', table_name USING ERRCODE = '42P07';
    END IF;
    IF existing IS NOT NULL THEN
        RAISE EXCEPTION 'ResourceInUseException: Table name % is taken by another relation in schema @extschema@', table_name
            USING ERRCODE = '42P07',
            HINT = 'Names of dynamo_streams'' own objects start with "_"; choose another table name.';
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
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', rel,
        'dynamo_streams item table ' OPERATOR(pg_catalog.||) table_name);

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
        RAISE EXCEPTION 'ResourceInUseException: Table already exists: %', table_name USING ERRCODE = '42P07';
    END;
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.update_table(
    table_name text, stream_enabled boolean, stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    waited boolean := @extschema@._lock_table_name(table_name);
    t @extschema@._tables := @extschema@._item_table(table_name, true);
BEGIN
    PERFORM @extschema@._check_stream_view_type(stream_view_type);
    IF stream_enabled IS NULL THEN
        RAISE EXCEPTION 'ValidationException: At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required'
            USING ERRCODE = '22023';
    ELSIF stream_enabled AND stream_view_type IS NULL THEN
        RAISE EXCEPTION 'ValidationException: One or more parameter values were invalid: Enabled stream must specify a StreamViewType'
            USING ERRCODE = '22023';
    ELSIF NOT stream_enabled AND stream_view_type IS NOT NULL THEN
        RAISE EXCEPTION 'ValidationException: One or more parameter values were invalid: Disabled stream must not specify a StreamViewType'
            USING ERRCODE = '22023';
    ELSIF waited AND stream_enabled OPERATOR(pg_catalog.=) t.stream_enabled THEN
        -- a concurrent change made the same switch first
        RAISE EXCEPTION 'ResourceInUseException: Attempt to change a resource which is still in use: Table is being updated: %', table_name
            USING ERRCODE = '55006';
    ELSIF stream_enabled AND t.stream_enabled THEN
        RAISE EXCEPTION 'ValidationException: Table already has an enabled stream: TableName: %', table_name
            USING ERRCODE = '22023';
    ELSIF NOT stream_enabled AND NOT t.stream_enabled THEN
        RAISE EXCEPTION 'ValidationException: Table does not have an enabled stream: TableName: %', table_name
            USING ERRCODE = '22023';
    END IF;

    IF stream_enabled THEN
        PERFORM @extschema@._require_logical_wal();
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

CREATE OR REPLACE FUNCTION @extschema@.enable_stream(relation regclass, stream_view_type text)
    RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@._tables;
    name text;
    waited boolean;
    violated text;
BEGIN
    PERFORM @extschema@._require_logical_wal();
    IF relation IS NULL THEN
        RAISE EXCEPTION 'ValidationException: relation must not be null' USING ERRCODE = '22023';
    END IF;
    PERFORM @extschema@._check_stream_view_type(stream_view_type);
    IF stream_view_type IS NULL THEN
        RAISE EXCEPTION 'ValidationException: One or more parameter values were invalid: Enabled stream must specify a StreamViewType'
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
    IF r.kind = 'item' THEN
        EXECUTE 'SELECT @extschema@.update_table($1, true, $2)' USING r.table_name, stream_view_type;
        SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
        RETURN @extschema@._stream_description(r);
    END IF;
    name := @extschema@._check_stream_relation(relation);
    -- Serialise with every other change of the name (see _lock_table_name),
    -- then read the row again: a concurrent enable may have made it.
    waited := @extschema@._lock_table_name(name);
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
    IF r.stream_enabled AND waited THEN
        RAISE EXCEPTION 'ResourceInUseException: Attempt to change a resource which is still in use: Table is being updated: %', r.table_name
            USING ERRCODE = '55006';
    ELSIF r.stream_enabled THEN
        RAISE EXCEPTION 'ValidationException: Table already has an enabled stream: TableName: %', r.table_name
            USING ERRCODE = '22023';
    END IF;
    -- the row of a dropped table that had a stream no longer holds its name
    DELETE FROM @extschema@._tables t
     WHERE t.kind = 'relation' AND t.table_name = name AND t.relid <> relation
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = t.relid);
    IF EXISTS (SELECT FROM @extschema@._tables t
                WHERE t.table_name = name AND t.relid <> relation) THEN
        RAISE EXCEPTION 'ResourceInUseException: Table already exists: %', name
            USING ERRCODE = '42P07',
                  HINT = 'Another item table or stream-enabled relation has that name.';
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
            RAISE EXCEPTION 'ResourceInUseException: Attempt to change a resource which is still in use: Table is being updated: %', name
                USING ERRCODE = '55006';
        END IF;
        RAISE EXCEPTION 'ResourceInUseException: Table already exists: %', name
            USING ERRCODE = '42P07',
                  HINT = 'Another item table or stream-enabled relation has that name.';
    END;
    RETURN @extschema@._stream_description(r);
END $$;

CREATE OR REPLACE FUNCTION @extschema@.disable_stream(relation regclass)
    RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@._tables;
    waited boolean;
BEGIN
    PERFORM @extschema@._require_logical_wal();
    IF relation IS NULL THEN
        RAISE EXCEPTION 'ValidationException: relation must not be null' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
    IF r.kind = 'item' THEN
        EXECUTE 'SELECT @extschema@.update_table($1, false, NULL)' USING r.table_name;
        SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
        RETURN @extschema@._stream_description(r);
    END IF;
    -- Serialise with every other change of the name (see _lock_table_name).
    waited := @extschema@._lock_table_name(
        coalesce(r.table_name, (SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.oid = relation)));
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
    IF r.relid IS NOT NULL AND NOT r.stream_enabled AND waited THEN
        RAISE EXCEPTION 'ResourceInUseException: Attempt to change a resource which is still in use: Table is being updated: %', r.table_name
            USING ERRCODE = '55006';
    ELSIF r.relid IS NULL OR NOT r.stream_enabled THEN
        RAISE EXCEPTION 'ValidationException: Table does not have an enabled stream: TableName: %',
                        coalesce(r.table_name, (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = relation))
            USING ERRCODE = '22023';
    END IF;
    UPDATE @extschema@._tables t SET stream_enabled = false
     WHERE t.relid = relation
    RETURNING * INTO r;
    RETURN @extschema@._stream_description(r);
END $$;

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
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', rel,
        'dynamo_streams item table ' OPERATOR(pg_catalog.||) table_name);

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
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.update_table(
    table_name text, stream_enabled boolean, stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    waited boolean := @extschema@._lock_table_name(table_name);
    t @extschema@._tables := @extschema@._item_table(table_name, true);
BEGIN
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

CREATE OR REPLACE FUNCTION @extschema@.enable_stream(relation text, stream_view_type text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.enable_stream(@extschema@._stream_relation(relation), stream_view_type)
$$;

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

CREATE OR REPLACE FUNCTION @extschema@.disable_stream(relation text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.disable_stream(@extschema@._stream_relation(relation))
$$;

COMMENT ON FUNCTION @extschema@.enable_stream(text, text) IS
    'enable_stream for a relation named by a string';

COMMENT ON FUNCTION @extschema@.disable_stream(text) IS
    'disable_stream for a relation named by a string';
