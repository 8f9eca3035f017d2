-- 051_condition_expression: condition_expression on put_item, delete_item
-- and update_item.  First the examples of the DynamoDB Developer Guide,
-- "Condition expressions" and "Comparison operator and function reference"
-- (ProductCatalog items 456 and 123), one by one; then every operator and
-- function against every attribute type (a comparison across types is
-- false, not an error), precedence, missing attributes, nested paths,
-- return_values_on_condition_check_failure, and what a failed condition
-- leaves behind (nothing).
\set VERBOSITY terse
SELECT dynamo.create_table('ProductCatalog', 'Id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "456"}, "ProductCategory": {"S": "Sporting Goods"},
  "Price": {"N": "650"}, "Description": {"S": "Basketball"}}');

-- "Preventing overwrites of an existing item": attribute_not_exists(Id).
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "456"}, "Price": {"N": "1"}}',
  condition_expression => 'attribute_not_exists(Id)');
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "457"}, "Price": {"N": "1"}}',
  condition_expression => 'attribute_not_exists(Id)');
-- "Conditional deletes": Price 650 is not between 500 and 600.
SELECT dynamo.delete_item('ProductCatalog', '{"Id": {"N": "456"}}',
  condition_expression => '(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)',
  expression_attribute_values => '{":cat1": {"S": "Sporting Goods"}, ":cat2": {"S": "Gardening Supplies"},
    ":lo": {"N": "500"}, ":hi": {"N": "600"}}');
-- "Conditional updates": a discount while the price is above 500.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "456"}}', 'SET Price = Price - :discount',
  'Price > :limit', expression_attribute_values => '{":discount": {"N": "75"}, ":limit": {"N": "500"}}',
  return_values => 'ALL_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "456"}}', 'SET Price = Price - :discount',
  'Price > :limit', expression_attribute_values => '{":discount": {"N": "75"}, ":limit": {"N": "500"}}',
  return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "456"}}', 'SET Price = Price - :discount',
  'Price > :limit', expression_attribute_values => '{":discount": {"N": "75"}, ":limit": {"N": "500"}}');
-- Now the price is 500 and the conditional delete succeeds.
SELECT dynamo.delete_item('ProductCatalog', '{"Id": {"N": "456"}}', 'ALL_OLD',
  condition_expression => '(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)',
  expression_attribute_values => '{":cat1": {"S": "Sporting Goods"}, ":cat2": {"S": "Gardening Supplies"},
    ":lo": {"N": "500"}, ":hi": {"N": "600"}}');
-- "Checking for attributes in an item".
SELECT dynamo.delete_item('ProductCatalog', '{"Id": {"N": "457"}}', condition_expression => 'attribute_not_exists(Price)');
SELECT dynamo.delete_item('ProductCatalog', '{"Id": {"N": "457"}}', condition_expression => 'attribute_exists(ProductReviews.OneStar)');
-- The comparison and function reference, on item 123.
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "123"}, "Brand": {"S": "Acme"}, "Color": {"SS": ["Red", "Black"]},
  "Pictures": {"M": {"FrontView": {"S": "http://example.com/products/123_front.jpg"}}},
  "ProductReviews": {"M": {"FiveStar": {"L": [{"S": "Excellent!"}, {"S": "Works as expected"}]},
                           "OneStar": {"L": [{"S": "Terrible product!"}]}}},
  "VideoClip": {"B": "AAECAwQFBgcICQ=="}}');
CREATE FUNCTION ck(expr text, vals jsonb DEFAULT NULL, names jsonb DEFAULT NULL, k text DEFAULT '123') RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  -- update_item without an update expression only checks the condition
  -- on an existing item, and writes nothing
  PERFORM dynamo.update_item('ProductCatalog', jsonb_build_object('Id', jsonb_build_object('N', k)),
                             NULL, expr, names, vals);
  RETURN 'true';
EXCEPTION WHEN check_violation THEN RETURN 'false';
          WHEN invalid_parameter_value THEN RETURN SQLERRM;
END $$;
SELECT e, ck(e, v::jsonb) FROM (VALUES
  ('attribute_exists(Pictures.SideView)', NULL),
  ('attribute_not_exists(Manufacturer)', NULL),
  ('attribute_type(ProductReviews.FiveStar, :v_sub)', '{":v_sub": {"S": "L"}}'),
  ('begins_with(Pictures.FrontView, :v_sub)', '{":v_sub": {"S": "http://"}}'),
  ('contains(Color, :v_sub)', '{":v_sub": {"S": "Red"}}'),
  ('contains(Brand, :v_sub)', '{":v_sub": {"S": "cm"}}'),
  ('size(Brand) <= :v_sub', '{":v_sub": {"N": "20"}}'),
  ('size(VideoClip) > :v_sub', '{":v_sub": {"N": "64000"}}'),
  ('size(Color) < :v_sub', '{":v_sub": {"N": "3"}}'),
  ('size(ProductReviews.OneStar) > :v_sub', '{":v_sub": {"N": "0"}}'),
  ('ProductReviews.FiveStar[1] = :v', '{":v": {"S": "Works as expected"}}'),
  ('ProductReviews.FiveStar[2] <> :v', '{":v": {"S": "Works as expected"}}')) x(e, v);

-- Every operator and function against every type.  A row per attribute
-- and operator; each character is the result for a value of type
-- S N B BOOL NULL M L SS NS BS, in that order: t, f, or E (error).
SELECT dynamo.create_table('Types', 'k', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('Types', '{"k": {"S": "x"}, "s": {"S": "abc"}, "n": {"N": "5"}, "b": {"B": "YWJj"},
  "bool": {"BOOL": true}, "nul": {"NULL": true}, "m": {"M": {"k": {"S": "abc"}}}, "l": {"L": [{"S": "abc"}, {"N": "5"}]},
  "ss": {"SS": ["abc", "x"]}, "ns": {"NS": ["5", "6"]}, "bs": {"BS": ["YWJj"]}}');
CREATE FUNCTION tk(expr text, vals jsonb DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dynamo.update_item('Types', '{"k": {"S": "x"}}', NULL, expr, NULL, vals);
  RETURN 't';
EXCEPTION WHEN check_violation THEN RETURN 'f';
          WHEN invalid_parameter_value THEN RETURN 'E';
END $$;
CREATE TEMP TABLE tvals (ord int, t text, val jsonb);
INSERT INTO tvals VALUES (1, 'S', '{"S": "abc"}'), (2, 'N', '{"N": "5"}'), (3, 'B', '{"B": "YWJj"}'),
  (4, 'BOOL', '{"BOOL": true}'), (5, 'NULL', '{"NULL": true}'), (6, 'M', '{"M": {"k": {"S": "abc"}}}'),
  (7, 'L', '{"L": [{"S": "abc"}, {"N": "5"}]}'), (8, 'SS', '{"SS": ["x", "abc"]}'), (9, 'NS', '{"NS": ["6", "5.0"]}'),
  (10, 'BS', '{"BS": ["YWJj"]}');
CREATE TEMP TABLE tattrs (ord int, a text);
INSERT INTO tattrs VALUES (1, 's'), (2, 'n'), (3, 'b'), (4, 'bool'), (5, 'nul'), (6, 'm'), (7, 'l'),
  (8, 'ss'), (9, 'ns'), (10, 'bs'), (11, 'absent');
CREATE TEMP TABLE tops (ord int, op text, tmpl text);
INSERT INTO tops VALUES (1, '=', '%s = :v'), (2, '<>', '%s <> :v'), (3, '<', '%s < :v'), (4, '<=', '%s <= :v'),
  (5, '>', '%s > :v'), (6, '>=', '%s >= :v'), (7, 'BETWEEN', '%s BETWEEN :v AND :v'), (8, 'IN', '%s IN (:w, :v)'),
  (9, 'begins_with', 'begins_with(%s, :v)'), (10, 'contains', 'contains(%s, :v)'), (11, 'NOT =', 'NOT %s = :v');
SELECT a.a AS attr, o.op,
       string_agg(tk(format(o.tmpl, a.a), CASE WHEN o.tmpl LIKE '%:w%'
                                              THEN jsonb_build_object(':v', v.val, ':w', '{"S": "zzz"}'::jsonb)
                                              ELSE jsonb_build_object(':v', v.val) END), '' ORDER BY v.ord) AS "S N B BOOL NULL M L SS NS BS"
  FROM tattrs a, tops o, tvals v GROUP BY a.ord, a.a, o.ord, o.op ORDER BY a.ord, o.ord;
-- attribute_type: one character per type name, as above.
SELECT a.a AS attr, string_agg(tk(format('attribute_type(%s, :t)', a.a), jsonb_build_object(':t', jsonb_build_object('S', v.t))), '' ORDER BY v.ord) AS types
  FROM tattrs a, tvals v GROUP BY a.ord, a.a ORDER BY a.ord;
-- size: the size of each type (S and B in bytes, sets, maps and lists in
-- members); size of a number, boolean, null or a missing attribute is no
-- value, so every comparison with it is false.
SELECT a.a AS attr, (SELECT min(n) FROM generate_series(0, 5) n
                      WHERE tk(format('size(%s) = :n', a.a), jsonb_build_object(':n', jsonb_build_object('N', n::text))) = 't') AS size,
       tk(format('size(%s) >= :z', a.a), '{":z": {"N": "0"}}') AS size_ge_0
  FROM tattrs a ORDER BY a.ord;
-- Comparisons order numbers numerically, strings and binaries bytewise.
SELECT e, tk(e, v::jsonb) FROM (VALUES
  ('n < :v', '{":v": {"N": "10"}}'), ('n > :v', '{":v": {"N": "-10.5"}}'), ('n = :v', '{":v": {"N": "5.000"}}'),
  ('s < :v', '{":v": {"S": "abd"}}'), ('s < :v', '{":v": {"S": "abcd"}}'), ('s > :v', '{":v": {"S": "ABC"}}'),
  ('s < :v', '{":v": {"S": "\u00e9"}}'), ('b < :v', '{":v": {"B": "YWJk"}}'), ('b > :v', '{":v": {"B": "/w=="}}'),
  ('n BETWEEN :lo AND :hi', '{":lo": {"N": "5"}, ":hi": {"N": "5"}}'),
  ('n BETWEEN :lo AND :hi', '{":lo": {"N": "1"}, ":hi": {"S": "9"}}'),
  ('ss = :v', '{":v": {"SS": ["x", "abc"]}}'), ('ns = :v', '{":v": {"NS": ["6.0", "5"]}}'),
  ('l = :v', '{":v": {"L": [{"N": "5"}, {"S": "abc"}]}}'),
  ('m.k = s', NULL), ('l[0] = m.k', NULL), ('l[1] = n', NULL), ('l[2] = n', NULL), ('m.k.x = s', NULL),
  ('s[0] = s', NULL), ('attribute_exists(l[1])', NULL), ('attribute_exists(l[2])', NULL),
  ('contains(l, :v)', '{":v": {"N": "5"}}'), ('contains(s, :v)', '{":v": {"S": ""}}'),
  ('begins_with(s, :v)', '{":v": {"S": "ab"}}'), ('begins_with(s, :v)', '{":v": {"S": "abcd"}}'),
  ('contains(b, :v)', '{":v": {"B": "Yg=="}}'), ('contains(ss, s)', NULL), ('contains(:v, s)', '{":v": {"S": "xabcx"}}')) x(e, v);
-- Precedence: comparisons, NOT, AND, OR.
SELECT e, tk(e, '{":five": {"N": "5"}, ":six": {"N": "6"}}') FROM (VALUES
  ('n = :five OR n = :six AND n = :six'), ('(n = :five OR n = :six) AND n = :six'),
  ('NOT n = :six AND n = :five'), ('NOT (n = :six AND n = :five)'), ('NOT NOT n = :five AND n <> :six'),
  ('n = :six OR n = :six OR n = :five AND NOT n = :six'), ('((n = :five)) and (n <> :six)')) x(e);

-- return_values_on_condition_check_failure ALL_OLD returns the item in the
-- error's DETAIL (DynamoDB returns it in the exception's Item).
\set VERBOSITY default
SELECT dynamo.put_item('Types', '{"k": {"S": "y"}, "v": {"N": "1"}}');
SELECT dynamo.put_item('Types', '{"k": {"S": "y"}}', condition_expression => 'v = :two',
  expression_attribute_values => '{":two": {"N": "2"}}', return_values_on_condition_check_failure => 'ALL_OLD');
SELECT dynamo.delete_item('Types', '{"k": {"S": "y"}}', condition_expression => 'v = :two',
  expression_attribute_values => '{":two": {"N": "2"}}', return_values_on_condition_check_failure => 'ALL_OLD');
SELECT dynamo.update_item('Types', '{"k": {"S": "y"}}', 'REMOVE v', 'v = :two',
  expression_attribute_values => '{":two": {"N": "2"}}', return_values_on_condition_check_failure => 'ALL_OLD');
-- no item: no DETAIL
SELECT dynamo.update_item('Types', '{"k": {"S": "none"}}', 'REMOVE v', 'attribute_exists(k)',
  return_values_on_condition_check_failure => 'ALL_OLD');
\set VERBOSITY terse
-- A failed condition leaves no row version: the row is untouched.
SELECT ctid AS c0, xmin AS x0 FROM dynamo."Types" WHERE pk = 'y' \gset
SELECT dynamo.put_item('Types', '{"k": {"S": "y"}, "v": {"N": "5"}}', condition_expression => 'attribute_not_exists(k)');
SELECT dynamo.delete_item('Types', '{"k": {"S": "y"}}', condition_expression => 'v > :one',
  expression_attribute_values => '{":one": {"N": "1"}}');
SELECT ctid = :'c0' AS same_ctid, xmin = :'x0' AS same_xmin FROM dynamo."Types" WHERE pk = 'y';
SELECT count(*) FROM dynamo."Types" WHERE pk = 'none';
-- The conditional put and delete in a transaction that rolls back change nothing.
BEGIN;
SELECT dynamo.put_item('Types', '{"k": {"S": "y"}, "v": {"N": "2"}}', condition_expression => 'v = :one',
  expression_attribute_values => '{":one": {"N": "1"}}', return_values => 'ALL_OLD');
SELECT dynamo.delete_item('Types', '{"k": {"S": "y"}}', 'ALL_OLD', condition_expression => 'v = :two',
  expression_attribute_values => '{":two": {"N": "2"}}');
ROLLBACK;
SELECT item FROM dynamo."Types" WHERE pk = 'y';
-- The old signatures keep working (positional and named arguments).
SELECT dynamo.put_item('Types', '{"k": {"S": "z"}}', 'ALL_OLD'), dynamo.delete_item('Types', '{"k": {"S": "z"}}', 'ALL_OLD');
DROP FUNCTION ck(text, jsonb, jsonb, text);
DROP FUNCTION tk(text, jsonb);
SELECT dynamo.delete_table('ProductCatalog') IS NOT NULL AS deleted, dynamo.delete_table('Types') IS NOT NULL AS deleted;
