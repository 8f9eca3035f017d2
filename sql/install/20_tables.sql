-- dynamo_streams install script, part 20: item tables.
--
-- create_table, update_table, describe_table, list_tables, delete_table.
-- Every function here runs with search_path = pg_catalog, pg_temp, so that
-- no operator, function or type a caller's search_path brings in can stand
-- in for the built-in ones (names of the extension's own objects are
-- qualified with @extschema@).
-- Each item table is the relation dynamo."<TableName>" (columns pk[, sk],
-- item; see docs/item-tables.md) plus its row in dynamo._tables.  The
-- _item_guard trigger (C, src/item_guard.c) keeps plain SQL writes valid.

CREATE FUNCTION @extschema@._item_guard() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_item_guard';

-- Every item function reads the catalog with the caller's privileges, so
-- any role allowed to use an item table must be able to read it.  Its rows
-- hold nothing that pg_class and pg_trigger do not already show to every
-- role; writing it stays with the extension's owner (and whoever the owner
-- grants it to).
REVOKE ALL ON @extschema@._tables FROM PUBLIC;
GRANT SELECT ON @extschema@._tables TO PUBLIC;

-- Raise AWS exception exception (a name of docs/errors.md) with DynamoDB's
-- message word for word; detail, if given, follows the exception name in
-- DETAIL.  The table of names and SQLSTATEs is src/errors.c, shared with C;
-- sqlstate picks one of an exception's SQLSTATEs other than its first
-- (ResourceInUseException: 42P07 exists, 55006 being updated).
CREATE FUNCTION @extschema@._raise(exception text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL,
                                   sqlstate text DEFAULT NULL)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_raise';

-- The checks below are C (src/table_checks.c), and the table functions call
-- them and _raise as assignments (ok := ...), not with PERFORM: PL/pgSQL
-- evaluates such a simple expression without an SQL statement of its own,
-- so an error's CONTEXT names only the public function, never a helper.
-- They return true or raise.

-- Raise a ValidationException with AWS's "1 validation error" wording.
CREATE FUNCTION @extschema@._invalid_parameter(value text, what text, rule text)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_invalid_parameter';

-- Check a TableName: DynamoDB's rules, plus PostgreSQL's 63-byte limit.
CREATE FUNCTION @extschema@._check_table_name(table_name text, creating boolean)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_table_name';

-- The catalog row of item table table_name, or ResourceNotFoundException.
CREATE FUNCTION @extschema@._item_table(table_name text, lock boolean DEFAULT false)
RETURNS @extschema@._tables LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_item_table';

-- Raise AccessDeniedException (SQLSTATE 42501) unless the caller has every
-- one of needs on t: 'OWNER' (own its relation, or be a member of the
-- owner), a privilege on its relation ('SELECT', ...), or a privilege on
-- the catalog ('catalog UPDATE', ...).  Returns t.  action is the DynamoDB
-- action, as in AWS's message.  See docs/security.md.
CREATE FUNCTION @extschema@._require_access(t @extschema@._tables, action text, needs text[])
RETURNS @extschema@._tables LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_sql_require_access';

-- The comment of an item table's relation: its key schema, creation
-- time and TableId as JSON, so that the table can be adopted again after DROP
-- EXTENSION ... CASCADE dropped the catalog (adopt_table, 25_adopt.sql).
CREATE FUNCTION @extschema@._item_table_comment(t @extschema@._tables)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_streams item table ' OPERATOR(pg_catalog.||) pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'TableName', t.table_name,
        'HashKey', t.hash_key, 'HashKeyType', t.hash_key_type::text,
        'RangeKey', t.range_key, 'RangeKeyType', t.range_key_type::text,
        'CreatedAt', t.created_at, 'TableId', t.table_id))::text
$$;

-- A stream label for a new stream of t: its creation time, made strictly
-- later than the table's previous label so that every stream ARN is new.
CREATE FUNCTION @extschema@._new_stream_label(previous text)
RETURNS text LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_char(GREATEST(
               pg_catalog.clock_timestamp() AT TIME ZONE 'UTC',
               previous::timestamp + interval '1 millisecond'),
           'YYYY-MM-DD"T"HH24:MI:SS.MS')
$$;

-- TableArn of a table.
CREATE FUNCTION @extschema@._table_arn(table_name text)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'arn:aws:dynamodb:' OPERATOR(pg_catalog.||) pg_catalog.current_setting('dynamo_streams.region')
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) pg_catalog.current_setting('dynamo_streams.account_id')
        OPERATOR(pg_catalog.||) ':table/' OPERATOR(pg_catalog.||) table_name
$$;

-- The TableId: the random (version 4) UUID stored at creation.
CREATE FUNCTION @extschema@._table_id(t @extschema@._tables)
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

-- The TableDescription object of DescribeTable/CreateTable/DeleteTable.
CREATE FUNCTION @extschema@._table_description(t @extschema@._tables, status text DEFAULT 'ACTIVE')
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

-- Check a key attribute name and type of create_table.
CREATE FUNCTION @extschema@._check_key(name text, type text, n int)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_key';

-- Check a StreamViewType.
CREATE FUNCTION @extschema@._check_stream_view_type(stream_view_type text)
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_check_stream_view_type';

-- Streams are decoded from the WAL: refuse to enable one without
-- wal_level = logical (item tables themselves work at any level).
CREATE FUNCTION @extschema@._require_logical_wal()
RETURNS boolean LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_require_logical_wal';

-- SQL column type of a key type.
CREATE FUNCTION @extschema@._key_column_type(type text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE type WHEN 'S' THEN 'text COLLATE "C"' WHEN 'N' THEN 'numeric' ELSE 'bytea' END
$$;

-- Serialise the catalog changes of one TableName (create_table,
-- update_table, enable_stream, disable_stream): wait for the transaction-level
-- advisory lock (class hashtext('dynamo_streams.table_name'), key hashtext of
-- the name), held until commit or rollback.  Returns true when another
-- transaction held it, i.e. a change of that name was in progress when this
-- call arrived; a request that then conflicts with that change gets AWS's
-- ResourceInUseException, as a request to a table that is CREATING or
-- UPDATING does.
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

CREATE FUNCTION @extschema@.create_table(
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

CREATE FUNCTION @extschema@.update_table(
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

CREATE FUNCTION @extschema@.describe_table(table_name text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('Table', @extschema@._table_description(
        @extschema@._require_access(@extschema@._item_table(table_name), 'DescribeTable', '{SELECT}')))
$$;

CREATE FUNCTION @extschema@.list_tables(exclusive_start_table_name text DEFAULT NULL, "limit" int DEFAULT 100)
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

CREATE FUNCTION @extschema@.delete_table(table_name text)
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

-- An item table or stream-enabled relation dropped with plain DDL (DROP
-- TABLE, DROP SCHEMA ... CASCADE) loses its catalog row too, so no dangling
-- entry is left behind (and a later table that reuses the OID does not
-- inherit a stream).  Decoding of WAL from before the drop still sees the
-- row through its historic snapshot.  SECURITY
-- DEFINER: the trigger fires for every DROP in the database, also for roles
-- that may not write dynamo._tables.
CREATE FUNCTION @extschema@._item_table_dropped() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM @extschema@._tables t
     USING pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid OPERATOR(pg_catalog.=) 0
       AND t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._item_table_dropped() FROM PUBLIC;

CREATE EVENT TRIGGER dynamo_streams_item_table_dropped ON sql_drop
    EXECUTE FUNCTION @extschema@._item_table_dropped();

-- Item tables, and ordinary tables while their stream is enabled, must keep
-- REPLICA IDENTITY FULL: REMOVE records, old images and no-op detection
-- come from the full old row in the WAL.  ALTER TABLE ... REPLICA IDENTITY
-- DEFAULT | USING INDEX | NOTHING on them is refused.  (The output plugin
-- still builds the Keys of a REMOVE from the key columns when the full row
-- is missing, for changes made with this trigger bypassed.)  SECURITY
-- DEFINER, as _item_table_dropped: it fires for every ALTER TABLE in the
-- database, and must not fail the DDL of a role that may not read the
-- catalog (schema dynamo or dynamo._tables locked down by an admin).
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
