-- 071_streams_catalog: dynamo._streams and list_streams.  Enabling a
-- stream makes a new stream (ENABLED), disabling marks it DISABLED,
-- enabling again makes another; old streams stay listed, also after their
-- table is deleted.  Ordinary tables' streams (enable_stream) are streams
-- too.  ListStreams pages newest first; bad input gets AWS's messages.
\set VERBOSITY terse
-- labels and ARNs carry creation times: show them masked
CREATE FUNCTION sc_mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}', '<label>', 'g')
$$;
CREATE FUNCTION sc_streams(tbl text) RETURNS TABLE (n bigint, status text, view text, disabled boolean,
  label_ok boolean, shard_count int, retention interval)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY stream_id), stream_status, stream_view_type, disabled_at IS NOT NULL,
         stream_arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/' || table_name || '/stream/' || stream_label
           AND created_at = dynamo._stream_label_time(stream_label),
         shard_count, retention
    FROM dynamo._streams WHERE table_name = tbl ORDER BY stream_id
$$;

-- an item table created with a stream has one stream
SELECT dynamo.create_table('ScItems', 'id', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT * FROM sc_streams('ScItems');
SELECT sc_mask(dynamo.list_streams('ScItems')::text);
-- a table without a stream has none
SELECT dynamo.create_table('ScPlain', 'id') IS NOT NULL;
SELECT * FROM sc_streams('ScPlain');
SELECT dynamo.list_streams('ScPlain');
-- disabling marks it DISABLED; it stays listed
SELECT dynamo.update_table('ScItems', false) IS NOT NULL;
SELECT * FROM sc_streams('ScItems');
SELECT sc_mask(dynamo.list_streams('ScItems')::text);
-- describe_table keeps naming the latest stream (AWS: LatestStreamArn
-- stays after the stream is disabled)
SELECT sc_mask(d->'Table'->>'LatestStreamArn'), sc_mask(d->'Table'->>'LatestStreamLabel'),
       d->'Table'->'StreamSpecification'
  FROM dynamo.describe_table('ScItems') d;
SELECT (dynamo.describe_table('ScItems')->'Table'->>'LatestStreamArn')
       = (SELECT stream_arn FROM dynamo._streams WHERE table_name = 'ScItems' ORDER BY stream_id DESC LIMIT 1);
-- enabling again makes a new stream with a new label and ARN
SELECT dynamo.update_table('ScItems', true, 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.update_table('ScPlain', true, 'OLD_IMAGE') IS NOT NULL;
SELECT * FROM sc_streams('ScItems');
SELECT count(DISTINCT stream_arn), count(DISTINCT stream_label) FROM dynamo._streams WHERE table_name = 'ScItems';
-- newest first; the latest stream is the one describe_table names
SELECT (l->'Streams'->0->>'StreamArn') = (dynamo.describe_table('ScItems')->'Table'->>'LatestStreamArn'),
       (l->'Streams'->0->>'StreamLabel') > (l->'Streams'->1->>'StreamLabel'),
       jsonb_array_length(l->'Streams'), l ? 'LastEvaluatedStreamArn'
  FROM dynamo.list_streams('ScItems') l;
SELECT dynamo.update_table('ScItems', false) IS NOT NULL;
SELECT dynamo.update_table('ScItems', true, 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT * FROM sc_streams('ScItems');

-- ordinary tables: enable_stream / disable_stream
CREATE TABLE sc_rows (id int PRIMARY KEY, v text);
SELECT dynamo.enable_stream('sc_rows', 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.disable_stream('sc_rows') IS NOT NULL;
SELECT dynamo.enable_stream('sc_rows', 'KEYS_ONLY') IS NOT NULL;
SELECT * FROM sc_streams('sc_rows');
SELECT sc_mask(dynamo.list_streams('sc_rows')::text);
SELECT relid = 'sc_rows'::regclass::oid AS relid_ok FROM dynamo._streams WHERE table_name = 'sc_rows';

-- deleting or dropping a table disables its stream; its streams stay listed
SELECT dynamo.delete_table('ScItems') IS NOT NULL;
SELECT * FROM sc_streams('ScItems');
SELECT jsonb_array_length(dynamo.list_streams('ScItems')->'Streams');
DROP TABLE sc_rows;
SELECT * FROM sc_streams('sc_rows');
SELECT jsonb_array_length(dynamo.list_streams('sc_rows')->'Streams');
-- a new table of the same name gets new streams
SELECT dynamo.create_table('ScItems', 'id', stream_view_type => 'NEW_IMAGE') IS NOT NULL;
SELECT * FROM sc_streams('ScItems');
SELECT count(DISTINCT table_id) FROM dynamo._streams WHERE table_name = 'ScItems';

-- pagination: pages of 1 and of 2 walk every stream once, newest first
CREATE FUNCTION sc_walk(tbl text, lim int) RETURNS TABLE (pages int, arns text[]) LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  start text;
BEGIN
  pages := 0;
  arns := '{}';
  LOOP
    r := dynamo.list_streams(tbl, lim, start);
    pages := pages + 1;
    arns := arns || ARRAY(SELECT x->>'StreamArn' FROM jsonb_array_elements(r->'Streams') x);
    start := r->>'LastEvaluatedStreamArn';
    EXIT WHEN start IS NULL;
  END LOOP;
  RETURN NEXT;
END $$;
SELECT pages, cardinality(arns) FROM sc_walk('ScItems', 1);
SELECT pages, cardinality(arns) FROM sc_walk('ScItems', 2);
SELECT pages, cardinality(arns) FROM sc_walk('ScItems', 100);
SELECT arns = ARRAY(SELECT stream_arn FROM dynamo._streams WHERE table_name = 'ScItems'
                     ORDER BY created_at DESC, stream_id DESC)
  FROM sc_walk('ScItems', 1);
-- every stream of the database, without a table name
SELECT cardinality(arns) = (SELECT count(*) FROM dynamo._streams),
       cardinality(arns) = (SELECT count(DISTINCT a) FROM unnest(arns) a)
  FROM sc_walk(NULL, 3);
-- the response's shape: the members ListStreams has
SELECT DISTINCT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(x) k)
  FROM jsonb_array_elements(dynamo.list_streams()->'Streams') x;
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(dynamo.list_streams(NULL, 1)) k);
-- a table with no stream, or no table of that name: an empty list
SELECT dynamo.list_streams('NoSuchTable');

-- bad input
SELECT dynamo.list_streams(NULL, 0);
SELECT dynamo.list_streams(NULL, 101);
SELECT dynamo.list_streams('x');
SELECT dynamo.list_streams('bad name!');
SELECT dynamo.list_streams(NULL, 10, 'arn:aws:dynamodb');
SELECT dynamo.list_streams(NULL, 10, 'arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000');
SELECT dynamo.list_streams(NULL, NULL) ? 'Streams';

-- the catalog is read-only to other roles
CREATE ROLE sc_app;
SET ROLE sc_app;
SELECT count(*) >= 0 FROM dynamo._streams;
INSERT INTO dynamo._streams (stream_arn, table_name, relid, stream_label, stream_view_type, created_at)
  VALUES ('x', 'x', 0, 'x', 'KEYS_ONLY', now());
-- (list_streams lists only the streams of tables the role may read: none)
SELECT jsonb_array_length(dynamo.list_streams('ScItems')->'Streams');
-- a role that manages its own tables (grant_access) makes and ends streams
-- through the catalog trigger
RESET ROLE;
SELECT dynamo.grant_access('sc_app');
SET ROLE sc_app;
SELECT dynamo.create_table('ScApp', 'id', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT dynamo.update_table('ScApp', false) IS NOT NULL;
SELECT dynamo.update_table('ScApp', true, 'NEW_IMAGE') IS NOT NULL;
SELECT * FROM sc_streams('ScApp');
SELECT dynamo.delete_table('ScApp') IS NOT NULL;
SELECT * FROM sc_streams('ScApp');
RESET ROLE;
SELECT dynamo.revoke_access('sc_app');
REVOKE ALL ON SCHEMA dynamo FROM sc_app;
REVOKE ALL ON dynamo._tables FROM sc_app;
DROP ROLE sc_app;
SELECT dynamo.delete_table(t) IS NOT NULL FROM unnest('{ScItems,ScPlain}'::text[]) t;
