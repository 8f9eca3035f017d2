-- 076_ttl_sweep: sweep_ttl deletes exactly the items DynamoDB's TTL
-- deletes, and their REMOVE records carry the TTL userIdentity.
-- AWS, "Using DynamoDB Time to Live (TTL)" (developer guide): an item is
-- eligible when it has the TTL attribute, its value is a top-level Number,
-- epoch seconds, and "an expiration of no more than five years in the
-- past" (1171734022, February 2007, "will not expire"); the API reference:
-- expired when the value "is less than the current time"; "Items that have
-- expired and not been deleted will still show up in reads, queries, and
-- scans".  ScyllaDB's test/alternator/test_ttl.py (run against DynamoDB,
-- test_ttl_expiration): a value written as 1234567e1 or with a fraction
-- expires, a string never does, 162777600 (1975) never does; the key
-- attributes may be the TTL attribute (test_ttl_expiration_hash/_range).
-- SPEC 4.3 and the Lambda/GetRecords record formats: userIdentity
-- {"type":"Service","principalId":"dynamodb.amazonaws.com"}, capitalised
-- members in GetRecords.
\set VERBOSITY terse
SET dynamo_streams.ttl_update_interval = 0;
SELECT 'slot' FROM pg_create_logical_replication_slot('ttl076', 'dynamo_streams');
SELECT dynamo.create_table('TtlSweep', 'id', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT extract(epoch FROM now())::bigint AS now_s \gset
CREATE FUNCTION pg_temp.put(id text, attrs text) RETURNS void LANGUAGE sql AS $$
    SELECT FROM dynamo.put_item('TtlSweep', ('{"id":{"S":"' || id || '"}' || attrs || '}')::jsonb)
$$;
-- expired: an hour ago, a minute ago with a fraction, in exponent notation,
-- four years and 364 days ago
SELECT pg_temp.put('gone-hour', format(',"expires":{"N":"%s"}', :now_s - 3600));
SELECT pg_temp.put('gone-fraction', format(',"expires":{"N":"%s.25"}', :now_s - 60));
SELECT pg_temp.put('gone-exponent', format(',"expires":{"N":"%se1"}', (:now_s - 600) / 10));
SELECT pg_temp.put('gone-almost-5y', format(',"expires":{"N":"%s"}', extract(epoch FROM now() - interval '5 years' + interval '1 day')::bigint));
-- kept: no attribute, a string, a set, a map, a BOOL, a nested attribute,
-- an hour ahead, more than five years ago, 1975, zero, negative
SELECT pg_temp.put('keep-missing', '');
SELECT pg_temp.put('keep-string', format(',"expires":{"S":"%s"}', :now_s - 3600));
SELECT pg_temp.put('keep-ns', format(',"expires":{"NS":["%s"]}', :now_s - 3600));
SELECT pg_temp.put('keep-bool', ',"expires":{"BOOL":true}');
SELECT pg_temp.put('keep-nested', format(',"meta":{"M":{"expires":{"N":"%s"}}}', :now_s - 3600));
SELECT pg_temp.put('keep-future', format(',"expires":{"N":"%s"}', :now_s + 3600));
SELECT pg_temp.put('keep-over-5y', format(',"expires":{"N":"%s"}', extract(epoch FROM now() - interval '5 years' - interval '1 day')::bigint));
SELECT pg_temp.put('keep-1975', ',"expires":{"N":"162777600"}');
SELECT pg_temp.put('keep-zero', ',"expires":{"N":"0"}');
SELECT pg_temp.put('keep-negative', ',"expires":{"N":"-5"}');

-- TTL is off: nothing is swept
CALL dynamo.sweep_ttl();
SELECT dynamo.update_time_to_live('TtlSweep', 'expires', true);
-- expired items are still read until they are swept
SELECT dynamo.get_item('TtlSweep', '{"id":{"S":"gone-hour"}}') ? 'Item' AS still_there;
SELECT (dynamo.scan('TtlSweep') ->> 'Count')::int AS scan_count;
SELECT (dynamo.query('TtlSweep', 'id = :k', '{":k":{"S":"gone-fraction"}}') ->> 'Count')::int AS query_count;
-- the sweep finds them through the TTL index
SET enable_seqscan = off;
CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        RETURN NEXT regexp_replace(l, '_ttl_[0-9]+', '_ttl_<relid>');
    END LOOP;
END $$;
SELECT pg_temp.plan($q$SELECT ctid FROM dynamo."TtlSweep"
 WHERE dynamo._ttl_epoch(item, 'expires') < extract(epoch FROM now())::numeric
   AND dynamo._ttl_epoch(item, 'expires') >= extract(epoch FROM now() - interval '5 years')::numeric$q$);
RESET enable_seqscan;
CALL dynamo.sweep_ttl();
SELECT pk FROM dynamo."TtlSweep" ORDER BY pk;
SELECT dynamo.get_item('TtlSweep', '{"id":{"S":"gone-hour"}}');
CALL dynamo.sweep_ttl();
-- a user delete in the same session afterwards is an ordinary REMOVE
SELECT dynamo.delete_item('TtlSweep', '{"id":{"S":"keep-zero"}}');

-- the records: GetRecords format (PrincipalId, Type) ...
SELECT j ->> 'eventName' AS event, j -> 'dynamodb' -> 'Keys' ->> 'id' AS id, j -> 'userIdentity' AS user_identity,
       j -> 'dynamodb' ? 'OldImage' AS old_image
  FROM pg_logical_slot_peek_changes('ttl076', NULL, NULL, 'format', 'streams') c, jsonb(c.data) j
 WHERE j ->> 'eventName' = 'REMOVE';
-- ... and the Lambda format (type, principalId), member order as AWS's
SELECT substring(r FROM '"eventName":"REMOVE".*"dynamodb":\{"ApproximateCreationDateTime"') AS remove_head
  FROM ds_take('ttl076') r WHERE r LIKE '%"eventName":"REMOVE"%';
SELECT * FROM ds_check('ttl076', now() - interval '1 minute');

-- the key attributes can be the TTL attribute (an N key; an S key never expires)
SELECT dynamo.create_table('TtlKeys', 'p', 'S', 'at', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('TtlKeys', format('{"p":{"S":"a"},"at":{"N":"%s"}}', :now_s - 10)::jsonb) IS NOT NULL;
SELECT dynamo.put_item('TtlKeys', format('{"p":{"S":"a"},"at":{"N":"%s"}}', :now_s + 1000)::jsonb) IS NOT NULL;
SELECT dynamo.update_time_to_live('TtlKeys', 'at', true) IS NOT NULL AS enabled;
-- a table without a stream: items are deleted all the same, without records
SELECT dynamo.create_table('TtlNoStream', 'id', 'N') IS NOT NULL AS created;
SELECT dynamo.put_item('TtlNoStream', format('{"id":{"N":"%s"}}', :now_s - 10)::jsonb) IS NOT NULL;
SELECT dynamo.update_time_to_live('TtlNoStream', 'id', true) IS NOT NULL AS enabled;
CALL dynamo.sweep_ttl();
SELECT sk > :now_s AS future_only FROM dynamo."TtlKeys";
SELECT count(*) FROM dynamo."TtlNoStream";
SELECT count(*) AS records FROM ds_take('ttl076');

-- max_items, and one transaction per batch of 100
INSERT INTO dynamo."TtlNoStream" (item)
SELECT format('{"id":{"N":"%s"}}', :now_s - 1000 - g)::jsonb FROM generate_series(1, 250) g;
CALL dynamo.sweep_ttl(1);
SELECT count(*) FROM dynamo."TtlNoStream";
SELECT dynamo.update_table('TtlNoStream', true, 'KEYS_ONLY') IS NOT NULL AS streamed;
CALL dynamo.sweep_ttl(150);
SELECT count(*) FROM dynamo."TtlNoStream";
SELECT (c.data::jsonb) ->> 'action' AS action, (c.data::jsonb) ->> 'records' AS records
  FROM pg_logical_slot_get_changes('ttl076', NULL, NULL, 'include-transaction', 'on') c
 WHERE c.data LIKE '{"action"%';
CALL dynamo.sweep_ttl(1000);
SELECT count(*) FROM dynamo."TtlNoStream";
SELECT count(*) AS records, bool_and(c.data LIKE '%"userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}%') AS all_ttl
  FROM pg_logical_slot_get_changes('ttl076', NULL, NULL) c;

-- only by CALL on its own, and never in a session with an origin
SELECT dynamo.put_item('TtlNoStream', format('{"id":{"N":"%s"}}', :now_s - 10)::jsonb) IS NOT NULL;
CALL dynamo.sweep_ttl(0);
CALL dynamo.sweep_ttl(NULL);
BEGIN;
CALL dynamo.sweep_ttl();
ROLLBACK;
SELECT count(*) FROM dynamo."TtlNoStream";
DO $$ DECLARE n bigint; BEGIN
    PERFORM dynamo.put_item('TtlNoStream', '{"id":{"N":"1"}}');
    CALL dynamo.sweep_ttl(100, n);
END $$;
CREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE plpgsql AS $$
DECLARE n bigint; BEGIN CALL dynamo.sweep_ttl(100, n); END $$;
SELECT pg_temp.f();
SELECT pg_replication_origin_session_setup('dynamo_streams_ttl');
CALL dynamo.sweep_ttl();
SELECT pg_replication_origin_session_reset();
SELECT count(*) FROM dynamo."TtlNoStream";

-- as a procedure's step on its own, it runs
DO $$ DECLARE n bigint; BEGIN
    CALL dynamo.sweep_ttl(100, n);
    RAISE NOTICE 'deleted %', n;
END $$;
SELECT count(*) FROM dynamo."TtlNoStream";

-- privileges: a sweep deletes from the tables the caller may SELECT,
-- UPDATE (row locks) and DELETE, and skips the others
CREATE ROLE ttl_sweeper;
SELECT dynamo.put_item('TtlNoStream', format('{"id":{"N":"%s"}}', :now_s - 10)::jsonb) IS NOT NULL;
GRANT SELECT, DELETE ON dynamo."TtlNoStream" TO ttl_sweeper;
SET ROLE ttl_sweeper;
CALL dynamo.sweep_ttl();
RESET ROLE;
GRANT UPDATE ON dynamo."TtlNoStream" TO ttl_sweeper;
SET ROLE ttl_sweeper;
CALL dynamo.sweep_ttl();
RESET ROLE;
REVOKE ALL ON dynamo."TtlNoStream" FROM ttl_sweeper;
DROP ROLE ttl_sweeper;

-- a sweep that fails leaves no origin behind: the session's next delete is
-- an ordinary REMOVE
CREATE FUNCTION pg_temp.boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'cannot delete this one'; END $$;
CREATE TRIGGER boom BEFORE DELETE ON dynamo."TtlNoStream" FOR EACH ROW EXECUTE FUNCTION pg_temp.boom();
SELECT dynamo.put_item('TtlNoStream', format('{"id":{"N":"%s"}}', :now_s - 10)::jsonb) IS NOT NULL;
SELECT dynamo.put_item('TtlNoStream', '{"id":{"N":"7"}}') IS NOT NULL;
CALL dynamo.sweep_ttl();
SELECT pg_replication_origin_session_is_setup() AS origin_left;
DROP TRIGGER boom ON dynamo."TtlNoStream";
SELECT dynamo.delete_item('TtlNoStream', '{"id":{"N":"7"}}');
SELECT c.data::jsonb ->> 'eventName' AS event, c.data::jsonb ? 'userIdentity' AS marked
  FROM pg_logical_slot_get_changes('ttl076', NULL, NULL) c;
-- and the next sweep works
CALL dynamo.sweep_ttl();

-- clean up: no TTL index may outlive the suite (DROP EXTENSION later)
SELECT dynamo.delete_table(t) IS NOT NULL AS deleted FROM unnest(ARRAY['TtlSweep', 'TtlKeys', 'TtlNoStream']) t;
SELECT pg_drop_replication_slot('ttl076');
RESET dynamo_streams.ttl_update_interval;
