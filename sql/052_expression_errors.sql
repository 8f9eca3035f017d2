-- 052_expression_errors: every error of the expression language, with
-- DynamoDB's messages.  Sources (recorded against DynamoDB): dynalite
-- test/updateItem.js and test/putItem.js (message texts), ScyllaDB
-- test/alternator/test_update_expression.py, test_condition_expression.py
-- and test_number.py; the reserved words are the Developer Guide's list.
\set VERBOSITY terse
SELECT dynamo.create_table('Err', 'k', 'S') IS NOT NULL AS created;
SELECT dynamo.put_item('Err', '{"k": {"S": "x"}, "s": {"S": "str"}, "n": {"N": "1"}, "l": {"L": [{"S": "a"}]},
  "m": {"M": {"a": {"S": "b"}}}, "ss": {"SS": ["a"]}}');
CREATE FUNCTION ue(upd text, vals jsonb DEFAULT NULL, names jsonb DEFAULT NULL, cond text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dynamo.update_item('Err', '{"k": {"S": "x"}}', upd, cond, names, vals);
  RETURN 'ok';
EXCEPTION WHEN invalid_parameter_value OR check_violation THEN RETURN SQLERRM;
END $$;
-- ue with only the values the expressions name (no "unused" error)
CREATE FUNCTION uv(upd text, vals jsonb, cond text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT ue(upd, (SELECT jsonb_object_agg(key, value) FROM jsonb_each(vals)
                   WHERE coalesce(upd, '') || ' ' || coalesce(cond, '') ~ (key || '([^A-Za-z0-9_]|$)')), NULL, cond)
$$;
CREATE FUNCTION ce(cond text, vals jsonb DEFAULT NULL, names jsonb DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dynamo.delete_item('Err', '{"k": {"S": "nothing"}}', 'NONE', cond, names, vals);
  RETURN 'ok';
EXCEPTION WHEN invalid_parameter_value OR check_violation THEN RETURN SQLERRM;
END $$;

-- Syntax errors (dynalite: each is "Invalid UpdateExpression: Syntax error; ...").
SELECT u, ue(u) FROM (VALUES ('whatever'), ('set a'), ('add a'), ('delete a'), ('set a=set'),
  ('remove a = b'), ('add a = b'), ('delete a b'), ('remove a b'), ('set a b'), ('set :a = b'),
  ('remove :a'), ('set a = b / c'), ('set a = b * c'), ('set a[1] = "eight"'), ('set a[1] = 1'),
  ('set (a = (b + c))'), ('set a = b + c + d'), ('set a = (b.c).d + e'), ('SET _123 = b'), ('SET 123a = b'),
  ('SET hi-there = b'), ('SET hi$there = b'), ('SET # = b'), ('SET a = :'), ('SET a[x] = b'), ('SET a.[1] = b'),
  ('SET a = b,'), ('SET a = b REMOVE')) x(u);
SELECT c, ce(c) FROM (VALUES ('a ='), ('a = = b'), ('a b'), ('(a = b'), ('a = b)'), ('a BETWEEN b'),
  ('a BETWEEN b OR c'), ('a IN ()'), ('a IN b'), ('NOT'), ('a = b AND'), ('a <=> b'), ('a == b'), ('a != b'),
  ('size(a)'), ('a = b c')) x(c);
-- Empty expressions and the size limit (4 KB).
SELECT ue(''), ce(''), ue('   ');
SELECT ue('SET a = b' || repeat(' ', 4096)), ce(repeat('a = b AND ', 400) || 'a = b');
SELECT length('SET a = ' || repeat('b', 4088)) AS len, ue('SET a = ' || repeat('b', 4088));
-- Reserved words used bare (any case); fine through a #name.
SELECT ue(' set #c = :c set abOrt = :c ', '{":c": {"S": "a"}}', '{"#c": "c"}'), ue(' remove Absolute '),
  ue('SET x = Size'), ue('SET a.Date = :c', '{":c": {"S": "a"}}'), ce('attribute_exists(m.Status)'),
  ue('SET #d = :c', '{":c": {"S": "a"}}', '{"#d": "Date"}');
-- Sections once each; functions and their operands.
SELECT u, uv(u, '{":a": {"S": "a"}, ":l": {"L": []}, ":n": {"N": "1"}, ":s": {"SS": ["a"]}}') FROM (VALUES
  ('set a = :a set c = :a'), ('remove a set b = :a remove c'), ('add n :n set a = :a add o :n'),
  ('delete ss :s set a = :a delete t :s'),
  ('set a = if_not_exist(a, :a)'), ('set a = nope(:a)'), ('set a = if_not_exists(a)'), ('set a = list_append(:l)'),
  ('set a = if_not_exists(:a, a)'), ('set a = if_not_exists(if_not_exists(a, :a), :a)'),
  ('set a = size(s)'), ('set a = attribute_exists(s)'), ('SET if_not_exists(a, :a) = a'),
  ('set a = list_append(:a, l)'), ('set a = list_append(l, :n)'), ('set a = s + :a'), ('set a = :a - s'),
  ('set a = :l + :n')) x(u);
-- ADD and DELETE take only numbers and sets (DELETE: only sets).
SELECT v, ue('ADD a :v', jsonb_build_object(':v', v::jsonb)), ue('DELETE a :v', jsonb_build_object(':v', v::jsonb))
  FROM (VALUES ('{"S": "a"}'), ('{"N": "1"}'), ('{"B": "YQ=="}'), ('{"BOOL": true}'), ('{"NULL": true}'),
               ('{"M": {}}'), ('{"L": []}'), ('{"SS": ["a"]}')) x(v);
-- Functions in conditions.
SELECT c, ce(c, '{":a": {"S": "a"}, ":n": {"N": "1"}, ":t": {"S": "Q"}}') FROM (VALUES
  ('attribute_exists(:a) OR :n = :t'), ('attribute_exists(a, b) OR :n = :a OR :t = :a'), ('attribute_type(a, :t) OR :n = :a'),
  ('attribute_type(a, :n) OR :a = :t'), ('begins_with(a, :n) OR :a = :t'), ('begins_with(a) OR :a = :n OR :t = :a'),
  ('contains(a) OR :a = :n OR :t = :a'), ('size(:a) = :n OR :t = :a'), ('size(a, b) = :n OR :t = :a'),
  ('nope(a) OR :a = :n OR :t = :a'), ('if_not_exists(a, :a) = :a OR :n = :t'), ('list_append(a, :a) = :a OR :n = :t'),
  ('begins_with(a, :a) = :n OR :t = :a'), ('Begins_With(a, :a) OR :n = :t'), ('size(a) OR :a = :n OR :t = :a')) x(c);
-- BETWEEN bounds out of order; IN with more than 100 values; too many operators.
SELECT ce('a BETWEEN :hi AND :lo', '{":lo": {"N": "1"}, ":hi": {"N": "10"}}'),
       ce('a BETWEEN :hi AND :lo', '{":lo": {"S": "a"}, ":hi": {"S": "b"}}'),
       ce('a BETWEEN :hi AND :lo', '{":lo": {"N": "1"}, ":hi": {"S": "b"}}');
SELECT ce('a IN (' || string_agg(':v', ', ') || ')', '{":v": {"N": "1"}}') FROM generate_series(1, 100);
SELECT ce('a IN (' || string_agg(':v', ', ') || ')', '{":v": {"N": "1"}}') FROM generate_series(1, 101);
SELECT ce(string_agg('a = :v', ' OR '), '{":v": {"N": "1"}}') FROM generate_series(1, 150);
SELECT ce(string_agg('a = :v', ' OR '), '{":v": {"N": "1"}}') FROM generate_series(1, 151);
-- Document paths: at most 32 elements, list indexes in range.
SELECT ce('attribute_exists(' || string_agg('a', '.') || ')') FROM generate_series(1, 32);
SELECT ce('attribute_exists(' || string_agg('a', '.') || ')') FROM generate_series(1, 33);
SELECT ce('attribute_exists(a' || repeat('[0]', 32) || ')');
SELECT ce('attribute_exists(a[1234567890])');
-- Overlapping and conflicting paths (dynalite's examples).
SELECT u, ue(u, NULL, n::jsonb) FROM (VALUES
  ('set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)', '{"#c": "c"}'),
  ('set #c[3].#d = a, #c[3] = a', '{"#c": "c", "#d": "[3]"}'),
  ('set #c[3].#d = a, #c.#d[3] = if_not_exists(a, b)', '{"#c": "c", "#d": "[3]"}'),
  ('remove a.#c set a[1] = #d', '{"#c": "c", "#d": "[3]"}'),
  ('set a = b remove a', NULL), ('set a = b, a = c', NULL)) x(u, n);
SELECT uv('add n :n remove n', '{":n": {"N": "1"}}');
-- Names and values: defined, used, well-formed.
SELECT ue('SET #c = :v', '{":v": {"S": "a"}}', '{"#a": "a"}'),
       ue('SET a = :c', '{":v": {"S": "a"}}'),
       ue('SET a = :v', '{":v": {"S": "a"}, ":w": {"S": "a"}, ":x": {"S": "a"}}'),
       ue('SET a = :v', '{":v": {"S": "a"}}', '{"#a": "a", "#b": "b"}'),
       ue('SET a = :v', '{":v": {"S": "a"}}', '{}'),
       ue('SET a = :v', '{}'),
       ue('SET #a = :v', '{":v": {"S": "a"}}', '{"a": "a"}'),
       ue('SET a = :v', '{":v": {"S": "a"}, "v": {"S": "a"}}'),
       ue('SET #a = :v', '{":v": {"S": "a"}}', '{"#a": 1}'),
       ue('SET #a = :v', '{":v": {"S": "a"}}', '{"#a": ""}');
-- Names and values used by the condition count for the update too.
SELECT ue('SET #a = :v', '{":v": {"S": "a"}, ":w": {"S": "str"}}', '{"#a": "a", "#s": "s"}', '#s = :w');
-- Values are validated as DynamoDB does (dynalite's texts).
SELECT v, ue('SET a = :b', jsonb_build_object(':b', v::jsonb)) FROM (VALUES
  ('{"NULL": false}'), ('{"SS": []}'), ('{"NS": []}'), ('{"SS": ["a", "a"]}'), ('{"N": "b"}'),
  ('{"N": "1e126"}'), ('{"N": "123456789012345678901234567890123456789"}'), ('{"S": "a", "N": "1"}'), ('{}')) x(v);
-- Expression attributes need an expression.
SELECT ue(NULL, '{":v": {"S": "a"}}'), ue(NULL, NULL, '{"#a": "a"}'),
       ce(NULL, '{":v": {"S": "a"}}');
-- Runtime errors of an update (dynalite's texts).
SELECT u, uv(u, '{":v": {"S": "a"}, ":n": {"N": "1"}, ":ns": {"NS": ["1"]}, ":ss": {"SS": ["a"]}}') FROM (VALUES
  ('SET a = nope'), ('SET a = list_append(nope, l) ADD n :n'), ('SET a = s + :n'), ('SET a = l - :n'),
  ('SET a = list_append(s, l) ADD n :n'), ('ADD s :n'), ('ADD ss :ns'), ('DELETE ss :ns'), ('DELETE s :ss'),
  ('SET nope.a = :v'), ('SET nope[1] = :v'), ('SET s.a = :v'), ('SET l.a = :v'), ('SET m[0] = :v'),
  ('REMOVE nope.a'), ('REMOVE m[0]'), ('REMOVE l.a'), ('ADD nope.a :n'), ('DELETE nope[0] :ss'),
  ('SET k = :v'), ('REMOVE k'), ('ADD k :n')) x(u);
-- The item size limit applies to the updated item.
SELECT ue('SET big = :v', jsonb_build_object(':v', jsonb_build_object('S', repeat('x', 409600))));
-- return_values and return_values_on_condition_check_failure.
SELECT dynamo.update_item('Err', '{"k": {"S": "x"}}', return_values => 'SOME');
SELECT dynamo.update_item('Err', '{"k": {"S": "x"}}', return_values_on_condition_check_failure => 'ALL_NEW');
SELECT dynamo.put_item('Err', '{"k": {"S": "x"}}', 'UPDATED_NEW', 'attribute_exists(k)');
SELECT dynamo.delete_item('Err', '{"k": {"S": "x"}}', 'ALL_NEW', 'attribute_exists(k)');
-- Key and table errors come first, as in DynamoDB.
SELECT dynamo.update_item('Err', '{"k": {"N": "1"}}', 'SET a = :v');
SELECT dynamo.update_item('Nope', '{"k": {"S": "x"}}');
SELECT dynamo.update_item(NULL, '{"k": {"S": "x"}}');
SELECT dynamo.update_item('Err', NULL);
-- Only the updates above that succeeded wrote (a, Date).
SELECT item FROM dynamo."Err" ORDER BY pk;
DROP FUNCTION uv(text, jsonb, text);
DROP FUNCTION ue(text, jsonb, jsonb, text);
DROP FUNCTION ce(text, jsonb, jsonb);
SELECT dynamo.delete_table('Err') IS NOT NULL AS deleted;
