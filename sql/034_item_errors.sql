-- 034_item_errors: every bad input to the item functions gets an AWS
-- exception name and an errcode, and writes nothing.
\set VERBOSITY default
SELECT dynamo.create_table('Errs', 'pk', 'S', 'sk', 'N') IS NOT NULL AS created;
SELECT dynamo.create_table('ErrB', 'id', 'B') IS NOT NULL AS created;
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}}');
-- With SQLSTATEs.
\set VERBOSITY sqlstate
SELECT dynamo.put_item('Nope', '{"pk": {"S": "a"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}}', 'ALL_NEW');
\set VERBOSITY terse

-- Unknown tables, bad names, NULL arguments.
SELECT dynamo.put_item('Nope', '{"pk": {"S": "a"}}');
SELECT dynamo.get_item('Nope', '{"pk": {"S": "a"}}');
SELECT dynamo.delete_item('Nope', '{"pk": {"S": "a"}}');
SELECT dynamo.get_item(repeat('n', 64), '{"pk": {"S": "a"}}');
SELECT dynamo.get_item(repeat('n', 256), '{"pk": {"S": "a"}}');
SELECT dynamo.get_item('a', '{"pk": {"S": "a"}}');
SELECT dynamo.get_item('bad name', '{"pk": {"S": "a"}}');
SELECT dynamo.put_item(NULL, '{"pk": {"S": "a"}}');
SELECT dynamo.put_item('Errs', NULL);
SELECT dynamo.get_item('Errs', NULL);
SELECT dynamo.delete_item('Errs', NULL);

-- Missing key attribute, wrong key type, empty key values.
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}}');
SELECT dynamo.put_item('Errs', '{"sk": {"N": "1"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"N": "1"}, "sk": {"N": "1"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"S": "1"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"SS": ["a"]}, "sk": {"N": "1"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": ""}, "sk": {"N": "1"}}');
SELECT dynamo.put_item('ErrB', '{"id": {"B": ""}}');
SELECT dynamo.get_item('Errs', '{"pk": {"S": "a"}}');
SELECT dynamo.get_item('Errs', '{"pk": {"S": "a"}, "sk": {"S": "1"}}');
SELECT dynamo.get_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "1"}}');
SELECT dynamo.get_item('Errs', '{"pk": {"S": ""}, "sk": {"N": "1"}}');
SELECT dynamo.delete_item('Errs', '{"pk": {"S": "a"}}');
SELECT dynamo.delete_item('ErrB', '{"id": {"B": "not base64!"}}');

-- Oversized keys: hash key 2048 bytes, range key 1024 bytes (UTF-8 bytes,
-- not characters); one byte more is rejected.
SELECT dynamo.put_item('Errs', jsonb_build_object('pk', jsonb_build_object('S', repeat('é', 1024)), 'sk', '{"N": "1"}'::jsonb));
SELECT dynamo.put_item('Errs', jsonb_build_object('pk', jsonb_build_object('S', repeat('é', 1024) || 'x'), 'sk', '{"N": "1"}'::jsonb));
SELECT dynamo.put_item('ErrB', jsonb_build_object('id', jsonb_build_object('B', translate(encode(convert_to(repeat('x', 2048), 'UTF8'), 'base64'), E'\n', ''))));
SELECT dynamo.put_item('ErrB', jsonb_build_object('id', jsonb_build_object('B', translate(encode(convert_to(repeat('x', 2049), 'UTF8'), 'base64'), E'\n', ''))));
SELECT dynamo.get_item('Errs', jsonb_build_object('pk', jsonb_build_object('S', repeat('x', 2049)), 'sk', '{"N": "1"}'::jsonb));
SELECT dynamo.create_table('ErrR', 'h', 'S', 'r', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('ErrR', jsonb_build_object('h', '{"S": "a"}'::jsonb, 'r', jsonb_build_object('S', repeat('r', 1024))));
SELECT dynamo.put_item('ErrR', jsonb_build_object('h', '{"S": "a"}'::jsonb, 'r', jsonb_build_object('S', repeat('r', 1025))));

-- A deliberate limit of dynamo_streams: hash and range key share one btree
-- entry of the primary key, so together they must fit in about 2,700 bytes
-- after compression.  Incompressible keys within DynamoDB's own limits can
-- exceed that (docs/item-tables.md).
\set VERBOSITY default
SELECT dynamo.put_item('ErrR', jsonb_build_object(
         'h', jsonb_build_object('S', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 64) i)),
         'r', jsonb_build_object('S', (SELECT string_agg(md5((i + 1000)::text), '') FROM generate_series(1, 32) i))));
\set VERBOSITY terse

-- Oversized item: 400 KB (409,600 bytes) is the limit.  Pad attribute v so
-- that the item is exactly 409,600 bytes, then one byte more.
SELECT 409600 - dynamo.item_size('{"pk": {"S": "big"}, "sk": {"N": "1"}, "v": {"S": ""}}') AS pad \gset
SELECT :pad AS pad;
SELECT dynamo.put_item('Errs', jsonb_build_object('pk', '{"S": "big"}'::jsonb, 'sk', '{"N": "1"}'::jsonb,
                                                  'v', jsonb_build_object('S', repeat('x', :pad))));
SELECT dynamo.item_size(item) FROM dynamo."Errs" WHERE pk = 'big';
SELECT dynamo.put_item('Errs', jsonb_build_object('pk', '{"S": "big"}'::jsonb, 'sk', '{"N": "1"}'::jsonb,
                                                  'v', jsonb_build_object('S', repeat('x', :pad + 1))));
INSERT INTO dynamo."Errs" (item) SELECT jsonb_build_object('pk', '{"S": "big2"}'::jsonb, 'sk', '{"N": "1"}'::jsonb,
                                                  'v', jsonb_build_object('S', repeat('x', :pad + 1)));
SELECT dynamo.delete_item('Errs', '{"pk": {"S": "big"}, "sk": {"N": "1"}}');

-- Invalid attribute values in a put (the AttributeValue core's rules).
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": []}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": ["x", "x"]}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"NULL": false}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "123456789012345678901234567890123456789"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1E+126"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1E-131"}}');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"Q": "1"}}');
SELECT dynamo.put_item('Errs', '[]');
SELECT dynamo.put_item('Errs', '"x"');

-- Bad return_values.
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "2"}}', 'ALL_NEW');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "2"}}', 'UPDATED_OLD');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "2"}}', 'all_old');
SELECT dynamo.put_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "2"}}', '');
SELECT dynamo.delete_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}}', 'ALL_NEW');
SELECT dynamo.delete_item('Errs', '{"pk": {"S": "a"}, "sk": {"N": "1"}}', 'SOME');

-- Nothing above was written, and the first item is still there.
SELECT octet_length(pk), sk, length(item::text) FROM dynamo."Errs" ORDER BY pk, sk;
SELECT count(*) FROM dynamo."ErrB";
SELECT count(*) FROM dynamo."ErrR";

SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['Errs', 'ErrB', 'ErrR']) t;
