-- test/demo.sql: the README's demo, run by test/demo.sh on a throwaway server.
--
-- psql echoes every query before its output (--echo-queries); the \echo
-- lines narrate.  JSON results are printed as plain text (\g with
-- format=unaligned) so that pretty-printed JSON reads as JSON.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset null '(null)'
\set VERBOSITY default

\echo
\echo '==== 1. An item table with a stream ==========================================='
\echo '-- The extension lives in schema dynamo.  create_table takes DynamoDB''s key'
\echo '-- schema (partition key Artist, sort key SongTitle, both strings) and a'
\echo '-- stream view type; it answers with DynamoDB''s TableDescription.'
CREATE EXTENSION dynamo_streams;
SELECT jsonb_pretty(dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S',
                                        stream_view_type => 'NEW_AND_OLD_IMAGES'))
\g (format=unaligned tuples_only=on)

\echo
\echo '-- list_tables: the item tables, as DynamoDB''s ListTables answers.'
SELECT dynamo.list_tables();

\echo
\echo '-- A logical replication slot with the output plugin dynamo_streams.  It sees'
\echo '-- every change committed after its creation, so it is made before the writes.'
SELECT slot_name FROM pg_create_logical_replication_slot('demo', 'dynamo_streams');

\echo
\echo '-- The stream log keeps the same records in tables, readable through the'
\echo '-- DynamoDB Streams API (section 9).  The first dynamo.pump() makes the pump''s'
\echo '-- own slot (and writes nothing); the writes below reach the log from then on.'
SELECT dynamo.pump();

\echo
\echo '==== 2. Writing items =========================================================='
\echo '-- put_item takes an item in AttributeValue JSON.  A new key is an INSERT'
\echo '-- stream record; the answer is {} as in DynamoDB.'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"},"AlbumTitle":{"S":"Songs About Life"},"Year":{"N":"2024"},"Genre":{"SS":["Rock","Pop"]}}');
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"PartiQL Rocks"},"AlbumTitle":{"S":"Another Album Title"},"Year":{"N":"2025"},"Price":{"N":"1.50"}}');
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Pizza Party"},"Year":{"N":"2023"},"Explicit":{"BOOL":false}}');
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Zebra Crossing"},"Year":{"N":"2023"}}');
SELECT dynamo.put_item('Music', '{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"},"Year":{"N":"2021"},"Awards":{"L":[{"S":"Best Song"},{"N":"1e2"}]}}');

\echo
\echo '-- Putting a changed item over an existing key is a MODIFY record.'
\echo '-- return_values => ''ALL_OLD'' returns the item it replaced.'
SELECT jsonb_pretty(dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"},"AlbumTitle":{"S":"Songs About Life"},"Year":{"N":"2024"},"Genre":{"SS":["Rock","Pop","Indie"]}}',
                                    return_values => 'ALL_OLD'))
\g (format=unaligned tuples_only=on)

\echo
\echo '-- Numbers are normalised ("1.50" is stored as "1.5", "1e2" as "100") and sets'
\echo '-- are stored in a canonical order, so equal items are stored identically.'
\echo '-- Each item table is an ordinary table dynamo."<TableName>" (pk, sk, item):'
SELECT pk, sk, item FROM dynamo."Music" ORDER BY pk, sk;

\echo
\echo '==== 3. Reading items =========================================================='
\echo '-- get_item by full key: {"Item": ...}, or {} when there is no such item.'
SELECT jsonb_pretty(dynamo.get_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"PartiQL Rocks"}}'))
\g (format=unaligned tuples_only=on)
SELECT dynamo.get_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"No Such Song"}}');

\echo
\echo '-- query: one partition, with a sort key condition, in sort key order'
\echo '-- (DynamoDB''s order: UTF-8 bytes for strings, never the database collation).'
SELECT jsonb_pretty(dynamo.query('Music',
    key_condition_expression => 'Artist = :a AND begins_with(SongTitle, :p)',
    expression_attribute_values => '{":a":{"S":"Acme Band"},":p":{"S":"P"}}'))
\g (format=unaligned tuples_only=on)

\echo
\echo '-- Pagination: limit => 2 returns a LastEvaluatedKey; pass it back as'
\echo '-- exclusive_start_key for the next page.  Here backwards (scan_index_forward => false).'
SELECT jsonb_path_query_array(p, '$.Items[*].SongTitle.S') AS songs, p->'Count' AS count,
       coalesce(p->>'LastEvaluatedKey', '(none)') AS next
  FROM dynamo.query('Music', 'Artist = :a', '{":a":{"S":"Acme Band"}}',
                    scan_index_forward => false, "limit" => 2) AS p \gset
\echo 'SongTitles' :songs ' Count' :count ' LastEvaluatedKey' :next
SELECT jsonb_path_query_array(p, '$.Items[*].SongTitle.S') AS songs, p->'Count' AS count,
       coalesce(p->>'LastEvaluatedKey', '(none)') AS next
  FROM dynamo.query('Music', 'Artist = :a', '{":a":{"S":"Acme Band"}}',
                    scan_index_forward => false, "limit" => 2,
                    exclusive_start_key => :'next') AS p \gset
\echo 'SongTitles' :songs ' Count' :count ' LastEvaluatedKey' :next
SELECT jsonb_path_query_array(p, '$.Items[*].SongTitle.S') AS songs, p->'Count' AS count,
       coalesce(p->>'LastEvaluatedKey', '(none)') AS next
  FROM dynamo.query('Music', 'Artist = :a', '{":a":{"S":"Acme Band"}}',
                    scan_index_forward => false, "limit" => 2,
                    exclusive_start_key => :'next') AS p \gset
\echo 'SongTitles' :songs ' Count' :count ' LastEvaluatedKey' :next
\echo '-- No LastEvaluatedKey: that was the last page.  As in DynamoDB, a page that'
\echo '-- reaches the limit always has one, so the last page can be empty.'

\echo
\echo '-- scan reads the whole table, also page by page (in no particular order).'
SELECT jsonb_path_query_array(p, '$.Items[*].SongTitle.S') AS songs, coalesce(p->>'LastEvaluatedKey', '(none)') AS next
  FROM dynamo.scan('Music', "limit" => 3) AS p \gset
\echo 'SongTitles' :songs ' LastEvaluatedKey' :next
SELECT jsonb_path_query_array(p, '$.Items[*].SongTitle.S') AS songs, coalesce(p->>'LastEvaluatedKey', '(none)') AS next
  FROM dynamo.scan('Music', "limit" => 3, exclusive_start_key => :'next') AS p \gset
\echo 'SongTitles' :songs ' LastEvaluatedKey' :next

\echo
\echo '==== 4. More writes ============================================================'
\echo '-- batch_write_item: up to 25 puts and deletes over several tables, all or nothing.'
SELECT dynamo.batch_write_item('{"Music":[
    {"PutRequest":{"Item":{"Artist":{"S":"The Beatles"},"SongTitle":{"S":"Yesterday"},"Year":{"N":"1965"}}}},
    {"PutRequest":{"Item":{"Artist":{"S":"The Beatles"},"SongTitle":{"S":"Help!"},"Year":{"N":"1965"}}}},
    {"DeleteRequest":{"Key":{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Zebra Crossing"}}}}]}');

\echo
\echo '-- delete_item: a REMOVE record.  return_values => ''ALL_OLD'' returns the item.'
SELECT dynamo.delete_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Pizza Party"}}',
                          return_values => 'ALL_OLD');
\echo '-- Deleting a missing item succeeds and emits nothing.'
SELECT dynamo.delete_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Pizza Party"}}');

\echo
\echo '-- Re-putting an identical item changes nothing, so, as in DynamoDB, it emits no'
\echo '-- stream record.  "1.5" written as "1.500" is the same number: no record either.'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"PartiQL Rocks"},"AlbumTitle":{"S":"Another Album Title"},"Year":{"N":"2025"},"Price":{"N":"1.50"}}');
SELECT dynamo.put_item('Music', '{"Price":{"N":"1.500"},"Year":{"N":"2025"},"AlbumTitle":{"S":"Another Album Title"},"SongTitle":{"S":"PartiQL Rocks"},"Artist":{"S":"Acme Band"}}');

\echo
\echo '-- update_item with an UpdateExpression: an atomic counter.  The first update'
\echo '-- adds the attribute (if_not_exists), each one a MODIFY record; concurrent'
\echo '-- updates queue on the item, so no increment is lost.'
SELECT dynamo.update_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}',
    'SET Plays = if_not_exists(Plays, :zero) + :one',
    expression_attribute_values => '{":zero":{"N":"0"},":one":{"N":"1"}}',
    return_values => 'UPDATED_NEW');
SELECT dynamo.update_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}',
    'SET Plays = if_not_exists(Plays, :zero) + :one',
    expression_attribute_values => '{":zero":{"N":"0"},":one":{"N":"1"}}',
    return_values => 'UPDATED_NEW');
\echo '-- An update that changes nothing (adding 0) emits no record:'
SELECT dynamo.update_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}',
    'SET Plays = Plays + :zero', expression_attribute_values => '{":zero":{"N":"0.00"}}');

\echo
\echo '-- A conditional put: create "Happy Day" only if it does not exist.  It does,'
\echo '-- so the put fails with ConditionalCheckFailedException (in DETAIL, SQLSTATE'
\echo '-- 23514), writes nothing and emits no record.'
\set ON_ERROR_STOP 0
\set SHOW_CONTEXT never
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}',
    condition_expression => 'attribute_not_exists(SongTitle)');
\echo '   SQLSTATE:' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
\echo '-- The same condition on a new key succeeds (an INSERT record):'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Encore"}}',
    condition_expression => 'attribute_not_exists(SongTitle)');

\echo
\echo '-- transact_write_items: up to 100 writes and checks, all or nothing.  A play'
\echo '-- moves from "Happy Day" to "Encore" if "Happy Day" has one: two MODIFY'
\echo '-- records, in request order, in one transaction.'
SELECT dynamo.transact_write_items('[
  {"Update":{"TableName":"Music","Key":{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}},
             "UpdateExpression":"SET Plays = Plays - :n","ConditionExpression":"Plays >= :n",
             "ExpressionAttributeValues":{":n":{"N":"1"}}}},
  {"Update":{"TableName":"Music","Key":{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Encore"}},
             "UpdateExpression":"SET Plays = if_not_exists(Plays, :z) + :n",
             "ExpressionAttributeValues":{":n":{"N":"1"},":z":{"N":"0"}}}}]');
\echo '-- Moving 5 plays is cancelled: TransactionCanceledException (SQLSTATE 23000)'
\echo '-- with one reason per action in DETAIL; nothing is written, no record.'
\set ON_ERROR_STOP 0
SELECT dynamo.transact_write_items('[
  {"Update":{"TableName":"Music","Key":{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}},
             "UpdateExpression":"SET Plays = Plays - :n","ConditionExpression":"Plays >= :n",
             "ExpressionAttributeValues":{":n":{"N":"5"}}}},
  {"Update":{"TableName":"Music","Key":{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Encore"}},
             "UpdateExpression":"SET Plays = Plays + :n","ExpressionAttributeValues":{":n":{"N":"5"}}}}]');
\echo '   SQLSTATE:' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
\echo '-- Time to live: items whose ExpiresAt (an N, epoch seconds) has passed are'
\echo '-- deleted by a sweep (CALL dynamo.sweep_ttl(), from cron or a scheduler), in'
\echo '-- short batches; until then they are still read, as in DynamoDB.'
SELECT dynamo.update_time_to_live('Music', 'ExpiresAt', true);
SELECT dynamo.put_item('Music', jsonb_build_object('Artist', '{"S":"Acme Band"}'::jsonb,
    'SongTitle', '{"S":"One Hit"}'::jsonb,
    'ExpiresAt', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 60)::text)));
SELECT dynamo.describe_time_to_live('Music');
SELECT dynamo.get_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"One Hit"}}') ? 'Item' AS still_readable;
CALL dynamo.sweep_ttl();

\echo
\echo '==== 5. What bad items get ====================================================='
\echo '-- Errors name the AWS exception first, then the offending value, with a'
\echo '-- fixed SQLSTATE per exception (docs/errors.md).  Nothing is written.'
\set ON_ERROR_STOP 0
\set SHOW_CONTEXT never
\set sqlstate '\\echo ''   SQLSTATE:'' :LAST_ERROR_SQLSTATE'
\echo '-- An empty string set:'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Bad"},"Genre":{"SS":[]}}');
:sqlstate
\echo '-- A duplicate in a number set (1 and 1.0 are the same number):'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Bad"},"Ratings":{"NS":["1","1.0"]}}');
:sqlstate
\echo '-- A number with 39 significant digits:'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Bad"},"Plays":{"N":"123456789012345678901234567890123456789"}}');
:sqlstate
\echo '-- NULL must be true:'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Bad"},"Label":{"NULL":false}}');
:sqlstate
\echo '-- A missing sort key, and a key attribute of the wrong type:'
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"}}');
:sqlstate
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"N":"7"}}');
:sqlstate
\echo '-- An item over 400 KB:'
SELECT dynamo.put_item('Music', jsonb_build_object('Artist', '{"S":"Acme Band"}'::jsonb,
    'SongTitle', '{"S":"Long"}'::jsonb, 'Lyrics', jsonb_build_object('S', repeat('la', 205000))));
:sqlstate
\echo '-- The same rules hold for plain SQL writes to the item table:'
INSERT INTO dynamo."Music" (item) VALUES ('{"Artist":{"S":""},"SongTitle":{"S":"Empty key"}}');
:sqlstate
\echo '-- An unknown table, and a table that already exists:'
SELECT dynamo.get_item('Movies', '{"Title":{"S":"Alien"}}');
:sqlstate
SELECT dynamo.create_table('Music', 'Artist');
:sqlstate
\set ON_ERROR_STOP 1

\echo
\echo '==== 6. Helpers ================================================================='
\echo '-- item_size: DynamoDB''s size of an item (names plus values), as AWS bills it.'
SELECT dynamo.item_size('{"shirt-color":{"S":"R"},"shirt-size":{"S":"M"}}') AS bytes;
\echo '-- marshall / unmarshall: plain JSON to AttributeValue JSON and back, as the'
\echo '-- AWS SDK''s util-dynamodb does.'
SELECT dynamo.marshall('{"Id":101,"Message":"New item!","Tags":["a","b"],"Meta":{"ok":true,"none":null}}');
SELECT dynamo.unmarshall(item) FROM dynamo."Music" WHERE pk = 'The Beatles' AND sk = 'Help!';

\echo
\echo '==== 7. A stream on an ordinary table =========================================='
\echo '-- enable_stream gives any table with a primary key a stream: columns become'
\echo '-- attributes by type (text S, numbers N, bytea B, boolean BOOL, json M/L/...).'
CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric(10,2), note text);
SELECT jsonb_pretty(dynamo.enable_stream('orders', 'NEW_IMAGE'))
\g (format=unaligned tuples_only=on)
INSERT INTO orders VALUES (1, 'NEW', 12.50, NULL), (2, 'NEW', 99.00, 'gift');
UPDATE orders SET status = 'SHIPPED' WHERE id = 1;
\echo '-- Setting a column to its own value changes nothing: no record.'
UPDATE orders SET status = status;
DELETE FROM orders WHERE id = 2;

\echo
\echo '==== 8. The stream records ====================================================='
\echo '-- Read the slot: one DynamoDB Streams record (the Lambda event record) per'
\echo '-- change.  First a summary (peek does not consume) ...'
SELECT r->>'eventName' AS "eventName",
       r->'dynamodb'->'Keys' AS "Keys",
       r->'userIdentity'->>'principalId' AS "userIdentity.principalId",
       r->'dynamodb'->'SizeBytes' AS "SizeBytes",
       r->'dynamodb'->>'SequenceNumber' AS "SequenceNumber"
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('demo', NULL, NULL)) s;

\echo '-- One record per changing write, in commit order: the five puts, the MODIFY'
\echo '-- of "Happy Day", the batch (three records, one transaction), the delete, the'
\echo '-- two counter updates, the conditional put of "Encore", the transaction (two'
\echo '-- records), the put of "One Hit" and its TTL delete (the REMOVE with a'
\echo '-- userIdentity), and the orders changes.  Nothing for the identical re-puts,'
\echo '-- the delete of a missing item, the update that added 0, the failed'
\echo '-- conditional put, the cancelled transaction, the rejected items or the'
\echo '-- UPDATE that changed nothing.'

\echo
\echo '-- Plugin options change the output; format streams gives GetRecords records'
\echo '-- (no eventSourceARN), tables filters by table name:'
SELECT data FROM pg_logical_slot_peek_changes('demo', NULL, NULL,
                                              'format', 'streams', 'tables', 'orders')
\g (format=unaligned tuples_only=on)

\echo
\echo '==== 9. The stream log, read through the DynamoDB Streams API ================'
\echo '-- A pump step copies the new records into the stream log, exactly once (the'
\echo '-- background worker, dynamo.start(), does this in a loop).  It answers the'
\echo '-- number of records written:'
SELECT dynamo.pump();

\echo
\echo '-- list_streams: the streams of Music (ListStreams), newest first.'
SELECT jsonb_pretty(dynamo.list_streams('Music'))
\g (format=unaligned tuples_only=on)
SELECT s->>'StreamArn' AS arn FROM jsonb_array_elements(dynamo.list_streams('Music')->'Streams') s LIMIT 1 \gset

\echo
\echo '-- describe_stream (DescribeStream): the stream and its shards.  A record goes'
\echo '-- to a shard by a hash of the item''s full key; order is kept per item.'
SELECT jsonb_pretty(dynamo.describe_stream(:'arn') #- '{StreamDescription,KeySchema}')
\g (format=unaligned tuples_only=on)

\echo
\echo '-- Reading every shard from TRIM_HORIZON with get_records (GetRecords): the'
\echo '-- records per shard, and the items whose changes landed there.'
SELECT sh->>'ShardId' AS "ShardId",
       json_array_length(r->'Records') AS records,
       (SELECT string_agg(DISTINCT e->'dynamodb'->'Keys'->'SongTitle'->>'S', ', ')
          FROM json_array_elements(r->'Records') e) AS "SongTitles"
  FROM jsonb_array_elements(dynamo.describe_stream(:'arn')->'StreamDescription'->'Shards') sh,
       dynamo.get_records(dynamo.get_shard_iterator(:'arn', sh->>'ShardId', 'TRIM_HORIZON')->>'ShardIterator') r
 ORDER BY 1;

\echo
\echo '-- The shard of "Happy Day" (shard_for), an iterator at its oldest record'
\echo '-- (get_shard_iterator, TRIM_HORIZON) and the first record there (limit 1;'
\echo '-- jsonb_pretty sorts the members, get_records keeps the plugin''s order):'
SELECT dynamo.shard_for('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}') AS shard \gset
SELECT dynamo.get_shard_iterator(:'arn', :'shard', 'TRIM_HORIZON')->>'ShardIterator' AS it \gset
SELECT jsonb_pretty((dynamo.get_records(:'it', 1)->'Records'->0)::jsonb)
\g (format=unaligned tuples_only=on)

\echo
\echo '-- Every record get_records returns for Music is byte for byte the record the'
\echo '-- output plugin sends for the same change with format=streams (compared as'
\echo '-- text, matched by SequenceNumber; peek does not consume the slot):'
WITH api AS (
    SELECT e::text AS rec, e->'dynamodb'->>'SequenceNumber' AS seq
      FROM jsonb_array_elements(dynamo.describe_stream(:'arn')->'StreamDescription'->'Shards') sh,
           json_array_elements(dynamo.get_records(dynamo.get_shard_iterator(:'arn', sh->>'ShardId',
                                                  'TRIM_HORIZON')->>'ShardIterator')->'Records') e),
plugin AS (
    SELECT data AS rec, data::jsonb->'dynamodb'->>'SequenceNumber' AS seq
      FROM pg_logical_slot_peek_changes('demo', NULL, NULL, 'format', 'streams', 'tables', 'Music'))
SELECT (SELECT count(*) FROM plugin) AS plugin_records,
       (SELECT count(*) FROM api) AS get_records_records,
       (SELECT count(*) FROM api JOIN plugin USING (seq) WHERE api.rec = plugin.rec) AS identical;

\echo
\echo '==== 10. Consumers: an event source mapping ==================================='
\echo '-- A consumer reads the stream the way a Lambda function does (docs/consumers.md):'
\echo '-- create_event_source_mapping with Lambda''s parameters.  This one gets INSERT'
\echo '-- and MODIFY records only (a filter), reports failed records by sequence number'
\echo '-- (ReportBatchItemFailures), and gives up on a failing record after 1 retry.'
SELECT dynamo.create_table('Orders', 'id', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT jsonb_pretty(dynamo.create_event_source_mapping('orders-fn',
         dynamo.describe_table('Orders')->'Table'->>'LatestStreamArn', 'TRIM_HORIZON',
         batch_size => 10, maximum_retry_attempts => 1,
         function_response_types => '{ReportBatchItemFailures}',
         filter_criteria => '{"Filters":[{"Pattern":"{\"eventName\":[\"INSERT\",\"MODIFY\"]}"}]}',
         destination_config => '{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:orders-failures"}}'))
\g (format=unaligned tuples_only=on)

\echo
\echo '-- Three orders, one of them with a negative total the consumer cannot process;'
\echo '-- then o1 is paid (MODIFY) and o2 deleted (REMOVE: filtered out).'
SELECT dynamo.put_item('Orders', '{"id":{"S":"o1"},"total":{"N":"20"}}') IS NOT NULL AS o1,
       dynamo.put_item('Orders', '{"id":{"S":"o2"},"total":{"N":"5"}}') IS NOT NULL AS o2,
       dynamo.put_item('Orders', '{"id":{"S":"o3"},"total":{"N":"-1"}}') IS NOT NULL AS o3;
SELECT dynamo.update_item('Orders', '{"id":{"S":"o1"}}', 'SET paid = :t', expression_attribute_values => '{":t":{"BOOL":true}}') IS NOT NULL AS o1_paid,
       dynamo.delete_item('Orders', '{"id":{"S":"o2"}}') IS NOT NULL AS o2_deleted;
SELECT dynamo.pump() AS records_pumped;

\echo
\echo '-- The consumer: receive_batch leases the next batch (the exact Lambda event),'
\echo '-- the "function" reports the orders with a negative total as failed, and'
\echo '-- complete_batch applies Lambda''s partial batch response rules.'
CREATE TEMP TABLE invocations (n serial, records text, response jsonb, outcome text);
DO $$
DECLARE b record; failed jsonb;
BEGIN
  FOR i IN 1 .. 20 LOOP
    SELECT * INTO b FROM dynamo.receive_batch('orders-fn');
    EXIT WHEN b.batch_id IS NULL;
    SELECT COALESCE(jsonb_agg(jsonb_build_object('itemIdentifier', r->'dynamodb'->>'SequenceNumber')), '[]')
      INTO failed FROM json_array_elements(b.event->'Records') r
     WHERE (r->'dynamodb'->'NewImage'->'total'->>'N')::numeric < 0;
    INSERT INTO invocations (records, response, outcome)
    SELECT string_agg(r->>'eventName' || ' ' || (r->'dynamodb'->'Keys'->'id'->>'S'), ', '),
           jsonb_build_object('batchItemFailures', failed),
           dynamo.complete_batch(b.batch_id, jsonb_build_object('batchItemFailures', failed))
      FROM json_array_elements(b.event->'Records') r;
  END LOOP;
END $$;
SELECT n AS invocation, records, jsonb_array_length(response->'batchItemFailures') AS failed, outcome
  FROM invocations ORDER BY n;

\echo
\echo '-- o3 failed twice (1 + 1 retry), so its batch was discarded and an on-failure'
\echo '-- record written, in the shape Lambda sends to an SQS destination:'
SELECT jsonb_pretty(record::jsonb) FROM dynamo.event_source_mapping_failures WHERE function_name = 'orders-fn'
\g (format=unaligned tuples_only=on)

\echo
\echo '-- The mapping''s metrics: records processed, failed (discarded) and filtered out.'
SELECT function_name, records_processed, records_failed, records_filtered, on_failure_records
  FROM dynamo.event_source_mapping_metrics('orders-fn');

\echo
\echo '==== 11. Push delivery over HTTP ==============================================='
\echo '-- The same rules can push batches to an HTTP endpoint instead (docs/http-push.md):'
\echo '-- a mapping with a function_url.  Here a small local webhook (test/demo_webhook.pl)'
\echo '-- answers every batch with an empty partial batch response.  The host must be'
\echo '-- allowed (dynamo_streams.http_allowed_hosts, set in test/postgresql.conf).'
SELECT dynamo.create_table('Shipments', 'id', 'S', stream_view_type => 'NEW_IMAGE') IS NOT NULL AS created;
SELECT m->>'FunctionArn' AS function_arn, m->>'State' AS state, m->>'BatchSize' AS batch_size
  FROM dynamo.create_event_source_mapping('ship-hook',
         dynamo.describe_table('Shipments')->'Table'->>'LatestStreamArn', 'TRIM_HORIZON',
         batch_size => 5, function_url => 'http://127.0.0.1:' || :'webhook_port' || '/shipments') m;

\echo
\echo '-- The background worker pumps the log and its HTTP worker pushes the batches:'
\echo '-- start it, write 12 shipments, and wait until all of them were delivered.'
SELECT dynamo.start() > 0 AS worker_started;
SELECT count(dynamo.put_item('Shipments', jsonb_build_object('id', jsonb_build_object('S', 's' || lpad(i::text, 2, '0')))))
         AS shipments_written
  FROM generate_series(1, 12) i;
DO $$
BEGIN
  FOR i IN 1 .. 300 LOOP
    EXIT WHEN (SELECT sum(processed) FROM dynamo.event_source_mapping_checkpoints
                WHERE function_name = 'ship-hook') >= 12;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT function_name, target_type, last_processing_result, invokes, errors, last_status, last_http_status
  FROM dynamo.http_push_metrics WHERE function_name = 'ship-hook';

\echo
\echo '-- What the webhook received, one line per request (batches of at most 5 records,'
\echo '-- each batch from one shard, in order):'
SELECT line AS webhook_log
  FROM regexp_split_to_table(pg_read_file(:'webhook_log'), E'\n') line WHERE line <> '' ORDER BY line;
SELECT dynamo.stop() AS worker_stopped;

\echo
\echo '==== 12. The slot, read in full ==============================================='
\echo '-- Back to the slot of section 1: every record in full (get consumes them).'
SELECT jsonb_pretty(data::jsonb) FROM pg_logical_slot_get_changes('demo', NULL, NULL)
\g (format=unaligned tuples_only=on)

\echo
\echo '-- A slot retains WAL until it is read or dropped: drop slots you do not read.'
SELECT pg_drop_replication_slot('demo') \g /dev/null
\echo '-- The pump''s slot too, once the stream log is no longer pumped:'
SELECT dynamo.stop(drop_slot => true) \g /dev/null
SELECT slot_name FROM pg_replication_slots;
\echo
\echo '==== 13. History and time travel =============================================='
\echo '-- The stream log is history: item_history lists every change of one item,'
\echo '-- oldest first, found by key through an index (not by reading the log).'
SELECT event_name, created_at, old_image->'Genre' AS old_genre, new_image->'Genre' AS new_genre
  FROM dynamo.item_history('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}');

\echo
\echo '-- item_as_of: the item as it was at a point in time, here just after its'
\echo '-- first write (NULL when it did not exist then).  table_as_of: every item'
\echo '-- of the table then, and now.'
SELECT min(created_at) AS first_write
  FROM dynamo.item_history('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}') \gset
SELECT jsonb_pretty(dynamo.item_as_of('Music', '{"Artist":{"S":"Acme Band"},"SongTitle":{"S":"Happy Day"}}', :'first_write'))
\g (format=unaligned tuples_only=on)
SELECT (SELECT count(*) FROM dynamo.table_as_of('Music', :'first_write')) AS items_then,
       (SELECT count(*) FROM dynamo.table_as_of('Music', now())) AS items_now,
       (SELECT count(*) FROM dynamo."Music") AS items_in_the_table;

\echo
\echo '==== Done ======================================================================='
