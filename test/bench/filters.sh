#!/usr/bin/env bash
# test/bench/filters.sh: cost of Lambda filter criteria per record
# (docs/filters.md).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it builds DS_BENCH_RECORDS (200000) Lambda
# event records (jsonb, about 600 bytes each: INSERT/MODIFY/REMOVE, some TTL
# deletes, NewImage and OldImage with eight attributes) and times, best of
# three runs, a count(*) over them with:
#   scan          no condition (reading the records)
#   anchor        r->>'eventName' = 'INSERT' (the same test in plain jsonb SQL)
#   event_name    FilterCriteria {"eventName":["INSERT"]}
#   ttl           the TTL-delete filter on userIdentity.type and principalId
#   five_filters  five filters ORed: nested attribute paths with prefix,
#                 suffix, anything-but, numeric, exists, equals-ignore-case
# It prints the time per record (microseconds) of each and each one's
# ratio to the anchor (both detoast and read every record).
source "$(dirname "$0")/../lib.sh"

N=${DS_BENCH_RECORDS:-200000}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "building $N records"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
CREATE TABLE recs AS
SELECT jsonb_build_object(
         'eventID', md5(i::text), 'eventName', (ARRAY['INSERT','MODIFY','REMOVE'])[1 + i % 3],
         'eventVersion', '1.1', 'eventSource', 'aws:dynamodb', 'awsRegion', 'us-east-1')
       || CASE WHEN i % 50 = 0 THEN '{"userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}}'::jsonb
               ELSE '{}' END
       || jsonb_build_object('dynamodb', jsonb_build_object(
            'ApproximateCreationDateTime', 1700000000 + i,
            'Keys', jsonb_build_object('pk', jsonb_build_object('S', 'user#' || i)),
            'NewImage', img, 'OldImage', img,
            'SequenceNumber', lpad(i::text, 40, '1'), 'SizeBytes', 100 + i % 300,
            'StreamViewType', 'NEW_AND_OLD_IMAGES'),
          'eventSourceARN', 'arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2026-01-01T00:00:00.000') AS r
  FROM (SELECT i, jsonb_build_object('pk', jsonb_build_object('S', 'user#' || i),
                 'status', jsonb_build_object('S', (ARRAY['new','paid','shipped','lost'])[1 + i % 4]),
                 'email', jsonb_build_object('S', 'u' || i || '@example.com'),
                 'qty', jsonb_build_object('N', (i % 17)::text),
                 'tags', jsonb_build_object('SS', jsonb_build_array('a' || i % 5, 'b' || i % 7)),
                 'vip', jsonb_build_object('BOOL', i % 11 = 0),
                 'note', jsonb_build_object('S', repeat('x', 40)),
                 'region', jsonb_build_object('S', (ARRAY['us-east-1','eu-west-1','ap-south-1'])[1 + i % 3])) img
          FROM generate_series(1, $N) i) s;
VACUUM ANALYZE recs;
CREATE FUNCTION fc(VARIADIC p text[]) RETURNS jsonb LANGUAGE sql AS \$\$
  SELECT jsonb_build_object('Filters', jsonb_agg(jsonb_build_object('Pattern', x))) FROM unnest(p) x
\$\$;
CREATE TABLE crit (name text PRIMARY KEY, c jsonb);
INSERT INTO crit VALUES
 ('event_name', fc('{"eventName":["INSERT"]}')),
 ('ttl', fc('{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}')),
 ('five_filters', fc(
   '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":[{"anything-but":["lost","new"]}]}}}}',
   '{"dynamodb":{"NewImage":{"email":{"S":[{"suffix":"@example.org"}]},"region":{"S":[{"prefix":"eu-"}]}}}}',
   '{"dynamodb":{"SizeBytes":[{"numeric":[">",390,"<=",399]}]}}',
   '{"dynamodb":{"NewImage":{"tags":{"SS":["a4"]},"vip":{"BOOL":[true]}}}}',
   '{"dynamodb":{"OldImage":{"status":{"S":[{"equals-ignore-case":"LOST"}]}}},"userIdentity":{"type":[{"exists":true}]}}'));
-- best of five: milliseconds of one count(*) with the given condition
CREATE FUNCTION best(cond text) RETURNS TABLE (ms float8, matched bigint) LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; m float8 := 1e12; n bigint;
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp();
    EXECUTE 'SELECT count(*) FROM recs WHERE ' || cond INTO n;
    m := least(m, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN QUERY SELECT m, n;
END \$\$;
SQL

ds_log "timing"
ds_psql -X <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM recs;  -- warm the cache
WITH runs AS (
  SELECT 1 AS o, 'scan' AS what, * FROM best('true')
  UNION ALL SELECT 2, 'anchor', * FROM best(\$\$r->>'eventName' = 'INSERT'\$\$)
  UNION ALL SELECT 3 + row_number() OVER (ORDER BY name DESC), name, b.*
    FROM crit, LATERAL best(format('dynamo._filter_criteria_match(%L::jsonb, r)', c)) b)
SELECT what, round(ms::numeric, 1) AS total_ms, matched,
       round((ms * 1000 / $N)::numeric, 3) AS us_per_record,
       round((ms / (SELECT ms FROM runs WHERE what = 'anchor'))::numeric, 2) AS ratio_to_anchor
  FROM runs ORDER BY o;
SQL
