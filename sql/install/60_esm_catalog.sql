-- dynamo_streams install script, part 60: the event source mapping catalog.
--
-- One row per event source mapping (SPEC 4.7, docs/consumers.md): a
-- consumer ("function") reading one stream with Lambda's batching, retry
-- and failure rules.  The CRUD functions (create_/update_/delete_/get_/
-- list_event_source_mappings, part 61) are the only writers of this table;
-- the delivery state per shard (checkpoints, leases, failures) lives in the
-- tables of part 62, which reference a mapping by uuid.  Column names are
-- AWS's parameter names in snake_case; the defaults and ranges are AWS's.

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
    -- StateTransitionReason: 'User action' (the only one so far)
    state_transition_reason text NOT NULL DEFAULT 'User action',
    -- 'No records processed', 'OK', 'PROBLEM: ...'
    last_processing_result text NOT NULL DEFAULT 'No records processed',
    last_modified     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- the role that created it; delivery reads the stream as this role
    owner             pg_catalog.regrole NOT NULL DEFAULT CURRENT_USER::pg_catalog.regrole,
    CHECK ((starting_position = 'AT_TIMESTAMP') = (starting_position_timestamp IS NOT NULL)),
    -- when create_event_source_mapping made it (LATEST starts after the
    -- records of this moment; list_event_source_mappings pages in this order)
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- one mapping per function and stream (ResourceConflictException)
CREATE UNIQUE INDEX _event_source_mappings_function ON @extschema@._event_source_mappings (function_name, stream_id);
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
