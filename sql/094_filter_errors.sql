-- 094_filter_errors: every class of invalid pattern and FilterCriteria is
-- rejected with Lambda's InvalidParameterValueException "Invalid filter
-- pattern definition." (the message CloudFormation relays from Lambda,
-- aws/aws-cdk#23057), SQLSTATE 22023, with a DETAIL naming the filter and
-- the fault.  Quotas: 5 filters per mapping, 4096 characters per pattern
-- (AWS Lambda quotas, "Event source mapping filters").
CREATE FUNCTION fe_try(criteria jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  PERFORM dynamo._filter_criteria_check(criteria);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || msg || ' | ' || det;
END $$;
CREATE FUNCTION fe_pattern(p text) RETURNS text LANGUAGE sql AS $$
  SELECT fe_try(jsonb_build_object('Filters', jsonb_build_array(jsonb_build_object('Pattern', p))))
$$;
CREATE TABLE fe_cases (no serial, class text, pattern text);
INSERT INTO fe_cases (class, pattern) VALUES
 ('valid (control)', '{"eventName":["INSERT"]}'),
 ('not JSON', '{"eventName":["INSERT"]'),
 ('not JSON', ''),
 ('not an object', '["INSERT"]'),
 ('not an object', '"INSERT"'),
 ('empty pattern', '{}'),
 ('empty nested object', '{"dynamodb":{}}'),
 ('value not a list', '{"eventName":"INSERT"}'),
 ('value not a list', '{"dynamodb":{"SizeBytes":26}}'),
 ('value not a list', '{"eventName":null}'),
 ('empty list', '{"eventName":[]}'),
 ('list in a list', '{"eventName":[["INSERT"]]}'),
 ('operator object with two keys', '{"eventName":[{"prefix":"I","suffix":"T"}]}'),
 ('empty operator object', '{"eventName":[{}]}'),
 ('unknown operator', '{"eventName":[{"wildcard":"IN*"}]}'),
 ('unknown operator', '{"eventName":[{"cidr":"10.0.0.0/8"}]}'),
 ('unknown operator', '{"eventName":[{"eventName":["INSERT"]}]}'),
 ('unknown $ key', '{"$and":[{"eventName":["INSERT"]}]}'),
 ('prefix operand', '{"eventName":[{"prefix":5}]}'),
 ('prefix operand', '{"eventName":[{"prefix":["I"]}]}'),
 ('prefix operand', '{"eventName":[{"prefix":{"equals-ignore-case":5}}]}'),
 ('suffix operand', '{"eventName":[{"suffix":null}]}'),
 ('equals-ignore-case operand', '{"eventName":[{"equals-ignore-case":["insert"]}]}'),
 ('exists operand', '{"eventName":[{"exists":"true"}]}'),
 ('exists operand', '{"eventName":[{"exists":1}]}'),
 ('numeric shape', '{"dynamodb":{"SizeBytes":[{"numeric":">"}]}}'),
 ('numeric shape', '{"dynamodb":{"SizeBytes":[{"numeric":[">"]}]}}'),
 ('numeric shape', '{"dynamodb":{"SizeBytes":[{"numeric":[">",1,"<"]}]}}'),
 ('numeric operand', '{"dynamodb":{"SizeBytes":[{"numeric":[">","1"]}]}}'),
 ('numeric operator', '{"dynamodb":{"SizeBytes":[{"numeric":["!=",1]}]}}'),
 ('numeric operator', '{"dynamodb":{"SizeBytes":[{"numeric":["=",1,"<",5]}]}}'),
 ('numeric operator', '{"dynamodb":{"SizeBytes":[{"numeric":[">",1,">",5]}]}}'),
 ('numeric range', '{"dynamodb":{"SizeBytes":[{"numeric":[">",5,"<",5]}]}}'),
 ('numeric range', '{"dynamodb":{"SizeBytes":[{"numeric":[">",9,"<",1]}]}}'),
 ('anything-but operand', '{"eventName":[{"anything-but":[]}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":["INSERT",1]}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":true}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":[null]}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":{"wildcard":"I*"}}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":{"prefix":1}}]}'),
 ('anything-but operand', '{"eventName":[{"anything-but":{"equals-ignore-case":[]}}]}'),
 ('$or operand', '{"$or":{"eventName":["INSERT"]}}'),
 ('$or operand', '{"$or":[]}'),
 ('$or operand', '{"$or":[["INSERT"]]}'),
 ('$or operand', '{"$or":[{"eventName":"INSERT"}]}'),
 ('pattern too long', '{"eventName":["' || repeat('x', 4096) || '"]}');
SELECT no, class, fe_pattern(pattern) AS result FROM fe_cases ORDER BY no;
-- the 4096-character limit counts characters, not bytes
SELECT fe_pattern('{"eventName":["' || repeat('é', 4096 - 18) || '"]}') AS at_limit,
       fe_pattern('{"eventName":["' || repeat('é', 4096 - 17) || '"]}') AS past_limit;
-- FilterCriteria shape
SELECT what, fe_try(c::jsonb) AS result FROM (VALUES
  ('not an object', '[]'),
  ('wrong key', '{"Filter":[]}'),
  ('extra key', '{"Filters":[],"Other":1}'),
  ('Filters not a list', '{"Filters":{"Pattern":"{}"}}'),
  ('key "pattern"', '{"Filters":[{"pattern":"{\"a\":[1]}"}]}'),
  ('Pattern not a string', '{"Filters":[{"Pattern":{"a":[1]}}]}'),
  ('filter with an extra key', '{"Filters":[{"Pattern":"{\"a\":[1]}","Extra":1}]}'),
  ('filter not an object', '{"Filters":["{\"a\":[1]}"]}'),
  ('second filter bad', '{"Filters":[{"Pattern":"{\"a\":[1]}"},{"Pattern":"{\"a\":[]}"}]}')) v(what, c);
-- at most five filters
SELECT n, fe_try(jsonb_build_object('Filters', (SELECT jsonb_agg(jsonb_build_object('Pattern', '{"a":[' || i || ']}'))
                                                  FROM generate_series(1, n) i))) AS result
  FROM (VALUES (5), (6)) v(n);
-- matching raises the same errors (test_event_pattern and test_filter_criteria too)
\set VERBOSITY terse
SELECT dynamo.test_event_pattern('{"eventName":"INSERT"}', '{}');
SELECT dynamo.test_filter_criteria('{"Filters":[{"Pattern":"x"}]}', '{}');
SELECT dynamo._filter_criteria_match('{"Filters":7}', '{}');
-- a bad criteria does not poison the cache of a call site
SELECT c, dynamo.test_filter_criteria(c::jsonb, '{"a":1}') FROM (VALUES ('{"Filters":[{"Pattern":"{\"a\":[1]}"}]}')) v(c);
