-- 031_query: query() with every KeyConditionExpression form, DynamoDB's sort
-- order for S, N and B range keys, direction, limit and pagination.
\set VERBOSITY terse
-- The range key values of a query result, in result order.
CREATE FUNCTION pg_temp.keys(r jsonb, attr text DEFAULT 'r') RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(coalesce(i->attr->>'S', i->attr->>'N', i->attr->>'B'), ' ' ORDER BY n), '')
           || ' | Count ' || (r->>'Count') || ' ScannedCount ' || (r->>'ScannedCount')
           || coalesce(' | LastEvaluatedKey ' || (r->'LastEvaluatedKey')::text, '')
      FROM jsonb_array_elements(r->'Items') WITH ORDINALITY AS e(i, n)
$$;

-- S range keys sort by UTF-8 bytes (code points), not by the database
-- collation: "B" < "a" < "z" < "é" < "中" < "𝄞".
SELECT dynamo.create_table('Q_S', 'h', 'S', 'r', 'S') IS NOT NULL AS created;
SELECT count(dynamo.put_item('Q_S', jsonb_build_object('h', '{"S": "p"}'::jsonb, 'r', jsonb_build_object('S', v))))
  FROM unnest(ARRAY['a', 'B', 'é', 'z', '中', '𝄞', 'ab', 'aa', 'a b', 'A']) v;
SELECT dynamo.put_item('Q_S', '{"h": {"S": "other"}, "r": {"S": "a"}}');
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}', scan_index_forward => false));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r = :v', '{":h": {"S": "p"}, ":v": {"S": "é"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r < :v', '{":h": {"S": "p"}, ":v": {"S": "a"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r <= :v', '{":h": {"S": "p"}, ":v": {"S": "a"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r > :v', '{":h": {"S": "p"}, ":v": {"S": "z"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r >= :v', '{":h": {"S": "p"}, ":v": {"S": "z"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND r BETWEEN :a AND :b', '{":h": {"S": "p"}, ":a": {"S": "a"}, ":b": {"S": "ab"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND begins_with(r, :p)', '{":h": {"S": "p"}, ":p": {"S": "a"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND begins_with(r, :p)', '{":h": {"S": "p"}, ":p": {"S": "中"}}'));
-- Placeholders for names, value on the left, lower-case keywords, brackets.
SELECT pg_temp.keys(dynamo.query('Q_S', '#k = :h and :v > #s', '{":h": {"S": "p"}, ":v": {"S": "a"}}', '{"#k": "h", "#s": "r"}'));
SELECT pg_temp.keys(dynamo.query('Q_S', '(#s between :a and :b) AND (:h = h)', '{":h": {"S": "p"}, ":a": {"S": "aa"}, ":b": {"S": "b"}}', '{"#s": "r"}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h=:h AND r>=:v', '{":h": {"S": "p"}, ":v": {"S": "中"}}'));
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h', '{":h": {"S": "nobody"}}'));

-- N range keys sort numerically: negatives, fractions, exponents.
SELECT dynamo.create_table('Q_N', 'h', 'N', 'r', 'N') IS NOT NULL AS created;
SELECT count(dynamo.put_item('Q_N', jsonb_build_object('h', '{"N": "7"}'::jsonb, 'r', jsonb_build_object('N', v))))
  FROM unnest(ARRAY['10', '-1', '-10', '0', '-0.5', '0.001', '1.5', '1E+10', '2', '-1E-5', '1E+20', '-1E+20']) v;
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h', '{":h": {"N": "7.0"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h', '{":h": {"N": "7"}}', NULL, false));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r BETWEEN :a AND :b', '{":h": {"N": "7"}, ":a": {"N": "-1"}, ":b": {"N": "1.50"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r < :v', '{":h": {"N": "7"}, ":v": {"N": "0"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r = :v', '{":h": {"N": "7"}, ":v": {"N": "10000000000"}}'));

-- B range keys sort by bytes: 00 < 0000 < 01 < 7f < 80 < ff.
SELECT dynamo.create_table('Q_B', 'h', 'B', 'r', 'B') IS NOT NULL AS created;
SELECT count(dynamo.put_item('Q_B', jsonb_build_object('h', '{"B": "AA=="}'::jsonb, 'r', jsonb_build_object('B', v))))
  FROM unnest(ARRAY['/w==', 'gA==', 'fw==', 'AQ==', 'AAA=', 'AA==', 'gAE=']) v;
SELECT pg_temp.keys(dynamo.query('Q_B', 'h = :h', '{":h": {"B": "AA=="}}'));
SELECT pg_temp.keys(dynamo.query('Q_B', 'h = :h AND r > :v', '{":h": {"B": "AA=="}, ":v": {"B": "fw=="}}', scan_index_forward => false));
SELECT pg_temp.keys(dynamo.query('Q_B', 'h = :h AND begins_with(r, :p)', '{":h": {"B": "AA=="}, ":p": {"B": "gA=="}}'));
SELECT pg_temp.keys(dynamo.query('Q_B', 'h = :h AND begins_with(r, :p)', '{":h": {"B": "AA=="}, ":p": {"B": "AA=="}}'));

-- limit and LastEvaluatedKey: present when the limit stopped the page, even
-- if nothing follows (as in DynamoDB); absent when the page ended by itself.
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h', '{":h": {"N": "7"}}', "limit" => 3));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h', '{":h": {"N": "7"}}', "limit" => 3,
                                 exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "-10"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h', '{":h": {"N": "7"}}', "limit" => 3, scan_index_forward => false,
                                 exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "0"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r >= :v', '{":h": {"N": "7"}, ":v": {"N": "10"}}', "limit" => 2,
                                 exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "10"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r >= :v', '{":h": {"N": "7"}, ":v": {"N": "10"}}', "limit" => 3));

-- Pagination visits every item exactly once, in order, both directions and
-- for every page size.
CREATE FUNCTION pg_temp.paginate(tbl text, h jsonb, page int, fwd boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    esk jsonb := NULL;
    seen jsonb := '[]';
BEGIN
    LOOP
        r := dynamo.query(tbl, 'h = :h', jsonb_build_object(':h', h), NULL, fwd, page, esk);
        seen := seen || (r->'Items');
        esk := r->'LastEvaluatedKey';
        EXIT WHEN esk IS NULL;
    END LOOP;
    RETURN seen;
END
$$;
SELECT t, page, fwd,
       pg_temp.paginate(t, h, page, fwd) = dynamo.query(t, 'h = :h', jsonb_build_object(':h', h), NULL, fwd)->'Items' AS same_items
  FROM (VALUES ('Q_S', '{"S": "p"}'::jsonb), ('Q_N', '{"N": "7"}'), ('Q_B', '{"B": "AA=="}')) v(t, h),
       generate_series(1, 4) page, (VALUES (true), (false)) d(fwd)
 WHERE page IN (1, 3, 4) ORDER BY 1, 2, 3;

-- A table without range key: at most one item.
SELECT dynamo.create_table('Q_H', 'h', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('Q_H', '{"h": {"S": "x"}, "v": {"N": "1"}}');
SELECT dynamo.query('Q_H', 'h = :h', '{":h": {"S": "x"}}');
SELECT dynamo.query('Q_H', 'h = :h', '{":h": {"S": "x"}}', "limit" => 1);
SELECT dynamo.query('Q_H', 'h = :h', '{":h": {"S": "x"}}', "limit" => 1, exclusive_start_key => '{"h": {"S": "x"}}');

-- Bad expressions and arguments.
SELECT dynamo.query('Q_S', NULL, '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', '', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h', NULL);
SELECT dynamo.query('Q_S', 'h = :h', '{}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}, ":x": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}', '{"#x": "r"}');
SELECT dynamo.query('Q_S', '#h = :h', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r = :v', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'r = :h', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h > :h', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND x = :v', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r = :v AND r = :w', '{":h": {"S": "p"}, ":v": {"S": "p"}, ":w": {"S": "q"}}');
SELECT dynamo.query('Q_S', 'h = :h AND h = :v', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h OR r = :v', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'NOT h = :h', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r <> :v', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r IN (:v)', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND contains(r, :v)', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND Begins_With(r, :v)', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r BETWEEN :b AND :a', '{":h": {"S": "p"}, ":a": {"S": "a"}, ":b": {"S": "b"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r = h', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', ':h = :v', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r = :v)', '{":h": {"S": "p"}, ":v": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h; DROP TABLE x', '{":h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"N": "1"}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": ""}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"SS": ["a"]}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p", "N": "1"}}');
SELECT dynamo.query('Q_S', 'h = :h AND r < :v', '{":h": {"S": "p"}, ":v": {"N": "1"}}');
SELECT dynamo.query('Q_N', 'h = :h AND begins_with(r, :v)', '{":h": {"N": "7"}, ":v": {"N": "1"}}');
SELECT dynamo.query('Q_N', 'h = :h', '{":h": {"N": "1e999"}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}', "limit" => 0);
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}', exclusive_start_key => '{"h": {"S": "p"}}');
SELECT dynamo.query('Q_S', 'h = :h', '{":h": {"S": "p"}}', exclusive_start_key => '{"h": {"S": "q"}, "r": {"S": "a"}}');
SELECT dynamo.query('Q_N', 'h = :h AND r > :v', '{":h": {"N": "7"}, ":v": {"N": "0"}}', exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "0"}}');
SELECT dynamo.query('Q_N', 'h = :h AND r BETWEEN :a AND :b', '{":h": {"N": "7"}, ":a": {"N": "0"}, ":b": {"N": "2"}}', exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "2.5"}}');
SELECT dynamo.query('Q_S', 'h = :h AND begins_with(r, :p)', '{":h": {"S": "p"}, ":p": {"S": "a"}}', exclusive_start_key => '{"h": {"S": "p"}, "r": {"S": "b"}}');
-- A start key that satisfies the condition is accepted.
SELECT pg_temp.keys(dynamo.query('Q_S', 'h = :h AND begins_with(r, :p)', '{":h": {"S": "p"}, ":p": {"S": "a"}}',
                                 exclusive_start_key => '{"h": {"S": "p"}, "r": {"S": "a b"}}'));
SELECT pg_temp.keys(dynamo.query('Q_N', 'h = :h AND r BETWEEN :a AND :b', '{":h": {"N": "7"}, ":a": {"N": "0"}, ":b": {"N": "2"}}',
                                 exclusive_start_key => '{"h": {"N": "7"}, "r": {"N": "0.001"}}'));
SELECT dynamo.query('Nope', 'h = :h', '{":h": {"S": "p"}}');

SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['Q_S', 'Q_N', 'Q_B', 'Q_H']) t;
