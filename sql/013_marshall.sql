-- 013_marshall: plain JSON <-> AttributeValue JSON with the mapping of the
-- AWS SDK's util-dynamodb marshall() / unmarshall().
\set VERBOSITY terse

-- The util-dynamodb README example.
SELECT dynamo.marshall('{"HashKey": "hashKey", "NumAttribute": 1, "BoolAttribute": true,
  "ListAttribute": [1, "two", false], "MapAttribute": {"foo": "bar"}, "NullAttribute": null}');

-- Every JSON type: string -> S, number -> N, boolean -> BOOL, null -> NULL,
-- object -> M, array -> L; empty strings, maps and lists stay as they are.
SELECT dynamo.marshall('{"s": "", "n": -0.0, "big": 12345678901234567890123456789012345678,
  "f": 1.50, "e": 1e2, "t": true, "z": null, "m": {}, "l": [], "nested": {"a": [{"b": [null]}]}}');

-- A top-level array gives an array of AttributeValues, a scalar one
-- AttributeValue (as marshall() returns them).
SELECT dynamo.marshall('[1, "a", null]');
SELECT dynamo.marshall('"x"');
SELECT dynamo.marshall('3.0');

-- Numbers must fit DynamoDB's limits; the error names the attribute.
SELECT dynamo.marshall('{"n": 123456789012345678901234567890123456789}');
SELECT dynamo.marshall('{"m": {"deep": [1, 1e126]}}');
SELECT dynamo.marshall('{"m": {"x": 1e-131}}');

-- unmarshall: the reverse.  N becomes a JSON number with all its digits,
-- SS / NS become arrays in canonical order, B and BS become base64 strings.
SELECT dynamo.unmarshall('{"s": {"S": "x"}, "n": {"N": "1.50"}, "big": {"N": "-12345678901234567890123456789012345678"},
  "tiny": {"N": "1E-130"}, "t": {"BOOL": true}, "z": {"NULL": true}, "b": {"B": "YR=="},
  "m": {"M": {"a": {"L": [{"N": "1"}, {"S": "two"}, {"NULL": true}]}}},
  "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["10", "9.5", "-1"]}, "bs": {"BS": ["Yg==", "YQ=="]}}');

-- unmarshall validates its input first.
SELECT dynamo.unmarshall('{"s": {"SS": []}}');
SELECT dynamo.unmarshall('{"s": "plain"}');
SELECT dynamo.unmarshall('[{"S": "x"}]');
-- ... but does not apply the 400 KB item limit.
SELECT length(dynamo.unmarshall(jsonb_build_object('p', jsonb_build_object('S', repeat('x', 500000))))->>'p') AS len;

-- Round trips: plain -> AttributeValue -> plain gives the same JSON.
SELECT j, dynamo.unmarshall(dynamo.marshall(j)) = j AS round_trip
  FROM (VALUES
    ('{}'::jsonb),
    ('{"a": "x", "b": 1, "c": true, "d": null, "e": {"f": [1, 2, {"g": "h"}]}}'),
    ('{"n": 12345678901234567890123456789012345678, "m": -0.000001, "z": 0}'),
    ('{"empty": "", "list": [], "map": {}, "unicode": "日本語 é"}')
  ) t(j);

-- AttributeValue -> plain -> AttributeValue gives the normalised item back
-- (for items without sets or binary, which plain JSON cannot express).
SELECT av, dynamo.marshall(dynamo.unmarshall(av)) = dynamo.validate_item(av) AS round_trip
  FROM (VALUES
    ('{"a": {"S": "x"}, "b": {"N": "1.50"}, "c": {"BOOL": false}, "d": {"NULL": true}}'::jsonb),
    ('{"m": {"M": {"l": {"L": [{"N": "1E2"}, {"M": {}}, {"L": []}]}}}}')
  ) t(av);

-- Sets and binary come back as arrays and strings, so they become L and S.
SELECT dynamo.marshall(dynamo.unmarshall('{"ss": {"SS": ["a"]}, "ns": {"NS": ["1"]}, "b": {"B": "AA=="}}'));

SELECT dynamo.marshall(NULL) IS NULL AND dynamo.unmarshall(NULL) IS NULL AS strict;
