-- 132_import_records: dynamo.import_records loads records captured
-- elsewhere into a stream of the log, so that the stream's readers
-- (get_records, consumers) get them again: the AWS documentation's Lambda
-- event and GetRecords samples; a round trip get_records -> import ->
-- render, byte for byte; shards and sequence numbers of imported records;
-- the pump must be caught up; every bad field is named with its record's
-- index, and nothing is half-imported.
\set VERBOSITY terse
-- (099_drop_extension and 100_readopt drop the extension before this
-- suite; the pump's slot survives that, with changes of the old catalog
-- that the new one cannot decode: start it again)
SET client_min_messages = warning;
SELECT count(*) = 0 AS ds_fresh FROM pg_extension WHERE extname = 'dynamo_streams' \gset
CREATE EXTENSION IF NOT EXISTS dynamo_streams;
\if :ds_fresh
SELECT dynamo._pump_drop_slot() AS ds_dropped \gset
\endif
RESET client_min_messages;
SET dynamo_streams.shard_rollover_interval = 0;
SELECT dynamo.pump() >= 0;
CREATE FUNCTION im_arn(tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT stream_arn FROM dynamo._streams WHERE table_name = tbl ORDER BY stream_id DESC LIMIT 1
$$;
-- a stream's records through GetRecords, every shard from TRIM_HORIZON, in
-- sequence number order, as text
CREATE FUNCTION im_read(tbl text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT rec::text FROM (
    SELECT r AS rec, r->'dynamodb'->>'SequenceNumber' AS seq
      FROM dynamo.list_shards(im_arn(tbl)) sh,
           LATERAL json_array_elements(dynamo.get_records(dynamo.get_shard_iterator(im_arn(tbl), sh.shard_id,
                                                   'TRIM_HORIZON')->>'ShardIterator', 1000)->'Records') r) x
   ORDER BY seq
$$;
-- the same with what differs from run to run masked
CREATE FUNCTION im_masked(tbl text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(x,
           '"eventID":"[0-9a-f]{32}"', '"eventID":"<id>"'),
           '"SequenceNumber":"[0-9]{40}"', '"SequenceNumber":"<seq>"'),
           '/stream/[0-9T:.-]+"', '/stream/<label>"'),
           '"ApproximateCreationDateTime":1[7-9][0-9]{8}', '"ApproximateCreationDateTime":<now>')
    FROM im_read(tbl) x
$$;
CREATE FUNCTION im_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text; msg text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL, msg = MESSAGE_TEXT;
  RETURN regexp_replace(SQLSTATE || ': ' || msg || ' / ' || det, '/stream/[0-9T:.-]+', '/stream/<label>', 'g');
END $$;

-- 1. The Lambda developer guide's example DynamoDB event
-- (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, "Example
-- event"): a NEW_AND_OLD_IMAGES stream of a table keyed by Id (N).  Its
-- eventID, SequenceNumber, eventSourceARN and awsRegion are not kept;
-- without ApproximateCreationDateTime the record is dated now.
SELECT dynamo.create_table('ExampleTableWithStream', 'Id', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.pump() >= 0;
-- a consumer positioned at LATEST before the import gets the records
SELECT dynamo.get_shard_iterator(im_arn('ExampleTableWithStream'), dynamo.shard_for('ExampleTableWithStream', '{"Id":{"N":"101"}}'),
                                 'LATEST')->>'ShardIterator' AS latest \gset
SELECT record_index, shard_id = dynamo.shard_for('ExampleTableWithStream', '{"Id":{"N":"101"}}') AS key_shard,
       sequence_number ~ '^[0-9]{40}$' AS seq, source_sequence_number
  FROM dynamo.import_records('ExampleTableWithStream', $${
  "Records": [
    {
      "eventID": "1",
      "eventVersion": "1.0",
      "dynamodb": {
        "Keys": {"Id": {"N": "101"}},
        "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "SequenceNumber": "111",
        "SizeBytes": 26
      },
      "awsRegion": "us-west-2",
      "eventName": "INSERT",
      "eventSourceARN": "eventsourcearn",
      "eventSource": "aws:dynamodb"
    },
    {
      "eventID": "2",
      "eventVersion": "1.0",
      "dynamodb": {
        "OldImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
        "SequenceNumber": "222",
        "Keys": {"Id": {"N": "101"}},
        "SizeBytes": 59,
        "NewImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
        "StreamViewType": "NEW_AND_OLD_IMAGES"
      },
      "awsRegion": "us-west-2",
      "eventName": "MODIFY",
      "eventSourceARN": "sourcearn",
      "eventSource": "aws:dynamodb"
    },
    {
      "eventID": "3",
      "eventVersion": "1.0",
      "dynamodb": {
        "Keys": {"Id": {"N": "101"}},
        "SizeBytes": 38,
        "SequenceNumber": "333",
        "OldImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
        "StreamViewType": "NEW_AND_OLD_IMAGES"
      },
      "awsRegion": "us-west-2",
      "eventName": "REMOVE",
      "eventSourceARN": "sourcearn",
      "eventSource": "aws:dynamodb"
    }
  ]
}$$);
SELECT * FROM im_masked('ExampleTableWithStream');
SELECT json_array_length(dynamo.get_records(:'latest')->'Records') AS latest_reader_gets;
-- the samples' SizeBytes are the item sizes dynamo_streams computes
SELECT dynamo.item_size('{"Id":{"N":"101"}}') + dynamo.item_size('{"Message":{"S":"New item!"},"Id":{"N":"101"}}') AS insert_26,
       dynamo.item_size('{"Id":{"N":"101"}}') + dynamo.item_size('{"Message":{"S":"New item!"},"Id":{"N":"101"}}')
       + dynamo.item_size('{"Message":{"S":"This item has changed"},"Id":{"N":"101"}}') AS modify_59;
-- and the imported records are history like any other
SELECT event_name, new_image->'Message'->>'S' AS new_message, old_image->'Message'->>'S' AS old_message
  FROM dynamo.item_history('ExampleTableWithStream', '{"Id":{"N":"101"}}');

-- 2. The DynamoDB Streams API reference's GetRecords example
-- (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html):
-- a KEYS_ONLY stream of the Forum table (ForumName, Subject), with
-- ApproximateCreationDateTime in exponent notation.
SELECT dynamo.create_table('Forum', 'ForumName', 'S', 'Subject', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT record_index, source_sequence_number
  FROM dynamo.import_records('Forum', $${
    "NextShardIterator": "arn:aws:dynamodb:us-west-2:111122223333:table/Forum/stream/2015-05-20T20:51:10.252|1|AAAAAAAAAAGQBYshYDEe ... <remaining characters omitted> ...",
    "Records": [
        {
            "awsRegion": "us-west-2",
            "dynamodb": {
                "ApproximateCreationDateTime": 1.46480646E9,
                "Keys": {
                    "ForumName": {"S": "DynamoDB"},
                    "Subject": {"S": "DynamoDB Thread 3"}
                },
                "SequenceNumber": "300000000000000499659",
                "SizeBytes": 41,
                "StreamViewType": "KEYS_ONLY"
            },
            "eventID": "e2fd9c34eff2d779b297b26f5fef4206",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventVersion": "1.0"
        },
        {
            "awsRegion": "us-west-2",
            "dynamodb": {
                "ApproximateCreationDateTime": 1.46480527E9,
                "Keys": {
                    "ForumName": {"S": "DynamoDB"},
                    "Subject": {"S": "DynamoDB Thread 1"}
                },
                "SequenceNumber": "400000000000000499660",
                "SizeBytes": 41,
                "StreamViewType": "KEYS_ONLY"
            },
            "eventID": "4b25bd0da9a181a155114127e4837252",
            "eventName": "MODIFY",
            "eventSource": "aws:dynamodb",
            "eventVersion": "1.0"
        },
        {
            "awsRegion": "us-west-2",
            "dynamodb": {
                "ApproximateCreationDateTime": 1.46480646E9,
                "Keys": {
                    "ForumName": {"S": "DynamoDB"},
                    "Subject": {"S": "DynamoDB Thread 2"}
                },
                "SequenceNumber": "500000000000000499661",
                "SizeBytes": 41,
                "StreamViewType": "KEYS_ONLY"
            },
            "eventID": "740280c73a3df7842edab3548a1b08ad",
            "eventName": "REMOVE",
            "eventSource": "aws:dynamodb",
            "eventVersion": "1.0"
        }
    ]
}$$);
-- (in sequence number order, which is the order of the input)
SELECT * FROM im_masked('Forum');
SELECT dynamo.item_size('{"ForumName":{"S":"DynamoDB"},"Subject":{"S":"DynamoDB Thread 3"}}') AS size_41;

-- 3. Round trip: GetRecords records of a stream, imported into another
-- table's stream and rendered with their own sequence numbers and ARN,
-- are the input byte for byte (every view type, every attribute type, a
-- TTL delete).
SELECT dynamo.create_table('ImSrc', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.create_table('ImDst', 'pk', 'S', 'sk', 'N', stream_view_type => 'NEW_AND_OLD_IMAGES') IS NOT NULL;
SELECT dynamo.put_item('ImSrc', '{"pk":{"S":"a"},"sk":{"N":"1"},"s":{"S":"é\"\\/\n"},"n":{"N":"-1.50E+3"},"b":{"B":"AAEC"},"t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["y","x"]},"ns":{"NS":["2","1.0"]},"bs":{"BS":["AQ=="]},"m":{"M":{"k":{"L":[{"S":"v"},{"N":"0"}]}}}}') IS NOT NULL;
SELECT dynamo.put_item('ImSrc', '{"pk":{"S":"a"},"sk":{"N":"1"},"s":{"S":"changed"}}') IS NOT NULL;
SELECT dynamo.put_item('ImSrc', '{"pk":{"S":"b"},"sk":{"N":"2"}}') IS NOT NULL;
SELECT dynamo.delete_item('ImSrc', '{"pk":{"S":"a"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump() >= 4;
-- a TTL delete (userIdentity), as the TTL sweeper writes it
UPDATE dynamo._records SET ttl = true
 WHERE stream_id = (SELECT stream_id FROM dynamo._streams WHERE table_name = 'ImSrc') AND event_name = 'REMOVE';
CREATE TABLE im_in AS SELECT row_number() OVER () - 1 AS i, x AS rec FROM im_read('ImSrc') x;
SELECT count(*) FROM im_in;
CREATE TABLE im_map AS
SELECT * FROM dynamo.import_records('ImDst', (SELECT json_build_object('Records', json_agg(rec::json ORDER BY i))::jsonb FROM im_in));
SELECT count(*) AS imported, bool_and(source_sequence_number = (SELECT rec::json->'dynamodb'->>'SequenceNumber' FROM im_in WHERE i = record_index)) AS mapped
  FROM im_map;
-- stored content rendered as the source's record: the same bytes
SELECT i.i, dynamo.render_record('streams', im_arn('ImSrc'), s.stream_view_type, r.event_name, m.source_sequence_number,
                                 r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted) = i.rec AS same_bytes
  FROM im_in i JOIN im_map m ON m.record_index = i.i
  JOIN dynamo._records r ON r.sequence_number = m.sequence_number
  JOIN dynamo._streams s ON s.stream_id = r.stream_id
 ORDER BY i.i;
-- and GetRecords of the target gives them with the target's own eventID
-- and SequenceNumber, everything else equal
SELECT array_agg(x ORDER BY x::text) = (SELECT array_agg(y ORDER BY y::text) FROM
         (SELECT rec::jsonb #- '{eventID}' #- '{dynamodb,SequenceNumber}' AS y FROM im_in) z) AS same_records
  FROM (SELECT x::jsonb #- '{eventID}' #- '{dynamodb,SequenceNumber}' AS x FROM im_read('ImDst') x) w;
-- the Lambda shape imports too (eventSourceARN and userIdentity)
SELECT count(*) FROM dynamo.import_records(im_arn('ImDst'),
  (SELECT jsonb_build_object('Records', jsonb_agg(dynamo.render_record('lambda', im_arn('ImSrc'), s.stream_view_type, r.event_name,
      r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted)::jsonb ORDER BY r.sequence_number))
     FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'ImSrc'));
SELECT count(*) FILTER (WHERE ttl) AS ttl_records, count(*) AS records FROM dynamo.stream_records WHERE table_name = 'ImDst';

-- 4. Shards and sequence numbers: each record goes to the open shard of
-- its key, above every record already there, in input order; later
-- writes get higher numbers still.
SELECT bool_and(m.shard_id = dynamo.shard_for('ImDst', r.keys)) AS key_shards
  FROM im_map m JOIN dynamo.stream_records r ON r.sequence_number = m.sequence_number;
SELECT bool_and(m.sequence_number > (SELECT max(x.sequence_number) FROM dynamo._records x
                                      JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'ImSrc')) AS above_earlier,
       bool_and(m.sequence_number > COALESCE(lag, '')) AS input_order
  FROM (SELECT m.*, lag(m.sequence_number) OVER (ORDER BY record_index) AS lag FROM im_map m) m;
SELECT dynamo.put_item('ImDst', '{"pk":{"S":"later"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT dynamo.pump() >= 1;
SELECT (SELECT sequence_number FROM dynamo.stream_records WHERE table_name = 'ImDst' AND keys->'pk'->>'S' = 'later')
       > (SELECT max(sequence_number) FROM dynamo.stream_records WHERE table_name = 'ImDst' AND keys->'pk'->>'S' <> 'later') AS later_above;

-- 5. The pump must be caught up: a committed write not in the log yet
-- would get a lower sequence number than the imported records.
SELECT dynamo.put_item('ImSrc', '{"pk":{"S":"unpumped"},"sk":{"N":"1"}}') IS NOT NULL;
SELECT im_err($$SELECT dynamo.import_records('ImDst', '{"Records":[{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"p"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"p"},"sk":{"N":"1"}}}}]}')$$);
SELECT dynamo.pump() >= 1;
SELECT count(*) FROM dynamo.import_records('ImDst', '{"Records":[{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"p"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"p"},"sk":{"N":"1"}}}}]}');
-- a bare array of records, and an empty one
SELECT count(*) FROM dynamo.import_records('ImDst', '[{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"p"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"p"},"sk":{"N":"1"}}}}]');
SELECT count(*) FROM dynamo.import_records('ImDst', '{"Records":[]}');
-- an ordinary table's stream: Keys in column order, as the plugin writes them
CREATE TABLE im_rows (id int, region text, PRIMARY KEY (region, id));
SELECT dynamo.enable_stream('im_rows', 'KEYS_ONLY') IS NOT NULL;
SELECT count(*) FROM dynamo.import_records('im_rows', '[{"eventName":"INSERT","dynamodb":{"Keys":{"region":{"S":"eu"},"id":{"N":"7"}}}}]');
SELECT keys FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'im_rows';
SELECT event_name FROM dynamo.item_history('im_rows', '{"id":{"N":"7"},"region":{"S":"eu"}}');

-- 6. Bad input: the record's index and the field, and nothing imported.
SELECT count(*) AS before FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'ImDst' \gset
CREATE FUNCTION im_bad(rec text) RETURNS text LANGUAGE sql AS $$
  SELECT im_err(format($q$SELECT dynamo.import_records('ImDst', %L)$q$,
    '{"Records":[{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"ok"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"ok"},"sk":{"N":"1"}}}},' || rec || ']}'))
$$;
SELECT im_bad('[]');
SELECT im_bad('{"dynamodb":{}}');
SELECT im_bad('{"eventName":"UPDATE","dynamodb":{}}');
SELECT im_bad('{"eventName":"INSERT","eventSource":"aws:kinesis","dynamodb":{}}');
SELECT im_bad('{"eventName":"INSERT"}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":[]}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"StreamViewType":"KEYS_ONLY"}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"S":"1"}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"one"}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"x"},"sk":{"N":"1"},"e":{"SS":[]}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"y"},"sk":{"N":"1"}}}}');
SELECT im_bad('{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"1"}}}}');
SELECT im_bad('{"eventName":"MODIFY","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"x"},"sk":{"N":"1"}}}}');
SELECT im_bad('{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"2"}}}}');
SELECT im_bad('{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"1"}},"ApproximateCreationDateTime":"2020-01-01"}}');
SELECT im_bad('{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"1"}},"SizeBytes":0}}');
SELECT im_bad('{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"1"}},"SizeBytes":"12"}}');
SELECT im_bad('{"eventName":"REMOVE","userIdentity":{"type":"User","principalId":"me"},"dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"OldImage":{"pk":{"S":"x"},"sk":{"N":"1"}}}}');
SELECT im_bad('{"eventName":"INSERT","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"},"dynamodb":{"Keys":{"pk":{"S":"x"},"sk":{"N":"1"}},"NewImage":{"pk":{"S":"x"},"sk":{"N":"1"}}}}');
SELECT im_err($$SELECT dynamo.import_records('ImDst', '{"Records":{}}')$$);
SELECT im_err($$SELECT dynamo.import_records('ImDst', '"x"')$$);
SELECT im_err($$SELECT dynamo.import_records('ImDst', NULL)$$);
SELECT im_err($$SELECT dynamo.import_records(NULL, '[]')$$);
SELECT im_err($$SELECT dynamo.import_records('NoSuchTable', '[]')$$);
SELECT im_err($$SELECT dynamo.import_records('arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000', '[]')$$);
SELECT dynamo.create_table('ImNoStream', 'pk', 'S') IS NOT NULL;
SELECT im_err($$SELECT dynamo.import_records('ImNoStream', '[]')$$);
SELECT dynamo.create_table('ImOff', 'pk', 'S', stream_view_type => 'KEYS_ONLY') IS NOT NULL;
SELECT im_arn('ImOff') AS off_arn \gset
SELECT dynamo.update_table('ImOff', false) IS NOT NULL;
SELECT im_err(format($$SELECT dynamo.import_records(%L, '[]')$$, :'off_arn'));
SELECT count(*) = :before AS nothing_imported
  FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'ImDst';
-- only for roles that may write the log
CREATE ROLE im_role;
SET ROLE im_role;
SELECT dynamo.import_records('ImDst', '[]');
RESET ROLE;
DROP ROLE im_role;
