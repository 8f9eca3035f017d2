-- dynamo_streams install script, part 72: time travel, replay and import
-- over the stream log (docs/guides/replay-and-analytics.md).
--
--   item_history(table_name, key)      every change of one item, in order
--   item_as_of(table_name, key, at)    the item as it was at a time
--   table_as_of(table_name, at)        every item as it was at a time
--   replay_into(stream_arn, target_table, ...)  apply a range of records
--   import_records(table_or_stream, records)    load captured records
--
-- An item's records are found through the key hash the plugin stores with
-- every record (a hash of the Keys text, docs/output-plugin.md "Key hash"):
-- _history_keys writes a key given in SQL as the plugin writes Keys, and
-- the index on (key_hash, stream_id) of every day partition of the log
-- (_records_partition, part 06) finds its records in every stream of the table.
-- All of these read dynamo._records: like the view stream_records, they are
-- for superusers and roles granted SELECT on the log.


-- A normalised item or Keys map as the plugin writes it (compact JSON).
CREATE FUNCTION @extschema@._item_text(item jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_item_text';

-- The key hash of a Keys text, as _records.key_hash holds it.
CREATE FUNCTION @extschema@._keys_text_hash(keys text) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_keys_text_hash';

-- The key attributes of a Keys map as sorted 'name:type' text, to compare
-- key schemas ('' for anything that is not an object).
CREATE FUNCTION @extschema@._key_shape(keys jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE(pg_catalog.string_agg(k.key OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)
                        COALESCE((SELECT pg_catalog.min(t) FROM pg_catalog.jsonb_object_keys(
                                      CASE WHEN pg_catalog.jsonb_typeof(k.value) OPERATOR(pg_catalog.=) 'object'
                                           THEN k.value END) t), '?'),
                        ',' ORDER BY k.key), '')
      FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(keys) OPERATOR(pg_catalog.=) 'object'
                                      THEN keys END) k
$$;

-- The key schema of a table as _key_shape writes it: an item table's hash
-- and range key; a relation's primary key columns (text types S, numbers
-- N, bytea B, as the plugin maps them; other types S).  NULL when the
-- table is unknown.
CREATE FUNCTION @extschema@._table_key_shape(t @extschema@._tables) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN t.kind OPERATOR(pg_catalog.=) 'item' THEN
               (SELECT pg_catalog.string_agg(n OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) ty, ',' ORDER BY n)
                  FROM (VALUES (t.hash_key, t.hash_key_type::text), (t.range_key, t.range_key_type::text)) v(n, ty)
                 WHERE n IS NOT NULL)
           ELSE
               (SELECT pg_catalog.string_agg(a.attname::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)
                           CASE WHEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                                    'numeric'::regtype, 'float4'::regtype, 'float8'::regtype,
                                                    'oid'::regtype, 'money'::regtype) THEN 'N'
                                WHEN a.atttypid OPERATOR(pg_catalog.=) 'bytea'::regtype THEN 'B'
                                ELSE 'S' END, ',' ORDER BY a.attname::text)
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                   AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::int2[])
                 WHERE i.indrelid OPERATOR(pg_catalog.=) t.relid AND i.indisprimary)
           END
$$;

-- The Keys text of key for table table_name, exactly as the plugin writes
-- the Keys of that item's records: an item table's key attributes in jsonb
-- order; a relation's primary key columns in column order.  Raises
-- ResourceNotFoundException for a table that has no catalog row and no
-- stream, ValidationException for a key that is not valid AttributeValue
-- JSON or does not match the key schema.
CREATE FUNCTION @extschema@._history_keys(table_name text, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables;
    ok boolean;
    norm jsonb;
    shape text;
    result text;
BEGIN
    IF table_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    IF key IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'key', 'Member must not be null');
    END IF;
    SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) _history_keys.table_name;
    IF NOT FOUND AND NOT EXISTS (SELECT FROM @extschema@._streams s
                                  WHERE s.table_name OPERATOR(pg_catalog.=) _history_keys.table_name) THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' not found',
            'No table and no stream of that name.');
    END IF;
    IF pg_catalog.jsonb_typeof(key) OPERATOR(pg_catalog.<>) 'object' THEN
        ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
            'The key must be a map of attribute names to AttributeValues.');
    END IF;
    norm := @extschema@.validate_item(key);
    shape := @extschema@._table_key_shape(t);
    IF shape IS NOT NULL AND shape OPERATOR(pg_catalog.<>) @extschema@._key_shape(norm) THEN
        ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
            'The table''s key attributes are ' OPERATOR(pg_catalog.||) shape OPERATOR(pg_catalog.||) '.');
    END IF;
    IF t.kind OPERATOR(pg_catalog.=) 'relation' THEN
        SELECT '{' OPERATOR(pg_catalog.||) pg_catalog.string_agg(
                   pg_catalog.substr(m, 2, pg_catalog.length(m) OPERATOR(pg_catalog.-) 2), ',' ORDER BY a.attnum)
                   OPERATOR(pg_catalog.||) '}'
          INTO result
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
           AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::int2[]),
               LATERAL (SELECT @extschema@._item_text(pg_catalog.jsonb_build_object(a.attname::text,
                                   norm OPERATOR(pg_catalog.->) a.attname::text)) m) x
         WHERE i.indrelid OPERATOR(pg_catalog.=) t.relid AND i.indisprimary;
        RETURN result;
    END IF;
    RETURN @extschema@._item_text(norm);
END
$$;

-- Every change of one item, oldest first, across every stream the table
-- has had (records not yet trimmed).  docs/functions/item_history.md
CREATE FUNCTION @extschema@.item_history(table_name text, key jsonb)
RETURNS TABLE (event_name text, sequence_number text, created_at timestamptz,
               old_image jsonb, new_image jsonb, keys jsonb, stream_arn text,
               stream_view_type text, shard_id text, ttl boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text := @extschema@._history_keys(table_name, key);
BEGIN
    RETURN QUERY
    SELECT r.event_name, r.sequence_number::text, r.created_at, r.old_image::jsonb, r.new_image::jsonb,
           r.keys::jsonb, s.stream_arn, s.stream_view_type, sh.shard_id, r.ttl
      FROM @extschema@._streams s
      JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) s.stream_id
       AND r.key_hash OPERATOR(pg_catalog.=) @extschema@._keys_text_hash(k)
       AND r.keys OPERATOR(pg_catalog.=) k
      JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
     WHERE s.table_name OPERATOR(pg_catalog.=) item_history.table_name
       AND (sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq)
     ORDER BY r.sequence_number;
END
$$;
COMMENT ON FUNCTION @extschema@.item_history(text, jsonb) IS
    'every change of one item in the stream log, oldest first, across all of the table''s streams';

-- A time as the messages of time travel show it: ISO 8601, UTC.
CREATE FUNCTION @extschema@._iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- Has a record of the table's streams been trimmed (a trim horizon set, or
-- a shard whose parent is gone)?
CREATE FUNCTION @extschema@._history_trimmed(table_name text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM @extschema@._streams s
                     JOIN @extschema@._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id
                    WHERE s.table_name OPERATOR(pg_catalog.=) _history_trimmed.table_name
                      AND (sh.trimmed_seq IS NOT NULL
                           OR (sh.parent_shard_id IS NOT NULL
                               AND NOT EXISTS (SELECT FROM @extschema@._shards p
                                                WHERE p.stream_id OPERATOR(pg_catalog.=) sh.stream_id
                                                  AND p.shard_id OPERATOR(pg_catalog.=) sh.parent_shard_id))))
$$;

-- The state of every item of a table (or of the one item whose Keys text
-- is only_keys) at time at, from the log: per item its Keys text, its
-- image (NULL: the item did not exist), or the exception and message that
-- say why the log cannot tell.  The rules (docs/guides/replay-and-analytics.md,
-- "What each view type answers"): the last record at or before at decides
-- (REMOVE: absent; INSERT or MODIFY: its NewImage); without its NewImage
-- the first record after at decides (INSERT: absent; MODIFY or REMOVE: its
-- OldImage).  Times before the table's first stream, in a gap between two
-- streams, or before trimmed records cannot be answered.
CREATE FUNCTION @extschema@._as_of(table_name text, at timestamptz, only_keys text DEFAULT NULL)
RETURNS TABLE (keys text, image jsonb, exception text, message text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first_stream timestamptz;
    trimmed boolean := @extschema@._history_trimmed(table_name);
BEGIN
    SELECT pg_catalog.min(s.created_at) INTO first_stream FROM @extschema@._streams s
     WHERE s.table_name OPERATOR(pg_catalog.=) _as_of.table_name;
    RETURN QUERY
    WITH st AS (
        SELECT s.stream_id, s.stream_arn, s.stream_view_type, s.created_at, s.disabled_at
          FROM @extschema@._streams s WHERE s.table_name OPERATOR(pg_catalog.=) _as_of.table_name),
    r AS (
        SELECT r.keys, r.key_hash, r.sequence_number, r.event_name, r.created_at, r.new_image, r.old_image,
               st.stream_arn, st.stream_view_type, st.created_at AS stream_created, st.disabled_at AS stream_disabled
          FROM st
          JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) st.stream_id
          JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
         WHERE (sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq)
           AND (only_keys IS NULL
                OR (r.key_hash OPERATOR(pg_catalog.=) @extschema@._keys_text_hash(only_keys)
                    AND r.keys OPERATOR(pg_catalog.=) only_keys))),
    prev AS (
        SELECT DISTINCT ON (r.key_hash, r.keys) r.*
          FROM r WHERE r.created_at OPERATOR(pg_catalog.<=) at
         ORDER BY r.key_hash, r.keys, r.sequence_number DESC),
    nxt AS (
        SELECT DISTINCT ON (r.key_hash, r.keys) r.*
          FROM r WHERE r.created_at OPERATOR(pg_catalog.>) at
         ORDER BY r.key_hash, r.keys, r.sequence_number),
    d AS (
        SELECT COALESCE(p.keys, n.keys) AS keys, p.event_name AS p_event, p.new_image AS p_new,
               p.stream_arn AS p_arn, p.stream_view_type AS p_view, p.stream_disabled AS p_disabled,
               p.created_at AS p_at,
               n.event_name AS n_event, n.old_image AS n_old, n.stream_arn AS n_arn,
               n.stream_view_type AS n_view, n.stream_created AS n_created, n.created_at AS n_at
          FROM prev p FULL JOIN nxt n ON n.key_hash OPERATOR(pg_catalog.=) p.key_hash AND n.keys OPERATOR(pg_catalog.=) p.keys),
    v AS (
        SELECT CASE
                 -- the last change at or before at decides
                 WHEN d.p_event IS NOT NULL AND d.p_disabled IS NOT NULL AND d.p_disabled OPERATOR(pg_catalog.<=) at THEN 'gap'
                 WHEN d.p_event OPERATOR(pg_catalog.=) 'REMOVE' THEN 'absent'
                 WHEN d.p_new IS NOT NULL THEN 'new'
                 -- else the first change after it
                 WHEN d.p_event IS NULL AND at OPERATOR(pg_catalog.<) first_stream THEN 'before'
                 WHEN d.p_event IS NULL AND trimmed THEN 'trimmed'
                 WHEN d.n_event IS NOT NULL AND d.n_created OPERATOR(pg_catalog.>) at THEN 'gap'
                 WHEN d.n_event OPERATOR(pg_catalog.=) 'INSERT' THEN 'absent'
                 WHEN d.n_old IS NOT NULL THEN 'old'
                 WHEN d.p_event IS NULL AND d.n_view OPERATOR(pg_catalog.=) 'NEW_IMAGE' THEN 'first'
                 ELSE 'view'
               END AS how, d.*
          FROM d)
    SELECT v.keys,
           CASE v.how WHEN 'new' THEN v.p_new::jsonb WHEN 'old' THEN v.n_old::jsonb END,
           CASE WHEN v.how IN ('absent', 'new', 'old') THEN NULL
                WHEN v.how OPERATOR(pg_catalog.=) 'view' THEN 'ValidationException'
                ELSE 'TrimmedDataAccessException' END,
           CASE v.how
             WHEN 'gap' THEN pg_catalog.format(
                 'The stream log does not hold the state of item %s of table %s at %s: %s; changes made while the table had no stream are not in the log',
                 v.keys, table_name, @extschema@._iso(at),
                 CASE WHEN v.p_disabled OPERATOR(pg_catalog.<=) at
                      THEN pg_catalog.format('its stream was disabled at %s', @extschema@._iso(v.p_disabled))
                      ELSE pg_catalog.format('the stream of its next record began at %s', @extschema@._iso(v.n_created)) END)
             WHEN 'before' THEN pg_catalog.format(
                 'The stream log does not hold the state of item %s of table %s at %s: the table''s first stream began at %s',
                 v.keys, table_name, @extschema@._iso(at), @extschema@._iso(first_stream))
             WHEN 'trimmed' THEN pg_catalog.format(
                 'The stream log does not hold the state of item %s of table %s at %s: its older records were trimmed',
                 v.keys, table_name, @extschema@._iso(at))
             WHEN 'first' THEN pg_catalog.format(
                 'The stream log does not hold the state of item %s of table %s at %s: the item existed before the stream began, and its first record (%s at %s) carries no OldImage',
                 v.keys, table_name, @extschema@._iso(at), v.n_event, @extschema@._iso(v.n_at))
             WHEN 'view' THEN pg_catalog.format(
                 'The stream view type %s of stream %s does not carry the image of item %s at %s',
                 COALESCE(v.p_view, v.n_view), COALESCE(v.p_arn, v.n_arn), v.keys, @extschema@._iso(at))
           END
      FROM v;
END
$$;

-- Raise the exception of an _as_of row.  Returns true.
CREATE FUNCTION @extschema@._as_of_raise(exception text, message text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF exception OPERATOR(pg_catalog.=) 'ValidationException' THEN
        ok := @extschema@._raise(exception, message,
            'Answering this needs a stream view type that carries images: see "What each view type answers" in docs/guides/replay-and-analytics.md.');
    END IF;
    ok := @extschema@._raise(exception, message, NULL,
        'item_history() shows the records the log still holds.');
    RETURN true;
END
$$;

-- Did the table exist, with items, before its first stream?  Then items
-- written before that stream and never changed since are not in the log.
CREATE FUNCTION @extschema@._predates_log(t @extschema@._tables) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.kind OPERATOR(pg_catalog.=) 'item'
       AND t.created_at OPERATOR(pg_catalog.<) ((SELECT pg_catalog.min(s.created_at) FROM @extschema@._streams s
                                                  WHERE s.table_name OPERATOR(pg_catalog.=) t.table_name
                                                    AND s.table_id IS NOT DISTINCT FROM t.table_id)
                                                 OPERATOR(pg_catalog.-) interval '1 second')
$$;

-- The item as it was at time at, from the log; NULL when it did not exist.
-- docs/functions/item_as_of.md
CREATE FUNCTION @extschema@.item_as_of(table_name text, key jsonb, at timestamptz)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text := @extschema@._history_keys(table_name, key);
    t @extschema@._tables;
    x record;
    ok boolean;
BEGIN
    IF at IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'at', 'Member must not be null');
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@._streams s WHERE s.table_name OPERATOR(pg_catalog.=) item_as_of.table_name) THEN
        ok := @extschema@._raise('ValidationException',
            'Table ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has never had a stream',
            'The stream log holds no history of it.');
    END IF;
    SELECT * INTO x FROM @extschema@._as_of(table_name, at, k) a;
    IF NOT FOUND THEN
        -- no record of the item at all
        IF at OPERATOR(pg_catalog.<) (SELECT pg_catalog.min(s.created_at) FROM @extschema@._streams s
                                       WHERE s.table_name OPERATOR(pg_catalog.=) item_as_of.table_name) THEN
            SELECT k AS keys, NULL::jsonb AS image, 'TrimmedDataAccessException' AS exception,
                   pg_catalog.format('The stream log does not hold the state of item %s of table %s at %s: the table''s first stream began later',
                                     k, table_name, @extschema@._iso(at)) AS message INTO x;
        ELSIF @extschema@._history_trimmed(table_name) THEN
            SELECT k AS keys, NULL::jsonb AS image, 'TrimmedDataAccessException' AS exception,
                   pg_catalog.format('The stream log does not hold the state of item %s of table %s at %s: its older records were trimmed',
                                     k, table_name, @extschema@._iso(at)) AS message INTO x;
        ELSE
            SELECT * INTO t FROM @extschema@._tables y WHERE y.table_name OPERATOR(pg_catalog.=) item_as_of.table_name;
            IF FOUND AND @extschema@._predates_log(t)
               AND @extschema@.get_item(table_name, key) OPERATOR(pg_catalog.?) 'Item' THEN
                SELECT k AS keys, NULL::jsonb AS image, 'TrimmedDataAccessException' AS exception,
                       pg_catalog.format('The stream log does not hold the state of item %s of table %s at %s: the item was written before the table''s first stream began and has not changed since',
                                         k, table_name, @extschema@._iso(at)) AS message INTO x;
            ELSE
                RETURN NULL;
            END IF;
        END IF;
    END IF;
    IF x.exception IS NOT NULL THEN
        ok := @extschema@._as_of_raise(x.exception, x.message);
    END IF;
    RETURN x.image;
END
$$;
COMMENT ON FUNCTION @extschema@.item_as_of(text, jsonb, timestamptz) IS
    'one item as it was at a point in time, from the stream log (NULL: it did not exist)';

-- Every item of the table as it was at time at, from the log.
-- docs/functions/table_as_of.md
CREATE FUNCTION @extschema@.table_as_of(table_name text, at timestamptz)
RETURNS SETOF jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables;
    ids bigint[];
    missing text;
    ok boolean;
BEGIN
    IF table_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    IF at IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'at', 'Member must not be null');
    END IF;
    SELECT pg_catalog.array_agg(s.stream_id) INTO ids FROM @extschema@._streams s
     WHERE s.table_name OPERATOR(pg_catalog.=) table_as_of.table_name;
    IF ids IS NULL THEN
        IF EXISTS (SELECT FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) table_as_of.table_name) THEN
            ok := @extschema@._raise('ValidationException',
                'Table ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has never had a stream',
                'The stream log holds no history of it.');
        END IF;
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' not found',
            'No table and no stream of that name.');
    END IF;
    IF at OPERATOR(pg_catalog.<) (SELECT pg_catalog.min(s.created_at) FROM @extschema@._streams s
                                   WHERE s.stream_id OPERATOR(pg_catalog.=) ANY (ids)) THEN
        ok := @extschema@._raise('TrimmedDataAccessException',
            pg_catalog.format('The stream log does not hold the state of table %s at %s: the table''s first stream began later',
                              table_name, @extschema@._iso(at)));
    END IF;
    -- items written before the first stream and never changed since are in
    -- the table but not in the log
    SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) table_as_of.table_name;
    IF FOUND AND @extschema@._predates_log(t) THEN
        EXECUTE pg_catalog.format($q$
            SELECT x.k FROM (SELECT @extschema@._item_text(pg_catalog.jsonb_build_object(%L, i.item OPERATOR(pg_catalog.->) %L%s)) k
                               FROM %s i) x
             WHERE NOT EXISTS (SELECT FROM @extschema@._records r
                                WHERE r.stream_id OPERATOR(pg_catalog.=) ANY ($1)
                                  AND r.key_hash OPERATOR(pg_catalog.=) @extschema@._keys_text_hash(x.k)
                                  AND r.keys OPERATOR(pg_catalog.=) x.k)
             LIMIT 1$q$, t.hash_key, t.hash_key,
             CASE WHEN t.range_key IS NULL THEN ''
                  ELSE pg_catalog.format(', %L, i.item OPERATOR(pg_catalog.->) %L', t.range_key, t.range_key) END,
             t.relid)
          INTO missing USING ids;
        IF missing IS NOT NULL THEN
            ok := @extschema@._raise('TrimmedDataAccessException',
                pg_catalog.format('The stream log does not hold the state of item %s of table %s at %s: the item was written before the table''s first stream began and has not changed since',
                                  missing, table_name, @extschema@._iso(at)));
        END IF;
    END IF;
    RETURN QUERY
    SELECT a.image FROM @extschema@._as_of(table_name, at) a
     WHERE a.image IS NOT NULL
        OR (a.exception IS NOT NULL AND @extschema@._as_of_raise(a.exception, a.message));
END
$$;
COMMENT ON FUNCTION @extschema@.table_as_of(text, timestamptz) IS
    'every item of a table as it was at a point in time, from the stream log';

-- Apply a range of a stream's records to an item table, in order: put the
-- NewImage of INSERT and MODIFY, delete the Keys of REMOVE.  Times are
-- from_time <= ApproximateCreationDateTime < to_time, sequence numbers
-- from_sequence_number <= SequenceNumber <= to_sequence_number (each bound
-- NULL: open).  The writes are ordinary writes of the target: its stream
-- gets records.  Returns the records applied.  docs/functions/replay_into.md
CREATE FUNCTION @extschema@.replay_into(stream_arn text, target_table text,
                                        from_time timestamptz DEFAULT NULL, to_time timestamptz DEFAULT NULL,
                                        from_sequence_number text DEFAULT NULL,
                                        to_sequence_number text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    src @extschema@._tables;
    t @extschema@._tables;
    want text;
    have text;
    rec record;
    n bigint := 0;
    ok boolean;
    r jsonb;
BEGIN
    IF stream_arn IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'streamArn', 'Member must not be null');
    END IF;
    IF target_table IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    st := @extschema@._stream_by_arn(stream_arn);
    t := @extschema@._item_table(target_table);
    IF from_sequence_number IS NOT NULL AND from_sequence_number !~ '^[0-9]{21,40}$' THEN
        ok := @extschema@._invalid_parameter(from_sequence_number, 'fromSequenceNumber', 'Member must be 21 to 40 digits');
    END IF;
    IF to_sequence_number IS NOT NULL AND to_sequence_number !~ '^[0-9]{21,40}$' THEN
        ok := @extschema@._invalid_parameter(to_sequence_number, 'toSequenceNumber', 'Member must be 21 to 40 digits');
    END IF;
    IF from_time IS NOT NULL AND to_time IS NOT NULL AND from_time OPERATOR(pg_catalog.>) to_time THEN
        ok := @extschema@._raise('ValidationException', 'from_time must not be later than to_time',
            pg_catalog.format('from_time is %s, to_time %s.', @extschema@._iso(from_time), @extschema@._iso(to_time)));
    END IF;
    IF st.stream_view_type IN ('KEYS_ONLY', 'OLD_IMAGE') THEN
        ok := @extschema@._raise('ValidationException',
            pg_catalog.format('Stream %s has view type %s: its records carry no NewImage to replay', st.stream_arn, st.stream_view_type),
            NULL, 'Replay needs a stream of view type NEW_IMAGE or NEW_AND_OLD_IMAGES.');
    END IF;
    -- the key schemas must match: the source table's when it is still there
    want := @extschema@._table_key_shape(t);
    SELECT * INTO src FROM @extschema@._tables x
     WHERE x.table_name OPERATOR(pg_catalog.=) st.table_name AND x.relid::pg_catalog.oid OPERATOR(pg_catalog.=) st.relid;
    IF FOUND AND @extschema@._table_key_shape(src) OPERATOR(pg_catalog.<>) want THEN
        ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
            pg_catalog.format('The stream''s table %s has key attributes %s, the target %s has %s.',
                              st.table_name, @extschema@._table_key_shape(src), t.table_name, want));
    END IF;
    -- a range that starts in trimmed records cannot be replayed
    IF EXISTS (SELECT FROM @extschema@._shards sh
                WHERE sh.stream_id OPERATOR(pg_catalog.=) st.stream_id AND sh.trimmed_seq IS NOT NULL
                  AND ((from_sequence_number IS NOT NULL
                        AND from_sequence_number COLLATE "C" OPERATOR(pg_catalog.<=) sh.trimmed_seq)
                       OR (from_time IS NOT NULL
                           AND EXISTS (SELECT FROM @extschema@._records r
                                        WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no
                                          AND r.sequence_number OPERATOR(pg_catalog.<=) sh.trimmed_seq
                                          AND r.created_at OPERATOR(pg_catalog.>=) from_time)))) THEN
        ok := @extschema@._raise('TrimmedDataAccessException',
            'Attempted to access data past the trim horizon of stream ' OPERATOR(pg_catalog.||) st.stream_arn,
            'The start of the range has been trimmed.');
    END IF;
    FOR rec IN SELECT r.sequence_number, r.event_name, r.keys, r.new_image, r.omitted
                 FROM @extschema@._records r
                 JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
                WHERE r.stream_id OPERATOR(pg_catalog.=) st.stream_id
                  AND (sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq)
                  AND (from_time IS NULL OR r.created_at OPERATOR(pg_catalog.>=) from_time)
                  AND (to_time IS NULL OR r.created_at OPERATOR(pg_catalog.<) to_time)
                  AND (from_sequence_number IS NULL OR r.sequence_number OPERATOR(pg_catalog.>=) from_sequence_number COLLATE "C")
                  AND (to_sequence_number IS NULL OR r.sequence_number OPERATOR(pg_catalog.<=) to_sequence_number COLLATE "C")
                ORDER BY r.sequence_number LOOP
        have := @extschema@._key_shape(rec.keys::jsonb);
        IF have OPERATOR(pg_catalog.<>) want THEN
            ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                pg_catalog.format('Record %s has key attributes %s, the target %s has %s.',
                                  rec.sequence_number, have, t.table_name, want));
        END IF;
        IF rec.event_name OPERATOR(pg_catalog.=) 'REMOVE' THEN
            r := @extschema@.delete_item(target_table, rec.keys::jsonb);
        ELSIF rec.new_image IS NULL THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Record %s carries no NewImage (%s)', rec.sequence_number,
                                  COALESCE('omitted: ' OPERATOR(pg_catalog.||) rec.omitted, 'not in the record')),
                NULL, 'Replay the range after it, or write the item yourself.');
        ELSE
            r := @extschema@.put_item(target_table, rec.new_image::jsonb);
        END IF;
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.replay_into(text, text, timestamptz, timestamptz, text, text) IS
    'apply a range of a stream''s records to an item table, in order (put NewImage, delete on REMOVE)';

-- A ValidationException about field of record i of an import.
CREATE FUNCTION @extschema@._import_error(i integer, field text, problem text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    ok := @extschema@._raise('ValidationException',
        pg_catalog.format('Invalid record Records[%s]: %s: %s', i, field, problem),
        'Nothing was imported.');
    RETURN true;
END
$$;

-- An AttributeValue map of record i (field names it): normalised, or the
-- error naming the record and the field.
CREATE FUNCTION @extschema@._import_map(i integer, field text, m jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    msg text;
BEGIN
    IF m IS NULL OR pg_catalog.jsonb_typeof(m) OPERATOR(pg_catalog.<>) 'object' THEN
        ok := @extschema@._import_error(i, field, 'must be a map of attribute names to AttributeValues');
    END IF;
    BEGIN
        RETURN @extschema@.validate_item(m);
    EXCEPTION WHEN invalid_parameter_value THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        ok := @extschema@._import_error(i, field, msg);
    END;
    RETURN NULL;
END
$$;

-- The LSN just before lsn (as _lsn_next, without pg_lsn - numeric).
CREATE FUNCTION @extschema@._lsn_prev(lsn pg_catalog.pg_lsn) RETURNS pg_catalog.pg_lsn
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT (pg_catalog.to_hex(pg_catalog.div(n, 4294967296)::bigint) OPERATOR(pg_catalog.||) '/'
            OPERATOR(pg_catalog.||) pg_catalog.to_hex(pg_catalog.mod(n, 4294967296)::bigint))::pg_catalog.pg_lsn
      FROM (SELECT (lsn OPERATOR(pg_catalog.-) '0/0'::pg_catalog.pg_lsn) OPERATOR(pg_catalog.-) 1 AS n) x
$$;

-- Load records captured elsewhere (a Lambda event {"Records":[...]}, a
-- GetRecords response, or a bare array of records) into the log as new
-- records of a stream: the table's current stream, or the stream of that
-- ARN.  Each record gets the open shard of its key hash and a new
-- SequenceNumber above every record in the log and below every record
-- written later; its eventID, SequenceNumber, eventSourceARN and awsRegion
-- are not kept (the stream's own are rendered).  All records are checked
-- first: one bad record imports nothing.  docs/functions/import_records.md
CREATE FUNCTION @extschema@.import_records(table_or_stream text, records jsonb)
RETURNS TABLE (record_index integer, shard_id text, sequence_number text, source_sequence_number text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    t @extschema@._tables;
    arr jsonb;
    rec jsonb;
    d jsonb;
    i integer := 0;
    ok boolean;
    want text;
    keys jsonb;
    new_image jsonb;
    old_image jsonb;
    ev text;
    view text;
    ident jsonb;
    lsn pg_catalog.pg_lsn;
    slot text := @extschema@._pump_slot_name();
    done pg_catalog.pg_lsn;
    pending bigint;
    prefix text;
    epoch_s numeric;
    size_bytes bigint;
    keys_text text;
    part text;
BEGIN
    IF table_or_stream IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    IF records IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'records', 'Member must not be null');
    END IF;
    IF table_or_stream LIKE 'arn:%' THEN
        st := @extschema@._stream_by_arn(table_or_stream);
    ELSE
        SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) table_or_stream;
        IF NOT FOUND THEN
            ok := @extschema@._raise('ResourceNotFoundException',
                'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) table_or_stream OPERATOR(pg_catalog.||) ' not found');
        END IF;
        SELECT * INTO st FROM @extschema@._streams s
         WHERE s.stream_arn OPERATOR(pg_catalog.=) t.stream_arn AND t.stream_enabled;
        IF NOT FOUND THEN
            ok := @extschema@._raise('ValidationException',
                'Table ' OPERATOR(pg_catalog.||) table_or_stream OPERATOR(pg_catalog.||) ' has no stream enabled',
                NULL, 'Enable a stream (update_table or enable_stream) to import records into it.');
        END IF;
    END IF;
    IF st.stream_status OPERATOR(pg_catalog.=) 'DISABLED' THEN
        ok := @extschema@._raise('ValidationException',
            'Stream ' OPERATOR(pg_catalog.||) st.stream_arn OPERATOR(pg_catalog.||) ' is disabled: its shards are closed',
            NULL, 'Import into the table''s current stream.');
    END IF;
    SELECT * INTO t FROM @extschema@._tables x
     WHERE x.table_name OPERATOR(pg_catalog.=) st.table_name AND x.relid::pg_catalog.oid OPERATOR(pg_catalog.=) st.relid;
    want := @extschema@._table_key_shape(t);
    view := st.stream_view_type;
    arr := CASE WHEN pg_catalog.jsonb_typeof(records) OPERATOR(pg_catalog.=) 'array' THEN records
                ELSE records OPERATOR(pg_catalog.->) 'Records' END;
    IF arr IS NULL OR pg_catalog.jsonb_typeof(arr) OPERATOR(pg_catalog.<>) 'array' THEN
        ok := @extschema@._raise('ValidationException',
            'records must be {"Records":[...]} (a Lambda event or a GetRecords response) or an array of records',
            'Found ' OPERATOR(pg_catalog.||) pg_catalog.jsonb_typeof(records) OPERATOR(pg_catalog.||) '.');
    END IF;

    -- no committed change of a stream may still be on its way into the
    -- log: the new records would then sit above records that the pump
    -- writes later (records of streams no longer in the catalog never come)
    PERFORM @extschema@._pump_lock();
    lsn := pg_catalog.pg_current_wal_insert_lsn();
    IF EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        done := COALESCE(pg_catalog.pg_replication_origin_progress(@extschema@._pump_origin_name(), true), '0/0');
        SELECT pg_catalog.count(*) INTO pending
          FROM (SELECT pg_catalog.string_to_array(c.data, E'\t') f
                  FROM pg_catalog.pg_logical_slot_peek_changes(slot, lsn, NULL, 'format', 'pump') c OFFSET 0) x
          JOIN @extschema@._streams s ON s.stream_arn OPERATOR(pg_catalog.=) pg_catalog.btrim(x.f[11], '"')
         WHERE x.f[3]::pg_catalog.pg_lsn OPERATOR(pg_catalog.>) done;
        IF pending OPERATOR(pg_catalog.>) 0 THEN
            ok := @extschema@._raise('ResourceInUseException',
                pg_catalog.format('The stream log is behind: %s committed records are not pumped yet', pending),
                NULL, 'Run dynamo.pump() (or wait for the worker) and import again.', '55006');
        END IF;
    END IF;
    -- the commit LSN of the new records: just below the present insert
    -- position (WAL records start at aligned positions, so none starts
    -- there), hence above every commit before it and below every later one
    lsn := @extschema@._lsn_prev(lsn);
    prefix := pg_catalog.substr(@extschema@._seq_at_lsn(lsn), 1, 23);
    part := @extschema@._records_partition(pg_catalog.now());

    CREATE TEMP TABLE IF NOT EXISTS _dynamo_import (
        i integer, seq text, keys text, key_hash bigint, event_name text, created_at timestamptz,
        new_image text, old_image text, size_bytes bigint, ttl boolean, source_seq text) ON COMMIT DROP;
    TRUNCATE _dynamo_import;
    FOR rec IN SELECT x FROM pg_catalog.jsonb_array_elements(arr) x LOOP
        IF pg_catalog.jsonb_typeof(rec) OPERATOR(pg_catalog.<>) 'object' THEN
            ok := @extschema@._import_error(i, 'record', 'must be an object');
        END IF;
        ev := rec OPERATOR(pg_catalog.->>) 'eventName';
        IF ev IS NULL OR ev NOT IN ('INSERT', 'MODIFY', 'REMOVE') THEN
            ok := @extschema@._import_error(i, 'eventName', pg_catalog.format('must be INSERT, MODIFY or REMOVE, not %s',
                                                 COALESCE(rec OPERATOR(pg_catalog.->) 'eventName', 'null')));
        END IF;
        IF rec ? 'eventSource' AND (rec OPERATOR(pg_catalog.->>) 'eventSource') IS DISTINCT FROM 'aws:dynamodb' THEN
            ok := @extschema@._import_error(i, 'eventSource', pg_catalog.format('must be "aws:dynamodb", not %s',
                                                 rec OPERATOR(pg_catalog.->) 'eventSource'));
        END IF;
        d := rec OPERATOR(pg_catalog.->) 'dynamodb';
        IF d IS NULL OR pg_catalog.jsonb_typeof(d) OPERATOR(pg_catalog.<>) 'object' THEN
            ok := @extschema@._import_error(i, 'dynamodb', 'must be an object');
        END IF;
        IF d ? 'StreamViewType' AND (d OPERATOR(pg_catalog.->>) 'StreamViewType') IS DISTINCT FROM view THEN
            ok := @extschema@._import_error(i, 'dynamodb.StreamViewType',
                pg_catalog.format('%s does not match the stream''s view type %s', d OPERATOR(pg_catalog.->) 'StreamViewType', view));
        END IF;
        keys := @extschema@._import_map(i, 'dynamodb.Keys', d OPERATOR(pg_catalog.->) 'Keys');
        IF want IS NOT NULL AND @extschema@._key_shape(keys) OPERATOR(pg_catalog.<>) want THEN
            ok := @extschema@._import_error(i, 'dynamodb.Keys',
                pg_catalog.format('The provided key element does not match the schema (the table''s key attributes are %s)', want));
        END IF;
        new_image := NULL;
        old_image := NULL;
        IF d ? 'NewImage' THEN
            new_image := @extschema@._import_map(i, 'dynamodb.NewImage', d OPERATOR(pg_catalog.->) 'NewImage');
        END IF;
        IF d ? 'OldImage' THEN
            old_image := @extschema@._import_map(i, 'dynamodb.OldImage', d OPERATOR(pg_catalog.->) 'OldImage');
        END IF;
        -- the images a record of this view type and event carries (SPEC 4.4)
        IF (new_image IS NOT NULL) OPERATOR(pg_catalog.<>) (view IN ('NEW_IMAGE', 'NEW_AND_OLD_IMAGES') AND ev OPERATOR(pg_catalog.<>) 'REMOVE') THEN
            ok := @extschema@._import_error(i, 'dynamodb.NewImage',
                pg_catalog.format(CASE WHEN new_image IS NULL THEN 'missing: %s records of %s streams carry a NewImage'
                                       ELSE 'not allowed: %s records of %s streams carry no NewImage' END, ev, view));
        END IF;
        IF (old_image IS NOT NULL) OPERATOR(pg_catalog.<>) (view IN ('OLD_IMAGE', 'NEW_AND_OLD_IMAGES') AND ev OPERATOR(pg_catalog.<>) 'INSERT') THEN
            ok := @extschema@._import_error(i, 'dynamodb.OldImage',
                pg_catalog.format(CASE WHEN old_image IS NULL THEN 'missing: %s records of %s streams carry an OldImage'
                                       ELSE 'not allowed: %s records of %s streams carry no OldImage' END, ev, view));
        END IF;
        IF new_image IS NOT NULL
           AND EXISTS (SELECT FROM pg_catalog.jsonb_each(keys) k
                        WHERE (new_image OPERATOR(pg_catalog.->) k.key) IS DISTINCT FROM k.value) THEN
            ok := @extschema@._import_error(i, 'dynamodb.NewImage', 'its key attributes differ from dynamodb.Keys');
        END IF;
        IF old_image IS NOT NULL
           AND EXISTS (SELECT FROM pg_catalog.jsonb_each(keys) k
                        WHERE (old_image OPERATOR(pg_catalog.->) k.key) IS DISTINCT FROM k.value) THEN
            ok := @extschema@._import_error(i, 'dynamodb.OldImage', 'its key attributes differ from dynamodb.Keys');
        END IF;
        epoch_s := NULL;
        IF d ? 'ApproximateCreationDateTime' THEN
            IF pg_catalog.jsonb_typeof(d OPERATOR(pg_catalog.->) 'ApproximateCreationDateTime') OPERATOR(pg_catalog.<>) 'number'
               OR (d OPERATOR(pg_catalog.->>) 'ApproximateCreationDateTime')::numeric NOT BETWEEN 0 AND 253402300799 THEN
                ok := @extschema@._import_error(i, 'dynamodb.ApproximateCreationDateTime',
                    pg_catalog.format('must be epoch seconds (a JSON number), not %s', d OPERATOR(pg_catalog.->) 'ApproximateCreationDateTime'));
            END IF;
            epoch_s := pg_catalog.floor((d OPERATOR(pg_catalog.->>) 'ApproximateCreationDateTime')::numeric);
        END IF;
        size_bytes := @extschema@.item_size(keys) OPERATOR(pg_catalog.+) COALESCE(@extschema@.item_size(new_image), 0)
                      OPERATOR(pg_catalog.+) COALESCE(@extschema@.item_size(old_image), 0);
        IF d ? 'SizeBytes' THEN
            IF pg_catalog.jsonb_typeof(d OPERATOR(pg_catalog.->) 'SizeBytes') OPERATOR(pg_catalog.<>) 'number'
               OR (d OPERATOR(pg_catalog.->>) 'SizeBytes') !~ '^[0-9]+$'
               OR (d OPERATOR(pg_catalog.->>) 'SizeBytes')::numeric OPERATOR(pg_catalog.<) 1
               OR (d OPERATOR(pg_catalog.->>) 'SizeBytes')::numeric OPERATOR(pg_catalog.>) 9223372036854775807 THEN
                ok := @extschema@._import_error(i, 'dynamodb.SizeBytes',
                    pg_catalog.format('must be a positive whole number, not %s', d OPERATOR(pg_catalog.->) 'SizeBytes'));
            END IF;
            size_bytes := (d OPERATOR(pg_catalog.->>) 'SizeBytes')::bigint;
        END IF;
        -- a TTL delete: userIdentity (Lambda) or UserIdentity members capitalised (GetRecords)
        ident := COALESCE(rec OPERATOR(pg_catalog.->) 'userIdentity', rec OPERATOR(pg_catalog.->) 'UserIdentity');
        IF ident IS NOT NULL AND pg_catalog.jsonb_typeof(ident) OPERATOR(pg_catalog.<>) 'null'
           AND ident NOT IN ('{"type":"Service","principalId":"dynamodb.amazonaws.com"}'::jsonb,
                             '{"Type":"Service","PrincipalId":"dynamodb.amazonaws.com"}'::jsonb) THEN
            ok := @extschema@._import_error(i, 'userIdentity',
                pg_catalog.format('must be DynamoDB''s TTL identity {"type":"Service","principalId":"dynamodb.amazonaws.com"}, not %s', ident));
        END IF;
        IF ident IS NOT NULL AND pg_catalog.jsonb_typeof(ident) OPERATOR(pg_catalog.<>) 'null' AND ev OPERATOR(pg_catalog.<>) 'REMOVE' THEN
            ok := @extschema@._import_error(i, 'userIdentity', 'only a REMOVE record (a TTL delete) carries it');
        END IF;
        IF t.kind OPERATOR(pg_catalog.=) 'relation' THEN
            keys_text := @extschema@._history_keys(st.table_name, keys);
        ELSE
            keys_text := @extschema@._item_text(keys);
        END IF;
        INSERT INTO _dynamo_import VALUES (i,
            prefix OPERATOR(pg_catalog.||) pg_catalog.lpad((i OPERATOR(pg_catalog.+) 1)::text, 16, '0') OPERATOR(pg_catalog.||) '0',
            keys_text, @extschema@._keys_text_hash(keys_text), ev,
            CASE WHEN epoch_s IS NULL THEN pg_catalog.now() ELSE pg_catalog.to_timestamp(epoch_s::float8) END,
            @extschema@._item_text(new_image), @extschema@._item_text(old_image), size_bytes,
            ident IS NOT NULL AND pg_catalog.jsonb_typeof(ident) OPERATOR(pg_catalog.<>) 'null',
            d OPERATOR(pg_catalog.->>) 'SequenceNumber');
        i := i OPERATOR(pg_catalog.+) 1;
    END LOOP;


    INSERT INTO @extschema@._records (stream_id, shard_no, sequence_number, commit_lsn, event_name,
                                      created_at, key_hash, size_bytes, ttl, omitted, keys, new_image, old_image)
    SELECT st.stream_id, sh.shard_no, m.seq, lsn, m.event_name, m.created_at, m.key_hash, m.size_bytes,
           m.ttl, NULL, m.keys, m.new_image, m.old_image
      FROM _dynamo_import m
      JOIN @extschema@._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) st.stream_id AND sh.current
       AND sh.ending_seq IS NULL
       AND sh.hash_slot OPERATOR(pg_catalog.=) @extschema@._hash_slot(m.key_hash, sh.slot_count)
     ORDER BY m.i;
    RETURN QUERY
    SELECT m.i, sh.shard_id, m.seq, m.source_seq
      FROM _dynamo_import m
      JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) st.stream_id
       AND r.key_hash OPERATOR(pg_catalog.=) m.key_hash AND r.sequence_number OPERATOR(pg_catalog.=) m.seq
      JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
     ORDER BY m.i;
    DROP TABLE _dynamo_import;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.import_records(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.import_records(text, jsonb) IS
    'load captured DynamoDB Streams records (a Lambda event or a GetRecords response) into a stream of the log';
