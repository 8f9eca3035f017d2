-- 131_replay_into: dynamo.replay_into applies a range of a stream's
-- records to another item table in order (put NewImage, delete on REMOVE):
-- the copy equals the source, for both view types that carry NewImage; a
-- range up to a time rebuilds the table as of then; the target's own
-- stream gets the writes; KEYS_ONLY and OLD_IMAGE streams are refused, as
-- are other key schemas, trimmed ranges and bad arguments; nothing is
-- half-applied.
\set VERBOSITY terse
-- (099_drop_extension and 100_readopt drop the extension before this
-- suite; the pump's slot survives that, with changes of the old catalog
-- that the new one cannot decode: start it again)
SET client_min_messages = warning;
SELECT count(*) = 0 AS ds_fresh FROM pg_extension WHERE extname = 'dynamo_streams' \gset
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
\if :ds_fresh
SELECT dynamo._pump_drop_slot() AS ds_dropped \gset
\endif
RESET client_min_messages;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0;
CREATE FUNCTION rp_items(tbl text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE items jsonb;
BEGIN
  EXECUTE format('SELECT COALESCE(jsonb_agg(i.item ORDER BY i.item::text), ''[]'') FROM %s i',
                 (SELECT relid FROM dynamo._tables WHERE table_name = tbl)) INTO items;
  RETURN items;
END $$;
CREATE FUNCTION rp_arn(tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = tbl ORDER BY stream_id DESC LIMIT 1
$$;
-- run q, return its error: exception name, SQLSTATE, message and detail,
-- with stream labels and sequence numbers masked
CREATE FUNCTION rp_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text; msg text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL, msg = MESSAGE_TEXT;
  RETURN regexp_replace(regexp_replace(SQLSTATE || ': ' || msg || ' / ' || det,
                        '/stream/[0-9T:.-]+', '/stream/<label>', 'g'), '[0-9]{40}', '<seq>', 'g');
END $$;
-- one workload of puts, updates and deletes on a table, in steps of
-- separate transactions; returns nothing
CREATE FUNCTION rp_work(tbl text, lo int, hi int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
  FOR g IN lo..hi LOOP
    IF g % 5 = 4 THEN
      j := dynamo.delete_item(tbl, jsonb_build_object('pk', jsonb_build_object('S', 'k' || (g % 6)),
                                                      'sk', jsonb_build_object('N', (g % 2)::text)));
    ELSIF g % 5 = 3 THEN
      j := dynamo.update_item(tbl, jsonb_build_object('pk', jsonb_build_object('S', 'k' || (g % 6)),
                                                      'sk', jsonb_build_object('N', (g % 2)::text)),
                              update_expression => 'ADD hits :one SET tags = :t',
                              expression_attribute_values => jsonb_build_object(':one', '{"N":"1"}'::jsonb,
                                  ':t', jsonb_build_object('SS', jsonb_build_array('t' || g, 'x'))));
    ELSE
      j := dynamo.put_item(tbl, jsonb_build_object('pk', jsonb_build_object('S', 'k' || (g % 6)),
                                                   'sk', jsonb_build_object('N', (g % 2)::text),
                                                   'v', jsonb_build_object('N', g::text),
                                                   'm', jsonb_build_object('M', jsonb_build_object('b', jsonb_build_object('B', 'AAE='))),
                                                   'l', jsonb_build_object('L', jsonb_build_array('{"NULL":true}'::jsonb, '{"BOOL":false}'::jsonb))));
    END IF;
  END LOOP;
END $$;

-- sources: the two view types that carry NewImage, one workload each, in
-- two parts with a time between
SELECT dynamo.create_table('RpNew', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('RpBoth', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT rp_work('RpNew', 1, 30), rp_work('RpBoth', 1, 30);
SELECT clock_timestamp() AS mid \gset
CREATE TABLE rp_mid AS SELECT rp_items('RpNew') AS rp_new, rp_items('RpBoth') AS rp_both;
SELECT pg_sleep(0.01);
SELECT rp_work('RpNew', 31, 70), rp_work('RpBoth', 31, 70);
SELECT dynamo.pump() >= 100;
SELECT jsonb_array_length(rp_items('RpNew')) AS new_items, jsonb_array_length(rp_items('RpBoth')) AS both_items;

-- 1. replaying the whole stream into a fresh table reproduces the source
SELECT dynamo.create_table('RpNewCopy', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('RpBothCopy', 'pk', 'S', 'sk', 'N') IS NOT NULL;
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpNewCopy') AS applied_new,
       dynamo.replay_into(rp_arn('RpBoth'), 'RpBothCopy') AS applied_both,
       (SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'RpNew') AS records_new;
SELECT rp_items('RpNewCopy') = rp_items('RpNew') AS same_new, rp_items('RpBothCopy') = rp_items('RpBoth') AS same_both;
-- the target's own stream saw the writes (its consumers fire again): one
-- record per change, none for the no-op re-puts a replay makes
SELECT dynamo.pump() > 0;
SELECT event_name, count(*) FROM dynamo.stream_records WHERE table_name = 'RpNewCopy' GROUP BY 1 ORDER BY 1;
SELECT (SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'RpNewCopy') =
       (SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'RpBoth') AS one_record_per_change;
-- replaying again goes through the same states once more: the same end
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpNewCopy') AS applied_again;
SELECT rp_items('RpNewCopy') = rp_items('RpNew') AS same_again;

-- 2. a point in time: the records before mid rebuild the table as of mid
SELECT dynamo.create_table('RpPit', 'pk', 'S', 'sk', 'N') IS NOT NULL;
SELECT dynamo.replay_into(rp_arn('RpBoth'), 'RpPit', to_time => :'mid') > 0;
SELECT rp_items('RpPit') = m.rp_both AS as_of_mid,
       rp_items('RpPit') = (SELECT jsonb_agg(x ORDER BY x::text) FROM dynamo.table_as_of('RpBoth', :'mid') x) AS same_as_table_as_of
  FROM rp_mid m;
-- then rerun the rest (from mid) on it: the source's final state
SELECT dynamo.replay_into(rp_arn('RpBoth'), 'RpPit', from_time => :'mid') > 0;
SELECT rp_items('RpPit') = rp_items('RpBoth') AS rerun_rest;
-- by sequence numbers: up to and including one record, then from the next
SELECT dynamo.create_table('RpSeq', 'pk', 'S', 'sk', 'N') IS NOT NULL;
SELECT sequence_number AS cut FROM dynamo.stream_records WHERE table_name = 'RpNew'
 ORDER BY sequence_number OFFSET 20 LIMIT 1 \gset
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpSeq', to_sequence_number => :'cut') AS first_part;
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpSeq', from_sequence_number => :'cut') AS second_part;
SELECT rp_items('RpSeq') = rp_items('RpNew') AS by_sequence_numbers;
-- both bounds at once, and an empty range
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpSeq', from_sequence_number => :'cut', to_sequence_number => :'cut');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpSeq', from_time => now() + interval '1 day');

-- 3. an ordinary table's stream (a primary key update is REMOVE + INSERT)
-- replays into an item table with the same key attributes
CREATE TABLE rp_rows (id int, region text, note text, PRIMARY KEY (id, region));
SELECT dynamo.enable_stream('rp_rows', 'NEW_IMAGE') IS NOT NULL;
INSERT INTO rp_rows VALUES (1, 'eu', 'one'), (2, 'us', 'two'), (3, 'eu', 'three');
UPDATE rp_rows SET id = 10 WHERE id = 1;
DELETE FROM rp_rows WHERE id = 3;
SELECT dynamo.pump() >= 5;
SELECT dynamo.create_table('RpRowsCopy', 'id', 'N', 'region', 'S') IS NOT NULL;
SELECT dynamo.replay_into(rp_arn('rp_rows'), 'RpRowsCopy');
SELECT rp_items('RpRowsCopy') = (SELECT jsonb_agg(dynamo.marshall(to_jsonb(r)) ORDER BY dynamo.marshall(to_jsonb(r))::text)
                                   FROM rp_rows r) AS same_rows;

-- 4. refused: view types without NewImage, other key schemas, trimmed
-- ranges, records without their NewImage, bad arguments
SELECT dynamo.create_table('RpKeys', 'pk', 'S', 'sk', 'N', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('RpOld', 'pk', 'S', 'sk', 'N', stream_view_type => 'OLD_IMAGE') IS NOT NULL;
SELECT rp_work('RpKeys', 1, 3), rp_work('RpOld', 1, 3);
SELECT dynamo.pump() >= 6;
SELECT dynamo.create_table('RpEmpty', 'pk', 'S', 'sk', 'N') IS NOT NULL;
SELECT rp_err($$SELECT dynamo.replay_into(rp_arn('RpKeys'), 'RpEmpty')$$);
SELECT rp_err($$SELECT dynamo.replay_into(rp_arn('RpOld'), 'RpEmpty')$$);
SELECT dynamo.create_table('RpOtherKey', 'pk', 'S') IS NOT NULL;
SELECT dynamo.create_table('RpOtherType', 'pk', 'S', 'sk', 'S') IS NOT NULL;
\set VERBOSITY default
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpOtherKey');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpOtherType');
\set VERBOSITY terse
-- a source table that is gone: the records' Keys are checked one by one
SELECT dynamo.create_table('RpGone', 'pk', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.put_item('RpGone', '{"pk":{"S":"g"}}') IS NOT NULL;
SELECT dynamo.pump() >= 1;
SELECT rp_arn('RpGone') AS gone_arn \gset
SELECT dynamo.delete_table('RpGone') IS NOT NULL;
SELECT rp_err(format($$SELECT dynamo.replay_into(%L, 'RpEmpty')$$, :'gone_arn'));
SELECT dynamo.replay_into(:'gone_arn', 'RpOtherKey');
SELECT rp_items('RpOtherKey');
-- (and its history is still there)
SELECT event_name, new_image FROM dynamo.item_history('RpGone', '{"pk":{"S":"g"}}');
-- a record that lost its NewImage (max-record-bytes): nothing is applied
SELECT dynamo.create_table('RpBig', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT rp_work('RpBig', 1, 3);
SELECT dynamo.pump() >= 3;
UPDATE dynamo._records r SET new_image = NULL, omitted = 'max-record-bytes'
 WHERE r.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'RpBig')
   AND r.sequence_number = (SELECT max(sequence_number) FROM dynamo._records x WHERE x.stream_id = r.stream_id);
SELECT rp_err($$SELECT dynamo.replay_into(rp_arn('RpBig'), 'RpEmpty')$$);
SELECT rp_items('RpEmpty') AS nothing_applied;
-- a range that starts in trimmed records
UPDATE dynamo._shards sh SET trimmed_seq = (SELECT min(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = sh.shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'RpBig')
   AND EXISTS (SELECT FROM dynamo._records r WHERE r.shard_no = sh.shard_no);
SELECT rp_err($$SELECT dynamo.replay_into(rp_arn('RpBig'), 'RpEmpty', from_time => now() - interval '1 hour')$$);
SELECT rp_err($$SELECT dynamo.replay_into(rp_arn('RpBig'), 'RpEmpty', from_sequence_number => '1' || repeat('0', 39))$$);
-- bad arguments
SELECT dynamo.replay_into(NULL, 'RpEmpty');
SELECT dynamo.replay_into(rp_arn('RpNew'), NULL);
SELECT dynamo.replay_into('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000', 'RpEmpty');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'NoSuchTable');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpEmpty', from_sequence_number => '123');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpEmpty', to_sequence_number => 'abc');
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpEmpty', from_time => '2020-01-02', to_time => '2020-01-01');
SELECT rp_items('RpEmpty') AS still_empty;
-- replay writes as the caller: a role without INSERT on the target cannot
CREATE ROLE rp_writer;
GRANT SELECT ON dynamo._records TO rp_writer;
SET ROLE rp_writer;
SELECT dynamo.replay_into(rp_arn('RpNew'), 'RpEmpty');
RESET ROLE;
REVOKE SELECT ON dynamo._records FROM rp_writer;
DROP ROLE rp_writer;
