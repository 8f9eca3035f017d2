#!/usr/bin/env bash
# test/bench/consumers.sh: records per second through an event source
# mapping's SQL pull (receive_batch + complete_batch, batch_size 100)
# against get_records reading the same records (issue 8, deliverable 10:
# "at least 0.5 times").
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it makes an item table whose stream has one
# shard, writes DS_BENCH_ITEMS items of about 250 bytes, pumps them into the
# stream log, then, in one backend, reads the whole shard with:
#   (a) pull100: a fresh mapping (TRIM_HORIZON, batch_size 100), then
#       receive_batch + complete_batch until no batch comes, one
#       transaction per call (COMMIT after each, as a consumer does);
#   (b) get100: get_shard_iterator TRIM_HORIZON, then get_records(it, 100)
#       with each NextShardIterator until a page is empty, one transaction
#       per page;
#   (c) get1000: the same with get_records(it, 1000).
# Each round runs the three in rotating order; the figures are the medians
# over the rounds of records per second (wall clock in the backend) and of
# the per-round ratios of pull100 to get100 and get1000.
#
# Knobs: DS_BENCH_ITEMS (10000), DS_BENCH_ROUNDS (5).
source "$(dirname "$0")/../lib.sh"

ITEMS=${DS_BENCH_ITEMS:-10000}
ROUNDS=${DS_BENCH_ROUNDS:-5}

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

ds_log "an item table with a one-shard stream; $ITEMS items of about 250 bytes; pumping"
ds_psql -q <<SQL
CREATE EXTENSION dynamo_streams;
SELECT dynamo.pump() \\g /dev/null
SELECT dynamo.create_table('bench', 'pk', 'S', NULL, 'S', 'NEW_IMAGE') \\g /dev/null
UPDATE dynamo._streams SET shard_count = 1 WHERE table_name = 'bench';
SQL
ds_psql -q -c "SELECT dynamo.pump()" >/dev/null
ds_psql -q <<SQL
CREATE PROCEDURE bench_write(n int)
LANGUAGE plpgsql AS \$\$
BEGIN
	FOR s IN 0 .. n - 1 BY 1000 LOOP
		INSERT INTO dynamo.bench (pk, item)
		SELECT 'user#' || lpad(k::text, 7, '0'), jsonb_build_object(
			'pk', jsonb_build_object('S', 'user#' || lpad(k::text, 7, '0')),
			'name', jsonb_build_object('S', 'Customer ' || k),
			'email', jsonb_build_object('S', 'customer' || k || '@example.com'),
			'visits', jsonb_build_object('N', (k % 97)::text),
			'balance', jsonb_build_object('N', (k % 1000)::text || '.25'),
			'active', '{"BOOL": true}'::jsonb,
			'tags', '{"SS": ["bench", "dynamo", "streams"]}'::jsonb,
			'address', jsonb_build_object('M', jsonb_build_object(
				'street', jsonb_build_object('S', k || ' Main Street'),
				'city', '{"S": "Springfield"}'::jsonb, 'zip', '{"S": "12345"}'::jsonb)),
			'note', jsonb_build_object('S', repeat('x', 75)))
		  FROM generate_series(s, least(s + 1000, n) - 1) k;
		COMMIT;
	END LOOP;
END
\$\$;
CALL bench_write($ITEMS);
SQL
ds_psql -q -c "SELECT dynamo.pump()" >/dev/null
ds_psql -q -c "VACUUM ANALYZE"
ds_log "$(ds_psql -Atc "SELECT count(*) || ' records in ' || count(DISTINCT shard_no) || ' shard(s)' FROM dynamo._records")"

ds_psql -q <<'SQL'
CREATE TABLE timing (kind text, records bigint, seconds float8);
-- run(kind): read the whole shard once, one transaction per call; appends
-- (kind, records, seconds) to timing; checks every record was read.
CREATE PROCEDURE run(kind text) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    arn text;
    shard text;
    it text;
    page json;
    b record;
    n bigint := 0;
    got int;
    total bigint := (SELECT count(*) FROM dynamo._records);
BEGIN
    SELECT s.stream_arn INTO arn FROM dynamo._streams s WHERE s.table_name = 'bench';
    SELECT h.shard_id INTO shard FROM dynamo._shards h
     WHERE h.ending_seq IS NULL AND h.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'bench');
    IF kind = 'pull100' THEN
        DELETE FROM dynamo._event_source_mappings WHERE function_name = 'bench_fn';
        PERFORM dynamo.create_event_source_mapping('bench_fn', arn, 'TRIM_HORIZON', batch_size => 100);
        COMMIT;
    END IF;
    t0 := clock_timestamp();
    IF kind = 'pull100' THEN
        LOOP
            SELECT * INTO b FROM dynamo.receive_batch('bench_fn');
            EXIT WHEN b.batch_id IS NULL;
            n := n + json_array_length(b.event->'Records');
            COMMIT;
            PERFORM dynamo.complete_batch(b.batch_id, '{"batchItemFailures":[]}');
            COMMIT;
        END LOOP;
    ELSE
        it := dynamo.get_shard_iterator(arn, shard, 'TRIM_HORIZON')->>'ShardIterator';
        LOOP
            page := dynamo.get_records(it, CASE kind WHEN 'get100' THEN 100 ELSE 1000 END);
            got := json_array_length(page->'Records');
            EXIT WHEN got = 0;
            n := n + got;
            it := page->>'NextShardIterator';
            COMMIT;
        END LOOP;
    END IF;
    INSERT INTO timing VALUES (kind, n, EXTRACT(epoch FROM clock_timestamp() - t0));
    IF n <> total THEN
        RAISE EXCEPTION '%: read % records of %', kind, n, total;
    END IF;
END
$$;
SQL
ds_log "server: $(ds_psql -Atc 'SELECT version()'); $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=$DS_WORK/results
: >"$RESULTS"

# run NAME ROUND: appends "NAME ROUND records-per-second".
run() {
	local name=$1 round=$2 rps
	ds_psql -q -c "CALL run('$name')" -c "TRUNCATE timing" >/dev/null
	rps=$(ds_psql -Atc "CALL run('$name')" -c "SELECT round(records / seconds) FROM timing" | tail -n 1)
	ds_psql -q -c "TRUNCATE timing"
	printf '%-8s round %d  %10d records/s\n' "$name" "$round" "$rps"
	echo "$name $round $rps" >>"$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
	case $((r % 3)) in
	1) run pull100 $r; run get100 $r; run get1000 $r ;;
	2) run get100 $r; run get1000 $r; run pull100 $r ;;
	0) run get1000 $r; run pull100 $r; run get100 $r ;;
	esac
done

awk -v rounds="$ROUNDS" '
	function median(arr, name,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= rounds; i++) a[++n] = arr[name, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ rps[$1, $2] = $3 }
	END {
		printf "\n%-10s %14s %14s %14s\n", "", "records/s", "vs get100", "vs get1000"
		split("pull100 get100 get1000", names, " ")
		for (k = 1; k <= 3; k++) {
			d = names[k]
			for (i = 1; i <= rounds; i++) { a[d, i] = rps["get100", i] ? rps[d, i] / rps["get100", i] : 0; b[d, i] = rps["get1000", i] ? rps[d, i] / rps["get1000", i] : 0 }
			printf "%-10s %14d %14.2f %14.2f\n", d, median(rps, d), median(a, d), median(b, d)
		}
		print "\ntarget: pull100 (receive_batch + complete_batch) at least 0.5 x get_records"
	}' "$RESULTS"
ds_psql -q -c "SELECT dynamo._pump_drop_slot()" >/dev/null
