-- 032_scan: scan() in key order with limit and pagination.
\set VERBOSITY terse
SELECT dynamo.create_table('Scan2', 'h', 'S', 'r', 'N') IS NOT NULL AS created;
SELECT dynamo.create_table('Scan1', 'id', 'N') IS NOT NULL AS created;
-- An empty table.
SELECT dynamo.scan('Scan2');
SELECT dynamo.scan('Scan2', 5);
-- 3 partitions x 4 sort keys, and 10 simple keys.
SELECT count(dynamo.put_item('Scan2', jsonb_build_object('h', jsonb_build_object('S', h), 'r', jsonb_build_object('N', r::text))))
  FROM unnest(ARRAY['b', 'a', 'é']) h, generate_series(-2, 1) r;
SELECT count(dynamo.put_item('Scan1', jsonb_build_object('id', jsonb_build_object('N', (i * 1.5)::text))))
  FROM generate_series(-5, 4) i;

-- The whole table: (pk, sk) order, S by bytes, N numerically.
SELECT jsonb_path_query_array(s, '$.Items[*].h.S') AS h, jsonb_path_query_array(s, '$.Items[*].r.N') AS r,
       s->'Count' AS count, s->'ScannedCount' AS scanned, s ? 'LastEvaluatedKey' AS has_lek
  FROM (SELECT dynamo.scan('Scan2') AS s) x;
SELECT jsonb_path_query_array(s, '$.Items[*].id.N') AS id, s ? 'LastEvaluatedKey' AS has_lek
  FROM (SELECT dynamo.scan('Scan1') AS s) x;

-- Pages: LastEvaluatedKey is the key of the last item of a full page, even
-- when no items follow; the next page starts right after it.
SELECT dynamo.scan('Scan2', 5);
SELECT dynamo.scan('Scan2', 5, '{"h": {"S": "a"}, "r": {"N": "1"}}');
SELECT dynamo.scan('Scan2', 2, '{"h": {"S": "é"}, "r": {"N": "-1"}}');
SELECT dynamo.scan('Scan2', 2, '{"h": {"S": "é"}, "r": {"N": "1"}}');
SELECT dynamo.scan('Scan1', 3, '{"id": {"N": "1.5"}}');
-- A start key need not exist.
SELECT dynamo.scan('Scan1', 2, '{"id": {"N": "-1"}}');

-- Pagination visits every item exactly once for every page size.
CREATE FUNCTION pg_temp.scan_all(tbl text, page int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    esk jsonb := NULL;
    seen jsonb := '[]';
    pages int := 0;
BEGIN
    LOOP
        r := dynamo.scan(tbl, page, esk);
        seen := seen || (r->'Items');
        pages := pages + 1;
        esk := r->'LastEvaluatedKey';
        EXIT WHEN esk IS NULL;
    END LOOP;
    RETURN jsonb_build_object('items', seen, 'pages', pages);
END
$$;
SELECT t, page, a->'pages' AS pages, a->'items' = dynamo.scan(t)->'Items' AS same_items,
       jsonb_array_length(a->'items') AS n,
       (SELECT count(DISTINCT i) FROM jsonb_array_elements(a->'items') i) AS distinct_n
  FROM unnest(ARRAY['Scan1', 'Scan2']) t, unnest(ARRAY[1, 3, 5, 12, 100]) page,
       LATERAL pg_temp.scan_all(t, page) a
 ORDER BY 1, 2;

-- Without a limit a page ends once its items reach 1 MB as DynamoDB counts
-- them (038_page_limits has the exact boundaries), with a LastEvaluatedKey.
SELECT dynamo.create_table('ScanBig', 'k', 'N') IS NOT NULL AS created;
SELECT count(dynamo.put_item('ScanBig', jsonb_build_object('k', jsonb_build_object('N', i::text),
                                                           'v', jsonb_build_object('S', repeat('x', 350000)))))
  FROM generate_series(1, 4) i;
SELECT s->'Count' AS count, s->'LastEvaluatedKey' AS lek
  FROM (SELECT dynamo.scan('ScanBig') AS s) x;
SELECT s->'Count' AS count, s->'LastEvaluatedKey' AS lek
  FROM (SELECT dynamo.scan('ScanBig', NULL, '{"k": {"N": "3"}}') AS s) x;
SELECT s->'Count' AS count, s->'LastEvaluatedKey' AS lek
  FROM (SELECT dynamo.query('ScanBig', 'k = :k', '{":k": {"N": "2"}}') AS s) x;

-- Bad arguments.
SELECT dynamo.scan('Scan1', 0);
SELECT dynamo.scan('Scan1', -1);
SELECT dynamo.scan('Scan1', 1, '{"id": {"S": "1"}}');
SELECT dynamo.scan('Scan1', 1, '{"other": {"N": "1"}}');
SELECT dynamo.scan('Scan2', 1, '{"h": {"S": "a"}}');
SELECT dynamo.scan('Scan2', 1, '{"h": {"S": "a"}, "r": {"N": "1"}, "x": {"N": "1"}}');
SELECT dynamo.scan('Nope');
SELECT dynamo.scan(NULL);

SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['Scan1', 'Scan2', 'ScanBig']) t;
