-- dynamo_streams install script, part 40: streams on ordinary tables.
--
-- enable_stream / disable_stream make an ordinary table with a primary key
-- produce stream records through the dynamo_streams output plugin (see
-- docs/output-plugin.md), by keeping a kind = 'relation' row in
-- dynamo._tables.  The plugin reads that row with the historic snapshot of
-- each change, so the switch takes effect exactly at the commit that made
-- it.  Given an item table, both behave like update_table.

-- _require_logical_wal() (wal_level check) comes from 20_tables.sql.

-- The stream description both functions return.
CREATE FUNCTION @extschema@._stream_description(r @extschema@._tables) RETURNS jsonb
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

-- The relation a string names, resolved with the caller's search_path as a
-- regclass argument would be; an item table's name gets a hint on how to
-- name it (C, src/table_checks.c).
CREATE FUNCTION @extschema@._stream_relation(relation text) RETURNS regclass
    LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_sql_stream_relation';

-- A catalog row naming an ordinary table, for _require_access.
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

CREATE FUNCTION @extschema@.enable_stream(relation regclass, stream_view_type text)
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

-- enable_stream('orders', ...) with a string literal: resolved like a
-- regclass, with a hint when the string is an item table's name.
CREATE FUNCTION @extschema@.enable_stream(relation text, stream_view_type text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.enable_stream(@extschema@._stream_relation(relation), stream_view_type)
$$;

COMMENT ON FUNCTION @extschema@.enable_stream(text, text) IS
    'enable_stream for a relation named by a string';

COMMENT ON FUNCTION @extschema@.enable_stream(regclass, text) IS
    'start a new DynamoDB stream on an ordinary table with a primary key (or an item table)';

CREATE FUNCTION @extschema@.disable_stream(relation regclass)
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

CREATE FUNCTION @extschema@.disable_stream(relation text)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT @extschema@.disable_stream(@extschema@._stream_relation(relation))
$$;

COMMENT ON FUNCTION @extschema@.disable_stream(text) IS
    'disable_stream for a relation named by a string';

COMMENT ON FUNCTION @extschema@.disable_stream(regclass) IS
    'stop the DynamoDB stream of an ordinary table (or an item table)';
