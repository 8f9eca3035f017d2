-- 087_streams_api: describe_stream, get_shard_iterator and get_records over
-- the stream log.  Records read through the API are the plugin's
-- format=streams records byte for byte; every iterator type; a closed shard
-- read to its end has no NextShardIterator; an open shard gives empty
-- Records and a next iterator; limit and the 1 MB cap; bad input gets AWS's
-- exception names.
\set VERBOSITY terse
-- the log until the pump fills it: a fake pump copies format=pump rows of
-- a slot into the log tables, onto a given shard
CREATE TABLE IF NOT EXISTS dynamo._shards (stream_id bigint, shard_id text, parent_shard_id text,
  starting_sequence_number numeric, ending_sequence_number numeric, trim_horizon numeric,
  PRIMARY KEY (stream_id, shard_id));
CREATE TABLE IF NOT EXISTS dynamo._records (stream_id bigint, shard_id text, sequence_number numeric,
  event_name text, creation_time timestamptz, keys text, new_image text, old_image text,
  size_bytes bigint, ttl boolean, omitted text, PRIMARY KEY (stream_id, shard_id, sequence_number));
CREATE FUNCTION sa_pump(slot text, shard text) RETURNS bigint LANGUAGE sql AS $$
  WITH p AS (SELECT string_to_array(data, E'\t') f FROM pg_logical_slot_get_changes(slot, NULL, NULL, 'format', 'pump')),
  i AS (INSERT INTO dynamo._records
        SELECT s.stream_id, shard, f[2]::numeric, f[5],
               '2000-01-01 00:00:00+00'::timestamptz + (f[6]::bigint / 1000000) * interval '1 second'
                 + (f[6]::bigint % 1000000) * interval '1 microsecond',
               f[12], nullif(f[13], ''), nullif(f[14], ''), f[8]::bigint, f[9] LIKE '%t%', nullif(f[10], '')
          FROM p JOIN dynamo._streams s ON s.stream_arn = f[11]::json #>> '{}' RETURNING 1)
  SELECT count(*) FROM i
$$;
CREATE FUNCTION sa_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
CREATE FUNCTION sa_sid(t text) RETURNS bigint LANGUAGE sql AS $$
  SELECT stream_id FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
CREATE FUNCTION sa_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(t,
    '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}', '<label>', 'g'),
    '"CreationRequestDateTime": [0-9]{10}(\.[0-9]{1,3})?', '"CreationRequestDateTime": <time>', 'g'),
    '[1-9][0-9]{39}', '<seq>', 'g')
$$;
-- an error as "SQLSTATE exception: message"
CREATE FUNCTION sa_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || coalesce(split_part(split_part(det, ':', 1), '.', 1), '') || ': ' || sa_mask(msg);
END $$;
-- the records of a get_records answer, and its next iterator
CREATE FUNCTION sa_read(it text, lim int DEFAULT NULL, OUT recs text[], OUT next text) LANGUAGE plpgsql AS $$
DECLARE j json := dynamo.get_records(it, lim);
BEGIN
  SELECT coalesce(array_agg(r::text), '{}') INTO recs FROM json_array_elements(j->'Records') r;
  next := j->>'NextShardIterator';
END $$;
CREATE FUNCTION sa_it(arn text, shard text, typ text, seq text DEFAULT NULL, ts timestamptz DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$ SELECT dynamo.get_shard_iterator(arn, shard, typ, seq, ts)->>'ShardIterator' $$;

SELECT 'slot' FROM pg_create_logical_replication_slot('sa087', 'dynamo_streams');
SELECT dynamo.create_table('SaItems', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('SaOther', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
-- two shards: a closed parent and its open child
INSERT INTO dynamo._shards VALUES
  (sa_sid('SaItems'), 'shardId-00000000000000000001-0000000a', NULL, NULL, NULL, NULL),
  (sa_sid('SaItems'), 'shardId-00000000000000000002-0000000b', 'shardId-00000000000000000001-0000000a', NULL, NULL, NULL),
  (sa_sid('SaOther'), 'shardId-00000000000000000003-0000000c', NULL, 1, NULL, NULL);
SELECT count(dynamo.put_item('SaItems', jsonb_build_object('id', jsonb_build_object('S', 'i' || i), 'n', jsonb_build_object('N', i::text))))
  FROM generate_series(1, 3) i;
SELECT dynamo.put_item('SaOther', '{"id":{"S":"o"}}') IS NOT NULL;
-- the plugin's own records, to compare with
CREATE TABLE sa_plugin AS
  SELECT row_number() OVER () n, data FROM pg_logical_slot_peek_changes('sa087', NULL, NULL, 'format', 'streams', 'tables', 'SaItems');
SELECT sa_pump('sa087', 'shardId-00000000000000000001-0000000a');
UPDATE dynamo._records SET shard_id = 'shardId-00000000000000000003-0000000c' WHERE stream_id = sa_sid('SaOther');
UPDATE dynamo._shards h SET starting_sequence_number = (SELECT min(sequence_number) FROM dynamo._records r WHERE r.shard_id = h.shard_id),
                            ending_sequence_number = (SELECT max(sequence_number) FROM dynamo._records r WHERE r.shard_id = h.shard_id)
 WHERE shard_id = 'shardId-00000000000000000001-0000000a';
SELECT dynamo.update_item('SaItems', '{"id":{"S":"i1"}}', 'SET n = :n', expression_attribute_values => '{":n":{"N":"10"}}') IS NOT NULL;
SELECT dynamo.delete_item('SaItems', '{"id":{"S":"i2"}}') IS NOT NULL;
INSERT INTO sa_plugin
  SELECT 3 + row_number() OVER (), data FROM pg_logical_slot_peek_changes('sa087', NULL, NULL, 'format', 'streams', 'tables', 'SaItems');
SELECT sa_pump('sa087', 'shardId-00000000000000000002-0000000b');
UPDATE dynamo._shards h SET starting_sequence_number = (SELECT min(sequence_number) FROM dynamo._records r WHERE r.shard_id = h.shard_id)
 WHERE shard_id = 'shardId-00000000000000000002-0000000b';

-- DescribeStream
SELECT sa_mask(jsonb_pretty(dynamo.describe_stream(sa_arn('SaItems'))));
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'), 1)::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'), 1, 'shardId-00000000000000000001-0000000a')::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'),
  shard_filter => '{"Type":"CHILD_SHARDS","ShardId":"shardId-00000000000000000001-0000000a"}')::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'),
  shard_filter => '{"Type":"CHILD_SHARDS","ShardId":"shardId-00000000000000000002-0000000b"}')::text);
SELECT (dynamo.describe_stream(sa_arn('SaItems'))->'StreamDescription'->>'CreationRequestDateTime')::numeric
       = round(extract(epoch FROM (SELECT created_at FROM dynamo._streams WHERE stream_id = sa_sid('SaItems'))), 3);

-- TRIM_HORIZON on the closed parent, two at a time: the plugin's bytes,
-- and no NextShardIterator once it is read to its end
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n <= 2 ORDER BY n) AS identical, r.next IS NOT NULL AS has_next
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'TRIM_HORIZON'), 2) r;
SELECT r2.recs = ARRAY(SELECT data FROM sa_plugin WHERE n = 3) AS identical, r2.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'TRIM_HORIZON'), 2) r,
       sa_read(r.next, 2) r2;
-- read to its end in one call: no NextShardIterator at once
SELECT cardinality(r.recs), r.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'TRIM_HORIZON')) r;
-- the open child: its records, then empty Records with a next iterator
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n > 3 ORDER BY n) AS identical, r.next IS NOT NULL AS has_next,
       cardinality(r2.recs) AS then_records, r2.next IS NOT NULL AS then_next
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON')) r,
       sa_read(r.next) r2;
SELECT dynamo.get_records(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'LATEST'))::text ~ '^\{"Records":\[\],"NextShardIterator":"[A-Za-z0-9_-]+"\}$';
-- LATEST, then a new record arrives: the LATEST iterator reads it
CREATE TABLE sa_keep AS SELECT sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'LATEST') it;
SELECT dynamo.put_item('SaItems', '{"id":{"S":"late"}}') IS NOT NULL;
INSERT INTO sa_plugin
  SELECT 5 + row_number() OVER (), data FROM pg_logical_slot_peek_changes('sa087', NULL, NULL, 'format', 'streams', 'tables', 'SaItems');
SELECT sa_pump('sa087', 'shardId-00000000000000000002-0000000b');
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n = 6) AS identical FROM sa_keep, sa_read(sa_keep.it) r;
-- AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n >= 2 AND n <= 3 ORDER BY n) AS at_identical
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER',
                     (SELECT data::json->'dynamodb'->>'SequenceNumber' FROM sa_plugin WHERE n = 2))) r;
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n = 3) AS after_identical
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AFTER_SEQUENCE_NUMBER',
                     (SELECT data::json->'dynamodb'->>'SequenceNumber' FROM sa_plugin WHERE n = 2))) r;
-- AFTER the last record of a closed shard: nothing, and no next iterator
SELECT cardinality(r.recs), r.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AFTER_SEQUENCE_NUMBER',
                     (SELECT data::json->'dynamodb'->>'SequenceNumber' FROM sa_plugin WHERE n = 3))) r;
-- AT_TIMESTAMP (beyond AWS): the first record created at or after it
SELECT cardinality(r.recs) FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_TIMESTAMP',
                                              ts => '-infinity')) r;
SELECT cardinality(r.recs), r.next IS NOT NULL FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'AT_TIMESTAMP',
                                              ts => 'infinity')) r;
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n = 6) AS from_time
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'AT_TIMESTAMP',
                     ts => (SELECT creation_time FROM dynamo._records WHERE sequence_number =
                              (SELECT (data::json->'dynamodb'->>'SequenceNumber')::numeric FROM sa_plugin WHERE n = 6)))) r;

-- limit
SELECT cardinality(r.recs) FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON'), 1) r;
SELECT sa_err($$SELECT dynamo.get_records('x', 0)$$);
SELECT sa_err($$SELECT dynamo.get_records('x', 1001)$$);
-- iterators are short, URL-safe text
SELECT length(it) <= 2048, it ~ '^[A-Za-z0-9_-]+$'
  FROM sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON') it;

-- bad input
SELECT sa_err($$SELECT dynamo.describe_stream(NULL)$$);
SELECT sa_err($$SELECT dynamo.describe_stream('arn:short')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(repeat('a', 1025))$$);
SELECT sa_err($$SELECT dynamo.describe_stream('arn:aws:dynamodb:us-east-1:000000000000:table/None/stream/2026-01-01T00:00:00.000')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), 0)$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), 101)$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), exclusive_start_shard_id => 'shardId-1')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), shard_filter => '{"Type":"PARENT_SHARDS","ShardId":"shardId-00000000000000000001-0000000a"}')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), shard_filter => '{"Type":"CHILD_SHARDS"}')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), NULL, 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000009-0000000f', 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000003-0000000c', 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', NULL)$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'OLDEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'TRIM_HORIZON', repeat('1', 21))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER', '12')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER', repeat('x', 21))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER', repeat('9', 40))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_TIMESTAMP')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'LATEST', "timestamp" => now())$$);
SELECT sa_err($$SELECT dynamo.get_records(NULL)$$);
SELECT sa_err($$SELECT dynamo.get_records('')$$);
SELECT sa_err($$SELECT dynamo.get_records(repeat('A', 2049))$$);
SELECT sa_err($$SELECT dynamo.get_records('not an iterator!')$$);
-- an altered iterator (one character changed, or its payload swapped for
-- another shard's) is refused
SELECT sa_err(format('SELECT dynamo.get_records(%L)', overlay(it placing CASE WHEN substr(it, 20, 1) = 'A' THEN 'B' ELSE 'A' END from 20 for 1)))
  FROM sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON') it;
WITH i AS (SELECT decode(rpad(translate(it, '-_', '+/'), (length(it) + 3) / 4 * 4, '='), 'base64') b
             FROM sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON') it)
SELECT sa_err(format('SELECT dynamo.get_records(%L)',
         translate(encode(convert_to(replace(convert_from(substr(b, 1, length(b) - 32), 'UTF8'),
                                             '|' || sa_sid('SaItems') || '|', '|' || sa_sid('SaOther') || '|'), 'UTF8')
                          || substr(b, length(b) - 31), 'base64'), E'+/=\n', '-_')))
  FROM i;
-- the iterator of another stream reads that stream only
SELECT (dynamo.get_records(sa_it(sa_arn('SaOther'), 'shardId-00000000000000000003-0000000c', 'TRIM_HORIZON'))->'Records'->0->'dynamodb'->>'StreamViewType');

-- expiry: dynamo_streams.iterator_ttl
SET dynamo_streams.iterator_ttl = '1s';
CREATE TABLE sa_old AS SELECT sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON') it;
SELECT pg_sleep(1.2);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', it)) FROM sa_old;
RESET dynamo_streams.iterator_ttl;
SELECT cardinality(r.recs) FROM sa_old, sa_read(sa_old.it) r;
SHOW dynamo_streams.iterator_ttl;

-- trimmed records: the trim horizon above an iterator's position
SELECT it AS trim_it FROM sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER',
                     (SELECT data::json->'dynamodb'->>'SequenceNumber' FROM sa_plugin WHERE n = 1)) it \gset
UPDATE dynamo._shards SET trim_horizon = (SELECT (data::json->'dynamodb'->>'SequenceNumber')::numeric FROM sa_plugin WHERE n = 2)
 WHERE shard_id = 'shardId-00000000000000000001-0000000a';
DELETE FROM dynamo._records WHERE sequence_number = (SELECT (data::json->'dynamodb'->>'SequenceNumber')::numeric FROM sa_plugin WHERE n = 1);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'trim_it'));
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'AT_SEQUENCE_NUMBER',
                     (SELECT data::json->'dynamodb'->>'SequenceNumber' FROM sa_plugin WHERE n = 1))$$);
SELECT r.recs = ARRAY(SELECT data FROM sa_plugin WHERE n IN (2, 3) ORDER BY n) AS trim_horizon_reads_the_rest
  FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000001-0000000a', 'TRIM_HORIZON')) r;

-- 1 MB: records of about 400 KB, at most 1 MB of them per call
SELECT dynamo.create_table('SaBig', 'id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
INSERT INTO dynamo._shards VALUES (sa_sid('SaBig'), 'shardId-00000000000000000004-0000000d', NULL, 1, NULL, NULL);
SELECT count(dynamo.put_item('SaBig', jsonb_build_object('id', jsonb_build_object('S', 'b' || i), 'v', jsonb_build_object('S', repeat('x', 390000)))))
  FROM generate_series(1, 5) i;
SELECT sa_pump('sa087', 'shardId-00000000000000000004-0000000d');
SELECT cardinality(r.recs) AS first, (SELECT sum(octet_length(x)) FROM unnest(r.recs) x) <= 1048576 AS within,
       cardinality(r2.recs) AS second, cardinality(r3.recs) AS third
  FROM sa_read(sa_it(sa_arn('SaBig'), 'shardId-00000000000000000004-0000000d', 'TRIM_HORIZON')) r,
       sa_read(r.next) r2, sa_read(r2.next) r3;

-- privileges: reading a stream needs SELECT on its table; the log and the
-- iterator key are not readable; an iterator does not carry privileges
CREATE ROLE regress_sa_reader;
CREATE ROLE regress_sa_none;
SELECT dynamo.grant_access('regress_sa_reader'), dynamo.grant_access('regress_sa_none');
GRANT SELECT ON dynamo."SaItems" TO regress_sa_reader;
SELECT it AS other_it FROM sa_it(sa_arn('SaOther'), 'shardId-00000000000000000003-0000000c', 'TRIM_HORIZON') it \gset
SET ROLE regress_sa_reader;
-- list_streams lists only the streams of tables it may read
SELECT jsonb_array_length(dynamo.list_streams('SaItems')->'Streams') AS items,
       jsonb_array_length(dynamo.list_streams('SaOther')->'Streams') AS other,
       dynamo.list_streams()::text LIKE '%SaOther%' AS other_listed;
SELECT jsonb_array_length(dynamo.describe_stream(sa_arn('SaItems'))->'StreamDescription'->'Shards');
SELECT cardinality(r.recs) FROM sa_read(sa_it(sa_arn('SaItems'), 'shardId-00000000000000000002-0000000b', 'TRIM_HORIZON')) r;
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaOther'))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaOther'), 'shardId-00000000000000000003-0000000c', 'TRIM_HORIZON')$$);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'other_it'));
SELECT sa_err($$SELECT count(*) FROM dynamo._records$$);
SELECT sa_err($$SELECT count(*) FROM dynamo._iterator_key$$);
SELECT sa_err($$SELECT dynamo._iterator_encode(1, 'x', 'TRIM', NULL)$$);
RESET ROLE;
SET ROLE regress_sa_none;
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'))$$);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'other_it'));
RESET ROLE;
-- without grant_access (or a GRANT EXECUTE) the functions are not executable
SELECT dynamo.revoke_access('regress_sa_none');
SET ROLE regress_sa_none;
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'))$$);
RESET ROLE;
-- the functions are SECURITY DEFINER with a pinned search_path, not PUBLIC's
SELECT p.proname, p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p WHERE p.pronamespace = 'dynamo'::regnamespace
   AND p.proname IN ('describe_stream', 'get_shard_iterator', 'get_records') ORDER BY 1;
DROP OWNED BY regress_sa_reader, regress_sa_none;
DROP ROLE regress_sa_reader, regress_sa_none;

SELECT pg_drop_replication_slot('sa087');
