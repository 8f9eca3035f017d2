#!/usr/bin/env bash
# Runs every dynamo_streams test on a throwaway server and cleans up:
# pg_regress suites (sql/, expected/), isolation specs (test/isolation/),
# TAP tests (test/t/) and end-to-end tests with real AWS client libraries
# (test/e2e/).  Run as root on a fresh Debian 12 machine, or as a user who
# has the packages already.  DS_ONLY=regress|isolation|tap|e2e runs one part;
# REGRESS="a b" narrows pg_regress to those suites.
source "$(dirname "$0")/lib.sh"

ds_base_packages
ds_need_packages libipc-run-perl perl
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || ds_need_packages nodejs npm

ds_setup_work
ds_build_install
ds_start_server

only=${DS_ONLY:-all}
failed=()

run_regress() {
	local tests=${REGRESS:-$(cd "$DS_SRC/sql" && ls [0-9]*.sql | sed 's/\.sql$//' | sort)}
	ds_log "pg_regress: $(echo $tests | wc -w) suites"
	ds_as_user "$DS_PGXS_DIR/src/test/regress/pg_regress" \
		--inputdir="$DS_SRC" --outputdir="$DS_WORK/regress" --bindir="$DS_BIN" \
		--host="$DS_SOCK" --port="$DS_PORT" --user=postgres \
		--dbname=contrib_regression $tests ||
		{ cat "$DS_WORK/regress/regression.diffs" 2>/dev/null | head -300
		  rm -rf "$DS_ROOT/results" && cp -r "$DS_WORK/regress/results" "$DS_ROOT/results" 2>/dev/null || true
		  failed+=(regress); }
}

run_isolation() {
	local specs
	specs=$(cd "$DS_SRC/test/isolation/specs" 2>/dev/null && ls *.spec 2>/dev/null | sed 's/\.spec$//' | sort) || true
	[ -n "$specs" ] || return 0
	ds_log "isolation: $(echo $specs | wc -w) specs"
	ds_as_user "$DS_PGXS_DIR/src/test/isolation/pg_isolation_regress" \
		--inputdir="$DS_SRC/test/isolation" --outputdir="$DS_WORK/isolation" \
		--bindir="$DS_BIN" --host="$DS_SOCK" --port="$DS_PORT" --user=postgres \
		--dbname=isolation_regression $specs ||
		{ cat "$DS_WORK/isolation/regression.diffs" 2>/dev/null | head -300
		  rm -rf "$DS_ROOT/output_iso" && cp -r "$DS_WORK/isolation/results" "$DS_ROOT/output_iso" 2>/dev/null || true
		  failed+=(isolation); }
}

run_tap() {
	ls "$DS_SRC"/test/t/*.pl >/dev/null 2>&1 || return 0
	ds_log "TAP tests"
	mkdir -p "$DS_WORK/tap" && { [ "$(id -u)" -ne 0 ] || chown "$DS_USER" "$DS_WORK/tap"; }
	(cd "$DS_WORK/tap" && ds_as_user env TESTDIR="$DS_WORK/tap" \
		PG_REGRESS="$DS_PGXS_DIR/src/test/regress/pg_regress" \
		DS_TEST_CONF="$DS_SRC/test/postgresql.conf" \
		prove -I "$DS_PGXS_DIR/src/test/perl" -I "$DS_SRC/test/t" "$DS_SRC"/test/t/*.pl) ||
		{ tail -n 80 "$DS_WORK"/tap/tmp_check/log/regress_log_* 2>/dev/null; failed+=(tap); }
}

run_e2e() {
	[ -f "$DS_SRC/test/e2e/package.json" ] || return 0
	ds_log "end-to-end tests with AWS client libraries"
	(cd "$DS_SRC/test/e2e" && ds_as_user npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
		ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres PSQL="$DS_BIN/psql" \
		node --test) || failed+=(e2e)
}

case $only in
all) run_regress; run_isolation; run_tap; run_e2e ;;
regress) run_regress ;;
isolation) run_isolation ;;
tap) run_tap ;;
e2e) run_e2e ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
	ds_log "FAILED: ${failed[*]} (server log: $DS_WORK/server.log; DS_KEEP=1 keeps it)"
	tail -n 30 "$DS_WORK/server.log" >&2 || true
	exit 1
fi
ds_log "all tests passed"
