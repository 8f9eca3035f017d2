-- 043_decoding_limits: decoding fails cleanly, never crashes, on values at
-- the edge of what the server can hold.
\set VERBOSITY terse
CREATE TABLE deep (id int PRIMARY KEY, doc jsonb);
SELECT dynamo.enable_stream('deep', 'NEW_IMAGE') #>> '{StreamSpecification,StreamViewType}' AS view;
SELECT 'init' FROM pg_create_logical_replication_slot('limits', 'dynamo_streams');
-- A document nested far deeper than DynamoDB's 32 levels: the server can
-- store it once max_stack_depth is raised, and decoding it must end in an
-- error (stack depth), not a crashed backend.
SET max_stack_depth = '7MB';
INSERT INTO deep VALUES (1, (repeat('[', 40000) || repeat(']', 40000))::jsonb);
RESET max_stack_depth;
SELECT count(*) FROM pg_logical_slot_peek_changes('limits', NULL, NULL);
-- the backend is still there, and the slot can be dropped
SELECT 1 AS alive;
SELECT pg_drop_replication_slot('limits');
SELECT dynamo.disable_stream('deep') #>> '{StreamSpecification,StreamEnabled}' AS enabled;
DROP TABLE deep;
