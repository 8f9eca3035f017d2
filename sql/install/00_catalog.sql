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
    CHECK (kind = 'relation' OR (hash_key IS NOT NULL AND hash_key_type IS NOT NULL)),
    CHECK ((range_key IS NULL) = (range_key_type IS NULL)),
    CHECK (NOT stream_enabled OR (stream_view_type IS NOT NULL AND stream_label IS NOT NULL))
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

-- The replication origin a TTL sweeper sets up so that its deletes are
-- marked as service deletes in stream records (SPEC 4.3).  Origins are
-- cluster-wide, so another database may have created it already.
SELECT pg_catalog.pg_replication_origin_create('dynamo_streams_ttl')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_origin
                    WHERE roname = 'dynamo_streams_ttl');
