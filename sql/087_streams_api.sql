-- 087_streams_api: describe_stream, get_shard_iterator and get_records over
-- the stream log.  Records read through the API are the plugin's
-- format=streams records byte for byte; every iterator type; a closed shard
-- read to its end has no NextShardIterator; an open shard gives empty
-- Records and a next iterator; limit and the 1 MB cap; bad input gets AWS's
-- exception names.
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
CREATE FUNCTION sa_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
CREATE FUNCTION sa_sid(t text) RETURNS bigint LANGUAGE sql AS $$
  SELECT stream_id FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
-- the n-th shard of a table's stream (in the order they were made)
CREATE FUNCTION sa_shard(t text, n int DEFAULT 1) RETURNS text LANGUAGE sql AS $$
  SELECT shard_id FROM dynamo._shards WHERE stream_id = sa_sid(t) ORDER BY shard_no OFFSET n - 1 LIMIT 1
$$;
-- labels, times, sequence numbers and shard ids masked (shards by table and number)
CREATE FUNCTION sa_mask(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF has_table_privilege('dynamo._shards', 'SELECT') THEN
    FOR r IN SELECT h.shard_id, s.table_name || '#' || row_number() OVER (PARTITION BY h.stream_id ORDER BY h.shard_no) AS name
               FROM dynamo._shards h JOIN dynamo._streams s USING (stream_id) LOOP
      t := replace(t, r.shard_id, '<' || r.name || '>');
    END LOOP;
  END IF;
  RETURN regexp_replace(regexp_replace(regexp_replace(t,
    '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}', '<label>', 'g'),
    '"CreationRequestDateTime": [0-9]{10}(\.[0-9]{1,3})?', '"CreationRequestDateTime": <time>', 'g'),
    '[1-9][0-9]{39}', '<seq>', 'g');
END $$;
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
-- the plugin's own records of a table, to compare with
CREATE TABLE sa_plugin (n serial, tbl text, data text);
CREATE FUNCTION sa_take() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE t text; n bigint := 0; k bigint;
BEGIN
  FOR t IN SELECT table_name FROM dynamo._tables WHERE table_name IN ('SaItems', 'SaOther', 'SaBig') LOOP
    INSERT INTO sa_plugin (tbl, data)
    SELECT t, data FROM pg_logical_slot_peek_changes('sa087', NULL, NULL, 'format', 'streams', 'tables', t);
    GET DIAGNOSTICS k = ROW_COUNT;
    n := n + k;
  END LOOP;
  PERFORM pg_logical_slot_get_changes('sa087', NULL, NULL, 'format', 'streams');
  RETURN n;
END $$;
CREATE FUNCTION sa_rec(t text, k int) RETURNS text LANGUAGE sql AS $$
  SELECT data FROM sa_plugin WHERE tbl = t ORDER BY n OFFSET k - 1 LIMIT 1
$$;
CREATE FUNCTION sa_recs(t text, lo int, hi int) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(data ORDER BY n), '{}') FROM
    (SELECT n, data, row_number() OVER (ORDER BY n) i FROM sa_plugin WHERE tbl = t) x WHERE i BETWEEN lo AND hi
$$;
CREATE FUNCTION sa_seq(t text, k int) RETURNS text LANGUAGE sql AS $$
  SELECT sa_rec(t, k)::json->'dynamodb'->>'SequenceNumber'
$$;

SELECT dynamo.pump() >= 0 AS pump_ready;
SELECT dynamo.create_table('SaItems', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('SaOther', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
-- one shard each, so that shard order is the plugin's order (the four
-- shards enabling made hold nothing yet)
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name IN ('SaItems', 'SaOther');
DELETE FROM dynamo._shards WHERE stream_id IN (sa_sid('SaItems'), sa_sid('SaOther'));
SELECT 'slot' FROM pg_create_logical_replication_slot('sa087', 'dynamo_streams');
SELECT dynamo.pump() >= 0;
SELECT count(dynamo.put_item('SaItems', jsonb_build_object('id', jsonb_build_object('S', 'i' || i), 'n', jsonb_build_object('N', i::text))))
  FROM generate_series(1, 3) i;
SELECT dynamo.put_item('SaOther', '{"id":{"S":"o"}}') IS NOT NULL;
SELECT dynamo.pump() >= 4;
SELECT sa_take();
-- roll SaItems' shard over: a closed parent and its open child
SELECT dynamo.rollover_shards(sa_arn('SaItems'));
SELECT dynamo.update_item('SaItems', '{"id":{"S":"i1"}}', 'SET n = :n', expression_attribute_values => '{":n":{"N":"10"}}') IS NOT NULL;
SELECT dynamo.delete_item('SaItems', '{"id":{"S":"i2"}}') IS NOT NULL;
SELECT dynamo.pump() >= 2;
SELECT sa_take();
SELECT count(*) FROM dynamo._records WHERE stream_id = sa_sid('SaItems') AND shard_no =
  (SELECT shard_no FROM dynamo._shards WHERE shard_id = sa_shard('SaItems', 2));

-- DescribeStream
SELECT sa_mask(jsonb_pretty(dynamo.describe_stream(sa_arn('SaItems'))));
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'), 1)::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'), 1, sa_shard('SaItems', 1))::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'),
  shard_filter => jsonb_build_object('Type', 'CHILD_SHARDS', 'ShardId', sa_shard('SaItems', 1)))::text);
SELECT sa_mask(dynamo.describe_stream(sa_arn('SaItems'),
  shard_filter => jsonb_build_object('Type', 'CHILD_SHARDS', 'ShardId', sa_shard('SaItems', 2)))::text);
SELECT (dynamo.describe_stream(sa_arn('SaItems'))->'StreamDescription'->>'CreationRequestDateTime')::numeric
       = round(extract(epoch FROM (SELECT created_at FROM dynamo._streams WHERE stream_id = sa_sid('SaItems'))), 3);

-- TRIM_HORIZON on the closed parent, two at a time: the plugin's bytes,
-- and no NextShardIterator once it is read to its end
SELECT r.recs = sa_recs('SaItems', 1, 2) AS identical, r.next IS NOT NULL AS has_next
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'TRIM_HORIZON'), 2) r;
SELECT r2.recs = sa_recs('SaItems', 3, 3) AS identical, r2.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'TRIM_HORIZON'), 2) r,
       sa_read(r.next, 2) r2;
-- read to its end in one call: no NextShardIterator at once
SELECT cardinality(r.recs), r.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'TRIM_HORIZON')) r;
-- the open child: its records, then empty Records with a next iterator
SELECT r.recs = sa_recs('SaItems', 4, 5) AS identical, r.next IS NOT NULL AS has_next,
       cardinality(r2.recs) AS then_records, r2.next IS NOT NULL AS then_next
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON')) r,
       sa_read(r.next) r2;
SELECT dynamo.get_records(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'LATEST'))::text ~ '^\{"Records":\[\],"NextShardIterator":"[A-Za-z0-9_-]+"\}$';
-- LATEST, then a new record arrives: the LATEST iterator reads it
CREATE TABLE sa_keep AS SELECT sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'LATEST') it;
SELECT dynamo.put_item('SaItems', '{"id":{"S":"late"}}') IS NOT NULL;
SELECT dynamo.pump() >= 1;
SELECT sa_take();
SELECT r.recs = sa_recs('SaItems', 6, 6) AS identical FROM sa_keep, sa_read(sa_keep.it) r;
-- AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER
SELECT r.recs = sa_recs('SaItems', 2, 3) AS at_identical
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER',
                     sa_seq('SaItems', 2))) r;
SELECT r.recs = sa_recs('SaItems', 3, 3) AS after_identical
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AFTER_SEQUENCE_NUMBER',
                     sa_seq('SaItems', 2))) r;
-- AFTER the last record of a closed shard: nothing, and no next iterator
SELECT cardinality(r.recs), r.next IS NULL AS drained
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AFTER_SEQUENCE_NUMBER',
                     sa_seq('SaItems', 3))) r;
-- AT_TIMESTAMP (beyond AWS): the first record created at or after it
SELECT cardinality(r.recs) FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_TIMESTAMP',
                                              ts => '-infinity')) r;
SELECT cardinality(r.recs), r.next IS NOT NULL FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'AT_TIMESTAMP',
                                              ts => 'infinity')) r;
SELECT r.recs = sa_recs('SaItems', 6, 6) AS from_time
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'AT_TIMESTAMP',
                     ts => (SELECT created_at FROM dynamo._records WHERE sequence_number = sa_seq('SaItems', 6)))) r;

-- limit
SELECT cardinality(r.recs) FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON'), 1) r;
SELECT sa_err($$SELECT dynamo.get_records('x', 0)$$);
SELECT sa_err($$SELECT dynamo.get_records('x', 1001)$$);
-- iterators are short, URL-safe text
SELECT length(it) <= 2048, it ~ '^[A-Za-z0-9_-]+$'
  FROM sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON') it;

-- bad input
SELECT sa_err($$SELECT dynamo.describe_stream(NULL)$$);
SELECT sa_err($$SELECT dynamo.describe_stream('arn:short')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(repeat('a', 1025))$$);
SELECT sa_err($$SELECT dynamo.describe_stream('arn:aws:dynamodb:us-east-1:000000000000:table/None/stream/2026-01-01T00:00:00.000')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), 0)$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), 101)$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), exclusive_start_shard_id => 'shardId-1')$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), shard_filter => jsonb_build_object('Type', 'PARENT_SHARDS', 'ShardId', sa_shard('SaItems', 1)))$$);
SELECT sa_err($$SELECT dynamo.describe_stream(sa_arn('SaItems'), shard_filter => '{"Type":"CHILD_SHARDS"}')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), NULL, 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), 'shardId-00000000000000000009-0000000f', 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaOther', 1), 'LATEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), NULL)$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'OLDEST')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'TRIM_HORIZON', repeat('1', 21))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER', '12')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER', repeat('x', 21))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER', repeat('9', 40))$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_TIMESTAMP')$$);
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'LATEST', "timestamp" => now())$$);
SELECT sa_err($$SELECT dynamo.get_records(NULL)$$);
SELECT sa_err($$SELECT dynamo.get_records('')$$);
SELECT sa_err($$SELECT dynamo.get_records(repeat('A', 2049))$$);
SELECT sa_err($$SELECT dynamo.get_records('not an iterator!')$$);
-- an altered iterator (one character changed, or its payload rewritten to
-- name another stream and its shard, keeping the signature) is refused
SELECT sa_err(format('SELECT dynamo.get_records(%L)', overlay(it placing CASE WHEN substr(it, 20, 1) = 'A' THEN 'B' ELSE 'A' END from 20 for 1)))
  FROM sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON') it;
WITH i AS (SELECT decode(rpad(translate(it, '-_', '+/'), (length(it) + 3) / 4 * 4, '='), 'base64') b
             FROM sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON') it)
SELECT sa_err(format('SELECT dynamo.get_records(%L)',
         translate(encode(convert_to(replace(convert_from(substr(b, 1, length(b) - 32), 'UTF8'),
                                             '|' || sa_sid('SaItems') || '|' || sa_shard('SaItems', 2) || '|',
                                             '|' || sa_sid('SaOther') || '|' || sa_shard('SaOther', 1) || '|'), 'UTF8')
                          || substr(b, length(b) - 31), 'base64'), E'+/=\n', '-_')))
  FROM i;
-- the iterator of another stream reads that stream only
SELECT (dynamo.get_records(sa_it(sa_arn('SaOther'), sa_shard('SaOther', 1), 'TRIM_HORIZON'))->'Records'->0->'dynamodb'->>'StreamViewType');

-- expiry: dynamo_streams.iterator_ttl
SET dynamo_streams.iterator_ttl = '1s';
CREATE TABLE sa_old AS SELECT sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON') it;
SELECT pg_sleep(1.2);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', it)) FROM sa_old;
RESET dynamo_streams.iterator_ttl;
SELECT cardinality(r.recs) FROM sa_old, sa_read(sa_old.it) r;
SHOW dynamo_streams.iterator_ttl;

-- trimmed records: the trim horizon above an iterator's position
SELECT it AS trim_it FROM sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER',
                     sa_seq('SaItems', 1)) it \gset
UPDATE dynamo._shards SET trimmed_seq = sa_seq('SaItems', 1) WHERE shard_id = sa_shard('SaItems', 1);
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'trim_it'));
SELECT sa_err($$SELECT dynamo.get_shard_iterator(sa_arn('SaItems'), sa_shard('SaItems', 1), 'AT_SEQUENCE_NUMBER',
                     sa_seq('SaItems', 1))$$);
SELECT r.recs = sa_recs('SaItems', 2, 3) AS trim_horizon_reads_the_rest
  FROM sa_read(sa_it(sa_arn('SaItems'), sa_shard('SaItems', 1), 'TRIM_HORIZON')) r;

-- 1 MB: records of about 400 KB, at most 1 MB of them per call
SELECT dynamo.create_table('SaBig', 'id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'SaBig';
DELETE FROM dynamo._shards WHERE stream_id = sa_sid('SaBig');
SELECT dynamo.pump() >= 0;
SELECT count(dynamo.put_item('SaBig', jsonb_build_object('id', jsonb_build_object('S', 'b' || i), 'v', jsonb_build_object('S', repeat('x', 390000)))))
  FROM generate_series(1, 5) i;
SELECT dynamo.pump() >= 5;
SELECT sa_take();
SELECT cardinality(r.recs) AS first, (SELECT sum(octet_length(x)) FROM unnest(r.recs) x) <= 1048576 AS within,
       cardinality(r2.recs) AS second, cardinality(r3.recs) AS third
  FROM sa_read(sa_it(sa_arn('SaBig'), sa_shard('SaBig', 1), 'TRIM_HORIZON')) r,
       sa_read(r.next) r2, sa_read(r2.next) r3;

-- the first call of a new session (the module not loaded yet, so the
-- setting not defined yet) reads too
SELECT it AS fresh_it FROM sa_it(sa_arn('SaItems'), sa_shard('SaItems', 2), 'TRIM_HORIZON') it \gset
\c -
\set VERBOSITY terse
SELECT json_array_length(dynamo.get_records(:'fresh_it')->'Records');

-- privileges: reading a stream needs SELECT on its table; the log and the
-- iterator key are not readable; an iterator does not carry privileges
CREATE ROLE regress_sa_reader;
CREATE ROLE regress_sa_none;
SELECT dynamo.grant_access('regress_sa_reader'), dynamo.grant_access('regress_sa_none');
GRANT SELECT ON dynamo."SaItems" TO regress_sa_reader;
SELECT sa_arn('SaItems') AS items_arn, sa_arn('SaOther') AS other_arn, sa_shard('SaItems', 2) AS items_shard,
       sa_shard('SaOther', 1) AS other_shard \gset
SELECT it AS other_it FROM sa_it(:'other_arn', :'other_shard', 'TRIM_HORIZON') it \gset
SET ROLE regress_sa_reader;
-- list_streams lists only the streams of tables it may read
SELECT jsonb_array_length(dynamo.list_streams('SaItems')->'Streams') AS items,
       jsonb_array_length(dynamo.list_streams('SaOther')->'Streams') AS other,
       dynamo.list_streams()::text LIKE '%SaOther%' AS other_listed;
SELECT jsonb_array_length(dynamo.describe_stream(:'items_arn')->'StreamDescription'->'Shards');
SELECT cardinality(r.recs) FROM sa_read(sa_it(:'items_arn', :'items_shard', 'TRIM_HORIZON')) r;
SELECT sa_err(format('SELECT dynamo.describe_stream(%L)', :'other_arn'));
SELECT sa_err(format('SELECT dynamo.get_shard_iterator(%L, %L, ''TRIM_HORIZON'')', :'other_arn', :'other_shard'));
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'other_it'));
SELECT sa_err($$SELECT count(*) FROM dynamo._records$$);
SELECT sa_err($$SELECT count(*) FROM dynamo._iterator_key$$);
SELECT sa_err($$SELECT dynamo._iterator_encode(1, 'x', 'TRIM', NULL)$$);
RESET ROLE;
SET ROLE regress_sa_none;
SELECT sa_err(format('SELECT dynamo.describe_stream(%L)', :'items_arn'));
SELECT sa_err(format('SELECT dynamo.get_records(%L)', :'other_it'));
RESET ROLE;
-- without grant_access (or a GRANT EXECUTE) the functions are not executable
SELECT dynamo.revoke_access('regress_sa_none');
SET ROLE regress_sa_none;
SELECT sa_err(format('SELECT dynamo.describe_stream(%L)', :'items_arn'));
RESET ROLE;
-- the functions are SECURITY DEFINER with a pinned search_path, not PUBLIC's
SELECT p.proname, p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p WHERE p.pronamespace = 'dynamo'::regnamespace
   AND p.proname IN ('describe_stream', 'get_shard_iterator', 'get_records') ORDER BY 1;
DROP OWNED BY regress_sa_reader, regress_sa_none;
DROP ROLE regress_sa_reader, regress_sa_none;

SELECT pg_drop_replication_slot('sa087');
-- leave nothing behind for the suites after this one
SELECT count(dynamo.delete_table(t)) FROM unnest(ARRAY['SaItems', 'SaOther', 'SaBig']) t;
DROP TABLE sa_plugin, sa_keep, sa_old;
DROP FUNCTION sa_arn, sa_sid, sa_shard, sa_mask, sa_err, sa_read, sa_it, sa_take, sa_rec, sa_recs, sa_seq;
