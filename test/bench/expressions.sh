#!/usr/bin/env bash
# test/bench/expressions.sh: update_item and conditional puts (issue 9, item 9).
#
# A benchmark, not a test: it prints figures and never fails on them.  Same
# set-up as items.sh (throwaway server, the same ~300-byte items preloaded
# into an item table and a plain table), then pgbench (4 clients, prepared
# statements, random keys) for
#   (a) dynamo.update_item(..., 'SET #c = #c + :one', ...)  vs  the plain
#       UPDATE plain SET item = jsonb_set(item, '{visits,N}', <visits + 1>)
#       of the same counter in a plain table
#   (b) dynamo.put_item with condition_expression 'attribute_exists(pk)'
#       (true: every key exists)  vs  dynamo.put_item without a condition
# in alternating order over several rounds; the headline ratios are the
# medians of the per-round ratios.  Targets (issue 9): update_item at least
# 0.5 times the plain statement; a condition costs at most 20% (ratio >= 0.8).
#
# Knobs: DS_BENCH_SECONDS (20), DS_BENCH_ROUNDS (3), DS_BENCH_CLIENTS (4),
# DS_BENCH_KEYS (100000).
source "$(dirname "$0")/../lib.sh"

SECONDS_PER_RUN=${DS_BENCH_SECONDS:-20}
ROUNDS=${DS_BENCH_ROUNDS:-3}
CLIENTS=${DS_BENCH_CLIENTS:-4}
KEYS=${DS_BENCH_KEYS:-100000}

# Appended to the server configuration.  fsync = off (from test/postgresql.conf)
# and a buffer pool that holds the whole data set make the runs measure CPU
# cost per call rather than disk latency, which would hide the difference
# between the two sides; max_wal_size keeps checkpoints out of the runs.
BENCH_CONF="shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min"

# The item generator: about 300 bytes by DynamoDB's size rules (printed
# below; "BOOL": true has a space so that pgbench does not take :true for
# a variable).  @K@ is the key number and @V@ a number that changes on every
# write; both are SQL expressions (pgbench variables or a column).
ITEM="('{\"pk\":{\"S\":\"user#' || @K@ || '\"},\"name\":{\"S\":\"Customer ' || @K@ || '\"},\"email\":{\"S\":\"customer' || @K@ || '@example.com\"},\"visits\":{\"N\":\"' || @V@ || '\"},\"active\":{\"BOOL\": true},\"tags\":{\"SS\":[\"bench\",\"dynamo\",\"streams\"]},\"address\":{\"M\":{\"street\":{\"S\":\"1 Main Street\"},\"city\":{\"S\":\"Springfield\"},\"zip\":{\"S\":\"12345\"}}},\"note\":{\"S\":\"$(printf 'x%.0s' $(seq 151))\"}}')::jsonb"

# item K V: the generator with its placeholders filled in.
item() {
	local s=${ITEM//@K@/$1}
	echo "${s//@V@/$2}"
}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server
echo "$BENCH_CONF" >>"$DS_DATA/postgresql.conf"
ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" -l "$DS_WORK/server.log" -w restart >/dev/null

ds_log "preloading $KEYS items into both tables"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.create_table('bench', 'pk') \\g /dev/null
CREATE TABLE plain (pk text COLLATE "C" PRIMARY KEY, item jsonb NOT NULL);
SELECT count(dynamo.put_item('bench', $(item k 0))) FROM generate_series(1, $KEYS) k \\g /dev/null
INSERT INTO plain SELECT 'user#' || k, $(item k 0) FROM generate_series(1, $KEYS) k;
VACUUM ANALYZE;
SQL

# The four pgbench scripts.  pgbench takes every ":name" for a variable, so
# the placeholder ":one" is spelled with chr(58).
B=$DS_WORK/bench
mkdir -p "$B"
rand="\\set k random(1, $KEYS)
\\set v random(1, 1000000000)"
key="('{\"pk\":{\"S\":\"user#' || :k || '\"}}')::jsonb"
printf '%s\nSELECT dynamo.update_item(%s, %s, %s, expression_attribute_names => %s, expression_attribute_values => %s);\n' \
	"\\set k random(1, $KEYS)" "'bench'" "$key" "'SET #c = #c + ' || chr(58) || 'one'" "'{\"#c\": \"visits\"}'" \
	"('{\"' || chr(58) || 'one\": {\"N\": \"1\"}}')::jsonb" >"$B/update_item.sql"
printf '%s\nUPDATE plain SET item = jsonb_set(item, %s, to_jsonb(((item #>> %s)::numeric + 1)::text)) WHERE pk = %s;\n' \
	"\\set k random(1, $KEYS)" "'{visits,N}'" "'{visits,N}'" "'user#' || :k" >"$B/plain_update.sql"
printf '%s\nSELECT dynamo.put_item(%s, %s, condition_expression => %s);\n' "$rand" "'bench'" "$(item :k :v)" \
	"'attribute_exists(pk)'" >"$B/put_cond.sql"
printf '%s\nSELECT dynamo.put_item(%s, %s);\n' "$rand" "'bench'" "$(item :k :v)" >"$B/put_item.sql"
[ "$(id -u)" -ne 0 ] || chown -R "$DS_USER" "$B"

ds_log "server: $(ds_psql -Atc 'SELECT version()')"
ds_log "settings: $(ds_psql -Atc "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_wal_size', 'full_page_writes', 'autovacuum')")"
ds_log "item size (DynamoDB rules): $(ds_psql -Atc "SELECT round(avg(dynamo.item_size(item))) FROM (SELECT item FROM dynamo.bench LIMIT 1000) s" 2>/dev/null || echo '?') bytes; jsonb: $(ds_psql -Atc 'SELECT round(avg(pg_column_size(item))) FROM (SELECT item FROM plain LIMIT 1000) s') bytes"
ds_log "sizes after preload: item table $(ds_psql -Atc "SELECT pg_size_pretty(pg_total_relation_size('dynamo.bench'))"), plain table $(ds_psql -Atc "SELECT pg_size_pretty(pg_total_relation_size('plain'))")"
ds_log "$CLIENTS clients, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds, $KEYS keys, $(nproc) CPUs"

RESULTS=$DS_WORK/results
: >"$RESULTS"

# CPU time (clock ticks) of the server's exited children: backends add
# their user and system time to the postmaster's cutime/cstime when they exit.
server_child_ticks() {
	local pid
	pid=$(head -n 1 "$DS_DATA/postmaster.pid")
	awk '{ print $16 + $17 }' "/proc/$pid/stat"
}

# run NAME ROUND: one pgbench run of $B/NAME.sql; appends
# "NAME ROUND tps server-CPU-microseconds-per-transaction" to $RESULTS.
run() {
	local name=$1 round=$2 tps load n t0 t1 us
	ds_psql -q -c 'VACUUM' -c 'CHECKPOINT'
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(server_child_ticks)
	ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		"$DS_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" \
		-f "$B/$name.sql" postgres >"$B/$name.$round.log" 2>&1 || true
	sleep 1						# let the postmaster reap the backends
	t1=$(server_child_ticks)
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$B/$name.$round.log")
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$B/$name.$round.log")
	[ -n "$tps" ] && [ -n "$n" ] && [ "$n" -gt 0 ] ||
		{ echo "pgbench $name failed:" >&2; tail -n 20 "$B/$name.$round.log" >&2; exit 1; }
	us=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
	printf '%-13s round %d  %10.1f tps  %7.1f us server CPU/call  (load average %s -> %s)\n' \
		"$name" "$round" "$tps" "$us" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
	echo "$name $round $tps $us" >>"$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		run update_item $r; run plain_update $r; run put_cond $r; run put_item $r
	else
		run plain_update $r; run update_item $r; run put_item $r; run put_cond $r
	fi
done

# Per pair: the median tps and server CPU per call of each side, the ratio
# of every round (the two runs of a round are adjacent in time, so they share
# the machine's conditions) and, as the headline, the median of the per-round
# ratios.  Throughput ratio = dynamo tps / plain tps; CPU ratio = plain CPU /
# dynamo CPU per call, so that both read "dynamo's speed relative to plain"
# (higher is better).  CPU per call does not depend on how much CPU other
# processes took during the run, so it is the steadier figure on a busy machine.
awk -v rounds="$ROUNDS" '
	function median(arr, name,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= rounds; i++) a[++n] = arr[name, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ tps[$1, $2] = $3; cpu[$1, $2] = $4 }
	END {
		printf "\n%-26s %10s %10s %-26s %6s   %9s %9s %-26s %6s\n", "comparison", "first tps", "second tps",
			"tps ratio per round", "median", "first us", "second us", "CPU ratio per round", "median"
		split("update_item plain_update 0.5 put_cond put_item 0.8", p, " ")
		for (c = 0; c < 2; c++) {
			d = p[3 * c + 1]; s = p[3 * c + 2]; target = p[3 * c + 3]
			per = ""; perc = ""
			for (i = 1; i <= rounds; i++) {
				r["t", i] = tps[d, i] / tps[s, i]; per = per sprintf(" %.2f", r["t", i])
				r["c", i] = cpu[s, i] / cpu[d, i]; perc = perc sprintf(" %.2f", r["c", i])
			}
			printf "%-26s %10.1f %10.1f %-26s %6.2f   %9.1f %9.1f %-26s %6.2f   (target >= %s)\n", d "/" s,
				median(tps, d), median(tps, s), per, median(r, "t"),
				median(cpu, d), median(cpu, s), perc, median(r, "c"), target
		}
	}' "$RESULTS"
