-- dynamo_streams upgrade 0.1.0 -> 0.2.0.
--
-- Every change to installed objects between the releases, in the order
-- the install script (sql/install/) makes them.  test/t/003_upgrade.pl
-- checks that an upgraded database has exactly the objects of a fresh
-- 0.2.0 install and keeps its items, catalog rows and streams.

\echo Use "ALTER EXTENSION dynamo_streams UPDATE TO '0.2.0'" to load this file. \quit

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

CREATE OR REPLACE FUNCTION @extschema@._raise(exception text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
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
    -- Serialise creations of one name, so that the loser of a race gets
    -- ResourceInUseException rather than a duplicate-key error of pg_class.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dynamo_streams.create_table'),
                                             pg_catalog.hashtext(table_name));
    IF EXISTS (SELECT FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) create_table.table_name) THEN
        ok := @extschema@._raise('ResourceInUseException', 'Table already exists: ' OPERATOR(pg_catalog.||) table_name);
    END IF;
    IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.'
                              OPERATOR(pg_catalog.||) pg_catalog.quote_ident(table_name)) IS NOT NULL THEN
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

    INSERT INTO @extschema@._tables (table_name, relid, kind, hash_key, hash_key_type,
                                     range_key, range_key_type, stream_enabled,
                                     stream_view_type, stream_label)
    VALUES (table_name, rel::pg_catalog.regclass, 'item', hash_key, hash_key_type,
            range_key, CASE WHEN range_key IS NOT NULL THEN range_key_type END,
            stream_view_type IS NOT NULL, stream_view_type,
            CASE WHEN stream_view_type IS NOT NULL THEN @extschema@._new_stream_label(NULL) END)
    RETURNING * INTO t;
    RETURN pg_catalog.jsonb_build_object('TableDescription', @extschema@._table_description(t));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.update_table(
    table_name text, stream_enabled boolean, stream_view_type text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
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
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
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
    IF r.stream_enabled THEN
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
    name text;
BEGIN
    ok := @extschema@._require_logical_wal();
    IF relation IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation FOR UPDATE;
    IF r.kind = 'item' THEN
        EXECUTE 'SELECT @extschema@.update_table($1, false, NULL)' USING r.table_name;
        SELECT * INTO r FROM @extschema@._tables t WHERE t.relid = relation;
        RETURN @extschema@._stream_description(r);
    END IF;
    IF r.relid IS NULL OR NOT r.stream_enabled THEN
        name := coalesce(r.table_name, (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = relation));
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
