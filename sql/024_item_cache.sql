-- 024_item_cache: the per-backend item-table cache frees what it replaces.
-- One backend creates, writes, reads and drops 1,000 tables; the prepared
-- plans and cache memory it holds afterwards are the same as after 100.
\set VERBOSITY terse

-- What this backend's item cache holds: prepared statements naming a
-- cycle table (their CachedPlanSource contexts carry the SQL as ident) and
-- the bytes of the cache's memory contexts.
CREATE VIEW pg_temp.item_cache AS
SELECT count(*) FILTER (WHERE name = 'CachedPlanSource' AND ident LIKE '%dynamo.cache_cycle_%') AS plans,
       coalesce(sum(total_bytes) FILTER (WHERE name LIKE 'dynamo_streams item table%'), 0) AS bytes
  FROM pg_backend_memory_contexts;

-- A table that lives through all the cycles, in use before and after.
SELECT dynamo.create_table('cache_keep', 'id') IS NOT NULL AS created;
SELECT dynamo.put_item('cache_keep', '{"id": {"S": "before"}}');

-- Each cycle uses every prepared statement kind, in its own transaction.
CREATE PROCEDURE pg_temp.cache_cycles(first int, last int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN first..last LOOP
        PERFORM dynamo.create_table('cache_cycle_' || i, 'id');
        PERFORM dynamo.put_item('cache_cycle_' || i, '{"id": {"S": "a"}, "n": {"N": "1"}}');
        PERFORM dynamo.put_item('cache_cycle_' || i, '{"id": {"S": "a"}, "n": {"N": "2"}}', 'ALL_OLD');
        PERFORM dynamo.get_item('cache_cycle_' || i, '{"id": {"S": "a"}}');
        PERFORM dynamo.batch_write_item(pg_catalog.jsonb_build_object('cache_cycle_' || i,
            '[{"PutRequest": {"Item": {"id": {"S": "b"}}}}]'::jsonb));
        PERFORM dynamo.delete_item('cache_cycle_' || i, '{"id": {"S": "a"}}', 'ALL_OLD');
        PERFORM dynamo.delete_item('cache_cycle_' || i, '{"id": {"S": "b"}}');
        PERFORM dynamo.delete_table('cache_cycle_' || i);
        COMMIT;
    END LOOP;
END
$$;

CALL pg_temp.cache_cycles(1, 100);
SELECT plans, bytes FROM pg_temp.item_cache \gset after_100_
CALL pg_temp.cache_cycles(101, 1000);
SELECT :after_100_plans AS plans_after_100, plans AS plans_after_1000,
       bytes <= :after_100_bytes AS bytes_not_grown
  FROM pg_temp.item_cache;

-- A table dropped and re-created under the same name inside one
-- transaction: the entry is replaced (its old plans freed at the commit)
-- and the new table is written, not the old one.
BEGIN;
SELECT dynamo.create_table('cache_cycle_x', 'id') IS NOT NULL AS created;
SELECT dynamo.put_item('cache_cycle_x', '{"id": {"S": "old"}}');
SELECT dynamo.delete_table('cache_cycle_x') IS NOT NULL AS deleted;
SELECT dynamo.create_table('cache_cycle_x', 'k', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('cache_cycle_x', '{"k": {"N": "1"}}');
SELECT dynamo.scan('cache_cycle_x')->'Items' AS items;
COMMIT;
SELECT plans FROM pg_temp.item_cache;
-- Rolled back: the plans of the table that never was are freed too.
BEGIN;
SELECT dynamo.create_table('cache_cycle_y', 'id') IS NOT NULL AS created;
SELECT dynamo.put_item('cache_cycle_y', '{"id": {"S": "a"}}');
ROLLBACK;
SELECT dynamo.get_item('cache_cycle_y', '{"id": {"S": "a"}}');
SELECT dynamo.delete_table('cache_cycle_x') IS NOT NULL AS deleted;
SELECT plans FROM pg_temp.item_cache;

-- The table in use throughout still works.
SELECT dynamo.put_item('cache_keep', '{"id": {"S": "after"}}');
SELECT dynamo.scan('cache_keep')->'Count' AS count;
SELECT dynamo.delete_table('cache_keep') IS NOT NULL AS deleted;
