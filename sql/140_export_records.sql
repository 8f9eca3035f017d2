-- 140_export_records: dynamo.export_records streams a range of a stream's
-- records.  Every row is byte for byte the record that get_records, the
-- plugin (format=lambda, format=streams) and dynamo.render_record give for
-- the same change: each view type, each event, an item table and an
-- ordinary table, a TTL delete.  It works in FROM, in a SELECT list, under
-- LIMIT (the cursor is closed early) and with COPY (SELECT ...) TO a file;
-- trimmed records are left out; bad input gets AWS-style errors.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- a pump slot of its own: one left by earlier suites may hold WAL of
-- relations dropped since
SELECT dynamo._pump_drop_slot() IS NOT NULL AS slot_reset;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('ExBoth', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('ExKeys', 'pk', 'N', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('ExOld', 'pk', 'B', stream_view_type => 'OLD_IMAGE') IS NOT NULL;
CREATE TABLE ex_rows (id int PRIMARY KEY, v text, j jsonb);
SELECT dynamo.enable_stream('ex_rows', 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.pump() >= 0;
-- a slot that sees the same changes as the pump, for the plugin's renderings
SELECT 'slot' FROM pg_create_logical_replication_slot('ex140', 'dynamo_streams');

SELECT count(dynamo.put_item('ExBoth', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 3)),
         'sk', jsonb_build_object('N', (i / 3)::text), 'v', jsonb_build_object('S', E'v"\\\t' || i),
         'm', '{"M":{"n":{"N":"1.50"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}}'::jsonb)))
  FROM generate_series(1, 12) i;
SELECT dynamo.put_item('ExBoth', '{"pk":{"S":"k1"},"sk":{"N":"0"},"v":{"SS":["b","a"]}}') IS NOT NULL;
SELECT dynamo.delete_item('ExBoth', '{"pk":{"S":"k2"},"sk":{"N":"0"}}') IS NOT NULL;
SELECT count(dynamo.put_item('ExKeys', jsonb_build_object('pk', jsonb_build_object('N', i::text), 'x', '{"B":"AAE="}'::jsonb)))
  FROM generate_series(1, 5) i;
SELECT dynamo.put_item('ExOld', '{"pk":{"B":"AAE="},"x":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.put_item('ExOld', '{"pk":{"B":"AAE="},"x":{"N":"2"}}') IS NOT NULL;
INSERT INTO ex_rows VALUES (1, 'one', '{"a":[1,"two",null]}'), (2, E'tab\there', NULL);
UPDATE ex_rows SET v = 'uno' WHERE id = 1;
DELETE FROM ex_rows WHERE id = 2;
-- TTL deletes (userIdentity)
SELECT pg_replication_origin_session_setup('dynamo_streams_ttl');
SELECT dynamo.delete_item('ExKeys', '{"pk":{"N":"5"}}') IS NOT NULL;
SELECT dynamo.delete_item('ExOld', '{"pk":{"B":"AAE="}}') IS NOT NULL;
SELECT pg_replication_origin_session_reset();
SELECT dynamo.pump() AS pumped;

CREATE FUNCTION ex_arn(t text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = t ORDER BY stream_id DESC LIMIT 1
$$;
-- all records of a table through get_records: every shard, parents first
CREATE FUNCTION ex_get_records(t text) RETURNS TABLE (seq text, rec text) LANGUAGE plpgsql AS $$
DECLARE sh record; it text; page json;
BEGIN
  FOR sh IN SELECT x->>'ShardId' AS id
              FROM json_array_elements((dynamo.describe_stream(ex_arn(t))::json)->'StreamDescription'->'Shards') x LOOP
    it := dynamo.get_shard_iterator(ex_arn(t), sh.id, 'TRIM_HORIZON')->>'ShardIterator';
    LOOP
      page := dynamo.get_records(it, 1000);
      RETURN QUERY SELECT r->'dynamodb'->>'SequenceNumber', r::text FROM json_array_elements(page->'Records') r;
      EXIT WHEN json_array_length(page->'Records') = 0 OR page->>'NextShardIterator' IS NULL;
      it := page->>'NextShardIterator';
    END LOOP;
  END LOOP;
END $$;
-- the plugin's records of a table, in sequence order
CREATE FUNCTION ex_plugin(t text, fmt text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT data FROM pg_logical_slot_peek_changes('ex140', NULL, NULL, 'format', fmt, 'tables', t)
   ORDER BY data::json->'dynamodb'->>'SequenceNumber'
$$;
-- the log's records rendered by render_record
CREATE FUNCTION ex_render(t text, fmt text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT dynamo.render_record(fmt, s.stream_arn, s.stream_view_type, r.event_name, r.sequence_number,
                              r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted)
    FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
   WHERE s.stream_arn = ex_arn(t) ORDER BY r.sequence_number
$$;
CREATE FUNCTION ex_same(t text) RETURNS TABLE (records bigint, vs_get_records boolean, vs_plugin_lambda boolean,
    vs_plugin_streams boolean, vs_render_lambda boolean, vs_render_streams boolean, ndjson_is_lambda boolean,
    in_select_list boolean, in_sequence_order boolean)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM dynamo.export_records(ex_arn(t))),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'streams') x)
           = (SELECT array_agg(rec ORDER BY seq) FROM ex_get_records(t)),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'lambda') x)
           = (SELECT array_agg(x) FROM ex_plugin(t, 'lambda') x),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), NULL, NULL, 'streams') x)
           = (SELECT array_agg(x) FROM ex_plugin(t, 'streams') x),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t)) x)
           = (SELECT array_agg(x) FROM ex_render(t, 'lambda') x),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'streams') x)
           = (SELECT array_agg(x) FROM ex_render(t, 'streams') x),
         (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'ndjson') x)
           = (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'lambda') x),
         (SELECT array_agg(x) FROM (SELECT dynamo.export_records(ex_arn(t), format => 'streams')) s(x))
           = (SELECT array_agg(x) FROM dynamo.export_records(ex_arn(t), format => 'streams') x),
         (SELECT bool_and(s > p) FROM (SELECT x::json->'dynamodb'->>'SequenceNumber' s,
                                              lag(x::json->'dynamodb'->>'SequenceNumber') OVER () p
                                         FROM dynamo.export_records(ex_arn(t)) x) q WHERE p IS NOT NULL)
$$;
SELECT t, s.* FROM unnest('{ExBoth,ExKeys,ExOld,ex_rows}'::text[]) t, ex_same(t) s;
-- every event name and the TTL delete were compared
SELECT x::json->>'eventName' AS event, (x::json->'userIdentity')::text AS user_identity, count(*)
  FROM unnest('{ExBoth,ExKeys,ExOld,ex_rows}'::text[]) t, dynamo.export_records(ex_arn(t), format => 'streams') x
 GROUP BY 1, 2 ORDER BY 1, 2;
-- more records than one batch (1000): every one, in order, once
SELECT count(dynamo.put_item('ExKeys', jsonb_build_object('pk', jsonb_build_object('N', (100 + i)::text))))
  FROM generate_series(1, 2500) i;
SELECT dynamo.pump() AS pumped;
SELECT count(*), count(DISTINCT x), (SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'ExKeys') AS in_log
  FROM dynamo.export_records(ex_arn('ExKeys')) x;
SELECT * FROM ex_same('ExKeys');

-- time ranges: [from, to), NULL is open
SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'), now() - interval '1 hour', now() + interval '1 hour');
SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'), now() + interval '1 hour');
SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'), NULL, now() - interval '1 hour');
SELECT count(*) = (SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'))) AS from_first_is_all
  FROM dynamo.export_records(ex_arn('ExBoth'), (SELECT min(created_at) FROM dynamo.stream_records WHERE table_name = 'ExBoth'));
SELECT count(*) AS to_first_is_none
  FROM dynamo.export_records(ex_arn('ExBoth'), NULL, (SELECT min(created_at) FROM dynamo.stream_records WHERE table_name = 'ExBoth'));

-- LIMIT stops the scan early; the cursor is closed, and the next scan in
-- the same transaction starts afresh
BEGIN;
SELECT x::json->>'eventName' FROM dynamo.export_records(ex_arn('ExBoth')) x LIMIT 2;
SELECT dynamo.export_records(ex_arn('ExKeys')) IS NOT NULL FROM generate_series(1, 1) LIMIT 1;
SELECT count(*) FROM pg_cursors WHERE name LIKE 'dynamo_export_%';
SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'));
COMMIT;
SELECT count(*) FROM pg_cursors WHERE name LIKE 'dynamo_export_%';

-- COPY (SELECT ...) TO a file: one record a line, the bytes of the records
-- (CSV with a quote and a delimiter that JSON text never holds raw, so
-- that COPY escapes nothing)
SELECT current_setting('data_directory') || '/ex140.ndjson' AS ex_file \gset
COPY (SELECT dynamo.export_records(ex_arn('ExBoth'), format => 'ndjson'))
  TO :'ex_file' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT pg_read_file(:'ex_file') = (SELECT string_agg(x, E'\n') || E'\n' FROM ex_plugin('ExBoth', 'lambda') x) AS file_is_plugin_lines;
-- (plain text COPY would escape the backslashes of JSON strings)
SELECT count(*) FILTER (WHERE x LIKE '%\\%') > 0 AS has_backslashes FROM dynamo.export_records(ex_arn('ExBoth')) x;

-- trimmed records are left out, as get_records leaves them out
UPDATE dynamo._shards h SET trimmed_seq = (SELECT min(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = h.shard_no)
 WHERE h.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = ex_arn('ExBoth'));
SELECT (SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'))) AS exported,
       (SELECT count(*) FROM ex_get_records('ExBoth')) AS via_get_records;
SELECT records, vs_get_records, ndjson_is_lambda, in_select_list, in_sequence_order FROM ex_same('ExBoth');

-- bad input
SELECT * FROM dynamo.export_records(NULL);
SELECT * FROM dynamo.export_records('arn:aws:dynamodb:us-east-1:0:table/x');
SELECT * FROM dynamo.export_records('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2026-01-01T00:00:00.000');
SELECT * FROM dynamo.export_records(ex_arn('ExBoth'), format => 'csv');
SELECT * FROM dynamo.export_records(ex_arn('ExBoth'), format => NULL);
SELECT * FROM dynamo.export_records(ex_arn('ExBoth'), now(), now() - interval '1 second');
-- reading needs SELECT on the stream's table (errors shown without the
-- stream label, a time)
CREATE FUNCTION ex_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '/stream/[-0-9T:.]+', '/stream/<label>', 'g');
END $$;
CREATE ROLE ex140_reader;
GRANT USAGE ON SCHEMA dynamo TO ex140_reader;
SET ROLE ex140_reader;
SELECT ex_try($$SELECT count(*) FROM dynamo.export_records(ex_arn('ExBoth'))$$);
RESET ROLE;
GRANT SELECT ON dynamo."ExBoth" TO ex140_reader;
SET ROLE ex140_reader;
SELECT count(*) > 0 AS readable FROM dynamo.export_records(ex_arn('ExBoth'));
SELECT ex_try($$SELECT count(*) FROM dynamo.export_records(ex_arn('ExKeys'))$$);
RESET ROLE;
-- the log itself stays closed to the role
SET ROLE ex140_reader;
SELECT count(*) FROM dynamo._records;
RESET ROLE;
REVOKE ALL ON dynamo."ExBoth" FROM ex140_reader;
REVOKE USAGE ON SCHEMA dynamo FROM ex140_reader;
DROP ROLE ex140_reader;

SELECT pg_drop_replication_slot('ex140');
SELECT dynamo._pump_drop_slot();
