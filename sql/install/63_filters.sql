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
