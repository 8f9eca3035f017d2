-- 048_stream_identity: a stream's region, account and ARN are fixed in
-- dynamo._tables when the stream is enabled, not taken from whoever reads
-- the slot; eventIDs hash the whole ARN; item tables and stream-enabled
-- tables keep REPLICA IDENTITY FULL, and REMOVE records of item tables are
-- not lost even when the identity was changed around that rule.
\set VERBOSITY terse
SELECT now() AS t0 \gset
SELECT 'slot' FROM pg_create_logical_replication_slot('id048', 'dynamo_streams');

-- enabled under one region and account ...
SET dynamo_streams.region = 'eu-west-1';
SET dynamo_streams.account_id = '111122223333';
SELECT dynamo.create_table('Ident', 'id', stream_view_type => 'NEW_AND_OLD_IMAGES')
       #>> '{TableDescription,LatestStreamArn}' ~ '^arn:aws:dynamodb:eu-west-1:111122223333:table/Ident/stream/' AS arn_ok;
CREATE TABLE ident_rel (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('ident_rel', 'KEYS_ONLY')
       ->> 'LatestStreamArn' ~ '^arn:aws:dynamodb:eu-west-1:111122223333:table/ident_rel/stream/' AS arn_ok;
RESET dynamo_streams.region;
RESET dynamo_streams.account_id;
-- ... which the catalog keeps
SELECT table_name, stream_region, stream_account_id,
       stream_arn = 'arn:aws:dynamodb:' || stream_region || ':' || stream_account_id || ':table/'
                    || table_name || '/stream/' || stream_label AS arn_ok
  FROM dynamo._tables WHERE table_name IN ('Ident', 'ident_rel') ORDER BY 1;
-- describe_table and the stream description report the stored ARN,
-- whatever this session's settings
SELECT dynamo.describe_table('Ident') #>> '{Table,LatestStreamArn}' =
       (SELECT stream_arn FROM dynamo._tables WHERE table_name = 'Ident') AS describe_ok;
SELECT dynamo.disable_stream('ident_rel') ->> 'LatestStreamArn' =
       (SELECT stream_arn FROM dynamo._tables WHERE table_name = 'ident_rel') AS description_ok;
SELECT dynamo.enable_stream('ident_rel', 'KEYS_ONLY') ->> 'LatestStreamArn' ~ ':us-east-1:000000000000:' AS new_stream_new_identity;
-- an explicit edit of the catalog (a restored dump) keeps what it sets
UPDATE dynamo._tables SET stream_view_type = stream_view_type WHERE table_name = 'Ident';
SELECT stream_region FROM dynamo._tables WHERE table_name = 'Ident';

SELECT dynamo.put_item('Ident', '{"id":{"S":"a"},"v":{"N":"1"}}') IS NOT NULL;
INSERT INTO ident_rel VALUES (1, 'x');
SELECT dynamo.delete_item('Ident', '{"id":{"S":"a"}}') IS NOT NULL;
-- read with this session's settings, with other settings, and with the
-- old region/account-id options: identical records, with the region and
-- account of each stream's enabling
CREATE TABLE id048_reads (how text, data text[]);
INSERT INTO id048_reads SELECT 'defaults', array_agg(data) FROM pg_logical_slot_peek_changes('id048', NULL, NULL);
SET dynamo_streams.region = 'ap-south-1';
SET dynamo_streams.account_id = '999999999999';
INSERT INTO id048_reads SELECT 'settings', array_agg(data) FROM pg_logical_slot_peek_changes('id048', NULL, NULL);
RESET dynamo_streams.region;
RESET dynamo_streams.account_id;
INSERT INTO id048_reads SELECT 'options', array_agg(data) FROM pg_logical_slot_peek_changes('id048', NULL, NULL,
       'region', 'sa-east-1', 'account-id', '444455556666');
SELECT how, cardinality(data) AS records, data = (SELECT data FROM id048_reads WHERE how = 'defaults') AS identical
  FROM id048_reads ORDER BY how;
SELECT * FROM ds_take('id048');

-- a stream enabled again under other settings gets the new identity; the
-- records of the earlier stream keep theirs
SELECT dynamo.put_item('Ident', '{"id":{"S":"b"}}') IS NOT NULL;
SELECT dynamo.update_table('Ident', false) IS NOT NULL;
SET dynamo_streams.region = 'us-west-2';
SELECT dynamo.update_table('Ident', true, 'KEYS_ONLY') IS NOT NULL;
RESET dynamo_streams.region;
SELECT dynamo.put_item('Ident', '{"id":{"S":"c"}}') IS NOT NULL;
SELECT * FROM ds_take('id048');

-- ARNs longer than 512 bytes: the region setting allows any length of
-- [a-z0-9-], so a 482-character region puts the table name past byte 512.
-- The eventID hashes the whole ARN (it used to stop at 512 bytes, so two
-- such streams differed only by the sequence number): it is the
-- documented hash of ARN + SequenceNumber (see 047_sequence_numbers).
SET dynamo_streams.region = 'r-1';
SELECT set_config('dynamo_streams.region', repeat('r', 480) || '-1', false) IS NOT NULL;
SELECT dynamo.create_table('LongArnA', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('LongArnB', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
RESET dynamo_streams.region;
SELECT table_name, octet_length(stream_arn) AS arn_bytes, strpos(stream_arn, table_name) > 512 AS name_past_512
  FROM dynamo._tables WHERE table_name LIKE 'LongArn_' ORDER BY 1;
BEGIN;
SELECT dynamo.put_item('LongArnA', '{"id":{"S":"x"}}') IS NOT NULL;
SELECT dynamo.put_item('LongArnB', '{"id":{"S":"x"}}') IS NOT NULL;
COMMIT;
SELECT count(*) AS records, count(DISTINCT j->>'eventID') AS distinct_ids,
       bool_and(j->>'eventID' =
         lpad(to_hex(hashtextextended((j->>'eventSourceARN') || (j->'dynamodb'->>'SequenceNumber'), 7239939240701681457)), 16, '0') ||
         lpad(to_hex(hashtextextended((j->>'eventSourceARN') || (j->'dynamodb'->>'SequenceNumber'), 8319400191411969842)), 16, '0')) AS whole_arn_hashed,
       bool_and(j->>'awsRegion' = repeat('r', 480) || '-1') AS region_ok
  FROM (SELECT data::jsonb j FROM pg_logical_slot_get_changes('id048', NULL, NULL)) r;

-- REPLICA IDENTITY: refused on item tables (with or without a stream) and
-- on ordinary tables while their stream is enabled
SELECT dynamo.create_table('NoStream', 'id') IS NOT NULL;
ALTER TABLE dynamo."Ident" REPLICA IDENTITY DEFAULT;
ALTER TABLE dynamo."Ident" REPLICA IDENTITY NOTHING;
ALTER TABLE dynamo."Ident" REPLICA IDENTITY USING INDEX "Ident_pkey";
ALTER TABLE dynamo."NoStream" REPLICA IDENTITY DEFAULT;
ALTER TABLE ident_rel REPLICA IDENTITY DEFAULT;
\set VERBOSITY default
ALTER TABLE ident_rel REPLICA IDENTITY NOTHING;
ALTER TABLE dynamo."Ident" REPLICA IDENTITY DEFAULT;
\set VERBOSITY terse
-- FULL, and other ALTER TABLEs, pass
ALTER TABLE dynamo."Ident" REPLICA IDENTITY FULL;
ALTER TABLE ident_rel ADD COLUMN w int;
-- without a stream an ordinary table is the user's; enable_stream sets
-- FULL again
SELECT dynamo.disable_stream('ident_rel') IS NOT NULL;
ALTER TABLE ident_rel REPLICA IDENTITY DEFAULT;
SELECT dynamo.enable_stream('ident_rel', 'NEW_IMAGE') IS NOT NULL;
SELECT relname, relreplident FROM pg_class
 WHERE oid IN ('ident_rel'::regclass, 'dynamo."Ident"'::regclass, 'dynamo."NoStream"'::regclass) ORDER BY 1;

-- The rule bypassed (a superuser in replica mode, or with the event
-- trigger disabled): a DELETE then logs only the key columns, and the
-- REMOVE is still sent, with Keys built from them (no OldImage).  Key types
-- S + N (range key name shorter, so it comes first, as in jsonb) and B.
SELECT dynamo.create_table('RidSN', 'name', 'S', 'n', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('RidB', 'bin', 'B', stream_view_type => 'OLD_IMAGE') IS NOT NULL;
SELECT dynamo.put_item('RidSN', '{"name":{"S":"é \"q\""},"n":{"N":"1.50E+2"},"v":{"S":"one"}}') IS NOT NULL;
SELECT dynamo.put_item('RidSN', '{"name":{"S":"k"},"n":{"N":"-0.000123"},"v":{"S":"two"}}') IS NOT NULL;
SELECT dynamo.put_item('RidSN', '{"name":{"S":"k"},"n":{"N":"1E+120"}}') IS NOT NULL;
SELECT dynamo.put_item('RidB', '{"bin":{"B":"AAEC/w=="},"v":{"S":"three"}}') IS NOT NULL;
SET session_replication_role = replica;
ALTER TABLE dynamo."RidSN" REPLICA IDENTITY DEFAULT;
RESET session_replication_role;
ALTER EVENT TRIGGER dynamo_streams_replica_identity DISABLE;
ALTER TABLE dynamo."RidB" REPLICA IDENTITY DEFAULT;
ALTER EVENT TRIGGER dynamo_streams_replica_identity ENABLE;
SELECT dynamo.delete_item('RidSN', '{"name":{"S":"é \"q\""},"n":{"N":"150"}}') IS NOT NULL;
SELECT dynamo.delete_item('RidSN', '{"name":{"S":"k"},"n":{"N":"-0.000123"}}') IS NOT NULL;
SELECT dynamo.delete_item('RidB', '{"bin":{"B":"AAEC/w=="}}') IS NOT NULL;
-- a key change by plain SQL logs the old key: REMOVE of it, then INSERT
UPDATE dynamo."RidSN" SET item = '{"name":{"S":"k"},"n":{"N":"7"}}';
-- an update that keeps the key logs no old row: MODIFY without OldImage
UPDATE dynamo."RidSN" SET item = item || '{"w":{"BOOL":true}}';
SELECT * FROM ds_take('id048');
-- each REMOVE's Keys are byte for byte the Keys of the item's INSERT
SELECT r.data::jsonb->>'eventName' AS event, i.data IS NOT NULL AS insert_found,
       (r.data::jsonb->'dynamodb'->>'SizeBytes')::int = dynamo.item_size(r.data::jsonb->'dynamodb'->'Keys') AS size_ok
  FROM ds_seen r
  LEFT JOIN ds_seen i ON i.slot = 'id048' AND i.data LIKE '%"eventName":"INSERT"%'
        AND substring(i.data from '"Keys":(.*?),"(NewImage|OldImage|SequenceNumber)"')
          = substring(r.data from '"Keys":(.*?),"(NewImage|OldImage|SequenceNumber)"')
 WHERE r.slot = 'id048' AND r.data LIKE '%"eventName":"REMOVE"%' AND r.data LIKE '%/Rid%'
 ORDER BY r.n;
-- REPLICA IDENTITY NOTHING leaves nothing of the old row in the WAL: a
-- DELETE then cannot produce a REMOVE (documented); the event trigger is
-- what prevents it
SELECT dynamo.put_item('RidB', '{"bin":{"B":"AA=="}}') IS NOT NULL;
SET session_replication_role = replica;
ALTER TABLE dynamo."RidB" REPLICA IDENTITY NOTHING;
RESET session_replication_role;
SELECT dynamo.delete_item('RidB', '{"bin":{"B":"AA=="}}') IS NOT NULL;
SELECT * FROM ds_take('id048');

SELECT * FROM ds_check('id048', :'t0');
SELECT 'dropped' FROM pg_drop_replication_slot('id048');
SELECT count(*) FROM (SELECT dynamo.delete_table(t) FROM unnest(ARRAY['Ident', 'NoStream', 'LongArnA', 'LongArnB', 'RidSN', 'RidB']) t) d;
SELECT dynamo.disable_stream('ident_rel') IS NOT NULL;
DROP TABLE ident_rel, id048_reads;

-- a bad region set in a session before the library was loaded there is
-- dropped (with a WARNING) when the table functions load it: a stream never
-- stores it
\c
SET dynamo_streams.region = 'Bad Region';
SELECT dynamo.create_table('BadRegion', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT stream_region FROM dynamo._tables WHERE table_name = 'BadRegion';
SELECT dynamo.delete_table('BadRegion') IS NOT NULL;
