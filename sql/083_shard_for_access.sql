-- 083_shard_for_access: dynamo.shard_for for stream-enabled ordinary
-- tables (Keys = the primary key columns in column order, hashed as the
-- plugin hashes them), and the access rules of list_shards and shard_for:
-- those of the Streams API (DescribeStream): SELECT on the stream's table,
-- EXECUTE given by grant_access (docs/security.md).
\set VERBOSITY terse
SET dynamo_streams.shard_rollover_interval = 0;
CREATE FUNCTION sf_arn(tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = tbl ORDER BY stream_id DESC LIMIT 1
$$;
-- the error of a statement: SQLSTATE and message, stream labels masked
CREATE FUNCTION sf_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || regexp_replace(SQLERRM, '/stream/[0-9T:.-]+', '/stream/<label>');
END
$$;
-- the key columns are not in primary key order, nor first, and of several types
CREATE TABLE sf083_orders (note text, region text, amount numeric, id int, tag bytea,
                           PRIMARY KEY (id, region, tag));
SELECT dynamo.enable_stream('sf083_orders', 'KEYS_ONLY') -> 'StreamSpecification';
SELECT dynamo.pump() >= 0;
INSERT INTO sf083_orders SELECT 'n' || i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, i * 1.50, i,
                                decode(lpad(to_hex(i), 4, '0'), 'hex')
  FROM generate_series(1, 60) i;
UPDATE sf083_orders SET amount = amount + 1 WHERE id % 3 = 0;
DELETE FROM sf083_orders WHERE id % 7 = 0;
SELECT dynamo.pump() >= 88;
-- every record's shard is the one shard_for names for its Keys, and the
-- records spread over the four shards
SELECT count(*) AS records, count(DISTINCT sh.shard_id) AS shards,
       bool_and(sh.shard_id = dynamo.shard_for('sf083_orders', r.keys::jsonb)) AS shard_for_agrees
  FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no)
 WHERE sh.stream_id = (SELECT stream_id FROM dynamo._streams WHERE stream_arn = sf_arn('sf083_orders'));
-- the Keys of a record: the key columns in column order
SELECT keys FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
 WHERE s.stream_arn = sf_arn('sf083_orders') ORDER BY sequence_number LIMIT 1;
-- member order of the argument does not matter, numbers are normalised
SELECT dynamo.shard_for('sf083_orders', '{"tag":{"B":"AAE="},"id":{"N":"1.0"},"region":{"S":"us"}}') =
       dynamo.shard_for('sf083_orders', '{"region":{"S":"us"},"id":{"N":"1"},"tag":{"B":"AAE="}}') AS same;
-- bad keys, a table without a stream, a table that does not exist
SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"}}');
SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"},"tag":{"B":"AAE="},"x":{"S":"y"}}');
SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"},"tag":{"Q":"AAE="}}');
SELECT dynamo.disable_stream('sf083_orders') -> 'StreamSpecification';
SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"},"tag":{"B":"AAE="}}');
SELECT dynamo.shard_for('sf083_nothing', '{"id":{"N":"1"}}');
SELECT dynamo.enable_stream('sf083_orders', 'KEYS_ONLY') -> 'StreamSpecification';
SELECT dynamo.pump() >= 0;

-- access: as describe_stream
CREATE ROLE regress_ds083_app;
CREATE ROLE regress_ds083_reader;
CREATE ROLE regress_ds083_none;
SELECT dynamo.grant_access('regress_ds083_app'), dynamo.grant_access('regress_ds083_reader');
SELECT dynamo.create_table('Sf083', 'pk', 'S', 'sk', 'N', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.pump() >= 0;
GRANT SELECT ON dynamo."Sf083", sf083_orders TO regress_ds083_reader;
-- SELECT on the table (and EXECUTE from grant_access): allowed
SET ROLE regress_ds083_reader;
SELECT count(*) FROM dynamo.list_shards(sf_arn('Sf083'));
SELECT count(*) FROM dynamo.list_shards(sf_arn('sf083_orders'));
SELECT dynamo.shard_for('Sf083', '{"pk":{"S":"a"},"sk":{"N":"1"}}') =
       (SELECT shard_id FROM dynamo.list_shards(sf_arn('Sf083'))
         WHERE ending_sequence_number IS NULL
           AND hash_slot = dynamo._hash_slot(dynamo._key_hash('{"pk":{"S":"a"},"sk":{"N":"1"}}', 'pk', 'sk'), slot_count))
       AS item_table_agrees;
SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"},"tag":{"B":"AAE="}}') IS NOT NULL;
RESET ROLE;
-- grant_access without SELECT on the table: AccessDeniedException
SET ROLE regress_ds083_app;
SELECT sf_err($$SELECT count(*) FROM dynamo.list_shards(sf_arn('Sf083'))$$);
SELECT sf_err($$SELECT count(*) FROM dynamo.list_shards(sf_arn('sf083_orders'))$$);
SELECT sf_err($$SELECT dynamo.shard_for('Sf083', '{"pk":{"S":"a"},"sk":{"N":"1"}}')$$);
SELECT sf_err($$SELECT dynamo.shard_for('sf083_orders', '{"id":{"N":"1"},"region":{"S":"us"},"tag":{"B":"AAE="}}')$$);
SELECT sf_err($$SELECT count(*) FROM dynamo.describe_stream(sf_arn('Sf083'))$$);
RESET ROLE;
-- no grant_access: the functions are not executable
SET ROLE regress_ds083_none;
SELECT sf_err($$SELECT count(*) FROM dynamo.list_shards(sf_arn('Sf083'))$$);
SELECT sf_err($$SELECT dynamo.shard_for('Sf083', '{"pk":{"S":"a"},"sk":{"N":"1"}}')$$);
RESET ROLE;
-- revoke_access takes EXECUTE back
SELECT dynamo.revoke_access('regress_ds083_reader');
SET ROLE regress_ds083_reader;
SELECT count(*) FROM dynamo.list_shards(sf_arn('Sf083'));
RESET ROLE;

SELECT dynamo.delete_table('Sf083') IS NOT NULL;
DROP TABLE sf083_orders;
DROP OWNED BY regress_ds083_app, regress_ds083_reader, regress_ds083_none;
DROP ROLE regress_ds083_app, regress_ds083_reader, regress_ds083_none;
DROP FUNCTION sf_arn(text), sf_err(text);
-- leave no pump slot behind (085_worker starts without one)
SELECT dynamo._pump_drop_slot();
RESET dynamo_streams.shard_rollover_interval;
