-- 020_tables: item table lifecycle (create, describe, update, list, delete)
-- and every rejected table argument.
\set VERBOSITY terse
-- Mask what changes from run to run: times, TableId, stream label and ARN.
CREATE FUNCTION pg_temp.mask(d jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT (d #- '{CreationDateTime}' #- '{TableId}'
              #- '{BillingModeSummary,LastUpdateToPayPerRequestDateTime}'
              #- '{LatestStreamLabel}' #- '{LatestStreamArn}')
           || CASE WHEN d ? 'LatestStreamLabel'
                   THEN '{"LatestStreamLabel": "<label>", "LatestStreamArn": "<arn>"}'::jsonb
                   ELSE '{}' END
$$;

-- A table with a simple primary key (hash key of type S, the default).
SELECT jsonb_pretty(pg_temp.mask(dynamo.create_table('Users', 'UserId') -> 'TableDescription'));
-- It is an ordinary relation dynamo."Users": pk text COLLATE "C", item jsonb.
SELECT a.attname, format_type(a.atttypid, a.atttypmod), c.collname, a.attnotnull
  FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation AND a.attcollation <> 0
 WHERE a.attrelid = 'dynamo."Users"'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT relreplident FROM pg_class WHERE oid = 'dynamo."Users"'::regclass;
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dynamo."Users"'::regclass;
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'dynamo."Users"'::regclass;
SELECT table_name, relid, kind, hash_key, hash_key_type, range_key, range_key_type,
       stream_enabled, stream_view_type, stream_label
  FROM dynamo._tables WHERE table_name = 'Users';

-- Composite key (N hash, B range) with a stream.
SELECT jsonb_pretty(pg_temp.mask(dynamo.create_table('Events.v-1', 'Device', 'N', 'At', 'B',
                                                     stream_view_type => 'NEW_AND_OLD_IMAGES') -> 'TableDescription'));
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a WHERE a.attrelid = 'dynamo."Events.v-1"'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dynamo."Events.v-1"'::regclass;
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'dynamo."Events.v-1"'::regclass;

-- describe_table: the same description under "Table".  The volatile fields
-- have the right shape and are stable between calls.
SELECT jsonb_pretty(pg_temp.mask(dynamo.describe_table('Events.v-1') -> 'Table'));
SELECT d->>'TableId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AS table_id_ok,
       jsonb_typeof(d->'CreationDateTime') AS creation_type,
       (d->>'CreationDateTime')::numeric BETWEEN extract(epoch FROM now()) - 60 AND extract(epoch FROM now()) + 1 AS creation_now,
       d->>'LatestStreamLabel' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$' AS label_ok,
       d->>'LatestStreamArn' = 'arn:aws:dynamodb:us-east-1:000000000000:table/Events.v-1/stream/' || (d->>'LatestStreamLabel') AS arn_ok,
       d->>'TableId' = dynamo.describe_table('Events.v-1')->'Table'->>'TableId' AS id_stable,
       d->>'LatestStreamLabel' = (SELECT stream_label FROM dynamo._tables WHERE table_name = 'Events.v-1') AS label_stored
  FROM (SELECT dynamo.describe_table('Events.v-1')->'Table' AS d) s;
-- Region and account come from the settings.
SET dynamo_streams.region = 'eu-west-2';
SET dynamo_streams.account_id = '123456789012';
SELECT dynamo.describe_table('Users')->'Table'->>'TableArn';
RESET dynamo_streams.region;
RESET dynamo_streams.account_id;

-- ItemCount and TableSizeBytes are exact for a table of up to 128 pages (023).
SELECT dynamo.put_item('Users', '{"UserId": {"S": "u1"}, "shirt-color": {"S": "R"}}');
SELECT dynamo.put_item('Users', '{"UserId": {"S": "u2"}}');
SELECT d->'ItemCount' AS item_count, d->'TableSizeBytes' AS size
  FROM (SELECT dynamo.describe_table('Users')->'Table' AS d) s;

-- update_table: enable a stream (new label), disable it, enable again (a
-- newer label; the old view type is not reused).
SELECT pg_temp.mask(dynamo.update_table('Users', true, 'KEYS_ONLY')->'TableDescription') -> 'StreamSpecification';
SELECT stream_label AS first_label FROM dynamo._tables WHERE table_name = 'Users' \gset
SELECT dynamo.update_table('Users', false)->'TableDescription'->'StreamSpecification';
SELECT dynamo.describe_table('Users')->'Table'->>'LatestStreamLabel' = :'first_label' AS label_kept;
SELECT dynamo.update_table('Users', true, 'NEW_IMAGE')->'TableDescription'->'StreamSpecification';
SELECT stream_enabled, stream_view_type, stream_label > :'first_label' AS newer_label
  FROM dynamo._tables WHERE table_name = 'Users';
-- AWS's rejections.
SELECT dynamo.update_table('Users', true, 'NEW_IMAGE');
SELECT dynamo.update_table('Users', true, 'KEYS_ONLY');
SELECT dynamo.update_table('Users', false, 'KEYS_ONLY');
SELECT dynamo.update_table('Users', NULL);
SELECT dynamo.update_table('Users', true, 'ALL');
SELECT dynamo.update_table('Users', false)->'TableDescription'->'StreamSpecification';
SELECT dynamo.update_table('Users', false);
SELECT dynamo.update_table('Users', true);
SELECT dynamo.update_table('Nope', true, 'KEYS_ONLY');
SELECT stream_enabled, stream_view_type FROM dynamo._tables WHERE table_name = 'Users';

-- list_tables: byte order, pages, LastEvaluatedTableName when more follow.
SELECT dynamo.create_table(n, 'k') IS NOT NULL
  FROM unnest(ARRAY['lt_b', 'lt_B', 'lt_a', 'lt_-', 'lt_Z9']) n;
SELECT jsonb_path_query_array(dynamo.list_tables(), '$.TableNames[*] ? (@ starts with "lt_")');
SELECT dynamo.list_tables('lt_', 2);
SELECT dynamo.list_tables('lt_B', 2);
SELECT dynamo.list_tables('lt_a', 2);
SELECT dynamo.list_tables('lt_b', 100);
SELECT dynamo.list_tables(NULL, 0);
SELECT dynamo.list_tables(NULL, 101);
SELECT dynamo.list_tables('x', 10);

-- create_table rejections.
SELECT dynamo.create_table('Users', 'UserId');
SELECT dynamo.create_table('_tables', 'k');
SELECT dynamo.create_table(NULL, 'k');
SELECT dynamo.create_table('ab', 'k');
SELECT dynamo.create_table('bad name', 'k');
SELECT dynamo.create_table('bad/name', 'k');
SELECT dynamo.create_table(repeat('x', 64), 'k');
SELECT dynamo.create_table(repeat('x', 256), 'k');
SELECT dynamo.create_table('NoKey', NULL);
SELECT dynamo.create_table('NoKey', '');
SELECT dynamo.create_table('NoKey', repeat('k', 256));
SELECT dynamo.create_table('NoKey', 'k', 'X');
SELECT dynamo.create_table('NoKey', 'k', 'BOOL');
SELECT dynamo.create_table('NoKey', 'k', 'S', '', 'S');
SELECT dynamo.create_table('NoKey', 'k', 'S', 'r', 'SS');
SELECT dynamo.create_table('NoKey', 'k', 'S', 'k', 'N');
SELECT dynamo.create_table('NoKey', 'k', stream_view_type => 'ALL');
SELECT count(*) FROM dynamo._tables WHERE table_name = 'NoKey';
-- The longest allowed name (63 characters) and a 255-byte key name work.
SELECT dynamo.create_table(repeat('L', 63), repeat('k', 255))->'TableDescription'->'KeySchema'->0->>'KeyType';

-- delete_table: TableStatus DELETING, relation and catalog row gone.
SELECT d->>'TableStatus', d->>'TableName', d->'ItemCount'
  FROM (SELECT dynamo.delete_table('Users')->'TableDescription' AS d) s;
SELECT to_regclass('dynamo."Users"'), count(*) FROM dynamo._tables WHERE table_name = 'Users';
SELECT dynamo.describe_table('Users');
SELECT dynamo.delete_table('Users');
SELECT dynamo.put_item('Users', '{"UserId": {"S": "u1"}}');
SELECT dynamo.describe_table('x');
-- The name can be used again.
SELECT dynamo.create_table('Users', 'Other', 'N')->'TableDescription'->'AttributeDefinitions';
SELECT dynamo.put_item('Users', '{"Other": {"N": "1"}}');
SELECT dynamo.get_item('Users', '{"Other": {"N": "1.0"}}');

-- A table dropped with plain DDL loses its catalog row as well.
SELECT dynamo.create_table('Dropped', 'k') IS NOT NULL AS created;
DROP TABLE dynamo."Dropped";
SELECT count(*) FROM dynamo._tables WHERE table_name = 'Dropped';
SELECT dynamo.get_item('Dropped', '{"k": {"S": "x"}}');
SELECT dynamo.create_table('Dropped', 'k', 'N') -> 'TableDescription' -> 'AttributeDefinitions';
BEGIN;
DROP TABLE dynamo."Dropped";
ROLLBACK;
SELECT dynamo.describe_table('Dropped') -> 'Table' ->> 'TableStatus';
-- Other drops are not affected, also for roles without rights on the catalog.
CREATE ROLE dynamo_tables_dropper;
SET ROLE dynamo_tables_dropper;
CREATE TEMP TABLE unrelated (x int);
DROP TABLE unrelated;
RESET ROLE;
DROP ROLE dynamo_tables_dropper;

SELECT count(*) FROM (SELECT dynamo.delete_table(table_name) FROM dynamo._tables
                       WHERE table_name IN ('Users', 'Events.v-1', 'Dropped', 'lt_b', 'lt_B', 'lt_a', 'lt_-', 'lt_Z9')
                          OR table_name = repeat('L', 63)) s;
