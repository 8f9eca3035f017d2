-- 070_record_render: the record model.  One WAL decoded as format=lambda,
-- format=streams and format=pump; every pump row rendered again with
-- dynamo.render_record must equal the plugin's own JSON record byte for
-- byte (each view type, each event, item tables and ordinary tables, TTL
-- deletes, no-ops, records without their images).  Then the hash-slots
-- option: disjoint slot ranges split the records without loss.
\set VERBOSITY terse
SELECT 'slot' FROM pg_create_logical_replication_slot('rr070', 'dynamo_streams');
SELECT dynamo.create_table('RrKeys', 'pk', 'S', 'sk', 'N', 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('RrNew', 'pk', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('RrOld', 'pk', 'B', stream_view_type => 'OLD_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('RrBoth', 'pk', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
CREATE TABLE rr_rows (id int PRIMARY KEY, v text, f float8, j jsonb);
CREATE TABLE "rr.keys" (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('rr_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.enable_stream('"rr.keys"', 'KEYS_ONLY') IS NOT NULL;

-- inserts, modifies, removes of every table
SELECT count(dynamo.put_item(t, jsonb_build_object('pk', jsonb_build_object(k, v), 'sk', '{"N":"1"}'::jsonb,
                                                    'a', jsonb_build_object('S', 'x' || i),
                                                    'm', '{"M":{"n":{"N":"1.50"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}}'::jsonb)))
  FROM (VALUES ('RrKeys', 'S', 'k1'), ('RrNew', 'S', 'n1'), ('RrOld', 'B', 'AAE='), ('RrBoth', 'N', '7')) t(t, k, v),
       generate_series(1, 2) i;
SELECT count(dynamo.put_item(t, jsonb_build_object('pk', jsonb_build_object(k, v), 'sk', '{"N":"1"}'::jsonb,
                                                    'a', '{"SS":["b","a","\"q\"\t"]}'::jsonb)))
  FROM (VALUES ('RrKeys', 'S', 'k1'), ('RrNew', 'S', 'n1'), ('RrOld', 'B', 'AAE='), ('RrBoth', 'N', '7')) t(t, k, v);
INSERT INTO rr_rows VALUES (1, 'one', 0.1, '{"a":[1,"two",null]}'), (2, E'tab\there', 'NaN', NULL);
UPDATE rr_rows SET v = 'uno' WHERE id = 1;
UPDATE rr_rows SET id = 3 WHERE id = 2;
UPDATE rr_rows SET v = v WHERE id = 1;
INSERT INTO "rr.keys" VALUES (1, 'x');
DELETE FROM "rr.keys";
-- a record larger than max-record-bytes (with that option)
SELECT dynamo.put_item('RrBoth', jsonb_build_object('pk', '{"N":"8"}'::jsonb, 'big', jsonb_build_object('S', repeat('b', 3000)))) IS NOT NULL;
-- TTL deletes (replication origin dynamo_streams_ttl)
SELECT pg_replication_origin_session_setup('dynamo_streams_ttl');
SELECT dynamo.delete_item('RrKeys', '{"pk":{"S":"k1"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT count(dynamo.delete_item(t, jsonb_build_object('pk', jsonb_build_object(k, v))))
  FROM (VALUES ('RrNew', 'S', 'n1'), ('RrOld', 'B', 'AAE=')) t(t, k, v);
DELETE FROM rr_rows WHERE id = 3;
SELECT pg_replication_origin_session_reset();
SELECT dynamo.delete_item('RrBoth', '{"pk":{"N":"7"}}') IS NOT NULL;
DELETE FROM rr_rows;

-- the pump rows, split at tabs, and rendered again (record rows only: the
-- no-op rows, N1, are sql/086_pump_noops.sql's)
CREATE FUNCTION rr_pump(VARIADIC opts text[] DEFAULT '{}') RETURNS TABLE (n bigint, f text[])
LANGUAGE sql AS $$
  SELECT row_number() OVER (), string_to_array(c.data, E'\t')
    FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, VARIADIC opts || '{format,pump}'::text[]) c
   WHERE c.data LIKE 'R1%'
$$;
CREATE FUNCTION rr_render(format text, f text[]) RETURNS text LANGUAGE sql AS $$
  SELECT dynamo.render_record(format, f[11]::json #>> '{}', s.stream_view_type, f[5], f[2],
           '2000-01-01 00:00:00+00'::timestamptz + (f[6]::bigint / 1000000) * interval '1 second'
             + (f[6]::bigint % 1000000) * interval '1 microsecond',
           f[12], nullif(f[13], ''), nullif(f[14], ''), f[8]::bigint,
           f[9] LIKE '%t%', nullif(f[10], ''), f[9] LIKE '%n%')
    FROM dynamo._streams s WHERE s.stream_arn = f[11]::json #>> '{}'
$$;
CREATE FUNCTION rr_compare(VARIADIC opts text[] DEFAULT '{}') RETURNS TABLE (records bigint, lambda_identical bigint,
  streams_identical bigint, pump_fields bigint, omitted bigint, ttl bigint, noop bigint)
LANGUAGE sql AS $$
  WITH l AS (SELECT row_number() OVER () n, data FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, VARIADIC opts || '{format,lambda}'::text[])),
       s AS (SELECT row_number() OVER () n, data FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, VARIADIC opts || '{format,streams}'::text[])),
       p AS (SELECT * FROM rr_pump(VARIADIC opts))
  SELECT count(*),
         count(*) FILTER (WHERE l.data = rr_render('lambda', p.f)),
         count(*) FILTER (WHERE s.data = rr_render('streams', p.f)),
         count(*) FILTER (WHERE cardinality(p.f) = 14 AND p.f[1] = 'R1'
                          AND p.f[2] = l.data::jsonb->'dynamodb'->>'SequenceNumber'
                          AND p.f[3]::pg_lsn < p.f[4]::pg_lsn),
         count(*) FILTER (WHERE p.f[10] <> ''),
         count(*) FILTER (WHERE p.f[9] LIKE '%t%'),
         count(*) FILTER (WHERE p.f[9] LIKE '%n%')
    FROM l FULL JOIN s USING (n) FULL JOIN p USING (n)
$$;
SELECT * FROM rr_compare();
SELECT * FROM rr_compare('include-noop', 'on');
SELECT * FROM rr_compare('max-record-bytes', '1kB');
-- every event name, view type and table kind was compared
SELECT f[5] AS event, s.stream_view_type, t.kind, count(*)
  FROM rr_pump('include-noop', 'on') p JOIN dynamo._streams s ON s.stream_arn = p.f[11]::json #>> '{}'
  JOIN dynamo._tables t ON t.stream_arn = s.stream_arn
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- the ARN is a JSON string in the pump row
SELECT DISTINCT f[11] ~ '^"arn:aws:dynamodb:us-east-1:000000000000:table/rr\.keys/stream/[-0-9T:.]{23}"$' AS arn_ok
  FROM rr_pump() WHERE f[11] LIKE '%rr.keys%';
-- the omitted record: decided by the Lambda rendering's length
SELECT f[5], f[8], f[10], f[13] = '' AS no_new, f[14] = '' AS no_old
  FROM rr_pump('max-record-bytes', '1kB') WHERE f[10] <> '';

-- hash-slots: disjoint slot ranges partition the records; numbers unchanged
CREATE FUNCTION rr_seqs(VARIADIC opts text[] DEFAULT '{}') RETURNS SETOF text LANGUAGE sql AS $$
  SELECT data::jsonb->'dynamodb'->>'SequenceNumber'
    FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, VARIADIC opts)
$$;
SELECT (SELECT array_agg(x ORDER BY x) FROM rr_seqs() x) =
       (SELECT array_agg(x ORDER BY x) FROM (
          SELECT * FROM rr_seqs('hash-slots', '0-3/16') UNION ALL
          SELECT * FROM rr_seqs('hash-slots', '4/16') UNION ALL
          SELECT * FROM rr_seqs('hash-slots', '5-15/16')) u(x)) AS union_is_whole;
SELECT (SELECT count(*) FROM rr_seqs('hash-slots', '0/2')) > 0 AS some_in_0,
       (SELECT count(*) FROM rr_seqs('hash-slots', '1/2')) > 0 AS some_in_1,
       (SELECT count(*) FROM rr_seqs('hash-slots', '0-0/1')) = (SELECT count(*) FROM rr_seqs()) AS one_slot_all;
-- each record lands where its key hash says, and one key always in one slot
SELECT bool_and((f[7]::numeric + CASE WHEN f[7]::numeric < 0 THEN 18446744073709551616 ELSE 0 END) % 16 BETWEEN 4 AND 9)
  FROM rr_pump('hash-slots', '4-9/16');
SELECT count(DISTINCT f[12]) AS keys, count(DISTINCT f[7]) AS hashes,
       count(DISTINCT (f[12], f[7])) AS pairs
  FROM rr_pump();
-- BEGIN/COMMIT rows only around the records of the reader's slots
SELECT count(*) FILTER (WHERE data LIKE '{"action":"BEGIN"%') <= count(*) FILTER (WHERE data LIKE '{"eventID"%')
  FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', '3/16', 'include-transaction', 'on');

-- bad options
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', '4-3/16');
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', '16/16');
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', '0/0');
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', '1-2');
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'hash-slots', ' 1/2');
SELECT count(*) FROM pg_logical_slot_peek_changes('rr070', NULL, NULL, 'format', 'pump', 'include-xids', 'on');

-- render_record's own checks
SELECT dynamo.render_record('xml', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'INSERT', repeat('1', 40), now(), '{}', size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:x', 'KEYS_ONLY', 'INSERT', repeat('1', 40), now(), '{}', size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'ALL', 'INSERT', repeat('1', 40), now(), '{}', size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'UPSERT', repeat('1', 40), now(), '{}', size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'INSERT', '12', now(), '{}', size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'INSERT', repeat('1', 40), now(), NULL, size_bytes => 0);
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'INSERT', repeat('1', 40), now(), '{}');
SELECT dynamo.render_record('lambda', 'arn:aws:dynamodb:r:1:table/t/stream/l', 'KEYS_ONLY', 'INSERT', repeat('1', 40), now(), '{}', size_bytes => 0, omitted => 'lost');
SELECT dynamo.render_record('streams', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000',
                            'KEYS_ONLY', 'REMOVE', '1000000000000000000001000000000000000010',
                            '2026-01-01 00:00:01.9+00', '{"k":{"S":"a"}}', size_bytes => 2, ttl => true, omitted => 'error');

SELECT pg_drop_replication_slot('rr070');
SELECT dynamo.delete_table(t) IS NOT NULL FROM unnest('{RrKeys,RrNew,RrOld,RrBoth}'::text[]) t;
SELECT dynamo.disable_stream('rr_rows') IS NOT NULL;
SELECT dynamo.disable_stream('"rr.keys"') IS NOT NULL;
DROP TABLE rr_rows, "rr.keys";
