#!/usr/bin/env bash
# test/bench/ttl.sh: cost of a TTL sweep (dynamo.sweep_ttl) against a plain
# DELETE of the same rows (issue 7, item 8).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it loads DS_BENCH_KEYS (100000) items of
# about 150 bytes with a TTL attribute expiresAt a day ahead into one item
# table with TTL enabled, then, DS_BENCH_ROUNDS (5) times, writes
# DS_BENCH_EXPIRED (1000, 1%) more items already expired (not timed) and
# times (psql \timing, wall clock of the statement) one of:
#   sweep          CALL dynamo.sweep_ttl(<expired>): batches of 100 found
#                  through the TTL index, each its own transaction, under
#                  the TTL replication origin
#   sweep_noindex  the same with the TTL index dropped (every batch reads
#                  the whole table): what the index saves
#   delete         DELETE FROM dynamo.bench WHERE pk = ANY(<the keys>): the
#                  same rows by primary key, in one transaction (the anchor)
# and prints the median time of each and the ratios to delete.
source "$(dirname "$0")/../lib.sh"

KEYS=${DS_BENCH_KEYS:-100000}
EXPIRED=${DS_BENCH_EXPIRED:-1000}
ROUNDS=${DS_BENCH_ROUNDS:-5}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "loading $KEYS items"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('bench', 'pk') \\g /dev/null
SELECT dynamo.update_time_to_live('bench', 'expiresAt', true) \\g /dev/null
INSERT INTO dynamo.bench (pk, item)
SELECT 'user#' || k, jsonb_build_object('pk', jsonb_build_object('S', 'user#' || k),
       'name', jsonb_build_object('S', 'Customer ' || k),
       'expiresAt', jsonb_build_object('N', (extract(epoch FROM now())::bigint + 86400)::text),
       'note', jsonb_build_object('S', repeat('x', 80)))
  FROM generate_series(1, $KEYS) k;
VACUUM ANALYZE dynamo.bench;
SQL

# expire: write EXPIRED expired items (keys exp#1..).
expire() {
	ds_psql -q -c "INSERT INTO dynamo.bench (pk, item)
SELECT 'exp#' || k, jsonb_build_object('pk', jsonb_build_object('S', 'exp#' || k),
       'name', jsonb_build_object('S', 'Customer ' || k),
       'expiresAt', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 60)::text),
       'note', jsonb_build_object('S', repeat('x', 80)))
  FROM generate_series(1, $EXPIRED) k" -c "VACUUM ANALYZE dynamo.bench"
}

# timed SQL: the time in ms of the statement; checks it deleted EXPIRED rows.
timed() {
	local out
	out=$(ds_psql -At -c '\timing on' -c "$1" 2>&1)
	local left
	left=$(ds_psql -Atc "SELECT count(*) FROM dynamo.bench WHERE pk LIKE 'exp#%'")
	[ "$left" = 0 ] || { echo "$1 left $left expired items: $out" >&2; exit 1; }
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n 1
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A times
for kind in sweep delete sweep_noindex; do
	[ "$kind" != sweep_noindex ] ||
		ds_psql -q -c "DO \$\$ BEGIN EXECUTE format('DROP INDEX dynamo.%I', '_ttl_' || 'dynamo.bench'::regclass::oid); END \$\$"
	list=()
	for r in $(seq 1 "$ROUNDS"); do
		expire
		case $kind in
		sweep | sweep_noindex) list+=("$(timed "CALL dynamo.sweep_ttl($EXPIRED)")") ;;
		delete) list+=("$(timed "DELETE FROM dynamo.bench WHERE pk = ANY (ARRAY(SELECT 'exp#' || k FROM generate_series(1, $EXPIRED) k))")") ;;
		esac
	done
	times[$kind]=$(printf '%s\n' "${list[@]}" | median)
	ds_log "$kind: ${list[*]} ms"
done

printf '\n%d items, %d expired (%s%%), median of %d rounds\n' "$KEYS" "$EXPIRED" \
	"$(awk -v e="$EXPIRED" -v k="$KEYS" 'BEGIN { printf "%.1f", 100 * e / k }')" "$ROUNDS"
printf '%-14s %10s\n' run 'ms' sweep "${times[sweep]}" sweep_noindex "${times[sweep_noindex]}" delete "${times[delete]}"
awk -v s="${times[sweep]}" -v n="${times[sweep_noindex]}" -v d="${times[delete]}" 'BEGIN {
	printf "\nsweep / delete = %.2f   sweep_noindex / delete = %.1f   sweep_noindex / sweep = %.1f\n", s / d, n / d, n / s }'
