-- 010_attribute_values: validation and normalisation of AttributeValues
-- (SPEC 4.1).  Accepted and rejected examples for every rule; the messages
-- are AWS's, and DETAIL names the exception and the offending attribute
-- (default verbosity, to show it).
\set VERBOSITY default

-- All ten types are accepted; the result is the item in normal form.
SELECT dynamo.validate_item('{
  "s": {"S": "héllo"}, "e": {"S": ""}, "n": {"N": "42"}, "b": {"B": "AAEC"},
  "eb": {"B": ""}, "t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true},
  "m": {"M": {"x": {"S": "y"}, "empty": {"M": {}}}}, "l": {"L": [{"N": "1"}, {"S": "a"}, {"L": []}]},
  "ss": {"SS": ["a", ""]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA==", ""]}}');

-- An empty item is a valid item (DynamoDB then asks for the key attributes).
SELECT dynamo.validate_item('{}');

-- The item must be an object, each value an AttributeValue object.
SELECT dynamo.validate_item('[]');
SELECT dynamo.validate_item('"x"');
SELECT dynamo.validate_item('{"a": "x"}');
SELECT dynamo.validate_item('{"a": {"M": {"b": [1]}}}');

-- Exactly one of the supported datatypes.
SELECT dynamo.validate_item('{"a": {}}');
SELECT dynamo.validate_item('{"a": {"S": "x", "N": "1"}}');
SELECT dynamo.validate_item('{"a": {"X": "x"}}');
SELECT dynamo.validate_item('{"a": {"s": "x"}}');
-- A type key holding null counts as absent (as a JSON null member does for AWS).
SELECT dynamo.validate_item('{"a": {"S": "x", "N": null}}');
SELECT dynamo.validate_item('{"a": {"S": null}}');

-- Each type key needs a value of the right JSON type.
SELECT dynamo.validate_item('{"a": {"S": 1}}');
SELECT dynamo.validate_item('{"a": {"N": 1}}');
SELECT dynamo.validate_item('{"a": {"B": true}}');
SELECT dynamo.validate_item('{"a": {"BOOL": "true"}}');
SELECT dynamo.validate_item('{"a": {"NULL": "true"}}');
SELECT dynamo.validate_item('{"a": {"M": []}}');
SELECT dynamo.validate_item('{"a": {"L": {}}}');
SELECT dynamo.validate_item('{"a": {"SS": "x"}}');
SELECT dynamo.validate_item('{"a": {"SS": [1]}}');
SELECT dynamo.validate_item('{"a": {"NS": [1]}}');
SELECT dynamo.validate_item('{"a": {"BS": [["AA=="]]}}');

-- NULL must be true.
SELECT dynamo.validate_item('{"a": {"NULL": false}}');
SELECT dynamo.validate_item('{"a": {"M": {"b": {"L": [{"NULL": false}]}}}}');

-- Base64: padded to a multiple of 4, standard alphabet, no whitespace.
SELECT dynamo.validate_item('{"a": {"B": "YQ"}}');
SELECT dynamo.validate_item('{"a": {"B": "Y Q=="}}');
SELECT dynamo.validate_item('{"a": {"B": "YQ-_"}}');
SELECT dynamo.validate_item('{"a": {"B": "Y==="}}');
SELECT dynamo.validate_item('{"a": {"B": "=YQ="}}');
-- Valid but non-canonical base64 (non-zero unused bits) is re-encoded.
SELECT dynamo.validate_item('{"a": {"B": "YR=="}, "b": {"B": "YWJ="}}');

-- Sets must not be empty (AWS's wording, double space included).
SELECT dynamo.validate_item('{"a": {"SS": []}}');
SELECT dynamo.validate_item('{"a": {"NS": []}}');
SELECT dynamo.validate_item('{"a": {"BS": []}}');

-- Sets must not hold duplicates.
SELECT dynamo.validate_item('{"a": {"SS": ["b", "a", "b"]}}');
SELECT dynamo.validate_item('{"a": {"SS": ["", ""]}}');
SELECT dynamo.validate_item('{"a": {"NS": ["2", "1", "2"]}}');
-- NS members are compared as numbers: 1.0 and 1 are the same number.
SELECT dynamo.validate_item('{"a": {"NS": ["1.0", "1"]}}');
SELECT dynamo.validate_item('{"a": {"NS": ["100", "1E2"]}}');
SELECT dynamo.validate_item('{"a": {"NS": ["0", "-0"]}}');
-- BS members are compared as bytes: YQ== and YR== are both "a".
SELECT dynamo.validate_item('{"a": {"BS": ["/w==", "AA==", "AA=="]}}');
SELECT dynamo.validate_item('{"a": {"BS": ["YQ==", "YR=="]}}');
SELECT dynamo.validate_item('{"a": {"BS": ["", ""]}}');
-- Members must be valid numbers / base64.
SELECT dynamo.validate_item('{"a": {"NS": ["1", "x"]}}');
SELECT dynamo.validate_item('{"a": {"NS": ["1", ""]}}');
SELECT dynamo.validate_item('{"a": {"BS": ["AA==", "A"]}}');

-- Sets are stored in one canonical order: SS by UTF-8 bytes, NS numerically,
-- BS by decoded bytes.
SELECT dynamo.validate_item('{"ss": {"SS": ["b", "a", "B", "é", "z", "aa", ""]},
  "ns": {"NS": ["10", "9", "-1", "-10", "0.5", "0", "1E-130", "-1E-130"]},
  "bs": {"BS": ["/w==", "AA==", "AAA=", "fw==", "gA==", ""]}}');
-- ... so equal sets give byte-identical jsonb whatever the order sent.
SELECT dynamo.validate_item('{"s": {"SS": ["x", "y", "z"]}, "n": {"NS": ["3", "1.50", "2"]}}')::text
     = dynamo.validate_item('{"n": {"NS": ["2", "1.5", "3E0"]}, "s": {"SS": ["z", "x", "y"]}}')::text
       AS identical;
SELECT dynamo.validate_item('{"b": {"BS": ["YQ==", "Yg=="]}}')
     = dynamo.validate_item('{"b": {"BS": ["Yh==", "YR=="]}}') AS identical_bs;

-- Numbers are normalised everywhere: top level, in maps and lists, in sets.
SELECT dynamo.validate_item('{"a": {"N": "1.50"}, "m": {"M": {"x": {"N": "+007"}}},
  "l": {"L": [{"N": "-0.0"}, {"N": "1E2"}]}, "s": {"NS": ["0.00100", "2.5e1"]}}');

-- Nesting: the attribute is level 1; 31 nested maps (a leaf at level 32)
-- are accepted, 32 nested maps (a leaf at level 33) are rejected.
CREATE FUNCTION pg_temp.nest(depth int, inner_av text DEFAULT '{"S": "leaf"}')
RETURNS jsonb LANGUAGE sql AS $$
  SELECT ('{"data": ' || repeat('{"M": {"n": ', depth) || inner_av
          || repeat('}}', depth) || '}')::jsonb $$;
CREATE FUNCTION pg_temp.nest_list(depth int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT ('{"data": ' || repeat('{"L": [', depth) || '{"N": "1"}'
          || repeat(']}', depth) || '}')::jsonb $$;
SELECT dynamo.item_size(pg_temp.nest(31)) AS depth_31_accepted;
SELECT dynamo.item_size(pg_temp.nest(32));
SELECT dynamo.item_size(pg_temp.nest_list(31)) AS list_depth_31_accepted;
SELECT dynamo.item_size(pg_temp.nest_list(32));
-- An empty map at level 32 holds no value at level 33: accepted.
SELECT dynamo.item_size(pg_temp.nest(31, '{"M": {}}')) AS empty_map_at_32;
SELECT dynamo.item_size(pg_temp.nest(31, '{"SS": ["a"]}')) AS set_at_32;
SELECT dynamo.item_size(pg_temp.nest(40));

-- Attribute names: at least one character and less than 64 KB (DynamoDB's
-- naming rule for top-level attributes; map keys are free).
SELECT dynamo.validate_item('{"": {"S": "x"}}');
SELECT dynamo.validate_item('{"m": {"M": {"": {"S": "x"}}}}') AS empty_map_key;
SELECT dynamo.item_size(jsonb_build_object(repeat('a', 65535), '{"S": "x"}'::jsonb)) AS name_65535;
SELECT dynamo.validate_item(jsonb_build_object(repeat('a', 65536), '{"S": "x"}'::jsonb));

-- Error messages name the full path of the offending value.
SELECT dynamo.validate_item('{"top": {"M": {"list": {"L": [{"S": "ok"}, {"M": {"k": {"N": "x"}}}]}}}}');
SELECT dynamo.validate_item('{"top": {"L": [{"N": "1"}, {"N": "1E200"}]}}');

-- Long names and values are shortened in messages.
SELECT dynamo.validate_item(jsonb_build_object(repeat('é', 200), '{"M": {"x": {"N": "a"}}}'::jsonb));
SELECT dynamo.validate_item(jsonb_build_object('a', jsonb_build_object('N', repeat('x', 300))));
SELECT dynamo.validate_item(jsonb_build_object('a', jsonb_build_object('SS',
       (SELECT jsonb_agg(repeat('y', 150) || (i % 30)) FROM generate_series(1, 100) i))));

-- SS order is UTF-8 byte order, not UTF-16 order: U+FFFF (EF BF BF) sorts
-- before U+1F600 (F0 9F 98 80), although Java/JavaScript strings compare the
-- other way.
SELECT dynamo.validate_item('{"s": {"SS": ["😀", "\uffff", "~"]}}');

-- SS order equals bytea order of the UTF-8 text, BS order bytea order of the
-- decoded bytes, over many members.
WITH v AS (
  SELECT DISTINCT chr(32 + (i * 7919) % 300)
                  || chr(CASE WHEN c BETWEEN 55296 AND 57343 THEN c + 2048 ELSE c END)  -- no surrogates
                  || repeat('a', i % 3) AS x
    FROM generate_series(1, 500) i, LATERAL (SELECT 32 + (i * 104729) % 70000 AS c) l),
stored AS (
  SELECT dynamo.validate_item(jsonb_build_object(
           'ss', jsonb_build_object('SS', jsonb_agg(x ORDER BY md5(x))),
           'bs', jsonb_build_object('BS', jsonb_agg(encode(convert_to(x, 'UTF8'), 'base64') ORDER BY md5(x))))) AS item
    FROM v)
SELECT (SELECT count(*) FROM v) AS members,
       (SELECT array_agg(e ORDER BY o) FROM stored, jsonb_array_elements_text(item->'ss'->'SS') WITH ORDINALITY t(e, o))
     = (SELECT array_agg(x ORDER BY convert_to(x, 'UTF8')) FROM v) AS ss_byte_order,
       (SELECT array_agg(decode(e, 'base64') ORDER BY o) FROM stored, jsonb_array_elements_text(item->'bs'->'BS') WITH ORDINALITY t(e, o))
     = (SELECT array_agg(convert_to(x, 'UTF8') ORDER BY convert_to(x, 'UTF8')) FROM v) AS bs_byte_order;

-- Already-normal items come back unchanged, byte for byte.
SELECT dynamo.validate_item('{"a": {"N": "1.5"}, "s": {"SS": ["a", "b"]}}')::text;

-- NULL in, NULL out (the functions are strict).
SELECT dynamo.validate_item(NULL) IS NULL AS is_null;
