-- 039_decoding_setup: helpers that the decoding suites (040-043) share.
-- ds_take reads a slot three ways (peek, peek, get), insists they agree,
-- keeps the records in ds_seen and shows them with the varying fields
-- masked; ds_check then checks those fields by property.
CREATE TABLE ds_seen (n serial PRIMARY KEY, slot text, data text);
-- mask the varying fields; a field in the wrong format stays visible
CREATE FUNCTION ds_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
    '"eventID":"[0-9a-f]{32}"', '"eventID":"<id>"'),
    '"SequenceNumber":"[1-9][0-9]{39}"', '"SequenceNumber":"<seq>"'),
    '"ApproximateCreationDateTime":[0-9]{10}([,}])', '"ApproximateCreationDateTime":<time>\1'),
    '/stream/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}"', '/stream/<label>"', 'g')
$$;
-- peek twice and get: all three must agree; keep the rows, show them masked
CREATE FUNCTION ds_take(slot text, VARIADIC opts text[] DEFAULT '{}') RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE p1 text[]; p2 text[]; g text[];
BEGIN
  SELECT coalesce(array_agg(data), '{}') INTO p1 FROM pg_logical_slot_peek_changes(slot, NULL, NULL, VARIADIC opts);
  SELECT coalesce(array_agg(data), '{}') INTO p2 FROM pg_logical_slot_peek_changes(slot, NULL, NULL, VARIADIC opts);
  SELECT coalesce(array_agg(data), '{}') INTO g FROM pg_logical_slot_get_changes(slot, NULL, NULL, VARIADIC opts);
  IF p1 IS DISTINCT FROM p2 OR p1 IS DISTINCT FROM g THEN
    RAISE EXCEPTION 'peek, peek again and get differ';
  END IF;
  INSERT INTO ds_seen (slot, data) SELECT slot, x FROM unnest(g) x;
  RETURN QUERY SELECT ds_mask(x) FROM unnest(g) x;
END $$;
-- properties of every record a slot produced
CREATE FUNCTION ds_check(slot text, t0 timestamptz) RETURNS TABLE (records bigint, seq_ok boolean,
  seq_increasing boolean, ids_ok boolean, ids_unique boolean, times_ok boolean, sizes_ok boolean)
LANGUAGE sql AS $$
  WITH r AS (SELECT n, data::jsonb j FROM ds_seen s WHERE s.slot = ds_check.slot AND data::jsonb ? 'eventID'),
  q AS (SELECT n, j, j->'dynamodb'->>'SequenceNumber' seq,
               lag(j->'dynamodb'->>'SequenceNumber') OVER (ORDER BY n) prev FROM r)
  SELECT count(*),
         bool_and(seq ~ '^[1-9][0-9]{39}$'),
         bool_and(prev IS NULL OR seq > prev),
         bool_and(j->>'eventID' ~ '^[0-9a-f]{32}$'),
         count(DISTINCT j->>'eventID') = count(*),
         bool_and((j->'dynamodb'->>'ApproximateCreationDateTime')::bigint
                  BETWEEN floor(extract(epoch FROM t0)) AND extract(epoch FROM clock_timestamp())),
         bool_and((j->'dynamodb'->>'SizeBytes')::bigint =
                  dynamo.item_size(j->'dynamodb'->'Keys')
                  + coalesce(dynamo.item_size(j->'dynamodb'->'NewImage'), 0)
                  + coalesce(dynamo.item_size(j->'dynamodb'->'OldImage'), 0))
    FROM q
$$;
