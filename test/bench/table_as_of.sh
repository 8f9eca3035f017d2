#!/usr/bin/env bash
# test/bench/table_as_of.sh: dynamo.table_as_of (a table rebuilt from the
# stream log) against reading the table itself (issue 11, item 7).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it writes DS_BENCH_KEYS (100000) items of
# about 150 bytes into an item table with a NEW_AND_OLD_IMAGES stream, then
# modifies every fifth item and deletes every twentieth (so the log holds
# about 125,000 records, 1.25 per key), pumps it all into the log and
# times (psql \timing, wall clock, median of DS_BENCH_ROUNDS (5) runs):
#   table        SELECT count(*), sum(length(item::text)) FROM dynamo.bench:
#                every item read and rendered (the anchor)
#   as_of_now    the same over dynamo.table_as_of('bench', now())
#   as_of_past   the same as of a time before the modifications and deletes
# checks that table and as_of_now agree, and prints the ratios to table.
source "$(dirname "$0")/../lib.sh"

KEYS=${DS_BENCH_KEYS:-100000}
ROUNDS=${DS_BENCH_ROUNDS:-5}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "loading $KEYS items and their history"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.create_table('bench', 'pk', stream_view_type => 'NEW_AND_OLD_IMAGES') \\g /dev/null
SELECT dynamo.pump() \\g /dev/null
INSERT INTO dynamo.bench (pk, item)
SELECT 'user#' || k, jsonb_build_object('pk', jsonb_build_object('S', 'user#' || k),
       'name', jsonb_build_object('S', 'Customer ' || k),
       'visits', jsonb_build_object('N', '1'),
       'note', jsonb_build_object('S', repeat('x', 80)))
  FROM generate_series(1, $KEYS) k;
UPDATE dynamo.bench SET item = jsonb_set(item, '{visits,N}', '"2"') WHERE substr(pk, 6)::int % 5 = 0;
DELETE FROM dynamo.bench WHERE substr(pk, 6)::int % 20 = 1;
SELECT dynamo.pump() \\g /dev/null
SELECT dynamo.pump() \\g /dev/null
VACUUM ANALYZE dynamo.bench;
VACUUM ANALYZE dynamo._records;
SQL
past=$(ds_psql -Atc "SELECT max(created_at) FROM dynamo._records WHERE event_name = 'INSERT'")
records=$(ds_psql -Atc "SELECT count(*) FROM dynamo._records")
ds_log "$records records in the log"

same=$(ds_psql -Atc "SELECT (SELECT count(*) || '/' || sum(length(item::text)) FROM dynamo.bench)
                         = (SELECT count(*) || '/' || sum(length(x::text)) FROM dynamo.table_as_of('bench', now()) x)")
[ "$same" = t ] || { echo "table_as_of('bench', now()) differs from the table" >&2; exit 1; }
n_past=$(ds_psql -Atc "SELECT count(*) FROM dynamo.table_as_of('bench', '$past')")
[ "$n_past" = "$KEYS" ] || { echo "table_as_of('bench', past) has $n_past items, not $KEYS" >&2; exit 1; }

# timed SQL: the time in ms of the statement.
timed() {
	ds_psql -At -c '\timing on' -c "$1" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A sql=(
	[table]="SELECT count(*), sum(length(item::text)) FROM dynamo.bench"
	[as_of_now]="SELECT count(*), sum(length(x::text)) FROM dynamo.table_as_of('bench', now()) x"
	[as_of_past]="SELECT count(*), sum(length(x::text)) FROM dynamo.table_as_of('bench', '$past') x"
)
declare -A times
for kind in table as_of_now as_of_past; do
	list=()
	for r in $(seq 1 "$ROUNDS"); do
		list+=("$(timed "${sql[$kind]}")")
	done
	times[$kind]=$(printf '%s\n' "${list[@]}" | median)
	ds_log "$kind: ${list[*]} ms"
done

printf '\n%d items, %d records in the log, median of %d rounds\n' "$KEYS" "$records" "$ROUNDS"
printf '%-12s %10s\n' run ms table "${times[table]}" as_of_now "${times[as_of_now]}" as_of_past "${times[as_of_past]}"
awk -v t="${times[table]}" -v n="${times[as_of_now]}" -v p="${times[as_of_past]}" 'BEGIN {
	printf "\nas_of_now / table = %.1f   as_of_past / table = %.1f\n", n / t, p / t }'
