-- 093_filter_combinations: several keys are ANDed, the values of a list
-- ORed, up to five filters ORed, "$or" (AWS Lambda developer guide,
-- "Lambda event filtering": "Or (multiple fields)"); empty criteria match
-- everything; compiled criteria are cached per call site and replaced when
-- the criteria change from row to row.
\set VERBOSITY terse
CREATE FUNCTION fc(VARIADIC patterns text[]) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('Filters', coalesce(jsonb_agg(jsonb_build_object('Pattern', p)), '[]'))
    FROM unnest(patterns) p
$$;
CREATE TABLE fcb_records (name text PRIMARY KEY, rec jsonb);
INSERT INTO fcb_records VALUES
 ('insert-a', '{"eventName":"INSERT","dynamodb":{"NewImage":{"pk":{"S":"a#1"},"qty":{"N":"5"}}}}'),
 ('insert-b', '{"eventName":"INSERT","dynamodb":{"NewImage":{"pk":{"S":"b#1"},"qty":{"N":"7"}}}}'),
 ('modify-a', '{"eventName":"MODIFY","dynamodb":{"NewImage":{"pk":{"S":"a#2"}},"OldImage":{"pk":{"S":"a#2"}}}}'),
 ('remove-a', '{"eventName":"REMOVE","dynamodb":{"OldImage":{"pk":{"S":"a#3"}}}}'),
 ('ttl-a', '{"eventName":"REMOVE","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"},"dynamodb":{"OldImage":{"pk":{"S":"a#4"}}}}');
CREATE TABLE fcb_criteria (no serial, what text, criteria jsonb);
INSERT INTO fcb_criteria (what, criteria) VALUES
 ('NULL criteria', NULL),
 ('{}', '{}'),
 ('no filters', '{"Filters":[]}'),
 ('AND of two keys', fc('{"eventName":["INSERT"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"a#"}]}}}}')),
 ('AND, one key never true', fc('{"eventName":["INSERT"],"dynamodb":{"OldImage":{"pk":{"S":[{"exists":true}]}}}}')),
 ('list mixing values and operators', fc('{"eventName":["MODIFY",{"prefix":"INS"}]}')),
 ('two filters ORed', fc('{"eventName":["MODIFY"]}', '{"dynamodb":{"NewImage":{"pk":{"S":["b#1"]}}}}')),
 ('five filters', fc('{"eventName":["X1"]}', '{"eventName":["X2"]}', '{"eventName":["X3"]}',
                     '{"eventName":["X4"]}', '{"userIdentity":{"type":["Service"]}}')),
 ('$or of two fields', fc('{"$or":[{"eventName":["MODIFY"]},{"userIdentity":{"principalId":["dynamodb.amazonaws.com"]}}]}')),
 ('$or AND a sibling', fc('{"eventName":["REMOVE"],"$or":[{"userIdentity":{"type":["Service"]}},{"dynamodb":{"OldImage":{"pk":{"S":["a#3"]}}}}]}')),
 ('nested $or', fc('{"dynamodb":{"$or":[{"NewImage":{"qty":{"N":["7"]}}},{"OldImage":{"pk":{"S":[{"suffix":"#4"}]}}}]}}')),
 ('REMOVE but not TTL', fc('{"eventName":["REMOVE"],"userIdentity":{"type":[{"exists":false}]}}')),
 ('TTL deletes only', fc('{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}'));
-- every criteria on every record (the cache sees the criteria change on
-- each row, in both functions)
SELECT c.no, c.what,
       string_agg(r.name, ' ' ORDER BY r.name) FILTER (WHERE dynamo._filter_criteria_match(c.criteria, r.rec)) AS delivered
  FROM fcb_criteria c CROSS JOIN fcb_records r GROUP BY c.no, c.what ORDER BY c.no;
SELECT c.no, string_agg(r.name, ' ' ORDER BY r.name) FILTER (WHERE dynamo.test_filter_criteria(c.criteria, r.rec)) AS delivered
  FROM fcb_records r CROSS JOIN fcb_criteria c GROUP BY c.no ORDER BY c.no;
-- a NULL record gives NULL; NULL criteria match it all the same
SELECT dynamo._filter_criteria_match(fc('{"eventName":["INSERT"]}'), NULL) AS null_record,
       dynamo._filter_criteria_match(NULL, NULL) AS null_criteria,
       dynamo.test_event_pattern(NULL, '{}') AS null_pattern;
-- the check accepts all of them
SELECT count(*) AS checked FROM fcb_criteria c, LATERAL dynamo._filter_criteria_check(c.criteria) x;
-- records rendered by the extension itself: the Lambda record of a real
-- write matches the common eventName filter
SELECT dynamo.test_filter_criteria(fc('{"eventName":["INSERT"]}'),
         dynamo.render_record('lambda', 'arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2024-01-01T00:00:00.000',
                              'NEW_IMAGE', 'INSERT', '100000000000000000000000000000000000001', now(),
                              '{"pk":{"S":"x"}}', '{"pk":{"S":"x"}}', NULL, 8, false, NULL, false)::jsonb) AS insert_passes;
