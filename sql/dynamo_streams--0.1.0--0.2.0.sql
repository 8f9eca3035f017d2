-- dynamo_streams upgrade 0.1.0 -> 0.2.0.
--
-- Every change to installed objects between the releases, in the order
-- the install script (sql/install/) makes them.  test/t/003_upgrade.pl
-- checks that an upgraded database has exactly the objects of a fresh
-- 0.2.0 install and keeps its items, catalog rows and streams.

\echo Use "ALTER EXTENSION dynamo_streams UPDATE TO '0.2.0'" to load this file. \quit

-- Cheap table descriptions and random TableIds (issue 6, items 8 and 12).
-- TableId becomes a random version-4 UUID stored in the catalog (existing
-- tables get a new one here); ItemCount and TableSizeBytes no longer read
-- the whole table (see _table_size).
-- _tables is a user catalog table, which ALTER TABLE may not rewrite: add
-- the column empty, fill it, then set the default and NOT NULL (no rewrite).
ALTER TABLE @extschema@._tables ADD COLUMN table_id uuid;
UPDATE @extschema@._tables SET table_id = pg_catalog.gen_random_uuid();
ALTER TABLE @extschema@._tables
    ALTER COLUMN table_id SET DEFAULT pg_catalog.gen_random_uuid(),
    ALTER COLUMN table_id SET NOT NULL;

-- The TableId: the random (version 4) UUID stored at creation.
CREATE OR REPLACE FUNCTION @extschema@._table_id(t @extschema@._tables)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.table_id::text
$$;

-- ItemCount and TableSizeBytes of item table relid, read from at most 128
-- pages (1 MB at the default block size) whatever the table's size.  A table
-- that fits in 128 pages is counted exactly.  For a larger one, ItemCount is
-- PostgreSQL's row count statistic (pg_class.reltuples, refreshed by VACUUM,
-- ANALYZE and autovacuum) and TableSizeBytes is ItemCount times the mean
-- item size of a block sample of about 128 pages (TABLESAMPLE SYSTEM with a
-- fixed seed, so an unchanged table reports the same figure every time).
-- Before the first VACUUM or ANALYZE the sample estimates ItemCount too.
-- DynamoDB itself refreshes both figures only about every six hours.
CREATE FUNCTION @extschema@._table_size(relid pg_catalog.regclass, OUT item_count bigint, OUT size_bytes bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sample_pages constant int := 128;
    pages bigint := pg_catalog.pg_relation_size(relid) OPERATOR(pg_catalog./)
                    pg_catalog.current_setting('block_size')::int;
    percent float8 := 100;
    n bigint;
    size numeric;
    stats_pages int;
    stats_tuples float4;
BEGIN
    IF pages OPERATOR(pg_catalog.>) sample_pages THEN
        percent := 100.0 OPERATOR(pg_catalog.*) sample_pages OPERATOR(pg_catalog./) pages;
    END IF;
    -- Stored items are normalised, so their size needs no validation; an
    -- item written around the guard trigger must not make describe_table
    -- (or delete_table) fail.
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*), COALESCE(pg_catalog.sum(@extschema@._stored_item_size(item)), 0) FROM %s%s',
                              relid, CASE WHEN percent OPERATOR(pg_catalog.<) 100
                                          THEN pg_catalog.format(' TABLESAMPLE SYSTEM (%s) REPEATABLE (0)', percent) END)
        INTO n, size;
    IF percent OPERATOR(pg_catalog.=) 100 THEN
        item_count := n;
        size_bytes := size;
        RETURN;
    END IF;
    SELECT c.relpages, c.reltuples INTO stats_pages, stats_tuples
      FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relid;
    IF stats_pages OPERATOR(pg_catalog.>) 0 AND stats_tuples OPERATOR(pg_catalog.>=) 0 THEN
        item_count := pg_catalog.round(stats_tuples);
    ELSE
        item_count := pg_catalog.round(n OPERATOR(pg_catalog.*) 100 OPERATOR(pg_catalog./) percent);
    END IF;
    size_bytes := CASE WHEN n OPERATOR(pg_catalog.=) 0 THEN 0
                       ELSE pg_catalog.round(item_count OPERATOR(pg_catalog.*) size OPERATOR(pg_catalog./) n) END;
END
$$;

-- The TableDescription object of DescribeTable/CreateTable/DeleteTable.
CREATE OR REPLACE FUNCTION @extschema@._table_description(t @extschema@._tables, status text DEFAULT 'ACTIVE')
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
    size bigint;
    created numeric := pg_catalog.round(EXTRACT(epoch FROM t.created_at), 3);
    d jsonb;
BEGIN
    SELECT z.item_count, z.size_bytes INTO n, size FROM @extschema@._table_size(t.relid) z;
    d := pg_catalog.jsonb_build_object(
        'AttributeDefinitions', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'AttributeType', t.hash_key_type::text))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'AttributeType', t.range_key_type::text)) END,
        'TableName', t.table_name,
        'KeySchema', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'KeyType', 'HASH'))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'KeyType', 'RANGE')) END,
        'TableStatus', status,
        'CreationDateTime', created,
        'ProvisionedThroughput', '{"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}'::jsonb,
        'TableSizeBytes', size,
        'ItemCount', n,
        'TableArn', @extschema@._table_arn(t.table_name),
        'TableId', @extschema@._table_id(t),
        'BillingModeSummary', pg_catalog.jsonb_build_object('BillingMode', 'PAY_PER_REQUEST',
                                                            'LastUpdateToPayPerRequestDateTime', created),
        'DeletionProtectionEnabled', false);
    IF t.stream_label IS NOT NULL THEN
        d := d OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'StreamSpecification', CASE WHEN t.stream_enabled
                THEN pg_catalog.jsonb_build_object('StreamEnabled', true, 'StreamViewType', t.stream_view_type)
                ELSE '{"StreamEnabled": false}'::jsonb END,
            'LatestStreamLabel', t.stream_label,
            'LatestStreamArn', @extschema@._table_arn(t.table_name) OPERATOR(pg_catalog.||) '/stream/'
                OPERATOR(pg_catalog.||) t.stream_label);
    END IF;
    RETURN d;
END
$$;
