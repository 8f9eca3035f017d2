-- 092_filter_operators: every operator of Lambda event filtering, matching
-- and not matching, on Lambda event records (docs/filters.md).  Operators
-- and their meaning: AWS Lambda developer guide, "Lambda event filtering"
-- (filter rule syntax table; DynamoDB: the type key is part of the path,
-- numeric matches JSON numbers only, so never an "N" string) and the
-- EventBridge comparison operators Lambda shares.
\set VERBOSITY terse
CREATE TABLE fo_records (name text PRIMARY KEY, rec jsonb);
INSERT INTO fo_records VALUES
 ('insert', '{"eventID":"7de3041dd709b024af6f29e4fa13d34c","eventName":"INSERT","eventVersion":"1.1",
   "eventSource":"aws:dynamodb","awsRegion":"us-east-1",
   "dynamodb":{"ApproximateCreationDateTime":1479499740,"Keys":{"Id":{"N":"101"}},
     "NewImage":{"Message":{"S":"New item!"},"Id":{"N":"101"},"Tags":{"SS":["red","blue"]},
                 "Flag":{"BOOL":true},"Nothing":{"NULL":true},"Empty":{"S":""},
                 "List":{"L":[{"S":"a"},{"N":"1"}]}},
     "SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},
   "eventSourceARN":"arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2016-11-18T20:07:37.000"}'),
 ('ttl', '{"eventName":"REMOVE","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"},
   "dynamodb":{"Keys":{"Id":{"N":"102"}},"OldImage":{"Id":{"N":"102"}},"SizeBytes":14}}'),
 ('plain', '{"n":null,"s":"x","nums":[1,5,10],"objs":[{"a":1,"b":2},{"a":3,"b":4}]}');
CREATE TABLE fo_cases (no serial, op text, pattern text, rec text, expect boolean);
INSERT INTO fo_cases (op, pattern, rec, expect) VALUES
 -- exact strings; a list is OR
 ('string', '{"eventName":["INSERT"]}', 'insert', true),
 ('string', '{"eventName":["INSERT"]}', 'ttl', false),
 ('string', '{"eventName":["INSERT","MODIFY"]}', 'insert', true),
 ('string', '{"eventName":["MODIFY","REMOVE"]}', 'insert', false),
 ('string', '{"dynamodb":{"NewImage":{"Message":{"S":["New item!"]}}}}', 'insert', true),
 ('string', '{"dynamodb":{"NewImage":{"Message":{"S":["New item"]}}}}', 'insert', false),
 -- the type key is mandatory: without it the path ends at an object
 ('string', '{"dynamodb":{"NewImage":{"Message":["New item!"]}}}', 'insert', false),
 ('string', '{"dynamodb":{"Keys":{"Id":{"N":["101"]}}}}', 'insert', true),
 ('string', '{"dynamodb":{"Keys":{"Id":{"N":[101]}}}}', 'insert', false),
 -- exact numbers: JSON numbers, compared as numbers
 ('number', '{"dynamodb":{"SizeBytes":[26]}}', 'insert', true),
 ('number', '{"dynamodb":{"SizeBytes":[26.0]}}', 'insert', true),
 ('number', '{"dynamodb":{"SizeBytes":[27]}}', 'insert', false),
 ('number', '{"dynamodb":{"SizeBytes":["26"]}}', 'insert', false),
 -- booleans
 ('bool', '{"dynamodb":{"NewImage":{"Flag":{"BOOL":[true]}}}}', 'insert', true),
 ('bool', '{"dynamodb":{"NewImage":{"Flag":{"BOOL":[false]}}}}', 'insert', false),
 ('bool', '{"dynamodb":{"NewImage":{"Nothing":{"NULL":[true]}}}}', 'insert', true),
 -- null: a JSON null, not a missing key
 ('null', '{"n":[null]}', 'plain', true),
 ('null', '{"s":[null]}', 'plain', false),
 ('null', '{"missing":[null]}', 'plain', false),
 -- empty string
 ('empty', '{"dynamodb":{"NewImage":{"Empty":{"S":[""]}}}}', 'insert', true),
 ('empty', '{"dynamodb":{"NewImage":{"Message":{"S":[""]}}}}', 'insert', false),
 -- prefix (also case-insensitive)
 ('prefix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"prefix":"New"}]}}}}', 'insert', true),
 ('prefix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"prefix":"new"}]}}}}', 'insert', false),
 ('prefix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"prefix":{"equals-ignore-case":"nEW"}}]}}}}', 'insert', true),
 ('prefix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"prefix":"New item!!"}]}}}}', 'insert', false),
 ('prefix', '{"dynamodb":{"Keys":{"Id":{"N":[{"prefix":"10"}]}}}}', 'insert', true),
 ('prefix', '{"dynamodb":{"SizeBytes":[{"prefix":"2"}]}}', 'insert', false),
 -- suffix (also case-insensitive)
 ('suffix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"suffix":"item!"}]}}}}', 'insert', true),
 ('suffix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"suffix":"item"}]}}}}', 'insert', false),
 ('suffix', '{"dynamodb":{"NewImage":{"Message":{"S":[{"suffix":{"equals-ignore-case":"ITEM!"}}]}}}}', 'insert', true),
 -- equals-ignore-case
 ('equals-ignore-case', '{"eventName":[{"equals-ignore-case":"insert"}]}', 'insert', true),
 ('equals-ignore-case', '{"dynamodb":{"NewImage":{"Message":{"S":[{"equals-ignore-case":"NEW ITEM!"}]}}}}', 'insert', true),
 ('equals-ignore-case', '{"dynamodb":{"NewImage":{"Message":{"S":[{"equals-ignore-case":"new item"}]}}}}', 'insert', false),
 -- anything-but: single value, list, prefix, suffix, ignore case
 ('anything-but', '{"eventName":[{"anything-but":"REMOVE"}]}', 'insert', true),
 ('anything-but', '{"eventName":[{"anything-but":"INSERT"}]}', 'insert', false),
 ('anything-but', '{"eventName":[{"anything-but":["MODIFY","REMOVE"]}]}', 'insert', true),
 ('anything-but', '{"eventName":[{"anything-but":["MODIFY","REMOVE"]}]}', 'ttl', false),
 ('anything-but', '{"eventName":[{"anything-but":{"prefix":"INS"}}]}', 'insert', false),
 ('anything-but', '{"eventName":[{"anything-but":{"prefix":"INS"}}]}', 'ttl', true),
 ('anything-but', '{"eventName":[{"anything-but":{"suffix":"OVE"}}]}', 'ttl', false),
 ('anything-but', '{"eventName":[{"anything-but":{"suffix":"OVE"}}]}', 'insert', true),
 ('anything-but', '{"eventName":[{"anything-but":{"equals-ignore-case":["insert","modify"]}}]}', 'insert', false),
 ('anything-but', '{"eventName":[{"anything-but":{"equals-ignore-case":"insert"}}]}', 'ttl', true),
 ('anything-but', '{"dynamodb":{"SizeBytes":[{"anything-but":[14,15]}]}}', 'insert', true),
 ('anything-but', '{"dynamodb":{"SizeBytes":[{"anything-but":14}]}}', 'ttl', false),
 -- a missing field is not "anything but"
 ('anything-but', '{"userIdentity":{"type":[{"anything-but":"Service"}]}}', 'insert', false),
 -- numeric: JSON numbers only, never N strings
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">",25]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">",26]}]}}', 'insert', false),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">=",26]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":["<",26]}]}}', 'insert', false),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":["<=",26]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":["=",26]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":["=",26.5]}]}}', 'insert', false),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">",10,"<=",26]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">",10,"<",26]}]}}', 'insert', false),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":["<",30,">=",26]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"SizeBytes":[{"numeric":[">",-1.5e2,"<",1e3]}]}}', 'insert', true),
 ('numeric', '{"dynamodb":{"NewImage":{"Id":{"N":[{"numeric":[">",100]}]}}}}', 'insert', false),
 ('numeric', '{"dynamodb":{"ApproximateCreationDateTime":[{"numeric":[">",1479499739]}]}}', 'insert', true),
 -- exists: leaves only
 ('exists', '{"userIdentity":{"type":[{"exists":true}]}}', 'ttl', true),
 ('exists', '{"userIdentity":{"type":[{"exists":true}]}}', 'insert', false),
 ('exists', '{"userIdentity":{"type":[{"exists":false}]}}', 'insert', true),
 ('exists', '{"userIdentity":{"type":[{"exists":false}]}}', 'ttl', false),
 ('exists', '{"dynamodb":{"NewImage":{"Message":{"S":[{"exists":true}]}}}}', 'insert', true),
 ('exists', '{"dynamodb":{"NewImage":{"Message":[{"exists":true}]}}}', 'insert', false),
 ('exists', '{"dynamodb":{"NewImage":[{"exists":true}]}}', 'insert', false),
 ('exists', '{"dynamodb":{"NewImage":[{"exists":false}]}}', 'insert', true),
 ('exists', '{"n":[{"exists":true}]}', 'plain', true),
 -- arrays in the record: any element
 ('array', '{"dynamodb":{"NewImage":{"Tags":{"SS":["blue"]}}}}', 'insert', true),
 ('array', '{"dynamodb":{"NewImage":{"Tags":{"SS":["green"]}}}}', 'insert', false),
 ('array', '{"dynamodb":{"NewImage":{"List":{"L":{"S":["a"]}}}}}', 'insert', true),
 ('array', '{"dynamodb":{"NewImage":{"List":{"L":{"N":["1"]}}}}}', 'insert', true),
 ('array', '{"dynamodb":{"NewImage":{"List":{"L":{"S":["1"]}}}}}', 'insert', false),
 ('array', '{"nums":[{"numeric":[">",7]}]}', 'plain', true),
 ('array', '{"nums":[{"numeric":[">",10]}]}', 'plain', false),
 ('array', '{"nums":[{"anything-but":[1]}]}', 'plain', true),
 ('array', '{"objs":{"a":[1],"b":[2]}}', 'plain', true),
 -- the fields of one pattern object match within one array element
 ('array', '{"objs":{"a":[1],"b":[4]}}', 'plain', false),
 -- the TTL-delete filter of the Lambda and DynamoDB guides
 ('ttl filter', '{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}', 'ttl', true),
 ('ttl filter', '{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}', 'insert', false);
SELECT c.no, c.op, c.rec, dynamo.test_event_pattern(c.pattern, r.rec) AS matches,
       CASE WHEN dynamo.test_event_pattern(c.pattern, r.rec) IS DISTINCT FROM c.expect
            THEN 'WRONG' ELSE '' END AS check, c.pattern
  FROM fo_cases c JOIN fo_records r ON r.name = c.rec ORDER BY c.no;
-- the same through FilterCriteria (one filter per case)
SELECT count(*) AS cases,
       count(*) FILTER (WHERE dynamo.test_filter_criteria(
           jsonb_build_object('Filters', jsonb_build_array(jsonb_build_object('Pattern', c.pattern))),
           r.rec) = c.expect) AS agree,
       count(*) FILTER (WHERE dynamo._filter_criteria_match(
           jsonb_build_object('Filters', jsonb_build_array(jsonb_build_object('Pattern', c.pattern))),
           r.rec) = c.expect) AS agree_internal
  FROM fo_cases c JOIN fo_records r ON r.name = c.rec;
