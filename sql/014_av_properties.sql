-- 014_av_properties: properties of the normal form over generated items.
-- A seeded generator builds valid items with non-canonical spellings
-- (numbers, set order, base64 as PostgreSQL encodes it) and checks:
--   * normalising twice changes nothing (validate_item is idempotent);
--   * the size is the same before and after normalising;
--   * the size of the stored item (dynamo_item_size, used for SizeBytes)
--     equals the size computed while validating;
--   * unmarshall gives the same plain JSON for any spelling;
--   * marshall(unmarshall(x)) is a fixed point after one round.
\set VERBOSITY terse

CREATE FUNCTION pg_temp.num() RETURNS text LANGUAGE sql AS $$
  SELECT (ARRAY['', '-', '+'])[1 + floor(random() * 3)]
         || (ARRAY['0', '00', '1', '12', '0.5', '100', '1.50', '3.14159', '1e2', '1E-5',
                   '12.34e-3', '.5', '5.', '9.9e10', '0e3'])[1 + floor(random() * 15)] $$;

-- rav(depth): a random valid AttributeValue.
CREATE FUNCTION pg_temp.rav(d int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  t int := floor(random() * (CASE WHEN d > 0 THEN 10 ELSE 8 END));
  res jsonb;
  i int;
BEGIN
  CASE t
  WHEN 0 THEN RETURN jsonb_build_object('S', md5(random()::text));
  WHEN 1 THEN RETURN jsonb_build_object('N', pg_temp.num());
  WHEN 2 THEN RETURN jsonb_build_object('B', encode(decode(md5(random()::text), 'hex'), 'base64'));
  WHEN 3 THEN RETURN jsonb_build_object('BOOL', random() < 0.5);
  WHEN 4 THEN RETURN '{"NULL": true}';
  WHEN 5 THEN RETURN jsonb_build_object('SS', (SELECT jsonb_agg(DISTINCT left(md5(g::text || random()::text), 3))
                                                 FROM generate_series(1, 1 + floor(random() * 4)::int) g));
  WHEN 6 THEN RETURN jsonb_build_object('NS', (SELECT jsonb_agg(x) FROM (SELECT DISTINCT ON (x::numeric) x
                                                 FROM (SELECT pg_temp.num() x FROM generate_series(1, 1 + floor(random() * 4)::int)) s) s2));
  WHEN 7 THEN RETURN jsonb_build_object('BS', (SELECT jsonb_agg(DISTINCT encode(decode(left(md5(g::text || random()::text), 4), 'hex'), 'base64'))
                                                 FROM generate_series(1, 1 + floor(random() * 4)::int) g));
  WHEN 8 THEN
    res := '{}';
    FOR i IN 1..floor(random() * 3)::int LOOP
      res := res || jsonb_build_object('k' || i, pg_temp.rav(d - 1));
    END LOOP;
    RETURN jsonb_build_object('M', res);
  ELSE
    res := '[]';
    FOR i IN 1..floor(random() * 3)::int LOOP
      res := res || jsonb_build_array(pg_temp.rav(d - 1));
    END LOOP;
    RETURN jsonb_build_object('L', res);
  END CASE;
END $$;

SELECT setseed(0.5);
CREATE TEMP TABLE gen AS
  SELECT jsonb_build_object('a', pg_temp.rav(5), 'bb', pg_temp.rav(3), 'é', pg_temp.rav(2)) AS j
    FROM generate_series(1, 2000);
CREATE TEMP TABLE norm AS SELECT j, dynamo.validate_item(j) AS v FROM gen;

SELECT count(*) AS items,
       count(*) FILTER (WHERE v::text <> j::text) > 0 AS some_rewritten,
       count(*) FILTER (WHERE dynamo.validate_item(v)::text <> v::text) AS not_idempotent,
       count(*) FILTER (WHERE dynamo.item_size(v) <> dynamo.item_size(j)) AS size_changed,
       count(*) FILTER (WHERE dynamo._stored_item_size(v) <> dynamo.item_size(j)) AS stored_size_differs,
       count(*) FILTER (WHERE dynamo.unmarshall(j) <> dynamo.unmarshall(v)) AS unmarshall_differs,
       count(*) FILTER (WHERE dynamo.marshall(dynamo.unmarshall(v))::text
                          <> dynamo.marshall(dynamo.unmarshall(dynamo.marshall(dynamo.unmarshall(v))))::text)
         AS round_trip_not_fixed
  FROM norm;
