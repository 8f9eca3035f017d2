#!/usr/bin/env bash
# test/bench/run.sh: run every benchmark script in test/bench/ (make bench).
#
# Each test/bench/*.sh sets up and removes its own throwaway server through
# test/lib.sh, so they run one after another and do not share state.  The
# scripts print figures; they are benchmarks, not tests, and do not judge
# them.  Pass script names (e.g. items) to run only those.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
	scripts=()
	for s in "$@"; do scripts+=("$dir/${s%.sh}.sh"); done
else
	scripts=()
	for s in "$dir"/*.sh; do
		[ "$(basename "$s")" = run.sh ] || scripts+=("$s")
	done
fi
rc=0
for s in "${scripts[@]}"; do
	printf '\033[1m==> benchmark %s\033[0m\n' "$(basename "$s" .sh)" >&2
	bash "$s" || { echo "benchmark $(basename "$s") failed" >&2; rc=1; }
done
exit $rc
