-- dynamo_streams install script, part 72: export and analytics over the
-- stream log (docs/guides/replay-and-analytics.md).
--
--   export_records      a range of a stream's records as Lambda or GetRecords
--                       JSON, one row per record, streamed (src/export_records.c)
--   export_table_to_point_in_time
--                       DynamoDB's export to S3, written to a server
--                       directory: a full export of an item table, or an
--                       incremental export of the changes between two times
--                       (src/export_files.c writes the files)
--   change_counts, hot_keys, item_change_frequency, noop_writes
--                       analytics over the log; every range query goes through
--                       the index _records_stream_time (stream_id, created_at)

-- Not SECURITY DEFINER: its first call runs as the owner, in C, so that
-- fetching rows costs no switch of user and settings per row.
CREATE FUNCTION @extschema@.export_records(stream_arn text, "from" timestamptz DEFAULT NULL,
                                           "to" timestamptz DEFAULT NULL, format text DEFAULT 'lambda')
RETURNS SETOF text LANGUAGE c STABLE ROWS 1000
AS 'MODULE_PATHNAME', 'dynamo_sql_export_records';
REVOKE ALL ON FUNCTION @extschema@.export_records(text, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.export_records(text, timestamptz, timestamptz, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.export_records(text, timestamptz, timestamptz, text) IS
    'the records of a stream committed in [from, to), as Lambda, GetRecords or NDJSON records, streamed';

-- The file writers (superuser or pg_write_server_files, checked in C too).
CREATE FUNCTION @extschema@._export_write_file(path text, query text, gzip boolean)
RETURNS text LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'dynamo_sql_export_write_file';
REVOKE ALL ON FUNCTION @extschema@._export_write_file(text, text, boolean) FROM PUBLIC;
CREATE FUNCTION @extschema@._export_mkdir(path text)
RETURNS void LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'dynamo_sql_export_mkdir';
REVOKE ALL ON FUNCTION @extschema@._export_mkdir(text) FROM PUBLIC;

-- An item as compact JSON, byte for byte as the plugin writes NewImage.
CREATE FUNCTION @extschema@._item_json(item jsonb)
RETURNS text LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_item_json';

-- May the calling role read stream s (SELECT on its table, or, the table
-- dropped, membership in the extension's owner)?  As _stream_require_read,
-- without raising.
CREATE FUNCTION @extschema@._stream_readable(s @extschema@._streams) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.relid)
                THEN pg_catalog.has_table_privilege(@extschema@._stream_caller(), s.relid, 'SELECT')
                ELSE pg_catalog.pg_has_role(@extschema@._stream_caller(),
                         (SELECT e.extowner FROM pg_catalog.pg_extension e
                           WHERE e.extname OPERATOR(pg_catalog.=) 'dynamo_streams'), 'USAGE') END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_readable(@extschema@._streams) FROM PUBLIC;

-- A row of a stream-enabled ordinary table as the item its stream's
-- NewImage carries (the plugin's column mapping, src/export_files.c).
CREATE FUNCTION @extschema@._row_item(relation pg_catalog.regclass, "row" record)
RETURNS text LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'dynamo_sql_row_item';
REVOKE ALL ON FUNCTION @extschema@._row_item(pg_catalog.regclass, record) FROM PUBLIC;

-- A time as DynamoDB's export manifests write it: ISO 8601 UTC with ms.
CREATE FUNCTION @extschema@._export_iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_char(pg_catalog.timezone('UTC', t), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A time as the API's JSON writes it: epoch seconds (a JSON number).
CREATE FUNCTION @extschema@._export_epoch(t timestamptz) RETURNS numeric
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.round(pg_catalog.date_part('epoch', t)::numeric, 3)
$$;

-- The query of an incremental export's data file: one line per item
-- changed in [from_time, to_time) across the streams stream_ids, compacted
-- to its state before and after the window (DynamoDB's incremental export
-- output: an item inserted and deleted inside the window gives no line).
CREATE FUNCTION @extschema@._incremental_export_query(stream_ids bigint[], from_time timestamptz,
                                                      to_time timestamptz, view_type text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.format($q$
    SELECT '{"Metadata":{"WriteTimestampMicros":{"N":"'
           OPERATOR(pg_catalog.||) (pg_catalog.date_part('epoch', pg_catalog.date_trunc('second', c.written_at))::bigint
                                    OPERATOR(pg_catalog.*) 1000000
                                    OPERATOR(pg_catalog.+) (pg_catalog.date_part('microseconds', c.written_at)::bigint
                                                            OPERATOR(pg_catalog.%%) 1000000))::text
           OPERATOR(pg_catalog.||) '"}},"Keys":' OPERATOR(pg_catalog.||) c.keys
           OPERATOR(pg_catalog.||) CASE WHEN c.last_event OPERATOR(pg_catalog.<>) 'REMOVE'
                                        THEN ',"NewImage":' OPERATOR(pg_catalog.||) c.after_image ELSE '' END
           OPERATOR(pg_catalog.||) CASE WHEN %L OPERATOR(pg_catalog.=) 'NEW_AND_OLD_IMAGES'
                                         AND c.first_event OPERATOR(pg_catalog.<>) 'INSERT'
                                         AND c.before_image IS NOT NULL
                                        THEN ',"OldImage":' OPERATOR(pg_catalog.||) c.before_image ELSE '' END
           OPERATOR(pg_catalog.||) '}'
      FROM (SELECT r.keys, pg_catalog.max(r.created_at) AS written_at,
                   (pg_catalog.array_agg(r.event_name ORDER BY r.created_at, r.sequence_number))[1] AS first_event,
                   (pg_catalog.array_agg(r.old_image ORDER BY r.created_at, r.sequence_number))[1] AS before_image,
                   (pg_catalog.array_agg(r.event_name ORDER BY r.created_at DESC, r.sequence_number DESC))[1] AS last_event,
                   (pg_catalog.array_agg(r.new_image ORDER BY r.created_at DESC, r.sequence_number DESC))[1] AS after_image
              FROM @extschema@._records r
              JOIN @extschema@._shards h ON h.shard_no OPERATOR(pg_catalog.=) r.shard_no
             WHERE r.stream_id OPERATOR(pg_catalog.=) ANY (%L::bigint[])
               AND r.created_at OPERATOR(pg_catalog.>=) %L::timestamptz
               AND r.created_at OPERATOR(pg_catalog.<) %L::timestamptz
               AND r.arrived_at OPERATOR(pg_catalog.>=) (%L::timestamptz OPERATOR(pg_catalog.-) interval '1 hour')
               AND (h.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) h.trimmed_seq)
             GROUP BY r.keys) c
     WHERE NOT (c.last_event OPERATOR(pg_catalog.=) 'REMOVE' AND c.first_event OPERATOR(pg_catalog.=) 'INSERT')
     ORDER BY c.keys$q$, view_type, stream_ids, from_time, to_time, from_time)
$$;
REVOKE ALL ON FUNCTION @extschema@._incremental_export_query(bigint[], timestamptz, timestamptz, text) FROM PUBLIC;

-- ExportTableToPointInTime, to a server directory instead of an S3 bucket.
CREATE FUNCTION @extschema@.export_table_to_point_in_time(table_name text, directory text,
        export_time timestamptz DEFAULT NULL, export_type text DEFAULT 'FULL_EXPORT',
        incremental_export_specification jsonb DEFAULT NULL, export_format text DEFAULT 'DYNAMODB_JSON')
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
    t @extschema@._tables;
    started timestamptz := pg_catalog.clock_timestamp();
    export_id text;
    export_dir text;
    data_dir text;
    data_key text;
    table_arn text;
    export_arn text;
    from_time timestamptz;
    to_time timestamptz;
    view_type text;
    stream_ids bigint[];
    bad_view text;
    q text;
    written jsonb;
    files_line text;
    summary text;
    finished timestamptz;
    m jsonb;
    description jsonb;
    as_of boolean := false;
BEGIN
    -- writing server files: what COPY TO a file needs
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) who AND r.rolsuper)
       AND NOT pg_catalog.pg_has_role(who, 'pg_write_server_files', 'USAGE') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:ExportTableToPointInTime on resource: %s',
                              who, COALESCE(directory, 'null')),
            'Writing export files to a server directory needs superuser or membership in pg_write_server_files.',
            'A superuser can GRANT pg_write_server_files to the role; see docs/security.md.');
    END IF;
    -- (a C check: it also loads the library, whose settings _table_arn reads)
    ok := @extschema@._check_table_name(table_name, false);
    IF directory IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 's3Bucket', 'Member must not be null');
    ELSIF pg_catalog.left(directory, 1) OPERATOR(pg_catalog.<>) '/' THEN
        ok := @extschema@._invalid_parameter(directory, 's3Bucket', 'Member must be an absolute directory path on the database server');
    END IF;
    IF export_type IS NULL OR export_type NOT IN ('FULL_EXPORT', 'INCREMENTAL_EXPORT') THEN
        ok := @extschema@._invalid_parameter(export_type, 'exportType',
            'Member must satisfy enum value set: [FULL_EXPORT, INCREMENTAL_EXPORT]');
    END IF;
    IF export_format IS NULL OR export_format NOT IN ('DYNAMODB_JSON', 'ION') THEN
        ok := @extschema@._invalid_parameter(export_format, 'exportFormat',
            'Member must satisfy enum value set: [DYNAMODB_JSON, ION]');
    ELSIF export_format OPERATOR(pg_catalog.=) 'ION' THEN
        ok := @extschema@._raise('ValidationException', 'Export format ION is not supported',
            'dynamo_streams writes DynamoDB JSON exports only (docs/deviations.md).');
    END IF;
    SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) export_table_to_point_in_time.table_name;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' not found');
    END IF;
    IF NOT pg_catalog.has_table_privilege(who, t.relid, 'SELECT') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:ExportTableToPointInTime on resource: %s',
                              who, @extschema@._table_arn(t.table_name)),
            pg_catalog.format('dynamodb:ExportTableToPointInTime needs the SELECT privilege on %s.', t.relid),
            'The table''s owner can grant it; see docs/security.md.');
    END IF;
    table_arn := @extschema@._table_arn(t.table_name);

    IF export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' THEN
        IF incremental_export_specification IS NOT NULL THEN
            ok := @extschema@._raise('ValidationException',
                'IncrementalExportSpecification is only valid for an export of type INCREMENTAL_EXPORT');
        END IF;
        -- ExportTime: NULL or now(), the table as this transaction sees it;
        -- in the past, the table as the stream log says it was then
        IF export_time OPERATOR(pg_catalog.>) pg_catalog.now() THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('ExportTime %s is in the future', @extschema@._export_iso(export_time)),
                'A full export is a snapshot of the table at a time in the past, or now.');
        END IF;
        as_of := COALESCE(export_time OPERATOR(pg_catalog.<) pg_catalog.now(), false);
        IF NOT as_of THEN
            export_time := pg_catalog.now();
            IF t.kind OPERATOR(pg_catalog.<>) 'item' AND NOT t.stream_enabled THEN
                ok := @extschema@._raise('ValidationException',
                    pg_catalog.format('Full export of %s is not supported: it is an ordinary table without a stream', t.table_name),
                    'A full export of an ordinary table writes its rows as its stream''s records carry them; enable a stream first.');
            END IF;
        END IF;
    ELSE
        IF export_time IS NOT NULL THEN
            ok := @extschema@._raise('ValidationException',
                'ExportTime is not valid for an export of type INCREMENTAL_EXPORT; use IncrementalExportSpecification');
        END IF;
        IF incremental_export_specification IS NULL
           OR pg_catalog.jsonb_typeof(incremental_export_specification) OPERATOR(pg_catalog.<>) 'object' THEN
            ok := @extschema@._raise('ValidationException',
                'IncrementalExportSpecification must be provided for an export of type INCREMENTAL_EXPORT',
                'Give {"ExportFromTime": <epoch seconds>, "ExportToTime": <epoch seconds>, "ExportViewType": "NEW_AND_OLD_IMAGES" | "NEW_IMAGE"}.');
        END IF;
        IF EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(incremental_export_specification) k
                    WHERE k NOT IN ('ExportFromTime', 'ExportToTime', 'ExportViewType')) THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Unknown member of IncrementalExportSpecification: %s',
                    (SELECT pg_catalog.min(k) FROM pg_catalog.jsonb_object_keys(incremental_export_specification) k
                      WHERE k NOT IN ('ExportFromTime', 'ExportToTime', 'ExportViewType'))));
        END IF;
        IF pg_catalog.jsonb_typeof(incremental_export_specification OPERATOR(pg_catalog.->) 'ExportFromTime')
           IS DISTINCT FROM 'number' THEN
            ok := @extschema@._invalid_parameter(incremental_export_specification OPERATOR(pg_catalog.->>) 'ExportFromTime',
                'incrementalExportSpecification.exportFromTime', 'Member must be a number of epoch seconds');
        END IF;
        IF incremental_export_specification OPERATOR(pg_catalog.?) 'ExportToTime'
           AND pg_catalog.jsonb_typeof(incremental_export_specification OPERATOR(pg_catalog.->) 'ExportToTime')
               OPERATOR(pg_catalog.<>) 'number' THEN
            ok := @extschema@._invalid_parameter(incremental_export_specification OPERATOR(pg_catalog.->>) 'ExportToTime',
                'incrementalExportSpecification.exportToTime', 'Member must be a number of epoch seconds');
        END IF;
        from_time := pg_catalog.to_timestamp((incremental_export_specification OPERATOR(pg_catalog.->>) 'ExportFromTime')::float8);
        to_time := COALESCE(pg_catalog.to_timestamp((incremental_export_specification OPERATOR(pg_catalog.->>) 'ExportToTime')::float8),
                            pg_catalog.now());
        view_type := COALESCE(incremental_export_specification OPERATOR(pg_catalog.->>) 'ExportViewType', 'NEW_AND_OLD_IMAGES');
        IF view_type NOT IN ('NEW_AND_OLD_IMAGES', 'NEW_IMAGE') THEN
            ok := @extschema@._invalid_parameter(view_type, 'incrementalExportSpecification.exportViewType',
                'Member must satisfy enum value set: [NEW_IMAGE, NEW_AND_OLD_IMAGES]');
        END IF;
        IF from_time OPERATOR(pg_catalog.>=) to_time THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('ExportFromTime %s must be before ExportToTime %s', from_time, to_time));
        END IF;
        IF to_time OPERATOR(pg_catalog.>) pg_catalog.now() THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('ExportToTime %s is in the future', to_time));
        END IF;
        -- the streams of this table that overlap the window
        SELECT pg_catalog.array_agg(s.stream_id ORDER BY s.stream_id),
               pg_catalog.min(s.stream_view_type) FILTER (WHERE NOT (s.stream_view_type OPERATOR(pg_catalog.=) 'NEW_AND_OLD_IMAGES'
                   OR (view_type OPERATOR(pg_catalog.=) 'NEW_IMAGE' AND s.stream_view_type OPERATOR(pg_catalog.=) 'NEW_IMAGE')))
          INTO stream_ids, bad_view
          FROM @extschema@._streams s
         WHERE s.relid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
           AND s.created_at OPERATOR(pg_catalog.<) to_time
           AND (s.disabled_at IS NULL OR s.disabled_at OPERATOR(pg_catalog.>=) from_time);
        IF stream_ids IS NULL THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Table %s had no stream between ExportFromTime and ExportToTime', t.table_name),
                'An incremental export reads the table''s stream log; enable a stream with NEW_AND_OLD_IMAGES or NEW_IMAGE first.');
        END IF;
        IF bad_view IS NOT NULL THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('An incremental export with ExportViewType %s needs a stream that carries those images; the stream of %s has StreamViewType %s',
                                  view_type, t.table_name, bad_view));
        END IF;
    END IF;

    -- ExportId: 14 digits of milliseconds and 8 hex digits, as DynamoDB's
    export_id := pg_catalog.lpad(pg_catalog.floor(pg_catalog.date_part('epoch', started) OPERATOR(pg_catalog.*) 1000)::bigint::text, 14, '0')
                 OPERATOR(pg_catalog.||) '-' OPERATOR(pg_catalog.||)
                 pg_catalog.substr(pg_catalog.md5(pg_catalog.random()::text OPERATOR(pg_catalog.||) started::text), 1, 8);
    export_arn := table_arn OPERATOR(pg_catalog.||) '/export/' OPERATOR(pg_catalog.||) export_id;
    directory := pg_catalog.rtrim(directory, '/');
    export_dir := directory OPERATOR(pg_catalog.||) '/AWSDynamoDB/' OPERATOR(pg_catalog.||) export_id;
    -- full exports keep their data under the export; incremental exports
    -- share AWSDynamoDB/data/
    data_key := CASE WHEN export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT'
                     THEN 'AWSDynamoDB/' OPERATOR(pg_catalog.||) export_id OPERATOR(pg_catalog.||) '/data/'
                     ELSE 'AWSDynamoDB/data/' END
                OPERATOR(pg_catalog.||) pg_catalog.substr(pg_catalog.md5(export_id OPERATOR(pg_catalog.||) pg_catalog.random()::text), 1, 26)
                OPERATOR(pg_catalog.||) '.json.gz';
    data_dir := directory OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||)
                pg_catalog.regexp_replace(data_key, '/[^/]*$', '');
    -- a past time: the items then, from the log, kept before any file is
    -- written (table_as_of raises when the log cannot tell)
    IF as_of THEN
        CREATE TEMP TABLE _dynamo_export_items ON COMMIT DROP AS
            SELECT a.item FROM @extschema@.table_as_of(t.table_name, export_time) a(item);
    END IF;
    PERFORM @extschema@._export_mkdir(export_dir);
    PERFORM @extschema@._export_mkdir(data_dir);
    PERFORM @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/_started', 'SELECT NULL::text', false);

    IF as_of AND t.kind OPERATOR(pg_catalog.=) 'item' THEN
        q := 'SELECT ''{"Item":'' OPERATOR(pg_catalog.||) @extschema@._item_json(t.item) OPERATOR(pg_catalog.||) ''}'' FROM pg_temp._dynamo_export_items t';
    ELSIF as_of THEN
        -- a row's attributes in column order, as the plugin writes them
        -- (attributes of columns dropped since: after them)
        q := pg_catalog.format($q$
    SELECT '{"Item":{' OPERATOR(pg_catalog.||)
           (SELECT pg_catalog.string_agg(pg_catalog.substr(x.m, 2, pg_catalog.length(x.m) OPERATOR(pg_catalog.-) 2), ','
                                         ORDER BY a.attnum NULLS LAST, k.ord)
              FROM pg_catalog.jsonb_each(t.item) WITH ORDINALITY k(key, value, ord)
              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) %s
               AND a.attname::text OPERATOR(pg_catalog.=) k.key AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped,
                   LATERAL (SELECT @extschema@._item_json(pg_catalog.jsonb_build_object(k.key, k.value)) m) x)
           OPERATOR(pg_catalog.||) '}}'
      FROM pg_temp._dynamo_export_items t$q$, t.relid::pg_catalog.oid);
    ELSIF export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' AND t.kind OPERATOR(pg_catalog.=) 'item' THEN
        q := pg_catalog.format('SELECT ''{"Item":'' OPERATOR(pg_catalog.||) @extschema@._item_json(t.item) OPERATOR(pg_catalog.||) ''}'' FROM %s t',
                               t.relid);
    ELSIF export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' THEN
        q := pg_catalog.format('SELECT ''{"Item":'' OPERATOR(pg_catalog.||) @extschema@._row_item(%L::pg_catalog.regclass, t) OPERATOR(pg_catalog.||) ''}'' FROM %s t',
                               t.relid::pg_catalog.oid, t.relid);
    ELSE
        q := @extschema@._incremental_export_query(stream_ids, from_time, to_time, view_type);
    END IF;
    written := @extschema@._export_write_file(directory OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) data_key, q, true)::jsonb;
    IF as_of THEN
        DROP TABLE pg_temp._dynamo_export_items;
    END IF;

    -- manifest-files.json: one line per data file
    files_line := '{"itemCount":' OPERATOR(pg_catalog.||) (written OPERATOR(pg_catalog.->>) 'itemCount')
        OPERATOR(pg_catalog.||) ',"md5Checksum":' OPERATOR(pg_catalog.||) pg_catalog.to_json(written OPERATOR(pg_catalog.->>) 'md5Checksum')::text
        OPERATOR(pg_catalog.||) ',"etag":' OPERATOR(pg_catalog.||) pg_catalog.to_json(written OPERATOR(pg_catalog.->>) 'etag')::text
        OPERATOR(pg_catalog.||) ',"dataFileS3Key":' OPERATOR(pg_catalog.||) pg_catalog.to_json(data_key)::text OPERATOR(pg_catalog.||) '}';
    m := @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/manifest-files.json',
                                        'SELECT ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(files_line), false)::jsonb;
    PERFORM @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/manifest-files.checksum',
        'SELECT ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(m OPERATOR(pg_catalog.->>) 'etag'), false);

    -- manifest-summary.json, members in DynamoDB's order
    finished := pg_catalog.clock_timestamp();
    summary := '{"version":"2020-06-30","exportArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(export_arn)::text
        OPERATOR(pg_catalog.||) ',"startTime":"' OPERATOR(pg_catalog.||) @extschema@._export_iso(started)
        OPERATOR(pg_catalog.||) '","endTime":"' OPERATOR(pg_catalog.||) @extschema@._export_iso(finished)
        OPERATOR(pg_catalog.||) '","tableArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(table_arn)::text
        OPERATOR(pg_catalog.||) ',"tableId":"' OPERATOR(pg_catalog.||) t.table_id::text OPERATOR(pg_catalog.||) '"'
        OPERATOR(pg_catalog.||) CASE WHEN export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT'
            THEN ',"exportTime":"' OPERATOR(pg_catalog.||) @extschema@._export_iso(export_time) OPERATOR(pg_catalog.||) '"'
            ELSE ',"exportFromTime":"' OPERATOR(pg_catalog.||) @extschema@._export_iso(from_time)
                 OPERATOR(pg_catalog.||) '","exportToTime":"' OPERATOR(pg_catalog.||) @extschema@._export_iso(to_time) OPERATOR(pg_catalog.||) '"' END
        OPERATOR(pg_catalog.||) ',"s3Bucket":' OPERATOR(pg_catalog.||) pg_catalog.to_json(directory)::text
        OPERATOR(pg_catalog.||) ',"s3Prefix":null,"s3SseAlgorithm":null,"s3SseKmsKeyId":null,"manifestFilesS3Key":"AWSDynamoDB/'
        OPERATOR(pg_catalog.||) export_id OPERATOR(pg_catalog.||) '/manifest-files.json","billedSizeBytes":0,"itemCount":'
        OPERATOR(pg_catalog.||) (written OPERATOR(pg_catalog.->>) 'itemCount') OPERATOR(pg_catalog.||) ',"outputFormat":"DYNAMODB_JSON"'
        OPERATOR(pg_catalog.||) CASE WHEN export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' THEN ''
            ELSE ',"outputView":"' OPERATOR(pg_catalog.||) view_type OPERATOR(pg_catalog.||) '","exportType":"INCREMENTAL_EXPORT"' END
        OPERATOR(pg_catalog.||) '}';
    m := @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/manifest-summary.json',
                                        'SELECT ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(summary), false)::jsonb;
    PERFORM @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/manifest-summary.checksum',
        'SELECT ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(m OPERATOR(pg_catalog.->>) 'etag'), false);

    description := pg_catalog.jsonb_build_object(
        'ExportArn', export_arn, 'ExportStatus', 'COMPLETED',
        'StartTime', @extschema@._export_epoch(started), 'EndTime', @extschema@._export_epoch(finished),
        'ExportManifest', 'AWSDynamoDB/' OPERATOR(pg_catalog.||) export_id OPERATOR(pg_catalog.||) '/manifest-summary.json',
        'TableArn', table_arn, 'TableId', t.table_id::text,
        'S3Bucket', directory, 'ExportFormat', 'DYNAMODB_JSON', 'BilledSizeBytes', 0,
        'ItemCount', (written OPERATOR(pg_catalog.->>) 'itemCount')::bigint, 'ExportType', export_type);
    IF export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' THEN
        description := description OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('ExportTime', @extschema@._export_epoch(export_time));
    ELSE
        description := description OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('IncrementalExportSpecification',
            pg_catalog.jsonb_build_object('ExportFromTime', @extschema@._export_epoch(from_time),
                                          'ExportToTime', @extschema@._export_epoch(to_time), 'ExportViewType', view_type));
    END IF;
    RETURN pg_catalog.jsonb_build_object('ExportDescription', description);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.export_table_to_point_in_time(text, text, timestamptz, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.export_table_to_point_in_time(text, text, timestamptz, text, jsonb, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.export_table_to_point_in_time(text, text, timestamptz, text, jsonb, text) IS
    'ExportTableToPointInTime: a full or incremental export in DynamoDB''s S3 export format, written to a server directory';

-- Analytics.  Each function reads the streams of the tables the caller may
-- read (SELECT), and restricts the log by (stream_id, created_at), the
-- index _records_stream_time of each daily partition; a record committed
-- at or after "from" was pumped (arrived_at) after it (give or take the
-- length of a pump step: an hour's margin), so the partitions of earlier
-- days are pruned.

-- The streams of table_name (all tables when NULL) that the caller may read.
CREATE FUNCTION @extschema@._analytics_streams(table_name text) RETURNS SETOF @extschema@._streams
LANGUAGE plpgsql STABLE ROWS 10 SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
    n integer := 0;
BEGIN
    FOR s IN SELECT * FROM @extschema@._streams x
              WHERE _analytics_streams.table_name IS NULL OR x.table_name OPERATOR(pg_catalog.=) _analytics_streams.table_name
              ORDER BY x.stream_id LOOP
        n := n OPERATOR(pg_catalog.+) 1;
        IF _analytics_streams.table_name IS NOT NULL THEN
            ok := @extschema@._stream_require_read(s, 'GetRecords');
        ELSIF NOT COALESCE(@extschema@._stream_readable(s), false) THEN
            CONTINUE;
        END IF;
        RETURN NEXT s;
    END LOOP;
    IF n OPERATOR(pg_catalog.=) 0 AND _analytics_streams.table_name IS NOT NULL THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has no stream');
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._analytics_streams(text) FROM PUBLIC;

-- Check an analytics time range and bucket.
CREATE FUNCTION @extschema@._analytics_check(from_time timestamptz, to_time timestamptz, bucket interval DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF from_time IS NOT NULL AND to_time IS NOT NULL AND from_time OPERATOR(pg_catalog.>) to_time THEN
        ok := @extschema@._raise('ValidationException',
            '1 validation error detected: Value at ''from'' failed to satisfy constraint: Member must not be later than ''to''');
    END IF;
    IF bucket IS NOT NULL AND (pg_catalog.date_part('month', bucket) OPERATOR(pg_catalog.<>) 0
                               OR pg_catalog.date_part('year', bucket) OPERATOR(pg_catalog.<>) 0
                               OR bucket OPERATOR(pg_catalog.<=) interval '0') THEN
        ok := @extschema@._invalid_parameter(bucket::text, 'bucket',
            'Member must be a positive interval of days, hours, minutes or seconds');
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION @extschema@.change_counts(bucket interval DEFAULT interval '1 hour',
                                          "from" timestamptz DEFAULT NULL, "to" timestamptz DEFAULT NULL,
                                          table_filter text DEFAULT NULL)
RETURNS TABLE (table_name text, bucket_start timestamptz, event_name text, changes bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    secs float8;
BEGIN
    IF bucket IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'bucket', 'Member must not be null');
    END IF;
    ok := @extschema@._analytics_check("from", "to", bucket);
    secs := pg_catalog.date_part('epoch', bucket);
    RETURN QUERY
    SELECT s.table_name,
           pg_catalog.to_timestamp(pg_catalog.floor(pg_catalog.date_part('epoch', r.created_at)
                                                    OPERATOR(pg_catalog./) secs) OPERATOR(pg_catalog.*) secs) AS b,
           r.event_name, pg_catalog.count(*)
      FROM @extschema@._analytics_streams(table_filter) s
      JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) s.stream_id
     WHERE r.created_at OPERATOR(pg_catalog.>=) COALESCE("from", '-infinity')
       AND r.created_at OPERATOR(pg_catalog.<) COALESCE("to", 'infinity')
       AND r.arrived_at OPERATOR(pg_catalog.>=) COALESCE("from" OPERATOR(pg_catalog.-) interval '1 hour', '-infinity')
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.change_counts(interval, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.change_counts(interval, timestamptz, timestamptz, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.change_counts(interval, timestamptz, timestamptz, text) IS
    'records per table, time bucket and eventName in [from, to)';

CREATE FUNCTION @extschema@.hot_keys(table_name text, "from" timestamptz DEFAULT NULL,
                                     "to" timestamptz DEFAULT NULL, "limit" integer DEFAULT 10)
RETURNS TABLE (keys jsonb, changes bigint, inserts bigint, modifies bigint, removes bigint,
               first_change timestamptz, last_change timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF table_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    IF "limit" IS NULL OR "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    END IF;
    ok := @extschema@._analytics_check("from", "to");
    RETURN QUERY
    SELECT r.keys::jsonb, pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE r.event_name OPERATOR(pg_catalog.=) 'INSERT'),
           pg_catalog.count(*) FILTER (WHERE r.event_name OPERATOR(pg_catalog.=) 'MODIFY'),
           pg_catalog.count(*) FILTER (WHERE r.event_name OPERATOR(pg_catalog.=) 'REMOVE'),
           pg_catalog.min(r.created_at), pg_catalog.max(r.created_at)
      FROM @extschema@._analytics_streams(hot_keys.table_name) s
      JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) s.stream_id
     WHERE r.created_at OPERATOR(pg_catalog.>=) COALESCE("from", '-infinity')
       AND r.created_at OPERATOR(pg_catalog.<) COALESCE("to", 'infinity')
       AND r.arrived_at OPERATOR(pg_catalog.>=) COALESCE("from" OPERATOR(pg_catalog.-) interval '1 hour', '-infinity')
     GROUP BY r.keys
     ORDER BY 2 DESC, r.keys
     LIMIT "limit";
END
$$;
REVOKE ALL ON FUNCTION @extschema@.hot_keys(text, timestamptz, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.hot_keys(text, timestamptz, timestamptz, integer) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.hot_keys(text, timestamptz, timestamptz, integer) IS
    'the items of a table with the most records in [from, to)';

CREATE FUNCTION @extschema@.item_change_frequency(table_name text, "from" timestamptz DEFAULT NULL,
                                                  "to" timestamptz DEFAULT NULL)
RETURNS TABLE (changes_per_item bigint, items bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF table_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'tableName', 'Member must not be null');
    END IF;
    ok := @extschema@._analytics_check("from", "to");
    RETURN QUERY
    SELECT c.n, pg_catalog.count(*)
      FROM (SELECT pg_catalog.count(*) AS n
              FROM @extschema@._analytics_streams(item_change_frequency.table_name) s
              JOIN @extschema@._records r ON r.stream_id OPERATOR(pg_catalog.=) s.stream_id
             WHERE r.created_at OPERATOR(pg_catalog.>=) COALESCE("from", '-infinity')
               AND r.created_at OPERATOR(pg_catalog.<) COALESCE("to", 'infinity')
               AND r.arrived_at OPERATOR(pg_catalog.>=) COALESCE("from" OPERATOR(pg_catalog.-) interval '1 hour', '-infinity')
             GROUP BY r.keys) c
     GROUP BY c.n
     ORDER BY c.n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.item_change_frequency(text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.item_change_frequency(text, timestamptz, timestamptz) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.item_change_frequency(text, timestamptz, timestamptz) IS
    'how many items of a table changed once, twice, ... in [from, to)';

-- Writes suppressed as no-ops (counted at decode time), per stream and
-- hour, next to the records written in that hour; rows of the streams
-- whose table the current user may read.
CREATE VIEW @extschema@.noop_writes AS
SELECT s.table_name, s.stream_arn, n.bucket, n.suppressed,
       (SELECT pg_catalog.count(*) FROM @extschema@._records r
         WHERE r.stream_id OPERATOR(pg_catalog.=) n.stream_id
           AND r.created_at OPERATOR(pg_catalog.>=) n.bucket
           AND r.created_at OPERATOR(pg_catalog.<) (n.bucket OPERATOR(pg_catalog.+) interval '1 hour')
           AND r.arrived_at OPERATOR(pg_catalog.>=) (n.bucket OPERATOR(pg_catalog.-) interval '1 hour')) AS records
  FROM @extschema@._noop_counts n
  JOIN @extschema@._streams s ON s.stream_id OPERATOR(pg_catalog.=) n.stream_id
 WHERE pg_catalog.has_table_privilege(s.relid, 'SELECT');
GRANT SELECT ON @extschema@.noop_writes TO PUBLIC;
COMMENT ON VIEW @extschema@.noop_writes IS
    'writes suppressed as no-ops (no stream record), per stream and hour, with the records written that hour';
