-- 045_decoding_settings: records depend on the WAL only, never on the
-- settings of the session that reads the slot (SET, ALTER ROLE) or of the
-- server (test/t/010_decoding_settings.pl covers postgresql.conf, ALTER
-- DATABASE and PGOPTIONS with pg_recvlogical).  The same WAL is read under
-- the defaults and under hostile settings, and the outputs are compared
-- byte for byte, across every column type the plugin maps.
\set VERBOSITY terse
CREATE SCHEMA settings_s;
CREATE TABLE settings_s.target (id int);
CREATE FUNCTION settings_s.fn(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE settings_pair AS (f float8, t timestamptz, b bytea, m money, i interval);
CREATE TABLE settings_all (
  id int PRIMARY KEY,
  t text, vc varchar(10), ch char(4), nm name,
  i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, mon money,
  b bytea, bo boolean, j json, jb jsonb,
  tstz timestamptz, ts timestamp, d date, tm time, tmtz timetz, iv interval,
  u uuid, ip inet, bits bit(4),
  f4a float4[], f8a float8[], tstza timestamptz[], tsa timestamp[], da date[], iva interval[],
  ba bytea[], mona money[], ia int[], ta text[],
  comp settings_pair, rng tstzrange, pt point, circ circle,
  rc regclass, rt regtype, rp regprocedure);
SELECT dynamo.enable_stream('settings_all', 'NEW_AND_OLD_IMAGES') #>> '{StreamSpecification,StreamViewType}' AS view;
SELECT 'init' FROM pg_create_logical_replication_slot('settings', 'dynamo_streams');
-- the writer's own settings do not matter either: the WAL holds values
SET extra_float_digits = -15;
SET TimeZone = 'Asia/Kathmandu';
INSERT INTO settings_all VALUES (1,
  'text', 'vc', 'ch', 'nm',
  -2, 4, 8, 1.1, 0.1::float8 + 0.2::float8, 1.50, 1234567.89,
  '\x00ff10', true, '{"a": [1.50, "x", null]}', '{"a": [1.50, "x", null]}',
  '2026-01-02 03:04:05.678+00', '2026-01-02 03:04:05.678', '2026-01-02', '03:04:05.5', '03:04:05+05:30',
  '1 year 2 months 3 days 04:05:06.5',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.1.2.3/8', B'1010',
  '{1.1,-0.5}', ARRAY[0.1::float8 + 0.2::float8, 1e-7, 1e300], '{"2026-01-02 03:04:05.678+00",infinity}',
  '{"2026-01-02 03:04:05"}', '{2026-01-02,-infinity}', '{"1 day","-01:00:00"}',
  ARRAY['\x00ff'::bytea, '\x41'::bytea], '{12.34,-1}', '{1,NULL,3}', '{"a b",NULL}',
  ROW(0.1::float8 + 0.2::float8, '2026-01-02 03:04:05+00', '\x01', 5.5, '36 hours'),
  '[2026-01-02 00:00:00+00,2026-01-03 00:00:00+00)', '(1.1,2.2)', '<(0.1,0.2),0.3>',
  'settings_s.target', 'settings_pair', 'settings_s.fn(int)');
INSERT INTO settings_all (id, f4, f8, n, mon, tstz, ts, d, iv, b) VALUES
  (2, '-Infinity', 'NaN', '-0.000', -0.01, '-infinity', '0044-03-15 12:00:00 BC', '0001-01-01 BC', '-1 mons -2 days +03:00:00', ''),
  (3, 3.4028235e38, 1e-320, '1e-130', '-92233720368547758.08', '294276-12-31 23:59:59.999999+00', 'infinity', 'infinity', '0', '\x'),
  (4, 1e-45, -1.7976931348623157e308, '9.9999999999999999999999999999999999999E+125', '92233720368547758.07', '1999-12-31 23:59:60+00', '2000-02-29 00:00:00.000001', '2000-02-29', '-178000000 years', '\xdeadbeef');
RESET extra_float_digits;
RESET TimeZone;
-- updates: identical values produce nothing; numbers are normalised (1.50
-- over 1.5 is no change); exact values are compared (0.3 is not 0.1 + 0.2,
-- one microsecond is a change)
UPDATE settings_all SET t = t, f8 = f8 WHERE id = 1;
UPDATE settings_all SET n = 1.5 WHERE id = 1;
UPDATE settings_all SET f8 = 0.3 WHERE id = 1;
UPDATE settings_all SET tstz = tstz + interval '1 microsecond' WHERE id = 1;
UPDATE settings_all SET iv = '14 months 3 days 04:05:06.5' WHERE id = 1;
UPDATE settings_all SET iv = '1 year 2 months 3 days 04:05:06.5' WHERE id = 1;
DELETE FROM settings_all WHERE id = 4;

-- the outputs of every read, in order
CREATE TABLE settings_reads (how text, n bigint, data text);
CREATE FUNCTION settings_read(how text) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO settings_reads
  SELECT how, row_number() OVER (), data FROM pg_logical_slot_peek_changes('settings', NULL, NULL);
  SELECT count(*) FROM settings_reads WHERE settings_reads.how = settings_read.how $$;
SELECT settings_read('defaults');
-- what the defaults give, type by type (the mapping of docs/output-plugin.md)
SELECT r.n, r.data::jsonb->>'eventName' AS ev, i.key, i.value
  FROM settings_reads r, jsonb_each(r.data::jsonb->'dynamodb'->'NewImage') i
 WHERE r.how = 'defaults' AND r.n <= 4 ORDER BY r.n, i.key;
SELECT n, data::jsonb->>'eventName' AS ev, data::jsonb->'dynamodb'->'Keys' AS keys,
       (SELECT jsonb_object_agg(o.key, o.value) FROM jsonb_each(data::jsonb->'dynamodb'->'NewImage') o
         WHERE o.value IS DISTINCT FROM data::jsonb->'dynamodb'->'OldImage'->o.key) AS changed
  FROM settings_reads WHERE how = 'defaults' AND n > 4 ORDER BY n;

-- hostile settings of the reading session
SET extra_float_digits = -15;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET TimeZone = 'America/St_Johns';
SET bytea_output = 'escape';
SET lc_monetary = 'C.UTF-8';
SET search_path = settings_s, public;
SET quote_all_identifiers = on;
SELECT settings_read('set');
-- the plugin's own fixed settings end with the read: the session keeps its
SELECT current_setting('DateStyle') AS datestyle, current_setting('TimeZone') AS tz,
       current_setting('IntervalStyle') AS intervalstyle, current_setting('extra_float_digits') AS efd,
       current_setting('bytea_output') AS bytea, current_setting('search_path') AS path,
       current_setting('quote_all_identifiers') AS quote_all;
SET extra_float_digits = 3;
SET DateStyle = 'German';
SET IntervalStyle = 'postgres_verbose';
SET TimeZone = 'Pacific/Chatham';
SELECT settings_read('set again');
RESET ALL;
-- a reader whose role carries the settings (pg_regress fixes DateStyle,
-- TimeZone and IntervalStyle for each connection, above the role's; the
-- reads above vary those)
CREATE ROLE ds_settings_reader LOGIN REPLICATION;
ALTER ROLE ds_settings_reader SET extra_float_digits = 0;
ALTER ROLE ds_settings_reader SET bytea_output = 'escape';
ALTER ROLE ds_settings_reader SET search_path = settings_s, public;
ALTER ROLE ds_settings_reader SET quote_all_identifiers = on;
GRANT INSERT, SELECT ON settings_reads TO ds_settings_reader;
\c - ds_settings_reader
\set VERBOSITY terse
SHOW extra_float_digits;
SELECT settings_read('role');
\c - postgres
\set VERBOSITY terse
-- every read is byte-identical to the defaults'
SELECT how, count(*) AS records,
       md5(string_agg(data, E'\n' ORDER BY n)) = (SELECT md5(string_agg(data, E'\n' ORDER BY n))
                                                   FROM settings_reads WHERE how = 'defaults') AS identical
  FROM settings_reads GROUP BY how ORDER BY how;
SELECT count(*) AS differing FROM (
  SELECT n, data FROM settings_reads WHERE how <> 'defaults'
  EXCEPT SELECT n, data FROM settings_reads WHERE how = 'defaults') d;

-- the issue's repro: a float update read with extra_float_digits = 0 came
-- out as a no-op (0.3 and 0.30000000000000004 printed alike) and was lost
CREATE TABLE flt (id int PRIMARY KEY, v float8);
SELECT dynamo.enable_stream('flt', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
INSERT INTO flt VALUES (1, 0.3);
UPDATE flt SET v = 0.1::float8 + 0.2::float8;
SET extra_float_digits = 0;
SELECT data::jsonb->>'eventName' AS ev, data::jsonb->'dynamodb'->'NewImage'->'v' AS new_v,
       data::jsonb->'dynamodb'->'OldImage'->'v' AS old_v
  FROM pg_logical_slot_peek_changes('settings', NULL, NULL, 'tables', 'flt');
RESET extra_float_digits;

SELECT pg_drop_replication_slot('settings');
SELECT dynamo.disable_stream('settings_all') IS NOT NULL, dynamo.disable_stream('flt') IS NOT NULL;
DROP TABLE settings_all, flt, settings_reads;
DROP FUNCTION settings_read(text);
DROP TYPE settings_pair;
DROP SCHEMA settings_s CASCADE;
DROP ROLE ds_settings_reader;
