-- dynamo_streams install script, part 61: event source mappings, the API.
--
-- create_/update_/delete_/get_event_source_mapping and
-- list_event_source_mappings, Lambda's actions with its parameter names
-- (snake_case), defaults, ranges, messages and exception names; the
-- configuration comes back in Lambda's EventSourceMappingConfiguration
-- shape (docs/consumers.md).  rewind() moves a mapping's checkpoints back
-- (beyond AWS).  Lambda works asynchronously: a mapping shows State
-- Creating, Enabling, Disabling, Updating or Deleting in the answer of the
-- call that changed it and Enabled or Disabled afterwards; here the change
-- is done when the call commits, so only the answer shows the transition.
--
-- Access: creating a mapping needs SELECT on the stream's table (the right
-- to read the stream, as in the Streams API); the creator owns the mapping,
-- and only its owner's members (and superusers) may update, delete, rewind
-- or see it.  The functions are SECURITY DEFINER (the catalog is not
-- writable by PUBLIC) with a pinned search_path.

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
        WITH target AS (
            SELECT e.shard_id, e.lane,
                   LEAST(e.checkpoint_seq,
                         COALESCE((SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                                    WHERE r.shard_no = e.shard_no
                                      AND CASE WHEN seq IS NULL THEN r.created_at < "to"
                                               ELSE r.sequence_number < seq COLLATE "C" END), '')) AS checkpoint_seq
              FROM @extschema@._esm_shards e
             WHERE e.mapping = m.uuid
               FOR UPDATE),
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
