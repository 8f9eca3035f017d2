#!/usr/bin/env bash
# test/bench/pages.sh: cost of a full 1 MB page of dynamo.query and
# dynamo.scan against plain SQL reading the same rows.
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it fills one partition of an item table
# with DS_BENCH_ITEMS items of about 1 KB, then times, in one backend, the
# backend's own CPU (utime + stime from /proc/self/stat, so that other load
# on the machine does not count) over DS_BENCH_CALLS calls of
#   (a) dynamo.query of the partition without limit (the page stops at 1 MB)
#   (b) dynamo.scan without limit (the same page)
#   (c) the anchor: SELECT jsonb_agg(item) of the same number of rows of the
#       item table in key order, i.e. reading the page without the per-item
#       work of query (page size count, JSON building, LastEvaluatedKey).
#   (d) "filtered": (a) with a FilterExpression that keeps every item and a
#       ProjectionExpression of two attributes (the per-item cost of both).
# Each round runs the three in rotating order; the figures are the medians
# over the rounds of CPU per call and of the per-round ratios query/anchor and
# scan/anchor.  To compare two builds, run this script in each checkout and
# compare the ratios to the anchor.
#
# Knobs: DS_BENCH_CALLS (200), DS_BENCH_ROUNDS (5), DS_BENCH_ITEMS (3000).
source "$(dirname "$0")/../lib.sh"

CALLS=${DS_BENCH_CALLS:-200}
ROUNDS=${DS_BENCH_ROUNDS:-5}
ITEMS=${DS_BENCH_ITEMS:-3000}

BENCH_CONF="shared_buffers = 256MB
max_wal_size = 4GB"

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server
echo "$BENCH_CONF" >>"$DS_DATA/postgresql.conf"
ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" -l "$DS_WORK/server.log" -w restart >/dev/null

# Items of about 1 KB: a few attributes of each common type and one string.
ds_log "preloading $ITEMS items into one partition"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('pages', 'pk', 'S', 'sk', 'N') \\g /dev/null
SELECT count(dynamo.put_item('pages', jsonb_build_object(
    'pk', '{"S": "partition"}'::jsonb, 'sk', jsonb_build_object('N', k::text),
    'name', jsonb_build_object('S', 'Customer ' || k), 'visits', jsonb_build_object('N', (k * 7)::text),
    'active', '{"BOOL": true}'::jsonb, 'tags', '{"SS": ["bench", "dynamo", "streams"]}'::jsonb,
    'address', '{"M": {"street": {"S": "1 Main Street"}, "city": {"S": "Springfield"}}}'::jsonb,
    'note', jsonb_build_object('S', repeat('x', 900)))))
  FROM generate_series(1, $ITEMS) k \\g /dev/null
VACUUM ANALYZE;
SQL
PAGE=$(ds_psql -Atc "SELECT dynamo.query('pages', 'pk = :p', '{\":p\": {\"S\": \"partition\"}}')->>'Count'")
ds_log "a 1 MB page holds $PAGE items; item size $(ds_psql -Atc "SELECT round(avg(dynamo.item_size(item))) FROM dynamo.pages") bytes"

# The backend's own CPU time, from /proc/self/stat (utime + stime, in clock
# ticks), so that other processes on a busy machine do not count.
ds_psql -q <<'SQL'
CREATE FUNCTION cpu_ticks() RETURNS bigint LANGUAGE sql AS $$
    SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
      FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) x
$$;
-- run(kind, n): backend CPU ticks for n calls of kind.
CREATE FUNCTION run(kind text, n int, page int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    t0 bigint := cpu_ticks();
BEGIN
    FOR i IN 1 .. n LOOP
        IF kind = 'query' THEN
            PERFORM dynamo.query('pages', 'pk = :p', '{":p": {"S": "partition"}}');
        ELSIF kind = 'filtered' THEN
            PERFORM dynamo.query('pages', 'pk = :p', '{":p": {"S": "partition"}, ":z": {"N": "0"}}',
                                 '{"#n": "name"}', filter_expression => 'visits > :z',
                                 projection_expression => 'sk, #n');
        ELSIF kind = 'scan' THEN
            PERFORM dynamo.scan('pages');
        ELSE
            PERFORM (SELECT jsonb_agg(item) FROM (SELECT item FROM dynamo.pages
                      WHERE pk = 'partition' ORDER BY sk LIMIT page) s);
        END IF;
    END LOOP;
    RETURN cpu_ticks() - t0;
END
$$;
SQL
HZ=$(getconf CLK_TCK)
ds_log "server: $(ds_psql -Atc 'SELECT version()'); $CALLS calls per run, $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=$DS_WORK/results
: >"$RESULTS"

# run NAME ROUND: CALLS calls in one backend; appends "NAME ROUND us-per-call".
run() {
	local name=$1 round=$2 ticks us
	ticks=$(ds_psql -Atc "SELECT run('$name', 1, $PAGE); SELECT run('$name', $CALLS, $PAGE)" | tail -n 1)
	us=$(awk -v t="$ticks" -v hz="$HZ" -v n="$CALLS" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
	printf '%-7s round %d  %9.1f us backend CPU/call\n' "$name" "$round" "$us"
	echo "$name $round $us" >>"$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
	case $((r % 3)) in
	1) run query $r; run scan $r; run anchor $r; run filtered $r ;;
	2) run anchor $r; run filtered $r; run query $r; run scan $r ;;
	0) run filtered $r; run scan $r; run anchor $r; run query $r ;;
	esac
done

awk -v rounds="$ROUNDS" '
	function median(arr, name,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= rounds; i++) a[++n] = arr[name, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ cpu[$1, $2] = $3 }
	END {
		printf "\n%-8s %16s %20s\n", "", "us CPU/call", "CPU/call vs anchor"
		split("query scan filtered anchor", names, " ")
		for (k = 1; k <= 4; k++) {
			d = names[k]
			for (i = 1; i <= rounds; i++) r[d, i] = cpu[d, i] / cpu["anchor", i]
			printf "%-8s %16.1f %20.3f\n", d, median(cpu, d), median(r, d)
		}
	}' "$RESULTS"
