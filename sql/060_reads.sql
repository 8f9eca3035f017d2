-- 060_reads: projection_expression on get_item, query and scan;
-- filter_expression with Count and ScannedCount, the limit and the 1 MB page
-- applied before the filter; "select"; and every bad input with DynamoDB's
-- message.
--
-- Sources: DynamoDB Developer Guide, "Projection expressions" (ProductCatalog
-- item 123: "Description, RelatedItems[0], ProductReviews.FiveStar"),
-- "Expression attribute names" (Safety.Warning, #pr.#1star), "Working with
-- queries" (Thread filter "#v >= :num", the Movies page of 5 "title"s,
-- Count/ScannedCount, Limit before the filter), "Working with scans";
-- ScyllaDB test/alternator/test_projection_expression.py (nested paths,
-- empty items), test_filter_expression.py, test_query.py, test_scan.py;
-- dynalite test/query.js, test/scan.js and validations/index.js; Select
-- messages as recorded against DynamoDB in ExtendDB tests
-- (validation_wording.rs: Query prefixes "1 validation error detected: ",
-- Scan does not).
\set VERBOSITY terse

-- ProductCatalog item 123 of the Developer Guide.
SELECT dynamo.create_table('ReadCatalog', 'Id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('ReadCatalog', '{"Id": {"N": "123"}, "Title": {"S": "Bicycle 123"},
  "Description": {"S": "123 description"}, "BicycleType": {"S": "Hybrid"},
  "Brand": {"S": "Brand-Company C"}, "Price": {"N": "500"}, "Color": {"SS": ["Red", "Black"]},
  "ProductCategory": {"S": "Bicycle"}, "InStock": {"BOOL": true}, "QuantityOnHand": {"NULL": true},
  "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
  "Pictures": {"M": {"FrontView": {"S": "http://example.com/products/123_front.jpg"},
                     "RearView": {"S": "http://example.com/products/123_rear.jpg"},
                     "SideView": {"S": "http://example.com/products/123_left_side.jpg"}}},
  "ProductReviews": {"M": {"FiveStar": {"L": [{"S": "Excellent! Can''t recommend it highly enough! Buy it!"},
                                              {"S": "Do yourself a favor and buy this."}]},
                           "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]}}},
  "Comment": {"S": "This product sells out quickly during the summer"},
  "Safety.Warning": {"S": "Always wear a helmet"}}');

-- GetItem with the guide's projection: a scalar, the first list element
-- (as a one-element list) and a list inside a map (inside its map).
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}',
  projection_expression => 'Description, RelatedItems[0], ProductReviews.FiveStar');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => 'Title');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => 'Title, Price, Color');
-- "Safety.Warning" is a path into a map Safety, which the item lacks: an
-- empty item; the attribute itself needs a name placeholder.
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => 'Safety.Warning');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => '#sw',
  expression_attribute_names => '{"#sw": "Safety.Warning"}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => '#pr.#1star',
  expression_attribute_names => '{"#pr": "ProductReviews", "#1star": "OneStar"}');
-- Several elements of one list keep their order; list elements and map
-- members of different paths merge (alternator test_projection_expression_path).
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => 'RelatedItems[2], RelatedItems[0], Pictures.RearView, Id');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "123"}}', projection_expression => 'RelatedItems[3], Pictures[0], Title.x');
-- a.b[1] returns {"a":{"M":{"b":{"L":[elem]}}}}.
SELECT dynamo.put_item('ReadCatalog', '{"Id": {"N": "7"}, "a": {"M": {"b": {"L": [{"N": "2"}, {"N": "4"}, {"M": {"x": {"S": "hi"}, "y": {"S": "yo"}}}]}, "c": {"N": "5"}}}}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a.b[1]');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a.b[2].y, a.c');
-- A missing item stays {} with a projection.
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "8"}}', projection_expression => 'a');
-- Calls of 0.1.0 (positional) work unchanged.
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', true);
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', true, 'a.c');

-- GetItem errors.
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => '');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a,');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a, a.b');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a.b, a[1]');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'Size');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => '#n',
  expression_attribute_names => '{"#wrong": "a"}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => '#n',
  expression_attribute_names => '{"#n": "a", "#unused": "b"}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', expression_attribute_names => '{"#n": "a"}');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a[-1]');
-- the request is checked before the table is looked up
SELECT dynamo.get_item('NoSuchTable', '{"Id": {"N": "7"}}', projection_expression => 'a,,b');

-- Query: the guide's Thread example, popular threads only.
SELECT dynamo.create_table('ReadThread', 'ForumName', 'S', 'Subject', 'S') IS NOT NULL AS created;
SELECT count(dynamo.put_item('ReadThread', jsonb_build_object(
    'ForumName', '{"S": "Amazon DynamoDB"}'::jsonb,
    'Subject', jsonb_build_object('S', 'DynamoDB Thread ' || i),
    'Views', jsonb_build_object('N', (i * 2)::text),
    'LastPostedBy', jsonb_build_object('S', 'User ' || (i % 3)))))
  FROM generate_series(1, 6) i;
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}, ":num": {"N": "7"}}',
  '{"#v": "Views"}', filter_expression => '#v >= :num', projection_expression => 'Subject, #v');
-- Limit 3 evaluates three items, then filters: Count 0 of ScannedCount 3,
-- and LastEvaluatedKey is the last item evaluated (guide: "Limiting the
-- number of items in the result set"; dynalite test/query.js "should return
-- LastEvaluatedKey even if only filtered items").
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}, ":num": {"N": "7"}}',
  '{"#v": "Views"}', "limit" => 3, filter_expression => '#v >= :num');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}, ":num": {"N": "7"}}',
  '{"#v": "Views"}', "limit" => 3, filter_expression => '#v >= :num',
  exclusive_start_key => '{"ForumName": {"S": "Amazon DynamoDB"}, "Subject": {"S": "DynamoDB Thread 3"}}');
-- Backwards, a range condition, a function and a value used only by the filter.
SELECT dynamo.query('ReadThread', 'ForumName = :fn AND Subject > :s', '{":fn": {"S": "Amazon DynamoDB"}, ":s": {"S": "DynamoDB Thread 2"}, ":u": {"S": "User 1"}}',
  scan_index_forward => false, filter_expression => 'LastPostedBy <> :u AND attribute_exists(#v)',
  expression_attribute_names => '{"#v": "Views"}', projection_expression => 'Subject, LastPostedBy');
-- Select COUNT: Count and ScannedCount, no Items.
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}, ":num": {"N": "7"}}',
  '{"#v": "Views"}', filter_expression => '#v >= :num', "select" => 'COUNT');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}}', "select" => 'COUNT', "limit" => 2);
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}}', '{"#v": "Views"}',
  "limit" => 1, "select" => 'SPECIFIC_ATTRIBUTES', projection_expression => '#v', consistent_read => true);
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "Amazon DynamoDB"}}', "limit" => 1, "select" => 'ALL_ATTRIBUTES');
-- The guide's Movies page: projection "title", pages of 5.
SELECT dynamo.create_table('ReadMovies', 'year', 'N', 'title', 'S') IS NOT NULL AS created;
SELECT count(dynamo.put_item('ReadMovies', jsonb_build_object('year', '{"N": "1993"}'::jsonb,
    'title', jsonb_build_object('S', t), 'info', '{"M": {"rating": {"N": "7"}}}'::jsonb)))
  FROM unnest(ARRAY['A Bronx Tale', 'A Perfect World', 'Addams Family Values', 'Alive', 'Benny & Joon',
                    'What''s Eating Gilbert Grape']) t;
SELECT dynamo.query('ReadMovies', '#y = :yyyy', '{":yyyy": {"N": "1993"}}', '{"#y": "year"}', "limit" => 5,
  projection_expression => 'title');
SELECT dynamo.query('ReadMovies', '#y = :yyyy', '{":yyyy": {"N": "1993"}}', '{"#y": "year"}', "limit" => 5,
  projection_expression => 'title', exclusive_start_key => '{"year": {"N": "1993"}, "title": {"S": "Benny & Joon"}}');
-- 0.1.0 positional calls.
SELECT dynamo.query('ReadMovies', '#y = :yyyy', '{":yyyy": {"N": "1993"}}', '{"#y": "year"}', false, 1)->'Items';
SELECT dynamo.query('ReadMovies', '#y = :yyyy', '{":yyyy": {"N": "1993"}}', '{"#y": "year"}', true, 1,
  '{"year": {"N": "1993"}, "title": {"S": "Alive"}}')->'Items';

-- Query errors.
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'COUNT', projection_expression => 'Views');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'ALL_ATTRIBUTES', projection_expression => 'Views');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'SPECIFIC_ATTRIBUTES');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'ALL_PROJECTED_ATTRIBUTES');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'ALL_PROJECTED_ATTRIBUTES', projection_expression => 'Views');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', "select" => 'count');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":s": {"S": "y"}}', filter_expression => 'Subject = :s');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":s": {"S": "y"}}', filter_expression => 'begins_with(Subject, :s) OR ForumName = :s');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":s": {"S": "y"}}', filter_expression => 'Subject.x = :s');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":s": {"S": "y"}}');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', '{"#v": "Views"}');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', filter_expression => '#v > :n');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', filter_expression => '');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":n": {"N": "1"}}', filter_expression => 'Views = :n');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}, ":n": {"N": "1"}}', filter_expression => 'Tags > :n SET');
SELECT dynamo.query('ReadThread', 'ForumName = :fn', '{":fn": {"S": "x"}}', projection_expression => 'Subject, Subject');

-- Scan: filter, Count and ScannedCount, limit before the filter.
SELECT dynamo.scan('ReadThread', filter_expression => 'LastPostedBy = :name',
  expression_attribute_values => '{":name": {"S": "User 1"}}', projection_expression => 'Subject');
SELECT dynamo.scan('ReadThread', 2, filter_expression => 'LastPostedBy = :name',
  expression_attribute_values => '{":name": {"S": "User 1"}}', projection_expression => 'Subject');
SELECT dynamo.scan('ReadThread', filter_expression => 'contains(LastPostedBy, :d) AND size(Subject) > :n',
  expression_attribute_values => '{":d": {"S": "2"}, ":n": {"N": "5"}}', "select" => 'COUNT');
SELECT dynamo.scan('ReadThread', filter_expression => '#v BETWEEN :a AND :b', "select" => 'SPECIFIC_ATTRIBUTES',
  projection_expression => '#v, ForumName', expression_attribute_names => '{"#v": "Views"}',
  expression_attribute_values => '{":a": {"N": "4"}, ":b": {"N": "6"}}', consistent_read => true);
SELECT dynamo.scan('ReadMovies', projection_expression => 'info.rating', "limit" => 2);
SELECT dynamo.scan('ReadMovies', 1, '{"year": {"N": "1993"}, "title": {"S": "Alive"}}')->'Items';
-- The key attributes may be filtered in a scan.
SELECT dynamo.scan('ReadMovies', filter_expression => 'begins_with(title, :a)', expression_attribute_values => '{":a": {"S": "A"}}', "select" => 'COUNT');

-- Scan errors (Scan's Select messages have no prefix).
SELECT dynamo.scan('ReadThread', "select" => 'COUNT', projection_expression => 'Views');
SELECT dynamo.scan('ReadThread', "select" => 'ALL_ATTRIBUTES', projection_expression => 'Views');
SELECT dynamo.scan('ReadThread', "select" => 'SPECIFIC_ATTRIBUTES');
SELECT dynamo.scan('ReadThread', "select" => 'ALL_PROJECTED_ATTRIBUTES');
SELECT dynamo.scan('ReadThread', "select" => 'NONE');
SELECT dynamo.scan('ReadThread', expression_attribute_names => '{"#v": "Views"}');
SELECT dynamo.scan('ReadThread', expression_attribute_values => '{":v": {"N": "1"}}');
SELECT dynamo.scan('ReadThread', projection_expression => 'Views', expression_attribute_values => '{":v": {"N": "1"}}');
SELECT dynamo.scan('ReadThread', filter_expression => 'Price > :v', expression_attribute_values => '{":v": {"N": "1"}, ":w": {"N": "2"}}');
SELECT dynamo.scan('ReadThread', filter_expression => 'Price > :v', expression_attribute_values => '{":v": {"N": "01x"}}');
SELECT dynamo.scan('ReadThread', filter_expression => 'Price = :v', expression_attribute_values => '{}');
SELECT dynamo.scan('ReadThread', filter_expression => 'Price > Price', "select" => 'COUNT');
SELECT dynamo.scan('ReadThread', filter_expression => 'list_append(a, b) = c');
SELECT dynamo.scan('ReadThread', filter_expression => 'Price');
SELECT dynamo.scan('NoSuchTable', filter_expression => 'Price > Price');
SELECT dynamo.scan('NoSuchTable', filter_expression => 'Views > Views');

-- The 1 MB page counts the items read, filtered or not: five items of
-- about 300 KB, a filter that keeps none; the page stops after four.
SELECT dynamo.create_table('ReadBig', 'k', 'N') IS NOT NULL AS created;
SELECT count(dynamo.put_item('ReadBig', jsonb_build_object('k', jsonb_build_object('N', i::text),
    'blob', jsonb_build_object('S', repeat('x', 300000)))))
  FROM generate_series(1, 5) i;
SELECT dynamo.scan('ReadBig', filter_expression => 'attribute_exists(nothing)');
SELECT dynamo.scan('ReadBig', projection_expression => 'k')->>'ScannedCount' AS scanned;
SELECT dynamo.query('ReadBig', 'k = :k', '{":k": {"N": "3"}}', "select" => 'COUNT');

-- Privileges: reads need SELECT on the item table.
CREATE ROLE regress_reads_nobody;
SET ROLE regress_reads_nobody;
SELECT dynamo.scan('ReadThread', filter_expression => 'attribute_exists(Price)');
SELECT dynamo.get_item('ReadCatalog', '{"Id": {"N": "7"}}', projection_expression => 'a');
RESET ROLE;
DROP ROLE regress_reads_nobody;

SELECT dynamo.delete_table(t) IS NOT NULL AS dropped FROM unnest(ARRAY['ReadCatalog', 'ReadThread', 'ReadMovies', 'ReadBig']) t;
