-- 101_esm_mappings: event source mappings, Lambda's CRUD actions.  The
-- configuration has the keys, defaults and wording of the responses that
-- localstack recorded against AWS for a DynamoDB stream source
-- (tests/aws/services/lambda_/event_source_mapping/
-- test_lambda_integration_dynamodbstreams.snapshot.json: State Creating in
-- the create answer and Enabled afterwards, Disabling when disabled,
-- StateTransitionReason "User action", DestinationConfig {"OnFailure": {}}
-- when there is none, FunctionResponseTypes [] by default); the messages of
-- bad input are AWS's (test_api.snapshot.json there, and localstack's
-- provider for "Invalid filter pattern definition." and the duplicate
-- mapping's ResourceConflictException).
\set VERBOSITY terse
-- 100_readopt drops the extension at its end
CREATE EXTENSION dynamo_streams;
-- and the pump's slot it leaves behind decodes WAL of the dropped catalog
SELECT dynamo._pump_drop_slot() IS NOT NULL AS fresh_slot;
CREATE FUNCTION em_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
-- uuids, times and stream labels masked
CREATE FUNCTION em_mask(j jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(jsonb_pretty(j),
    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
    '"(LastModified|StartingPositionTimestamp)": [0-9.]+', '"\1": <time>', 'g'),
    '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}', '<label>', 'g')
$$;
-- an error as "SQLSTATE exception: message"
CREATE FUNCTION em_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || coalesce(split_part(split_part(det, ':', 1), '.', 1), '') || ': '
         || regexp_replace(regexp_replace(msg,
              '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
              '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}', '<label>', 'g');
END $$;
GRANT EXECUTE ON FUNCTION em_err(text), em_mask(jsonb), em_arn(text) TO PUBLIC;
SELECT dynamo.create_table('EsmOrders', 'id', 'S', NULL, NULL, 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT dynamo.create_table('EsmAudit', 'id', 'S', NULL, NULL, 'KEYS_ONLY') IS NOT NULL AS created;

-- defaults: BatchSize 100, MaximumRetryAttempts -1, ... State Creating
SELECT em_mask(dynamo.create_event_source_mapping('orders-fn', em_arn('EsmOrders'), 'TRIM_HORIZON'));
-- the catalog row behind it: Enabled, fixed FunctionArn, the caller owns it
SELECT function_name, function_arn, starting_position, state, state_transition_reason, owner::text, enabled
  FROM dynamo._event_source_mappings;
-- every parameter, and a function ARN as the function name
SELECT em_mask(dynamo.create_event_source_mapping(
  function_name => 'arn:aws:lambda:eu-west-1:123456789012:function:audit-fn',
  event_source_arn => em_arn('EsmOrders'),
  starting_position => 'AT_TIMESTAMP',
  starting_position_timestamp => '2026-01-02 03:04:05.678+00',
  batch_size => 10,
  maximum_batching_window_in_seconds => 5,
  parallelization_factor => 4,
  maximum_retry_attempts => 3,
  maximum_record_age_in_seconds => 3600,
  bisect_batch_on_function_error => true,
  function_response_types => '{ReportBatchItemFailures}',
  filter_criteria => '{"Filters":[{"Pattern":"{\"eventName\":[\"INSERT\",\"MODIFY\"]}"}]}',
  destination_config => '{"OnFailure":{"Destination":"arn:aws:sqs:eu-west-1:123456789012:audit-dlq"}}',
  tumbling_window_in_seconds => 60,
  enabled => false,
  function_url => 'http://127.0.0.1:9/audit'));
SELECT function_name, function_arn, state, enabled, destination_on_failure,
       starting_position_timestamp = '2026-01-02 03:04:05.678+00' AS ts_kept
  FROM dynamo._event_source_mappings WHERE function_name = 'audit-fn';
-- StartingPositionTimestamp is epoch seconds, as Lambda's JSON has it
SELECT dynamo.get_event_source_mapping(uuid::text) -> 'StartingPositionTimestamp'
  FROM dynamo._event_source_mappings WHERE function_name = 'audit-fn';

-- the same function on the same stream again: ResourceConflictException
SELECT em_err($$SELECT dynamo.create_event_source_mapping('orders-fn', em_arn('EsmOrders'), 'LATEST')$$);
SELECT em_err($$SELECT dynamo.create_event_source_mapping(
  'arn:aws:lambda:us-east-1:000000000000:function:orders-fn', em_arn('EsmOrders'), 'LATEST')$$);
-- the same function on another stream is another mapping
SELECT dynamo.create_event_source_mapping('orders-fn', em_arn('EsmAudit'), 'LATEST') ->> 'State';

-- bad values: ValidationException with the constraint, or
-- InvalidParameterValueException; nothing is stored
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', batch_size => %s)$$,
              em_arn('EsmOrders'), v)) FROM unnest(ARRAY[0, 10001]) v;
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', %s => %s)$$, em_arn('EsmOrders'), p, v))
  FROM (VALUES ('maximum_batching_window_in_seconds', -1), ('maximum_batching_window_in_seconds', 301),
               ('parallelization_factor', 0), ('parallelization_factor', 11),
               ('maximum_retry_attempts', -2), ('maximum_retry_attempts', 10001),
               ('maximum_record_age_in_seconds', -2), ('maximum_record_age_in_seconds', 604801),
               ('maximum_record_age_in_seconds', 59), ('maximum_record_age_in_seconds', 0),
               ('tumbling_window_in_seconds', -1), ('tumbling_window_in_seconds', 901)) x(p, v);
-- the edges are accepted
SELECT dynamo.create_event_source_mapping('edge-fn', em_arn('EsmOrders'), 'LATEST', batch_size => 10000,
         maximum_batching_window_in_seconds => 300, parallelization_factor => 10, maximum_retry_attempts => 10000,
         maximum_record_age_in_seconds => 60, tumbling_window_in_seconds => 900) ->> 'State';
SELECT dynamo.update_event_source_mapping(uuid::text, batch_size => 1, maximum_batching_window_in_seconds => 0,
         parallelization_factor => 1, maximum_retry_attempts => -1, maximum_record_age_in_seconds => 604800,
         tumbling_window_in_seconds => 0) ->> 'BatchSize'
  FROM dynamo._event_source_mappings WHERE function_name = 'edge-fn';
SELECT dynamo.delete_event_source_mapping(uuid::text) ->> 'State'
  FROM dynamo._event_source_mappings WHERE function_name = 'edge-fn';
-- starting positions
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, %L)$$, em_arn('EsmOrders'), v))
  FROM unnest(ARRAY[NULL, 'latest', 'AT_SEQUENCE_NUMBER']) v;
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', now())$$, em_arn('EsmOrders')));
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'AT_TIMESTAMP')$$, em_arn('EsmOrders')));
-- function names
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping(%L, %L, 'LATEST')$$, v, em_arn('EsmOrders')))
  FROM unnest(ARRAY[NULL, '', 'my fn', repeat('f', 65), 'arn:aws:lambda:us-east-1:000000000000:layer:x',
                    'arn:aws:s3:::bucket']) v;
-- streams
SELECT em_err($$SELECT dynamo.create_event_source_mapping('f', NULL, 'LATEST')$$);
SELECT em_err($$SELECT dynamo.create_event_source_mapping('f',
  'arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000', 'LATEST')$$);
-- function response types
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', function_response_types => %L)$$,
              em_arn('EsmOrders'), v)) FROM unnest(ARRAY['{Foo}', '{ReportBatchItemFailures,ReportBatchItemFailures}']) v;
-- filter criteria: the object, at most 5 filters, and each pattern
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', filter_criteria => %L)$$,
              em_arn('EsmOrders'), v))
  FROM unnest(ARRAY['[]', '{"Filters":{}}', '{"Filters":[{}]}', '{"Filters":[{"Pattern":{"eventName":["INSERT"]}}]}',
                    '{"Filters":[{"Pattern":"not json"}]}', '{"Filters":[{"Pattern":"[\"INSERT\"]"}]}',
                    '{"Filters":[' || repeat('{"Pattern":"{\"eventName\":[\"INSERT\"]}"},', 5)
                                   || '{"Pattern":"{\"eventName\":[\"REMOVE\"]}"}]}']) v;
-- no filters: none
SELECT dynamo.create_event_source_mapping('nofilter-fn' || n, em_arn('EsmOrders'), 'LATEST', filter_criteria => v)
       ? 'FilterCriteria' AS has_filter
  FROM unnest(ARRAY['{}', '{"Filters":[]}']::jsonb[]) WITH ORDINALITY u(v, n);
SELECT dynamo.delete_event_source_mapping(uuid::text) ->> 'State' FROM dynamo._event_source_mappings
 WHERE function_name LIKE 'nofilter-fn%';
-- five filters are fine
SELECT jsonb_array_length(dynamo.create_event_source_mapping('five-fn', em_arn('EsmOrders'), 'LATEST',
  filter_criteria => ('{"Filters":[' || rtrim(repeat('{"Pattern":"{\"eventName\":[\"INSERT\"]}"},', 5), ',') || ']}')::jsonb)
  -> 'FilterCriteria' -> 'Filters');
-- destinations
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', destination_config => %L)$$,
              em_arn('EsmOrders'), v))
  FROM unnest(ARRAY['{"OnSuccess":{"Destination":"arn:aws:sqs:us-east-1:000000000000:q"}}',
                    '{"OnFailure":{"Destination":"my-queue"}}', '{"OnFailure":"arn"}', '{"Other":1}']) v;
-- function URLs: http and https only
SELECT em_err(format($$SELECT dynamo.create_event_source_mapping('f', %L, 'LATEST', function_url => %L)$$,
              em_arn('EsmOrders'), v))
  FROM unnest(ARRAY['ftp://example.com/x', 'file:///etc/passwd', 'localhost:8080']) v;
-- nothing of the rejected calls was stored
SELECT function_name, event_source_arn = em_arn('EsmOrders') AS orders FROM dynamo._event_source_mappings
 ORDER BY created_at, function_name;

-- update: only the given settings change; enabling and disabling show
-- Enabling / Disabling, other changes Updating
SELECT uuid AS orders_uuid FROM dynamo._event_source_mappings
 WHERE function_name = 'orders-fn' AND event_source_arn = em_arn('EsmOrders') \gset
SELECT em_mask(dynamo.update_event_source_mapping(:'orders_uuid', batch_size => 25,
  function_response_types => '{ReportBatchItemFailures}',
  destination_config => '{"OnFailure":{"Destination":"arn:aws:sns:us-east-1:000000000000:orders-failures"}}'));
SELECT dynamo.update_event_source_mapping(:'orders_uuid', enabled => false) ->> 'State' AS disabling,
       dynamo.get_event_source_mapping(:'orders_uuid') ->> 'State' AS after;
SELECT dynamo.update_event_source_mapping(:'orders_uuid', enabled => false) ->> 'State' AS again;
SELECT dynamo.update_event_source_mapping(:'orders_uuid', enabled => true) ->> 'State' AS enabling,
       dynamo.get_event_source_mapping(:'orders_uuid') ->> 'State' AS after;
-- a filter, then removing it, the destination and the response types
SELECT dynamo.update_event_source_mapping(:'orders_uuid',
  filter_criteria => '{"Filters":[{"Pattern":"{\"eventName\":[\"REMOVE\"]}"}]}') -> 'FilterCriteria';
SELECT em_err(format($$SELECT dynamo.update_event_source_mapping(%L, filter_criteria => '{"Filters":[{"Pattern":"x"}]}')$$,
              :'orders_uuid'));
SELECT em_err(format($$SELECT dynamo.update_event_source_mapping(%L, batch_size => 0)$$, :'orders_uuid'));
SELECT dynamo.get_event_source_mapping(:'orders_uuid') -> 'FilterCriteria' AS kept_after_errors;
SELECT em_mask(dynamo.update_event_source_mapping(:'orders_uuid', filter_criteria => '{"Filters":[]}',
  destination_config => '{"OnFailure":{}}', function_response_types => '{}'));
-- renaming the function: the same conflict rule
SELECT em_err(format($$SELECT dynamo.update_event_source_mapping(%L, function_name => 'audit-fn')$$, :'orders_uuid'));
SELECT dynamo.update_event_source_mapping(:'orders_uuid', function_name => 'orders-fn-v2') ->> 'FunctionArn';
SELECT dynamo.update_event_source_mapping(:'orders_uuid', function_name => 'orders-fn') ->> 'FunctionArn';
-- LastModified moves; the starting position stays
SELECT (dynamo.update_event_source_mapping(:'orders_uuid', batch_size => 30) ->> 'LastModified')::numeric
       >= extract(epoch FROM now()) - 1 AS modified_now,
       dynamo.get_event_source_mapping(:'orders_uuid') ->> 'StartingPosition' AS starting_position;
-- unknown mappings
SELECT em_err($$SELECT dynamo.get_event_source_mapping('00000000-0000-0000-0000-000000000000')$$);
SELECT em_err($$SELECT dynamo.get_event_source_mapping('not-a-uuid')$$);
SELECT em_err($$SELECT dynamo.update_event_source_mapping('00000000-0000-0000-0000-000000000000', batch_size => 5)$$);
SELECT em_err($$SELECT dynamo.delete_event_source_mapping('00000000-0000-0000-0000-000000000000')$$);
SELECT em_err($$SELECT dynamo.get_event_source_mapping(NULL)$$);

-- list: all, by stream, by function (name or ARN), paged
SELECT jsonb_array_length(dynamo.list_event_source_mappings() -> 'EventSourceMappings') AS all_mappings;
SELECT m ->> 'FunctionArn' FROM jsonb_array_elements(dynamo.list_event_source_mappings(em_arn('EsmOrders')) -> 'EventSourceMappings') m;
SELECT m ->> 'EventSourceArn' = em_arn('EsmAudit') AS audit_stream
  FROM jsonb_array_elements(dynamo.list_event_source_mappings(function_name => 'orders-fn') -> 'EventSourceMappings') m;
SELECT jsonb_array_length(dynamo.list_event_source_mappings(
  function_name => 'arn:aws:lambda:us-east-1:000000000000:function:orders-fn') -> 'EventSourceMappings') AS by_arn;
SELECT jsonb_array_length(dynamo.list_event_source_mappings(em_arn('EsmAudit'), 'audit-fn') -> 'EventSourceMappings') AS none;
-- pages of one: every mapping once, in creation order, then no NextMarker
DO $$
DECLARE page jsonb; marker text; seen text[] := '{}'; pages int := 0;
BEGIN
  LOOP
    page := dynamo.list_event_source_mappings(marker => marker, max_items => 1);
    pages := pages + 1;
    seen := seen || ARRAY(SELECT m ->> 'UUID' FROM jsonb_array_elements(page -> 'EventSourceMappings') m);
    marker := page ->> 'NextMarker';
    EXIT WHEN marker IS NULL;
  END LOOP;
  RAISE NOTICE 'pages %, mappings %, distinct %, in order %', pages, cardinality(seen),
    (SELECT count(DISTINCT u) FROM unnest(seen) u),
    seen = ARRAY(SELECT uuid::text FROM dynamo._event_source_mappings ORDER BY created_at, uuid);
END $$;
SELECT em_err($$SELECT dynamo.list_event_source_mappings(max_items => 0)$$);
SELECT em_err($$SELECT dynamo.list_event_source_mappings(max_items => 10001)$$);
SELECT em_err($$SELECT dynamo.list_event_source_mappings(marker => 'garbage')$$);

-- access: creating needs SELECT on the stream's table; only the owner's
-- members change a mapping; roles that may read the stream see it
CREATE ROLE regress_esm_app;
CREATE ROLE regress_esm_reader;
CREATE ROLE regress_esm_none;
GRANT SELECT ON dynamo."EsmOrders" TO regress_esm_app, regress_esm_reader;
SET ROLE regress_esm_none;
SELECT em_err($$SELECT dynamo.create_event_source_mapping('none-fn', em_arn('EsmOrders'), 'LATEST')$$);
SELECT jsonb_array_length(dynamo.list_event_source_mappings() -> 'EventSourceMappings') AS visible_to_none;
SELECT em_err(format($$SELECT dynamo.get_event_source_mapping(%L)$$, :'orders_uuid'));
SET ROLE regress_esm_app;
SELECT dynamo.create_event_source_mapping('app-fn', em_arn('EsmOrders'), 'LATEST') ->> 'UUID' AS app_uuid \gset
SELECT em_err($$SELECT dynamo.create_event_source_mapping('app-fn', em_arn('EsmAudit'), 'LATEST')$$);
-- the catalog is not readable (function URLs may hold secrets)
SELECT em_err($$SELECT count(*) FROM dynamo._event_source_mappings$$);
-- it may read EsmOrders' stream: it sees that stream's mappings, not EsmAudit's
SELECT m ->> 'FunctionArn' FROM jsonb_array_elements(dynamo.list_event_source_mappings() -> 'EventSourceMappings') m;
SELECT em_err(format($$SELECT dynamo.update_event_source_mapping(%L, batch_size => 1)$$, :'orders_uuid'));
SELECT em_err(format($$SELECT dynamo.delete_event_source_mapping(%L)$$, :'orders_uuid'));
SELECT dynamo.update_event_source_mapping(:'app_uuid', batch_size => 7) ->> 'BatchSize';
-- the catalog itself is not writable
SELECT em_err($$UPDATE dynamo._event_source_mappings SET batch_size = 1$$);
SET ROLE regress_esm_reader;
SELECT dynamo.get_event_source_mapping(:'app_uuid') ->> 'BatchSize' AS reader_sees;
SELECT em_err(format($$SELECT dynamo.update_event_source_mapping(%L, enabled => false)$$, :'app_uuid'));
RESET ROLE;
SELECT owner::text FROM dynamo._event_source_mappings WHERE function_name = 'app-fn';
-- a superuser changes any mapping
SELECT dynamo.update_event_source_mapping(:'app_uuid', enabled => false) ->> 'State';

-- delete: the last configuration with State Deleting, then gone
SELECT em_mask(dynamo.delete_event_source_mapping(:'app_uuid'));
SELECT em_err(format($$SELECT dynamo.get_event_source_mapping(%L)$$, :'app_uuid'));
SELECT em_err(format($$SELECT dynamo.delete_event_source_mapping(%L)$$, :'app_uuid'));
-- a mapping outlives its stream's table (it reads the stream to its end), as on AWS
SELECT dynamo.delete_table('EsmAudit') IS NOT NULL AS deleted;
SELECT count(*) AS audit_mappings FROM dynamo._event_source_mappings WHERE event_source_arn = em_arn('EsmAudit');

DROP OWNED BY regress_esm_app, regress_esm_reader, regress_esm_none;
DROP ROLE regress_esm_app, regress_esm_reader, regress_esm_none;
