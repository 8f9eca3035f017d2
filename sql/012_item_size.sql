-- 012_item_size: DynamoDB item size (SPEC 4.2), the 400 KB limit, and the
-- key rules of items and Key arguments.
\set VERBOSITY terse

-- The figures AWS documents and reports.
SELECT dynamo.item_size('{"shirt-color": {"S": "R"}, "shirt-size": {"S": "M"}}') AS shirt;
SELECT dynamo.item_size('{"n": {"N": "42"}}') - 1 AS n_42,
       dynamo.item_size('{"n": {"N": "101"}}') - 1 AS n_101,
       dynamo.item_size('{"n": {"N": "1723213300"}}') - 1 AS n_1723213300,
       dynamo.item_size('{"n": {"N": "1762875051"}}') - 1 AS n_1762875051;

-- Stream record SizeBytes = size(Keys) + size(NewImage) + size(OldImage)
-- (SPEC 4.5), for the Id 101 example of the DynamoDB Streams documentation.
SELECT k AS keys, n AS new_image, o AS old_image,
       k + n AS insert_size_bytes, k + n2 + n AS modify_size_bytes,
       k + n2 AS remove_size_bytes
  FROM (SELECT dynamo.item_size('{"Id": {"N": "101"}}') AS k,
               dynamo.item_size('{"Message": {"S": "New item!"}, "Id": {"N": "101"}}') AS n,
               dynamo.item_size('{"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}') AS n2,
               dynamo.item_size('{"Message": {"S": "New item!"}, "Id": {"N": "101"}}') AS o) s;

-- Names and strings count UTF-8 bytes; B counts decoded bytes.
SELECT dynamo.item_size('{"é": {"S": "日本"}}') AS utf8,          -- 2 + 6
       dynamo.item_size('{"b": {"B": "AAECAw=="}}') AS binary,    -- 1 + 4
       dynamo.item_size('{"b": {"B": ""}}') AS empty_binary,      -- 1 + 0
       dynamo.item_size('{"s": {"S": ""}}') AS empty_string;      -- 1 + 0
-- BOOL and NULL are 1 byte.
SELECT dynamo.item_size('{"t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true}}') AS bool_null;
-- Sets: the sum of their members (no overhead).
SELECT dynamo.item_size('{"ss": {"SS": ["ab", "c", ""]}}') AS ss,             -- 2 + 3
       dynamo.item_size('{"ns": {"NS": ["42", "-42", "1.5"]}}') AS ns,        -- 2 + 2+3+3
       dynamo.item_size('{"bs": {"BS": ["AA==", "AAA=", "AAAA"]}}') AS bs;    -- 2 + 1+2+3
-- M and L: 3 bytes, plus 1 per member, plus the member names of an M.
SELECT dynamo.item_size('{"m": {"M": {}}}') AS empty_map,                     -- 1 + 3
       dynamo.item_size('{"l": {"L": []}}') AS empty_list,                    -- 1 + 3
       dynamo.item_size('{"m": {"M": {"ab": {"S": "xyz"}}}}') AS map,         -- 1 + 3 + 1+2+3
       dynamo.item_size('{"l": {"L": [{"S": "xyz"}, {"N": "1"}]}}') AS list,  -- 1 + 3 + 1+3 + 1+2
       dynamo.item_size('{"l": {"L": [{"M": {"a": {"L": [{"NULL": true}]}}}]}}') AS nested;
       -- 1 + 3 + 1 + (3 + 1+1 + (3 + 1+1))

-- The size is the same for every spelling of an item.
SELECT dynamo.item_size('{"n": {"N": "0001.500"}, "b": {"B": "YR=="}, "s": {"NS": ["2", "1"]}}')
     = dynamo.item_size('{"n": {"N": "1.5"}, "b": {"B": "YQ=="}, "s": {"NS": ["1", "2"]}}') AS same;

-- 400 KB = 409,600 bytes is the largest item DynamoDB accepts.
CREATE FUNCTION pg_temp.big(total int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('pk', '{"S": "k"}'::jsonb,
                            'p', jsonb_build_object('S', repeat('x', total - 4))) $$;
SELECT dynamo.item_size(pg_temp.big(409600)) AS at_limit,
       dynamo.item_size(dynamo.validate_item(pg_temp.big(409600))) AS accepted;
SELECT dynamo.validate_item(pg_temp.big(409601));
SELECT dynamo.validate_item(pg_temp.big(409600) || '{"q": {"BOOL": true}}');
\set VERBOSITY default
SELECT dynamo._check_item(pg_temp.big(409601), 'pk', 'S');
\set VERBOSITY terse
-- item_size measures oversized items instead of failing on them.
SELECT dynamo.item_size(pg_temp.big(500000)) AS oversized;
-- ... but it does reject invalid items.
SELECT dynamo.item_size('{"a": {"NULL": false}}');

-- Key attributes (dynamo._check_item = the item API's checks).
SELECT dynamo._check_item('{"pk": {"S": "a"}, "sk": {"N": "01"}, "x": {"NS": ["2", "1"]}}',
                          'pk', 'S', 'sk', 'N') AS normalised;
SELECT dynamo._check_item('{"pk": {"B": "AAE="}}', 'pk', 'B') AS binary_key;
SELECT dynamo._check_item('{"x": {"S": "a"}}', 'pk', 'S');
SELECT dynamo._check_item('{"pk": {"S": "a"}}', 'pk', 'S', 'sk', 'N');
SELECT dynamo._check_item('{"pk": {"N": "1"}}', 'pk', 'S');
SELECT dynamo._check_item('{"pk": {"S": "a"}, "sk": {"SS": ["1"]}}', 'pk', 'S', 'sk', 'S');
SELECT dynamo._check_item('{"pk": {"M": {}}}', 'pk', 'B');
SELECT dynamo._check_item('{"pk": {"S": ""}}', 'pk', 'S');
SELECT dynamo._check_item('{"pk": {"B": ""}}', 'pk', 'B');
SELECT dynamo._check_item('{"pk": {"S": "a"}, "sk": {"S": ""}}', 'pk', 'S', 'sk', 'S');
-- Hash key values up to 2048 bytes, range key values up to 1024 bytes
-- (UTF-8 bytes for S, decoded bytes for B).
SELECT length(dynamo._check_item(jsonb_build_object('pk', jsonb_build_object('S', repeat('x', 2048))),
                                 'pk', 'S')::text) AS hash_2048_accepted;
SELECT dynamo._check_item(jsonb_build_object('pk', jsonb_build_object('S', repeat('x', 2049))), 'pk', 'S');
SELECT dynamo._check_item(jsonb_build_object('pk', jsonb_build_object('S', repeat('é', 1025))), 'pk', 'S');
SELECT length(dynamo._check_item(jsonb_build_object('pk', '{"S": "a"}'::jsonb,
                                                    'sk', jsonb_build_object('S', repeat('y', 1024))),
                                 'pk', 'S', 'sk', 'S')::text) AS range_1024_accepted;
SELECT dynamo._check_item(jsonb_build_object('pk', '{"S": "a"}'::jsonb,
                                             'sk', jsonb_build_object('S', repeat('y', 1025))),
                          'pk', 'S', 'sk', 'S');
SELECT length(dynamo._check_item(jsonb_build_object('pk', jsonb_build_object('B',
                                 replace(encode(convert_to(repeat('z', 2048), 'UTF8'), 'base64'), E'\n', ''))),
                                 'pk', 'B')::text) > 0
       AS binary_2048_accepted;
SELECT dynamo._check_item(jsonb_build_object('pk', jsonb_build_object('B',
                          replace(encode(convert_to(repeat('z', 2049), 'UTF8'), 'base64'), E'\n', ''))), 'pk', 'B');
SELECT dynamo._check_item(jsonb_build_object('pk', '{"S": "a"}'::jsonb, 'sk', jsonb_build_object('B',
                          replace(encode(convert_to(repeat('z', 1025), 'UTF8'), 'base64'), E'\n', ''))),
                          'pk', 'S', 'sk', 'B');
-- Number keys have no size check (at most 21 bytes); they are normalised.
SELECT dynamo._check_item('{"pk": {"N": "-9.9999999999999999999999999999999999999E+125"}}', 'pk', 'N') IS NOT NULL AS big_number_key;

-- Key arguments must hold exactly the key attributes, of the right types.
SELECT dynamo._check_item('{"pk": {"S": "a"}, "sk": {"N": "1.0"}}', 'pk', 'S', 'sk', 'N', true) AS key;
SELECT dynamo._check_item('{"pk": {"S": "a"}}', 'pk', 'S', 'sk', 'N', true);
SELECT dynamo._check_item('{"pk": {"S": "a"}, "x": {"S": "b"}}', 'pk', 'S', NULL, NULL, true);
SELECT dynamo._check_item('{"pk": {"N": "1"}}', 'pk', 'S', NULL, NULL, true);
SELECT dynamo._check_item('{"pk": {"S": ""}}', 'pk', 'S', NULL, NULL, true);
SELECT dynamo._check_item('{"pk": {"NS": ["1", "1"]}}', 'pk', 'N', NULL, NULL, true);

-- Key values as column values (dynamo_key_datum) and the Keys object
-- (dynamo_item_keys), as the item API and the output plugin use them.
SELECT dynamo._key_value('{"a": {"S": "x"}, "k": {"N": "-1.5"}}', 'k', 'N') AS n_key,
       dynamo._key_value('{"k": {"B": "AAE="}}', 'k', 'B') AS b_key,
       dynamo._key_value('{"k": {"S": "日本"}, "z": {"NULL": true}}', 'k', 'S') AS s_key;
SELECT dynamo._key_value('{"k": {"N": "1"}}', 'k', 'S');
SELECT dynamo._key_value('{"x": {"S": "1"}}', 'k', 'S');
