-- 033_batch_write: batch_write_item puts and deletes across tables, 1-25
-- requests, all or nothing.
\set VERBOSITY terse
SELECT dynamo.create_table('BwA', 'id', 'S') IS NOT NULL AS created;
SELECT dynamo.create_table('BwB', 'h', 'N', 'r', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('BwA', '{"id": {"S": "old"}, "v": {"N": "1"}}');
SELECT dynamo.put_item('BwA', '{"id": {"S": "same"}, "v": {"N": "1"}}');
SELECT ctid AS same_ctid FROM dynamo."BwA" WHERE pk = 'same' \gset

-- Puts and deletes in two tables; the identical put writes nothing.
SELECT dynamo.batch_write_item('{
  "BwA": [{"PutRequest": {"Item": {"id": {"S": "new"}, "v": {"N": "2.0"}}}},
          {"DeleteRequest": {"Key": {"id": {"S": "old"}}}},
          {"DeleteRequest": {"Key": {"id": {"S": "missing"}}}},
          {"PutRequest": {"Item": {"id": {"S": "same"}, "v": {"N": "1"}}}}],
  "BwB": [{"PutRequest": {"Item": {"h": {"N": "1"}, "r": {"S": "a"}}}},
          {"PutRequest": {"Item": {"h": {"N": "1"}, "r": {"S": "b"}, "s": {"SS": ["z", "y"]}}}}]}');
SELECT pk, item FROM dynamo."BwA" ORDER BY pk;
SELECT ctid = :'same_ctid' AS untouched FROM dynamo."BwA" WHERE pk = 'same';
SELECT pk, sk, item FROM dynamo."BwB" ORDER BY pk, sk;

-- 25 requests are accepted.
SELECT dynamo.batch_write_item(jsonb_build_object('BwB', jsonb_agg(jsonb_build_object('PutRequest',
         jsonb_build_object('Item', jsonb_build_object('h', '{"N": "2"}'::jsonb, 'r', jsonb_build_object('S', 'k' || i)))))))
  FROM generate_series(1, 25) i;
SELECT count(*) FROM dynamo."BwB" WHERE pk = 2;

-- Rejected batches write nothing: counts are unchanged after each.
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM dynamo."BwA") AS a, (SELECT count(*) FROM dynamo."BwB") AS b,
       (SELECT md5(string_agg(item::text, ',' ORDER BY pk)) FROM dynamo."BwA") AS a_md5;
-- 26 requests, over two tables.
SELECT dynamo.batch_write_item(jsonb_build_object(
         'BwB', (SELECT jsonb_agg(jsonb_build_object('DeleteRequest', jsonb_build_object('Key',
                   jsonb_build_object('h', '{"N": "2"}'::jsonb, 'r', jsonb_build_object('S', 'k' || i)))))
                   FROM generate_series(1, 20) i),
         'BwA', (SELECT jsonb_agg(jsonb_build_object('PutRequest', jsonb_build_object('Item',
                   jsonb_build_object('id', jsonb_build_object('S', 'x' || i)))))
                   FROM generate_series(1, 6) i)));
-- The count is checked first: 26 requests that are also invalid.
SELECT dynamo.batch_write_item(jsonb_build_object('Nope', jsonb_agg(jsonb_build_object('PutRequest',
         jsonb_build_object('Item', '{"id": {"S": ""}}'::jsonb)))))
  FROM generate_series(1, 26) i;
-- Duplicate keys: two puts, a put and a delete, or keys equal after
-- number normalisation.
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "new"}, "v": {"N": "3"}}}},
                                         {"PutRequest": {"Item": {"id": {"S": "new"}, "v": {"N": "4"}}}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "a1"}}}},
                                         {"DeleteRequest": {"Key": {"id": {"S": "new"}}}},
                                         {"PutRequest": {"Item": {"id": {"S": "new"}}}}]}');
SELECT dynamo.batch_write_item('{"BwB": [{"DeleteRequest": {"Key": {"h": {"N": "1"}, "r": {"S": "a"}}}},
                                         {"DeleteRequest": {"Key": {"r": {"S": "a"}, "h": {"N": "1.00"}}}}]}');
-- The same key in two different tables is not a duplicate (see below).
-- An invalid item after valid requests.
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "ok1"}}}},
                                         {"DeleteRequest": {"Key": {"id": {"S": "new"}}}},
                                         {"PutRequest": {"Item": {"id": {"S": "ok2"}, "bad": {"NULL": false}}}}]}');
-- a PutRequest item without its key gets BatchWriteItem's message
-- ([dynalite] test/batchWriteItem.js "range key does not match schema")
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "ok1"}}}}],
                                 "BwB": [{"PutRequest": {"Item": {"h": {"N": "1"}}}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"DeleteRequest": {"Key": {"id": {"S": "new"}}}}],
                                 "BwB": [{"DeleteRequest": {"Key": {"h": {"N": "1"}, "r": {"N": "1"}}}}]}');
-- An unknown table.
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "ok1"}}}}],
                                 "Nope": [{"PutRequest": {"Item": {"id": {"S": "ok1"}}}}]}');
-- Malformed requests.
SELECT dynamo.batch_write_item(NULL);
SELECT dynamo.batch_write_item('{}');
SELECT dynamo.batch_write_item('[]');
SELECT dynamo.batch_write_item('{"BwA": []}');
SELECT dynamo.batch_write_item('{"BwA": {"PutRequest": {}}}');
SELECT dynamo.batch_write_item('{"BwA": ["x"]}');
SELECT dynamo.batch_write_item('{"BwA": [{}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "p"}}}, "DeleteRequest": {"Key": {"id": {"S": "q"}}}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"DeleteRequest": {"Item": {"id": {"S": "q"}}}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": "x"}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"UpdateRequest": {}}]}');
SELECT dynamo.batch_write_item('{"BwA": [{"DeleteRequest": {"Key": {"id": {"S": "q"}, "v": {"N": "1"}}}}]}');
SELECT (SELECT count(*) FROM dynamo."BwA") = a AS a_same, (SELECT count(*) FROM dynamo."BwB") = b AS b_same,
       (SELECT md5(string_agg(item::text, ',' ORDER BY pk)) FROM dynamo."BwA") = a_md5 AS a_items_same
  FROM counts;

-- An error during the writes (here: a CHECK constraint the user added
-- constraint) undoes the writes already done in the batch.
ALTER TABLE dynamo."BwA" ADD CONSTRAINT no_boom CHECK (NOT item ? 'boom');
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "first"}}}},
                                         {"DeleteRequest": {"Key": {"id": {"S": "new"}}}},
                                         {"PutRequest": {"Item": {"id": {"S": "last"}, "boom": {"BOOL": true}}}}]}');
SELECT (SELECT count(*) FROM dynamo."BwA") = a AS a_same,
       (SELECT md5(string_agg(item::text, ',' ORDER BY pk)) FROM dynamo."BwA") = a_md5 AS a_items_same
  FROM counts;
ALTER TABLE dynamo."BwA" DROP CONSTRAINT no_boom;

-- Equal keys in different tables are fine.
SELECT dynamo.create_table('BwC', 'id', 'S') IS NOT NULL AS created;
SELECT dynamo.batch_write_item('{"BwA": [{"PutRequest": {"Item": {"id": {"S": "k"}}}}],
                                 "BwC": [{"PutRequest": {"Item": {"id": {"S": "k"}}}}]}');
SELECT (SELECT count(*) FROM dynamo."BwA" WHERE pk = 'k'), (SELECT count(*) FROM dynamo."BwC" WHERE pk = 'k');

SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['BwA', 'BwB', 'BwC']) t;
