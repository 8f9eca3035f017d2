-- dynamo_streams install script, part 25: adopting kept item tables.
--
-- DROP EXTENSION dynamo_streams CASCADE drops the catalog and the
-- _item_guard triggers but keeps the item tables' relations, with their
-- items, in schema dynamo (they are not members of the extension).  Their
-- comments keep the key schema, creation time and TableId
-- (_item_table_comment).
-- adopt_table makes such a relation an item table again; CREATE
-- EXTENSION adopts every one it finds (at the end of this part).

-- The relation dynamo."<table_name>" if it has an item table's shape
-- (columns pk, optional sk, item jsonb; primary key (pk[, sk])) and no
-- catalog row; else NULL.
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

-- The key type (S, N, B) of a key column, or NULL.
CREATE FUNCTION @extschema@._key_column_key_type(rel pg_catalog.regclass, col text)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE a.atttypid WHEN 'pg_catalog.text'::pg_catalog.regtype THEN 'S'
                           WHEN 'pg_catalog.numeric'::pg_catalog.regtype THEN 'N'
                           WHEN 'pg_catalog.bytea'::pg_catalog.regtype THEN 'B' END
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col AND NOT a.attisdropped
$$;

-- SQL for the key value that attribute param of item i holds, typed as
-- its key column (NULL when the attribute is missing or of another type).
CREATE FUNCTION @extschema@._key_from_item(param text, type text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.format(CASE type
        WHEN 'S' THEN '(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''S'')'
        WHEN 'N' THEN '(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''N'')::pg_catalog.numeric'
        ELSE 'pg_catalog.decode(i.item OPERATOR(pg_catalog.->) %1$s OPERATOR(pg_catalog.->>) ''B'', ''base64'')' END, param)
$$;

-- Make the kept relation dynamo."<table_name>" an item table again: its
-- catalog row (no stream), _item_guard trigger and REPLICA IDENTITY FULL.
-- Key attribute names come from the arguments, else from the relation's
-- comment; key types from the column types.  Every stored item is checked
-- with the table's rules first (writes made while the table had no guard
-- may have broken them).  Returns {"TableDescription": ...}.
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

-- Adopt every kept item table whose comment holds its key schema; name the
-- others.  Called by CREATE EXTENSION (below).
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

SELECT @extschema@._adopt_kept_tables();
