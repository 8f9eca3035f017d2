-- 047_sequence_numbers: the SequenceNumber format (docs/output-plugin.md,
-- "Sequence numbers"): 40 digits, epoch (3) + commit LSN (20) + change
-- number (16) + part (1); string order = numeric order = commit order;
-- the epoch comes from dynamo._source as of each change;
-- eventIDs are the documented hash of the whole stream ARN and the number.
\set VERBOSITY terse
SELECT 'slot' FROM pg_create_logical_replication_slot('seq047', 'dynamo_streams');
SELECT dynamo.create_table('Seq', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('Seq2', 'id', 'S', 'n', 'N', 'NEW_IMAGE') IS NOT NULL;
SELECT table_name, stream_epoch FROM dynamo._tables WHERE table_name LIKE 'Seq%' ORDER BY 1;

CREATE TABLE seq047 (n serial PRIMARY KEY, data jsonb);
CREATE FUNCTION seq047_read() RETURNS void LANGUAGE sql AS $$
  INSERT INTO seq047 (data)
  SELECT data::jsonb FROM pg_logical_slot_get_changes('seq047', NULL, NULL, 'include-lsn', 'on');
$$;

-- one transaction of three changes (one in another table), then a key
-- change by plain SQL (REMOVE + INSERT: parts 0 and 1 of one change)
BEGIN;
SELECT dynamo.put_item('Seq', '{"id":{"S":"a"}}') IS NOT NULL;
SELECT dynamo.put_item('Seq2', '{"id":{"S":"a"},"n":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.put_item('Seq', '{"id":{"S":"b"}}') IS NOT NULL;
COMMIT;
UPDATE dynamo."Seq" SET item = '{"id":{"S":"c"}}' WHERE pk = 'b';
SELECT seq047_read();
-- fields: epoch, commit LSN (= the commitLsn the include-lsn option
-- shows), change number, part
SELECT data->>'eventName' AS event, length(s) AS digits, substr(s, 1, 3) AS epoch,
       substr(s, 4, 20)::numeric = (data->'pg'->>'commitLsn')::pg_lsn - '0/0' AS lsn_ok,
       substr(s, 24, 16) AS change_no, substr(s, 40, 1) AS part
  FROM (SELECT n, data, data->'dynamodb'->>'SequenceNumber' s FROM seq047) x ORDER BY n;

-- the epoch: dynamo._source (no row: 100), raised when records start
-- coming from a new source whose LSNs may be lower (a restored or moved
-- database).  The plugin reads it as of each change, so it takes effect
-- exactly at the commit that raised it, for every table alike.
SELECT count(*) AS rows FROM dynamo._source;
SELECT dynamo.put_item('Seq', '{"id":{"S":"d"}}') IS NOT NULL;
BEGIN;
SELECT dynamo._raise_epoch();
SELECT dynamo.put_item('Seq', '{"id":{"S":"e"}}') IS NOT NULL;
SELECT dynamo.put_item('Seq2', '{"id":{"S":"e"},"n":{"N":"2"}}') IS NOT NULL;
COMMIT;
SELECT dynamo.put_item('Seq', '{"id":{"S":"f"}}') IS NOT NULL;
SELECT seq047_read();
SELECT data->'dynamodb'->'Keys'->'id'->>'S' AS id, data->>'eventSourceARN' LIKE '%/Seq2/%' AS seq2,
       substr(data->'dynamodb'->>'SequenceNumber', 1, 3) AS epoch
  FROM seq047 WHERE n > 5 ORDER BY n;
-- an epoch-101 number is above any epoch-100 number, whatever its LSN
SELECT '1010000000000000000000000000000000000010' > '1009999999999999999999999999999999999991' AS string_order,
       '1010000000000000000000000000000000000010'::numeric > '1009999999999999999999999999999999999991'::numeric AS numeric_order;
-- the epoch stays in range (3 digits, no leading zero) and never goes down
UPDATE dynamo._source SET epoch = 1000;
UPDATE dynamo._source SET epoch = 100;
DELETE FROM dynamo._source;
INSERT INTO dynamo._source (epoch) VALUES (102);
SELECT dynamo._raise_epoch();
SELECT one, epoch FROM dynamo._source;

-- every record: 40 digits, no leading zero, strictly increasing in output
-- order as strings and as numbers (SPEC 4.6: AWS SDKs accept 21-40 digits)
SELECT count(*) AS records,
       bool_and(s ~ '^[1-9][0-9]{39}$') AS format_ok,
       bool_and(prev IS NULL OR s > prev) AS string_increasing,
       bool_and(prev IS NULL OR s::numeric > prev::numeric) AS numeric_increasing
  FROM (SELECT s, lag(s) OVER (ORDER BY n) prev
          FROM (SELECT n, data->'dynamodb'->>'SequenceNumber' s FROM seq047) a) b;

-- eventID = two 64-bit hashes of the whole stream ARN followed by the
-- SequenceNumber (hash_bytes_extended, the function behind
-- hashtextextended), 32 lowercase hex digits
SELECT count(*) AS records,
       bool_and(data->>'eventID' =
         lpad(to_hex(hashtextextended((data->>'eventSourceARN') || (data->'dynamodb'->>'SequenceNumber'), 7239939240701681457)), 16, '0') ||
         lpad(to_hex(hashtextextended((data->>'eventSourceARN') || (data->'dynamodb'->>'SequenceNumber'), 8319400191411969842)), 16, '0')) AS ids_ok,
       count(DISTINCT data->>'eventID') AS distinct_ids
  FROM seq047;

SELECT 'dropped' FROM pg_drop_replication_slot('seq047');
-- back to a database without an epoch row, for the suites that follow
ALTER TABLE dynamo._source DISABLE TRIGGER _source_epoch_guard;
DELETE FROM dynamo._source;
ALTER TABLE dynamo._source ENABLE TRIGGER _source_epoch_guard;
SELECT dynamo.delete_table('Seq') IS NOT NULL, dynamo.delete_table('Seq2') IS NOT NULL;
DROP TABLE seq047;
DROP FUNCTION seq047_read();
