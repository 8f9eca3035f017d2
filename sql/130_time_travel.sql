-- 130_time_travel: item_history, item_as_of and table_as_of read an item's
-- or a table's past from the stream log (docs/guides/replay-and-analytics.md):
-- across inserts, modifies, removes, several streams, primary key changes
-- of ordinary tables and trims; which view types answer which questions;
-- the errors when the log cannot tell; the plans use the key index.
\set VERBOSITY terse
-- (099_drop_extension and 100_readopt drop the extension before this
-- suite; the pump's slot survives that, with changes of the old catalog
-- that the new one cannot decode: start it again)
SET client_min_messages = warning;
SELECT count(*) = 0 AS ds_fresh FROM pg_extension WHERE extname = 'dynamo_streams' \gset
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
\if :ds_fresh
SELECT dynamo._pump_drop_slot() AS ds_dropped \gset
\endif
RESET client_min_messages;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0;

-- snapshots of the real tables, taken after each write commits, to
-- compare the log's answers with
CREATE TABLE tt_snap (step int, at timestamptz, tbl text, items jsonb);
CREATE FUNCTION tt_take(step int, tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t dynamo._tables := (SELECT t FROM dynamo._tables t WHERE table_name = tbl);
  items jsonb;
BEGIN
  -- an item table's items; a relation's rows marshalled
  EXECUTE format('SELECT COALESCE(jsonb_agg(x ORDER BY x::text), ''[]'') FROM (SELECT %s x FROM %s i) y',
                 CASE WHEN t.kind = 'item' THEN 'i.item' ELSE 'dynamo.marshall(to_jsonb(i))' END, t.relid) INTO items;
  INSERT INTO tt_snap VALUES (step, clock_timestamp(), tbl, items);
END $$;
-- table_as_of as one sorted array
CREATE FUNCTION tt_asof(tbl text, at timestamptz) RETURNS jsonb LANGUAGE sql AS $$
  SELECT COALESCE(jsonb_agg(x ORDER BY x::text), '[]') FROM dynamo.table_as_of(tbl, at) x
$$;
-- every snapshot of a table against table_as_of at its time
CREATE FUNCTION tt_check(tbl text) RETURNS TABLE (step int, n int, same boolean) LANGUAGE sql AS $$
  SELECT s.step, jsonb_array_length(s.items), tt_asof(tbl, s.at) = s.items
    FROM tt_snap s WHERE s.tbl = tt_check.tbl ORDER BY s.step
$$;

-- run q, return its error: exception name, SQLSTATE and message, with
-- times and stream labels masked
CREATE FUNCTION tt_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text; msg text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL, msg = MESSAGE_TEXT;
  RETURN split_part(split_part(det, '.', 1), ':', 1) || ' (' || SQLSTATE || '): '
         || regexp_replace(msg, '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+(\+00|Z)?', '<time>', 'g');
END $$;

-- 1. An item table with NEW_AND_OLD_IMAGES: every question has an answer.
SELECT dynamo.create_table('TtItems', 'id', 'S', 'n', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT tt_take(0, 'TtItems');
SELECT dynamo.put_item('TtItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"first"}}') IS NOT NULL;
SELECT tt_take(1, 'TtItems');
SELECT dynamo.put_item('TtItems', '{"id":{"S":"b"},"n":{"N":"1"},"v":{"S":"other"}}') IS NOT NULL;
SELECT tt_take(2, 'TtItems');
SELECT dynamo.update_item('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}', update_expression => 'SET v = :v',
                          expression_attribute_values => '{":v":{"S":"second"}}') IS NOT NULL;
SELECT tt_take(3, 'TtItems');
-- a re-put of the same item is no change: no record, nothing in history
SELECT dynamo.put_item('TtItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"second"}}') IS NOT NULL;
SELECT dynamo.delete_item('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}') IS NOT NULL;
SELECT tt_take(4, 'TtItems');
SELECT dynamo.put_item('TtItems', '{"id":{"S":"a"},"n":{"N":"1"},"v":{"S":"again"}}') IS NOT NULL;
SELECT tt_take(5, 'TtItems');
SELECT dynamo.pump() >= 5;
SELECT event_name, sequence_number ~ '^[0-9]{40}$' AS seq, old_image, new_image, keys, stream_view_type, ttl
  FROM dynamo.item_history('TtItems', '{"n":{"N":"1"},"id":{"S":"a"}}');
-- in order, times ascending
SELECT bool_and(sequence_number > lag) AND bool_and(created_at >= lag_t) AS ordered
  FROM (SELECT sequence_number, created_at, lag(sequence_number, 1, '') OVER w AS lag,
               lag(created_at, 1, '-infinity') OVER w AS lag_t
          FROM dynamo.item_history('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}') WINDOW w AS (ORDER BY sequence_number)) x;
-- numbers in keys are normalised: 1.0 is 1
SELECT count(*) FROM dynamo.item_history('TtItems', '{"id":{"S":"a"},"n":{"N":"1.0"}}');
SELECT count(*) FROM dynamo.item_history('TtItems', '{"id":{"S":"nobody"},"n":{"N":"1"}}');
-- the item at each snapshot's time
SELECT s.step, dynamo.item_as_of('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}', s.at) AS a
  FROM tt_snap s WHERE s.tbl = 'TtItems' ORDER BY s.step;
-- the whole table at each snapshot's time equals the snapshot
SELECT * FROM tt_check('TtItems');
-- a time before the table's first stream: the log cannot tell
SELECT tt_err($$SELECT dynamo.item_as_of('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}', '2000-01-01')$$);
SELECT tt_err($$SELECT count(*) FROM dynamo.table_as_of('TtItems', '2000-01-01')$$);

-- 2. The key index: an item's records are found by key hash, in every
-- partition, not by reading the log.
CREATE FUNCTION tt_plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(l, '_records_[0-9]{8}', '_records_<day>', 'g');
  END LOOP;
END $$;
SET enable_seqscan = off;
SELECT count(*) > 0 AS key_index FROM tt_plan($$SELECT * FROM dynamo._records r
  WHERE r.stream_id = 1 AND r.key_hash = dynamo._keys_text_hash('{"id":{"S":"a"},"n":{"N":"1"}}')
    AND r.keys = '{"id":{"S":"a"},"n":{"N":"1"}}'$$) l
 WHERE l ~ 'Index.*_records_<day>_key_hash_stream_id_idx';
RESET enable_seqscan;
-- the Keys text item_history looks for is the plugin's, byte for byte
SELECT dynamo._history_keys('TtItems', '{"n":{"N":"1.0"},"id":{"S":"a"}}') =
       (SELECT r.keys FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
         WHERE s.table_name = 'TtItems' ORDER BY r.sequence_number LIMIT 1) AS same_keys_text;

-- 3. What each view type answers (the table in the guide).
SELECT dynamo.create_table('TtKeys', 'id', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.create_table('TtOld', 'id', 'S', stream_view_type => 'OLD_IMAGE') IS NOT NULL;
SELECT dynamo.create_table('TtNew', 'id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT now() AS tv0 \gset
SELECT pg_sleep(0.01);
SELECT dynamo.put_item(t, '{"id":{"S":"x"},"v":{"N":"1"}}') IS NOT NULL FROM unnest('{TtKeys,TtOld,TtNew}'::text[]) t;
SELECT clock_timestamp() AS tv1 \gset
SELECT dynamo.put_item(t, '{"id":{"S":"x"},"v":{"N":"2"}}') IS NOT NULL FROM unnest('{TtKeys,TtOld,TtNew}'::text[]) t;
SELECT clock_timestamp() AS tv2 \gset
SELECT dynamo.delete_item(t, '{"id":{"S":"x"}}') IS NOT NULL FROM unnest('{TtKeys,TtOld,TtNew}'::text[]) t;
SELECT clock_timestamp() AS tv3 \gset
SELECT dynamo.put_item(t, '{"id":{"S":"x"},"v":{"N":"3"}}') IS NOT NULL FROM unnest('{TtKeys,TtOld,TtNew}'::text[]) t;
SELECT clock_timestamp() AS tv4 \gset
SELECT dynamo.pump() >= 12;
CREATE FUNCTION tt_answer(tbl text, at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text;
BEGIN
  RETURN COALESCE(dynamo.item_as_of(tbl, '{"id":{"S":"x"}}', at)->'v'->>'N', 'absent');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
  RETURN split_part(det, ':', 1) || ' (' || SQLSTATE || ')';
END $$;
SELECT t AS view_table, tt_answer(t, :'tv0') AS before_insert, tt_answer(t, :'tv1') AS after_insert,
       tt_answer(t, :'tv2') AS after_modify, tt_answer(t, :'tv3') AS after_remove,
       tt_answer(t, :'tv4') AS after_reinsert
  FROM unnest('{TtKeys,TtOld,TtNew}'::text[]) t;
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtKeys', '{"id":{"S":"x"}}', %L)$$, :'tv1'));
SELECT tt_err(format($$SELECT dynamo.table_as_of('TtOld', %L)$$, :'tv4'));
-- the DETAIL and HINT of both kinds of error
DO $$
DECLARE det text; hint text;
BEGIN
  BEGIN PERFORM dynamo.item_as_of('TtKeys', '{"id":{"S":"x"}}', now());
  EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'detail: %; hint: %', det, hint;
  END;
  BEGIN PERFORM dynamo.item_as_of('TtItems', '{"id":{"S":"x"},"n":{"N":"0"}}', '2000-01-01');
  EXCEPTION WHEN snapshot_too_old THEN
    GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'detail: %; hint: %', det, hint;
  END;
END $$;

-- 4. A stream enabled after the item existed: its first state is not in the log.
SELECT dynamo.create_table('TtLate', 'id', 'S') IS NOT NULL;
SELECT dynamo.put_item('TtLate', '{"id":{"S":"old"},"v":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.put_item('TtLate', '{"id":{"S":"still"},"v":{"N":"1"}}') IS NOT NULL;
-- (the table must look older than its stream by more than a second)
UPDATE dynamo._tables SET created_at = created_at - interval '1 minute' WHERE table_name = 'TtLate';
SELECT dynamo.update_table('TtLate', true, 'NEW_IMAGE') IS NOT NULL;
SELECT clock_timestamp() AS tl0 \gset
SELECT dynamo.put_item('TtLate', '{"id":{"S":"old"},"v":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.put_item('TtLate', '{"id":{"S":"new"},"v":{"N":"1"}}') IS NOT NULL;
SELECT clock_timestamp() AS tl1 \gset
SELECT dynamo.pump() >= 2;
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtLate', '{"id":{"S":"old"}}', %L)$$, :'tl0'));
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtLate', '{"id":{"S":"still"}}', %L)$$, :'tl1'));
SELECT tt_err(format($$SELECT count(*) FROM dynamo.table_as_of('TtLate', %L)$$, :'tl1'));
-- what the log does hold
SELECT dynamo.item_as_of('TtLate', '{"id":{"S":"old"}}', :'tl1');
SELECT dynamo.item_as_of('TtLate', '{"id":{"S":"new"}}', :'tl0');

-- 5. Several streams, and the gap between them.
SELECT dynamo.create_table('TtMulti', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('TtMulti', '{"id":{"S":"m"},"v":{"N":"1"}}') IS NOT NULL;
SELECT tt_take(1, 'TtMulti');
SELECT dynamo.update_table('TtMulti', false) IS NOT NULL;
SELECT dynamo.put_item('TtMulti', '{"id":{"S":"m"},"v":{"N":"2"}}') IS NOT NULL;
SELECT clock_timestamp() AS tg \gset
SELECT dynamo.update_table('TtMulti', true, 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('TtMulti', '{"id":{"S":"m"},"v":{"N":"3"}}') IS NOT NULL;
SELECT tt_take(3, 'TtMulti');
SELECT dynamo.pump() >= 2;
-- history spans both streams (the write of the gap is in neither)
SELECT event_name, old_image->'v'->>'N' AS old_v, new_image->'v'->>'N' AS new_v,
       dense_rank() OVER (ORDER BY stream_arn) AS stream
  FROM dynamo.item_history('TtMulti', '{"id":{"S":"m"}}');
SELECT * FROM tt_check('TtMulti');
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtMulti', '{"id":{"S":"m"}}', %L)$$, :'tg'));
SELECT tt_err(format($$SELECT count(*) FROM dynamo.table_as_of('TtMulti', %L)$$, :'tg'));

-- 6. An ordinary table whose primary key is updated: REMOVE of the old
-- key, INSERT of the new one.
CREATE TABLE tt_rows (region text, id int, note text, PRIMARY KEY (id, region));
SELECT dynamo.enable_stream('tt_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
INSERT INTO tt_rows VALUES ('eu', 1, 'one'), ('us', 2, 'two');
SELECT tt_take(1, 'tt_rows');
UPDATE tt_rows SET id = 10, note = 'moved' WHERE id = 1;
SELECT tt_take(2, 'tt_rows');
UPDATE tt_rows SET note = 'changed' WHERE id = 2;
SELECT tt_take(3, 'tt_rows');
SELECT dynamo.pump() >= 4;
-- Keys in column order (region before id), as the plugin writes them
SELECT dynamo._history_keys('tt_rows', '{"id":{"N":"1"},"region":{"S":"eu"}}');
SELECT event_name, old_image, new_image FROM dynamo.item_history('tt_rows', '{"id":{"N":"1"},"region":{"S":"eu"}}');
SELECT event_name, old_image, new_image FROM dynamo.item_history('tt_rows', '{"id":{"N":"10"},"region":{"S":"eu"}}');
SELECT s.step, dynamo.item_as_of('tt_rows', '{"id":{"N":"1"},"region":{"S":"eu"}}', s.at) AS old_key,
       dynamo.item_as_of('tt_rows', '{"id":{"N":"10"},"region":{"S":"eu"}}', s.at) AS new_key
  FROM tt_snap s WHERE s.tbl = 'tt_rows' ORDER BY s.step;
SELECT * FROM tt_check('tt_rows');
SELECT tt_asof('tt_rows', s.at) AS items FROM tt_snap s WHERE s.tbl = 'tt_rows' AND s.step = 2;

-- 7. Trims: once older records are gone, times before an item's first
-- remaining record cannot be answered; later ones still can.
SELECT dynamo.create_table('TtTrim', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('TtTrim', '{"id":{"S":"t"},"v":{"N":"1"}}') IS NOT NULL;
SELECT clock_timestamp() AS tt1 \gset
SELECT dynamo.put_item('TtTrim', '{"id":{"S":"t"},"v":{"N":"2"}}') IS NOT NULL;
SELECT clock_timestamp() AS tt2 \gset
SELECT dynamo.pump() >= 2;
SELECT dynamo.item_as_of('TtTrim', '{"id":{"S":"t"}}', :'tt1');
-- trim the first record only (its horizon, as dynamo.trim() would set it)
UPDATE dynamo._shards sh SET trimmed_seq = (SELECT min(r.sequence_number) FROM dynamo._records r WHERE r.shard_no = sh.shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'TtTrim')
   AND EXISTS (SELECT FROM dynamo._records r WHERE r.shard_no = sh.shard_no);
SELECT event_name FROM dynamo.item_history('TtTrim', '{"id":{"S":"t"}}');
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtTrim', '{"id":{"S":"t"}}', %L)$$, :'tt1'));
SELECT tt_err(format($$SELECT count(*) FROM dynamo.table_as_of('TtTrim', %L)$$, :'tt1'));
SELECT dynamo.item_as_of('TtTrim', '{"id":{"S":"t"}}', :'tt2');
SELECT dynamo.table_as_of('TtTrim', :'tt2');
-- an item with no record left at all, after a trim
SELECT tt_err(format($$SELECT dynamo.item_as_of('TtTrim', '{"id":{"S":"never"}}', %L)$$, :'tt2'));

-- 8. Bad input.
SELECT dynamo.item_history(NULL, '{"id":{"S":"a"}}');
SELECT dynamo.item_history('TtItems', NULL);
SELECT dynamo.item_history('NoSuchTable', '{"id":{"S":"a"}}');
SELECT dynamo.item_history('TtItems', '{"id":{"S":"a"}}');
SELECT dynamo.item_history('TtItems', '{"id":{"N":"1"},"n":{"N":"1"}}');
SELECT dynamo.item_history('TtItems', '{"id":{"S":"a"},"n":{"N":"1"},"x":{"S":"y"}}');
SELECT dynamo.item_history('TtItems', '[1]');
SELECT dynamo.item_history('TtItems', '{"id":{"S":"a"},"n":{"N":"1e999"}}');
SELECT dynamo.item_history('tt_rows', '{"id":{"N":"1"}}');
SELECT dynamo.item_as_of('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}', NULL);
SELECT dynamo.item_as_of('NoSuchTable', '{"id":{"S":"a"}}', now());
SELECT dynamo.table_as_of(NULL, now());
SELECT dynamo.table_as_of('TtItems', NULL);
SELECT dynamo.table_as_of('NoSuchTable', now());
SELECT dynamo.create_table('TtNoStream', 'id', 'S') IS NOT NULL;
SELECT dynamo.table_as_of('TtNoStream', now());
SELECT dynamo.item_as_of('TtNoStream', '{"id":{"S":"a"}}', now());
-- the functions read the log: not for PUBLIC
CREATE ROLE tt_reader;
SET ROLE tt_reader;
SELECT dynamo.item_history('TtItems', '{"id":{"S":"a"},"n":{"N":"1"}}');
RESET ROLE;
DROP ROLE tt_reader;
