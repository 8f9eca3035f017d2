-- dynamo_streams install script, part 05: the streams catalog.
--
-- One row per stream ever enabled: enabling a stream (create_table or
-- update_table with a view type, enable_stream) makes a new stream with its
-- own label and ARN; disabling it marks it DISABLED; enabling again makes
-- another one.  Old streams stay listed (list_streams) until they are
-- trimmed (the stream log, a later release, trims them after their
-- retention).  The rows mirror dynamo._tables (trigger _tables_streams
-- below), so nothing else writes them.  shard_count and retention are
-- settings the stream log reads.  A user_catalog_table, like _tables, so
-- that the output plugin can read it as of each change.

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

-- ListStreams: the streams of the database (or of one table) that the
-- caller may read (SELECT on the table), newest first, at most "limit" of
-- them after exclusive_start_stream_arn.
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
