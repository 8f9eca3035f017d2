#!/usr/bin/env bash
# test/bench/pages.sh: cost of a full 1 MB page of dynamo.query and
# dynamo.scan against plain SQL reading the same rows.
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it fills one partition of an item table
# with DS_BENCH_ITEMS items of about 1 KB, then runs pgbench (1 client,
# prepared statements) for
#   (a) dynamo.query of the partition without limit (the page stops at 1 MB)
#   (b) dynamo.scan without limit (the same page)
#   (c) the anchor: SELECT jsonb_agg(item) of the same number of rows of the
#       item table in key order, i.e. reading the page without the per-item
#       work of query (page size count, JSON building, LastEvaluatedKey).
# Each round runs the three in rotating order; the figures are medians over
# the rounds of tps and server CPU per call, and of the per-round ratios
# query/anchor and scan/anchor (CPU per call is the steadier figure on a
# busy machine).  To compare two builds, run this script in each checkout
# and compare the ratios to the anchor.
#
# Knobs: DS_BENCH_SECONDS (10), DS_BENCH_ROUNDS (5), DS_BENCH_ITEMS (3000).
source "$(dirname "$0")/../lib.sh"

SECONDS_PER_RUN=${DS_BENCH_SECONDS:-10}
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

B=$DS_WORK/bench
mkdir -p "$B"
# chr(58) is ":", which pgbench would take for one of its variables.
echo "SELECT dynamo.query('pages', 'pk = ' || chr(58) || 'p', ('{\"' || chr(58) || 'p\": {\"S\": \"partition\"}}')::jsonb);" >"$B/query.sql"
echo "SELECT dynamo.scan('pages');" >"$B/scan.sql"
echo "SELECT jsonb_agg(item) FROM (SELECT item FROM dynamo.pages WHERE pk = 'partition' ORDER BY sk LIMIT $PAGE) s;" >"$B/anchor.sql"
[ "$(id -u)" -ne 0 ] || chown -R "$DS_USER" "$B"

ds_log "server: $(ds_psql -Atc 'SELECT version()'); ${SECONDS_PER_RUN}s per run, $ROUNDS rounds, $(nproc) CPUs"
RESULTS=$DS_WORK/results
: >"$RESULTS"

# CPU time (clock ticks) of the server's exited children.
server_child_ticks() {
	awk '{ print $16 + $17 }' "/proc/$(head -n 1 "$DS_DATA/postmaster.pid")/stat"
}

# run NAME ROUND: one pgbench run; appends "NAME ROUND tps us-per-call".
run() {
	local name=$1 round=$2 tps n t0 t1 us
	t0=$(server_child_ticks)
	ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		"$DS_BIN/pgbench" -n -M prepared -c 1 -j 1 -T "$SECONDS_PER_RUN" \
		-f "$B/$name.sql" postgres >"$B/$name.$round.log" 2>&1 || true
	sleep 1
	t1=$(server_child_ticks)
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$B/$name.$round.log")
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$B/$name.$round.log")
	[ -n "$tps" ] && [ -n "$n" ] && [ "$n" -gt 0 ] ||
		{ echo "pgbench $name failed:" >&2; tail -n 20 "$B/$name.$round.log" >&2; exit 1; }
	us=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
	printf '%-7s round %d  %8.1f tps  %9.1f us server CPU/call\n' "$name" "$round" "$tps" "$us"
	echo "$name $round $tps $us" >>"$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
	case $((r % 3)) in
	1) run query $r; run scan $r; run anchor $r ;;
	2) run anchor $r; run query $r; run scan $r ;;
	0) run scan $r; run anchor $r; run query $r ;;
	esac
done

awk -v rounds="$ROUNDS" '
	function median(arr, name,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= rounds; i++) a[++n] = arr[name, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ tps[$1, $2] = $3; cpu[$1, $2] = $4 }
	END {
		printf "\n%-8s %10s %12s %22s\n", "", "tps", "us CPU/call", "CPU/call vs anchor"
		split("query scan anchor", names, " ")
		for (k = 1; k <= 3; k++) {
			d = names[k]
			for (i = 1; i <= rounds; i++) r[d, i] = cpu[d, i] / cpu["anchor", i]
			printf "%-8s %10.1f %12.1f %22.2f\n", d, median(tps, d), median(cpu, d), median(r, d)
		}
	}' "$RESULTS"
