-- dynamo_streams install script, part 47: the DynamoDB Streams API.
--
-- describe_stream, get_shard_iterator and get_records read the stream log
-- (its shards and records) the way DescribeStream, GetShardIterator and
-- GetRecords read a DynamoDB stream; list_streams (part 05) lists the
-- streams.  Records come out of render_record, so GetRecords gives the
-- bytes the output plugin's format=streams gives for the same change.
--
-- Access: reading a stream needs SELECT on its table (docs/security.md).
-- The functions are SECURITY DEFINER, because the log and the iterator key
-- are not readable by PUBLIC, and check the privilege of the role that
-- called them (_stream_caller: the current role outside any SECURITY
-- DEFINER function, i.e. SET ROLE's role or the session user).
--
-- Shard iterators are opaque: base64url of a payload (stream, shard,
-- position, issue time) followed by an HMAC-SHA-256 of it under a key made
-- at install time and readable only by the extension's owner, so an
-- iterator cannot be altered to read another stream or shard, or to live
-- longer.  HMAC is computed with core sha256() over the key's inner and
-- outer pads, stored precomputed.

CREATE TABLE @extschema@._iterator_key (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    -- the 64-byte key XOR 0x36 and XOR 0x5c (RFC 2104)
    ipad   bytea NOT NULL CHECK (pg_catalog.length(ipad) OPERATOR(pg_catalog.=) 64),
    opad   bytea NOT NULL CHECK (pg_catalog.length(opad) OPERATOR(pg_catalog.=) 64)
);
REVOKE ALL ON @extschema@._iterator_key FROM PUBLIC;
COMMENT ON TABLE @extschema@._iterator_key IS
    'dynamo_streams: the key that signs shard iterators (not dumped; a restored database makes a new one)';

-- A new random iterator key (gen_random_uuid: pg_strong_random).
CREATE FUNCTION @extschema@._new_iterator_key() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k bytea := pg_catalog.decode(pg_catalog.replace(
        pg_catalog.gen_random_uuid()::text OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text
        OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text
        OPERATOR(pg_catalog.||) pg_catalog.gen_random_uuid()::text, '-', ''), 'hex');
BEGIN
    DELETE FROM @extschema@._iterator_key;
    INSERT INTO @extschema@._iterator_key (ipad, opad)
    SELECT pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(
               pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 54), 2, '0'), '' ORDER BY i), 'hex'),
           pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(
               pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 92), 2, '0'), '' ORDER BY i), 'hex')
      FROM pg_catalog.generate_series(0, 63) i;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._new_iterator_key() FROM PUBLIC;
SELECT @extschema@._new_iterator_key();

-- HMAC-SHA-256 of msg under the iterator key.
CREATE FUNCTION @extschema@._iterator_mac(msg bytea) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.sha256(k.opad OPERATOR(pg_catalog.||)
                             pg_catalog.sha256(k.ipad OPERATOR(pg_catalog.||) msg))
      FROM @extschema@._iterator_key k
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_mac(bytea) FROM PUBLIC;

-- A shard iterator: position kind 'TRIM' (the oldest record kept), 'AT' or
-- 'AFTER' sequence number seq, issued at clock_timestamp().
CREATE FUNCTION @extschema@._iterator_encode(stream_id bigint, shard_id text, kind text, seq numeric)
RETURNS text LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(p OPERATOR(pg_catalog.||) @extschema@._iterator_mac(p), 'base64'),
                                E'+/=\n', '-_')
      FROM pg_catalog.convert_to(pg_catalog.concat_ws('|', 'v1', stream_id, shard_id, kind, COALESCE(seq::text, ''),
               pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.*) 1000)::bigint),
           'UTF8') p
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_encode(bigint, text, text, numeric) FROM PUBLIC;

-- The parts of a shard iterator, or ValidationException if it is not one
-- that this database issued, unaltered.
CREATE FUNCTION @extschema@._iterator_decode(iterator text, OUT stream_id bigint, OUT shard_id text,
                                             OUT kind text, OUT seq numeric, OUT issued timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    b bytea;
    p bytea;
    f text[];
BEGIN
    IF iterator IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'shardIterator', 'Member must not be null');
    ELSIF pg_catalog.length(iterator) < 1 THEN
        ok := @extschema@._invalid_parameter(iterator, 'shardIterator', 'Member must have length greater than or equal to 1');
    ELSIF pg_catalog.length(iterator) > 2048 THEN
        ok := @extschema@._invalid_parameter(iterator, 'shardIterator', 'Member must have length less than or equal to 2048');
    END IF;
    BEGIN
        b := pg_catalog.decode(pg_catalog.rpad(pg_catalog.translate(iterator, '-_', '+/'),
                 ((pg_catalog.length(iterator) OPERATOR(pg_catalog.+) 3) OPERATOR(pg_catalog./) 4) OPERATOR(pg_catalog.*) 4, '='),
             'base64');
    EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
        b := NULL;
    END;
    IF b IS NOT NULL AND pg_catalog.length(b) > 32
       AND iterator !~ '[^A-Za-z0-9_-]' THEN
        p := pg_catalog.substr(b, 1, pg_catalog.length(b) OPERATOR(pg_catalog.-) 32);
        IF pg_catalog.substr(b, pg_catalog.length(b) OPERATOR(pg_catalog.-) 31) OPERATOR(pg_catalog.=) @extschema@._iterator_mac(p) THEN
            f := pg_catalog.string_to_array(pg_catalog.convert_from(p, 'UTF8'), '|');
            IF f[1] OPERATOR(pg_catalog.=) 'v1' AND pg_catalog.cardinality(f) OPERATOR(pg_catalog.=) 6 THEN
                stream_id := f[2]::bigint;
                shard_id := f[3];
                kind := f[4];
                seq := NULLIF(f[5], '')::numeric;
                issued := pg_catalog.to_timestamp(f[6]::numeric OPERATOR(pg_catalog./) 1000);
                RETURN;
            END IF;
        END IF;
    END IF;
    ok := @extschema@._raise('ValidationException', 'Invalid ShardIterator',
        'The shard iterator was not issued by get_shard_iterator or get_records of this database, or was altered.');
END
$$;
REVOKE ALL ON FUNCTION @extschema@._iterator_decode(text) FROM PUBLIC;

-- The role that called the API function: the current role outside every
-- SECURITY DEFINER function (SET ROLE's role, else the session user).
CREATE FUNCTION @extschema@._stream_caller() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
                THEN SESSION_USER ELSE pg_catalog.current_setting('role')::name END
$$;

-- AccessDeniedException unless the caller may read stream s: SELECT on
-- its table, or (the table dropped) membership in the extension's owner.
CREATE FUNCTION @extschema@._stream_require_read(s @extschema@._streams, action text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.relid) THEN
        IF pg_catalog.has_table_privilege(who, s.relid, 'SELECT') THEN
            RETURN true;
        END IF;
    ELSIF pg_catalog.pg_has_role(who, (SELECT e.extowner FROM pg_catalog.pg_extension e
                                        WHERE e.extname OPERATOR(pg_catalog.=) 'dynamo_streams'), 'USAGE') THEN
        RETURN true;
    END IF;
    ok := @extschema@._raise('AccessDeniedException',
        pg_catalog.format('User: %s is not authorized to perform: dynamodb:%s on resource: %s', who, action, s.stream_arn),
        pg_catalog.format('dynamodb:%s needs the SELECT privilege on the stream''s table %s.', action,
            COALESCE(s.relid::pg_catalog.regclass::text, 'dynamo.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(s.table_name))),
        'The table''s owner can grant it; see docs/security.md.');
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_require_read(@extschema@._streams, text) FROM PUBLIC;

-- The stream named by a StreamArn argument, checked, that the caller may read.
CREATE FUNCTION @extschema@._stream_for_read(stream_arn text, action text) RETURNS @extschema@._streams
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
BEGIN
    IF stream_arn IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'streamArn', 'Member must not be null');
    ELSIF pg_catalog.length(stream_arn) < 37 THEN
        ok := @extschema@._invalid_parameter(stream_arn, 'streamArn', 'Member must have length greater than or equal to 37');
    ELSIF pg_catalog.length(stream_arn) > 1024 THEN
        ok := @extschema@._invalid_parameter(stream_arn, 'streamArn', 'Member must have length less than or equal to 1024');
    END IF;
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_arn OPERATOR(pg_catalog.=) _stream_for_read.stream_arn;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Stream: ' OPERATOR(pg_catalog.||) stream_arn OPERATOR(pg_catalog.||) ' not found');
    END IF;
    ok := @extschema@._stream_require_read(s, action);
    RETURN s;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_for_read(text, text) FROM PUBLIC;

-- Check a ShardId argument's length.
CREATE FUNCTION @extschema@._check_shard_id(shard_id text, what text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF shard_id IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, what, 'Member must not be null');
    ELSIF pg_catalog.length(shard_id) < 28 THEN
        ok := @extschema@._invalid_parameter(shard_id, what, 'Member must have length greater than or equal to 28');
    ELSIF pg_catalog.length(shard_id) > 65 THEN
        ok := @extschema@._invalid_parameter(shard_id, what, 'Member must have length less than or equal to 65');
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._check_shard_id(text, text) FROM PUBLIC;

-- The stream log as the API reads it (the only functions that name the
-- log's tables, docs/stream-log.md).  Sequence numbers are numeric here and
-- 40-digit text in the log ("C" order = numeric order).
CREATE FUNCTION @extschema@._log_seq(seq numeric) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.lpad(seq::text, 40, '0') COLLATE "C"
$$;

-- The shards of a stream, parents first (in the order they were made);
-- trim_horizon: the lowest sequence number not trimmed (NULL: none is).
CREATE FUNCTION @extschema@._log_shards(stream_id bigint)
RETURNS TABLE (shard_no bigint, shard_id text, parent_shard_id text, starting_sequence_number numeric,
               ending_sequence_number numeric, trim_horizon numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT h.shard_no, h.shard_id, h.parent_shard_id, h.starting_seq::numeric, h.ending_seq::numeric,
           h.trimmed_seq::numeric OPERATOR(pg_catalog.+) 1
      FROM @extschema@._shards h
     WHERE h.stream_id OPERATOR(pg_catalog.=) _log_shards.stream_id
     ORDER BY h.shard_no;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_shards(bigint) FROM PUBLIC;

-- The records of a shard from position (kind, seq) on that are not
-- trimmed, in order, at most n.
CREATE FUNCTION @extschema@._log_records(shard_no bigint, kind text, seq numeric, n integer)
RETURNS TABLE (sequence_number text, event_name text, creation_time timestamptz, keys text,
               new_image text, old_image text, size_bytes bigint, ttl boolean, omitted text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    low text := CASE WHEN kind OPERATOR(pg_catalog.=) 'TRIM' THEN '' ELSE @extschema@._log_seq(seq) END;
    trimmed text := COALESCE((SELECT h.trimmed_seq FROM @extschema@._shards h
                               WHERE h.shard_no OPERATOR(pg_catalog.=) _log_records.shard_no), '');
BEGIN
    IF kind OPERATOR(pg_catalog.=) 'AT' THEN
        -- AT seq is AFTER the number below it
        low := @extschema@._log_seq(seq OPERATOR(pg_catalog.-) 1);
    END IF;
    RETURN QUERY
    SELECT r.sequence_number::text, r.event_name, r.created_at, r.keys, r.new_image, r.old_image,
           r.size_bytes, r.ttl, r.omitted
      FROM @extschema@._records r
     WHERE r.shard_no OPERATOR(pg_catalog.=) _log_records.shard_no
       AND r.sequence_number OPERATOR(pg_catalog.>) GREATEST(low, trimmed) COLLATE "C"
     ORDER BY r.sequence_number
     LIMIT n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_records(bigint, text, numeric, integer) FROM PUBLIC;

-- The newest sequence number of a shard that is not trimmed (NULL: none).
CREATE FUNCTION @extschema@._log_last_seq(shard_no bigint) RETURNS numeric
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT r.sequence_number::numeric FROM @extschema@._records r
             WHERE r.shard_no OPERATOR(pg_catalog.=) _log_last_seq.shard_no
               AND r.sequence_number OPERATOR(pg_catalog.>) COALESCE((SELECT h.trimmed_seq FROM @extschema@._shards h
                                   WHERE h.shard_no OPERATOR(pg_catalog.=) _log_last_seq.shard_no), '') COLLATE "C"
             ORDER BY r.sequence_number DESC LIMIT 1);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._log_last_seq(bigint) FROM PUBLIC;

-- DescribeStream: the stream and its shards (parents before children), at
-- most "limit" of them after exclusive_start_shard_id; shard_filter
-- {"Type": "CHILD_SHARDS", "ShardId": ...} keeps the children of one shard.
CREATE FUNCTION @extschema@.describe_stream(stream_arn text, "limit" int DEFAULT 100,
                                            exclusive_start_shard_id text DEFAULT NULL,
                                            shard_filter jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
    t @extschema@._tables;
    parent text;
    shards jsonb[];
    d jsonb;
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 100;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 100 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 100');
    END IF;
    IF exclusive_start_shard_id IS NOT NULL THEN
        ok := @extschema@._check_shard_id(exclusive_start_shard_id, 'exclusiveStartShardId');
    END IF;
    IF shard_filter IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(shard_filter) IS DISTINCT FROM 'object'
           OR shard_filter OPERATOR(pg_catalog.->>) 'Type' IS DISTINCT FROM 'CHILD_SHARDS' THEN
            ok := @extschema@._invalid_parameter(COALESCE(shard_filter OPERATOR(pg_catalog.->>) 'Type', 'null'),
                'shardFilter.type', 'Member must satisfy enum value set: [CHILD_SHARDS]');
        END IF;
        parent := shard_filter OPERATOR(pg_catalog.->>) 'ShardId';
        ok := @extschema@._check_shard_id(parent, 'shardFilter.shardId');
    END IF;
    s := @extschema@._stream_for_read(stream_arn, 'DescribeStream');
    SELECT * INTO t FROM @extschema@._tables x WHERE x.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    SELECT pg_catalog.array_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'ShardId', h.shard_id, 'ParentShardId', h.parent_shard_id,
               'SequenceNumberRange', pg_catalog.jsonb_build_object(
                   'StartingSequenceNumber', h.starting_sequence_number::text,
                   'EndingSequenceNumber', h.ending_sequence_number::text))) ORDER BY h.n)
      INTO shards
      FROM (SELECT x.*, pg_catalog.row_number() OVER () AS n FROM @extschema@._log_shards(s.stream_id) x) h
     WHERE (parent IS NULL OR h.parent_shard_id OPERATOR(pg_catalog.=) parent)
       AND (exclusive_start_shard_id IS NULL
            OR h.n OPERATOR(pg_catalog.>) (SELECT y.n FROM (SELECT x.shard_id, pg_catalog.row_number() OVER () AS n
                                              FROM @extschema@._log_shards(s.stream_id) x) y
                                            WHERE y.shard_id OPERATOR(pg_catalog.=) exclusive_start_shard_id));
    shards := COALESCE(shards, '{}');
    d := pg_catalog.jsonb_build_object(
        'StreamArn', s.stream_arn,
        'StreamLabel', s.stream_label,
        'StreamStatus', s.stream_status,
        'StreamViewType', s.stream_view_type,
        'CreationRequestDateTime', pg_catalog.round(EXTRACT(epoch FROM s.created_at), 3),
        'TableName', s.table_name,
        'KeySchema', CASE WHEN t.hash_key IS NULL THEN '[]'::jsonb ELSE
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('AttributeName', t.hash_key, 'KeyType', 'HASH'))
            OPERATOR(pg_catalog.||) CASE WHEN t.range_key IS NULL THEN '[]'::jsonb ELSE pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('AttributeName', t.range_key, 'KeyType', 'RANGE')) END END,
        'Shards', pg_catalog.to_jsonb(shards[1:"limit"]));
    IF pg_catalog.cardinality(shards) > "limit" THEN
        d := d OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('LastEvaluatedShardId',
                 shards["limit"] OPERATOR(pg_catalog.->>) 'ShardId');
    END IF;
    RETURN pg_catalog.jsonb_build_object('StreamDescription', d);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb) IS
    'DescribeStream: a stream and its shards';

-- GetShardIterator: an iterator at a position of a shard.  AT_TIMESTAMP
-- (beyond AWS) is the first record created at or after "timestamp".
CREATE FUNCTION @extschema@.get_shard_iterator(stream_arn text, shard_id text, shard_iterator_type text,
                                               sequence_number text DEFAULT NULL,
                                               "timestamp" timestamptz DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    s @extschema@._streams;
    h record;
    horizon numeric;
    seq numeric;
    kind text;
BEGIN
    ok := @extschema@._check_shard_id(shard_id, 'shardId');
    IF shard_iterator_type IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'shardIteratorType', 'Member must not be null');
    ELSIF shard_iterator_type NOT IN ('TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP') THEN
        ok := @extschema@._invalid_parameter(shard_iterator_type, 'shardIteratorType',
            'Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, LATEST, TRIM_HORIZON]');
    END IF;
    IF sequence_number IS NOT NULL THEN
        IF pg_catalog.length(sequence_number) < 21 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber', 'Member must have length greater than or equal to 21');
        ELSIF pg_catalog.length(sequence_number) > 40 THEN
            ok := @extschema@._invalid_parameter(sequence_number, 'sequenceNumber', 'Member must have length less than or equal to 40');
        ELSIF sequence_number !~ '^[0-9]+$' THEN
            ok := @extschema@._raise('ValidationException',
                'Invalid SequenceNumber: ' OPERATOR(pg_catalog.||) sequence_number, 'A SequenceNumber is a string of 21 to 40 digits.');
        END IF;
    END IF;
    IF shard_iterator_type IN ('AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER') THEN
        IF sequence_number IS NULL THEN
            ok := @extschema@._raise('ValidationException',
                'Must provide a SequenceNumber for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
        END IF;
    ELSIF sequence_number IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            'Must not provide a SequenceNumber for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
    END IF;
    IF shard_iterator_type OPERATOR(pg_catalog.=) 'AT_TIMESTAMP' THEN
        IF "timestamp" IS NULL THEN
            ok := @extschema@._raise('ValidationException', 'Must provide a timestamp for ShardIteratorType AT_TIMESTAMP');
        END IF;
    ELSIF "timestamp" IS NOT NULL THEN
        ok := @extschema@._raise('ValidationException',
            'Must not provide a timestamp for ShardIteratorType ' OPERATOR(pg_catalog.||) shard_iterator_type);
    END IF;
    s := @extschema@._stream_for_read(stream_arn, 'GetShardIterator');
    SELECT * INTO h FROM @extschema@._log_shards(s.stream_id) x WHERE x.shard_id OPERATOR(pg_catalog.=) get_shard_iterator.shard_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Shard does not exist',
            pg_catalog.format('Stream %s has no shard %s.', s.stream_arn, shard_id));
    END IF;
    horizon := h.trim_horizon;
    CASE shard_iterator_type
    WHEN 'TRIM_HORIZON' THEN
        kind := 'TRIM';
    WHEN 'LATEST' THEN
        -- after the newest record, or (none) after everything trimmed
        seq := @extschema@._log_last_seq(h.shard_no);
        kind := 'AFTER';
        seq := GREATEST(seq, horizon OPERATOR(pg_catalog.-) 1, h.starting_sequence_number OPERATOR(pg_catalog.-) 1);
    WHEN 'AT_TIMESTAMP' THEN
        SELECT r.sequence_number::numeric INTO seq
          FROM @extschema@._log_records(h.shard_no, 'TRIM', NULL, NULL) r
         WHERE r.creation_time OPERATOR(pg_catalog.>=) "timestamp"
         ORDER BY r.sequence_number LIMIT 1;
        IF seq IS NOT NULL THEN
            kind := 'AT';
        ELSE
            seq := @extschema@._log_last_seq(h.shard_no);
            kind := 'AFTER';
            seq := GREATEST(seq, horizon OPERATOR(pg_catalog.-) 1, h.starting_sequence_number OPERATOR(pg_catalog.-) 1);
        END IF;
    ELSE
        seq := sequence_number::numeric;
        kind := CASE shard_iterator_type WHEN 'AT_SEQUENCE_NUMBER' THEN 'AT' ELSE 'AFTER' END;
        IF seq < h.starting_sequence_number
           OR seq > h.ending_sequence_number THEN
            ok := @extschema@._raise('ValidationException',
                pg_catalog.format('Invalid SequenceNumber %s for shard %s', sequence_number, shard_id),
                pg_catalog.format('The shard holds sequence numbers %s to %s.', h.starting_sequence_number,
                                  COALESCE(h.ending_sequence_number::text, 'now')));
        END IF;
        IF seq < horizon THEN
            -- AWS's message: the GetRecords API reference ("message") and a
            -- response recorded from AWS (ironSource/node-dynamodb-stream#13)
            ok := @extschema@._raise('TrimmedDataAccessException',
                'The data you are trying to access has been trimmed',
                pg_catalog.format('Sequence number %s of shard %s is below its trim horizon; records older than the stream''s retention have been trimmed.',
                                  sequence_number, shard_id),
                'Start at TRIM_HORIZON.');
        END IF;
    END CASE;
    RETURN pg_catalog.jsonb_build_object('ShardIterator', @extschema@._iterator_encode(s.stream_id, shard_id, kind, seq));
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_shard_iterator(text, text, text, text, timestamptz) IS
    'GetShardIterator: an iterator at a position of a shard';

-- GetRecords's result for shard shard_no (ShardId shard_id) of a stream:
-- its records above after_seq, at most "limit" and at most 1 MB of them
-- (the first always goes), and the NextShardIterator after them (none when
-- the shard is closed and read to its end; at position (kind, seq) when
-- the page is empty).  Built in C in one buffer, never parsed again
-- (src/stream_page.c).
CREATE FUNCTION @extschema@._log_page(stream_id bigint, stream_arn text, stream_view_type text,
                                      shard_id text, shard_no bigint, closed boolean, after_seq text,
                                      "limit" integer, kind text, seq text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dynamo_sql_log_page';
REVOKE ALL ON FUNCTION @extschema@._log_page(bigint, text, text, text, bigint, boolean, text, integer, text, text) FROM PUBLIC;

-- GetRecords: the records at a shard iterator, at most "limit" and at most
-- 1 MB of them, as GetRecords's JSON text (json: the records are the
-- plugin's bytes, unchanged), and the iterator after them; no
-- NextShardIterator once a closed shard has been read to its end.
CREATE FUNCTION @extschema@.get_records(shard_iterator text, "limit" int DEFAULT 1000)
RETURNS json LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    it record;
    s @extschema@._streams;
    h record;
    horizon numeric;
BEGIN
    IF "limit" IS NULL THEN
        "limit" := 1000;
    ELSIF "limit" < 1 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value greater than or equal to 1');
    ELSIF "limit" > 1000 THEN
        ok := @extschema@._invalid_parameter("limit"::text, 'limit', 'Member must have value less than or equal to 1000');
    END IF;
    it := @extschema@._iterator_decode(shard_iterator);
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) it.stream_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'Requested resource not found: Stream not found');
    END IF;
    ok := @extschema@._stream_require_read(s, 'GetRecords');
    -- botocore's model documents the message of ExpiredIteratorException
    IF pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) it.issued
       > COALESCE(pg_catalog.current_setting('dynamo_streams.iterator_ttl', true), '900')::interval THEN
        ok := @extschema@._raise('ExpiredIteratorException',
            'The provided iterator exceeds the maximum age allowed.',
            pg_catalog.format('The iterator was issued at %s; iterators expire after dynamo_streams.iterator_ttl (%s).',
                              it.issued, COALESCE(pg_catalog.current_setting('dynamo_streams.iterator_ttl', true), '900')),
            'Use the NextShardIterator of the previous get_records, or call get_shard_iterator again.');
    END IF;
    SELECT * INTO h FROM @extschema@._log_shards(s.stream_id) x WHERE x.shard_id OPERATOR(pg_catalog.=) it.shard_id;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'Requested resource not found: Shard does not exist');
    END IF;
    horizon := h.trim_horizon;
    IF it.kind IN ('AT', 'AFTER')
       AND (CASE WHEN it.kind OPERATOR(pg_catalog.=) 'AFTER' THEN it.seq OPERATOR(pg_catalog.+) 1 ELSE it.seq END) < horizon THEN
        ok := @extschema@._raise('TrimmedDataAccessException',
            'The data you are trying to access has been trimmed',
            pg_catalog.format('Records of shard %s before sequence number %s have been trimmed.', it.shard_id, horizon),
            'Records older than the stream''s retention have been trimmed; start at TRIM_HORIZON.');
    END IF;
    -- The page and the iterator after it (src/stream_page.c)
    RETURN @extschema@._log_page(s.stream_id, s.stream_arn, s.stream_view_type, it.shard_id, h.shard_no,
               h.ending_sequence_number IS NOT NULL,
               GREATEST(CASE it.kind WHEN 'TRIM' THEN ''
                                     WHEN 'AT' THEN @extschema@._log_seq(it.seq OPERATOR(pg_catalog.-) 1)
                                     ELSE @extschema@._log_seq(it.seq) END,
                        COALESCE((SELECT x.trimmed_seq FROM @extschema@._shards x
                                   WHERE x.shard_no OPERATOR(pg_catalog.=) h.shard_no), '')) COLLATE "C",
               "limit", it.kind, it.seq::text);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.get_records(text, int) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.get_records(text, int) IS
    'GetRecords: the records at a shard iterator, as the plugin renders them';
