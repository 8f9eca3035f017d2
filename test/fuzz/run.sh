#!/usr/bin/env bash
# test/fuzz/run.sh: fuzz every SQL function of dynamo_streams on a throwaway
# server (test/lib.sh) and fail on a crash, an assertion failure, a WARNING,
# an internal error, a failed property or a rejection without an AWS
# exception name (see test/fuzz/fuzz.py).  Not part of run-tests.sh: it is
# random and slow.  Usage:
#   bash test/fuzz/run.sh [ROUNDS [STATEMENTS_PER_ROUND [SEED]]]
# The same SEED gives the same statements; a failing round's script, psql
# output and server log are kept under the work dir (printed on failure).
source "$(dirname "$0")/../lib.sh"

rounds=${1:-4}
count=${2:-1500}
seed=${3:-$((RANDOM * 32768 + RANDOM))}
command -v python3 >/dev/null 2>&1 || ds_need_packages python3

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server
ds_psql -d postgres -qc 'CREATE DATABASE fuzz'

failed=0
for round in $(seq 1 "$rounds"); do
	s=$((seed + round))
	sql=$DS_WORK/fuzz_$s.sql
	python3 "$DS_ROOT/test/fuzz/fuzz.py" gen --seed "$s" --count "$count" >"$sql"
	chmod 644 "$sql"
	ds_log "fuzz round $round/$rounds: seed $s, $count statements"
	start=$(wc -c <"$DS_WORK/server.log")
	ds_psql -d fuzz -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -q -f "$sql" \
		>"$DS_WORK/fuzz_$s.out" 2>"$DS_WORK/fuzz_$s.err" || true
	tail -c +"$((start + 1))" "$DS_WORK/server.log" >"$DS_WORK/fuzz_$s.log"
	if ! python3 "$DS_ROOT/test/fuzz/fuzz.py" check "$sql" "$DS_WORK/fuzz_$s.err" "$DS_WORK/fuzz_$s.log"; then
		failed=1
		DS_KEEP=1
		ds_log "round with seed $s failed: see $DS_WORK/fuzz_$s.*"
		# a crashed server restarts by itself; give it a moment
		sleep 3
	fi
done
[ "$failed" = 0 ] && ds_log "fuzzing found nothing" || exit 1
