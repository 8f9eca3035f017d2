#!/usr/bin/env bash
# test/bench/describe.sh: cost of describe_table on a large item table
# (issue 6, item 8).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it loads DS_BENCH_KEYS (200000) items of
# about 300 bytes into one item table, runs VACUUM ANALYZE (what autovacuum
# does on its own), then times with pgbench (one client, a fixed number of
# calls each, after a warm-up):
#   describe     SELECT dynamo.describe_table('bench')
#   full_scan    SELECT count(*), sum(dynamo._stored_item_size(item)) FROM dynamo.bench
#                (what describe_table ran in 0.1.0 to size the table)
#   select_1     SELECT 1 (the cost of a round trip)
# and prints the mean latency of each and their ratios.
source "$(dirname "$0")/../lib.sh"

KEYS=${DS_BENCH_KEYS:-200000}
CALLS=${DS_BENCH_CALLS:-500}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "loading $KEYS items"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('bench', 'pk') \\g /dev/null
INSERT INTO dynamo.bench (pk, item)
SELECT 'user#' || k, jsonb_build_object('pk', jsonb_build_object('S', 'user#' || k),
       'name', jsonb_build_object('S', 'Customer ' || k), 'visits', jsonb_build_object('N', k::text),
       'note', jsonb_build_object('S', repeat('x', 250)))
  FROM generate_series(1, $KEYS) k;
VACUUM ANALYZE dynamo.bench;
SQL
ds_log "table: $(ds_psql -Atc "SELECT pg_size_pretty(pg_relation_size('dynamo.bench')) || ', ' || (pg_relation_size('dynamo.bench') / 8192) || ' pages'")"
ds_log "describe_table: $(ds_psql -Atc "SELECT d->>'ItemCount' || ' items, ' || (d->>'TableSizeBytes') || ' bytes' FROM (SELECT dynamo.describe_table('bench')->'Table' d) s"); exact: $(ds_psql -Atc "SELECT count(*) || ' items, ' || sum(dynamo.item_size(item)) || ' bytes' FROM dynamo.bench")"

B=$DS_WORK/bench
mkdir -p "$B"
echo "SELECT dynamo.describe_table('bench');" >"$B/describe.sql"
echo "SELECT count(*), sum(dynamo._stored_item_size(item)) FROM dynamo.bench;" >"$B/full_scan.sql"
echo "SELECT 1;" >"$B/select_1.sql"
[ "$(id -u)" -ne 0 ] || chown -R "$DS_USER" "$B"

# run NAME CALLS: mean latency in ms of CALLS calls of $B/NAME.sql.
run() {
	ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		"$DS_BIN/pgbench" -n -c 1 -t "$2" -f "$B/$1.sql" postgres >"$B/$1.log" 2>&1 ||
		{ tail -n 20 "$B/$1.log" >&2; exit 1; }
	sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$B/$1.log"
}

run describe 20 >/dev/null; run full_scan 2 >/dev/null	# warm-up
describe=$(run describe "$CALLS")
full=$(run full_scan $((CALLS / 50 > 2 ? CALLS / 50 : 2)))
one=$(run select_1 "$CALLS")
printf '\n%-12s %12s\n' call 'ms per call'
printf '%-12s %12s\n' describe "$describe" full_scan "$full" select_1 "$one"
awk -v d="$describe" -v f="$full" -v o="$one" 'BEGIN {
	printf "\nfull_scan / describe = %.0f   describe / select_1 = %.1f\n", f / d, d / o }'
