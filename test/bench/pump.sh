#!/usr/bin/env bash
# test/bench/pump.sh: the stream log pump's throughput against raw logical
# decoding of the same WAL (issue 7, item 12).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it
#  1. creates the item table of test/bench/decode.sh (NEW_AND_OLD_IMAGES),
#     the pump's slot (the first dynamo.pump()) and a second slot on the
#     plugin, before any write, so that both see the very same WAL;
#  2. writes decode.sh's workload: 200,000 INSERTs, 200,000 MODIFYs and
#     100,000 REMOVEs of items of about 250 bytes, 1,000 rows per transaction;
#  3. times raw pg_logical_slot_peek_changes of the second slot, format=pump
#     (what the pump reads) and format=lambda (the default), output discarded
#     in the server (DS_BENCH_REPS rounds, median);
#  4. times the pump writing all of it into the stream log: dynamo.pump()
#     steps of DS_BENCH_STEP changes (default: no limit, one step), each in
#     its own transaction, until the slot is empty; then checks the log
#     holds every record once, and (amcheck) that every index holds every row.
# Reports the ratio pump / raw format=pump peek (target: at most 2.5).
#
# Knobs: DS_BENCH_INSERTS (200000), DS_BENCH_MODIFIES (200000),
# DS_BENCH_REMOVES (100000), DS_BENCH_BATCH (1000), DS_BENCH_REPS (3),
# DS_BENCH_STEP (max_changes of each pump step; empty = no limit).
source "$(dirname "$0")/../lib.sh"

INSERTS=${DS_BENCH_INSERTS:-200000}
MODIFIES=${DS_BENCH_MODIFIES:-200000}
REMOVES=${DS_BENCH_REMOVES:-100000}
BATCH=${DS_BENCH_BATCH:-1000}
REPS=${DS_BENCH_REPS:-3}
STEP=${DS_BENCH_STEP:-NULL}

BENCH_CONF="shared_buffers = 1GB
max_wal_size = 20GB
checkpoint_timeout = 1h
autovacuum = off"

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server
echo "$BENCH_CONF" >>"$DS_DATA/postgresql.conf"
ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" -l "$DS_WORK/server.log" -w restart >/dev/null

# The item of key @K@, version @V@: about 250 bytes by DynamoDB's size rules.
ITEM="jsonb_build_object(
	'pk', jsonb_build_object('S', 'user#' || lpad(@K@::text, 7, '0')),
	'name', jsonb_build_object('S', 'Customer ' || @K@),
	'email', jsonb_build_object('S', 'customer' || @K@ || '@example.com'),
	'visits', jsonb_build_object('N', @V@::text),
	'balance', jsonb_build_object('N', (@K@ % 1000)::text || '.25'),
	'active', jsonb_build_object('BOOL', true),
	'tags', jsonb_build_object('SS', jsonb_build_array('bench', 'dynamo', 'streams')),
	'address', jsonb_build_object('M', jsonb_build_object(
		'street', jsonb_build_object('S', @K@ || ' Main Street'),
		'city', jsonb_build_object('S', 'Springfield'),
		'zip', jsonb_build_object('S', '12345'))),
	'note', jsonb_build_object('S', repeat('x', 75)))"
item() { local s=${ITEM//@K@/$1}; echo "${s//@V@/$2}"; }

ds_log "setting up the item table and the two slots"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('bench', 'pk', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES') \\g /dev/null
SQL
ds_psql -q -c "SELECT dynamo.pump()" >/dev/null
ds_psql -q -c "SELECT pg_create_logical_replication_slot('bench_raw', 'dynamo_streams')" >/dev/null
ds_psql -q <<SQL
CREATE PROCEDURE bench_write(op text, lo int, hi int)
LANGUAGE plpgsql AS \$\$
BEGIN
	FOR s IN lo .. hi - 1 BY $BATCH LOOP
		IF op = 'insert' THEN
			INSERT INTO dynamo.bench (pk, item)
			SELECT 'user#' || lpad(k::text, 7, '0'), $(item k 0)
			  FROM generate_series(s, least(s + $BATCH, hi) - 1) k;
		ELSIF op = 'modify' THEN
			UPDATE dynamo.bench SET item = jsonb_set(item, '{visits,N}', '"1"')
			 WHERE pk >= 'user#' || lpad(s::text, 7, '0')
			   AND pk < 'user#' || lpad(least(s + $BATCH, hi)::text, 7, '0');
		ELSE
			DELETE FROM dynamo.bench
			 WHERE pk >= 'user#' || lpad(s::text, 7, '0')
			   AND pk < 'user#' || lpad(least(s + $BATCH, hi)::text, 7, '0');
		END IF;
		COMMIT;
	END LOOP;
END
\$\$;
CREATE FUNCTION bench_peek(slot text, VARIADIC opts text[] DEFAULT '{}', OUT ms float8, OUT n bigint)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	SELECT count(*) INTO n FROM pg_logical_slot_peek_changes(slot, NULL, NULL, VARIADIC opts);
	ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
END
\$\$;
-- pump until the slot is empty, one transaction per step
CREATE PROCEDURE bench_pump(step bigint, INOUT ms float8 DEFAULT 0, INOUT n bigint DEFAULT 0, INOUT steps int DEFAULT 0)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz := clock_timestamp();
	got bigint;
BEGIN
	LOOP
		got := dynamo.pump(step);
		COMMIT;
		steps := steps + 1;
		n := n + got;
		EXIT WHEN got = 0;
	END LOOP;
	ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
END
\$\$;
SQL

ds_log "workload: $INSERTS inserts, $MODIFIES modifies, $REMOVES removes ($BATCH rows per transaction)"
ds_psql -q -c "CALL bench_write('insert', 0, $INSERTS)" \
	-c "CALL bench_write('modify', 0, $MODIFIES)" \
	-c "CALL bench_write('remove', 0, $REMOVES)"
ds_log "server: $(ds_psql -Atc 'SELECT version()'); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"

RAW=()
LAMBDA=()
ds_log "raw peeks, $REPS rounds"
for ((r = 1; r <= REPS; r++)); do
	read -r ms n < <(ds_psql -AtF ' ' -c "SELECT round(ms::numeric, 1), n FROM bench_peek('bench_raw', 'format', 'pump')")
	printf 'raw peek format=pump    round %d %10.1f ms %9d rows\n' "$r" "$ms" "$n"
	RAW+=("$ms")
	read -r ms n < <(ds_psql -AtF ' ' -c "SELECT round(ms::numeric, 1), n FROM bench_peek('bench_raw')")
	printf 'raw peek format=lambda  round %d %10.1f ms %9d rows\n' "$r" "$ms" "$n"
	LAMBDA+=("$ms")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
raw=$(median "${RAW[@]}")
lambda=$(median "${LAMBDA[@]}")

ds_log "pumping (max_changes per step: $STEP)"
read -r pms pn psteps < <(ds_psql -AtF ' ' -c "CALL bench_pump($STEP)" | tr '|' ' ')
printf 'pump                           %10.1f ms %9d records in %d steps\n' "$pms" "$pn" "$psteps"
ds_log "check: $(ds_psql -Atc "SELECT count(*) || ' records in the log, ' || count(DISTINCT sequence_number) || ' distinct'
                                 FROM dynamo._records")"
# every index of the log holds every record (the pump inserts the key
# index's entries sorted, apart from the others): amcheck, heapallindexed
ds_log "check: $(ds_psql -qAt -c "CREATE EXTENSION IF NOT EXISTS amcheck" \
	-c "SELECT count(bt_index_check(i.indexrelid, true)) || ' indexes of the log verified (amcheck, heapallindexed)'
	      FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid
	     WHERE h.inhparent = 'dynamo._records'::regclass")"
printf '\nmedian raw peek format=pump %.1f ms, format=lambda %.1f ms; pump %.1f ms\n' "$raw" "$lambda" "$pms"
printf 'ratio pump / raw peek (format=pump): %.2f (target <= 2.5); pump / raw peek (format=lambda): %.2f\n' \
	"$(echo "$pms / $raw" | bc -l)" "$(echo "$pms / $lambda" | bc -l)"
ds_psql -q -c "SELECT dynamo._pump_drop_slot()" -c "SELECT pg_drop_replication_slot('bench_raw')" >/dev/null
