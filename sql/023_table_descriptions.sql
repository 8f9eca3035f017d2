-- 023_table_descriptions: TableId is a random version-4 UUID, and
-- describe_table / update_table / delete_table read a bounded number of
-- pages whatever the size of the table (ItemCount and TableSizeBytes come
-- from statistics and a block sample for tables above 128 pages).
\set VERBOSITY terse

-- TableId: a version-4 UUID (RFC 4122 section 4.4: version nibble 4, variant
-- bits 10), as DynamoDB's, e.g. "TableId": "a1b2c3d4-5678-4def-8abc-1234567890ab"
-- in the DescribeTable example of the AWS API reference.  It is stored at
-- creation, so it is the same in every description of the table.
SELECT dynamo.create_table('desc_id_a', 'id') IS NOT NULL AS created;
SELECT dynamo.create_table('desc_id_b', 'id') IS NOT NULL AS created;
SELECT d->>'TableId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS version_4,
       d->>'TableId' = (SELECT table_id::text FROM dynamo._tables WHERE table_name = 'desc_id_a') AS stored,
       d->>'TableId' = (dynamo.describe_table('desc_id_a')->'Table'->>'TableId') AS stable,
       d->>'TableId' = (dynamo.update_table('desc_id_a', true, 'KEYS_ONLY')->'TableDescription'->>'TableId') AS stable_update,
       d->>'TableId' <> (dynamo.describe_table('desc_id_b')->'Table'->>'TableId') AS distinct_tables
  FROM (SELECT dynamo.describe_table('desc_id_a')->'Table' AS d) s;
SELECT dynamo.describe_table('desc_id_a')->'Table'->>'TableId' AS id_a \gset
SELECT dynamo.delete_table('desc_id_a')->'TableDescription'->>'TableId' = :'id_a' AS stable_delete;
-- A table re-created under the same name gets a new TableId.
SELECT (SELECT table_id FROM dynamo._tables WHERE table_name = 'desc_id_b') AS old_id \gset
SELECT dynamo.delete_table('desc_id_b') IS NOT NULL AS deleted;
SELECT (dynamo.create_table('desc_id_b', 'id')->'TableDescription'->>'TableId')::uuid <> :'old_id' AS new_id;
SELECT dynamo.delete_table('desc_id_b') IS NOT NULL AS deleted;

-- Pages a statement reads (shared buffers hit or read), counted by EXPLAIN
-- ANALYZE: its buffer counts include the statements the functions run.
CREATE FUNCTION pg_temp.pages_read(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    p jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO p;
    RETURN (p->0->'Plan'->>'Shared Hit Blocks')::bigint + (p->0->'Plan'->>'Shared Read Blocks')::bigint;
END
$$;

-- A table of 20,000 items of one size (about 1,000 pages).
SELECT dynamo.create_table('desc_big', 'id') IS NOT NULL AS created;
-- (No autovacuum: the test decides when the statistics are refreshed.)
ALTER TABLE dynamo.desc_big SET (autovacuum_enabled = false);
INSERT INTO dynamo.desc_big (pk, item)
SELECT k, jsonb_build_object('id', jsonb_build_object('S', k), 'pad', jsonb_build_object('S', repeat('x', 300)))
  FROM (SELECT lpad(i::text, 6, '0') AS k FROM generate_series(1, 20000) i) s;
ANALYZE dynamo.desc_big;
SELECT pg_relation_size('dynamo.desc_big') / current_setting('block_size')::int AS pages \gset
SELECT :pages > 900 AS big;
-- Every item has the same size, so the sample's mean is exact and, after
-- ANALYZE, so are the figures.
SELECT dynamo.item_size(item) AS item_size FROM dynamo.desc_big LIMIT 1 \gset
SELECT d->'ItemCount' AS item_count, (d->>'TableSizeBytes')::bigint = 20000 * :item_size AS size_exact
  FROM (SELECT dynamo.describe_table('desc_big')->'Table' AS d) s;
-- describe_table and update_table read a few hundred pages at most (128
-- sampled and the catalogs), not the table's ~1,000 pages.
SELECT pg_temp.pages_read($$SELECT dynamo.describe_table('desc_big')$$) < :pages / 3 AS describe_bounded;
SELECT pg_temp.pages_read($$SELECT dynamo.update_table('desc_big', true, 'NEW_IMAGE')$$) < :pages / 3 AS update_bounded;
-- The figures lag behind writes until the statistics are refreshed
-- (autovacuum, or ANALYZE), as DynamoDB's lag up to about six hours.
DELETE FROM dynamo.desc_big WHERE pk > '010000';
SELECT d->'ItemCount' AS stale_item_count
  FROM (SELECT dynamo.describe_table('desc_big')->'Table' AS d) s;
VACUUM ANALYZE dynamo.desc_big;
SELECT d->'ItemCount' AS item_count, (d->>'TableSizeBytes')::bigint = 10000 * :item_size AS size_exact
  FROM (SELECT dynamo.describe_table('desc_big')->'Table' AS d) s;
-- delete_table reports the same figures without reading the table: it
-- reads about as many pages as the deletion of an empty table (DROP TABLE
-- itself reads a few hundred catalog pages).
SELECT dynamo.create_table('desc_empty1', 'id') IS NOT NULL AS created;
SELECT dynamo.create_table('desc_empty2', 'id') IS NOT NULL AS created;
SELECT pg_temp.pages_read($$SELECT dynamo.delete_table('desc_empty1')$$) IS NOT NULL AS warmed_up;
SELECT pg_temp.pages_read($$SELECT dynamo.delete_table('desc_empty2')$$) AS empty_pages \gset
SELECT pg_temp.pages_read($$SELECT dynamo.delete_table('desc_big')$$) - :empty_pages < :pages / 3 AS delete_bounded;

-- Before its first VACUUM or ANALYZE a large table's ItemCount is
-- estimated from the sample as well (here within 15%).
SELECT dynamo.create_table('desc_fresh', 'id') IS NOT NULL AS created;
INSERT INTO dynamo.desc_fresh (pk, item)
SELECT k, jsonb_build_object('id', jsonb_build_object('S', k), 'pad', jsonb_build_object('S', repeat('y', 300)))
  FROM (SELECT lpad(i::text, 6, '0') AS k FROM generate_series(1, 20000) i) s;
SELECT abs((d->>'ItemCount')::bigint - 20000) < 3000 AS count_close,
       abs((d->>'TableSizeBytes')::numeric / (d->>'ItemCount')::bigint - :item_size) < 1 AS mean_size_exact
  FROM (SELECT dynamo.describe_table('desc_fresh')->'Table' AS d) s;
SELECT dynamo.delete_table('desc_fresh') IS NOT NULL AS deleted;

-- A table of at most 128 pages is counted exactly, at once.
SELECT dynamo.create_table('desc_small', 'id') IS NOT NULL AS created;
SELECT count(dynamo.put_item('desc_small', jsonb_build_object('id', jsonb_build_object('S', i::text))))
  FROM generate_series(1, 500) i;
SELECT d->'ItemCount' AS item_count, d->'TableSizeBytes' AS size
  FROM (SELECT dynamo.describe_table('desc_small')->'Table' AS d) s;
SELECT sum(dynamo.item_size(item)) AS exact_size FROM dynamo.desc_small;
SELECT dynamo.delete_table('desc_small')->'TableDescription'->'ItemCount' AS deleted_item_count;
