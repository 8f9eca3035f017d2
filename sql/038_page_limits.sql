-- 038_page_limits: where query() and scan() cut their 1 MB pages.
--
-- DynamoDB stops reading once the items read reach 1 MB = 1,048,576 bytes,
-- counted not as the item size of the 400 KB rule (dynamo.item_size) but as
-- the size of DynamoDB's internal serialisation: attribute names do not
-- count (1 byte each), values carry small length prefixes, the range key
-- is counted once per 3 KB chunk with 18 bytes of overhead:
--   page size = 2 + s + (1 + floor((1 + s) / 3072)) * (18 + range key size)
--   s = sum over the non-range-key attributes of 1 + stored value size
--   stored S = bytes + varint length (1 below 128, 2 below 16384, else 3),
--   stored N, B = size + 1, sets = member sizes + members + 1, ...
-- The item that reaches or crosses 1 MB is still returned, and the page then
-- has a LastEvaluatedKey even if no item follows.
--
-- Sources: the boundary tests of dynalite, recorded against DynamoDB
-- (architect/dynalite test/scan.js and test/query.js: "should return all if
-- just under limit ...", "should return one less than all if just over
-- limit ...", "should (not) return LastEvaluatedKey if just under/over limit
-- (for (number) range table)"), reproduced below item for item, and
-- dynalite's size model (architect/dynalite db/index.js, itemSize with
-- compress/addMetaSize), which fits every one of them at exactly 1,048,576
-- bytes.  Limit: AWS API
-- reference, Query/Scan "Limit" and docs.aws.amazon.com/amazondynamodb/latest/
-- developerguide/Query.Pagination.html ("If LastEvaluatedKey is not empty, it
-- does not necessarily mean that there is more data in the result set").
\set VERBOSITY terse

-- Summary of a page: counts, first and last item keys, LastEvaluatedKey.
CREATE FUNCTION pg_temp.page(r jsonb, VARIADIC attrs text[]) RETURNS text LANGUAGE sql AS $$
    SELECT 'Count ' || (r->>'Count') || ' ScannedCount ' || (r->>'ScannedCount')
           || ' | items ' || jsonb_array_length(r->'Items')
           || coalesce(' | ' || (SELECT string_agg(coalesce(r->'Items'->0->a->>'S', r->'Items'->0->a->>'N'), '/') FROM unnest(attrs) a)
                       || ' .. ' || (SELECT string_agg(coalesce(r->'Items'->-1->a->>'S', r->'Items'->-1->a->>'N'), '/') FROM unnest(attrs) a), '')
           || coalesce(' | LastEvaluatedKey ' || (r->'LastEvaluatedKey')::text, ' | no LastEvaluatedKey')
$$;

-- The page size model above for items of S and N values, written out in
-- SQL so that the boundary items below can be sized independently of the C
-- code (an N value's size is its item_size, the same in both rules).
CREATE FUNCTION pg_temp.psize(item jsonb, rk text DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    s bigint := 0;
    r bigint := 0;
    a text;
    v jsonb;
    n bigint;
BEGIN
    FOR a, v IN SELECT key, value FROM jsonb_each(item) LOOP
        IF v ? 'S' THEN
            n := octet_length(v->>'S');
        ELSE
            n := dynamo.item_size(jsonb_build_object('x', v)) - 1;
        END IF;
        IF a = rk THEN
            r := n;
        ELSIF v ? 'S' THEN
            s := s + 1 + n + CASE WHEN n < 128 THEN 1 WHEN n < 16384 THEN 2 ELSE 3 END;
        ELSE
            s := s + 1 + n + 1;
        END IF;
    END LOOP;
    RETURN 2 + s + (1 + (1 + s) / 3072) * (18 + r);
END
$$;

-- Page through a query or scan; returns the item counts of the pages, the
-- number of items and of distinct items, and whether the items equal the
-- one-shot result in order.  With rk (range key name; items of S and N
-- values only) it also checks every cut against the model: a page cut by
-- size reaches 1 MB only with its last item, a last page stays below.
CREATE FUNCTION pg_temp.walk(tbl text, expr text, vals jsonb, fwd boolean, lim int, rk text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    esk jsonb := NULL;
    seen jsonb := '[]';
    counts text[] := '{}';
    n int;
    total bigint;
    last bigint;
    whole jsonb;
BEGIN
    LOOP
        IF expr IS NULL THEN
            r := dynamo.scan(tbl, lim, esk);
        ELSE
            r := dynamo.query(tbl, expr, vals, NULL, fwd, lim, esk);
        END IF;
        n := jsonb_array_length(r->'Items');
        IF (r->>'Count')::int <> (r->>'ScannedCount')::int OR (r->>'Count')::int <> n THEN
            RAISE 'Count % ScannedCount % items %', r->'Count', r->'ScannedCount', n;
        END IF;
        IF rk IS NOT NULL AND n > 0 THEN
            SELECT sum(pg_temp.psize(i, rk)) INTO total FROM jsonb_array_elements(r->'Items') i;
            last := pg_temp.psize(r->'Items'->-1, rk);
            IF (CASE WHEN r ? 'LastEvaluatedKey' AND n IS DISTINCT FROM lim THEN total < 1048576 OR total - last >= 1048576
                     WHEN r ? 'LastEvaluatedKey' THEN total - last >= 1048576
                     ELSE total >= 1048576 END) THEN
                RAISE 'page of % items totals % (last item %), LastEvaluatedKey %', n, total, last, r ? 'LastEvaluatedKey';
            END IF;
        END IF;
        seen := seen || (r->'Items');
        counts := counts || n::text;
        esk := r->'LastEvaluatedKey';
        EXIT WHEN esk IS NULL;
    END LOOP;
    -- The whole result in one go, without the 1 MB cut, for comparison.
    IF expr IS NULL THEN
        EXECUTE format('SELECT coalesce(jsonb_agg(item ORDER BY pk%s), ''[]'') FROM dynamo.%I',
                       CASE WHEN EXISTS (SELECT FROM pg_attribute WHERE attrelid = format('dynamo.%I', tbl)::regclass
                                                                    AND attname = 'sk') THEN ', sk' ELSE '' END,
                       tbl) INTO whole;
    ELSE
        EXECUTE format('SELECT coalesce(jsonb_agg(item ORDER BY sk %s), ''[]'') FROM dynamo.%I WHERE pk = %L',
                       CASE WHEN fwd THEN 'ASC' ELSE 'DESC' END, tbl, vals->':h'->>'S') INTO whole;
    END IF;
    RETURN format('pages %s, items %s, distinct %s, same as the whole result: %s', array_to_string(counts, '+'),
                  jsonb_array_length(seen), (SELECT count(DISTINCT i) FROM jsonb_array_elements(seen) i),
                  seen = whole);
END
$$;

--
-- 1. DynamoDB's own boundaries (dynalite test/scan.js, measured on AWS).
--    dynalite assigns the sizes in scan order; here scan order is key order.
--

-- Hash table, 25 items: item 23 carries one of each scalar and set type.
-- With its b at 43366 characters the 24 items before item 24 total
-- 1,048,575 bytes, so item 24 is still read: all 25 (dynalite asserts the
-- counts only; item 24 then brings the page to 1 MB, hence the key).
SELECT dynamo.create_table('PgHash', 'a', 'S') IS NOT NULL AS created;
CREATE FUNCTION pg_temp.fill_hash(b23 int, name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(dynamo.put_item('PgHash', CASE
        WHEN i < 23 THEN jsonb_build_object('a', jsonb_build_object('S', lpad(i::text, 2, '0')),
                                            name, jsonb_build_object('S', repeat('b', 43411)))
        WHEN i = 23 THEN jsonb_build_object('a', '{"S": "23"}'::jsonb,
                                            CASE WHEN name = 'b' THEN 'b' ELSE 'bfasfdsfdsa' END, jsonb_build_object('S', repeat('b', b23)),
                                            CASE WHEN name = 'b' THEN 'c' ELSE 'cfadsfdsaafds' END, '{"N": "12.3456"}'::jsonb,
                                            CASE WHEN name = 'b' THEN 'd' ELSE 'dfasdfdafdsa' END, '{"B": "AQI="}'::jsonb,
                                            CASE WHEN name = 'b' THEN 'e' ELSE 'efdasfdasfd' END, '{"SS": ["a", "bc"]}'::jsonb,
                                            CASE WHEN name = 'b' THEN 'f' ELSE 'ffdsafsdfd' END, '{"NS": ["1.23", "12.3"]}'::jsonb,
                                            CASE WHEN name = 'b' THEN 'g' ELSE 'gfsdfdsaafds' END, '{"BS": ["AQI=", "Ag==", "AQ=="]}'::jsonb)
        ELSE jsonb_build_object('a', '{"S": "24"}'::jsonb, name, jsonb_build_object('S', repeat('b', 99)))
    END)) FROM generate_series(0, 24) i
$$;
SELECT pg_temp.fill_hash(43366, 'b');
SELECT pg_temp.page(dynamo.scan('PgHash'), 'a');
-- One byte more in item 23: the 24 items reach 1,048,576, the scan stops
-- after item 23 (ScannedCount 24) and item 24 comes on the next page.
SELECT pg_temp.fill_hash(43367, 'b');
SELECT pg_temp.page(dynamo.scan('PgHash'), 'a');
SELECT pg_temp.page(dynamo.scan('PgHash', NULL, '{"a": {"S": "23"}}'), 'a');
-- Attribute names do not count: 255-character names give the same cuts.
SELECT pg_temp.fill_hash(43366, repeat('b', 255));
SELECT pg_temp.page(dynamo.scan('PgHash'), 'a');
SELECT pg_temp.fill_hash(43367, repeat('b', 255));
SELECT pg_temp.page(dynamo.scan('PgHash'), 'a');
-- Whereas by item_size the first 24 items are far apart in the two cases.
SELECT sum(dynamo.item_size(item)) AS item_size_of_24 FROM (SELECT item FROM dynamo."PgHash" ORDER BY pk LIMIT 24) s;

-- Range table, 25 items each in its own partition: the same boundary with
-- the range key counted per 3 KB chunk instead of as an attribute.
SELECT dynamo.create_table('PgRange', 'a', 'S', 'b', 'S') IS NOT NULL AS created;
CREATE FUNCTION pg_temp.fill_range(z23 int, name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(dynamo.put_item('PgRange', CASE
        WHEN i < 23 THEN jsonb_build_object('a', jsonb_build_object('S', lpad(i::text, 2, '0')),
                                            'b', jsonb_build_object('S', lpad(i::text, 2, '0')),
                                            name, jsonb_build_object('S', repeat('b', 43380)))
        WHEN i = 23 THEN jsonb_build_object('a', '{"S": "23"}'::jsonb, 'b', '{"S": "23"}'::jsonb,
                                            'z', jsonb_build_object('S', repeat('b', z23)),
                                            'y', '{"N": "12.3456"}'::jsonb, 'x', '{"B": "AQI="}'::jsonb,
                                            'w', '{"SS": ["a", "bc"]}'::jsonb, 'v', '{"NS": ["1.23", "12.3"]}'::jsonb,
                                            'u', '{"BS": ["AQI=", "Ag==", "AQ=="]}'::jsonb)
        ELSE '{"a": {"S": "24"}, "b": {"S": "24"}, "z": {"S": "b"}}'::jsonb
    END)) FROM generate_series(0, 24) i
$$;
SELECT pg_temp.fill_range(43359, repeat('b', 255));
SELECT pg_temp.page(dynamo.scan('PgRange'), 'a', 'b');
SELECT pg_temp.fill_range(43360, 'z');
SELECT pg_temp.page(dynamo.scan('PgRange'), 'a', 'b');
-- 13 larger items with 7-character range keys: the first 12 total exactly
-- 1,048,576 bytes, and exactly 1 MB is already a full page.
SELECT count(dynamo.delete_item('PgRange', jsonb_build_object('a', pk, 'b', sk)))
  FROM (SELECT item->'a' AS pk, item->'b' AS sk FROM dynamo."PgRange") s;
SELECT count(dynamo.put_item('PgRange', jsonb_build_object(
           'a', jsonb_build_object('S', lpad(i::text, 2, '0')),
           'b', jsonb_build_object('S', lpad(i::text, 7, '0')),
           'z', jsonb_build_object('S', repeat('b', CASE i WHEN 11 THEN 86639 WHEN 12 THEN 1 ELSE 86647 END)))))
  FROM generate_series(0, 12) i;
SELECT pg_temp.page(dynamo.scan('PgRange'), 'a', 'b');

-- 25 items of one partition (10-character partition key): when the last
-- item of the table crosses 1 MB the page still has a LastEvaluatedKey (its
-- key) although nothing follows; one byte less and it has none.  The same
-- holds for query in both directions (the 25 items total the same).
SELECT count(dynamo.delete_item('PgRange', jsonb_build_object('a', pk, 'b', sk)))
  FROM (SELECT item->'a' AS pk, item->'b' AS sk FROM dynamo."PgRange") s;
SELECT count(dynamo.put_item('PgRange', jsonb_build_object(
           'a', '{"S": "AAAA123456"}'::jsonb, 'b', jsonb_build_object('S', lpad(i::text, 5, '0')),
           'c', '{"S": "abcde"}'::jsonb, 'e', jsonb_build_object('S', repeat('e', CASE i WHEN 24 THEN 41597 ELSE 41596 END)))))
  FROM generate_series(0, 24) i;
SELECT pg_temp.page(dynamo.scan('PgRange'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}', scan_index_forward => false), 'b');
SELECT pg_temp.page(dynamo.scan('PgRange', NULL, '{"a": {"S": "AAAA123456"}, "b": {"S": "00024"}}'), 'b');
SELECT count(dynamo.delete_item('PgRange', jsonb_build_object('a', pk, 'b', sk)))
  FROM (SELECT item->'a' AS pk, item->'b' AS sk FROM dynamo."PgRange") s;
SELECT count(dynamo.put_item('PgRange', jsonb_build_object(
           'a', '{"S": "AAAA123456"}'::jsonb, 'b', jsonb_build_object('S', lpad(i::text, 6, '0')),
           'c', '{"S": "abcde"}'::jsonb, repeat('e', 255), jsonb_build_object('S', repeat('e', 41582)))))
  FROM generate_series(0, 24) i;
SELECT pg_temp.page(dynamo.scan('PgRange'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}', scan_index_forward => false), 'b');

-- dynalite test/query.js makes the same measurements with Query (one
-- partition, 2-character range keys) and also asserts the key: 25 items of
-- 41645 characters total 1,048,575 bytes, no LastEvaluatedKey without limit
-- or with "limit" 26, but one with "limit" 25 ("Limit of 25 includes
-- LastEvaluatedKey"); one character more in item 24 and the page reaches
-- 1 MB with its last item, hence its key.
CREATE FUNCTION pg_temp.fill_query(name text, lens int[]) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(dynamo.delete_item('PgRange', jsonb_build_object('a', item->'a', 'b', item->'b'))) FROM dynamo."PgRange";
    SELECT count(dynamo.put_item('PgRange', jsonb_build_object(
               'a', '{"S": "AAAA123456"}'::jsonb, 'b', jsonb_build_object('S', lpad(i::text, 2, '0')),
               name, jsonb_build_object('S', repeat('e', coalesce(lens[i + 1], lens[1]))))))
      FROM generate_series(0, 24) i;
$$;
SELECT pg_temp.fill_query(repeat('e', 255), '{41645}');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}', "limit" => 26), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}', "limit" => 25), 'b');
SELECT pg_temp.fill_query('e', array_fill(41645, ARRAY[24]) || 41646);
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
-- "should return all if just under limit" / "one less than all if just over
-- limit": item 23 decides whether item 24 (44999 characters) is read; when
-- it is, it ends the page with a LastEvaluatedKey though nothing follows.
SELECT pg_temp.fill_query(repeat('e', 255), array_fill(43372, ARRAY[23]) || 43387 || 44999);
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.fill_query('e', array_fill(43372, ARRAY[23]) || 43388 || 44999);
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.page(dynamo.query('PgRange', 'a = :h', '{":h": {"S": "AAAA123456"}}',
                                 exclusive_start_key => '{"a": {"S": "AAAA123456"}, "b": {"S": "23"}}'), 'b');

-- The same with an N range key (values 00..24, so 1 or 2 bytes).
SELECT dynamo.create_table('PgRangeN', 'a', 'S', 'b', 'N') IS NOT NULL AS created;
SELECT count(dynamo.put_item('PgRangeN', jsonb_build_object(
           'a', '{"S": "AAAA123456"}'::jsonb, 'b', jsonb_build_object('N', lpad(i::text, 2, '0')),
           'c', '{"S": "abcde"}'::jsonb, 'e', jsonb_build_object('S', repeat('e', CASE i WHEN 24 THEN 41653 ELSE 41638 END)))))
  FROM generate_series(0, 24) i;
SELECT pg_temp.page(dynamo.scan('PgRangeN'), 'b');
SELECT pg_temp.page(dynamo.query('PgRangeN', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT count(dynamo.put_item('PgRangeN', jsonb_build_object(
           'a', '{"S": "AAAA123456"}'::jsonb, 'b', jsonb_build_object('N', lpad(i::text, 2, '0')),
           'c', '{"S": "abcde"}'::jsonb, repeat('e', 255), jsonb_build_object('S', repeat('e', CASE i WHEN 24 THEN 41652 ELSE 41638 END)))))
  FROM generate_series(0, 24) i;
SELECT pg_temp.page(dynamo.scan('PgRangeN'), 'b');
SELECT pg_temp.page(dynamo.query('PgRangeN', 'a = :h', '{":h": {"S": "AAAA123456"}}'), 'b');
SELECT pg_temp.page(dynamo.query('PgRangeN', 'a = :h', '{":h": {"S": "AAAA123456"}}', scan_index_forward => false), 'b');

--
-- 2. Pages that end just below, exactly at and just above 1,048,576 bytes,
--    for query forward and backward and for scan.  Partition "p" holds
--    r = 1..12: nine items of 110,000 characters, item 10 sized so that
--    items 1..10 total 1 MB + delta, and two small items 11 and 12.
--
SELECT dynamo.create_table('PgEdge', 'h', 'S', 'r', 'N') IS NOT NULL AS created;
CREATE FUNCTION pg_temp.edge_item(r int, len int) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('h', '{"S": "p"}'::jsonb, 'r', jsonb_build_object('N', r::text),
                              'v', jsonb_build_object('S', repeat('x', len)))
$$;
SELECT count(dynamo.put_item('PgEdge', pg_temp.edge_item(i, CASE WHEN i <= 9 THEN 110000 ELSE 10 END)))
  FROM generate_series(1, 12) i;
-- edge(delta): resize item 10 so that items 1..10 total 1,048,576 + delta
-- by the model, and return that total.
CREATE FUNCTION pg_temp.edge(delta int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    base bigint;
    len int;
BEGIN
    SELECT sum(pg_temp.psize(pg_temp.edge_item(i, 110000), 'r')) INTO base FROM generate_series(1, 9) i;
    SELECT l INTO STRICT len FROM generate_series(40000, 60000) l
     WHERE base + pg_temp.psize(pg_temp.edge_item(10, l), 'r') = 1048576 + delta;
    PERFORM dynamo.put_item('PgEdge', pg_temp.edge_item(10, len));
    RETURN base + pg_temp.psize(pg_temp.edge_item(10, len), 'r');
END
$$;
SELECT pg_temp.edge(-1) AS items_1_to_10;
-- Below 1 MB after item 10: item 11 is read too and brings the page over.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}'), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge'), 'r');
-- Backward over r <= 10 the same ten items total the same: the range ends
-- before 1 MB, so no LastEvaluatedKey (forward alike).
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}', scan_index_forward => false), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}'), 'r');
SELECT pg_temp.edge(0) AS items_1_to_10;
-- Exactly 1 MB: the page ends after item 10.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}'), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge'), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}', scan_index_forward => false), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}'), 'r');
-- ... and the next page of the range is empty, without LastEvaluatedKey.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}',
                                 scan_index_forward => false, exclusive_start_key => '{"h": {"S": "p"}, "r": {"N": "1"}}'), 'r');
SELECT pg_temp.edge(1) AS items_1_to_10;
-- Just above: item 10, which crosses 1 MB, is still part of the page.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}'), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge'), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h AND r <= :t', '{":h": {"S": "p"}, ":t": {"N": "10"}}', scan_index_forward => false), 'r');
-- The rest of the partition comes on the next page.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', exclusive_start_key => '{"h": {"S": "p"}, "r": {"N": "10"}}'), 'r');

--
-- 3. limit and the 1 MB cut: whichever is reached first ends the page, and
--    a page ended by either has a LastEvaluatedKey, even at the end of data.
--
SELECT pg_temp.edge(-1) AS items_1_to_10;
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 5), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 10), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 11), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 12), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge', 12), 'r');
-- limit reached on the last item: LastEvaluatedKey, then an empty page.
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 1,
                                 exclusive_start_key => '{"h": {"S": "p"}, "r": {"N": "11"}}'), 'r');
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 1,
                                 exclusive_start_key => '{"h": {"S": "p"}, "r": {"N": "12"}}'), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge', 2, '{"h": {"S": "p"}, "r": {"N": "10"}}'), 'r');
SELECT pg_temp.page(dynamo.scan('PgEdge', 3, '{"h": {"S": "p"}, "r": {"N": "10"}}'), 'r');
SELECT pg_temp.edge(0) AS items_1_to_10;
SELECT pg_temp.page(dynamo.query('PgEdge', 'h = :h', '{":h": {"S": "p"}}', "limit" => 10), 'r');

--
-- 4. Paging through with exclusive_start_key returns every item exactly
--    once, in order, with and without limit, both directions and scan.
--
SELECT count(dynamo.put_item('PgEdge', jsonb_build_object('h', jsonb_build_object('S', h), 'r', jsonb_build_object('N', i::text),
                                                          'v', jsonb_build_object('S', repeat(h, (i * 7919) % 150000)))))
  FROM unnest(ARRAY['q', 's']) h, generate_series(1, 40) i;
SELECT t, d, l, pg_temp.walk('PgEdge', CASE WHEN t = 'scan' THEN NULL ELSE 'h = :h' END, jsonb_build_object(':h', jsonb_build_object('S', t)), d, l, 'r')
  FROM (VALUES ('q'), ('s'), ('scan')) x(t), (VALUES (true), (false)) y(d), (VALUES (NULL::int), (3), (7)) z(l)
 WHERE t <> 'scan' OR d
 ORDER BY 1, 2, 3;
SELECT pg_temp.walk('PgHash', NULL, NULL, true, NULL), pg_temp.walk('PgRangeN', NULL, NULL, true, NULL);

SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['PgHash', 'PgRange', 'PgRangeN', 'PgEdge']) t;
