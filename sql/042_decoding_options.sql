-- 042_decoding_options: output plugin options (format, region, account-id,
-- tables, include-*), TTL deletes (replication origin), TRUNCATE, bad options.
\set VERBOSITY terse
-- peek without consuming, masked
CREATE FUNCTION ds_peek_masked(slot text, VARIADIC opts text[] DEFAULT '{}') RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT ds_mask(data) FROM pg_logical_slot_peek_changes(slot, NULL, NULL, VARIADIC opts)
$$;
SELECT now() AS t0 \gset
SELECT 'slot' FROM pg_create_logical_replication_slot('dec042', 'dynamo_streams');
SELECT dynamo.create_table('Opt', 'id', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('Other', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL;

-- format=streams: the GetRecords record (no eventSourceARN)
SELECT dynamo.put_item('Opt', '{"id":{"S":"a"},"v":{"N":"1"}}') IS NOT NULL;
SELECT * FROM ds_take('dec042', 'format', 'streams');

-- TTL deletes: transactions of the replication origin dynamo_streams_ttl
-- carry userIdentity on their REMOVE records (and only there)
SELECT dynamo.put_item('Opt', '{"id":{"S":"b"}}') IS NOT NULL;
SELECT pg_replication_origin_session_setup('dynamo_streams_ttl');
SELECT dynamo.delete_item('Opt', '{"id":{"S":"a"}}') IS NOT NULL;
SELECT dynamo.put_item('Opt', '{"id":{"S":"c"}}') IS NOT NULL;
SELECT pg_replication_origin_session_reset();
SELECT dynamo.delete_item('Opt', '{"id":{"S":"b"}}') IS NOT NULL;
SELECT * FROM ds_peek_masked('dec042', 'format', 'streams');
SELECT * FROM ds_take('dec042');

-- region and account: fixed when the stream was enabled (dynamo._tables);
-- the region/account-id options and the reading session's settings only
-- stand in for changes written before 0.2.0 stored them
-- (048_stream_identity)
SELECT dynamo.put_item('Opt', '{"id":{"S":"r"}}') IS NOT NULL;
SELECT * FROM ds_take('dec042', 'region', 'eu-west-2', 'account-id', '123456789012');
SET dynamo_streams.region = 'ap-south-1';
SET dynamo_streams.account_id = '999999999999';
SELECT dynamo.put_item('Opt', '{"id":{"S":"s"}}') IS NOT NULL;
SELECT * FROM ds_take('dec042');
RESET dynamo_streams.region;
RESET dynamo_streams.account_id;

-- the tables filter
SELECT dynamo.put_item('Opt', '{"id":{"S":"f1"}}') IS NOT NULL;
SELECT dynamo.put_item('Other', '{"id":{"S":"f2"}}') IS NOT NULL;
SELECT * FROM ds_take('dec042', 'tables', ' Other , Other ');
SELECT dynamo.put_item('Opt', '{"id":{"S":"f3"}}') IS NOT NULL;
SELECT * FROM ds_take('dec042', 'tables', 'Other');

-- transaction metadata: include-xids, include-lsn, include-timestamp, and
-- BEGIN/COMMIT rows with include-transaction (only for transactions with
-- records)
BEGIN;
SELECT dynamo.put_item('Opt', '{"id":{"S":"m1"}}') IS NOT NULL;
SELECT dynamo.put_item('Other', '{"id":{"S":"m2"}}') IS NOT NULL;
COMMIT;
CREATE TABLE plain042 (a int);
INSERT INTO plain042 VALUES (1);
SELECT regexp_replace(regexp_replace(regexp_replace(x,
         '"xid":[0-9]+', '"xid":<xid>', 'g'),
         '"[0-9A-F]+/[0-9A-F]+"', '"<lsn>"', 'g'),
         '"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"', '"<time>"', 'g')
  FROM ds_take('dec042', 'include-xids', 'true', 'include-lsn', 'on', 'include-timestamp', '1',
                'include-transaction', 'yes') x;
-- the metadata agrees with the record: same commit LSN in SequenceNumber
SELECT count(*) AS records,
       bool_and(substr(j->'dynamodb'->>'SequenceNumber', 4, 20)::numeric =
                (j->'pg'->>'commitLsn')::pg_lsn - '0/0'::pg_lsn) AS seq_has_commit_lsn,
       bool_and((j->'pg'->>'lsn')::pg_lsn < (j->'pg'->>'commitLsn')::pg_lsn) AS lsn_before_commit,
       count(DISTINCT j->'pg'->>'xid') AS xids
  FROM (SELECT data::jsonb j FROM ds_seen WHERE data LIKE '%"eventID"%' ORDER BY n DESC LIMIT 2) r;

-- TRUNCATE emits nothing; tables without a stream emit nothing
SELECT dynamo.put_item('Opt', '{"id":{"S":"t"}}') IS NOT NULL;
TRUNCATE dynamo."Opt";
INSERT INTO plain042 VALUES (2);
UPDATE plain042 SET a = 3;
SELECT * FROM ds_take('dec042');

-- bad options
SELECT * FROM ds_take('dec042', 'format', 'xml');
SELECT * FROM ds_take('dec042', 'include-noop', 'maybe');
SELECT * FROM ds_take('dec042', 'region', 'Mars 1');
SELECT * FROM ds_take('dec042', 'account-id', '12');
SELECT * FROM ds_take('dec042', 'tables', '');
SELECT * FROM ds_take('dec042', 'write-in-chunks', '1');

SELECT * FROM ds_check('dec042', :'t0');
SELECT 'dropped' FROM pg_drop_replication_slot('dec042');
SELECT dynamo.delete_table('Opt') IS NOT NULL, dynamo.delete_table('Other') IS NOT NULL;
DROP TABLE plain042;
DROP FUNCTION ds_peek_masked(text, text[]);
