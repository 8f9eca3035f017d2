#!/usr/bin/env bash
# test/bench/export.sh: dynamo.export_records over 500,000 records against a
# plain COPY of the same rows of the stream log (issue 11: "at most 3
# times"), and the backend's peak memory while it streams them.
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it makes an item table with a
# NEW_AND_OLD_IMAGES stream, writes DS_BENCH_RECORDS records through the
# pump (items of about 250 bytes: inserts, then modifies of the same items,
# so that half the records carry two images), then times, as wall-clock of
# `psql -c "COPY (...) TO STDOUT" > /dev/null` (the way a user exports):
#   (a) export:  COPY (SELECT dynamo.export_records(arn, format => 'lambda'))
#   (b) streams: the same with format => 'streams'
#   (c) copy:    COPY (SELECT <the stored columns> FROM dynamo._records
#                WHERE stream_id = ...): the same rows, no rendering, no order
#   (d) ordered: (c) in sequence-number order, as export_records reads them
# Each round runs the four in rotating order; the figures are the medians
# over the rounds, and the medians of the per-round ratios to (c) and (d).
# Then the backend's peak private memory (RssAnon, sampled) while it
# exports a tenth of the records and all of them, in a SELECT list and in
# FROM, each in a fresh session: flat memory means the peaks stay equal.
#
# Knobs: DS_BENCH_RECORDS (500000), DS_BENCH_ROUNDS (3).
source "$(dirname "$0")/../lib.sh"

RECORDS=${DS_BENCH_RECORDS:-500000}
ROUNDS=${DS_BENCH_ROUNDS:-3}
ITEMS=$((RECORDS / 2))

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "an item table with a NEW_AND_OLD_IMAGES stream; $ITEMS items written twice ($RECORDS records); pumping"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.pump() \\g /dev/null
SELECT dynamo.create_table('bench', 'pk', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES') \\g /dev/null
CREATE PROCEDURE bench_write(n int, round int)
LANGUAGE plpgsql AS \$\$
BEGIN
	FOR s IN 0 .. n - 1 BY 5000 LOOP
		INSERT INTO dynamo.bench (pk, item)
		SELECT 'user#' || lpad(k::text, 7, '0'), jsonb_build_object(
			'pk', jsonb_build_object('S', 'user#' || lpad(k::text, 7, '0')),
			'name', jsonb_build_object('S', 'Customer ' || k),
			'email', jsonb_build_object('S', 'customer' || k || '@example.com'),
			'visits', jsonb_build_object('N', (k % 97 + round)::text),
			'balance', jsonb_build_object('N', (k % 1000)::text || '.25'),
			'active', '{"BOOL": true}'::jsonb,
			'tags', '{"SS": ["bench", "dynamo", "streams"]}'::jsonb,
			'address', jsonb_build_object('M', jsonb_build_object(
				'street', jsonb_build_object('S', k || ' Main Street'),
				'city', '{"S": "Springfield"}'::jsonb, 'zip', '{"S": "12345"}'::jsonb)),
			'note', jsonb_build_object('S', repeat('x', 75)))
		  FROM generate_series(s, least(s + 5000, n) - 1) k
		ON CONFLICT (pk) DO UPDATE SET item = EXCLUDED.item;
		COMMIT;
	END LOOP;
END
\$\$;
SQL
for round in 0 1; do
	ds_psql -q -c "CALL bench_write($ITEMS, $round)"
	while [ "$(ds_psql -Atc "SELECT dynamo.pump(100000)")" != 0 ]; do :; done
done
ds_psql -q -c "VACUUM ANALYZE"
ds_log "$(ds_psql -Atc "SELECT count(*) || ' records (' || count(*) FILTER (WHERE event_name = 'MODIFY') || ' MODIFY), ' || pg_size_pretty(sum(octet_length(keys) + coalesce(octet_length(new_image), 0) + coalesce(octet_length(old_image), 0))) || ' of Keys and images' FROM dynamo._records")"

ARN=$(ds_psql -Atc "SELECT stream_arn FROM dynamo._streams WHERE table_name = 'bench'")
SID=$(ds_psql -Atc "SELECT stream_id FROM dynamo._streams WHERE table_name = 'bench'")
COLS="r.sequence_number, r.event_name, r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted"
declare -A Q=(
	[export]="COPY (SELECT dynamo.export_records('$ARN', format => 'lambda')) TO STDOUT"
	[streams]="COPY (SELECT dynamo.export_records('$ARN', format => 'streams')) TO STDOUT"
	[copy]="COPY (SELECT $COLS FROM dynamo._records r WHERE r.stream_id = $SID) TO STDOUT"
	[ordered]="COPY (SELECT $COLS FROM dynamo._records r WHERE r.stream_id = $SID ORDER BY r.sequence_number) TO STDOUT"
)
NAMES=(export streams copy ordered)

# check: the export is every record, once
ds_log "$(ds_psql -Atc "SELECT 'export_records gives ' || count(*) || ' rows, ' || pg_size_pretty(sum(octet_length(x))) FROM dynamo.export_records('$ARN') x")"

run_ms() {
	local t0 t1
	t0=$(date +%s%N)
	ds_psql -q -c "$1" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

declare -A T
for r in $(seq 1 "$ROUNDS"); do
	for i in 0 1 2 3; do
		n=${NAMES[$(((i + r) % 4))]}
		T[$n]+="$(run_ms "${Q[$n]}") "
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
ratio_median() {
	local a=(${T[$1]}) b=(${T[$2]}) i out=""
	for i in "${!a[@]}"; do out+="$(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.2f ", x / y}')"; done
	echo "$out" | median
}
echo
echo "export_records over $RECORDS records, COPY ... TO STDOUT through psql to /dev/null; medians of $ROUNDS rounds"
printf '%-9s %10s %10s %12s\n' case ms 'x copy' 'x ordered'
for n in "${NAMES[@]}"; do
	printf '%-9s %10s %10s %12s\n' "$n" "$(echo "${T[$n]}" | median)" "$(ratio_median "$n" copy)" "$(ratio_median "$n" ordered)"
done

# peak private memory of the backend running a query: RssAnon of its
# /proc status (anonymous memory: not the shared buffers it touches),
# sampled every 20 ms while the query runs, in a fresh session
peak_kb() {
	local bg pid max=0 kb
	ds_as_user env PGAPPNAME=bench_mem PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		"$DS_BIN/psql" -X -q -c "$1" >/dev/null &
	bg=$!
	pid=""
	while [ -z "$pid" ] && kill -0 $bg 2>/dev/null; do
		pid=$(ds_psql -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench_mem'")
	done
	while kill -0 $bg 2>/dev/null; do
		kb=$(awk '/^RssAnon:/ {print $2}' /proc/"$pid"/status 2>/dev/null || true)
		[ -n "$kb" ] && [ "$kb" -gt "$max" ] && max=$kb
		sleep 0.02
	done
	wait $bg
	echo "$max"
}
TENTH=$(ds_psql -Atc "SELECT created_at FROM dynamo._records WHERE stream_id = $SID ORDER BY sequence_number OFFSET $((RECORDS / 10)) LIMIT 1")
echo
echo "peak private memory of the backend (RssAnon, kB, sampled every 20 ms), fresh session each"
printf '%-48s %10s\n' "select list, first tenth of the records" "$(peak_kb "COPY (SELECT dynamo.export_records('$ARN', NULL, '$TENTH')) TO STDOUT")"
printf '%-48s %10s\n' "select list, all $RECORDS records" "$(peak_kb "COPY (SELECT dynamo.export_records('$ARN')) TO STDOUT")"
printf '%-48s %10s\n' "FROM (tuplestore, work_mem), first tenth" "$(peak_kb "COPY (SELECT x FROM dynamo.export_records('$ARN', NULL, '$TENTH') x) TO STDOUT")"
printf '%-48s %10s\n' "FROM (tuplestore, work_mem), all records" "$(peak_kb "COPY (SELECT x FROM dynamo.export_records('$ARN') x) TO STDOUT")"
printf '%-48s %10s\n' "plain COPY of the rows, in order, all records" "$(peak_kb "${Q[ordered]}")"
