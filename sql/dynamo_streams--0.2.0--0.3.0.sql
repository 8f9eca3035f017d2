-- dynamo_streams upgrade from 0.2.0 to 0.3.0: event source mappings
-- (consumers, filters, SQL pull and HTTP push delivery, rewind, refire),
-- the pump in process, time travel, replay, import, export and analytics
-- over the stream log.  One section per topic; the install script of
-- 0.3.0 is sql/install/*.sql, and test/t/003_upgrade.pl checks that every
-- earlier version updated through this chain has the same objects.

\echo Use "ALTER EXTENSION dynamo_streams UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Event source mapping catalog and no-op counts (part 60)
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@._event_source_mappings (
    uuid              uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    function_name     text NOT NULL,
    -- arn:aws:lambda:<region>:<account>:function:<function_name>, fixed at creation
    function_arn      text NOT NULL,
    -- the stream read (EventSourceArn is its ARN); a mapping outlives a
    -- disabled stream, as on AWS, and reads it to its end
    stream_id         bigint NOT NULL REFERENCES @extschema@._streams ON DELETE CASCADE,
    event_source_arn  text NOT NULL,
    starting_position text NOT NULL CHECK (starting_position IN ('TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP')),
    starting_position_timestamp timestamptz,
    batch_size        integer NOT NULL DEFAULT 100 CHECK (batch_size BETWEEN 1 AND 10000),
    maximum_batching_window_in_seconds integer NOT NULL DEFAULT 0
                        CHECK (maximum_batching_window_in_seconds BETWEEN 0 AND 300),
    parallelization_factor integer NOT NULL DEFAULT 1 CHECK (parallelization_factor BETWEEN 1 AND 10),
    -- -1: retry until the record expires; N: at most 1 + N deliveries
    maximum_retry_attempts integer NOT NULL DEFAULT -1 CHECK (maximum_retry_attempts BETWEEN -1 AND 10000),
    -- -1: no limit; else 60..604800
    maximum_record_age_in_seconds integer NOT NULL DEFAULT -1
                        CHECK (maximum_record_age_in_seconds = -1
                               OR maximum_record_age_in_seconds BETWEEN 60 AND 604800),
    bisect_batch_on_function_error boolean NOT NULL DEFAULT false,
    -- '{}' or '{ReportBatchItemFailures}'
    function_response_types text[] NOT NULL DEFAULT '{}',
    -- {"Filters":[{"Pattern":"<json text>"}, ...]} as given (validated), or NULL
    filter_criteria   jsonb,
    -- DestinationConfig.OnFailure.Destination (an ARN), or NULL
    destination_on_failure text,
    tumbling_window_in_seconds integer NOT NULL DEFAULT 0 CHECK (tumbling_window_in_seconds BETWEEN 0 AND 900),
    -- an HTTP target for push delivery (docs/http-push.md), or NULL for SQL pull only
    function_url      text,
    enabled           boolean NOT NULL DEFAULT true,
    -- State as AWS shows it: Creating, Enabling, Enabled, Disabling,
    -- Disabled, Updating, Deleting
    state             text NOT NULL DEFAULT 'Enabled',
    state_transition_reason text NOT NULL DEFAULT 'USER_INITIATED',
    -- 'No records processed', 'OK', 'PROBLEM: ...'
    last_processing_result text NOT NULL DEFAULT 'No records processed',
    last_modified     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- the role that created it; delivery reads the stream as this role
    owner             pg_catalog.regrole NOT NULL DEFAULT CURRENT_USER::pg_catalog.regrole,
    CHECK ((starting_position = 'AT_TIMESTAMP') = (starting_position_timestamp IS NOT NULL))
);
CREATE INDEX _event_source_mappings_function ON @extschema@._event_source_mappings (function_name);
CREATE INDEX _event_source_mappings_stream ON @extschema@._event_source_mappings (stream_id);

COMMENT ON TABLE @extschema@._event_source_mappings IS
    'dynamo_streams catalog: event source mappings (consumers of a stream)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@._event_source_mappings', '');
REVOKE ALL ON @extschema@._event_source_mappings FROM PUBLIC;

-- Writes the plugin found to be no-ops (no stream record), counted at
-- decode time and stored by the pump, per stream and hour (analytics,
-- docs/guides/replay-and-analytics.md).
CREATE TABLE @extschema@._noop_counts (
    stream_id         bigint NOT NULL REFERENCES @extschema@._streams ON DELETE CASCADE,
    -- the hour (UTC) of the commits counted
    bucket            timestamptz NOT NULL,
    suppressed        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, bucket)
);
COMMENT ON TABLE @extschema@._noop_counts IS
    'dynamo_streams stream log: writes suppressed as no-ops, per stream and hour';
REVOKE ALL ON @extschema@._noop_counts FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Pump in process (pump-perf): the pump decodes its slot in its own
-- process and bulk-inserts the records (src/pump_decode.c); the SQL step
-- is split into its start and its end, and no-op counts are stored.
-- ---------------------------------------------------------------------
DROP FUNCTION @extschema@._pump_step(bigint);

-- The start of a pump step (src/pump.c; the step runs in the caller's
-- transaction, with the pump's replication origin set up for the session):
-- the pump lock, shard upkeep, the day's partition of _records.  Returns the
-- progress (transactions that committed at or below it are skipped when
-- decoded again), the partition and the slot.  The pump then moves the
-- slot just past the progress, decodes it in its own process and writes the
-- records (src/pump_decode.c).
CREATE FUNCTION @extschema@._pump_begin(OUT done pg_catalog.pg_lsn, OUT part pg_catalog.regclass, OUT slot text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    origin text := @extschema@._pump_origin_name();
    confirmed pg_catalog.pg_lsn;
BEGIN
    slot := @extschema@._pump_slot_name();
    PERFORM @extschema@._pump_lock();
    done := COALESCE(pg_catalog.pg_replication_origin_progress(origin, true), '0/0');
    SELECT r.confirmed_flush_lsn INTO confirmed FROM pg_catalog.pg_replication_slots r
     WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the pump''s replication slot does not exist'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'dynamo.pump() and dynamo.start() create it.';
    END IF;
    PERFORM @extschema@._maintain_shards();
    part := pg_catalog.format('@extschema@.%I', @extschema@._records_partition(pg_catalog.now()))::pg_catalog.regclass;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_begin() FROM PUBLIC;

-- The end of a pump step, after its records are written: the no-op counts
-- (per stream and hour of commit), the progress (last_lsn, the commit LSN
-- of the last transaction taken) committing with them through the origin,
-- closed shards that got late records, the pump's row; when caught up, the
-- shards of disabled streams closed.
CREATE FUNCTION @extschema@._pump_end(pumped bigint, last_lsn pg_catalog.pg_lsn, more boolean,
                                      upto pg_catalog.pg_lsn, taken boolean, noop_streams bigint[],
                                      noop_buckets timestamptz[], noop_counts bigint[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF taken THEN
        -- progress commits with the records (the session has the origin)
        PERFORM pg_catalog.pg_replication_origin_xact_setup(last_lsn, pg_catalog.now());
    END IF;
    IF pg_catalog.cardinality(noop_streams) OPERATOR(pg_catalog.>) 0 THEN
        INSERT INTO @extschema@._noop_counts AS n (stream_id, bucket, suppressed)
        SELECT u.s, u.b, u.c
          FROM ROWS FROM (pg_catalog.unnest(noop_streams), pg_catalog.unnest(noop_buckets),
                          pg_catalog.unnest(noop_counts)) u(s, b, c)
            ON CONFLICT (stream_id, bucket) DO UPDATE
           SET suppressed = n.suppressed OPERATOR(pg_catalog.+) excluded.suppressed;
    END IF;
    IF pumped OPERATOR(pg_catalog.>) 0 THEN
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
       SET pumped_through = CASE WHEN more THEN GREATEST(p.pumped_through, @extschema@._lsn_next(last_lsn))
                                 ELSE GREATEST(p.pumped_through, upto) END,
           last_step_at = pg_catalog.now(),
           records = p.records OPERATOR(pg_catalog.+) pumped;
    IF NOT more THEN
        -- caught up: close the shards of streams disabled before upto now
        PERFORM @extschema@._maintain_shards();
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_end(bigint, pg_catalog.pg_lsn, boolean, pg_catalog.pg_lsn, boolean,
                                             bigint[], timestamptz[], bigint[]) FROM PUBLIC;
-- ---------------------------------------------------------------------
-- Export and analytics (export)
-- ---------------------------------------------------------------------

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
        -- the table as this transaction sees it: export_time must be now
        IF export_time IS NOT NULL AND export_time OPERATOR(pg_catalog.<>) pg_catalog.now() THEN
            ok := @extschema@._raise('ValidationException',
                'ExportTime must be the present time for a full export',
                'A full export reads the table as the calling transaction sees it, at now() (docs/deviations.md).',
                'Leave export_time NULL, or rebuild the table at that time first with the history functions.');
        END IF;
        IF t.kind OPERATOR(pg_catalog.<>) 'item' THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Full export of %s is not supported: it is not an item table', t.table_name),
                'A full export writes the items of an item table; an ordinary stream-enabled table can be exported incrementally (docs/deviations.md).');
        END IF;
        export_time := pg_catalog.now();
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
    PERFORM @extschema@._export_mkdir(export_dir);
    PERFORM @extschema@._export_mkdir(data_dir);
    PERFORM @extschema@._export_write_file(export_dir OPERATOR(pg_catalog.||) '/_started', 'SELECT NULL::text', false);

    IF export_type OPERATOR(pg_catalog.=) 'FULL_EXPORT' THEN
        q := pg_catalog.format('SELECT ''{"Item":'' OPERATOR(pg_catalog.||) @extschema@._item_json(t.item) OPERATOR(pg_catalog.||) ''}'' FROM %s t',
                               t.relid);
    ELSE
        q := @extschema@._incremental_export_query(stream_ids, from_time, to_time, view_type);
    END IF;
    written := @extschema@._export_write_file(directory OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) data_key, q, true)::jsonb;

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
-- ---------------------------------------------------------------------
-- Replay and time travel (replay)
-- (part 72, sql/install/72_replay.sql)
-- ---------------------------------------------------------------------

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
-- the index _records_key finds its records in every stream of the table.
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
-- ---------------------------------------------------------------------
-- Consumers: delivery (esm-delivery)
-- ---------------------------------------------------------------------

-- dynamo_streams install script, part 62: delivery for event source
-- mappings (SPEC 4.7, docs/consumers.md "Delivery").
--
-- A mapping (part 60) reads its stream shard by shard.  Its progress is
-- kept per shard and per lane in dynamo._esm_shards: with
-- parallelization_factor N a shard has N lanes, and a record belongs to the
-- lane its partition key hashes to, so that records of one partition key
-- stay in order while N batches of the shard are in flight.  A lane has at
-- most one batch in flight (dynamo._esm_batches); its checkpoint is the
-- sequence number after which records are still to be delivered.
--
--   _lease_batch(mapping, lease_seconds)  the next batch: a lane row is
--       locked with FOR UPDATE SKIP LOCKED, so concurrent callers never get
--       the same lane, and a batch row with a lease (visibility timeout) is
--       written; parents before children: a shard's lanes are leased only
--       once every lane of its parent is done.
--   complete_batch(batch_id, response)  the function's answer: the partial
--       batch response table of SPEC 4.7 (only with ReportBatchItemFailures).
--   fail_batch(batch_id, error)  a function error (bisect if enabled).
--   An expired lease counts as a failed attempt (fail_batch 'timeout'),
--   applied by the next _lease_batch of the mapping.
--
-- The checkpoint moves in the transaction that completes the batch, with
-- the on-failure record when the batch is discarded, so both are written
-- exactly once; delivery is at least once (a lease lost to a crash or a
-- timeout delivers the same records again).

-- Per mapping, shard and lane: the checkpoint and the state of delivery.
CREATE TABLE @extschema@._esm_shards (
    mapping           uuid NOT NULL REFERENCES @extschema@._event_source_mappings (uuid) ON DELETE CASCADE,
    shard_id          text NOT NULL,
    -- records of this lane after this sequence number are still to be
    -- delivered ('' = from the start of the shard); rewind moves it back
    checkpoint_seq    text COLLATE "C" NOT NULL DEFAULT '',
    -- the lane (0 .. lanes - 1) of parallelization_factor = lanes
    lane              integer NOT NULL DEFAULT 0,
    lanes             integer NOT NULL DEFAULT 1,
    shard_no          bigint NOT NULL,
    -- the batch in flight and its lease
    batch_id          bigint,
    leased_until      timestamptz,
    -- failed deliveries of the records at the checkpoint (reset by success)
    attempts          integer NOT NULL DEFAULT 0,
    -- bisect_batch_on_function_error: the ends of the halves still to be
    -- delivered, first the next one (a stack)
    bisect_ends       text[] COLLATE "C" NOT NULL DEFAULT '{}',
    -- tumbling windows: the window being processed, its state (JSON text)
    -- and whether it ended early (the state exceeded 1 MB)
    window_start      timestamptz,
    window_state      text,
    window_early      boolean NOT NULL DEFAULT false,
    -- closed shard, every record of the lane delivered or discarded
    done              boolean NOT NULL DEFAULT false,
    -- records delivered and acknowledged, discarded (on-failure), filtered out
    processed         bigint NOT NULL DEFAULT 0,
    failed            bigint NOT NULL DEFAULT 0,
    filtered          bigint NOT NULL DEFAULT 0,
    last_batch_at     timestamptz,
    PRIMARY KEY (mapping, shard_id, lane),
    CHECK (lane >= 0 AND lane < lanes)
);
-- the lanes still to read, in the order leases look at them
CREATE INDEX _esm_shards_open ON @extschema@._esm_shards (mapping, shard_no, lane) WHERE NOT done;
COMMENT ON TABLE @extschema@._esm_shards IS
    'dynamo_streams consumers: checkpoint and delivery state per mapping, shard and lane';
REVOKE ALL ON @extschema@._esm_shards FROM PUBLIC;

-- The batches in flight (one per lane at most); a batch row goes when the
-- batch is completed, failed or superseded.
CREATE TABLE @extschema@._esm_batches (
    batch_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mapping           uuid NOT NULL REFERENCES @extschema@._event_source_mappings (uuid) ON DELETE CASCADE,
    shard_id          text NOT NULL,
    lane              integer NOT NULL,
    -- the invocation's request id (on-failure records carry it)
    request_id        uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    -- the records delivered, in order, and the filtered-out records among them
    seqs              text[] COLLATE "C" NOT NULL,
    filtered_seqs     text[] COLLATE "C" NOT NULL DEFAULT '{}',
    -- the checkpoint after the batch (NULL: an empty final window invoke)
    last_seq          text COLLATE "C",
    -- this delivery of the records is attempt number attempt (1 = first)
    attempt           integer NOT NULL,
    window_start      timestamptz,
    window_final      boolean NOT NULL DEFAULT false,
    leased_at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    leased_until      timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@._esm_batches IS
    'dynamo_streams consumers: batches leased and not yet completed';
REVOKE ALL ON @extschema@._esm_batches FROM PUBLIC;

-- On-failure records: batches discarded after retries were exhausted or
-- records grew too old, in the JSON AWS writes to an on-failure destination.
CREATE TABLE @extschema@._esm_failures (
    failure_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mapping           uuid NOT NULL,
    function_name     text NOT NULL,
    shard_id          text NOT NULL,
    -- RetryAttemptsExhausted or RecordAgeExceeded
    condition         text NOT NULL,
    -- DestinationConfig.OnFailure.Destination when it was written, or NULL
    destination       text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    -- the on-failure record, byte for byte as AWS writes it
    record            json NOT NULL
);
CREATE INDEX _esm_failures_mapping ON @extschema@._esm_failures (mapping, failure_id);
COMMENT ON TABLE @extschema@._esm_failures IS
    'dynamo_streams consumers: on-failure records of discarded batches';
REVOKE ALL ON @extschema@._esm_failures FROM PUBLIC;

CREATE VIEW @extschema@.event_source_mapping_failures AS
SELECT f.failure_id, f.mapping AS uuid, f.function_name, f.shard_id, f.condition, f.destination,
       f.created_at, f.record
  FROM @extschema@._esm_failures f;
COMMENT ON VIEW @extschema@.event_source_mapping_failures IS
    'on-failure records of event source mappings (one per discarded batch)';
REVOKE ALL ON @extschema@.event_source_mapping_failures FROM PUBLIC;

-- The lane (0 .. lanes - 1) of a record: a hash of its partition key
-- (the hash key attribute of keys; all of keys when the table has none).
CREATE FUNCTION @extschema@._esm_lane(keys text, hash_key text, lanes integer) RETURNS integer
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN lanes OPERATOR(pg_catalog.<=) 1 THEN 0 ELSE
        ((pg_catalog.hashtext(COALESCE((keys::jsonb OPERATOR(pg_catalog.->) hash_key)::text, keys))
          OPERATOR(pg_catalog.%) lanes) OPERATOR(pg_catalog.+) lanes) OPERATOR(pg_catalog.%) lanes END
$$;

-- A time as AWS writes it in on-failure records and windows:
-- 2022-07-13T13:48:01Z (ms: 2022-07-13T13:48:01.000Z).
CREATE FUNCTION @extschema@._esm_time(t timestamptz, ms boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC',
                              CASE WHEN ms THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS"Z"' END)
$$;

-- The start of the tumbling window of width seconds that holds t.
CREATE FUNCTION @extschema@._esm_window(t timestamptz, width integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_timestamp(pg_catalog.floor(EXTRACT(epoch FROM t) OPERATOR(pg_catalog./) width)
                                   OPERATOR(pg_catalog.*) width)
$$;

-- The lane rows of a mapping: one per shard of its stream and lane, made
-- when missing.  The first time (no row yet) the starting position places
-- the checkpoints; shards made later start at their beginning.  A changed
-- parallelization_factor re-lanes a shard with nothing in flight, from
-- before the first record that one of its lanes still had to deliver
-- (records of other lanes after it may come again).
CREATE FUNCTION @extschema@._esm_init_shards(mapping uuid) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m @extschema@._event_source_mappings;
    first_time boolean;
    hash_key text;
    n integer;
BEGIN
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) _esm_init_shards.mapping;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    first_time := NOT EXISTS (SELECT FROM @extschema@._esm_shards e WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid);
    SELECT t.hash_key INTO hash_key FROM @extschema@._tables t JOIN @extschema@._streams s
        ON s.relid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
     WHERE s.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    -- re-lane shards whose lane count changed and have nothing in flight
    WITH old AS (
        DELETE FROM @extschema@._esm_shards e
         WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid
           AND e.lanes OPERATOR(pg_catalog.<>) m.parallelization_factor
           AND NOT EXISTS (SELECT FROM @extschema@._esm_shards f
                            WHERE f.mapping OPERATOR(pg_catalog.=) e.mapping
                              AND f.shard_id OPERATOR(pg_catalog.=) e.shard_id AND f.batch_id IS NOT NULL)
        RETURNING e.*),
    per_shard AS (
        -- the checkpoint below the first record any old lane still has to
        -- deliver (the last record when they are all caught up)
        SELECT o.shard_id, o.shard_no,
               COALESCE((SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                          WHERE r.shard_no OPERATOR(pg_catalog.=) o.shard_no
                            AND r.sequence_number OPERATOR(pg_catalog.<) pg_catalog.min(
                                (SELECT pg_catalog.min(x.sequence_number) FROM @extschema@._records x
                                  WHERE x.shard_no OPERATOR(pg_catalog.=) o.shard_no
                                    AND x.sequence_number OPERATOR(pg_catalog.>) o.checkpoint_seq
                                    AND @extschema@._esm_lane(x.keys, hash_key, o.lanes) OPERATOR(pg_catalog.=) o.lane)
                                ) COLLATE "C"),
                        pg_catalog.max(o.checkpoint_seq)) AS checkpoint_seq,
               pg_catalog.bool_and(o.done) AS done, pg_catalog.sum(o.processed) AS processed,
               pg_catalog.sum(o.failed) AS failed, pg_catalog.sum(o.filtered) AS filtered
          FROM old o GROUP BY o.shard_id, o.shard_no)
    INSERT INTO @extschema@._esm_shards (mapping, shard_id, checkpoint_seq, lane, lanes, shard_no, done,
                                         processed, failed, filtered)
    SELECT m.uuid, p.shard_id, p.checkpoint_seq, g, m.parallelization_factor, p.shard_no, p.done,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.processed ELSE 0 END,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.failed ELSE 0 END,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.filtered ELSE 0 END
      FROM per_shard p, pg_catalog.generate_series(0, m.parallelization_factor OPERATOR(pg_catalog.-) 1) g
    ON CONFLICT DO NOTHING;
    INSERT INTO @extschema@._esm_shards (mapping, shard_id, checkpoint_seq, lane, lanes, shard_no)
    SELECT m.uuid, h.shard_id,
           CASE WHEN NOT first_time OR m.starting_position OPERATOR(pg_catalog.=) 'TRIM_HORIZON' THEN ''
                -- LATEST: after the records made before the mapping
                ELSE COALESCE((SELECT r.sequence_number FROM @extschema@._records r
                                WHERE r.shard_no OPERATOR(pg_catalog.=) h.shard_no
                                  AND r.created_at OPERATOR(pg_catalog.<)
                                      COALESCE(m.starting_position_timestamp, m.created_at)
                                ORDER BY r.sequence_number DESC LIMIT 1), '') END,
           g, m.parallelization_factor, h.shard_no
      FROM @extschema@._shards h, pg_catalog.generate_series(0, m.parallelization_factor OPERATOR(pg_catalog.-) 1) g
     WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id
       AND NOT EXISTS (SELECT FROM @extschema@._esm_shards e
                        WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND e.shard_id OPERATOR(pg_catalog.=) h.shard_id)
    ORDER BY h.shard_no, g
    -- a concurrent first lease made them
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_init_shards(uuid) FROM PUBLIC;

-- The records of a lane after sequence number low (and at most high), in
-- order, at most n of them: rendered as Lambda records, with whether they
-- pass the mapping's filter criteria.
CREATE FUNCTION @extschema@._esm_candidates(m @extschema@._event_source_mappings, s @extschema@._streams,
                                            l @extschema@._esm_shards, low text, high text, n integer)
RETURNS TABLE (k bigint, seq text, created_at timestamptz, arrived_at timestamptz, rec text, keep boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    hash_key text;
BEGIN
    IF l.lanes OPERATOR(pg_catalog.>) 1 THEN
        SELECT t.hash_key INTO hash_key FROM @extschema@._tables t
         WHERE t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    END IF;
    RETURN QUERY
    SELECT pg_catalog.row_number() OVER (ORDER BY x.sequence_number), x.sequence_number::text, x.created_at,
           x.arrived_at, x.rec,
           m.filter_criteria IS NULL OR @extschema@._filter_criteria_match(m.filter_criteria, x.rec::jsonb)
      FROM (SELECT r.sequence_number, r.created_at, r.arrived_at,
                   @extschema@.render_record('lambda', s.stream_arn, s.stream_view_type, r.event_name,
                       r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image,
                       r.size_bytes, r.ttl, r.omitted) AS rec
              FROM @extschema@._records r
             WHERE r.shard_no OPERATOR(pg_catalog.=) l.shard_no
               AND r.sequence_number OPERATOR(pg_catalog.>) low COLLATE "C"
               AND (high IS NULL OR r.sequence_number OPERATOR(pg_catalog.<=) high COLLATE "C")
               AND (l.lanes OPERATOR(pg_catalog.=) 1
                    OR @extschema@._esm_lane(r.keys, hash_key, l.lanes) OPERATOR(pg_catalog.=) l.lane)
             ORDER BY r.sequence_number
             LIMIT n) x
     ORDER BY x.sequence_number;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_candidates(@extschema@._event_source_mappings, @extschema@._streams,
                                                   @extschema@._esm_shards, text, text, integer) FROM PUBLIC;

-- Write the on-failure record of the records seqs (in order) of a lane's
-- shard: condition RetryAttemptsExhausted (with responseContext;
-- function_error NULL is JSON null) or RecordAgeExceeded (without), in the
-- JSON AWS writes; an S3 destination's record also carries the records
-- under payload.Records.
CREATE FUNCTION @extschema@._esm_write_failure(m @extschema@._event_source_mappings, shard_id text,
                                               seqs text[], condition text, invoke_count integer,
                                               function_error text, request_id uuid)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s @extschema@._streams;
    first_at timestamptz;
    last_at timestamptz;
    payload text;
    doc text;
BEGIN
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    SELECT pg_catalog.min(r.created_at), pg_catalog.max(r.created_at),
           pg_catalog.string_agg(@extschema@.render_record('lambda', s.stream_arn, s.stream_view_type, r.event_name,
                                     r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image,
                                     r.size_bytes, r.ttl, r.omitted), ',' ORDER BY r.sequence_number)
      INTO first_at, last_at, payload
      FROM @extschema@._records r JOIN @extschema@._shards h USING (shard_no)
     WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id AND h.shard_id OPERATOR(pg_catalog.=) _esm_write_failure.shard_id
       AND r.sequence_number OPERATOR(pg_catalog.=) ANY (seqs);
    doc := '{"requestContext":{"requestId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(request_id::text)::text
        OPERATOR(pg_catalog.||) ',"functionArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(m.function_arn)::text
        OPERATOR(pg_catalog.||) ',"condition":' OPERATOR(pg_catalog.||) pg_catalog.to_json(condition)::text
        OPERATOR(pg_catalog.||) ',"approximateInvokeCount":' OPERATOR(pg_catalog.||) invoke_count::text
        OPERATOR(pg_catalog.||) '}'
        OPERATOR(pg_catalog.||) CASE WHEN condition OPERATOR(pg_catalog.=) 'RecordAgeExceeded' THEN '' ELSE
            ',"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":'
            OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(function_error)::text, 'null') OPERATOR(pg_catalog.||) '}' END
        OPERATOR(pg_catalog.||) ',"version":"1.0","timestamp":'
        OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(pg_catalog.clock_timestamp(), true))::text
        OPERATOR(pg_catalog.||) ',"DDBStreamBatchInfo":{"shardId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(shard_id)::text
        OPERATOR(pg_catalog.||) ',"startSequenceNumber":' OPERATOR(pg_catalog.||) pg_catalog.to_json(seqs[1]::text)::text
        OPERATOR(pg_catalog.||) ',"endSequenceNumber":'
        OPERATOR(pg_catalog.||) pg_catalog.to_json(seqs[pg_catalog.cardinality(seqs)]::text)::text
        OPERATOR(pg_catalog.||) ',"approximateArrivalOfFirstRecord":'
        OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(@extschema@._esm_time(first_at))::text, 'null')
        OPERATOR(pg_catalog.||) ',"approximateArrivalOfLastRecord":'
        OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(@extschema@._esm_time(last_at))::text, 'null')
        OPERATOR(pg_catalog.||) ',"batchSize":' OPERATOR(pg_catalog.||) pg_catalog.cardinality(seqs)::text
        OPERATOR(pg_catalog.||) ',"streamArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(s.stream_arn)::text
        OPERATOR(pg_catalog.||) '}'
        OPERATOR(pg_catalog.||) CASE WHEN m.destination_on_failure LIKE 'arn:aws:s3:%' THEN
            ',"payload":{"Records":[' OPERATOR(pg_catalog.||) COALESCE(payload, '') OPERATOR(pg_catalog.||) ']}' ELSE '' END
        OPERATOR(pg_catalog.||) '}';
    INSERT INTO @extschema@._esm_failures (mapping, function_name, shard_id, condition, destination, record)
    VALUES (m.uuid, m.function_name, shard_id, condition, m.destination_on_failure, doc::json);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_write_failure(@extschema@._event_source_mappings, text, text[], text,
                                                      integer, text, uuid) FROM PUBLIC;

-- Mark the mapping's LastProcessingResult (only when it changes: the
-- mapping row is shared by every lane).
CREATE FUNCTION @extschema@._esm_result(mapping uuid, result text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE @extschema@._event_source_mappings m SET last_processing_result = result
     WHERE m.uuid OPERATOR(pg_catalog.=) mapping AND m.last_processing_result OPERATOR(pg_catalog.<>) result
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_result(uuid, text) FROM PUBLIC;

-- Try to lease the next batch of one lane (locked by the caller).  Returns
-- NULL when the lane has nothing to deliver now.
CREATE FUNCTION @extschema@._esm_lease_lane(m @extschema@._event_source_mappings, s @extschema@._streams,
                                            l @extschema@._esm_shards, lease_seconds integer,
                                            OUT batch_id bigint, OUT event text, OUT finished boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h @extschema@._shards;
    now_ts timestamptz := pg_catalog.clock_timestamp();
    low text;
    high text;
    cutoff timestamptz;
    width integer := m.tumbling_window_in_seconds;
    old_seqs text[];
    old_all text[];
    old_kept integer;
    seqs text[];
    fseqs text[];
    body text;
    last_seq text;
    n_keep integer;
    more boolean;
    hash_key text;
    first_created timestamptz;
    win timestamptz;
    next_created timestamptz;
    final boolean := false;
    guard integer := 0;
BEGIN
    finished := false;
    SELECT * INTO h FROM @extschema@._shards x WHERE x.shard_no OPERATOR(pg_catalog.=) l.shard_no;
    IF l.lanes OPERATOR(pg_catalog.>) 1 THEN
        SELECT t.hash_key INTO hash_key FROM @extschema@._tables t
         WHERE t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    END IF;
    LOOP
        guard := guard OPERATOR(pg_catalog.+) 1;
        low := GREATEST(l.checkpoint_seq, COALESCE(h.trimmed_seq, ''));
        high := l.bisect_ends[1];
        -- records older than maximum_record_age_in_seconds are never
        -- delivered: discarded with a RecordAgeExceeded record
        IF m.maximum_record_age_in_seconds OPERATOR(pg_catalog.<>) -1 THEN
            cutoff := now_ts OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => m.maximum_record_age_in_seconds);
            SELECT pg_catalog.array_agg(c.seq ORDER BY c.k) FILTER (WHERE c.keep),
                   pg_catalog.array_agg(c.seq ORDER BY c.k)
              INTO old_seqs, old_all
              FROM @extschema@._esm_candidates(m, s, l, low, NULL, m.batch_size) c
             WHERE c.created_at OPERATOR(pg_catalog.<) cutoff;
            IF old_all IS NOT NULL THEN
                old_kept := COALESCE(pg_catalog.cardinality(old_seqs), 0);
                IF old_kept OPERATOR(pg_catalog.>) 0 THEN
                    PERFORM @extschema@._esm_write_failure(m, l.shard_id, old_seqs, 'RecordAgeExceeded',
                                                           l.attempts, NULL, pg_catalog.gen_random_uuid());
                    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Record age exceeded');
                END IF;
                UPDATE @extschema@._esm_shards e
                   SET checkpoint_seq = old_all[pg_catalog.cardinality(old_all)], attempts = 0,
                       bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(b ORDER BY o), '{}')
                                        FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(b, o)
                                       WHERE b OPERATOR(pg_catalog.>) old_all[pg_catalog.cardinality(old_all)]),
                       failed = e.failed OPERATOR(pg_catalog.+) old_kept,
                       filtered = e.filtered OPERATOR(pg_catalog.+) (pg_catalog.cardinality(old_all) OPERATOR(pg_catalog.-) old_kept)
                 WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
                   AND e.lane OPERATOR(pg_catalog.=) l.lane
                RETURNING * INTO l;
                CONTINUE;
            END IF;
        END IF;
        -- the candidates: up to batch_size records that pass the filter,
        -- at most 6 MB of them with the envelope (6291456 - 512 bytes; the
        -- first always goes), of one window
        SELECT pg_catalog.array_agg(p.seq ORDER BY p.k) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.array_agg(p.seq ORDER BY p.k) FILTER (WHERE p.taken AND NOT p.keep),
               pg_catalog.string_agg(p.rec, ',' ORDER BY p.k) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.max(p.seq COLLATE "C") FILTER (WHERE p.taken),
               pg_catalog.count(*) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.bool_or(NOT p.taken),
               pg_catalog.min(p.created_at) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.min(p.created_at) FILTER (WHERE NOT p.taken AND p.keep)
          INTO seqs, fseqs, body, last_seq, n_keep, more, first_created, next_created
          FROM (SELECT q.*, q.k OPERATOR(pg_catalog.<=) COALESCE(q.kmax_ok,
                        CASE WHEN q.first_keep_k IS NULL THEN q.k ELSE q.first_keep_k OPERATOR(pg_catalog.-) 1 END) AS taken
                  FROM (SELECT o.*, pg_catalog.max(o.k) FILTER (WHERE o.ok) OVER () AS kmax_ok,
                               pg_catalog.min(o.k) FILTER (WHERE o.keep) OVER () AS first_keep_k
                          FROM (SELECT c.*,
                                       c.keep AND pg_catalog.sum(c.keep::integer) OVER w OPERATOR(pg_catalog.<=) m.batch_size
                                       AND (pg_catalog.sum(c.keep::integer) OVER w OPERATOR(pg_catalog.=) 1
                                            OR pg_catalog.sum(CASE WHEN c.keep THEN pg_catalog.octet_length(c.rec) OPERATOR(pg_catalog.+) 1 ELSE 0 END)
                                               OVER w OPERATOR(pg_catalog.<=) 6290944)
                                       AND (width OPERATOR(pg_catalog.=) 0 OR @extschema@._esm_window(c.created_at, width)
                                            OPERATOR(pg_catalog.=) COALESCE(l.window_start,
                                                @extschema@._esm_window(pg_catalog.min(c.created_at) FILTER (WHERE c.keep) OVER (), width)))
                                       AS ok
                                  FROM (SELECT pg_catalog.row_number() OVER (ORDER BY x.sequence_number) AS k,
                                               x.sequence_number::text AS seq, x.created_at, x.rec,
                                               m.filter_criteria IS NULL
                                               OR @extschema@._filter_criteria_match(m.filter_criteria, x.rec::jsonb) AS keep
                                          FROM (SELECT r.sequence_number, r.created_at,
                                                       @extschema@.render_record('lambda', s.stream_arn, s.stream_view_type,
                                                           r.event_name, r.sequence_number, r.created_at, r.keys, r.new_image,
                                                           r.old_image, r.size_bytes, r.ttl, r.omitted) AS rec
                                                  FROM @extschema@._records r
                                                 WHERE r.shard_no OPERATOR(pg_catalog.=) l.shard_no
                                                   AND r.sequence_number OPERATOR(pg_catalog.>) low COLLATE "C"
                                                   AND (high IS NULL OR r.sequence_number OPERATOR(pg_catalog.<=) high COLLATE "C")
                                                   AND (l.lanes OPERATOR(pg_catalog.=) 1
                                                        OR @extschema@._esm_lane(r.keys, hash_key, l.lanes) OPERATOR(pg_catalog.=) l.lane)
                                                 ORDER BY r.sequence_number
                                                 -- one past a full batch tells whether more
                                                 -- are waiting; with filters, more to choose from
                                                 LIMIT m.batch_size OPERATOR(pg_catalog.+)
                                                       CASE WHEN m.filter_criteria IS NULL THEN 1 ELSE 100 END) x) c
                                WINDOW w AS (ORDER BY c.k)) o) q) p;
        IF n_keep OPERATOR(pg_catalog.=) 0 AND last_seq IS NOT NULL THEN
            -- only filtered-out records: checkpoint past them, look again
            UPDATE @extschema@._esm_shards e
               SET checkpoint_seq = last_seq,
                   bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(b ORDER BY o), '{}')
                                    FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(b, o)
                                   WHERE b OPERATOR(pg_catalog.>) last_seq),
                   filtered = e.filtered OPERATOR(pg_catalog.+) pg_catalog.cardinality(fseqs)
             WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
               AND e.lane OPERATOR(pg_catalog.=) l.lane
            RETURNING * INTO l;
            IF guard OPERATOR(pg_catalog.<) 100 THEN
                CONTINUE;
            END IF;
            RETURN;
        END IF;
        EXIT;
    END LOOP;
    IF width OPERATOR(pg_catalog.>) 0 THEN
        -- tumbling windows: a window in progress whose records are all
        -- delivered gets its final invoke (no records) once it is over
        IF l.window_start IS NOT NULL AND (n_keep OPERATOR(pg_catalog.=) 0 OR l.window_early) THEN
            IF NOT l.window_early AND NOT (
                   next_created IS NOT NULL
                   OR now_ts OPERATOR(pg_catalog.>=) (l.window_start OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width))
                   OR h.ending_seq IS NOT NULL) THEN
                RETURN;
            END IF;
            seqs := '{}';
            fseqs := '{}';
            body := NULL;
            last_seq := NULL;
            final := true;
            win := l.window_start;
        ELSIF n_keep OPERATOR(pg_catalog.=) 0 THEN
            IF h.ending_seq IS NOT NULL AND NOT COALESCE(more, false) THEN
                UPDATE @extschema@._esm_shards e SET done = true
                 WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
                   AND e.lane OPERATOR(pg_catalog.=) l.lane;
                finished := true;
            END IF;
            RETURN;
        ELSE
            win := COALESCE(l.window_start, @extschema@._esm_window(first_created, width));
            -- final when the window holds no more records: a later one has
            -- come, or the window is over, or the shard is closed and read
            final := NOT EXISTS (SELECT FROM @extschema@._esm_candidates(m, s, l, last_seq, NULL, 1000) c
                                  WHERE c.keep AND @extschema@._esm_window(c.created_at, width) OPERATOR(pg_catalog.=) win)
                     AND (next_created IS NOT NULL
                          OR now_ts OPERATOR(pg_catalog.>=) (win OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width))
                          OR h.ending_seq IS NOT NULL
                          OR EXISTS (SELECT FROM @extschema@._esm_candidates(m, s, l, last_seq, NULL, 1000) c
                                      WHERE @extschema@._esm_window(c.created_at, width) OPERATOR(pg_catalog.>) win));
        END IF;
    ELSIF n_keep OPERATOR(pg_catalog.=) 0 THEN
        IF h.ending_seq IS NOT NULL AND NOT COALESCE(more, false) THEN
            UPDATE @extschema@._esm_shards e SET done = true
             WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
               AND e.lane OPERATOR(pg_catalog.=) l.lane;
            finished := true;
        END IF;
        RETURN;
    END IF;
    -- maximum_batching_window_in_seconds: wait for a full batch (or a full
    -- payload) up to the window, counted from the creation of its first record
    IF NOT final AND m.maximum_batching_window_in_seconds OPERATOR(pg_catalog.>) 0
       AND n_keep OPERATOR(pg_catalog.<) m.batch_size AND NOT COALESCE(more, false) AND h.ending_seq IS NULL
       AND l.attempts OPERATOR(pg_catalog.=) 0 AND pg_catalog.cardinality(l.bisect_ends) OPERATOR(pg_catalog.=) 0
       AND now_ts OPERATOR(pg_catalog.<) (first_created
           OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => m.maximum_batching_window_in_seconds)) THEN
        RETURN;
    END IF;
    INSERT INTO @extschema@._esm_batches (mapping, shard_id, lane, seqs, filtered_seqs, last_seq, attempt,
                                          window_start, window_final, leased_until)
    VALUES (l.mapping, l.shard_id, l.lane, COALESCE(seqs, '{}'), COALESCE(fseqs, '{}'), last_seq,
            l.attempts OPERATOR(pg_catalog.+) 1, win, final,
            now_ts OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => lease_seconds))
    RETURNING _esm_batches.batch_id INTO batch_id;
    UPDATE @extschema@._esm_shards e
       SET batch_id = _esm_lease_lane.batch_id,
           leased_until = now_ts OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => lease_seconds),
           window_start = win, last_batch_at = now_ts
     WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
       AND e.lane OPERATOR(pg_catalog.=) l.lane;
    event := '{"Records":[' OPERATOR(pg_catalog.||) COALESCE(body, '') OPERATOR(pg_catalog.||) ']';
    IF width OPERATOR(pg_catalog.>) 0 THEN
        event := event OPERATOR(pg_catalog.||) ',"window":{"start":'
            OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(win))::text
            OPERATOR(pg_catalog.||) ',"end":'
            OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(win OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width)))::text
            OPERATOR(pg_catalog.||) '},"state":' OPERATOR(pg_catalog.||) COALESCE(l.window_state, '{}')
            OPERATOR(pg_catalog.||) ',"shardId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(l.shard_id)::text
            OPERATOR(pg_catalog.||) ',"eventSourceARN":' OPERATOR(pg_catalog.||) pg_catalog.to_json(s.stream_arn)::text
            OPERATOR(pg_catalog.||) ',"isFinalInvokeForWindow":' OPERATOR(pg_catalog.||) final::text
            OPERATOR(pg_catalog.||) ',"isWindowTerminatedEarly":' OPERATOR(pg_catalog.||) l.window_early::text;
    END IF;
    event := event OPERATOR(pg_catalog.||) '}';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_lease_lane(@extschema@._event_source_mappings, @extschema@._streams,
                                                   @extschema@._esm_shards, integer) FROM PUBLIC;

-- The next batch of a mapping (zero or one row), leased for lease_seconds:
-- expired leases first count as failed attempts; then the lanes without a
-- batch in flight, parents before children, the first that has records.
CREATE FUNCTION @extschema@._lease_batch(mapping uuid, lease_seconds integer)
RETURNS TABLE (batch_id bigint, shard_id text, event json)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m @extschema@._event_source_mappings;
    s @extschema@._streams;
    l @extschema@._esm_shards;
    got record;
    outcome text;
    finished integer;
BEGIN
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) _lease_batch.mapping;
    IF NOT FOUND OR NOT m.enabled OR m.state IN ('Disabled', 'Disabling', 'Deleting') THEN
        RETURN;
    END IF;
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    -- lanes to make: a shard newer than every shard with lanes (shard_no
    -- only grows), or a changed parallelization_factor
    IF (EXISTS (SELECT FROM @extschema@._shards h
                 WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id
                   AND h.shard_no OPERATOR(pg_catalog.>) COALESCE((SELECT pg_catalog.max(e.shard_no)
                                                                  FROM @extschema@._esm_shards e
                                                                 WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid), 0))
        OR EXISTS (SELECT FROM @extschema@._esm_shards e
                    WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND NOT e.done
                      AND e.lanes OPERATOR(pg_catalog.<>) m.parallelization_factor))
       -- one session at a time makes lanes; the others go on without waiting
       AND pg_catalog.pg_try_advisory_xact_lock(72399392, pg_catalog.hashtext(m.uuid::text)) THEN
        PERFORM @extschema@._esm_init_shards(m.uuid);
    END IF;
    -- an expired lease is a failed attempt (a function timeout)
    FOR l IN SELECT * FROM @extschema@._esm_shards e
              WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND e.batch_id IS NOT NULL
                AND e.leased_until OPERATOR(pg_catalog.<) pg_catalog.clock_timestamp()
              ORDER BY e.shard_no, e.lane
              FOR UPDATE SKIP LOCKED LOOP
        outcome := @extschema@._esm_fail(l.batch_id, 'Unhandled', false);
    END LOOP;
    -- again while a pass finishes shards (their children become leasable)
    LOOP
        finished := 0;
        FOR l IN SELECT e.* FROM @extschema@._esm_shards e
                   JOIN @extschema@._shards h ON h.shard_no OPERATOR(pg_catalog.=) e.shard_no
                  WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND NOT e.done AND e.batch_id IS NULL
                    AND (h.parent_shard_id IS NULL
                         OR NOT EXISTS (SELECT FROM @extschema@._esm_shards p
                                         WHERE p.mapping OPERATOR(pg_catalog.=) m.uuid
                                           AND p.shard_id OPERATOR(pg_catalog.=) h.parent_shard_id AND NOT p.done))
                  ORDER BY e.shard_no, e.lane
                  FOR UPDATE OF e SKIP LOCKED LOOP
            got := @extschema@._esm_lease_lane(m, s, l, lease_seconds);
            IF got.batch_id IS NOT NULL THEN
                batch_id := got.batch_id;
                shard_id := l.shard_id;
                event := got.event::json;
                RETURN NEXT;
                RETURN;
            ELSIF got.finished THEN
                finished := finished OPERATOR(pg_catalog.+) 1;
            END IF;
        END LOOP;
        EXIT WHEN finished OPERATOR(pg_catalog.=) 0;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._lease_batch(uuid, integer) FROM PUBLIC;

-- The batch b failed as a whole (the lane row locked by the caller):
-- function_error as the on-failure record's functionError (NULL: an
-- invalid partial response), bisect when enabled and allowed.  Returns
-- 'SPLIT', 'RETRY' or 'DISCARDED'.
CREATE FUNCTION @extschema@._esm_batch_failed(m @extschema@._event_source_mappings, b @extschema@._esm_batches,
                                              function_error text, may_bisect boolean)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := pg_catalog.cardinality(b.seqs);
    l @extschema@._esm_shards;
BEGIN
    SELECT * INTO l FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    DELETE FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) b.batch_id;
    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Function call failed');
    IF may_bisect AND m.bisect_batch_on_function_error AND n OPERATOR(pg_catalog.>) 1 THEN
        -- halves in order: the first floor(n/2) records, then the rest;
        -- splits do not consume retries
        UPDATE @extschema@._esm_shards e
           SET batch_id = NULL, leased_until = NULL,
               bisect_ends = ARRAY[b.seqs[n OPERATOR(pg_catalog./) 2]]
                   OPERATOR(pg_catalog.||) CASE WHEN e.bisect_ends[1] OPERATOR(pg_catalog.=) b.last_seq
                                                THEN e.bisect_ends ELSE b.last_seq OPERATOR(pg_catalog.||) e.bisect_ends END
         WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
           AND e.lane OPERATOR(pg_catalog.=) b.lane;
        RETURN 'SPLIT';
    END IF;
    IF m.maximum_retry_attempts OPERATOR(pg_catalog.<>) -1
       AND l.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>) m.maximum_retry_attempts THEN
        IF n OPERATOR(pg_catalog.>) 0 THEN
            PERFORM @extschema@._esm_write_failure(m, b.shard_id, b.seqs, 'RetryAttemptsExhausted',
                                                   l.attempts OPERATOR(pg_catalog.+) 1, function_error, b.request_id);
        END IF;
        PERFORM @extschema@._esm_settle(b, b.last_seq, true);
        RETURN 'DISCARDED';
    END IF;
    UPDATE @extschema@._esm_shards e
       SET batch_id = NULL, leased_until = NULL, attempts = e.attempts OPERATOR(pg_catalog.+) 1
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    RETURN 'RETRY';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_batch_failed(@extschema@._event_source_mappings, @extschema@._esm_batches,
                                                     text, boolean) FROM PUBLIC;

-- Settle batch b up to checkpoint upto (NULL: no record of it, an empty
-- final window invoke): the records at or before it count as processed
-- (or, discarded, as failed), the filtered ones as filtered; attempts
-- reset; finished halves of a bisect popped; the lane freed.
CREATE FUNCTION @extschema@._esm_settle(b @extschema@._esm_batches, upto text, discarded boolean,
                                        new_state text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n_del integer := (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.seqs) x WHERE x OPERATOR(pg_catalog.<=) upto);
    n_filt integer := (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.<=) upto);
    -- a final window invoke ends its window only when all of it is done
    final boolean := b.window_final AND upto IS NOT DISTINCT FROM b.last_seq;
BEGIN
    DELETE FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) b.batch_id;
    UPDATE @extschema@._esm_shards e
       SET batch_id = NULL, leased_until = NULL, attempts = 0,
           checkpoint_seq = GREATEST(e.checkpoint_seq, COALESCE(upto, '')),
           bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(x ORDER BY o), '{}')
                            FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(x, o)
                           WHERE upto IS NULL OR x OPERATOR(pg_catalog.>) upto),
           processed = e.processed OPERATOR(pg_catalog.+) CASE WHEN discarded THEN 0 ELSE n_del END,
           failed = e.failed OPERATOR(pg_catalog.+) CASE WHEN discarded THEN n_del ELSE 0 END,
           filtered = e.filtered OPERATOR(pg_catalog.+) n_filt,
           -- a final window invoke ends the window; an oversized state ends it early
           window_start = CASE WHEN final THEN NULL ELSE e.window_start END,
           window_state = CASE WHEN final THEN NULL
                               WHEN new_state IS NULL OR pg_catalog.octet_length(new_state) OPERATOR(pg_catalog.>) 1048576
                               THEN e.window_state ELSE new_state END,
           window_early = CASE WHEN final THEN false
                               ELSE e.window_early OR COALESCE(pg_catalog.octet_length(new_state) OPERATOR(pg_catalog.>) 1048576, false) END
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_settle(@extschema@._esm_batches, text, boolean, text) FROM PUBLIC;

-- A batch failed as a whole: lane locked, batch failed (see fail_batch).
CREATE FUNCTION @extschema@._esm_fail(batch_id bigint, function_error text, invalid_response boolean)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b @extschema@._esm_batches;
    m @extschema@._event_source_mappings;
BEGIN
    SELECT * INTO b FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) _esm_fail.batch_id;
    IF NOT FOUND THEN
        RETURN 'STALE';
    END IF;
    PERFORM FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane AND e.batch_id OPERATOR(pg_catalog.=) b.batch_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'STALE';
    END IF;
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) b.mapping;
    RETURN @extschema@._esm_batch_failed(m, b, CASE WHEN invalid_response THEN NULL ELSE function_error END,
                                         NOT invalid_response);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_fail(bigint, text, boolean) FROM PUBLIC;

-- AccessDeniedException unless the caller may consume the mapping: a
-- member of the role that created it.
CREATE FUNCTION @extschema@._esm_require_owner(m @extschema@._event_source_mappings) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
BEGIN
    IF pg_catalog.pg_has_role(who, m.owner::pg_catalog.oid, 'MEMBER') THEN
        RETURN true;
    END IF;
    ok := @extschema@._raise('AccessDeniedException',
        pg_catalog.format('User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s', who, m.function_arn),
        pg_catalog.format('Only members of the role %s, which created the event source mapping, may consume it.', m.owner));
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_require_owner(@extschema@._event_source_mappings) FROM PUBLIC;

-- SQL pull: the next batch of the function's enabled mappings (zero or
-- one row), leased for lease_seconds (the function's timeout).
CREATE FUNCTION @extschema@.receive_batch(function_name text, lease_seconds integer DEFAULT 30)
RETURNS TABLE (batch_id bigint, event json)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    m @extschema@._event_source_mappings;
    got record;
    found_one boolean := false;
BEGIN
    IF lease_seconds IS NULL OR lease_seconds < 1 OR lease_seconds > 900 THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('Invalid lease_seconds: %s', COALESCE(lease_seconds::text, 'null')),
            'lease_seconds (the function''s timeout) must be between 1 and 900.');
    END IF;
    FOR m IN SELECT * FROM @extschema@._event_source_mappings x
              WHERE x.function_name OPERATOR(pg_catalog.=) receive_batch.function_name
                 OR x.function_arn OPERATOR(pg_catalog.=) receive_batch.function_name
              -- the mapping served least recently first
              ORDER BY (SELECT pg_catalog.max(e.last_batch_at) FROM @extschema@._esm_shards e
                         WHERE e.mapping OPERATOR(pg_catalog.=) x.uuid) NULLS FIRST, x.uuid LOOP
        ok := @extschema@._esm_require_owner(m);
        found_one := true;
        SELECT * INTO got FROM @extschema@._lease_batch(m.uuid, lease_seconds) x;
        IF got.batch_id IS NOT NULL THEN
            batch_id := got.batch_id;
            event := got.event;
            RETURN NEXT;
            RETURN;
        END IF;
    END LOOP;
    IF NOT found_one THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'The resource you requested does not exist.',
            pg_catalog.format('No event source mapping for function %s.', function_name));
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.receive_batch(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.receive_batch(text, integer) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.receive_batch(text, integer) IS
    'SQL pull: lease the next batch of a function''s event source mappings, as the Lambda event';

-- The leased batch and its mapping, checked (the caller may consume it),
-- and the lane locked; NULL when the batch is no longer leased (completed,
-- failed, or redelivered after its lease expired).
CREATE FUNCTION @extschema@._esm_batch_for(batch_id bigint, OUT b @extschema@._esm_batches,
                                           OUT m @extschema@._event_source_mappings)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF batch_id IS NULL THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'batch_id must not be null');
    END IF;
    SELECT * INTO b FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) _esm_batch_for.batch_id;
    IF NOT FOUND THEN
        b := NULL;
        RETURN;
    END IF;
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) b.mapping;
    ok := @extschema@._esm_require_owner(m);
    PERFORM FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane AND e.batch_id OPERATOR(pg_catalog.=) b.batch_id
       FOR UPDATE;
    IF NOT FOUND THEN
        b := NULL;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_batch_for(bigint) FROM PUBLIC;

-- The function's response to a batch.  Without ReportBatchItemFailures
-- any response is success.  With it, the partial batch response table of
-- SPEC 4.7: success (checkpoint after the batch); failures naming
-- sequence numbers of the batch (checkpoint before the lowest, redeliver
-- from it, a retry); an itemIdentifier empty, null, missing or not of the
-- batch, or a response of another shape (the whole batch failed, no
-- bisect).  Returns 'SUCCESS', 'PARTIAL', 'FAILED' (whole batch, to be
-- retried), 'SPLIT', 'DISCARDED' (retries exhausted: on-failure record
-- written) or 'STALE' (the batch is no longer leased: nothing done).
CREATE FUNCTION @extschema@.complete_batch(batch_id bigint, response jsonb DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got record;
    b @extschema@._esm_batches;
    m @extschema@._event_source_mappings;
    l @extschema@._esm_shards;
    failures jsonb;
    ids text[];
    lowest text;
    valid boolean := true;
    upto text;
    rest text[];
    new_state text;
BEGIN
    got := @extschema@._esm_batch_for(batch_id);
    b := got.b;
    m := got.m;
    IF b.batch_id IS NULL THEN
        RETURN 'STALE';
    END IF;
    IF m.tumbling_window_in_seconds OPERATOR(pg_catalog.>) 0 AND pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.=) 'object' THEN
        new_state := COALESCE((response OPERATOR(pg_catalog.->) 'state')::text, '{}');
    END IF;
    IF 'ReportBatchItemFailures' OPERATOR(pg_catalog.<>) ALL (m.function_response_types)
       OR response IS NULL OR response OPERATOR(pg_catalog.=) '{}'::jsonb OR response OPERATOR(pg_catalog.=) '[]'::jsonb
       OR pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.=) 'null' THEN
        PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
        PERFORM @extschema@._esm_result(m.uuid, 'OK');
        RETURN 'SUCCESS';
    END IF;
    IF pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.<>) 'object' THEN
        valid := false;
    ELSE
        failures := response OPERATOR(pg_catalog.->) 'batchItemFailures';
        IF failures IS NULL OR pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.=) 'null'
           OR failures OPERATOR(pg_catalog.=) '[]'::jsonb THEN
            PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
            PERFORM @extschema@._esm_result(m.uuid, 'OK');
            RETURN 'SUCCESS';
        ELSIF pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.<>) 'array' THEN
            valid := false;
        ELSE
            SELECT pg_catalog.array_agg(CASE WHEN pg_catalog.jsonb_typeof(f) OPERATOR(pg_catalog.=) 'object'
                                              AND pg_catalog.jsonb_typeof(f OPERATOR(pg_catalog.->) 'itemIdentifier') OPERATOR(pg_catalog.=) 'string'
                                             THEN f OPERATOR(pg_catalog.->>) 'itemIdentifier' END)
              INTO ids FROM pg_catalog.jsonb_array_elements(failures) f;
            valid := NOT EXISTS (SELECT FROM pg_catalog.unnest(ids) i
                                  WHERE i IS NULL OR i OPERATOR(pg_catalog.<>) ALL (b.seqs));
            IF valid THEN
                SELECT pg_catalog.min(i COLLATE "C") INTO lowest FROM pg_catalog.unnest(ids) i;
            END IF;
        END IF;
    END IF;
    IF NOT valid THEN
        RETURN CASE @extschema@._esm_batch_failed(m, b, NULL, false) WHEN 'RETRY' THEN 'FAILED' ELSE 'DISCARDED' END;
    END IF;
    -- checkpoint just before the lowest failure; a retry of the rest
    SELECT * INTO l FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Function call failed');
    SELECT pg_catalog.max(x COLLATE "C") INTO upto
      FROM pg_catalog.unnest(b.seqs OPERATOR(pg_catalog.||) b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.<) lowest COLLATE "C";
    IF m.maximum_retry_attempts OPERATOR(pg_catalog.<>) -1
       AND l.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>) m.maximum_retry_attempts THEN
        SELECT pg_catalog.array_agg(x ORDER BY x) INTO rest
          FROM pg_catalog.unnest(b.seqs) x WHERE x OPERATOR(pg_catalog.>=) lowest COLLATE "C";
        PERFORM @extschema@._esm_write_failure(m, b.shard_id, rest, 'RetryAttemptsExhausted',
                                               l.attempts OPERATOR(pg_catalog.+) 1, NULL, b.request_id);
        -- processed up to the failure, failed after it
        PERFORM @extschema@._esm_settle(b, upto, false, new_state);
        UPDATE @extschema@._esm_shards e
           SET checkpoint_seq = b.last_seq,
               failed = e.failed OPERATOR(pg_catalog.+) pg_catalog.cardinality(rest),
               filtered = e.filtered OPERATOR(pg_catalog.+)
                   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.>) lowest COLLATE "C"),
               bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(x ORDER BY o), '{}')
                                FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(x, o)
                               WHERE x OPERATOR(pg_catalog.>) b.last_seq)
         WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
           AND e.lane OPERATOR(pg_catalog.=) b.lane;
        RETURN 'DISCARDED';
    END IF;
    -- (a window's state: the response's, as the records before the
    -- failure are done)
    PERFORM @extschema@._esm_settle(b, upto, false, new_state);
    UPDATE @extschema@._esm_shards e SET attempts = l.attempts OPERATOR(pg_catalog.+) 1
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    RETURN 'PARTIAL';
END
$$;
REVOKE ALL ON FUNCTION @extschema@.complete_batch(bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.complete_batch(bigint, jsonb) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.complete_batch(bigint, jsonb) IS
    'the function''s response to a leased batch (partial batch response rules)';

-- A function error on a leased batch (an exception, a non-2xx answer, a
-- timeout): the whole batch failed; bisected if the mapping says so,
-- else retried or, retries exhausted, discarded with an on-failure record
-- whose functionError is 'Unhandled' (or error when it is 'Handled').
-- Returns 'SPLIT', 'FAILED', 'DISCARDED' or 'STALE'.
CREATE FUNCTION @extschema@.fail_batch(batch_id bigint, error text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got record;
    outcome text;
BEGIN
    got := @extschema@._esm_batch_for(batch_id);
    IF (got.b).batch_id IS NULL THEN
        RETURN 'STALE';
    END IF;
    outcome := @extschema@._esm_batch_failed(got.m, got.b,
                   CASE WHEN error OPERATOR(pg_catalog.=) 'Handled' THEN 'Handled' ELSE 'Unhandled' END, true);
    RETURN CASE outcome WHEN 'RETRY' THEN 'FAILED' ELSE outcome END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.fail_batch(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.fail_batch(bigint, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.fail_batch(bigint, text) IS
    'a function error on a leased batch (retry, bisect or discard per the mapping)';

-- Checkpoints: per mapping, shard and lane, the checkpointed sequence
-- number, the iterator age (age of the oldest record still to deliver),
-- failed attempts, batches in flight and the state.
CREATE VIEW @extschema@.event_source_mapping_checkpoints AS
SELECT e.mapping AS uuid, m.function_name, e.shard_id, e.lane,
       NULLIF(e.checkpoint_seq, '') AS checkpoint_sequence_number,
       pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) nx.created_at AS iterator_age,
       e.attempts,
       (e.batch_id IS NOT NULL)::integer AS batches_in_flight,
       CASE WHEN e.done THEN 'Done'
            WHEN e.batch_id IS NOT NULL AND e.leased_until OPERATOR(pg_catalog.<) pg_catalog.clock_timestamp() THEN 'LeaseExpired'
            WHEN e.batch_id IS NOT NULL THEN 'InFlight'
            WHEN h.parent_shard_id IS NOT NULL
                 AND EXISTS (SELECT FROM @extschema@._esm_shards p
                              WHERE p.mapping OPERATOR(pg_catalog.=) e.mapping
                                AND p.shard_id OPERATOR(pg_catalog.=) h.parent_shard_id AND NOT p.done) THEN 'WaitingForParent'
            WHEN e.attempts OPERATOR(pg_catalog.>) 0 OR pg_catalog.cardinality(e.bisect_ends) OPERATOR(pg_catalog.>) 0 THEN 'Retrying'
            WHEN nx.created_at IS NOT NULL THEN 'Pending'
            ELSE 'CaughtUp' END AS state,
       e.processed, e.failed, e.filtered, e.last_batch_at
  FROM @extschema@._esm_shards e
  JOIN @extschema@._event_source_mappings m ON m.uuid OPERATOR(pg_catalog.=) e.mapping
  JOIN @extschema@._shards h ON h.shard_no OPERATOR(pg_catalog.=) e.shard_no
  LEFT JOIN LATERAL (
      SELECT r.created_at FROM @extschema@._records r
       WHERE r.shard_no OPERATOR(pg_catalog.=) e.shard_no
         AND r.sequence_number OPERATOR(pg_catalog.>) GREATEST(e.checkpoint_seq, COALESCE(h.trimmed_seq, '')) COLLATE "C"
         AND (e.lanes OPERATOR(pg_catalog.=) 1
              OR @extschema@._esm_lane(r.keys, (SELECT t.hash_key FROM @extschema@._tables t
                                                 JOIN @extschema@._streams s ON s.relid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
                                                WHERE s.stream_id OPERATOR(pg_catalog.=) m.stream_id), e.lanes)
                 OPERATOR(pg_catalog.=) e.lane)
       ORDER BY r.sequence_number LIMIT 1) nx ON true;
COMMENT ON VIEW @extschema@.event_source_mapping_checkpoints IS
    'checkpoints of event source mappings, per shard and lane';
REVOKE ALL ON @extschema@.event_source_mapping_checkpoints FROM PUBLIC;

-- Metrics per mapping, in the manner of pgmq's metrics(): records
-- processed, failed (discarded to the on-failure table) and filtered out,
-- batches in flight, records still to deliver and the age of the oldest.
CREATE FUNCTION @extschema@.event_source_mapping_metrics(function_name text DEFAULT NULL)
RETURNS TABLE (uuid uuid, function_name text, records_processed bigint, records_failed bigint,
               records_filtered bigint, batches_in_flight bigint, oldest_unprocessed_age_sec integer,
               on_failure_records bigint, scrape_time timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.uuid, m.function_name,
           COALESCE(pg_catalog.sum(c.processed), 0)::bigint, COALESCE(pg_catalog.sum(c.failed), 0)::bigint,
           COALESCE(pg_catalog.sum(c.filtered), 0)::bigint, COALESCE(pg_catalog.sum(c.batches_in_flight), 0)::bigint,
           pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.max(c.iterator_age)))::integer,
           (SELECT pg_catalog.count(*) FROM @extschema@._esm_failures f WHERE f.mapping OPERATOR(pg_catalog.=) m.uuid),
           pg_catalog.clock_timestamp()
      FROM @extschema@._event_source_mappings m
      LEFT JOIN @extschema@.event_source_mapping_checkpoints c ON c.uuid OPERATOR(pg_catalog.=) m.uuid
     WHERE event_source_mapping_metrics.function_name IS NULL
        OR m.function_name OPERATOR(pg_catalog.=) event_source_mapping_metrics.function_name
     GROUP BY m.uuid, m.function_name
     ORDER BY m.function_name, m.uuid
$$;
REVOKE ALL ON FUNCTION @extschema@.event_source_mapping_metrics(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.event_source_mapping_metrics(text) IS
    'metrics of event source mappings: processed, failed, filtered, oldest unprocessed age';

-- ---------------------------------------------------------------------
-- Filters and refire (filters): Lambda event filtering in C
-- (_filter_criteria_check, _filter_criteria_match, test_filter_criteria,
-- test_event_pattern) and dynamo.refire (part 63)
-- ---------------------------------------------------------------------

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
-- writes one row of _refires per item, carrying the item's row, and
-- deletes it again; the output plugin turns the row's INSERT into a MODIFY
-- record with OldImage = NewImage = the item, marked userIdentity
-- {"type":"Service","principalId":"dynamo_streams.refire"}.  No privilege
-- on _refires is granted: _refire_row writes it past the ACL, after
-- checking the caller's privileges on the item's table, so no role can
-- forge a refire record.
CREATE TABLE @extschema@._refires (
    relid             pg_catalog.oid NOT NULL,
    -- a DynamoRefireMessage and the item's heap tuple (src/record.h)
    message           bytea NOT NULL
);
COMMENT ON TABLE @extschema@._refires IS
    'dynamo_streams refire: rows written and deleted by dynamo.refire, which the output plugin decodes';
REVOKE ALL ON @extschema@._refires FROM PUBLIC;

CREATE FUNCTION @extschema@._refire_row(relation pg_catalog.regclass, row_ctid pg_catalog.tid) RETURNS boolean
    LANGUAGE c STRICT VOLATILE AS 'MODULE_PATHNAME', 'dynamo_sql_refire_row';
COMMENT ON FUNCTION @extschema@._refire_row(pg_catalog.regclass, pg_catalog.tid) IS
    'emit the refire record of one row (as the latest snapshot sees it)';

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

-- ---------------------------------------------------------------------
-- Consumers: mappings (esm-api)
-- ---------------------------------------------------------------------
-- The mapping catalog (part 60) gets StateTransitionReason's wording, its
-- creation time and one mapping per function and stream; part 61 is the
-- mapping API and rewind.

ALTER TABLE @extschema@._event_source_mappings
    ALTER COLUMN state_transition_reason SET DEFAULT 'User action';
ALTER TABLE @extschema@._event_source_mappings
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT pg_catalog.now();
DROP INDEX @extschema@._event_source_mappings_function;
-- one mapping per function and stream (ResourceConflictException)
CREATE UNIQUE INDEX _event_source_mappings_function ON @extschema@._event_source_mappings (function_name, stream_id);

-- Lambda's ARN prefix arn:aws:lambda:<region>:<account>: of this database.
CREATE FUNCTION @extschema@._lambda_arn_prefix() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'arn:aws:lambda:' || COALESCE(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1')
        || ':' || COALESCE(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000') || ':'
$$;
REVOKE ALL ON FUNCTION @extschema@._lambda_arn_prefix() FROM PUBLIC;

-- A FunctionName argument (a name, or a function ARN as Lambda accepts
-- it) as the function's name and ARN, or ValidationException.
CREATE FUNCTION @extschema@._esm_function(function_name text, OUT name text, OUT arn text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    m text[];
BEGIN
    IF function_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'functionName', 'Member must not be null');
    ELSIF pg_catalog.length(function_name) < 1 THEN
        ok := @extschema@._invalid_parameter(function_name, 'functionName',
            'Member must have length greater than or equal to 1');
    ELSIF pg_catalog.length(function_name) > 140 THEN
        ok := @extschema@._invalid_parameter(function_name, 'functionName',
            'Member must have length less than or equal to 140');
    END IF;
    m := pg_catalog.regexp_match(function_name,
        '^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:function:)?([a-zA-Z0-9_-]{1,64})$');
    IF m IS NULL THEN
        ok := @extschema@._invalid_parameter(function_name, 'functionName',
            'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?');
    END IF;
    name := m[3];
    arn := COALESCE(m[1], @extschema@._lambda_arn_prefix() || 'function:') || name;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_function(text) FROM PUBLIC;

-- Check an integer parameter against Lambda's range (ValidationException).
CREATE FUNCTION @extschema@._esm_check_range(value integer, what text, lo integer, hi integer)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF value < lo THEN
        ok := @extschema@._invalid_parameter(value::text, what,
            pg_catalog.format('Member must have value greater than or equal to %s', lo));
    ELSIF value > hi THEN
        ok := @extschema@._invalid_parameter(value::text, what,
            pg_catalog.format('Member must have value less than or equal to %s', hi));
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_check_range(integer, text, integer, integer) FROM PUBLIC;

-- Check a mapping's settings, as created or updated: Lambda's ranges
-- (ValidationException) and rules (InvalidParameterValueException).
CREATE FUNCTION @extschema@._esm_check(m @extschema@._event_source_mappings)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    f jsonb;
BEGIN
    ok := @extschema@._esm_check_range(m.batch_size, 'batchSize', 1, 10000);
    ok := @extschema@._esm_check_range(m.maximum_batching_window_in_seconds, 'maximumBatchingWindowInSeconds', 0, 300);
    ok := @extschema@._esm_check_range(m.parallelization_factor, 'parallelizationFactor', 1, 10);
    ok := @extschema@._esm_check_range(m.maximum_retry_attempts, 'maximumRetryAttempts', -1, 10000);
    ok := @extschema@._esm_check_range(m.maximum_record_age_in_seconds, 'maximumRecordAgeInSeconds', -1, 604800);
    ok := @extschema@._esm_check_range(m.tumbling_window_in_seconds, 'tumblingWindowInSeconds', 0, 900);
    IF m.maximum_record_age_in_seconds BETWEEN 0 AND 59 THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'MaximumRecordAgeInSeconds must be -1 or between 60 and 604800',
            pg_catalog.format('maximum_record_age_in_seconds is %s.', m.maximum_record_age_in_seconds),
            '-1 keeps records until they expire from the stream.');
    END IF;
    IF pg_catalog.cardinality(m.function_response_types) > 1
       OR EXISTS (SELECT FROM pg_catalog.unnest(m.function_response_types) t(v)
                   WHERE t.v IS DISTINCT FROM 'ReportBatchItemFailures') THEN
        ok := @extschema@._invalid_parameter(
            '[' || pg_catalog.array_to_string(m.function_response_types, ', ', 'null') || ']',
            'functionResponseTypes',
            'Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]');
    END IF;
    IF m.filter_criteria IS NOT NULL THEN
        -- the FilterCriteria object; the patterns are checked by the filter
        -- engine (_filter_criteria_check)
        IF pg_catalog.jsonb_typeof(m.filter_criteria) IS DISTINCT FROM 'object'
           OR pg_catalog.jsonb_typeof(m.filter_criteria -> 'Filters') IS DISTINCT FROM 'array'
           OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(m.filter_criteria -> 'Filters') e(v)
                       WHERE pg_catalog.jsonb_typeof(e.v -> 'Pattern') IS DISTINCT FROM 'string') THEN
            ok := @extschema@._raise('InvalidParameterValueException', 'Invalid filter pattern definition.',
                'FilterCriteria must be {"Filters": [{"Pattern": "<JSON text>"}, ...]}.');
        END IF;
        IF pg_catalog.jsonb_array_length(m.filter_criteria -> 'Filters') > 5 THEN
            ok := @extschema@._raise('InvalidParameterValueException',
                'The maximum number of filters per event source mapping is 5',
                pg_catalog.format('FilterCriteria has %s filters.', pg_catalog.jsonb_array_length(m.filter_criteria -> 'Filters')),
                'Filters are ORed: merge patterns that test the same keys into one.');
        END IF;
        PERFORM @extschema@._filter_criteria_check(m.filter_criteria);
    END IF;
    IF m.destination_on_failure IS NOT NULL
       AND (pg_catalog.length(m.destination_on_failure) > 350
            OR m.destination_on_failure !~ '^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$') THEN
        ok := @extschema@._invalid_parameter(m.destination_on_failure, 'destinationConfig.onFailure.destination',
            'Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)');
    END IF;
    IF m.function_url IS NOT NULL AND m.function_url !~* '^https?://[^/?#[:space:]]+' THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('Unsupported function URL: %s', m.function_url),
            'Push delivery posts to http:// and https:// URLs only.',
            'See docs/http-push.md.');
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_check(@extschema@._event_source_mappings) FROM PUBLIC;

-- DestinationConfig {"OnFailure": {"Destination": "<arn>"}} as the
-- destination ARN ('' for none; NULL for NULL).
CREATE FUNCTION @extschema@._esm_destination(destination_config jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF destination_config IS NULL THEN
        RETURN NULL;
    END IF;
    IF destination_config ? 'OnSuccess' THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'Unsupported DestinationConfig parameter for given event source mapping type.',
            'A stream event source takes an OnFailure destination only.');
    END IF;
    IF pg_catalog.jsonb_typeof(destination_config) IS DISTINCT FROM 'object'
       OR (destination_config - 'OnFailure') <> '{}'
       OR (destination_config ? 'OnFailure'
           AND (pg_catalog.jsonb_typeof(destination_config -> 'OnFailure') IS DISTINCT FROM 'object'
                OR ((destination_config -> 'OnFailure') - 'Destination') <> '{}'
                OR pg_catalog.jsonb_typeof(destination_config -> 'OnFailure' -> 'Destination') NOT IN ('string', 'null'))) THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('Invalid DestinationConfig: %s', destination_config),
            'DestinationConfig must be {"OnFailure": {"Destination": "<ARN>"}}.');
    END IF;
    RETURN COALESCE(destination_config -> 'OnFailure' ->> 'Destination', '');
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_destination(jsonb) FROM PUBLIC;

-- A mapping as Lambda's EventSourceMappingConfiguration; state, if given,
-- replaces the State shown (the transition a call started).
CREATE FUNCTION @extschema@._esm_config(m @extschema@._event_source_mappings, state text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'UUID', m.uuid,
        'StartingPosition', m.starting_position,
        'StartingPositionTimestamp', pg_catalog.round(EXTRACT(epoch FROM m.starting_position_timestamp), 3),
        'BatchSize', m.batch_size,
        'MaximumBatchingWindowInSeconds', m.maximum_batching_window_in_seconds,
        'ParallelizationFactor', m.parallelization_factor,
        'EventSourceArn', m.event_source_arn,
        'FilterCriteria', m.filter_criteria,
        'FunctionArn', m.function_arn,
        'LastModified', pg_catalog.round(EXTRACT(epoch FROM m.last_modified), 3),
        'LastProcessingResult', m.last_processing_result,
        'State', COALESCE(state, m.state),
        'StateTransitionReason', m.state_transition_reason,
        'DestinationConfig', pg_catalog.jsonb_build_object('OnFailure',
            CASE WHEN m.destination_on_failure IS NULL THEN '{}'::jsonb
                 ELSE pg_catalog.jsonb_build_object('Destination', m.destination_on_failure) END),
        'MaximumRecordAgeInSeconds', m.maximum_record_age_in_seconds,
        'BisectBatchOnFunctionError', m.bisect_batch_on_function_error,
        'MaximumRetryAttempts', m.maximum_retry_attempts,
        'TumblingWindowInSeconds', m.tumbling_window_in_seconds,
        'FunctionResponseTypes', pg_catalog.to_jsonb(m.function_response_types),
        'EventSourceMappingArn', @extschema@._lambda_arn_prefix() || 'event-source-mapping:' || m.uuid,
        'FunctionUrl', m.function_url))
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_config(@extschema@._event_source_mappings, text) FROM PUBLIC;

-- May the caller see mapping m?  Members of its owner may; so may roles
-- that may read its stream (SELECT on the stream's table).
CREATE FUNCTION @extschema@._esm_visible(m @extschema@._event_source_mappings)
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_has_role(@extschema@._stream_caller(), m.owner, 'USAGE')
        OR EXISTS (SELECT FROM @extschema@._streams s JOIN pg_catalog.pg_class c ON c.oid = s.relid
                    WHERE s.stream_id = m.stream_id
                      AND pg_catalog.has_table_privilege(@extschema@._stream_caller(), c.oid, 'SELECT'))
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_visible(@extschema@._event_source_mappings) FROM PUBLIC;

-- The mapping of a UUID argument, locked if for_update, or
-- ResourceNotFoundException; action (Lambda's, e.g. 'UpdateEventSourceMapping')
-- other than 'GetEventSourceMapping' needs membership in its owner
-- (AccessDeniedException).
CREATE FUNCTION @extschema@._esm_by_uuid(uuid text, action text)
RETURNS @extschema@._event_source_mappings
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    m @extschema@._event_source_mappings;
    id pg_catalog.uuid;
BEGIN
    IF uuid IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'UUID', 'Member must not be null');
    END IF;
    BEGIN
        id := uuid::pg_catalog.uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'The resource you requested does not exist.',
            pg_catalog.format('There is no event source mapping with UUID %s.', uuid));
    END;
    IF action = 'GetEventSourceMapping' THEN
        SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid = id;
    ELSE
        SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid = id FOR UPDATE;
    END IF;
    IF NOT FOUND OR NOT @extschema@._esm_visible(m) THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'The resource you requested does not exist.',
            pg_catalog.format('There is no event source mapping with UUID %s.', uuid));
    END IF;
    IF action <> 'GetEventSourceMapping'
       AND NOT pg_catalog.pg_has_role(@extschema@._stream_caller(), m.owner, 'USAGE') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: lambda:%s on resource: %s',
                @extschema@._stream_caller(), action,
                @extschema@._lambda_arn_prefix() || 'event-source-mapping:' || m.uuid),
            pg_catalog.format('Only members of the mapping''s owner %s may change it.', m.owner),
            'See docs/consumers.md#access.');
    END IF;
    RETURN m;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_by_uuid(text, text) FROM PUBLIC;

-- ResourceConflictException if function name has another mapping on
-- stream_id than the one with UUID self.  Serialised on the pair, so that
-- concurrent creations see each other.
CREATE FUNCTION @extschema@._esm_check_unique(name text, stream_id bigint, event_source_arn text, self uuid)
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    other uuid;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dynamo_streams esm ' || name || ' ' || stream_id));
    SELECT x.uuid INTO other FROM @extschema@._event_source_mappings x
     WHERE x.function_name = name AND x.stream_id = _esm_check_unique.stream_id
       AND x.uuid IS DISTINCT FROM self;
    IF FOUND THEN
        ok := @extschema@._raise('ResourceConflictException',
            pg_catalog.format('The event source arn (" %s ") and function (" %s ") provided mapping already exists. Please update or delete the existing mapping with UUID %s',
                event_source_arn, name, other));
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_check_unique(text, bigint, text, uuid) FROM PUBLIC;

-- ResourceConflictException for m's function and stream when the other
-- mapping is one this transaction cannot see (committed by a concurrent
-- transaction after its snapshot was taken).
CREATE FUNCTION @extschema@._esm_conflict(m @extschema@._event_source_mappings)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    ok := @extschema@._raise('ResourceConflictException',
        pg_catalog.format('The event source arn (" %s ") and function (" %s ") provided mapping already exists. Please update or delete the existing mapping with UUID %s',
            m.event_source_arn, m.function_name, '(created by a concurrent transaction)'),
        'A concurrent transaction created a mapping of this function and stream after this transaction''s snapshot.');
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_conflict(@extschema@._event_source_mappings) FROM PUBLIC;

-- CreateEventSourceMapping: a consumer of stream event_source_arn.  NULL
-- arguments take Lambda's defaults.  Returns the configuration, State
-- Creating.
CREATE FUNCTION @extschema@.create_event_source_mapping(
    function_name text,
    event_source_arn text,
    starting_position text DEFAULT NULL,
    starting_position_timestamp timestamptz DEFAULT NULL,
    batch_size integer DEFAULT NULL,
    maximum_batching_window_in_seconds integer DEFAULT NULL,
    parallelization_factor integer DEFAULT NULL,
    maximum_retry_attempts integer DEFAULT NULL,
    maximum_record_age_in_seconds integer DEFAULT NULL,
    bisect_batch_on_function_error boolean DEFAULT NULL,
    function_response_types text[] DEFAULT NULL,
    filter_criteria jsonb DEFAULT NULL,
    destination_config jsonb DEFAULT NULL,
    tumbling_window_in_seconds integer DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    function_url text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    fn record;
    s @extschema@._streams;
    m @extschema@._event_source_mappings;
BEGIN
    fn := @extschema@._esm_function(function_name);
    IF event_source_arn IS NULL THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'Unrecognized event source.',
            'event_source_arn is required: the StreamArn of a stream (list_streams).');
    END IF;
    IF starting_position IS NULL THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            '1 validation error detected: Value null at ''startingPosition'' failed to satisfy constraint: Member must not be null.',
            'A stream event source needs a starting_position: TRIM_HORIZON, LATEST or AT_TIMESTAMP.');
    ELSIF starting_position NOT IN ('TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP') THEN
        ok := @extschema@._invalid_parameter(starting_position, 'startingPosition',
            'Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]');
    END IF;
    IF starting_position_timestamp IS NOT NULL AND starting_position <> 'AT_TIMESTAMP' THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'Timestamp only valid with StartingPosition AT_TIMESTAMP');
    ELSIF starting_position_timestamp IS NULL AND starting_position = 'AT_TIMESTAMP' THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP',
            'AT_TIMESTAMP (beyond AWS for DynamoDB streams) starts at the first record created at or after starting_position_timestamp.');
    END IF;
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_arn = event_source_arn;
    IF NOT FOUND THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'Stream not found: ' || event_source_arn,
            'There is no stream with this ARN (list_streams shows them).');
    END IF;
    IF NOT (EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = s.relid)
            AND pg_catalog.has_table_privilege(@extschema@._stream_caller(), s.relid, 'SELECT')) THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'Cannot access stream ' || event_source_arn || '. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.',
            pg_catalog.format('Reading the stream needs the SELECT privilege on its table %s.',
                COALESCE(pg_catalog.to_regclass(s.relid::text)::text, 'dynamo.' || pg_catalog.quote_ident(s.table_name) || ' (dropped)')),
            'The table''s owner can grant it; see docs/security.md.', '42501');
    END IF;
    m.uuid := pg_catalog.gen_random_uuid();
    m.function_name := fn.name;
    m.function_arn := fn.arn;
    m.stream_id := s.stream_id;
    m.event_source_arn := s.stream_arn;
    m.starting_position := starting_position;
    m.starting_position_timestamp := starting_position_timestamp;
    m.batch_size := COALESCE(batch_size, 100);
    m.maximum_batching_window_in_seconds := COALESCE(maximum_batching_window_in_seconds, 0);
    m.parallelization_factor := COALESCE(parallelization_factor, 1);
    m.maximum_retry_attempts := COALESCE(maximum_retry_attempts, -1);
    m.maximum_record_age_in_seconds := COALESCE(maximum_record_age_in_seconds, -1);
    m.bisect_batch_on_function_error := COALESCE(bisect_batch_on_function_error, false);
    m.function_response_types := COALESCE(function_response_types, '{}');
    m.filter_criteria := CASE WHEN filter_criteria IN ('{}', '{"Filters": []}') THEN NULL ELSE filter_criteria END;
    m.destination_on_failure := NULLIF(@extschema@._esm_destination(destination_config), '');
    m.tumbling_window_in_seconds := COALESCE(tumbling_window_in_seconds, 0);
    m.function_url := NULLIF(function_url, '');
    m.enabled := COALESCE(enabled, true);
    m.state := CASE WHEN m.enabled THEN 'Enabled' ELSE 'Disabled' END;
    m.state_transition_reason := 'User action';
    m.last_processing_result := 'No records processed';
    m.last_modified := pg_catalog.now();
    m.owner := @extschema@._stream_caller()::pg_catalog.regrole;
    m.created_at := pg_catalog.now();
    ok := @extschema@._esm_check(m);
    ok := @extschema@._esm_check_unique(m.function_name, m.stream_id, m.event_source_arn, NULL);
    BEGIN
        INSERT INTO @extschema@._event_source_mappings SELECT m.*;
    EXCEPTION WHEN unique_violation THEN
        -- a concurrent creation committed first, and this transaction's
        -- snapshot (REPEATABLE READ) cannot see it
        ok := @extschema@._esm_conflict(m);
    END;
    RETURN @extschema@._esm_config(m, 'Creating');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.create_event_source_mapping(text, text, text, timestamptz, integer, integer,
    integer, integer, integer, boolean, text[], jsonb, jsonb, integer, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.create_event_source_mapping(text, text, text, timestamptz, integer, integer,
    integer, integer, integer, boolean, text[], jsonb, jsonb, integer, boolean, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.create_event_source_mapping(text, text, text, timestamptz, integer, integer,
    integer, integer, integer, boolean, text[], jsonb, jsonb, integer, boolean, text) IS
    'CreateEventSourceMapping: a consumer (function) of a stream, with Lambda''s batching, retry and failure rules';

-- UpdateEventSourceMapping: change the settings given (NULL: unchanged);
-- the starting position cannot change.  Empty values remove a setting:
-- filter_criteria '{}' or '{"Filters":[]}', destination_config '{}' or
-- '{"OnFailure":{}}', function_response_types '{}', function_url ''.
CREATE FUNCTION @extschema@.update_event_source_mapping(
    uuid text,
    function_name text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    batch_size integer DEFAULT NULL,
    filter_criteria jsonb DEFAULT NULL,
    maximum_batching_window_in_seconds integer DEFAULT NULL,
    destination_config jsonb DEFAULT NULL,
    maximum_record_age_in_seconds integer DEFAULT NULL,
    bisect_batch_on_function_error boolean DEFAULT NULL,
    maximum_retry_attempts integer DEFAULT NULL,
    parallelization_factor integer DEFAULT NULL,
    tumbling_window_in_seconds integer DEFAULT NULL,
    function_response_types text[] DEFAULT NULL,
    function_url text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    fn record;
    m @extschema@._event_source_mappings := @extschema@._esm_by_uuid(uuid, 'UpdateEventSourceMapping');
    was_enabled boolean := m.enabled;
    dest text;
BEGIN
    IF function_name IS NOT NULL THEN
        fn := @extschema@._esm_function(function_name);
        m.function_name := fn.name;
        m.function_arn := fn.arn;
    END IF;
    m.enabled := COALESCE(enabled, m.enabled);
    m.batch_size := COALESCE(batch_size, m.batch_size);
    IF filter_criteria IS NOT NULL THEN
        m.filter_criteria := CASE WHEN filter_criteria IN ('{}', '{"Filters": []}') THEN NULL ELSE filter_criteria END;
    END IF;
    m.maximum_batching_window_in_seconds := COALESCE(maximum_batching_window_in_seconds, m.maximum_batching_window_in_seconds);
    dest := @extschema@._esm_destination(destination_config);
    IF dest IS NOT NULL THEN
        m.destination_on_failure := NULLIF(dest, '');
    END IF;
    m.maximum_record_age_in_seconds := COALESCE(maximum_record_age_in_seconds, m.maximum_record_age_in_seconds);
    m.bisect_batch_on_function_error := COALESCE(bisect_batch_on_function_error, m.bisect_batch_on_function_error);
    m.maximum_retry_attempts := COALESCE(maximum_retry_attempts, m.maximum_retry_attempts);
    m.parallelization_factor := COALESCE(parallelization_factor, m.parallelization_factor);
    m.tumbling_window_in_seconds := COALESCE(tumbling_window_in_seconds, m.tumbling_window_in_seconds);
    m.function_response_types := COALESCE(function_response_types, m.function_response_types);
    IF function_url IS NOT NULL THEN
        m.function_url := NULLIF(function_url, '');
    END IF;
    ok := @extschema@._esm_check(m);
    ok := @extschema@._esm_check_unique(m.function_name, m.stream_id, m.event_source_arn, m.uuid);
    m.state := CASE WHEN m.enabled THEN 'Enabled' ELSE 'Disabled' END;
    m.state_transition_reason := 'User action';
    m.last_modified := pg_catalog.now();
    BEGIN
        UPDATE @extschema@._event_source_mappings x
           SET function_name = m.function_name, function_arn = m.function_arn,
               batch_size = m.batch_size,
               maximum_batching_window_in_seconds = m.maximum_batching_window_in_seconds,
               parallelization_factor = m.parallelization_factor,
               maximum_retry_attempts = m.maximum_retry_attempts,
               maximum_record_age_in_seconds = m.maximum_record_age_in_seconds,
               bisect_batch_on_function_error = m.bisect_batch_on_function_error,
               function_response_types = m.function_response_types,
               filter_criteria = m.filter_criteria,
               destination_on_failure = m.destination_on_failure,
               tumbling_window_in_seconds = m.tumbling_window_in_seconds,
               function_url = m.function_url,
               enabled = m.enabled, state = m.state,
               state_transition_reason = m.state_transition_reason,
               last_modified = m.last_modified
         WHERE x.uuid = m.uuid;
    EXCEPTION WHEN unique_violation THEN
        ok := @extschema@._esm_conflict(m);
    END;
    RETURN @extschema@._esm_config(m,
        CASE WHEN m.enabled = was_enabled THEN 'Updating'
             WHEN m.enabled THEN 'Enabling' ELSE 'Disabling' END);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.update_event_source_mapping(text, text, boolean, integer, jsonb, integer, jsonb,
    integer, boolean, integer, integer, integer, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.update_event_source_mapping(text, text, boolean, integer, jsonb, integer, jsonb,
    integer, boolean, integer, integer, integer, text[], text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.update_event_source_mapping(text, text, boolean, integer, jsonb, integer, jsonb,
    integer, boolean, integer, integer, integer, text[], text) IS
    'UpdateEventSourceMapping: change the settings of a mapping (NULL: unchanged)';

-- DeleteEventSourceMapping: drop a mapping with its checkpoints and
-- leases; returns its last configuration, State Deleting.
CREATE FUNCTION @extschema@.delete_event_source_mapping(uuid text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m @extschema@._event_source_mappings := @extschema@._esm_by_uuid(uuid, 'DeleteEventSourceMapping');
BEGIN
    DELETE FROM @extschema@._event_source_mappings x WHERE x.uuid = m.uuid;
    RETURN @extschema@._esm_config(m, 'Deleting');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.delete_event_source_mapping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.delete_event_source_mapping(text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.delete_event_source_mapping(text) IS
    'DeleteEventSourceMapping: drop a mapping with its checkpoints';

-- GetEventSourceMapping: the configuration of one mapping.
CREATE FUNCTION @extschema@.get_event_source_mapping(uuid text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN @extschema@._esm_config(@extschema@._esm_by_uuid(uuid, 'GetEventSourceMapping'));
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_event_source_mapping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.get_event_source_mapping(text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.get_event_source_mapping(text) IS
    'GetEventSourceMapping: the configuration of a mapping';

-- ListEventSourceMappings: the mappings the caller may see, of one stream
-- and/or function if given, at most max_items (1..10000, default 100)
-- after marker (the NextMarker of the page before), oldest first.
CREATE FUNCTION @extschema@.list_event_source_mappings(event_source_arn text DEFAULT NULL,
                                                       function_name text DEFAULT NULL,
                                                       marker text DEFAULT NULL,
                                                       max_items integer DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    fname text;
    after_time timestamptz;
    after_uuid pg_catalog.uuid;
    page @extschema@._event_source_mappings[];
    result jsonb;
BEGIN
    IF max_items IS NULL THEN
        max_items := 100;
    ELSE
        ok := @extschema@._esm_check_range(max_items, 'maxItems', 1, 10000);
    END IF;
    IF function_name IS NOT NULL THEN
        fname := (@extschema@._esm_function(function_name)).name;
    END IF;
    IF marker IS NOT NULL THEN
        SELECT x.created_at, x.uuid INTO after_time, after_uuid
          FROM @extschema@._event_source_mappings x WHERE x.uuid::text = marker;
        IF NOT FOUND THEN
            ok := @extschema@._raise('InvalidParameterValueException', 'Invalid marker: ' || marker,
                'Pass the NextMarker of the previous page unchanged (the mapping it names has been deleted since).');
        END IF;
    END IF;
    SELECT pg_catalog.array_agg(x ORDER BY x.created_at, x.uuid) INTO page
      FROM (SELECT y.* FROM @extschema@._event_source_mappings y
             WHERE (list_event_source_mappings.event_source_arn IS NULL
                    OR y.event_source_arn = list_event_source_mappings.event_source_arn)
               AND (fname IS NULL OR y.function_name = fname)
               AND (marker IS NULL OR (y.created_at, y.uuid) > (after_time, after_uuid))
               AND @extschema@._esm_visible(y)
             ORDER BY y.created_at, y.uuid
             LIMIT max_items + 1) x;
    page := COALESCE(page, '{}');
    SELECT pg_catalog.jsonb_build_object('EventSourceMappings',
               COALESCE(pg_catalog.jsonb_agg(@extschema@._esm_config(page[i]) ORDER BY i), '[]'))
      INTO result
      FROM pg_catalog.generate_series(1, LEAST(pg_catalog.cardinality(page), max_items)) i;
    IF pg_catalog.cardinality(page) > max_items THEN
        result := result || pg_catalog.jsonb_build_object('NextMarker', page[max_items].uuid::text);
    END IF;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.list_event_source_mappings(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.list_event_source_mappings(text, text, text, integer) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.list_event_source_mappings(text, text, text, integer) IS
    'ListEventSourceMappings: the mappings of a stream or function, a page at a time';

-- Rewind (beyond AWS): move the checkpoints of every mapping of function
-- function_name back, on every shard and lane, to just before the first
-- record created at or after "to", or to just before sequence number
-- sequence_number (exactly one of the two), so that the records from there
-- on are delivered again, with their original images (OldImage included).
-- A checkpoint already before that point stays; a lane moved back loses
-- its batch in flight (complete_batch and fail_batch of it then fail),
-- its retry count, bisect halves and tumbling window state.  Records
-- trimmed from the stream log cannot come again.  Returns the number of
-- shards moved back.  Needs membership in each mapping's owner.
CREATE FUNCTION @extschema@.rewind(function_name text, "to" timestamptz DEFAULT NULL,
                                   sequence_number text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    fname text := (@extschema@._esm_function(function_name)).name;
    seq text;
    m @extschema@._event_source_mappings;
    found_one boolean := false;
    moved integer := 0;
    n integer;
BEGIN
    IF ("to" IS NULL) = (sequence_number IS NULL) THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            'Exactly one of to and sequence_number must be provided',
            'rewind(function_name, to => <timestamptz>) or rewind(function_name, sequence_number => <text>).');
    END IF;
    IF sequence_number IS NOT NULL THEN
        IF pg_catalog.length(sequence_number) < 21 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber',
                'Member must have length greater than or equal to 21');
        ELSIF pg_catalog.length(sequence_number) > 40 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber',
                'Member must have length less than or equal to 40');
        ELSIF sequence_number !~ '^[0-9]+$' THEN
            ok := @extschema@._raise('ValidationException', 'Invalid SequenceNumber: ' || sequence_number,
                'A SequenceNumber is a string of 21 to 40 digits.');
        END IF;
        seq := @extschema@._log_seq(sequence_number::numeric);
    END IF;
    FOR m IN SELECT * FROM @extschema@._event_source_mappings x
              WHERE x.function_name = fname ORDER BY x.created_at, x.uuid LOOP
        CONTINUE WHEN NOT @extschema@._esm_visible(m);
        m := @extschema@._esm_by_uuid(m.uuid::text, 'Rewind');
        found_one := true;
        -- the lane rows, made now if delivery has not started
        PERFORM @extschema@._esm_init_shards(m.uuid);
        -- lock the lanes first: the statement below then has a snapshot
        -- that sees every batch a concurrent receive_batch committed
        PERFORM FROM @extschema@._esm_shards e WHERE e.mapping = m.uuid FOR UPDATE;
        WITH target AS (
            SELECT e.shard_id, e.lane,
                   LEAST(e.checkpoint_seq,
                         COALESCE((SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                                    WHERE r.shard_no = e.shard_no
                                      AND CASE WHEN seq IS NULL THEN r.created_at < "to"
                                               ELSE r.sequence_number < seq COLLATE "C" END), '')) AS checkpoint_seq
              FROM @extschema@._esm_shards e
             WHERE e.mapping = m.uuid),
        back AS (
            UPDATE @extschema@._esm_shards e
               SET checkpoint_seq = t.checkpoint_seq, done = false,
                   batch_id = NULL, leased_until = NULL, attempts = 0, bisect_ends = '{}',
                   window_start = NULL, window_state = NULL, window_early = false
              FROM target t
             WHERE e.mapping = m.uuid AND e.shard_id = t.shard_id AND e.lane = t.lane
               AND t.checkpoint_seq < e.checkpoint_seq
            RETURNING e.shard_id, e.lane),
        dropped AS (
            DELETE FROM @extschema@._esm_batches b USING back k
             WHERE b.mapping = m.uuid AND b.shard_id = k.shard_id AND b.lane = k.lane)
        SELECT pg_catalog.count(DISTINCT k.shard_id) INTO n FROM back k;
        moved := moved + n;
    END LOOP;
    IF NOT found_one THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'The resource you requested does not exist.',
            pg_catalog.format('Function %s has no event source mapping.', fname));
    END IF;
    RETURN moved;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.rewind(text, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.rewind(text, timestamptz, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.rewind(text, timestamptz, text) IS
    'move the checkpoints of a function''s mappings back to a time or sequence number (beyond AWS)';
-- ---------------------------------------------------------------------
-- HTTP push (http-push)
-- ---------------------------------------------------------------------
-- dynamo_streams install script, part 64: push delivery over HTTP.
--
-- An event source mapping with a function_url is pushed to that URL by the
-- delivery worker (C, src/http*.c; docs/http-push.md): the Lambda Invoke
-- API (a URL ending in /2015-03-31/functions/<name>/invocations) or any
-- other http(s) URL as a webhook.  A URL is a request-forgery vector, so
-- only superusers and members of the role dynamo_http_targets may create
-- or change a mapping with one, and its host must be listed in
-- dynamo_streams.http_allowed_hosts (superuser-only).  SigV4 credentials
-- live in a table only superusers can read; the worker reads them through
-- C, never through a view.

-- The role whose members may create and change mappings with a function_url
-- (roles are cluster-wide: made once, kept by DROP EXTENSION).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'dynamo_http_targets') THEN
        CREATE ROLE dynamo_http_targets NOLOGIN;
    END IF;
END
$$;

-- Check a function_url (http/https, a host, no user info, an allowed
-- host); InvalidParameterValueException if refused.  Returns 'Invoke' or
-- 'Webhook'.
CREATE FUNCTION @extschema@._http_target_check(url text)
RETURNS text LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'dynamo_http_target_check';

-- May role r own or change a mapping with an HTTP target?
CREATE FUNCTION @extschema@._http_target_right(r name)
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles a
                    WHERE a.rolname OPERATOR(pg_catalog.=) r AND a.rolsuper)
        OR (EXISTS (SELECT FROM pg_catalog.pg_roles a
                     WHERE a.rolname OPERATOR(pg_catalog.=) 'dynamo_http_targets')
            AND pg_catalog.pg_has_role(r, 'dynamo_http_targets', 'USAGE'))
$$;

-- Trigger on the mapping catalog: creating a mapping with a function_url,
-- or changing the configuration of one that has (or gets) one, needs the
-- right (the caller's and the owner's), and a new or changed URL is
-- checked.  Changes of the state columns alone (delivery) pass.
CREATE FUNCTION @extschema@._http_target_guard()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
    state_cols text[] := ARRAY['state', 'state_transition_reason', 'last_processing_result', 'last_modified'];
BEGIN
    IF NEW.function_url IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) state_cols)
           OPERATOR(pg_catalog.=) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) state_cols) THEN
        RETURN NEW;
    END IF;
    IF NOT @extschema@._http_target_right(who) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to create or change an event source mapping with a function_url', who),
            NULL, 'Only superusers and members of the role dynamo_http_targets may; see docs/security.md.');
    END IF;
    IF NOT @extschema@._http_target_right(NEW.owner::name) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to own an event source mapping with a function_url', NEW.owner),
            NULL, 'The mapping''s owner must be a superuser or a member of the role dynamo_http_targets; see docs/security.md.');
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR NEW.function_url IS DISTINCT FROM OLD.function_url THEN
        PERFORM @extschema@._http_target_check(NEW.function_url);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER _http_target_guard
    BEFORE INSERT OR UPDATE ON @extschema@._event_source_mappings
    FOR EACH ROW EXECUTE FUNCTION @extschema@._http_target_guard();

-- Function configuration that push delivery needs (Lambda's
-- UpdateFunctionConfiguration): the timeout of one invocation.
CREATE TABLE @extschema@._function_config (
    function_name     text PRIMARY KEY,
    -- seconds, Lambda's range and default
    timeout           integer NOT NULL DEFAULT 3 CHECK (timeout BETWEEN 1 AND 900)
);
COMMENT ON TABLE @extschema@._function_config IS
    'dynamo_streams push delivery: per-function settings (timeout)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@._function_config', '');
REVOKE ALL ON @extschema@._function_config FROM PUBLIC;

-- Set a function's timeout (seconds, 1-900; Lambda's default 3).
CREATE FUNCTION @extschema@.update_function_configuration(function_name text, timeout integer DEFAULT 3)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
    name text := function_name;
BEGIN
    IF NOT @extschema@._http_target_right(who) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: lambda:UpdateFunctionConfiguration on resource: %s', who, name),
            NULL, 'Only superusers and members of the role dynamo_http_targets may; see docs/security.md.');
    END IF;
    IF name IS NULL OR name OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'FunctionName must not be empty.');
    END IF;
    IF timeout IS NULL OR timeout OPERATOR(pg_catalog.<) 1 OR timeout OPERATOR(pg_catalog.>) 900 THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('1 validation error detected: Value ''%s'' at ''timeout'' failed to satisfy constraint: Member must have value between 1 and 900', timeout));
    END IF;
    INSERT INTO @extschema@._function_config AS c (function_name, timeout) VALUES (name, timeout)
    ON CONFLICT ON CONSTRAINT _function_config_pkey DO UPDATE SET timeout = EXCLUDED.timeout;
    RETURN pg_catalog.jsonb_build_object('FunctionName', name, 'Timeout', timeout);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.update_function_configuration(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.update_function_configuration(text, integer) TO dynamo_http_targets;

-- SigV4 credentials per host ('*': any host).  Only superusers can read or
-- write this table (no grant, no view); it is not part of pg_dump's
-- extension data either, so secrets do not end up in dumps.
CREATE TABLE @extschema@._http_credentials (
    host              text PRIMARY KEY,
    access_key_id     text NOT NULL,
    secret_access_key text NOT NULL,
    session_token     text,
    -- the signing region; NULL: dynamo_streams.region
    region            text
);
COMMENT ON TABLE @extschema@._http_credentials IS
    'dynamo_streams push delivery: SigV4 credentials per target host (superusers only)';
REVOKE ALL ON @extschema@._http_credentials FROM PUBLIC;

-- Store (or with access_key_id NULL remove) the credentials for a host.
-- Superusers only: the function runs as its caller and the table is theirs.
CREATE FUNCTION @extschema@.set_http_credentials(host text, access_key_id text,
    secret_access_key text DEFAULT NULL, session_token text DEFAULT NULL, region text DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    h text := pg_catalog.lower(host);
BEGIN
    IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        ok := @extschema@._raise('AccessDeniedException',
            'Only superusers may set HTTP signing credentials', NULL, 'See docs/security.md.');
    END IF;
    IF h IS NULL OR h OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'host must name a host or be ''*''.');
    END IF;
    IF access_key_id IS NULL THEN
        DELETE FROM @extschema@._http_credentials c WHERE c.host OPERATOR(pg_catalog.=) h;
        RETURN FOUND;
    END IF;
    IF secret_access_key IS NULL OR secret_access_key OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'secret_access_key must not be empty.');
    END IF;
    INSERT INTO @extschema@._http_credentials AS c VALUES (h, access_key_id, secret_access_key, session_token, region)
    ON CONFLICT ON CONSTRAINT _http_credentials_pkey DO UPDATE
        SET access_key_id = EXCLUDED.access_key_id, secret_access_key = EXCLUDED.secret_access_key,
            session_token = EXCLUDED.session_token, region = EXCLUDED.region;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.set_http_credentials(text, text, text, text, text) FROM PUBLIC;

-- Push delivery metrics per mapping, written by the delivery worker in the
-- transaction that completes or fails each batch.
CREATE TABLE @extschema@._http_metrics (
    mapping           uuid PRIMARY KEY REFERENCES @extschema@._event_source_mappings ON DELETE CASCADE,
    invokes           bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    consecutive_errors integer NOT NULL DEFAULT 0,
    last_invoke_at    timestamptz,
    -- 'OK' or the error: 'Unhandled', 'timeout', 'HTTP 500', ...
    last_status       text,
    last_http_status  integer,
    last_error        text,
    last_error_at     timestamptz,
    -- the latest (at most 200) invoke latencies, in milliseconds
    recent_latencies_ms real[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE @extschema@._http_metrics IS
    'dynamo_streams push delivery: invoke counts, errors and latencies per mapping';
REVOKE ALL ON @extschema@._http_metrics FROM PUBLIC;

-- Record one invoke (by the worker).  error NULL: it succeeded.
CREATE FUNCTION @extschema@._http_record_invoke(mapping uuid, http_status integer,
    latency_ms real, error text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m uuid := mapping;
    e text := pg_catalog.left(error, 1000);
BEGIN
    INSERT INTO @extschema@._http_metrics AS h (mapping) VALUES (m) ON CONFLICT DO NOTHING;
    UPDATE @extschema@._http_metrics h
       SET invokes = h.invokes OPERATOR(pg_catalog.+) 1,
           errors = h.errors OPERATOR(pg_catalog.+) (e IS NOT NULL)::integer,
           consecutive_errors = CASE WHEN e IS NULL THEN 0 ELSE h.consecutive_errors OPERATOR(pg_catalog.+) 1 END,
           last_invoke_at = pg_catalog.clock_timestamp(),
           last_status = COALESCE(pg_catalog.split_part(e, ':', 1), 'OK'),
           last_http_status = http_status,
           last_error = COALESCE(e, h.last_error),
           last_error_at = CASE WHEN e IS NULL THEN h.last_error_at ELSE pg_catalog.clock_timestamp() END,
           recent_latencies_ms = (h.recent_latencies_ms OPERATOR(pg_catalog.||) latency_ms)
               [GREATEST(1, pg_catalog.cardinality(h.recent_latencies_ms) OPERATOR(pg_catalog.-) 198):]
     WHERE h.mapping OPERATOR(pg_catalog.=) m;
    UPDATE @extschema@._event_source_mappings x
       SET last_processing_result = CASE WHEN e IS NULL THEN 'OK' ELSE 'PROBLEM: Function call failed' END
     WHERE x.uuid OPERATOR(pg_catalog.=) m
       AND x.last_processing_result IS DISTINCT FROM CASE WHEN e IS NULL THEN 'OK' ELSE 'PROBLEM: Function call failed' END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._http_record_invoke(uuid, integer, real, text) FROM PUBLIC;

-- A problem that stops delivery of a mapping (its target refused at
-- delivery time): shown as LastProcessingResult and in the metrics.
CREATE FUNCTION @extschema@._http_record_problem(mapping uuid, problem text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m uuid := mapping;
    p text := 'PROBLEM: ' OPERATOR(pg_catalog.||) pg_catalog.left(problem, 1000);
BEGIN
    INSERT INTO @extschema@._http_metrics AS h (mapping) VALUES (m) ON CONFLICT DO NOTHING;
    UPDATE @extschema@._http_metrics h SET last_error = problem, last_error_at = pg_catalog.clock_timestamp()
     WHERE h.mapping OPERATOR(pg_catalog.=) m AND h.last_error IS DISTINCT FROM problem;
    UPDATE @extschema@._event_source_mappings x SET last_processing_result = p
     WHERE x.uuid OPERATOR(pg_catalog.=) m AND x.last_processing_result IS DISTINCT FROM p;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._http_record_problem(uuid, text) FROM PUBLIC;

-- One row per mapping with a function_url that the caller may see
-- (members of its owner): state, the latest invoke and latency percentiles
-- over the latest 200 invokes.  The URL is shown without its query string.
CREATE VIEW @extschema@.http_push_metrics AS
SELECT m.uuid,
       m.function_name,
       pg_catalog.regexp_replace(m.function_url, '[?#].*$', '') AS function_url,
       CASE WHEN m.function_url OPERATOR(pg_catalog.~) '/2015-03-31/functions/[^/]+/invocations([?#]|$)'
            THEN 'Invoke' ELSE 'Webhook' END AS target_type,
       m.state,
       m.state_transition_reason,
       m.last_processing_result,
       COALESCE(h.invokes, 0) AS invokes,
       COALESCE(h.errors, 0) AS errors,
       COALESCE(h.consecutive_errors, 0) AS consecutive_errors,
       h.last_invoke_at,
       h.last_status,
       h.last_http_status,
       h.last_error,
       h.last_error_at,
       p.p50 AS latency_p50_ms,
       p.p90 AS latency_p90_ms,
       p.p99 AS latency_p99_ms
  FROM @extschema@._event_source_mappings m
  LEFT JOIN @extschema@._http_metrics h ON h.mapping OPERATOR(pg_catalog.=) m.uuid
  LEFT JOIN LATERAL (
        SELECT pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY l) AS p50,
               pg_catalog.percentile_cont(0.9) WITHIN GROUP (ORDER BY l) AS p90,
               pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY l) AS p99
          FROM pg_catalog.unnest(h.recent_latencies_ms) l) p ON true
 WHERE m.function_url IS NOT NULL
   AND pg_catalog.pg_has_role(@extschema@._stream_caller(), m.owner, 'USAGE');
GRANT SELECT ON @extschema@.http_push_metrics TO PUBLIC;
COMMENT ON VIEW @extschema@.http_push_metrics IS
    'push delivery per mapping: state, last invoke status and error, consecutive errors, latency percentiles';
-- ---------------------------------------------------------------------
-- Streams API finishing (streams-rest)
-- ---------------------------------------------------------------------
CREATE FUNCTION @extschema@._log_page(stream_id bigint, stream_arn text, stream_view_type text,
                                      shard_id text, shard_no bigint, closed boolean, after_seq text,
                                      "limit" integer, kind text, seq text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dynamo_sql_log_page';
REVOKE ALL ON FUNCTION @extschema@._log_page(bigint, text, text, text, bigint, boolean, text, integer, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.get_records(shard_iterator text, "limit" int DEFAULT 1000)
RETURNS json LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    it record;
    s @extschema@._streams;
    h record;
    horizon numeric;
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
            'The data you are trying to access has been trimmed',
            pg_catalog.format('Records of shard %s before sequence number %s have been trimmed.', it.shard_id, horizon),
            'Records older than the stream''s retention have been trimmed; start at TRIM_HORIZON.');
    END IF;
    -- The page and the iterator after it (src/stream_page.c)
    RETURN @extschema@._log_page(s.stream_id, s.stream_arn, s.stream_view_type, it.shard_id, h.shard_no,
               h.ending_sequence_number IS NOT NULL,
               GREATEST(CASE it.kind WHEN 'TRIM' THEN ''
                                     WHEN 'AT' THEN @extschema@._log_seq(it.seq OPERATOR(pg_catalog.-) 1)
                                     ELSE @extschema@._log_seq(it.seq) END,
                        COALESCE((SELECT x.trimmed_seq FROM @extschema@._shards x
                                   WHERE x.shard_no OPERATOR(pg_catalog.=) h.shard_no), '')) COLLATE "C",
               "limit", it.kind, it.seq::text);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_records(text, int) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_records(text, int) IS
    'GetRecords: the records at a shard iterator, as the plugin renders them';

CREATE FUNCTION @extschema@._key_hash_columns(item jsonb, columns text[]) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_key_hash_columns';

CREATE OR REPLACE FUNCTION @extschema@.list_shards(stream_arn text)
RETURNS TABLE (shard_id text, parent_shard_id text, starting_sequence_number text,
               ending_sequence_number text, hash_slot integer, slot_count integer,
               created_at timestamptz, closed_at timestamptz, trim_horizon text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean := @extschema@._stream_require_read(st, 'DescribeStream');
BEGIN
    RETURN QUERY
    SELECT sh.shard_id, sh.parent_shard_id, sh.starting_seq::text, sh.ending_seq::text, sh.hash_slot,
           sh.slot_count, sh.created_at, sh.closed_at, sh.trimmed_seq::text
      FROM @extschema@._shards sh
     WHERE sh.stream_id OPERATOR(pg_catalog.=) st.stream_id
     ORDER BY sh.shard_no;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.list_shards(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.list_shards(text) IS
    'the shards of a stream, with ParentShardId and sequence number range, oldest first';

CREATE OR REPLACE FUNCTION @extschema@.shard_for(table_name text, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables;
    who name := @extschema@._stream_caller();
    cols text[];
    item jsonb;
    h bigint;
    ok boolean;
    result text;
BEGIN
    SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) shard_for.table_name;
    IF NOT FOUND OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid) THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) COALESCE(table_name, '') OPERATOR(pg_catalog.||) ' not found');
    END IF;
    IF NOT pg_catalog.has_table_privilege(who, t.relid::pg_catalog.oid, 'SELECT') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:DescribeStream on resource: %s',
                              who, @extschema@._table_arn(t.table_name)),
            pg_catalog.format('shard_for needs the SELECT privilege on the table %s.', t.relid),
            'The table''s owner can grant it; see docs/security.md.');
    END IF;
    IF NOT t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has no stream enabled');
    END IF;
    item := @extschema@.validate_item(key);
    IF t.kind OPERATOR(pg_catalog.=) 'item' THEN
        h := @extschema@._key_hash(item, t.hash_key, t.range_key);
        IF h IS NULL OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key))
                        OPERATOR(pg_catalog.<>) (CASE WHEN t.range_key IS NULL THEN 1 ELSE 2 END)
           OR NOT ((key OPERATOR(pg_catalog.->) t.hash_key) OPERATOR(pg_catalog.?) t.hash_key_type::text)
           OR NOT (t.range_key IS NULL
                   OR (key OPERATOR(pg_catalog.->) t.range_key) OPERATOR(pg_catalog.?) t.range_key_type::text) THEN
            ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema');
        END IF;
    ELSE
        -- the primary key columns in column order, as the plugin writes Keys
        SELECT COALESCE(pg_catalog.array_agg(a.attname::text ORDER BY a.attnum), '{}') INTO cols
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                                        AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[])
         WHERE i.indrelid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid AND i.indisprimary;
        h := @extschema@._key_hash_columns(item, cols);
        IF h IS NULL OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key))
                        OPERATOR(pg_catalog.<>) pg_catalog.cardinality(cols) THEN
            ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                'The key of ' OPERATOR(pg_catalog.||) t.relid::text OPERATOR(pg_catalog.||) ' is its primary key columns: '
                OPERATOR(pg_catalog.||) pg_catalog.array_to_string(cols, ', ') OPERATOR(pg_catalog.||) '.');
        END IF;
    END IF;
    SELECT sh.shard_id INTO result
      FROM @extschema@._streams s
      JOIN @extschema@._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id AND sh.current
     WHERE s.stream_arn OPERATOR(pg_catalog.=) t.stream_arn AND sh.ending_seq IS NULL
       AND sh.hash_slot OPERATOR(pg_catalog.=) @extschema@._hash_slot(h, sh.slot_count);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.shard_for(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.shard_for(text, jsonb) IS
    'the open shard of the table''s stream that a key maps to now';

CREATE OR REPLACE FUNCTION @extschema@.grant_access(role regrole)
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
        '@extschema@.get_records(text, int), @extschema@.list_shards(text), '
        '@extschema@.shard_for(text, jsonb) TO %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.grant_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.grant_access(regrole) IS
    'let a role create item tables and manage the ones it owns';

CREATE OR REPLACE FUNCTION @extschema@.revoke_access(role regrole)
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
        '@extschema@.get_records(text, int), @extschema@.list_shards(text), '
        '@extschema@.shard_for(text, jsonb) FROM %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.revoke_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_access(regrole) IS
    'undo grant_access';

-- the day partitions of _records carry their own indexes (so that pg_dump
-- and a restore keep the log); _shards is dumped with its rows
DROP INDEX @extschema@._records_shard_seq, @extschema@._records_stream_time;
SELECT pg_catalog.pg_extension_config_dump('@extschema@._shards', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@._shards_shard_no_seq', '');

CREATE OR REPLACE FUNCTION @extschema@._records_partition(at timestamptz) RETURNS text
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
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (shard_no, sequence_number)',
                                  name OPERATOR(pg_catalog.||) '_shard_no_sequence_number_idx', name);
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (stream_id, created_at)',
                                  name OPERATOR(pg_catalog.||) '_stream_id_created_at_idx', name);
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (key_hash, stream_id)',
                                  name OPERATOR(pg_catalog.||) '_key_hash_stream_id_idx', name);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@._records ATTACH PARTITION @extschema@.%I FOR VALUES FROM (%L) TO (%L)',
                                  name, lo, lo OPERATOR(pg_catalog.+) interval '1 day');
    END IF;
    RETURN name;
END
$$;

DO $$
DECLARE
    part record;
BEGIN
    FOR part IN SELECT c.relname FROM pg_catalog.pg_inherits i
                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
                 WHERE i.inhparent OPERATOR(pg_catalog.=) '@extschema@._records'::pg_catalog.regclass LOOP
        EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON @extschema@.%I (shard_no, sequence_number)',
                                  part.relname OPERATOR(pg_catalog.||) '_shard_no_sequence_number_idx', part.relname);
        EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON @extschema@.%I (stream_id, created_at)',
                                  part.relname OPERATOR(pg_catalog.||) '_stream_id_created_at_idx', part.relname);
        EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON @extschema@.%I (key_hash, stream_id)',
                                  part.relname OPERATOR(pg_catalog.||) '_key_hash_stream_id_idx', part.relname);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.get_shard_iterator(stream_arn text, shard_id text, shard_iterator_type text,
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
            -- AWS's message: the GetRecords API reference ("message") and a
            -- response recorded from AWS (ironSource/node-dynamodb-stream#13)
            ok := @extschema@._raise('TrimmedDataAccessException',
                'The data you are trying to access has been trimmed',
                pg_catalog.format('Sequence number %s of shard %s is below its trim horizon; records older than the stream''s retention have been trimmed.',
                                  sequence_number, shard_id),
                'Start at TRIM_HORIZON.');
        END IF;
    END CASE;
    RETURN pg_catalog.jsonb_build_object('ShardIterator', @extschema@._iterator_encode(s.stream_id, shard_id, kind, seq));
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) IS
    'GetShardIterator: an iterator at a position of a shard';

CREATE OR REPLACE FUNCTION @extschema@._check_not_trimmed(shard_no bigint, sequence_number text)
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
            'The data you are trying to access has been trimmed',
            'Sequence number ' OPERATOR(pg_catalog.||) sequence_number
            OPERATOR(pg_catalog.||) ' of shard ' OPERATOR(pg_catalog.||) sh.shard_id
            OPERATOR(pg_catalog.||) ' in stream ' OPERATOR(pg_catalog.||) st.stream_arn
            OPERATOR(pg_catalog.||) ' is at or below the trim horizon ' OPERATOR(pg_catalog.||) sh.trimmed_seq
            OPERATOR(pg_catalog.||) '.');
    END IF;
    RETURN true;
END
$$;

-- a disabled stream's shards close once its last records are in the log
ALTER TABLE @extschema@._streams ADD COLUMN disabled_xmax pg_catalog.xid8;

CREATE FUNCTION @extschema@._stream_drained(st @extschema@._streams, pos pg_catalog.pg_lsn) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    snap pg_catalog.pg_snapshot := pg_catalog.pg_current_snapshot();
    horizon pg_catalog.xid8 := st.disabled_xmax;
BEGIN
    IF st.disabled_lsn IS NULL THEN
        RETURN true;
    END IF;
    IF horizon IS NULL THEN
        -- the disabling has committed (the caller sees it): every
        -- transaction that wrote before it has an xid below the present xmax
        horizon := pg_catalog.pg_snapshot_xmax(snap);
        UPDATE @extschema@._streams s SET disabled_xmax = horizon
         WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
    END IF;
    IF horizon OPERATOR(pg_catalog.<>) '0'::pg_catalog.xid8 THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_snapshot_xip(snap) x
                    WHERE x OPERATOR(pg_catalog.<) horizon
                      AND x IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned()) THEN
            RETURN false;
        END IF;
        -- they have all ended, so their commits lie before the present end
        -- of the WAL: close once the log has reached it
        UPDATE @extschema@._streams s
           SET disabled_lsn = GREATEST(s.disabled_lsn, pg_catalog.pg_current_wal_insert_lsn()), disabled_xmax = '0'
         WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
        RETURN false;
    END IF;
    RETURN st.disabled_lsn OPERATOR(pg_catalog.<=) pos;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_drained(@extschema@._streams, pg_catalog.pg_lsn) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._maintain_shards() RETURNS void
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
            -- (once its last records are in: sql/install/84_stream_disable.sql)
            IF @extschema@._stream_drained(st, pos) THEN
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

-- ---------------------------------------------------------------------
-- A pump slot left by an earlier install (lead)
-- ---------------------------------------------------------------------
-- DROP EXTENSION keeps the pump's slot and origin; the next install's
-- first pump drops them instead of decoding WAL of tables gone since.

ALTER TABLE @extschema@._pump ADD COLUMN slot_created_lsn pg_catalog.pg_lsn;
-- a pump slot that exists at the upgrade is this install's (0.2.0 made it):
-- keep it, with the records it still holds for the log
UPDATE @extschema@._pump p SET slot_created_lsn = r.confirmed_flush_lsn
  FROM pg_catalog.pg_replication_slots r
 WHERE r.slot_name OPERATOR(pg_catalog.=) @extschema@._pump_slot_name();

CREATE OR REPLACE FUNCTION @extschema@._pump_ensure_slot() RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
    mine boolean := (SELECT p.slot_created_lsn IS NOT NULL FROM @extschema@._pump p);
    stale boolean := false;
BEGIN
    IF NOT mine AND EXISTS (SELECT FROM pg_catalog.pg_replication_slots r
                             WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        -- DROP EXTENSION keeps slots and origins: this one was made by an
        -- earlier install, its WAL and progress are of tables gone since
        -- (decoding them fails), and nothing of this install is in it
        -- (the origin after the new slot: dropping it writes, and a
        -- logical slot cannot be made in a transaction that has written)
        PERFORM pg_catalog.pg_drop_replication_slot(slot);
        stale := true;
        RAISE NOTICE 'dropped the replication slot % left by an earlier install of dynamo_streams', slot;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        IF pg_catalog.txid_current_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'the pump''s replication slot does not exist'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'A logical slot cannot be created in a transaction that has written: call dynamo.pump() or dynamo.start() first in a transaction of its own.';
        END IF;
        PERFORM pg_catalog.pg_create_logical_replication_slot(slot, 'dynamo_streams');
        UPDATE @extschema@._pump p SET slot_created_lsn = r.confirmed_flush_lsn
          FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
    END IF;
    IF stale AND EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_drop(origin);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_create(origin);
    END IF;
    RETURN slot;
END
$$;

-- Consumer review fixes (consumer-review)

-- complete_batch: with bisect_batch_on_function_error a partial batch
-- response splits the batch at the failure (only its remaining records are
-- retried); with tumbling windows a response without state fails the batch.
CREATE OR REPLACE FUNCTION @extschema@.complete_batch(batch_id bigint, response jsonb DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got record;
    b @extschema@._esm_batches;
    m @extschema@._event_source_mappings;
    l @extschema@._esm_shards;
    failures jsonb;
    ids text[];
    lowest text;
    valid boolean := true;
    upto text;
    rest text[];
    new_state text;
BEGIN
    got := @extschema@._esm_batch_for(batch_id);
    b := got.b;
    m := got.m;
    IF b.batch_id IS NULL THEN
        RETURN 'STALE';
    END IF;
    IF m.tumbling_window_in_seconds OPERATOR(pg_catalog.>) 0 THEN
        -- with tumbling windows the response must carry state (an object):
        -- else the invocation failed (as an invalid response: not bisected)
        IF pg_catalog.jsonb_typeof(response OPERATOR(pg_catalog.->) 'state') IS DISTINCT FROM 'object' THEN
            RETURN CASE @extschema@._esm_batch_failed(m, b, NULL, false) WHEN 'RETRY' THEN 'FAILED' ELSE 'DISCARDED' END;
        END IF;
        new_state := (response OPERATOR(pg_catalog.->) 'state')::text;
    END IF;
    IF 'ReportBatchItemFailures' OPERATOR(pg_catalog.<>) ALL (m.function_response_types)
       OR response IS NULL OR response OPERATOR(pg_catalog.=) '{}'::jsonb OR response OPERATOR(pg_catalog.=) '[]'::jsonb
       OR pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.=) 'null' THEN
        PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
        PERFORM @extschema@._esm_result(m.uuid, 'OK');
        RETURN 'SUCCESS';
    END IF;
    IF pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.<>) 'object' THEN
        valid := false;
    ELSE
        failures := response OPERATOR(pg_catalog.->) 'batchItemFailures';
        IF failures IS NULL OR pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.=) 'null'
           OR failures OPERATOR(pg_catalog.=) '[]'::jsonb THEN
            PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
            PERFORM @extschema@._esm_result(m.uuid, 'OK');
            RETURN 'SUCCESS';
        ELSIF pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.<>) 'array' THEN
            valid := false;
        ELSE
            SELECT pg_catalog.array_agg(CASE WHEN pg_catalog.jsonb_typeof(f) OPERATOR(pg_catalog.=) 'object'
                                              AND pg_catalog.jsonb_typeof(f OPERATOR(pg_catalog.->) 'itemIdentifier') OPERATOR(pg_catalog.=) 'string'
                                             THEN f OPERATOR(pg_catalog.->>) 'itemIdentifier' END)
              INTO ids FROM pg_catalog.jsonb_array_elements(failures) f;
            valid := NOT EXISTS (SELECT FROM pg_catalog.unnest(ids) i
                                  WHERE i IS NULL OR i OPERATOR(pg_catalog.<>) ALL (b.seqs));
            IF valid THEN
                SELECT pg_catalog.min(i COLLATE "C") INTO lowest FROM pg_catalog.unnest(ids) i;
            END IF;
        END IF;
    END IF;
    IF NOT valid THEN
        RETURN CASE @extschema@._esm_batch_failed(m, b, NULL, false) WHEN 'RETRY' THEN 'FAILED' ELSE 'DISCARDED' END;
    END IF;
    -- checkpoint just before the lowest failure; a retry of the rest
    SELECT * INTO l FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Function call failed');
    SELECT pg_catalog.max(x COLLATE "C") INTO upto
      FROM pg_catalog.unnest(b.seqs OPERATOR(pg_catalog.||) b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.<) lowest COLLATE "C";
    IF m.maximum_retry_attempts OPERATOR(pg_catalog.<>) -1
       AND l.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>) m.maximum_retry_attempts THEN
        SELECT pg_catalog.array_agg(x ORDER BY x) INTO rest
          FROM pg_catalog.unnest(b.seqs) x WHERE x OPERATOR(pg_catalog.>=) lowest COLLATE "C";
        PERFORM @extschema@._esm_write_failure(m, b.shard_id, rest, 'RetryAttemptsExhausted',
                                               l.attempts OPERATOR(pg_catalog.+) 1, NULL, b.request_id);
        -- processed up to the failure, failed after it
        PERFORM @extschema@._esm_settle(b, upto, false, new_state);
        UPDATE @extschema@._esm_shards e
           SET checkpoint_seq = b.last_seq,
               failed = e.failed OPERATOR(pg_catalog.+) pg_catalog.cardinality(rest),
               filtered = e.filtered OPERATOR(pg_catalog.+)
                   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.>) lowest COLLATE "C"),
               bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(x ORDER BY o), '{}')
                                FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(x, o)
                               WHERE x OPERATOR(pg_catalog.>) b.last_seq)
         WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
           AND e.lane OPERATOR(pg_catalog.=) b.lane;
        RETURN 'DISCARDED';
    END IF;
    -- (a window's state: the response's, as the records before the
    -- failure are done)
    PERFORM @extschema@._esm_settle(b, upto, false, new_state);
    -- with bisect_batch_on_function_error the batch is split at the
    -- failure: only its remaining records come again (not records after it)
    UPDATE @extschema@._esm_shards e SET attempts = l.attempts OPERATOR(pg_catalog.+) 1,
           bisect_ends = CASE WHEN m.bisect_batch_on_function_error
                               AND e.bisect_ends[1] IS DISTINCT FROM b.last_seq
                              THEN b.last_seq OPERATOR(pg_catalog.||) e.bisect_ends ELSE e.bisect_ends END
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    RETURN 'PARTIAL';
END
$$;

-- ===========================================================================
-- Export at a point in time (export-asof): a full export honours
-- export_time (the table then, through table_as_of) and exports ordinary
-- stream-enabled tables (their rows as the plugin maps them, _row_item).
-- ===========================================================================
-- A row of a stream-enabled ordinary table as the item its stream's
-- NewImage carries (the plugin's column mapping, src/export_files.c).
CREATE FUNCTION @extschema@._row_item(relation pg_catalog.regclass, "row" record)
RETURNS text LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'dynamo_sql_row_item';
REVOKE ALL ON FUNCTION @extschema@._row_item(pg_catalog.regclass, record) FROM PUBLIC;

-- ExportTableToPointInTime, to a server directory instead of an S3 bucket.
CREATE OR REPLACE FUNCTION @extschema@.export_table_to_point_in_time(table_name text, directory text,
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
