-- 001_install: the extension installs into schema dynamo with its catalog.
\set VERBOSITY terse
CREATE EXTENSION dynamo_streams;
SELECT extname, extversion, nspname
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'dynamo_streams';
SELECT relname, reloptions FROM pg_class
 WHERE relnamespace = 'dynamo'::regnamespace AND relkind = 'r' ORDER BY relname;
SELECT count(*) FROM pg_replication_origin WHERE roname = 'dynamo_streams_ttl';
SHOW dynamo_streams.region;
SET dynamo_streams.account_id = 'abc';
SET dynamo_streams.region = 'Bad Region';
