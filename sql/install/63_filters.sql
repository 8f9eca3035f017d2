-- dynamo_streams install script, part 63: Lambda event filtering and refire.
--
-- Filter criteria (docs/filters.md): the pattern language of Lambda event
-- filtering, compiled and matched in C (src/filter_*.c).  The mapping
-- functions check FilterCriteria with _filter_criteria_check and delivery
-- matches each record with _filter_criteria_match; test_filter_criteria
-- and test_event_pattern let users try patterns on records.

CREATE FUNCTION @extschema@._filter_criteria_check(filter_criteria jsonb) RETURNS void
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_filter_criteria_check';
COMMENT ON FUNCTION @extschema@._filter_criteria_check(jsonb) IS
    'raise InvalidParameterValueException unless filter_criteria is valid Lambda FilterCriteria';

CREATE FUNCTION @extschema@._filter_criteria_match(filter_criteria jsonb, record jsonb) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_filter_criteria_match';
COMMENT ON FUNCTION @extschema@._filter_criteria_match(jsonb, jsonb) IS
    'does the Lambda event record pass the FilterCriteria (NULL criteria: every record does)';

CREATE FUNCTION @extschema@.test_filter_criteria(filter_criteria jsonb, record jsonb) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_filter_criteria_match';
COMMENT ON FUNCTION @extschema@.test_filter_criteria(jsonb, jsonb) IS
    'try Lambda FilterCriteria on an event record: true when the record would be delivered';

CREATE FUNCTION @extschema@.test_event_pattern(pattern text, record jsonb) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_test_event_pattern';
COMMENT ON FUNCTION @extschema@.test_event_pattern(text, jsonb) IS
    'try one Lambda filter pattern on an event record: true when it matches';

-- Refire (docs/functions/refire.md): MODIFY records for existing items
-- without changing them, through the WAL.  _refire_row (src/refire.c)
-- writes one transactional logical message per row, carrying the row; the
-- output plugin turns it into a MODIFY record with OldImage = NewImage =
-- the item, marked userIdentity {"type":"Service","principalId":
-- "dynamo_streams.refire"}.  It checks the caller's privileges itself.
CREATE FUNCTION @extschema@._refire_row(relation pg_catalog.regclass, row_ctid pg_catalog.tid) RETURNS boolean
    LANGUAGE c STRICT VOLATILE AS 'MODULE_PATHNAME', 'dynamo_sql_refire_row';
COMMENT ON FUNCTION @extschema@._refire_row(pg_catalog.regclass, pg_catalog.tid) IS
    'emit the refire message of one row (as the latest snapshot sees it)';

-- The AttributeValue type of a key column ('S', 'N', 'B' or 'BOOL'), as
-- the output plugin maps columns (docs/output-plugin.md).
CREATE FUNCTION @extschema@._refire_key_type(typ pg_catalog.regtype) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN typ OPERATOR(pg_catalog.=) 'bytea'::pg_catalog.regtype THEN 'B'
                WHEN typ OPERATOR(pg_catalog.=) 'boolean'::pg_catalog.regtype THEN 'BOOL'
                WHEN typ OPERATOR(pg_catalog.=) ANY (ARRAY['smallint', 'integer', 'bigint', 'numeric',
                                                          'real', 'double precision']::pg_catalog.regtype[]) THEN 'N'
                ELSE 'S' END
$$;

-- The SQL expression of a key attribute's value as its column's type, from
-- the key object k.key (refire's queries).
CREATE FUNCTION @extschema@._refire_key_value(attr text, typ pg_catalog.regtype, avtype text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE avtype
           WHEN 'B' THEN pg_catalog.format('pg_catalog.decode(k.key OPERATOR(pg_catalog.->) %L OPERATOR(pg_catalog.->>) ''B'', ''base64'')', attr)
           ELSE pg_catalog.format('(k.key OPERATOR(pg_catalog.->) %L OPERATOR(pg_catalog.->>) %L)::%s', attr, avtype, typ) END
$$;

CREATE FUNCTION @extschema@.refire(table_name text, keys jsonb DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    t @extschema@._tables;
    attrs text[];               -- key attribute names
    cols text[];                -- their columns
    types pg_catalog.regtype[];
    avtypes text[];
    pred text := '';
    key jsonb;
    i integer;
    n bigint;
BEGIN
    IF table_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    SELECT * INTO t FROM @extschema@._tables c WHERE c.table_name OPERATOR(pg_catalog.=) refire.table_name;
    IF NOT FOUND OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) t.relid) THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            pg_catalog.format('Requested resource not found: Table: %s not found', table_name));
    END IF;
    t := @extschema@._require_access(t, 'Refire', '{SELECT,UPDATE}');
    ok := @extschema@._require_logical_wal();
    IF NOT t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('Table has no enabled stream: TableName: %s', table_name), NULL,
            'Refire emits stream records: enable the table''s stream first (update_table or enable_stream).');
    END IF;
    -- the key: attribute names, columns and their types, in key order
    SELECT pg_catalog.array_agg(CASE WHEN t.kind OPERATOR(pg_catalog.=) 'item'
                                     THEN CASE a.attname WHEN 'pk' THEN t.hash_key ELSE t.range_key END
                                     ELSE a.attname::text END ORDER BY k.ord),
           pg_catalog.array_agg(a.attname::text ORDER BY k.ord),
           pg_catalog.array_agg(a.atttypid::pg_catalog.regtype ORDER BY k.ord)
      INTO attrs, cols, types
      FROM pg_catalog.pg_index x,
           LATERAL pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY k(attnum, ord),
           pg_catalog.pg_attribute a
     WHERE x.indrelid OPERATOR(pg_catalog.=) t.relid AND x.indisprimary
       AND a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.=) k.attnum;
    IF attrs IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('relation "%s" has no primary key', t.relid::pg_catalog.regclass));
    END IF;
    SELECT pg_catalog.array_agg(@extschema@._refire_key_type(ty) ORDER BY o) INTO avtypes
      FROM pg_catalog.unnest(types) WITH ORDINALITY u(ty, o);
    IF keys IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(keys) OPERATOR(pg_catalog.=) 'object' THEN
            keys := pg_catalog.jsonb_build_array(keys);
        ELSIF pg_catalog.jsonb_typeof(keys) OPERATOR(pg_catalog.<>) 'array' THEN
            ok := @extschema@._invalid_parameter(keys::text, 'keys', 'Member must be a key or a list of keys');
        END IF;
        -- every key names exactly the key attributes, each with its type
        FOR key IN SELECT e FROM pg_catalog.jsonb_array_elements(keys) e LOOP
            IF pg_catalog.jsonb_typeof(key) OPERATOR(pg_catalog.<>) 'object'
               OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(key) k)
                  IS DISTINCT FROM (SELECT pg_catalog.array_agg(a ORDER BY a) FROM pg_catalog.unnest(attrs) a) THEN
                ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                    pg_catalog.format('Key %s; the key attributes are %s.', key, pg_catalog.array_to_string(attrs, ', ')));
            END IF;
            FOR i IN 1 .. pg_catalog.array_length(attrs, 1) LOOP
                IF pg_catalog.jsonb_typeof(key OPERATOR(pg_catalog.->) attrs[i]) OPERATOR(pg_catalog.<>) 'object'
                   OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key OPERATOR(pg_catalog.->) attrs[i])) OPERATOR(pg_catalog.<>) 1
                   OR pg_catalog.jsonb_typeof(key OPERATOR(pg_catalog.->) attrs[i] OPERATOR(pg_catalog.->) avtypes[i])
                      IS DISTINCT FROM (CASE avtypes[i] WHEN 'BOOL' THEN 'boolean' ELSE 'string' END) THEN
                    ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                        pg_catalog.format('Key attribute %s must be of type %s.', attrs[i], avtypes[i]));
                END IF;
                BEGIN
                    EXECUTE pg_catalog.format('SELECT %s FROM (SELECT $1 AS key) k',
                        @extschema@._refire_key_value(attrs[i], types[i], avtypes[i])) USING key;
                EXCEPTION WHEN data_exception THEN
                    ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                        pg_catalog.format('Key attribute %s: %s is not a value of column type %s.', attrs[i],
                                          key OPERATOR(pg_catalog.->) attrs[i], types[i]));
                END;
            END LOOP;
        END LOOP;
        FOR i IN 1 .. pg_catalog.array_length(attrs, 1) LOOP
            pred := pred OPERATOR(pg_catalog.||) CASE WHEN i OPERATOR(pg_catalog.>) 1 THEN ' AND ' ELSE '' END
                OPERATOR(pg_catalog.||) pg_catalog.format('r.%I OPERATOR(pg_catalog.=) %s', cols[i],
                    @extschema@._refire_key_value(attrs[i], types[i], avtypes[i]));
        END LOOP;
        pred := 'EXISTS (SELECT FROM pg_catalog.jsonb_array_elements($1) k(key) WHERE '
                OPERATOR(pg_catalog.||) pred OPERATOR(pg_catalog.||) ')';
    ELSE
        pred := 'true';
    END IF;
    -- lock the rows (a concurrent write waits, or is waited for), in key
    -- order, and emit each as the latest snapshot sees it
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.count(*) FILTER (WHERE @extschema@._refire_row(%s::pg_catalog.oid::pg_catalog.regclass, x.ctid))
           FROM (SELECT r.ctid FROM %s r WHERE %s ORDER BY %s FOR SHARE OF r) x',
        t.relid::pg_catalog.oid, t.relid::pg_catalog.regclass, pred,
        (SELECT pg_catalog.string_agg(pg_catalog.format('r.%I', c), ', ' ORDER BY o)
           FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)))
      INTO n USING keys;
    RETURN n;
END $$;
COMMENT ON FUNCTION @extschema@.refire(text, jsonb) IS
    'emit MODIFY stream records (OldImage = NewImage) for existing items without changing them';
