#!/usr/bin/env bash
# test/bench/http_push.sh: push delivery (issue 10, item 7).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) with the Lambda Invoke API stub of the
# tests (test/e2e/lib/lambda-stub.mjs, answering {} at once) on loopback:
#   1. throughput: DS_BENCH_RECORDS (20,000) records of 4 shards, pumped
#      into the stream log first; then, side by side in one run, the time
#      to deliver them all with batch_size 100
#        pull  a PL/pgSQL loop of receive_batch + complete_batch, each in a
#              transaction of its own (as a client's two calls), no network;
#        push  the delivery worker, to the stub over HTTP;
#      printed as records per second and the ratio push / pull (target at
#      least 0.5);
#   2. latency: with the workers running, DS_BENCH_ROUNDS (200) single-item
#      commits with a random pause of 20-120 ms; commit (clock read just
#      before COMMIT) to the stub receiving the record: median, p90, p99.
source "$(dirname "$0")/../lib.sh"

RECORDS=${DS_BENCH_RECORDS:-20000}
ROUNDS=${DS_BENCH_ROUNDS:-200}

ds_base_packages
command -v node >/dev/null 2>&1 || ds_need_packages nodejs
ds_setup_work
ds_build_install
ds_start_server
echo "dynamo_streams.http_allowed_hosts = '127.0.0.1'" >>"$DS_DATA/postgresql.conf"
ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" reload >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$DS_WORK/stub.log
touch "$LOG"; chmod 666 "$LOG"
setsid node "$DS_ROOT/test/e2e/lib/lambda-stub.mjs" "$PORT" "$LOG" 0 >"$DS_WORK/stub.out" 2>&1 </dev/null &
STUB=$!
trap 'kill $STUB 2>/dev/null; ds_cleanup' EXIT
for _ in $(seq 100); do grep -q listening "$DS_WORK/stub.out" && break; sleep 0.05; done

ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('bench', 'pk', stream_view_type => 'NEW_IMAGE') \g /dev/null
SELECT dynamo.pump() \g /dev/null
SELECT dynamo.put_item('bench', jsonb_build_object('pk', jsonb_build_object('S', 'k' || g),
         'v', jsonb_build_object('S', repeat('x', 100)))) FROM generate_series(1, $RECORDS) g \g /dev/null
SELECT dynamo.create_event_source_mapping('pull', dynamo.describe_table('bench')->'Table'->>'LatestStreamArn',
         'TRIM_HORIZON', batch_size => 100) \g /dev/null
SELECT dynamo.create_event_source_mapping('ok', dynamo.describe_table('bench')->'Table'->>'LatestStreamArn',
         'TRIM_HORIZON', batch_size => 100,
         function_url => 'http://127.0.0.1:$PORT/2015-03-31/functions/ok/invocations') \g /dev/null
CREATE PROCEDURE bench_pull(INOUT n bigint DEFAULT 0) LANGUAGE plpgsql AS \$\$
DECLARE b record;
BEGIN
    LOOP
        SELECT * INTO b FROM dynamo.receive_batch('pull');
        EXIT WHEN NOT FOUND;
        COMMIT;
        n := n + json_array_length(b.event -> 'Records');
        PERFORM dynamo.complete_batch(b.batch_id);
        COMMIT;
    END LOOP;
END \$\$;
SQL

until [ "$(ds_psql -At -c 'SELECT dynamo.pump()')" = 0 ]; do :; done
caught_up="SELECT bool_and(state IN ('CaughtUp', 'Done')) FROM dynamo.event_source_mapping_checkpoints WHERE function_name = 'ok'"
t0=$(date +%s.%N)
pulled=$(ds_psql -At -c 'CALL bench_pull()')
t1=$(date +%s.%N)
ds_psql -At -c 'SELECT dynamo.start()' >/dev/null
until [ "$(ds_psql -At -c "$caught_up")" = t ]; do sleep 0.05; done
t2=$(date +%s.%N)
pushed=$(grep -c '"ev":"answered"' "$LOG")
python3 - "$RECORDS" "$pulled" "$t0" "$t1" "$t2" "$pushed" <<'PY'
import sys
n, pulled, t0, t1, t2, pushed = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:6]), int(sys.argv[6])
pull, push = n / (t1 - t0), n / (t2 - t1)
print(f"throughput, {n} records, batch_size 100 ({pulled} pulled, {pushed} pushed batches answered):")
print(f"  pull (receive_batch + complete_batch): {pull:9.0f} records/s  ({t1 - t0:.2f} s)")
print(f"  push (HTTP to the stub):               {push:9.0f} records/s  ({t2 - t1:.2f} s)")
print(f"  ratio push / pull: {push / pull:.2f} (target at least 0.5)")
PY

# latency: commit to the stub receiving the record
ds_psql -q <<SQL
SELECT dynamo.create_table('lat', 'pk', stream_view_type => 'NEW_IMAGE') \g /dev/null
SELECT pg_sleep(1) \g /dev/null
SELECT dynamo.create_event_source_mapping('ok', dynamo.describe_table('lat')->'Table'->>'LatestStreamArn',
         'TRIM_HORIZON', function_url => 'http://127.0.0.1:$PORT/2015-03-31/functions/ok/invocations') \g /dev/null
CREATE TABLE commits (pk text, at float8);
CREATE PROCEDURE bench_commits(n int) LANGUAGE plpgsql AS \$\$
BEGIN
    FOR i IN 1..n LOOP
        PERFORM dynamo.put_item('lat', jsonb_build_object('pk', jsonb_build_object('S', 'l' || i)));
        INSERT INTO commits VALUES ('l' || i, extract(epoch FROM clock_timestamp()) * 1000);
        COMMIT;
        PERFORM pg_sleep(0.02 + random() * 0.1);
    END LOOP;
END \$\$;
SQL
ds_psql -q -c "CALL bench_commits($ROUNDS)"
sleep 2
ds_psql -At -F ' ' -c "SELECT r.sequence_number, c.at FROM commits c
  JOIN dynamo._records r ON r.keys::jsonb = jsonb_build_object('pk', jsonb_build_object('S', c.pk))" >"$DS_WORK/commits.txt"
python3 - "$LOG" "$DS_WORK/commits.txt" <<'PY'
import json, sys
recv = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e['ev'] == 'recv':
        for s in e['seqs']:
            recv.setdefault(s, e['t'])
lat = sorted(recv[s] - float(t) for s, t in (l.split() for l in open(sys.argv[2])) if s in recv)
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"latency, commit to handler, {len(lat)} rounds: median {q(0.5):.1f} ms, p90 {q(0.9):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1]:.1f} ms")
PY
