-- dynamo_streams upgrade 0.1.0 -> 0.2.0.
--
-- Every change to installed objects between the releases, in the order
-- the install script (sql/install/) makes them.  test/t/003_upgrade.pl
-- checks that an upgraded database has exactly the objects of a fresh
-- 0.2.0 install and keeps its items, catalog rows and streams.

\echo Use "ALTER EXTENSION dynamo_streams UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Stream identity, SequenceNumber epoch, replica identity (issue 6,
-- items 4, 6, 7).
--
-- A stream's region, account and ARN are stored when it is enabled
-- (back-filled here for existing streams from this session's settings);
-- the SequenceNumber epoch lives in _source (no row: epoch 100); item
-- tables and stream-enabled tables must keep REPLICA IDENTITY FULL.
-- ---------------------------------------------------------------------

ALTER TABLE @extschema@._tables
    ADD COLUMN stream_region text,
    ADD COLUMN stream_account_id text,
    ADD COLUMN stream_arn text;

UPDATE @extschema@._tables t
   SET stream_region = s.region, stream_account_id = s.account,
       stream_arn = 'arn:aws:dynamodb:' || s.region || ':' || s.account || ':table/'
                    || t.table_name || '/stream/' || t.stream_label
  FROM (SELECT coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1') AS region,
               coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000') AS account) s
 WHERE t.stream_label IS NOT NULL;

ALTER TABLE @extschema@._tables
    ADD CHECK (NOT stream_enabled OR (stream_region IS NOT NULL AND stream_account_id IS NOT NULL
                                      AND stream_arn IS NOT NULL));

CREATE TABLE @extschema@._source (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch  smallint NOT NULL CHECK (epoch BETWEEN 100 AND 999)
) WITH (user_catalog_table = true);

COMMENT ON TABLE @extschema@._source IS
    'dynamo_streams catalog: the SequenceNumber epoch of this database''s stream records';

SELECT pg_catalog.pg_extension_config_dump('@extschema@._source', '');

CREATE FUNCTION @extschema@._source_epoch_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NEW.epoch OPERATOR(pg_catalog.<) OLD.epoch THEN
        RAISE EXCEPTION 'ValidationException: the SequenceNumber epoch never goes down'
            USING ERRCODE = '22023',
            HINT = 'Sequence numbers must keep increasing; raise the epoch instead.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER _source_epoch_guard
    BEFORE UPDATE OR DELETE ON @extschema@._source
    FOR EACH ROW EXECUTE FUNCTION @extschema@._source_epoch_guard();

CREATE TRIGGER _source_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@._source
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._tables_changed();

-- Raise the epoch by one and return it: run after restoring the database
-- from a dump or moving it to another cluster, before new writes are
-- decoded (a restore procedure calls it).  Owner only.
CREATE FUNCTION @extschema@._raise_epoch() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e integer;
BEGIN
    LOCK TABLE @extschema@._source IN SHARE ROW EXCLUSIVE MODE;
    UPDATE @extschema@._source s SET epoch = s.epoch OPERATOR(pg_catalog.+) 1 RETURNING s.epoch INTO e;
    IF NOT FOUND THEN
        INSERT INTO @extschema@._source (epoch) VALUES (101) RETURNING epoch INTO e;
    END IF;
    RETURN e;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._raise_epoch() FROM PUBLIC;

CREATE FUNCTION @extschema@._tables_stream_identity() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.stream_label IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' AND NEW.stream_arn IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND NEW.stream_label IS NOT DISTINCT FROM OLD.stream_label
       AND NEW.stream_arn IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND NEW.stream_label IS DISTINCT FROM OLD.stream_label
       AND NEW.stream_arn IS DISTINCT FROM OLD.stream_arn THEN
        RETURN NEW;
    END IF;
    NEW.stream_region := coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1');
    NEW.stream_account_id := coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000');
    NEW.stream_arn := 'arn:aws:dynamodb:' OPERATOR(pg_catalog.||) NEW.stream_region
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) NEW.stream_account_id
        OPERATOR(pg_catalog.||) ':table/' OPERATOR(pg_catalog.||) NEW.table_name
        OPERATOR(pg_catalog.||) '/stream/' OPERATOR(pg_catalog.||) NEW.stream_label;
    RETURN NEW;
END
$$;

CREATE TRIGGER _tables_stream_identity
    BEFORE INSERT OR UPDATE ON @extschema@._tables
    FOR EACH ROW EXECUTE FUNCTION @extschema@._tables_stream_identity();

CREATE OR REPLACE FUNCTION @extschema@._table_description(t @extschema@._tables, status text DEFAULT 'ACTIVE')
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
    size numeric;
    created numeric := pg_catalog.round(EXTRACT(epoch FROM t.created_at), 3);
    d jsonb;
BEGIN
    -- Stored items are normalised, so their size needs no validation; an
    -- item written around the guard trigger must not make describe_table
    -- (or delete_table) fail.
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*), COALESCE(pg_catalog.sum(@extschema@._stored_item_size(item)), 0) FROM %s',
                              t.relid) INTO n, size;
    d := pg_catalog.jsonb_build_object(
        'AttributeDefinitions', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'AttributeType', t.hash_key_type::text))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'AttributeType', t.range_key_type::text)) END,
        'TableName', t.table_name,
        'KeySchema', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'KeyType', 'HASH'))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'KeyType', 'RANGE')) END,
        'TableStatus', status,
        'CreationDateTime', created,
        'ProvisionedThroughput', '{"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}'::jsonb,
        'TableSizeBytes', size,
        'ItemCount', n,
        'TableArn', @extschema@._table_arn(t.table_name),
        'TableId', @extschema@._table_id(t),
        'BillingModeSummary', pg_catalog.jsonb_build_object('BillingMode', 'PAY_PER_REQUEST',
                                                            'LastUpdateToPayPerRequestDateTime', created),
        'DeletionProtectionEnabled', false);
    IF t.stream_label IS NOT NULL THEN
        d := d OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'StreamSpecification', CASE WHEN t.stream_enabled
                THEN pg_catalog.jsonb_build_object('StreamEnabled', true, 'StreamViewType', t.stream_view_type)
                ELSE '{"StreamEnabled": false}'::jsonb END,
            'LatestStreamLabel', t.stream_label,
            'LatestStreamArn', t.stream_arn);
    END IF;
    RETURN d;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._stream_description(r @extschema@._tables) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'TableName', r.table_name,
        'TableArn', t.arn,
        'StreamSpecification', CASE WHEN r.stream_enabled
            THEN pg_catalog.jsonb_build_object('StreamEnabled', true,
                                               'StreamViewType', r.stream_view_type)
            ELSE pg_catalog.jsonb_build_object('StreamEnabled', false) END,
        'LatestStreamLabel', r.stream_label,
        'LatestStreamArn', r.stream_arn))
      FROM (SELECT 'arn:aws:dynamodb:'
                   || coalesce(pg_catalog.current_setting('dynamo_streams.region', true), 'us-east-1')
                   || ':'
                   || coalesce(pg_catalog.current_setting('dynamo_streams.account_id', true), '000000000000')
                   || ':table/' || r.table_name AS arn) t
$$;

CREATE FUNCTION @extschema@._replica_identity_check() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.table_name, t.kind, t.relid, c.relreplident
               FROM pg_catalog.pg_event_trigger_ddl_commands() d
               JOIN @extschema@._tables t ON t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid
              WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                AND (t.kind OPERATOR(pg_catalog.=) 'item' OR t.stream_enabled)
                AND c.relreplident OPERATOR(pg_catalog.<>) 'f'
    LOOP
        RAISE EXCEPTION 'ValidationException: table % must keep REPLICA IDENTITY FULL', r.relid
            USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('%s %s streams its changes from the full old row of each UPDATE and DELETE.',
                CASE WHEN r.kind OPERATOR(pg_catalog.=) 'item' THEN 'Item table' ELSE 'Stream-enabled table' END,
                r.table_name),
            HINT = CASE WHEN r.kind OPERATOR(pg_catalog.=) 'item'
                THEN 'Item tables always keep REPLICA IDENTITY FULL; ALTER TABLE ... REPLICA IDENTITY FULL sets it back.'
                ELSE 'Keep REPLICA IDENTITY FULL while the stream is enabled, or disable the stream first (dynamo.disable_stream).' END;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._replica_identity_check() FROM PUBLIC;

CREATE EVENT TRIGGER dynamo_streams_replica_identity ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION @extschema@._replica_identity_check();

-- Tables whose identity was changed under 0.1.0 get REPLICA IDENTITY FULL
-- back (REMOVE records of item tables were lost without it).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.relid FROM @extschema@._tables t
               JOIN pg_catalog.pg_class c ON c.oid = t.relid
              WHERE (t.kind = 'item' OR t.stream_enabled) AND c.relreplident <> 'f'
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', r.relid);
    END LOOP;
END
$$;
