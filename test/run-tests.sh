#!/usr/bin/env bash
# Runs every dynamo_streams test on a throwaway server and cleans up:
# pg_regress suites (sql/, expected/), isolation specs (test/isolation/),
# TAP tests (test/t/) and end-to-end tests with real AWS client libraries
# (test/e2e/).  Run as root on a fresh Debian 12 machine, or as a user who
# has the packages already.  DS_ONLY=regress|isolation|docs|tap|e2e runs one
# part (docs: the examples of docs/functions/, test/docs/run-examples.pl);
# REGRESS="a b" narrows pg_regress to those suites, DS_TAP="091_x 003_y" the
# TAP tests to those files.  The pg_regress suites
# and isolation specs run through `make installcheck`.
source "$(dirname "$0")/lib.sh"

ds_base_packages
ds_need_packages libipc-run-perl perl
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || ds_need_packages nodejs npm

ds_setup_work
ds_build_install
ds_start_server

only=${DS_ONLY:-all}
failed=()

# pg_regress suites and isolation specs run through `make installcheck`
# against the throwaway server, the path a user takes with their own server
# (README, Installing into your own server).  One make per part, so that a
# failing regress suite does not hide the isolation specs' results;
# REGRESS= or ISOLATION= on the make command line narrows or skips a part.
run_installcheck() {
	local parts=$1 args=() rc=0
	case $parts in
	regress) args+=(ISOLATION=) ;;
	isolation) args+=(REGRESS=) ;;
	esac
	[ -n "${REGRESS:-}" ] && [ "$parts" = regress ] && args+=("REGRESS=$REGRESS")
	ds_log "make installcheck ($parts)"
	rm -rf "$DS_SRC/results" "$DS_SRC/output_iso" "$DS_SRC/regression.diffs"
	(cd "$DS_SRC" && ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		make -s installcheck PG_CONFIG="$DS_BIN/pg_config" "${args[@]}") || rc=$?
	[ $rc -eq 0 ] && return 0
	cat "$DS_SRC/regression.diffs" "$DS_SRC/output_iso/regression.diffs" 2>/dev/null | head -300 || true
	if [ -d "$DS_SRC/results" ]; then
		rm -rf "$DS_ROOT/results" && cp -r "$DS_SRC/results" "$DS_ROOT/results" || true
	fi
	if [ -d "$DS_SRC/output_iso/results" ]; then
		rm -rf "$DS_ROOT/output_iso" && cp -r "$DS_SRC/output_iso/results" "$DS_ROOT/output_iso" || true
	fi
	failed+=("$parts")
}

run_tap() {
	ls "$DS_SRC"/test/t/*.pl >/dev/null 2>&1 || return 0
	ds_log "TAP tests"
	mkdir -p "$DS_WORK/tap" && { [ "$(id -u)" -ne 0 ] || chown "$DS_USER" "$DS_WORK/tap"; }
	(cd "$DS_WORK/tap" && ds_as_user env TESTDIR="$DS_WORK/tap" \
		PG_REGRESS="$DS_PGXS_DIR/src/test/regress/pg_regress" \
		DS_TEST_CONF="$DS_SRC/test/postgresql.conf" \
		prove -I "$DS_PGXS_DIR/src/test/perl" -I "$DS_SRC/test/t" $(for t in ${DS_TAP:-*}; do echo "$DS_SRC/test/t/$t.pl"; done)) ||
		{ tail -n 80 "$DS_WORK"/tap/tmp_check/log/regress_log_* 2>/dev/null; failed+=(tap); }
}

# The examples of docs/functions/ must print what the pages show
# (test/docs/run-examples.pl); DS_DOCS_UPDATE=1 rewrites the outputs that
# differ, in this checkout.
run_docs() {
	ds_log "docs examples"
	if (cd "$DS_SRC" && ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		PSQL="$DS_BIN/psql" TMPDIR="$DS_WORK" DS_DOCS_UPDATE="${DS_DOCS_UPDATE:-}" \
		perl test/docs/run-examples.pl docs/functions); then
		[ "${DS_DOCS_UPDATE:-}" != 1 ] || cp "$DS_SRC"/docs/functions/*.md "$DS_ROOT/docs/functions/"
	else
		failed+=(docs)
	fi
}

run_e2e() {
	[ -f "$DS_SRC/test/e2e/package.json" ] || return 0
	ds_log "end-to-end tests with AWS client libraries"
	(cd "$DS_SRC/test/e2e" && ds_as_user npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
		ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres PSQL="$DS_BIN/psql" \
		node --test) || failed+=(e2e)
}

case $only in
all) run_installcheck regress; run_installcheck isolation; run_docs; run_tap; run_e2e ;;
regress) run_installcheck regress ;;
isolation) run_installcheck isolation ;;
docs) run_docs ;;
tap) run_tap ;;
e2e) run_e2e ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
	ds_log "FAILED: ${failed[*]} (server log: $DS_WORK/server.log; DS_KEEP=1 keeps it)"
	tail -n 30 "$DS_WORK/server.log" >&2 || true
	exit 1
fi
ds_log "all tests passed"
