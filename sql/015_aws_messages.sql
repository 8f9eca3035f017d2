-- 015_aws_messages: errmsg is DynamoDB's own message, word for word (AWS's
-- spacing and all), so that tests ported from DynamoDB keep passing; the
-- exception name is the first word of DETAIL and the SQLSTATE is the
-- exception's (docs/errors.md).  Each expected message is quoted from a
-- public test suite that was run against DynamoDB itself:
--   [dynalite]  architect/dynalite test/putItem.js, test/getItem.js
--               (dynalite's README: "tested against the live DynamoDB
--               instances ... including all limits and error messages")
--   [moto]      getmoto/moto tests/test_dynamodb (recorded against AWS)
--   [sdk]       aws-sdk-go / aws-sdk-ruby features/dynamodb/client.feature
--               (smoke test run against the live service)
--   [sdk-v3]    error messages quoted by AWS SDK v3 users (2020 and later)
-- Validation comes before the table lookup, as in DynamoDB: an invalid item
-- sent to a table that does not exist gets the ValidationException, and
-- a valid one gets ResourceNotFoundException ([dynalite] "should return
-- ResourceNotFoundException if item is just small enough").
\set VERBOSITY terse

-- SQLSTATE, exception name (from DETAIL) and message of a statement.
CREATE FUNCTION pg_temp.aws_error(stmt text, OUT code text, OUT exception text, OUT message text)
LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    EXECUTE stmt;
    message := '(no error)';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    code := SQLSTATE;
    exception := substring(d FROM '^[A-Za-z]+');
    message := SQLERRM;
END
$$;

CREATE TEMP TABLE aws_cases (n serial, source text, aws_exception text, aws_message text, stmt text);
INSERT INTO aws_cases (source, aws_exception, aws_message, stmt) VALUES
('dynalite', 'ValidationException', 'One or more parameter values were invalid: An string set  may not be empty',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"SS": []}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: An number set  may not be empty',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"NS": []}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Binary sets should not be empty',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"BS": []}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Input collection [a, a] contains duplicates.',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"SS": ["a", "a"]}}')$$),
('dynalite', 'ValidationException', 'Input collection contains duplicates',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"NS": ["1", "1"]}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"BS": ["Yg==", "Yg=="]}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Null attribute value types must have the value of true',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"NULL": false}}')$$),
('dynalite', 'ValidationException', 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {}}')$$),
('dynalite', 'ValidationException', 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"a": ""}}')$$),
('dynalite', 'ValidationException', 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"S": "a", "N": "1"}}')$$),
('dynalite', 'ValidationException', 'The parameter cannot be converted to a numeric value',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": ""}}')$$),
('dynalite', 'ValidationException', 'The parameter cannot be converted to a numeric value',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"NS": ["1", ""]}}')$$),
('dynalite', 'ValidationException', 'The parameter cannot be converted to a numeric value: b',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "b"}}')$$),
('dynalite', 'ValidationException', 'The parameter cannot be converted to a numeric value: b',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"NS": ["1", "b", "a"]}}')$$),
('dynalite', 'ValidationException', 'Attempting to store more than 38 significant digits in a Number',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "123456789012345678901234567890123456789"}}')$$),
('dynalite', 'ValidationException', 'Attempting to store more than 38 significant digits in a Number',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "-1.23456789012345678901234567890123456789"}}')$$),
('dynalite', 'ValidationException', 'Number overflow. Attempting to store a number with magnitude larger than supported range',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "1e126"}}')$$),
('dynalite', 'ValidationException', 'Number overflow. Attempting to store a number with magnitude larger than supported range',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "-1e126"}}')$$),
('dynalite', 'ValidationException', 'Number underflow. Attempting to store a number with magnitude smaller than supported range',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "1e-131"}}')$$),
('dynalite', 'ValidationException', 'Number underflow. Attempting to store a number with magnitude smaller than supported range',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"N": "-1e-131"}}')$$),
-- the size limit is checked before the table is looked up, too: 2 + 1 +
-- 409598 bytes is one too many, 2 + 1 + 409597 fits
('dynalite', 'ValidationException', 'Item size has exceeded the maximum allowed size',
 $$SELECT dynamo.put_item('NoSuchTable', jsonb_build_object('a', jsonb_build_object('S', 'k'), 'b', jsonb_build_object('S', repeat('a', 409600 - 2))))$$),
('dynalite', 'ResourceNotFoundException', 'Requested resource not found',
 $$SELECT dynamo.put_item('NoSuchTable', jsonb_build_object('a', jsonb_build_object('S', 'k'), 'b', jsonb_build_object('S', repeat('a', 409600 - 3))))$$),
('dynalite', 'ResourceNotFoundException', 'Requested resource not found',
 $$SELECT dynamo.put_item('NoSuchTable', '{}')$$),
('dynalite', 'ResourceNotFoundException', 'Requested resource not found',
 $$SELECT dynamo.get_item('NoSuchTable', '{}')$$),
-- a Key is checked as an AttributeValue map before the table lookup too
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Null attribute value types must have the value of true',
 $$SELECT dynamo.get_item('NoSuchTable', '{"a": {"NULL": false}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: An string set  may not be empty',
 $$SELECT dynamo.delete_item('NoSuchTable', '{"a": {"SS": []}}')$$),
('dynalite', 'ValidationException', '1 validation error detected: Value ''abc;'' at ''tableName'' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+',
 $$SELECT dynamo.put_item('abc;', '{"a": {"SS": []}}')$$),
-- BatchWriteItem too checks every item before it looks a table up
-- ([dynalite] test/batchWriteItem.js, requests to table 'abc')
('dynalite', 'ValidationException', 'One or more parameter values were invalid: An number set  may not be empty',
 $$SELECT dynamo.batch_write_item('{"NoSuchTable": [{"PutRequest": {"Item": {"a": {"NS": []}}}}]}')$$),
('dynalite', 'ResourceNotFoundException', 'Requested resource not found',
 $$SELECT dynamo.batch_write_item('{"NoSuchTable": [{"PutRequest": {"Item": {"a": {"S": "x"}}}}]}')$$),
-- Query: the expression and its values are checked before the table lookup
-- (the message as DynamoDB returned it to an SDK user in 2020)
('sdk-v3', 'ValidationException', 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: ":type"',
 $$SELECT dynamo.query('NoSuchTable', 'pk = :pk AND begins_with(sk, :type', '{":pk": {"S": "a"}, ":type": {"S": "b"}}')$$),
-- (an AttributeValue without a type in ExpressionAttributeValues, as a
-- Query against DynamoDB answered it; dynalite's updateItem.js has the same)
('aws', 'ValidationException', 'ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :pk',
 $$SELECT dynamo.query('NoSuchTable', 'pk = :pk', '{":pk": {}}')$$),
('dynalite', 'ResourceNotFoundException', 'Requested resource not found',
 $$SELECT dynamo.query('NoSuchTable', 'pk = :pk', '{":pk": {"S": "a"}}')$$),
('dynalite', 'ValidationException', 'One or more parameter values were invalid: Null attribute value types must have the value of true',
 $$SELECT dynamo.scan('NoSuchTable', exclusive_start_key => '{"a": {"NULL": false}}')$$),
('moto', 'ValidationException', 'Return values set to invalid value',
 $$SELECT dynamo.put_item('NoSuchTable', '{"a": {"S": "x"}}', 'ALL_NEW')$$),
('sdk', 'ResourceNotFoundException', 'Requested resource not found: Table: fake-table not found',
 $$SELECT dynamo.describe_table('fake-table')$$);

-- One row per case: the exception must match, and the message character
-- for character (ok); "got" shows our message only when it differs.
SELECT n, source, exception, code,
       e.message = c.aws_message AND e.exception = c.aws_exception AS ok,
       CASE WHEN e.message IS DISTINCT FROM c.aws_message THEN e.message END AS got
  FROM aws_cases c, LATERAL pg_temp.aws_error(c.stmt) e
 ORDER BY n;
