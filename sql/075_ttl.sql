-- 075_ttl: update_time_to_live and describe_time_to_live, with DynamoDB's
-- request and response shapes and errors, and the TTL index.
-- Sources: the UpdateTimeToLive/DescribeTimeToLive API references (AWS),
-- and test/alternator/test_ttl.py of ScyllaDB, which runs against DynamoDB
-- (test_describe_ttl_without_ttl, test_ttl_enable, test_ttl_disable_errors,
-- test_update_ttl_errors): describe without TTL is {"TimeToLiveStatus":
-- "DISABLED"} with no AttributeName; re-enabling is refused, on the same
-- attribute ("already enabled") or another ("active on a different
-- AttributeName"); disabling names the current attribute; AttributeName is
-- 1-255 characters; a second change within the interval is refused
-- ("modified multiple times"), but only after the state checks.
\set VERBOSITY terse
SELECT dynamo.create_table('Ttl', 'id') IS NOT NULL AS created;
SELECT dynamo.describe_time_to_live('Ttl');

SELECT dynamo.update_time_to_live('Ttl', 'expires', true);
SELECT dynamo.describe_time_to_live('Ttl');
SELECT ttl_enabled, ttl_attribute, ttl_updated_at IS NOT NULL AS stamped
  FROM dynamo._tables WHERE table_name = 'Ttl';
-- the TTL index: partial, on the attribute's number
SELECT replace(indexdef, indexname, '<name>') AS indexdef, indexname = '_ttl_' || 'dynamo."Ttl"'::regclass::oid AS named_by_oid
  FROM pg_indexes WHERE schemaname = 'dynamo' AND tablename = 'Ttl' AND indexname LIKE '\_ttl\_%';

-- the state is checked first, whatever the interval
SELECT dynamo.update_time_to_live('Ttl', 'expires', true);
SELECT dynamo.update_time_to_live('Ttl', 'other', true);
SELECT dynamo.update_time_to_live('Ttl', 'other', false);
-- one change per interval (default one hour, as DynamoDB)
SHOW dynamo_streams.ttl_update_interval;
SELECT dynamo.update_time_to_live('Ttl', 'expires', false);
\set VERBOSITY default
SELECT dynamo.update_time_to_live('Ttl', 'expires', false);
\set VERBOSITY terse
SET dynamo_streams.ttl_update_interval = 0;
SELECT dynamo.update_time_to_live('Ttl', 'expires', false);
SELECT dynamo.describe_time_to_live('Ttl');
SELECT ttl_enabled, ttl_attribute FROM dynamo._tables WHERE table_name = 'Ttl';
SELECT count(*) AS ttl_indexes FROM pg_indexes
 WHERE schemaname = 'dynamo' AND tablename = 'Ttl' AND indexname LIKE '\_ttl\_%';
SELECT dynamo.update_time_to_live('Ttl', 'expires', false);
SELECT dynamo.update_time_to_live('Ttl', 'whatever', false);
-- enable again, on another attribute
SELECT dynamo.update_time_to_live('Ttl', 'exp.at', true);
SELECT dynamo.describe_time_to_live('Ttl');
SELECT dynamo.update_time_to_live('Ttl', 'exp.at', false);

-- bad requests
SELECT dynamo.update_time_to_live('Ttl', '', true);
SELECT dynamo.update_time_to_live('Ttl', repeat('x', 256), true) IS NULL;
SELECT dynamo.update_time_to_live('Ttl', NULL, true);
SELECT dynamo.update_time_to_live('Ttl', 'expires', NULL);
SELECT dynamo.update_time_to_live('NoSuchTable', 'expires', true);
SELECT dynamo.describe_time_to_live('NoSuchTable');
SELECT dynamo.describe_time_to_live(NULL);
-- 255 characters (not bytes) is fine
SELECT dynamo.update_time_to_live('Ttl', repeat('é', 255), true) -> 'TimeToLiveSpecification' ->> 'Enabled';
SELECT dynamo.update_time_to_live('Ttl', repeat('é', 255), false) -> 'TimeToLiveSpecification' ->> 'Enabled';
-- the key attributes may be the TTL attribute (DynamoDB accepts it)
SELECT dynamo.update_time_to_live('Ttl', 'id', true);
SELECT dynamo.update_time_to_live('Ttl', 'id', false);

-- privileges: as update_table (owner of the table and UPDATE on the
-- catalog) and describe_table (SELECT)
CREATE ROLE ttl_reader;
GRANT SELECT ON dynamo."Ttl" TO ttl_reader;
SET ROLE ttl_reader;
SELECT dynamo.describe_time_to_live('Ttl');
SELECT dynamo.update_time_to_live('Ttl', 'expires', true);
RESET ROLE;
REVOKE SELECT ON dynamo."Ttl" FROM ttl_reader;
SET ROLE ttl_reader;
SELECT dynamo.describe_time_to_live('Ttl');
RESET ROLE;
DROP ROLE ttl_reader;

-- a dropped table takes its TTL index with it
SELECT dynamo.update_time_to_live('Ttl', 'expires', true) IS NOT NULL AS enabled;
SELECT dynamo.delete_table('Ttl') IS NOT NULL AS deleted;
SELECT count(*) AS ttl_indexes FROM pg_indexes WHERE schemaname = 'dynamo' AND indexname LIKE '\_ttl\_%';
RESET dynamo_streams.ttl_update_interval;
