#!/usr/bin/env bash
# test/bench/latency.sh: commit-to-readable latency with the background
# worker running (issue 7, item 3: median at most 100 ms, p99 at most
# 500 ms).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh, no shared_preload_libraries) it starts the
# worker with dynamo.start(), then DS_BENCH_ROUNDS (200) times writes one
# item with put_item, commits, and polls (every millisecond) until the
# change is visible, with a random pause of 20-120 ms between rounds so
# that commits do not fall in step with the worker's loop.  What "visible"
# means depends on what the server has:
#   readable  the stream log exists (dynamo._records): the change's record
#             is in the log, where GetRecords reads it.  Commit-to-readable.
#   wake      no stream log yet: the worker's woke_at (dynamo.status) is
#             past the commit.  Commit-to-worker-wake-up only, reported as
#             such; the pump's own time comes on top.
# The clock starts just before COMMIT.  Prints the mode, median, p90, p99,
# max and the number of rounds that timed out (5 s).
source "$(dirname "$0")/../lib.sh"

ROUNDS=${DS_BENCH_ROUNDS:-200}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_psql -q <<'SQL'
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('lat', 'pk', stream_view_type => 'NEW_IMAGE') \g /dev/null
SELECT dynamo.start() \g /dev/null
CREATE PROCEDURE bench_latency(n int, INOUT mode text DEFAULT NULL, INOUT ms float8[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    ok boolean;
BEGIN
    mode := CASE WHEN to_regclass('dynamo._records') IS NULL THEN 'wake' ELSE 'readable' END;
    ms := '{}';
    FOR i IN 1..n LOOP
        PERFORM dynamo.put_item('lat', jsonb_build_object('pk', jsonb_build_object('S', 'k' || i),
                                                          'v', jsonb_build_object('N', i::text)));
        t0 := clock_timestamp();
        COMMIT;
        LOOP
            IF mode = 'wake' THEN
                PERFORM pg_stat_clear_snapshot();
                SELECT woke_at INTO t1 FROM dynamo.status;
                ok := t1 >= t0;
            ELSE
                EXECUTE 'SELECT EXISTS (SELECT 1 FROM dynamo._records WHERE keys LIKE $1)'
                   INTO ok USING '%"k' || i || '"%';
                t1 := clock_timestamp();
            END IF;
            EXIT WHEN ok OR clock_timestamp() > t0 + interval '5 s';
            PERFORM pg_sleep(0.001);
        END LOOP;
        ms := ms || CASE WHEN ok THEN extract(epoch FROM t1 - t0) * 1000 END;
        PERFORM pg_sleep(0.02 + random() * 0.1);
    END LOOP;
END
$$;
SQL

ds_log "$ROUNDS commits"
ds_psql -X <<SQL
CALL bench_latency($ROUNDS) \\gset
SELECT :'mode' AS mode,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1) AS median_ms,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY x)::numeric, 1) AS p90_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY x)::numeric, 1) AS p99_ms,
       round(max(x)::numeric, 1) AS max_ms,
       count(*) FILTER (WHERE x IS NULL) AS timed_out
  FROM unnest(:'ms'::float8[]) x;
SELECT dynamo.stop() \\g /dev/null
SQL
