#!/usr/bin/env bash
# test/bench/decode.sh: logical decoding speed and memory of the
# dynamo_streams output plugin against wal2json and test_decoding
# (issue 3, item 7).
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it
#  1. creates an item table with NEW_AND_OLD_IMAGES and three logical slots
#     on it -- dynamo_streams, wal2json and test_decoding -- before any write,
#     so that all three decode the very same WAL;
#  2. writes 200,000 INSERTs, 200,000 MODIFYs and 100,000 REMOVEs of items of
#     about 250 bytes with plain SQL on the item table (INSERT / UPDATE /
#     DELETE on dynamo."bench", which goes through the table's _item_guard
#     trigger like any plain-SQL write), in transactions of 1,000 rows;
#  3. times pg_logical_slot_peek_changes over the whole workload for each
#     slot (DS_BENCH_REPS repetitions, round robin, median; the output is
#     discarded with count(*) and sum(octet_length(data)) in the server);
#  4. writes one transaction of 1,000,000 INSERTs and reports the peak RSS
#     (VmHWM of /proc/<pid>/status) of a fresh backend that peeks it with
#     dynamo_streams, and of one that peeks it with test_decoding.
#
# Options of each plugin: dynamo_streams with its defaults (format lambda:
# full Lambda event records); wal2json with format-version 2 (one JSON row per
# change, plus B/C rows per transaction, its defaults otherwise);
# test_decoding with its defaults.
#
# Knobs: DS_BENCH_INSERTS (200000), DS_BENCH_MODIFIES (200000),
# DS_BENCH_REMOVES (100000), DS_BENCH_BATCH (1000 rows per transaction),
# DS_BENCH_REPS (5), DS_BENCH_BIG_TXN (1000000; 0 skips step 4),
# DS_BENCH_DS_OPTIONS (options of the dynamo_streams peek as
# name=value,name=value, e.g. format=pump; default none),
# DS_BENCH_PROFILE=perf (also record a perf profile of one dynamo_streams
# peek and print its top functions; needs root and perf).
# Server settings: test/postgresql.conf (fsync = off: the timed part reads
# WAL and does not write it) plus BENCH_CONF below.
source "$(dirname "$0")/../lib.sh"

INSERTS=${DS_BENCH_INSERTS:-200000}
MODIFIES=${DS_BENCH_MODIFIES:-200000}
REMOVES=${DS_BENCH_REMOVES:-100000}
BATCH=${DS_BENCH_BATCH:-1000}
REPS=${DS_BENCH_REPS:-5}
BIG=${DS_BENCH_BIG_TXN:-1000000}
PROFILE=${DS_BENCH_PROFILE:-}
DS_OPTS=""
IFS=',' read -ra _pairs <<<"${DS_BENCH_DS_OPTIONS:-}"
for _p in "${_pairs[@]}"; do
	DS_OPTS+=", '${_p%%=*}', '${_p#*=}'"
done

# No checkpoints or autovacuum during the runs; logical_decoding_work_mem
# stays at its default (64MB), so the 1,000,000-change transaction spills
# to disk in the reorder buffer as it would in production.
BENCH_CONF="shared_buffers = 1GB
max_wal_size = 20GB
checkpoint_timeout = 1h
autovacuum = off"

ds_base_packages
ds_need_packages postgresql-$DS_PG_MAJOR-wal2json
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

ds_log "setting up the item table and the three slots"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
-- The item table: made by dynamo.create_table where the items API exists,
-- otherwise by hand with the layout the contract fixes.
DO \$\$
BEGIN
	IF to_regprocedure('dynamo.create_table(text,text,text,text,text,text)') IS NOT NULL THEN
		PERFORM dynamo.create_table('bench', 'pk', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES');
		PERFORM dynamo.create_table('bigtxn', 'pk', 'S', NULL, 'S', 'NEW_AND_OLD_IMAGES');
	ELSE
		RAISE WARNING 'dynamo.create_table is missing: item tables made by hand';
		CREATE TABLE dynamo.bench (pk text COLLATE "C" PRIMARY KEY, item jsonb NOT NULL);
		CREATE TABLE dynamo.bigtxn (pk text COLLATE "C" PRIMARY KEY, item jsonb NOT NULL);
		ALTER TABLE dynamo.bench REPLICA IDENTITY FULL;
		ALTER TABLE dynamo.bigtxn REPLICA IDENTITY FULL;
		INSERT INTO dynamo._tables (table_name, relid, kind, hash_key, hash_key_type,
		                            stream_enabled, stream_view_type, stream_label)
		SELECT t, ('dynamo.' || t)::regclass, 'item', 'pk', 'S', true, 'NEW_AND_OLD_IMAGES',
		       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS')
		  FROM unnest(ARRAY['bench', 'bigtxn']) t;
	END IF;
END
\$\$;
SELECT pg_create_logical_replication_slot('bench_dynamo_streams', 'dynamo_streams') \\g /dev/null
SELECT pg_create_logical_replication_slot('bench_wal2json', 'wal2json') \\g /dev/null
SELECT pg_create_logical_replication_slot('bench_test_decoding', 'test_decoding') \\g /dev/null

-- Writes key range [lo, hi) in transactions of $BATCH rows.
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

-- The CPU time this backend has used so far, in ms (utime + stime of
-- /proc/self/stat, fields 14 and 15, in clock ticks of $(getconf CLK_TCK) Hz).
CREATE FUNCTION bench_cpu_ms() RETURNS float8
LANGUAGE sql AS \$\$
	SELECT (f[12]::bigint + f[13]::bigint) * 1000.0 / $(getconf CLK_TCK)
	  FROM (SELECT string_to_array(regexp_replace(pg_read_file('/proc/self/stat'), '^.*\\) ', ''), ' ') AS f) s
\$\$;

-- Peeks a slot to its end, discarding the output in the server; returns
-- the wall-clock and the CPU time of the call.
CREATE FUNCTION bench_peek(slot text, VARIADIC opts text[] DEFAULT '{}',
                           OUT ms float8, OUT cpu_ms float8, OUT n bigint, OUT bytes bigint)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz := clock_timestamp();
	c0 float8 := bench_cpu_ms();
BEGIN
	SELECT count(*), coalesce(sum(octet_length(data)), 0) INTO n, bytes
	  FROM pg_logical_slot_peek_changes(slot, NULL, NULL, VARIADIC opts);
	ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
	cpu_ms := bench_cpu_ms() - c0;
END
\$\$;
SQL

ds_log "workload: $INSERTS inserts, $MODIFIES modifies, $REMOVES removes ($BATCH rows per transaction)"
t0=$(date +%s.%N)
ds_psql -q -c "CALL bench_write('insert', 0, $INSERTS)" \
	-c "CALL bench_write('modify', 0, $MODIFIES)" \
	-c "CALL bench_write('remove', 0, $REMOVES)"
ds_log "workload written in $(echo "$(date +%s.%N) - $t0" | bc) s"

ds_log "server: $(ds_psql -Atc 'SELECT version()')"
ds_log "settings: $(ds_psql -Atc "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'shared_buffers', 'wal_level', 'logical_decoding_work_mem', 'work_mem', 'autovacuum')")"
ds_log "item size: $(ds_psql -Atc "SELECT round(avg(dynamo.item_size(item))) FROM (SELECT item FROM dynamo.bench LIMIT 1000) s" 2>/dev/null || echo '?') bytes by DynamoDB's rules, $(ds_psql -Atc "SELECT round(avg(octet_length(item::text))) FROM (SELECT item FROM dynamo.bench LIMIT 1000) s") bytes as JSON text"
ds_log "WAL since the slots were made: $(ds_psql -Atc "SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots WHERE slot_name = 'bench_test_decoding'"); $(nproc) CPUs"

# The SQL call of each plugin's peek.
declare -A CALL=(
	[dynamo_streams]="bench_peek('bench_dynamo_streams'$DS_OPTS)"
	[wal2json]="bench_peek('bench_wal2json', 'format-version', '2')"
	[test_decoding]="bench_peek('bench_test_decoding')"
)
PLUGINS=(test_decoding wal2json dynamo_streams)
RESULTS=$DS_WORK/decode_results
: >"$RESULTS"

ds_log "warming up (one peek each)"
for p in "${PLUGINS[@]}"; do
	ds_psql -Atc "SELECT n, bytes FROM ${CALL[$p]}" | {
		IFS='|' read -r n bytes
		printf '%-15s %9d rows %12d bytes of output\n' "$p" "$n" "$bytes"
	}
done

ds_log "timing pg_logical_slot_peek_changes, $REPS rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for ((r = 1; r <= REPS; r++)); do
	# Rotate the order each round so that drift does not favour one plugin.
	for ((i = 0; i < 3; i++)); do
		p=${PLUGINS[$(((i + r) % 3))]}
		read -r ms cpu < <(ds_psql -AtF ' ' -c "SELECT round(ms::numeric, 1), round(cpu_ms::numeric) FROM ${CALL[$p]}")
		printf '%-15s round %d %10.1f ms wall %10.0f ms CPU of the backend\n' "$p" "$r" "$ms" "$cpu"
		echo "$p $r $ms $cpu" >>"$RESULTS"
	done
done

# Medians, ratios of the medians, and the per-round ratios (the three
# peeks of a round ran back to back, so these show the noise).  Wall time
# is what the target is about; the backend's CPU time is much less
# disturbed by other load on the machine.
awk -v reps="$REPS" '
	function median(name, col,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= reps; i++) a[++n] = v[name, i, col]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function report(col, label,   d, w, t, i, pw, pt) {
		d = median("dynamo_streams", col); w = median("wal2json", col); t = median("test_decoding", col)
		pw = ""; pt = ""
		for (i = 1; i <= reps; i++) {
			pw = pw sprintf(" %.2f", v["dynamo_streams", i, col] / v["wal2json", i, col])
			pt = pt sprintf(" %.2f", v["dynamo_streams", i, col] / v["test_decoding", i, col])
		}
		printf "\nmedian %s: dynamo_streams %.0f ms, wal2json %.0f ms, test_decoding %.0f ms\n", label, d, w, t
		printf "  dynamo_streams/wal2json      %.2f  (target <= 1.0)  per round:%s\n", d / w, pw
		printf "  dynamo_streams/test_decoding %.2f  (target <= 1.5)  per round:%s\n", d / t, pt
	}
	{ v[$1, $2, 3] = $3; v[$1, $2, 4] = $4 }
	END { report(3, "wall time"); report(4, "CPU time") }' "$RESULTS"

if [ "$PROFILE" = perf ]; then
	ds_log "perf profile of one dynamo_streams peek"
	pidfile=$DS_WORK/profile.pid
	ds_psql -Atq -c "SELECT pg_backend_pid()" -o "$pidfile" -c "SELECT pg_sleep(2)" \
		-c "SELECT ms FROM ${CALL[dynamo_streams]}" >/dev/null &
	psql_pid=$!
	while [ ! -s "$pidfile" ]; do sleep 0.1; done
	perf record -g -o "$DS_WORK/perf.data" -p "$(head -1 "$pidfile")" >/dev/null 2>&1 &
	perf_pid=$!
	wait $psql_pid
	kill -INT $perf_pid; wait $perf_pid || true
	perf report -i "$DS_WORK/perf.data" --stdio --no-children -g none --percent-limit 0.5 \
		--sort symbol 2>/dev/null | grep -v '^$' | grep -v '^#' | grep '%' | head -40
fi

[ "$BIG" -gt 0 ] || exit 0

ds_log "one transaction of $BIG inserts"
ds_psql -q <<SQL
SELECT pg_replication_slot_advance(slot_name, pg_current_wal_lsn()) FROM pg_replication_slots \\g /dev/null
INSERT INTO dynamo.bigtxn (pk, item)
SELECT 'user#' || lpad(k::text, 7, '0'), $(item k 0) FROM generate_series(1, $BIG) k;
SQL

# peak PLUGIN SLOT OPTIONS...: rows and peak RSS of a fresh backend peeking.
peak() {
	local name=$1 call=$2
	ds_psql -At <<SQL | tr '\n' ' '
SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s*(\\d+ kB)') AS before \\gset
SELECT n FROM $call;
SELECT :'before', substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s*(\\d+ kB)');
SQL
}
printf '\n%-15s %9s %14s %14s\n' plugin rows "VmHWM before" "VmHWM after"
for p in dynamo_streams test_decoding; do
	slot=bench_$p
	read -r n hwm <<<"$(peak "$p" "bench_peek('$slot')")"
	printf '%-15s %9s %14s %14s\n' "$p" "$n" "${hwm%%|*}" "${hwm##*|}"
done
