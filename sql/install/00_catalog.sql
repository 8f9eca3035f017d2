-- dynamo_streams install script, part 00: the catalog.
--
-- The install script is assembled from sql/install/*.sql in name order
-- (see the Makefile); each part has one topic.

\echo Use "CREATE EXTENSION dynamo_streams" to load this file. \quit

-- DynamoDB strings are UTF-8 (item sizes count UTF-8 bytes, stream records
-- are UTF-8 JSON): refuse a database with another encoding before anything
-- is made.  The shared library checks too (dynamo_require_utf8), with the
-- same message, for installs made by 0.1.0, which had no check.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'dynamo_streams needs a database with encoding UTF8, not %',
            pg_catalog.getdatabaseencoding()
            USING ERRCODE = '0A000',
            DETAIL = 'DynamoDB strings are UTF-8, and stream records must be valid UTF-8.',
            HINT = 'Create a UTF8 database, for example with CREATE DATABASE mydb ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0, and use dynamo_streams there.';
    END IF;
END
$$;

-- One row per table that produces DynamoDB items or stream records:
-- item tables made by create_table (kind 'item') and ordinary tables
-- enabled with enable_stream (kind 'relation').
--
-- user_catalog_table = true lets the output plugin read it during logical
-- decoding with the historic snapshot of each change, so stream settings
-- take effect exactly at their point in the WAL.  pg_dump includes its
-- rows (pg_extension_config_dump below).
CREATE TABLE @extschema@._tables (
    table_name        text PRIMARY KEY,
    relid             pg_catalog.regclass NOT NULL UNIQUE,
    kind              text NOT NULL CHECK (kind IN ('item', 'relation')),
    hash_key          text,
    hash_key_type     "char" CHECK (hash_key_type IN ('S', 'N', 'B')),
    range_key         text,
    range_key_type    "char" CHECK (range_key_type IN ('S', 'N', 'B')),
    stream_enabled    boolean NOT NULL DEFAULT false,
    stream_view_type  text CHECK (stream_view_type IN
                        ('KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES')),
    -- creation time of the current (or last) stream, 'YYYY-MM-DDTHH:MM:SS.mmm' UTC
    stream_label      text,
    ttl_attribute     text,
    ttl_enabled       boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- TableId: a random (version 4) UUID given at creation, as DynamoDB's
    table_id          uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    -- identity of the current (or last) stream, fixed when it was enabled
    -- (_tables_stream_identity below): the settings dynamo_streams.region
    -- and dynamo_streams.account_id of that moment, and its ARN
    stream_region     text,
    stream_account_id text,
    stream_arn        text,
    -- when update_time_to_live last changed the TTL setting (its cooldown,
    -- setting dynamo_streams.ttl_update_interval)
    ttl_updated_at    timestamptz,
    CHECK (kind = 'relation' OR (hash_key IS NOT NULL AND hash_key_type IS NOT NULL)),
    CHECK ((range_key IS NULL) = (range_key_type IS NULL)),
    CHECK (NOT stream_enabled OR (stream_view_type IS NOT NULL AND stream_label IS NOT NULL)),
    CHECK (NOT stream_enabled OR (stream_region IS NOT NULL AND stream_account_id IS NOT NULL
                                  AND stream_arn IS NOT NULL))
) WITH (user_catalog_table = true);

COMMENT ON TABLE @extschema@._tables IS
    'dynamo_streams catalog: item tables and stream-enabled relations';

SELECT pg_catalog.pg_extension_config_dump('@extschema@._tables', '');

CREATE FUNCTION @extschema@._tables_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_tables_changed';

-- Any edit of the catalog invalidates the caches built from it, in every
-- backend and in logical decoding (see src/dynamo_streams.c).
CREATE TRIGGER _tables_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@._tables
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._tables_changed();

-- The source of the database's changes.  Its epoch is the leading field of
-- every SequenceNumber (docs/output-plugin.md, "Sequence numbers"): 100
-- while the table is empty, raised by one when stream records start coming
-- from a new source whose LSNs may be lower than before (the database
-- restored from a dump, moved to another cluster, or a later multi-node
-- setup), so that sequence numbers keep increasing across the move.  One
-- value for the whole database keeps every slot's output in SequenceNumber
-- order.  The epoch never goes down.  A user_catalog_table, like _tables:
-- the output plugin reads it as of each change, so a new epoch takes
-- effect exactly at the commit that set it.  Dumped with its row, so that
-- a restore knows the epoch to raise.
CREATE TABLE @extschema@._source (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch  smallint NOT NULL CHECK (epoch BETWEEN 100 AND 999)
) WITH (user_catalog_table = true);

COMMENT ON TABLE @extschema@._source IS
    'dynamo_streams catalog: the SequenceNumber epoch of this database''s stream records';

SELECT pg_catalog.pg_extension_config_dump('@extschema@._source', '');

-- The epoch never goes down.  And no transaction that writes a streamed
-- table may span the commit of a new epoch: the plugin reads the epoch as
-- of each change, so such a transaction's records would carry the old
-- epoch behind the commit LSN of a later commit, below the numbers of
-- transactions that committed in between.  So a new epoch first takes
-- SHARE locks on the catalog and on every catalogued table: it waits for
-- the writers in flight, and new writers wait for its commit.
CREATE FUNCTION @extschema@._source_epoch_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    ok boolean;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) ANY (ARRAY['DELETE', 'TRUNCATE'])
       OR (TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.epoch OPERATOR(pg_catalog.<) OLD.epoch) THEN
        ok := @extschema@._raise('ValidationException', 'the SequenceNumber epoch never goes down', NULL,
            'Sequence numbers must keep increasing; raise the epoch instead (dynamo._raise_epoch()).');
    END IF;
    LOCK TABLE @extschema@._tables IN SHARE MODE;
    FOR r IN SELECT t.relid FROM @extschema@._tables t
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
              ORDER BY t.relid::pg_catalog.oid
    LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', r.relid);
    END LOOP;
    RETURN NEW;
END
$$;

CREATE TRIGGER _source_epoch_guard
    BEFORE INSERT OR UPDATE OR DELETE ON @extschema@._source
    FOR EACH ROW EXECUTE FUNCTION @extschema@._source_epoch_guard();

CREATE TRIGGER _source_no_truncate
    BEFORE TRUNCATE ON @extschema@._source
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._source_epoch_guard();

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

-- A stream's identity is fixed when it is created: every new stream label
-- (create_table or update_table with a stream, enable_stream) gets the
-- region and account of the settings at that moment and its ARN, which the
-- output plugin and describe functions read from here, whatever the
-- settings of whoever reads the stream later.  Values given explicitly
-- (a restored dump) are kept.
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

-- The replication origin a TTL sweeper sets up so that its deletes are
-- marked as service deletes in stream records (SPEC 4.3).  Origins are
-- cluster-wide, so another database may have created it already.
SELECT pg_catalog.pg_replication_origin_create('dynamo_streams_ttl')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_origin
                    WHERE roname = 'dynamo_streams_ttl');
