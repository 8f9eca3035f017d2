-- 050_update_item: update_item with UpdateExpression, following the
-- examples of the DynamoDB Developer Guide, "Using update expressions in
-- DynamoDB" (ProductCatalog item 789), one by one, then DynamoDB's finer
-- rules (recorded against DynamoDB in dynalite's test/updateItem.js and
-- ScyllaDB's test/alternator/test_update_expression.py), exact number
-- arithmetic, and the stream: an update that changes nothing, and a failed
-- condition, emit no record.
\set VERBOSITY terse
SELECT dynamo.create_table('ProductCatalog', 'Id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "789"}, "ProductCategory": {"S": "Home Improvement"},
  "Price": {"N": "52"}, "InStock": {"BOOL": true}, "Brand": {"S": "Acme"}}');

-- SET: modify two attributes (guide: "Modifying one or more attributes").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET ProductCategory = :c, Price = :p',
  expression_attribute_values => '{":c": {"S": "Hardware"}, ":p": {"N": "60"}}', return_values => 'ALL_NEW');
-- SET: add a list and a map ("Adding lists and maps").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET RelatedItems = :ri, ProductReviews = :pr',
  expression_attribute_values => '{":ri": {"L": [{"S": "Hammer"}]},
    ":pr": {"M": {"FiveStar": {"L": [{"S": "Best product ever!"}]}}}}', return_values => 'ALL_NEW');
-- SET: add elements to a list ("Adding elements to a list").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET #ri[1] = :ri',
  expression_attribute_names => '{"#ri": "RelatedItems"}',
  expression_attribute_values => '{":ri": {"S": "Nails"}}', return_values => 'ALL_NEW');
-- SET: nested map attributes ("Adding nested map attributes").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET #pr.#5star[1] = :r5, #pr.#3star = :r3',
  expression_attribute_names => '{"#pr": "ProductReviews", "#5star": "FiveStar", "#3star": "ThreeStar"}',
  expression_attribute_values => '{":r5": {"S": "Very happy with my purchase"}, ":r3": {"L": [{"S": "Just OK - not that great"}]}}',
  return_values => 'ALL_NEW');
-- SET: decrement ("Incrementing and decrementing numeric attributes").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET Price = Price - :p',
  expression_attribute_values => '{":p": {"N": "15"}}', return_values => 'ALL_NEW');
-- SET: list_append at the end, then at the front ("Appending elements to a list").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET #pr.#5star = list_append(#pr.#5star, :r)',
  expression_attribute_names => '{"#pr": "ProductReviews", "#5star": "FiveStar"}',
  expression_attribute_values => '{":r": {"L": [{"S": "Will use again!"}]}}', return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET #pr.#5star = list_append(:r, #pr.#5star)',
  expression_attribute_names => '{"#pr": "ProductReviews", "#5star": "FiveStar"}',
  expression_attribute_values => '{":r": {"L": [{"S": "A great value"}]}}', return_values => 'UPDATED_NEW');
-- SET: if_not_exists keeps an existing Price ("Preventing overwrites of an existing attribute").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET Price = if_not_exists(Price, :p)',
  expression_attribute_values => '{":p": {"N": "100"}}', return_values => 'ALL_NEW');
-- REMOVE attributes, then list elements ("Removing attributes", "Removing elements from a list").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'REMOVE Brand, InStock, QuantityOnHand',
  return_values => 'ALL_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET RelatedItems = :ri',
  expression_attribute_values => '{":ri": {"L": [{"S": "Hammer"}, {"S": "Nails"}, {"S": "Screwdriver"}, {"S": "Hacksaw"}]}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'REMOVE RelatedItems[1], RelatedItems[2]',
  return_values => 'ALL_NEW');
-- ADD a number and a set ("Adding a number", "Adding elements to a set").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'ADD QuantityOnHand :q',
  expression_attribute_values => '{":q": {"N": "5"}}', return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'ADD Color :c',
  expression_attribute_values => '{":c": {"SS": ["Orange", "Purple"]}}', return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'ADD Color :c',
  expression_attribute_values => '{":c": {"SS": ["Yellow", "Green", "Blue"]}}', return_values => 'UPDATED_NEW');
-- DELETE from a set ("Removing elements from a set").
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'DELETE Color :p',
  expression_attribute_values => '{":p": {"SS": ["Yellow", "Purple"]}}', return_values => 'ALL_NEW');

-- Keywords are case-insensitive; sections in any order, once each.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}',
  'remove ProductReviews  add QuantityOnHand :one  set Price = :p  delete Color :c',
  expression_attribute_values => '{":one": {"N": "-1"}, ":p": {"N": "47.50"}, ":c": {"SS": ["Green"]}}',
  return_values => 'UPDATED_OLD');
SELECT dynamo.get_item('ProductCatalog', '{"Id": {"N": "789"}}');
-- Deleting the last members of a set removes the attribute.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'DELETE Color :c',
  expression_attribute_values => '{":c": {"SS": ["Blue", "Orange", "Red"]}}', return_values => 'UPDATED_NEW');
SELECT dynamo.get_item('ProductCatalog', '{"Id": {"N": "789"}}') -> 'Item' ? 'Color' AS has_color;

-- Values are read before anything is written: SET a = b, b = a swaps.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET ProductCategory = Price, Price = ProductCategory',
  return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "789"}}', 'SET ProductCategory = Price, Price = ProductCategory',
  return_values => 'UPDATED_NEW');

-- An update of a missing key creates the item (also with no expression,
-- or one that only removes); ALL_OLD of a new item is {}.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "1"}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "2"}}', 'REMOVE Nothing', return_values => 'ALL_OLD');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = if_not_exists(Counter, :zero) + :one',
  expression_attribute_values => '{":zero": {"N": "0"}, ":one": {"N": "1"}}', return_values => 'ALL_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = if_not_exists(Counter, :zero) + :one',
  expression_attribute_values => '{":zero": {"N": "0"}, ":one": {"N": "1"}}', return_values => 'ALL_NEW');
SELECT pk, item FROM dynamo."ProductCatalog" WHERE pk < 10 ORDER BY pk;

-- Nested paths: a map in a list in a map; the list index past the end appends.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "4"}}', 'SET a = :a',
  expression_attribute_values => '{":a": {"M": {"b": {"L": [{"M": {"c": {"N": "1"}}}, {"S": "x"}]}}}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "4"}}', 'SET a.b[0].c = a.b[0].c + :n, a.b[5] = :s, a.d = :s',
  expression_attribute_values => '{":n": {"N": "41"}, ":s": {"S": "y"}}', return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "4"}}', 'REMOVE a.b[0].c, a.b[9]', return_values => 'UPDATED_OLD');
SELECT dynamo.get_item('ProductCatalog', '{"Id": {"N": "4"}}');
-- ADD and DELETE on number sets and binary sets; ADD to a missing number.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "5"}}', 'ADD ns :ns, bs :bs, n :n',
  expression_attribute_values => '{":ns": {"NS": ["1.50", "2"]}, ":bs": {"BS": ["AQ==", "Ag=="]}, ":n": {"N": "-7"}}',
  return_values => 'ALL_NEW');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "5"}}', 'ADD ns :ns DELETE bs :bs',
  expression_attribute_values => '{":ns": {"NS": ["1.5", "3"]}, ":bs": {"BS": ["AQ=="]}}',
  return_values => 'ALL_NEW');

-- Numbers: exact decimal arithmetic on 38 digits, never through float.
-- (ScyllaDB test_number.py: 1 + 1E22 and 1E22 - 1 are exact; 9E125 + 9E125
-- and 1E50 + 1 fail with "Number overflow", as DynamoDB words both.)
CREATE FUNCTION arith(a text, op text, b text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN dynamo.update_item('ProductCatalog', '{"Id": {"N": "6"}}', 'SET r = :a ' || op || ' :b',
    expression_attribute_values => jsonb_build_object(':a', jsonb_build_object('N', a), ':b', jsonb_build_object('N', b)),
    return_values => 'UPDATED_NEW') #>> '{Attributes,r,N}';
EXCEPTION WHEN invalid_parameter_value THEN RETURN SQLERRM;
END $$;
SELECT a, op, b, arith(a, op, b) FROM (VALUES
  ('1', '+', '10000000000000000000000'), ('10000000000000000000000', '-', '1'),
  ('0.1', '+', '0.2'), ('1.50', '-', '1.5'), ('-5', '+', '3'), ('3', '-', '5'), ('-0.001', '-', '0.999'),
  ('99999999999999999999999999999999999999', '+', '1'),
  ('99999999999999999999999999999999999999', '-', '99999999999999999999999999999999999998'),
  ('12345678901234567890123456789012345678', '+', '0.5'),
  ('1E125', '+', '8.9999999999999999999999999999999999999E125'),
  ('9E125', '+', '9E125'), ('-9E125', '-', '9E125'), ('1E50', '+', '1'), ('1E50', '-', '1'),
  ('1E-130', '-', '1E-130'), ('1E-129', '-', '9E-130'), ('1.1E-129', '-', '1E-129'),
  ('5E-131', '+', '0')) v(a, op, b);
-- ADD on a number uses the same arithmetic.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "6"}}', 'ADD r :big',
  expression_attribute_values => '{":big": {"N": "9.9999999999999999999999999999999999999E125"}}');

-- Stream: an update that leaves the item unchanged writes no row version
-- and emits no record; a real change and a creation do.
SELECT dynamo.update_table('ProductCatalog', true, 'NEW_AND_OLD_IMAGES') IS NOT NULL AS enabled;
SELECT 'init' FROM pg_create_logical_replication_slot('expr_slot', 'dynamo_streams');
SELECT ctid AS c0, xmin AS x0 FROM dynamo."ProductCatalog" WHERE pk = 3 \gset
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = Counter + :zero REMOVE Absent, Nope',
  expression_attribute_values => '{":zero": {"N": "0.000"}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = :two', expression_attribute_values => '{":two": {"N": "2.0"}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}');
SELECT ctid = :'c0' AS same_ctid, xmin = :'x0' AS same_xmin FROM dynamo."ProductCatalog" WHERE pk = 3;
SELECT ds_take('expr_slot');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = Counter + :one', expression_attribute_values => '{":one": {"N": "1"}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "7"}}', 'SET Counter = :one', expression_attribute_values => '{":one": {"N": "1"}}');
SELECT ds_take('expr_slot');
-- A failed condition writes nothing and emits nothing.
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "3"}}', 'SET Counter = Counter + :one', 'Counter > :ten',
  expression_attribute_values => '{":one": {"N": "1"}, ":ten": {"N": "10"}}');
SELECT dynamo.update_item('ProductCatalog', '{"Id": {"N": "8"}}', 'SET Counter = :one', 'attribute_exists(Id)',
  expression_attribute_values => '{":one": {"N": "1"}}');
SELECT dynamo.put_item('ProductCatalog', '{"Id": {"N": "3"}}', condition_expression => 'attribute_not_exists(Id)');
SELECT dynamo.delete_item('ProductCatalog', '{"Id": {"N": "3"}}', condition_expression => 'Counter = :one',
  expression_attribute_values => '{":one": {"N": "1"}}');
SELECT dynamo.get_item('ProductCatalog', '{"Id": {"N": "8"}}');
SELECT ds_take('expr_slot');
SELECT 'dropped' FROM pg_drop_replication_slot('expr_slot');
DROP FUNCTION arith(text, text, text);
SELECT dynamo.delete_table('ProductCatalog') IS NOT NULL AS deleted;
