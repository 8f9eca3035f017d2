-- 143_export_asof: a full export at a point in time.  ExportTime in the
-- past exports the table as it was then (AWS: "Time in the past from which
-- to export table data ... a snapshot of the table's state at this point in
-- time", ExportTableToPointInTime API reference), rebuilt from the stream
-- log with dynamo.table_as_of; the lines are byte for byte those a full
-- export made at that time wrote.  Ordinary stream-enabled tables export
-- their rows as the plugin maps them (the stream's NewImage bytes).  Bad
-- times raise before any file is written.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
RESET client_min_messages;
SET timezone = 'UTC';
SELECT dynamo._pump_drop_slot() IS NOT NULL AS slot_reset;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT current_setting('data_directory') || '/exports143' AS dir \gset
SELECT dynamo.create_table('AsofItems', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
CREATE TABLE asof_rows (id int PRIMARY KEY, v text, n numeric, f float8, b bytea, ok boolean, j jsonb,
                        ts timestamptz, gone int);
ALTER TABLE asof_rows DROP COLUMN gone;
SELECT dynamo.enable_stream('asof_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.pump() >= 0;

-- the lines of an export's data file, sorted
CREATE TABLE asof_buf (line text);
CREATE FUNCTION asof_lines(dir text, description jsonb) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE files json;
BEGIN
  files := pg_read_file(dir || '/' || replace(description->'ExportDescription'->>'ExportManifest',
                                              'manifest-summary', 'manifest-files'))::json;
  TRUNCATE asof_buf;
  EXECUTE format('COPY asof_buf FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                 'gzip -dc ' || quote_literal(dir || '/' || (files->>'dataFileS3Key')));
  RETURN QUERY SELECT b.line FROM asof_buf b ORDER BY b.line COLLATE "C";
END $$;
-- an error as SQLSTATE, exception name and message (times masked)
CREATE FUNCTION asof_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || coalesce(substring(d FROM '^[A-Za-z]+'), '<no detail>') || ': '
         || regexp_replace(SQLERRM, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z', '<time>', 'g');
END $$;
-- the files under the export directory
CREATE FUNCTION asof_files(dir text) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_ls_dir(dir || '/AWSDynamoDB', true, false)
$$;

-- 1. An item table: state A, exported now; then changes; then exported at
-- the time of state A.
SELECT count(dynamo.put_item('AsofItems', jsonb_build_object('pk', jsonb_build_object('S', 'p' || (i % 3)),
         'sk', jsonb_build_object('N', i::text), 'v', jsonb_build_object('S', E'q"\\/\u00e9' || i),
         'set', '{"NS":["3","1.50","2"]}'::jsonb, 'b', '{"B":"AAEC"}'::jsonb,
         'm', '{"M":{"l":{"L":[{"NULL":true},{"BOOL":false}]}}}'::jsonb)))
  FROM generate_series(1, 12) i;
SELECT dynamo.pump() > 0 AS pumped;
SELECT clock_timestamp() AS t1 \gset
SELECT dynamo.export_table_to_point_in_time('AsofItems', :'dir') AS export_then \gset
CREATE TABLE asof_then AS SELECT l FROM asof_lines(:'dir', :'export_then') l;
SELECT count(*) AS lines_then FROM asof_then;
SELECT dynamo.put_item('AsofItems', '{"pk":{"S":"p1"},"sk":{"N":"1"},"v":{"S":"changed"}}') IS NOT NULL;
SELECT dynamo.delete_item('AsofItems', '{"pk":{"S":"p2"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('AsofItems', '{"pk":{"S":"new"},"sk":{"N":"1"},"v":{"S":"inserted"}}') IS NOT NULL;
SELECT dynamo.pump() > 0 AS pumped;
SELECT dynamo.export_table_to_point_in_time('AsofItems', :'dir', export_time => :'t1') AS export_asof \gset
SELECT dynamo.export_table_to_point_in_time('AsofItems', :'dir') AS export_now \gset
-- the export at t1 is the export made at t1, byte for byte, and is
-- table_as_of(t1); the export now differs
SELECT (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_lines(:'dir', :'export_asof') l)
     = (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_then) AS asof_equals_then,
       (SELECT array_agg(l::jsonb->'Item' ORDER BY l COLLATE "C") FROM asof_lines(:'dir', :'export_asof') l)
     = (SELECT array_agg(i ORDER BY dynamo._item_json(i) COLLATE "C")
          FROM dynamo.table_as_of('AsofItems', :'t1') i) AS asof_equals_table_as_of,
       (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_lines(:'dir', :'export_now') l)
     = (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_then) AS now_equals_then;
SELECT e->>'ExportStatus' AS status, e->>'ItemCount' AS items, e->>'ExportType' AS type,
       (e->>'ExportTime')::numeric = round(extract(epoch FROM :'t1'::timestamptz), 3) AS export_time_is_t1,
       (pg_read_file(:'dir' || '/' || (e->>'ExportManifest'))::json->>'exportTime')
         = to_char(:'t1'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS manifest_export_time
  FROM (SELECT :'export_asof'::jsonb->'ExportDescription' e) x;
SELECT (:'export_now'::jsonb->'ExportDescription'->>'ItemCount') AS items_now;
SELECT l FROM asof_lines(:'dir', :'export_asof') l WHERE l LIKE '%"p1"%"N":"1"}%';

-- 2. An ordinary table: its rows as the stream's NewImage carries them
INSERT INTO asof_rows VALUES
  (1, 'one', 1.50, 0.1, '\x0001', true, '{"a":[1,"x",null]}', '2026-01-02 03:04:05.678+01'),
  (2, E'two "q" \u00e9', -2e30, 1e-7, NULL, false, NULL, NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT dynamo.pump() > 0 AS pumped;
SELECT clock_timestamp() AS t2 \gset
SELECT dynamo.export_table_to_point_in_time('asof_rows', :'dir') AS rows_then \gset
SELECT l FROM asof_lines(:'dir', :'rows_then') l;
SELECT count(*) AS lines,
       count(*) FILTER (WHERE substr(l, 9, length(l) - 9) IN
                        (SELECT (x::json->'dynamodb'->'NewImage')::text
                           FROM dynamo.export_records((SELECT stream_arn FROM dynamo._tables WHERE table_name = 'asof_rows')) x)) AS same_bytes_as_stream
  FROM asof_lines(:'dir', :'rows_then') l;
CREATE TABLE asof_rows_then AS SELECT l FROM asof_lines(:'dir', :'rows_then') l;
UPDATE asof_rows SET v = 'uno' WHERE id = 1;
DELETE FROM asof_rows WHERE id = 2;
INSERT INTO asof_rows (id, v) VALUES (4, 'four');
SELECT dynamo.pump() > 0 AS pumped;
SELECT dynamo.export_table_to_point_in_time('asof_rows', :'dir', export_time => :'t2') AS rows_asof \gset
SELECT (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_lines(:'dir', :'rows_asof') l)
     = (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_rows_then) AS rows_asof_equals_then;
SELECT dynamo.export_table_to_point_in_time('asof_rows', :'dir') AS rows_now \gset
SELECT l FROM asof_lines(:'dir', :'rows_now') l;
-- an ordinary table without a stream is refused now, but its history
-- still answers a past time
SELECT dynamo.disable_stream('asof_rows') IS NOT NULL;
SELECT asof_err(format($$SELECT dynamo.export_table_to_point_in_time('asof_rows', %L)$$, :'dir'));
SELECT (SELECT array_agg(l ORDER BY l COLLATE "C")
          FROM asof_lines(:'dir', dynamo.export_table_to_point_in_time('asof_rows', :'dir', export_time => :'t2')) l)
     = (SELECT array_agg(l ORDER BY l COLLATE "C") FROM asof_rows_then) AS disabled_asof_equals_then;

-- 3. Bad times: raised before any file is written
SELECT asof_files(:'dir') AS files_before \gset
SELECT asof_err(format($$SELECT dynamo.export_table_to_point_in_time('AsofItems', %L, export_time => now() + interval '1 minute')$$, :'dir'));
SELECT asof_err(format($$SELECT dynamo.export_table_to_point_in_time('AsofItems', %L, export_time => now() - interval '1 day')$$, :'dir'));
SELECT dynamo.create_table('AsofNoStream', 'pk', 'S') IS NOT NULL;
SELECT asof_err(format($$SELECT dynamo.export_table_to_point_in_time('AsofNoStream', %L, export_time => now() - interval '1 second')$$, :'dir'));
-- trim the oldest record of each shard (as dynamo.trim() would)
UPDATE dynamo._shards sh SET trimmed_seq = (SELECT min(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = sh.shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'AsofItems')
   AND EXISTS (SELECT FROM dynamo._records r WHERE r.shard_no = sh.shard_no);
SELECT asof_err(format($$SELECT dynamo.export_table_to_point_in_time('AsofItems', %L, export_time => %L)$$, :'dir', :'t1'));
SELECT asof_files(:'dir') = :files_before AS no_files_written;
-- a present or NULL time is now
SELECT (dynamo.export_table_to_point_in_time('AsofItems', :'dir', export_time => now())->'ExportDescription'->>'ItemCount') AS items_at_now;

SELECT dynamo.delete_table('AsofItems') IS NOT NULL, dynamo.delete_table('AsofNoStream') IS NOT NULL;
DROP TABLE asof_rows, asof_then, asof_rows_then, asof_buf;
DROP FUNCTION asof_lines(text, jsonb), asof_err(text), asof_files(text);
SELECT dynamo._pump_drop_slot() IS NOT NULL AS slot_dropped;
