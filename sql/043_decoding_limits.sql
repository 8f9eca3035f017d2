-- 043_decoding_limits: decoding never crashes and never stops at values
-- at the edge of what the server can hold.
\set VERBOSITY terse
CREATE TABLE deep (id int PRIMARY KEY, doc jsonb);
SELECT dynamo.enable_stream('deep', 'NEW_IMAGE') #>> '{StreamSpecification,StreamViewType}' AS view;
SELECT 'init' FROM pg_create_logical_replication_slot('limits', 'dynamo_streams');
-- A document nested far deeper than DynamoDB's 32 levels: the server can
-- store it once max_stack_depth is raised.  Decoding it with the default
-- max_stack_depth must neither crash nor fail (a change that fails to
-- decode fails on every retry: the slot could never get past it): the
-- document comes out as S with its text.
SET max_stack_depth = '7MB';
INSERT INTO deep VALUES (1, (repeat('[', 40000) || repeat(']', 40000))::jsonb);
ALTER TABLE deep ADD COLUMN j json;
INSERT INTO deep VALUES (2, '[[1]]', (repeat('[', 40000) || repeat(']', 40000))::json);
RESET max_stack_depth;
SELECT data::jsonb->'dynamodb'->'Keys' AS keys,
       md5(data::jsonb->'dynamodb'->'NewImage'->'doc'->>'S') = md5(repeat('[', 40000) || repeat(']', 40000)) AS doc_as_s,
       md5(data::jsonb->'dynamodb'->'NewImage'->'j'->>'S') = md5(repeat('[', 40000) || repeat(']', 40000)) AS j_as_s,
       data::jsonb->'dynamodb'->'NewImage'->'doc'->'L' AS doc_l
  FROM pg_logical_slot_peek_changes('limits', NULL, NULL);
-- the backend is still there, and the slot can be dropped
SELECT 1 AS alive;
SELECT pg_drop_replication_slot('limits');
SELECT dynamo.disable_stream('deep') #>> '{StreamSpecification,StreamEnabled}' AS enabled;
DROP TABLE deep;
