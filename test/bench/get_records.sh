#!/usr/bin/env bash
# test/bench/get_records.sh: dynamo.get_records(iterator, 1000) against a
# plain SELECT of the same 1000 rows of the stream log (issue 7: "at most 3
# times").
#
# A benchmark, not a test: it prints figures and never fails on them.  On a
# throwaway server (test/lib.sh) it makes an item table whose stream has one
# shard, writes DS_BENCH_ITEMS items of about 250 bytes (one INSERT record
# each, 1,000 per transaction), pumps them into the stream log, then times,
# in one backend, the backend's own CPU (utime + stime from /proc/self/stat,
# as test/bench/pages.sh) of reading the whole shard 1000 records at a time:
#   (a) get_records: get_shard_iterator TRIM_HORIZON, then get_records(it,
#       1000) with each NextShardIterator until a page is empty; the first
#       (untimed, checking) walk parses every page; the timed walks take a
#       page as the text it is, as a client receives it, and cut the
#       NextShardIterator from its tail without parsing 600 KB of JSON in
#       the harness (the anchors do not parse their output either);
#   (b) rendered: the same pages as plain SELECTs of dynamo._records (keyset
#       on sequence_number, LIMIT 1000) joined into one text with
#       string_agg of dynamo.render_record('streams', ...): the same records,
#       without iterators, privilege checks and get_records' loop;
#   (c) raw: the same SELECTs of the stored columns (array_agg of the rows),
#       no rendering;
#   (d) loop: (b) done as get_records does it, a PL/pgSQL loop over the rows
#       rendering each and appending it to one text (to tell the cost of
#       that loop from the rest of get_records).
# Each round runs the four in rotating order; the figures are the medians
# over the rounds of CPU per page and of the per-round ratios to (b) and (c).
#
# Knobs: DS_BENCH_ITEMS (10000), DS_BENCH_ROUNDS (5), DS_BENCH_WALKS (20:
# whole-shard reads per measurement).
source "$(dirname "$0")/../lib.sh"

ITEMS=${DS_BENCH_ITEMS:-10000}
ROUNDS=${DS_BENCH_ROUNDS:-5}
WALKS=${DS_BENCH_WALKS:-20}

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
# this step closes the four shards enabling made and opens the one shard
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
ds_log "$(ds_psql -Atc "SELECT count(*) || ' records in ' || count(DISTINCT shard_no) || ' shard(s), ' || round(avg(octet_length(new_image))) || ' bytes of NewImage on average' FROM dynamo._records")"

ds_psql -q <<'SQL'
CREATE TYPE raw_row AS (sequence_number text, event_name text, created_at timestamptz, keys text,
                        new_image text, old_image text, size_bytes bigint, ttl boolean, omitted text);
CREATE FUNCTION cpu_ticks() RETURNS bigint LANGUAGE sql AS $$
    SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
      FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) x
$$;
-- run(kind, walks): backend CPU ticks for reading the whole shard walks
-- times, 1000 records per page; checks every walk reads every record.
CREATE FUNCTION run(kind text, walks int, OUT ticks bigint, OUT pages int) LANGUAGE plpgsql AS $$
DECLARE
    t0 bigint := cpu_ticks();
    arn text;
    vt text;
    shard text;
    sno bigint;
    it text;
    page json;
    txt text;
    tail text;
    per_page int := least(1000, (SELECT count(*) FROM dynamo._records))::int;
    rows raw_row[];
    rr record;
    last text;
    n bigint;
    got int;
    total bigint := (SELECT count(*) FROM dynamo._records);
BEGIN
    SELECT s.stream_arn, s.stream_view_type INTO arn, vt FROM dynamo._streams s WHERE s.table_name = 'bench';
    SELECT h.shard_id, h.shard_no INTO shard, sno FROM dynamo._shards h
     WHERE h.ending_seq IS NULL AND h.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'bench');
    pages := 0;
    FOR w IN 1 .. walks LOOP
        n := 0;
        IF kind = 'get_records' THEN
            it := dynamo.get_shard_iterator(arn, shard, 'TRIM_HORIZON')->>'ShardIterator';
            LOOP
                page := dynamo.get_records(it, 1000);
                IF walks = 1 THEN
                    -- the checking walk: parse the page
                    got := json_array_length(page->'Records');
                    it := page->>'NextShardIterator';
                ELSE
                    -- timed walks: take the page as the text it is (a
                    -- client parses it on its side), its size in records
                    -- from the checking walk, the iterator from its tail
                    txt := page::text;
                    got := CASE WHEN left(txt, 13) = '{"Records":[]' THEN 0 ELSE least(per_page, total - n) END;
                    tail := convert_from(substr(convert_to(txt, 'UTF8'), octet_length(txt) - 600), 'UTF8');
                    it := substring(tail FROM ',"NextShardIterator":"([^"]*)"}$');
                END IF;
                EXIT WHEN got = 0;
                n := n + got;
                pages := pages + 1;
            END LOOP;
        ELSE
            last := '';
            LOOP
                IF kind = 'rendered' THEN
                    SELECT count(*), max(r.sequence_number),
                           string_agg(dynamo.render_record('streams', arn, vt, r.event_name, r.sequence_number,
                                          r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes,
                                          r.ttl, r.omitted), ',' ORDER BY r.sequence_number)
                      INTO got, last, txt
                      FROM (SELECT * FROM dynamo._records r WHERE r.shard_no = sno
                               AND r.sequence_number > last COLLATE "C"
                             ORDER BY r.sequence_number LIMIT 1000) r;
                ELSIF kind = 'loop' THEN
                    -- get_records' own loop: one render per row, appended to a text
                    got := 0;
                    txt := '';
                    FOR rr IN SELECT * FROM dynamo._records r WHERE r.shard_no = sno
                                 AND r.sequence_number > last COLLATE "C"
                               ORDER BY r.sequence_number LIMIT 1000 LOOP
                        txt := txt || CASE WHEN got > 0 THEN ',' ELSE '' END
                               || dynamo.render_record('streams', arn, vt, rr.event_name, rr.sequence_number,
                                      rr.created_at, rr.keys, rr.new_image, rr.old_image, rr.size_bytes,
                                      rr.ttl, rr.omitted);
                        got := got + 1;
                        last := rr.sequence_number;
                    END LOOP;
                ELSE
                    SELECT count(*), max(r.sequence_number), array_agg(r::raw_row ORDER BY r.sequence_number)
                      INTO got, last, rows
                      FROM (SELECT r.sequence_number, r.event_name, r.created_at, r.keys, r.new_image,
                                   r.old_image, r.size_bytes, r.ttl, r.omitted
                              FROM dynamo._records r WHERE r.shard_no = sno
                               AND r.sequence_number > last COLLATE "C"
                             ORDER BY r.sequence_number LIMIT 1000) r;
                END IF;
                EXIT WHEN got = 0;
                n := n + got;
                pages := pages + 1;
            END LOOP;
        END IF;
        IF n <> total THEN
            RAISE EXCEPTION '%: read % records of %', kind, n, total;
        END IF;
    END LOOP;
    ticks := cpu_ticks() - t0;
END
$$;
SQL
HZ=$(getconf CLK_TCK)
ds_log "server: $(ds_psql -Atc 'SELECT version()'); $WALKS walks per run, $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=$DS_WORK/results
: >"$RESULTS"

# run NAME ROUND: appends "NAME ROUND us-per-page".
run() {
	local name=$1 round=$2 ticks pages us
	read -r ticks pages < <(ds_psql -AtF ' ' -c "SELECT * FROM run('$name', 1)" -c "SELECT * FROM run('$name', $WALKS)" | tail -n 1)
	us=$(awk -v t="$ticks" -v hz="$HZ" -v n="$pages" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
	printf '%-11s round %d  %9.1f us backend CPU/page of 1000 (%d pages)\n' "$name" "$round" "$us" "$pages"
	echo "$name $round $us" >>"$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
	case $((r % 3)) in
	1) run get_records $r; run rendered $r; run raw $r; run loop $r ;;
	2) run raw $r; run loop $r; run get_records $r; run rendered $r ;;
	0) run loop $r; run rendered $r; run raw $r; run get_records $r ;;
	esac
done

awk -v rounds="$ROUNDS" '
	function median(arr, name,   n, i, j, t, a) {
		n = 0
		for (i = 1; i <= rounds; i++) a[++n] = arr[name, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ cpu[$1, $2] = $3 }
	END {
		printf "\n%-12s %18s %14s %14s\n", "", "us CPU/page", "vs rendered", "vs raw"
		split("get_records loop rendered raw", names, " ")
		for (k = 1; k <= 4; k++) {
			d = names[k]
			for (i = 1; i <= rounds; i++) { a[d, i] = cpu["rendered", i] ? cpu[d, i] / cpu["rendered", i] : 0; b[d, i] = cpu["raw", i] ? cpu[d, i] / cpu["raw", i] : 0 }
			printf "%-12s %18.1f %14.2f %14.2f\n", d, median(cpu, d), median(a, d), median(b, d)
		}
		print "\ntarget: get_records / plain SELECT at most 3"
	}' "$RESULTS"
ds_psql -q -c "SELECT dynamo._pump_drop_slot()" >/dev/null
