-- 141_export_table: dynamo.export_table_to_point_in_time writes DynamoDB's
-- export-to-S3 layout into a server directory: AWSDynamoDB/<ExportId>/
-- with _started, manifest-summary.json, manifest-files.json and their
-- .checksum files, and gzip-compressed JSON-lines data files.  The files
-- are read back (gzip -dc through COPY FROM PROGRAM) and compared item by
-- item with the table (full export) and with the changes made in the
-- window (incremental export, NEW_AND_OLD_IMAGES and NEW_IMAGE); the
-- manifests' counts and MD5s are checked against the files.  Writing needs
-- superuser or pg_write_server_files, and SELECT on the table.
-- Layout and members: DynamoDB developer guide, "DynamoDB table export
-- output format" (S3DataExport.Output); incremental lines carry
-- Metadata.WriteTimestampMicros as an N value, as real exports do.
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
SELECT current_setting('data_directory') || '/exports141' AS dir \gset
SELECT dynamo.create_table('XpItems', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('XpNew', 'pk', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('XpKeys', 'pk', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
CREATE TABLE xp_rows (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('xp_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.pump() >= 0;

-- helpers: the lines of a (gzip) file, and a directory tree
CREATE TABLE xp_buf (n serial, line text);
CREATE FUNCTION xp_lines(path text, gz boolean DEFAULT true) RETURNS TABLE (n int, line text) LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE xp_buf;
  ALTER SEQUENCE xp_buf_n_seq RESTART;
  EXECUTE format('COPY xp_buf (line) FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                 CASE WHEN gz THEN 'gzip -dc ' ELSE 'cat ' END || quote_literal(path));
  RETURN QUERY SELECT b.n, b.line FROM xp_buf b ORDER BY b.n;
END $$;
CREATE FUNCTION xp_tree(dir text, sub text DEFAULT '') RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE f text;
BEGIN
  FOR f IN SELECT pg_ls_dir(dir || sub) ORDER BY 1 LOOP
    IF (pg_stat_file(dir || sub || '/' || f)).isdir THEN
      RETURN NEXT sub || '/' || f || '/';
      RETURN QUERY SELECT xp_tree(dir, sub || '/' || f);
    ELSE
      RETURN NEXT sub || '/' || f;
    END IF;
  END LOOP;
END $$;
-- the varying parts of paths: ExportIds and data file names
CREATE FUNCTION xp_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(t, '[0-9]{14}-[0-9a-f]{8}', '<ExportId>', 'g'), '/[0-9a-f]{26}\.json\.gz', '/<name>.json.gz', 'g')
$$;
-- an export's manifests and files, checked against each other
CREATE FUNCTION xp_check(dir text, description jsonb) RETURNS TABLE (summary_members text, files_members text,
  items bigint, lines bigint, md5_ok boolean, etag_ok boolean, checksums_ok boolean, started_empty boolean,
  arn_ok boolean, manifest_ok boolean)
LANGUAGE sql AS $$
  WITH d AS (SELECT description->'ExportDescription' e),
  s AS (SELECT pg_read_file(dir || '/' || (e->>'ExportManifest')) txt FROM d),
  sj AS (SELECT txt::json j FROM s),
  f AS (SELECT pg_read_file(dir || '/' || (j->>'manifestFilesS3Key')) txt FROM sj),
  fj AS (SELECT txt::json j FROM f),
  data AS (SELECT pg_read_binary_file(dir || '/' || (j->>'dataFileS3Key')) b FROM fj)
  SELECT (SELECT string_agg(k, ',') FROM sj, json_object_keys(sj.j) k),
         (SELECT string_agg(k, ',') FROM fj, json_object_keys(fj.j) k),
         (SELECT (j->>'itemCount')::bigint FROM sj),
         (SELECT count(*) FROM fj, xp_lines(dir || '/' || (fj.j->>'dataFileS3Key'))),
         (SELECT fj.j->>'md5Checksum' = encode(decode(md5(data.b), 'hex'), 'base64') FROM fj, data),
         (SELECT fj.j->>'etag' = md5(data.b) FROM fj, data),
         (SELECT pg_read_file(dir || '/' || regexp_replace(e->>'ExportManifest', '\.json$', '.checksum'))
                   = md5(convert_to((SELECT txt FROM s), 'UTF8')) || E'\n'
                 AND pg_read_file(dir || '/' || regexp_replace(sj.j->>'manifestFilesS3Key', '\.json$', '.checksum'))
                   = md5(convert_to((SELECT txt FROM f), 'UTF8')) || E'\n' FROM d, sj),
         (SELECT (pg_stat_file(dir || '/' || regexp_replace(e->>'ExportManifest', 'manifest-summary\.json$', '_started'))).size = 0 FROM d),
         (SELECT sj.j->>'exportArn' = e->>'ExportArn' AND e->>'ExportArn' = (e->>'TableArn') || '/export/'
                 || split_part(e->>'ExportManifest', '/', 2) FROM d, sj),
         (SELECT (SELECT txt FROM s) ~ '^\{[^\n]*\}\n$' AND (SELECT txt FROM f) ~ '^\{[^\n]*\}\n$')
$$;

SELECT count(dynamo.put_item('XpItems', jsonb_build_object('pk', jsonb_build_object('S', 'p' || (i % 4)),
         'sk', jsonb_build_object('N', i::text), 'v', jsonb_build_object('S', E'q"\\/\u00e9' || i),
         'set', '{"NS":["3","1.50","2"]}'::jsonb, 'b', '{"B":"AAEC"}'::jsonb,
         'm', jsonb_build_object('M', jsonb_build_object('l', '{"L":[{"NULL":true},{"BOOL":false}]}'::jsonb)))))
  FROM generate_series(1, 40) i;
SELECT count(dynamo.put_item('XpNew', jsonb_build_object('pk', jsonb_build_object('S', 'n' || i), 'v', jsonb_build_object('N', i::text))))
  FROM generate_series(1, 6) i;
SELECT dynamo.put_item('XpKeys', '{"pk":{"S":"k"}}') IS NOT NULL;
INSERT INTO xp_rows SELECT i, 'v' || i FROM generate_series(1, 5) i;
SELECT dynamo.pump() > 0 AS pumped;

-- a full export: one {"Item":...} line per item, the item's bytes as the
-- stream's NewImage carries them
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir') AS full_export \gset
SELECT xp_mask(k) AS member, xp_mask(CASE WHEN k IN ('StartTime', 'EndTime', 'ExportTime', 'TableId', 'S3Bucket')
                                          THEN jsonb_typeof(v) ELSE v::text END) AS value
  FROM jsonb_each(:'full_export'::jsonb->'ExportDescription') x(k, v) ORDER BY k;
SELECT (:'full_export'::jsonb->'ExportDescription'->>'S3Bucket') = :'dir' AS bucket_is_dir,
       (:'full_export'::jsonb->'ExportDescription'->>'TableId') = (SELECT table_id::text FROM dynamo._tables WHERE table_name = 'XpItems') AS table_id_ok;
SELECT * FROM xp_check(:'dir', :'full_export');
SELECT xp_mask(x) AS tree FROM xp_tree(:'dir') x;
CREATE TABLE xp_full AS
SELECT l.n, l.line FROM xp_lines(:'dir' || '/' || ((pg_read_file(:'dir' || '/' || (:'full_export'::jsonb->'ExportDescription'->>'ExportManifest'))::json
                                                      ->>'manifestFilesS3Key')), false) m,
       LATERAL (SELECT m.line::json->>'dataFileS3Key' k) f,
       LATERAL xp_lines(:'dir' || '/' || f.k) l;
SELECT count(*) AS lines, count(*) FILTER (WHERE line ~ '^\{"Item":\{.*\}\}$') AS item_lines,
       (SELECT count(*) FROM dynamo."XpItems") AS items,
       count(*) FILTER (WHERE (line::jsonb->'Item') IN (SELECT item FROM dynamo."XpItems")) AS equal_items,
       count(*) FILTER (WHERE substr(line, 9, length(line) - 9) IN
                        (SELECT (x::json->'dynamodb'->'NewImage')::text
                           FROM dynamo.export_records((SELECT stream_arn FROM dynamo._tables WHERE table_name = 'XpItems')) x)) AS same_bytes_as_stream
  FROM xp_full;
SELECT line FROM xp_full WHERE line LIKE '%"p1"%"N":"1"}%' ORDER BY n LIMIT 1;
-- the summary manifest, members in DynamoDB's order
SELECT xp_mask(regexp_replace(pg_read_file(:'dir' || '/' || (:'full_export'::jsonb->'ExportDescription'->>'ExportManifest')),
         '"(startTime|endTime|exportTime|tableId|s3Bucket)":"[^"]*"', '"\1":"<varies>"', 'g')) AS summary;

-- an incremental export: the changes committed in [from, to), one line per
-- item with its state before and after the window
SELECT clock_timestamp() AS t1 \gset
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"p1"},"sk":{"N":"1"},"v":{"S":"changed"}}') IS NOT NULL;
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"p1"},"sk":{"N":"1"},"v":{"S":"changed again"}}') IS NOT NULL;
SELECT dynamo.delete_item('XpItems', '{"pk":{"S":"p2"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"new"},"sk":{"N":"1"},"v":{"S":"inserted"}}') IS NOT NULL;
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"new"},"sk":{"N":"2"},"v":{"S":"short-lived"}}') IS NOT NULL;
SELECT dynamo.delete_item('XpItems', '{"pk":{"S":"new"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"new"},"sk":{"N":"3"},"v":{"S":"first"}}') IS NOT NULL;
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"new"},"sk":{"N":"3"},"v":{"S":"second"}}') IS NOT NULL;
-- a no-op write changes nothing and is not exported
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"p3"},"sk":{"N":"3"},"v":{"S":"q\"\\/\u00e93"},"set":{"NS":["1.5","2","3"]},"b":{"B":"AAEC"},"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":false}]}}}}') IS NOT NULL;
UPDATE xp_rows SET v = 'five' WHERE id = 5;
DELETE FROM xp_rows WHERE id = 4;
SELECT pg_sleep(0.01);
SELECT clock_timestamp() AS t2 \gset
-- after the window: not exported
SELECT dynamo.put_item('XpItems', '{"pk":{"S":"p1"},"sk":{"N":"1"},"v":{"S":"too late"}}') IS NOT NULL;
SELECT dynamo.pump() AS pumped;
SELECT jsonb_build_object('ExportFromTime', extract(epoch FROM :'t1'::timestamptz),
                          'ExportToTime', extract(epoch FROM :'t2'::timestamptz)) AS window \gset
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => :'window'::jsonb) AS incr \gset
SELECT xp_mask(k) AS member, xp_mask(CASE WHEN k IN ('StartTime', 'EndTime', 'TableId', 'S3Bucket')
                                          THEN jsonb_typeof(v)
                                          WHEN k = 'IncrementalExportSpecification'
                                          THEN (v - 'ExportFromTime' - 'ExportToTime')::text ELSE v::text END) AS value
  FROM jsonb_each(:'incr'::jsonb->'ExportDescription') x(k, v) ORDER BY k;
SELECT :'incr'::jsonb->'ExportDescription'->'IncrementalExportSpecification'->'ExportToTime'
         = to_jsonb(round(extract(epoch FROM :'t2'::timestamptz), 3)) AS to_ok;
SELECT (:'incr'::jsonb->'ExportDescription'->'IncrementalExportSpecification'->>'ExportFromTime')::numeric
         = round(extract(epoch FROM :'t1'::timestamptz), 3) AS from_ok;
SELECT * FROM xp_check(:'dir', :'incr');
-- the exact lines (WriteTimestampMicros: the commit time of the item's
-- last change in the window, in microseconds)
CREATE FUNCTION xp_data(description jsonb, dir text) RETURNS TABLE (n int, line text) LANGUAGE sql AS $$
  SELECT l.n, l.line
    FROM LATERAL (SELECT pg_read_file(dir || '/' || (description->'ExportDescription'->>'ExportManifest'))::json->>'manifestFilesS3Key' k) s,
         LATERAL (SELECT pg_read_file(dir || '/' || s.k)::json->>'dataFileS3Key' k) f,
         LATERAL xp_lines(dir || '/' || f.k) l
$$;
SELECT regexp_replace(line, '"WriteTimestampMicros":\{"N":"[0-9]{16}"\}', '"WriteTimestampMicros":{"N":"<micros>"}') AS line
  FROM xp_data(:'incr', :'dir') ORDER BY n;
SELECT bool_and((line::json->'Metadata'->'WriteTimestampMicros'->>'N')::numeric =
                (SELECT floor(extract(epoch FROM max(r.created_at)) * 1000000) FROM dynamo.stream_records r
                  WHERE r.table_name = 'XpItems' AND r.keys = line::jsonb->'Keys' AND r.created_at < :'t2'::timestamptz)) AS micros_ok
  FROM xp_data(:'incr', :'dir');
-- the shared data directory of incremental exports
SELECT xp_mask(x) AS tree FROM xp_tree(:'dir') x WHERE x LIKE '/AWSDynamoDB/data/%';
-- NEW_IMAGE: no OldImage; a delete is Keys only
SELECT regexp_replace(line, '"WriteTimestampMicros":\{"N":"[0-9]{16}"\}', '"WriteTimestampMicros":{"N":"<micros>"}') AS line
  FROM xp_data(dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => :'window'::jsonb || '{"ExportViewType":"NEW_IMAGE"}'), :'dir') ORDER BY n;
-- an ordinary table, and a NEW_IMAGE stream exported as NEW_IMAGE
SELECT regexp_replace(line, '"WriteTimestampMicros":\{"N":"[0-9]{16}"\}', '"WriteTimestampMicros":{"N":"<micros>"}') AS line
  FROM xp_data(dynamo.export_table_to_point_in_time('xp_rows', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => :'window'::jsonb), :'dir') ORDER BY n;
SELECT (dynamo.export_table_to_point_in_time('XpNew', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => jsonb_build_object('ExportFromTime', extract(epoch FROM now() - interval '1 hour'),
                                                                'ExportViewType', 'NEW_IMAGE')))->'ExportDescription'->'ItemCount' AS items;
-- an empty window: an empty data file, still listed
SELECT clock_timestamp() AS t3 \gset
SELECT pg_sleep(0.01);
SELECT clock_timestamp() AS t4 \gset
SELECT * FROM xp_check(:'dir', dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => jsonb_build_object('ExportFromTime', extract(epoch FROM :'t3'::timestamptz),
                                                                'ExportToTime', extract(epoch FROM :'t4'::timestamptz))));
-- a window before the table had a stream
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT',
         incremental_export_specification => jsonb_build_object('ExportFromTime', extract(epoch FROM now() - interval '10 hours'),
                                                                'ExportToTime', extract(epoch FROM now() - interval '9 hours')));
-- an empty item table: an empty data file
SELECT dynamo.create_table('XpEmpty', 'pk', 'S') IS NOT NULL;
SELECT * FROM xp_check(:'dir', dynamo.export_table_to_point_in_time('XpEmpty', :'dir'));

-- privileges: superuser or pg_write_server_files, and SELECT on the table
CREATE FUNCTION xp_try(q text, dir text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || replace(SQLERRM, dir, '<dir>');
END $$;
CREATE ROLE xp_user;
GRANT USAGE ON SCHEMA dynamo TO xp_user;
SET ROLE xp_user;
SELECT xp_try(format('SELECT dynamo.export_table_to_point_in_time(%L, %L)', 'XpItems', :'dir'), :'dir');
SELECT xp_try(format('SELECT dynamo._export_write_file(%L, %L, false)', :'dir' || '/x', 'SELECT 1'), :'dir');
SELECT xp_try(format('SELECT dynamo._export_mkdir(%L)', :'dir' || '/x'), :'dir');
RESET ROLE;
GRANT pg_write_server_files TO xp_user;
SET ROLE xp_user;
SELECT xp_try(format('SELECT dynamo.export_table_to_point_in_time(%L, %L)', 'XpItems', :'dir'), :'dir');
RESET ROLE;
GRANT SELECT ON dynamo."XpItems" TO xp_user;
SET ROLE xp_user;
SELECT xp_try(format('SELECT dynamo.export_table_to_point_in_time(%L, %L)', 'XpItems', :'dir'), :'dir');
-- the file writers stay closed to the role
SELECT xp_try(format('SELECT dynamo._export_write_file(%L, %L, false)', :'dir' || '/x', 'SELECT 1'), :'dir');
RESET ROLE;
REVOKE pg_write_server_files FROM xp_user;
REVOKE ALL ON dynamo."XpItems" FROM xp_user;
REVOKE USAGE ON SCHEMA dynamo FROM xp_user;
DROP ROLE xp_user;

-- bad input
SELECT dynamo.export_table_to_point_in_time(NULL, :'dir');
SELECT dynamo.export_table_to_point_in_time('x', :'dir');
SELECT dynamo.export_table_to_point_in_time('Nope', :'dir');
SELECT dynamo.export_table_to_point_in_time('XpItems', NULL);
SELECT dynamo.export_table_to_point_in_time('XpItems', 'relative/dir');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'PARTIAL_EXPORT');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => NULL);
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_format => 'ION');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_format => 'CSV');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', incremental_export_specification => '{}');
-- (export_time in the past and ordinary tables: 143_export_asof)
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '[]');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1,"Extra":1}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportToTime":1}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":"yesterday"}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1,"ExportToTime":"now"}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1,"ExportViewType":"KEYS_ONLY"}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1000,"ExportToTime":1000}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1,"ExportToTime":99999999999}');
SELECT dynamo.export_table_to_point_in_time('XpItems', :'dir', export_time => now(), export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1}');
SELECT dynamo.export_table_to_point_in_time('XpKeys', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1}');
SELECT dynamo.export_table_to_point_in_time('XpNew', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1}');
SELECT dynamo.export_table_to_point_in_time('XpEmpty', :'dir', export_type => 'INCREMENTAL_EXPORT', incremental_export_specification => '{"ExportFromTime":1}');
SELECT dynamo.delete_table('XpEmpty') IS NOT NULL;
SELECT dynamo._pump_drop_slot();
