-- dynamo_streams install script, part 62: delivery for event source
-- mappings (SPEC 4.7, docs/consumers.md "Delivery").
--
-- A mapping (part 60) reads its stream shard by shard.  Its progress is
-- kept per shard and per lane in dynamo._esm_shards: with
-- parallelization_factor N a shard has N lanes, and a record belongs to the
-- lane its partition key hashes to, so that records of one partition key
-- stay in order while N batches of the shard are in flight.  A lane has at
-- most one batch in flight (dynamo._esm_batches); its checkpoint is the
-- sequence number after which records are still to be delivered.
--
--   _lease_batch(mapping, lease_seconds)  the next batch: a lane row is
--       locked with FOR UPDATE SKIP LOCKED, so concurrent callers never get
--       the same lane, and a batch row with a lease (visibility timeout) is
--       written; parents before children: a shard's lanes are leased only
--       once every lane of its parent is done.
--   complete_batch(batch_id, response)  the function's answer: the partial
--       batch response table of SPEC 4.7 (only with ReportBatchItemFailures).
--   fail_batch(batch_id, error)  a function error (bisect if enabled).
--   An expired lease counts as a failed attempt (fail_batch 'timeout'),
--   applied by the next _lease_batch of the mapping.
--
-- The checkpoint moves in the transaction that completes the batch, with
-- the on-failure record when the batch is discarded, so both are written
-- exactly once; delivery is at least once (a lease lost to a crash or a
-- timeout delivers the same records again).

-- Per mapping, shard and lane: the checkpoint and the state of delivery.
CREATE TABLE @extschema@._esm_shards (
    mapping           uuid NOT NULL REFERENCES @extschema@._event_source_mappings (uuid) ON DELETE CASCADE,
    shard_id          text NOT NULL,
    -- records of this lane after this sequence number are still to be
    -- delivered ('' = from the start of the shard); rewind moves it back
    checkpoint_seq    text COLLATE "C" NOT NULL DEFAULT '',
    -- the lane (0 .. lanes - 1) of parallelization_factor = lanes
    lane              integer NOT NULL DEFAULT 0,
    lanes             integer NOT NULL DEFAULT 1,
    shard_no          bigint NOT NULL,
    -- the batch in flight and its lease
    batch_id          bigint,
    leased_until      timestamptz,
    -- failed deliveries of the records at the checkpoint (reset by success)
    attempts          integer NOT NULL DEFAULT 0,
    -- bisect_batch_on_function_error: the ends of the halves still to be
    -- delivered, first the next one (a stack)
    bisect_ends       text[] COLLATE "C" NOT NULL DEFAULT '{}',
    -- tumbling windows: the window being processed, its state (JSON text)
    -- and whether it ended early (the state exceeded 1 MB)
    window_start      timestamptz,
    window_state      text,
    window_early      boolean NOT NULL DEFAULT false,
    -- closed shard, every record of the lane delivered or discarded
    done              boolean NOT NULL DEFAULT false,
    -- records delivered and acknowledged, discarded (on-failure), filtered out
    processed         bigint NOT NULL DEFAULT 0,
    failed            bigint NOT NULL DEFAULT 0,
    filtered          bigint NOT NULL DEFAULT 0,
    last_batch_at     timestamptz,
    PRIMARY KEY (mapping, shard_id, lane),
    CHECK (lane >= 0 AND lane < lanes)
);
-- the lanes still to read, in the order leases look at them
CREATE INDEX _esm_shards_open ON @extschema@._esm_shards (mapping, shard_no, lane) WHERE NOT done;
COMMENT ON TABLE @extschema@._esm_shards IS
    'dynamo_streams consumers: checkpoint and delivery state per mapping, shard and lane';
REVOKE ALL ON @extschema@._esm_shards FROM PUBLIC;

-- The batches in flight (one per lane at most); a batch row goes when the
-- batch is completed, failed or superseded.
CREATE TABLE @extschema@._esm_batches (
    batch_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mapping           uuid NOT NULL REFERENCES @extschema@._event_source_mappings (uuid) ON DELETE CASCADE,
    shard_id          text NOT NULL,
    lane              integer NOT NULL,
    -- the invocation's request id (on-failure records carry it)
    request_id        uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    -- the records delivered, in order, and the filtered-out records among them
    seqs              text[] COLLATE "C" NOT NULL,
    filtered_seqs     text[] COLLATE "C" NOT NULL DEFAULT '{}',
    -- the checkpoint after the batch (NULL: an empty final window invoke)
    last_seq          text COLLATE "C",
    -- this delivery of the records is attempt number attempt (1 = first)
    attempt           integer NOT NULL,
    window_start      timestamptz,
    window_final      boolean NOT NULL DEFAULT false,
    leased_at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    leased_until      timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@._esm_batches IS
    'dynamo_streams consumers: batches leased and not yet completed';
REVOKE ALL ON @extschema@._esm_batches FROM PUBLIC;

-- On-failure records: batches discarded after retries were exhausted or
-- records grew too old, in the JSON AWS writes to an on-failure destination.
CREATE TABLE @extschema@._esm_failures (
    failure_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mapping           uuid NOT NULL,
    function_name     text NOT NULL,
    shard_id          text NOT NULL,
    -- RetryAttemptsExhausted or RecordAgeExceeded
    condition         text NOT NULL,
    -- DestinationConfig.OnFailure.Destination when it was written, or NULL
    destination       text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    -- the on-failure record, byte for byte as AWS writes it
    record            json NOT NULL
);
CREATE INDEX _esm_failures_mapping ON @extschema@._esm_failures (mapping, failure_id);
COMMENT ON TABLE @extschema@._esm_failures IS
    'dynamo_streams consumers: on-failure records of discarded batches';
REVOKE ALL ON @extschema@._esm_failures FROM PUBLIC;

CREATE VIEW @extschema@.event_source_mapping_failures AS
SELECT f.failure_id, f.mapping AS uuid, f.function_name, f.shard_id, f.condition, f.destination,
       f.created_at, f.record
  FROM @extschema@._esm_failures f;
COMMENT ON VIEW @extschema@.event_source_mapping_failures IS
    'on-failure records of event source mappings (one per discarded batch)';
REVOKE ALL ON @extschema@.event_source_mapping_failures FROM PUBLIC;

-- The lane (0 .. lanes - 1) of a record: a hash of its partition key
-- (the hash key attribute of keys; all of keys when the table has none).
CREATE FUNCTION @extschema@._esm_lane(keys text, hash_key text, lanes integer) RETURNS integer
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN lanes OPERATOR(pg_catalog.<=) 1 THEN 0 ELSE
        ((pg_catalog.hashtext(COALESCE((keys::jsonb OPERATOR(pg_catalog.->) hash_key)::text, keys))
          OPERATOR(pg_catalog.%) lanes) OPERATOR(pg_catalog.+) lanes) OPERATOR(pg_catalog.%) lanes END
$$;

-- A time as AWS writes it in on-failure records and windows:
-- 2022-07-13T13:48:01Z (ms: 2022-07-13T13:48:01.000Z).
CREATE FUNCTION @extschema@._esm_time(t timestamptz, ms boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC',
                              CASE WHEN ms THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS"Z"' END)
$$;

-- The start of the tumbling window of width seconds that holds t.
CREATE FUNCTION @extschema@._esm_window(t timestamptz, width integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.to_timestamp(pg_catalog.floor(EXTRACT(epoch FROM t) OPERATOR(pg_catalog./) width)
                                   OPERATOR(pg_catalog.*) width)
$$;

-- The lane rows of a mapping: one per shard of its stream and lane, made
-- when missing.  The first time (no row yet) the starting position places
-- the checkpoints; shards made later start at their beginning.  A changed
-- parallelization_factor re-lanes a shard with nothing in flight, from
-- before the first record that one of its lanes still had to deliver
-- (records of other lanes after it may come again).
CREATE FUNCTION @extschema@._esm_init_shards(mapping uuid) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m @extschema@._event_source_mappings;
    first_time boolean;
    hash_key text;
    n integer;
BEGIN
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) _esm_init_shards.mapping;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    first_time := NOT EXISTS (SELECT FROM @extschema@._esm_shards e WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid);
    SELECT t.hash_key INTO hash_key FROM @extschema@._tables t JOIN @extschema@._streams s
        ON s.relid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
     WHERE s.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    -- re-lane shards whose lane count changed and have nothing in flight
    WITH old AS (
        DELETE FROM @extschema@._esm_shards e
         WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid
           AND e.lanes OPERATOR(pg_catalog.<>) m.parallelization_factor
           AND NOT EXISTS (SELECT FROM @extschema@._esm_shards f
                            WHERE f.mapping OPERATOR(pg_catalog.=) e.mapping
                              AND f.shard_id OPERATOR(pg_catalog.=) e.shard_id AND f.batch_id IS NOT NULL)
        RETURNING e.*),
    per_shard AS (
        -- the checkpoint below the first record any old lane still has to
        -- deliver (the last record when they are all caught up)
        SELECT o.shard_id, o.shard_no,
               COALESCE((SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                          WHERE r.shard_no OPERATOR(pg_catalog.=) o.shard_no
                            AND r.sequence_number OPERATOR(pg_catalog.<) pg_catalog.min(
                                (SELECT pg_catalog.min(x.sequence_number) FROM @extschema@._records x
                                  WHERE x.shard_no OPERATOR(pg_catalog.=) o.shard_no
                                    AND x.sequence_number OPERATOR(pg_catalog.>) o.checkpoint_seq
                                    AND @extschema@._esm_lane(x.keys, hash_key, o.lanes) OPERATOR(pg_catalog.=) o.lane)
                                ) COLLATE "C"),
                        pg_catalog.max(o.checkpoint_seq)) AS checkpoint_seq,
               pg_catalog.bool_and(o.done) AS done, pg_catalog.sum(o.processed) AS processed,
               pg_catalog.sum(o.failed) AS failed, pg_catalog.sum(o.filtered) AS filtered
          FROM old o GROUP BY o.shard_id, o.shard_no)
    INSERT INTO @extschema@._esm_shards (mapping, shard_id, checkpoint_seq, lane, lanes, shard_no, done,
                                         processed, failed, filtered)
    SELECT m.uuid, p.shard_id, p.checkpoint_seq, g, m.parallelization_factor, p.shard_no, p.done,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.processed ELSE 0 END,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.failed ELSE 0 END,
           CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN p.filtered ELSE 0 END
      FROM per_shard p, pg_catalog.generate_series(0, m.parallelization_factor OPERATOR(pg_catalog.-) 1) g
    ON CONFLICT DO NOTHING;
    INSERT INTO @extschema@._esm_shards (mapping, shard_id, checkpoint_seq, lane, lanes, shard_no)
    SELECT m.uuid, h.shard_id,
           CASE WHEN NOT first_time OR m.starting_position OPERATOR(pg_catalog.=) 'TRIM_HORIZON' THEN ''
                -- LATEST: after the records made before the mapping
                ELSE COALESCE((SELECT r.sequence_number FROM @extschema@._records r
                                WHERE r.shard_no OPERATOR(pg_catalog.=) h.shard_no
                                  AND r.created_at OPERATOR(pg_catalog.<)
                                      COALESCE(m.starting_position_timestamp, m.created_at)
                                ORDER BY r.sequence_number DESC LIMIT 1), '') END,
           g, m.parallelization_factor, h.shard_no
      FROM @extschema@._shards h, pg_catalog.generate_series(0, m.parallelization_factor OPERATOR(pg_catalog.-) 1) g
     WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id
       AND NOT EXISTS (SELECT FROM @extschema@._esm_shards e
                        WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND e.shard_id OPERATOR(pg_catalog.=) h.shard_id)
    ORDER BY h.shard_no, g
    -- a concurrent first lease made them
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_init_shards(uuid) FROM PUBLIC;

-- The records of a lane after sequence number low (and at most high), in
-- order, at most n of them: rendered as Lambda records, with whether they
-- pass the mapping's filter criteria.
CREATE FUNCTION @extschema@._esm_candidates(m @extschema@._event_source_mappings, s @extschema@._streams,
                                            l @extschema@._esm_shards, low text, high text, n integer)
RETURNS TABLE (k bigint, seq text, created_at timestamptz, arrived_at timestamptz, rec text, keep boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    hash_key text;
BEGIN
    IF l.lanes OPERATOR(pg_catalog.>) 1 THEN
        SELECT t.hash_key INTO hash_key FROM @extschema@._tables t
         WHERE t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    END IF;
    RETURN QUERY
    SELECT pg_catalog.row_number() OVER (ORDER BY x.sequence_number), x.sequence_number::text, x.created_at,
           x.arrived_at, x.rec,
           m.filter_criteria IS NULL OR @extschema@._filter_criteria_match(m.filter_criteria, x.rec::jsonb)
      FROM (SELECT r.sequence_number, r.created_at, r.arrived_at,
                   @extschema@.render_record('lambda', s.stream_arn, s.stream_view_type, r.event_name,
                       r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image,
                       r.size_bytes, r.ttl, r.omitted) AS rec
              FROM @extschema@._records r
             WHERE r.shard_no OPERATOR(pg_catalog.=) l.shard_no
               AND r.sequence_number OPERATOR(pg_catalog.>) low COLLATE "C"
               AND (high IS NULL OR r.sequence_number OPERATOR(pg_catalog.<=) high COLLATE "C")
               AND (l.lanes OPERATOR(pg_catalog.=) 1
                    OR @extschema@._esm_lane(r.keys, hash_key, l.lanes) OPERATOR(pg_catalog.=) l.lane)
             ORDER BY r.sequence_number
             LIMIT n) x
     ORDER BY x.sequence_number;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_candidates(@extschema@._event_source_mappings, @extschema@._streams,
                                                   @extschema@._esm_shards, text, text, integer) FROM PUBLIC;

-- Write the on-failure record of the records seqs (in order) of a lane's
-- shard: condition RetryAttemptsExhausted (with responseContext;
-- function_error NULL is JSON null) or RecordAgeExceeded (without), in the
-- JSON AWS writes; an S3 destination's record also carries the records
-- under payload.Records.
CREATE FUNCTION @extschema@._esm_write_failure(m @extschema@._event_source_mappings, shard_id text,
                                               seqs text[], condition text, invoke_count integer,
                                               function_error text, request_id uuid)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s @extschema@._streams;
    first_at timestamptz;
    last_at timestamptz;
    payload text;
    doc text;
BEGIN
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    SELECT pg_catalog.min(r.created_at), pg_catalog.max(r.created_at),
           pg_catalog.string_agg(@extschema@.render_record('lambda', s.stream_arn, s.stream_view_type, r.event_name,
                                     r.sequence_number, r.created_at, r.keys, r.new_image, r.old_image,
                                     r.size_bytes, r.ttl, r.omitted), ',' ORDER BY r.sequence_number)
      INTO first_at, last_at, payload
      FROM @extschema@._records r JOIN @extschema@._shards h USING (shard_no)
     WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id AND h.shard_id OPERATOR(pg_catalog.=) _esm_write_failure.shard_id
       AND r.sequence_number OPERATOR(pg_catalog.=) ANY (seqs);
    doc := '{"requestContext":{"requestId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(request_id::text)::text
        OPERATOR(pg_catalog.||) ',"functionArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(m.function_arn)::text
        OPERATOR(pg_catalog.||) ',"condition":' OPERATOR(pg_catalog.||) pg_catalog.to_json(condition)::text
        OPERATOR(pg_catalog.||) ',"approximateInvokeCount":' OPERATOR(pg_catalog.||) invoke_count::text
        OPERATOR(pg_catalog.||) '}'
        OPERATOR(pg_catalog.||) CASE WHEN condition OPERATOR(pg_catalog.=) 'RecordAgeExceeded' THEN '' ELSE
            ',"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":'
            OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(function_error)::text, 'null') OPERATOR(pg_catalog.||) '}' END
        OPERATOR(pg_catalog.||) ',"version":"1.0","timestamp":'
        OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(pg_catalog.clock_timestamp(), true))::text
        OPERATOR(pg_catalog.||) ',"DDBStreamBatchInfo":{"shardId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(shard_id)::text
        OPERATOR(pg_catalog.||) ',"startSequenceNumber":' OPERATOR(pg_catalog.||) pg_catalog.to_json(seqs[1]::text)::text
        OPERATOR(pg_catalog.||) ',"endSequenceNumber":'
        OPERATOR(pg_catalog.||) pg_catalog.to_json(seqs[pg_catalog.cardinality(seqs)]::text)::text
        OPERATOR(pg_catalog.||) ',"approximateArrivalOfFirstRecord":'
        OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(@extschema@._esm_time(first_at))::text, 'null')
        OPERATOR(pg_catalog.||) ',"approximateArrivalOfLastRecord":'
        OPERATOR(pg_catalog.||) COALESCE(pg_catalog.to_json(@extschema@._esm_time(last_at))::text, 'null')
        OPERATOR(pg_catalog.||) ',"batchSize":' OPERATOR(pg_catalog.||) pg_catalog.cardinality(seqs)::text
        OPERATOR(pg_catalog.||) ',"streamArn":' OPERATOR(pg_catalog.||) pg_catalog.to_json(s.stream_arn)::text
        OPERATOR(pg_catalog.||) '}'
        OPERATOR(pg_catalog.||) CASE WHEN m.destination_on_failure LIKE 'arn:aws:s3:%' THEN
            ',"payload":{"Records":[' OPERATOR(pg_catalog.||) COALESCE(payload, '') OPERATOR(pg_catalog.||) ']}' ELSE '' END
        OPERATOR(pg_catalog.||) '}';
    INSERT INTO @extschema@._esm_failures (mapping, function_name, shard_id, condition, destination, record)
    VALUES (m.uuid, m.function_name, shard_id, condition, m.destination_on_failure, doc::json);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_write_failure(@extschema@._event_source_mappings, text, text[], text,
                                                      integer, text, uuid) FROM PUBLIC;

-- Mark the mapping's LastProcessingResult (only when it changes: the
-- mapping row is shared by every lane).
CREATE FUNCTION @extschema@._esm_result(mapping uuid, result text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE @extschema@._event_source_mappings m SET last_processing_result = result
     WHERE m.uuid OPERATOR(pg_catalog.=) mapping AND m.last_processing_result OPERATOR(pg_catalog.<>) result
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_result(uuid, text) FROM PUBLIC;

-- Try to lease the next batch of one lane (locked by the caller).  Returns
-- NULL when the lane has nothing to deliver now.
CREATE FUNCTION @extschema@._esm_lease_lane(m @extschema@._event_source_mappings, s @extschema@._streams,
                                            l @extschema@._esm_shards, lease_seconds integer,
                                            OUT batch_id bigint, OUT event text, OUT finished boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h @extschema@._shards;
    now_ts timestamptz := pg_catalog.clock_timestamp();
    low text;
    high text;
    cutoff timestamptz;
    width integer := m.tumbling_window_in_seconds;
    old_seqs text[];
    old_all text[];
    old_kept integer;
    seqs text[];
    fseqs text[];
    body text;
    last_seq text;
    n_keep integer;
    more boolean;
    hash_key text;
    first_created timestamptz;
    win timestamptz;
    next_created timestamptz;
    final boolean := false;
    guard integer := 0;
BEGIN
    finished := false;
    SELECT * INTO h FROM @extschema@._shards x WHERE x.shard_no OPERATOR(pg_catalog.=) l.shard_no;
    IF l.lanes OPERATOR(pg_catalog.>) 1 THEN
        SELECT t.hash_key INTO hash_key FROM @extschema@._tables t
         WHERE t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) s.relid;
    END IF;
    LOOP
        guard := guard OPERATOR(pg_catalog.+) 1;
        low := GREATEST(l.checkpoint_seq, COALESCE(h.trimmed_seq, ''));
        high := l.bisect_ends[1];
        -- records older than maximum_record_age_in_seconds are never
        -- delivered: discarded with a RecordAgeExceeded record
        IF m.maximum_record_age_in_seconds OPERATOR(pg_catalog.<>) -1 THEN
            cutoff := now_ts OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => m.maximum_record_age_in_seconds);
            SELECT pg_catalog.array_agg(c.seq ORDER BY c.k) FILTER (WHERE c.keep),
                   pg_catalog.array_agg(c.seq ORDER BY c.k)
              INTO old_seqs, old_all
              FROM @extschema@._esm_candidates(m, s, l, low, NULL, m.batch_size) c
             WHERE c.created_at OPERATOR(pg_catalog.<) cutoff;
            IF old_all IS NOT NULL THEN
                old_kept := COALESCE(pg_catalog.cardinality(old_seqs), 0);
                IF old_kept OPERATOR(pg_catalog.>) 0 THEN
                    PERFORM @extschema@._esm_write_failure(m, l.shard_id, old_seqs, 'RecordAgeExceeded',
                                                           l.attempts, NULL, pg_catalog.gen_random_uuid());
                    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Record age exceeded');
                END IF;
                UPDATE @extschema@._esm_shards e
                   SET checkpoint_seq = old_all[pg_catalog.cardinality(old_all)], attempts = 0,
                       bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(b ORDER BY o), '{}')
                                        FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(b, o)
                                       WHERE b OPERATOR(pg_catalog.>) old_all[pg_catalog.cardinality(old_all)]),
                       failed = e.failed OPERATOR(pg_catalog.+) old_kept,
                       filtered = e.filtered OPERATOR(pg_catalog.+) (pg_catalog.cardinality(old_all) OPERATOR(pg_catalog.-) old_kept)
                 WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
                   AND e.lane OPERATOR(pg_catalog.=) l.lane
                RETURNING * INTO l;
                CONTINUE;
            END IF;
        END IF;
        -- the candidates: up to batch_size records that pass the filter,
        -- at most 6 MB of them with the envelope (6291456 - 512 bytes; the
        -- first always goes), of one window
        SELECT pg_catalog.array_agg(p.seq ORDER BY p.k) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.array_agg(p.seq ORDER BY p.k) FILTER (WHERE p.taken AND NOT p.keep),
               pg_catalog.string_agg(p.rec, ',' ORDER BY p.k) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.max(p.seq COLLATE "C") FILTER (WHERE p.taken),
               pg_catalog.count(*) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.bool_or(NOT p.taken),
               pg_catalog.min(p.created_at) FILTER (WHERE p.taken AND p.keep),
               pg_catalog.min(p.created_at) FILTER (WHERE NOT p.taken AND p.keep)
          INTO seqs, fseqs, body, last_seq, n_keep, more, first_created, next_created
          FROM (SELECT q.*, q.k OPERATOR(pg_catalog.<=) COALESCE(q.kmax_ok,
                        CASE WHEN q.first_keep_k IS NULL THEN q.k ELSE q.first_keep_k OPERATOR(pg_catalog.-) 1 END) AS taken
                  FROM (SELECT o.*, pg_catalog.max(o.k) FILTER (WHERE o.ok) OVER () AS kmax_ok,
                               pg_catalog.min(o.k) FILTER (WHERE o.keep) OVER () AS first_keep_k
                          FROM (SELECT c.*,
                                       c.keep AND pg_catalog.sum(c.keep::integer) OVER w OPERATOR(pg_catalog.<=) m.batch_size
                                       AND (pg_catalog.sum(c.keep::integer) OVER w OPERATOR(pg_catalog.=) 1
                                            OR pg_catalog.sum(CASE WHEN c.keep THEN pg_catalog.octet_length(c.rec) OPERATOR(pg_catalog.+) 1 ELSE 0 END)
                                               OVER w OPERATOR(pg_catalog.<=) 6290944)
                                       AND (width OPERATOR(pg_catalog.=) 0 OR @extschema@._esm_window(c.created_at, width)
                                            OPERATOR(pg_catalog.=) COALESCE(l.window_start,
                                                @extschema@._esm_window(pg_catalog.min(c.created_at) FILTER (WHERE c.keep) OVER (), width)))
                                       AS ok
                                  FROM (SELECT pg_catalog.row_number() OVER (ORDER BY x.sequence_number) AS k,
                                               x.sequence_number::text AS seq, x.created_at, x.rec,
                                               m.filter_criteria IS NULL
                                               OR @extschema@._filter_criteria_match(m.filter_criteria, x.rec::jsonb) AS keep
                                          FROM (SELECT r.sequence_number, r.created_at,
                                                       @extschema@.render_record('lambda', s.stream_arn, s.stream_view_type,
                                                           r.event_name, r.sequence_number, r.created_at, r.keys, r.new_image,
                                                           r.old_image, r.size_bytes, r.ttl, r.omitted) AS rec
                                                  FROM @extschema@._records r
                                                 WHERE r.shard_no OPERATOR(pg_catalog.=) l.shard_no
                                                   AND r.sequence_number OPERATOR(pg_catalog.>) low COLLATE "C"
                                                   AND (high IS NULL OR r.sequence_number OPERATOR(pg_catalog.<=) high COLLATE "C")
                                                   AND (l.lanes OPERATOR(pg_catalog.=) 1
                                                        OR @extschema@._esm_lane(r.keys, hash_key, l.lanes) OPERATOR(pg_catalog.=) l.lane)
                                                 ORDER BY r.sequence_number
                                                 -- one past a full batch tells whether more
                                                 -- are waiting; with filters, more to choose from
                                                 LIMIT m.batch_size OPERATOR(pg_catalog.+)
                                                       CASE WHEN m.filter_criteria IS NULL THEN 1 ELSE 100 END) x) c
                                WINDOW w AS (ORDER BY c.k)) o) q) p;
        IF n_keep OPERATOR(pg_catalog.=) 0 AND last_seq IS NOT NULL THEN
            -- only filtered-out records: checkpoint past them, look again
            UPDATE @extschema@._esm_shards e
               SET checkpoint_seq = last_seq,
                   bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(b ORDER BY o), '{}')
                                    FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(b, o)
                                   WHERE b OPERATOR(pg_catalog.>) last_seq),
                   filtered = e.filtered OPERATOR(pg_catalog.+) pg_catalog.cardinality(fseqs)
             WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
               AND e.lane OPERATOR(pg_catalog.=) l.lane
            RETURNING * INTO l;
            IF guard OPERATOR(pg_catalog.<) 100 THEN
                CONTINUE;
            END IF;
            RETURN;
        END IF;
        EXIT;
    END LOOP;
    IF width OPERATOR(pg_catalog.>) 0 THEN
        -- tumbling windows: a window in progress whose records are all
        -- delivered gets its final invoke (no records) once it is over
        IF l.window_start IS NOT NULL AND (n_keep OPERATOR(pg_catalog.=) 0 OR l.window_early) THEN
            IF NOT l.window_early AND NOT (
                   next_created IS NOT NULL
                   OR now_ts OPERATOR(pg_catalog.>=) (l.window_start OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width))
                   OR h.ending_seq IS NOT NULL) THEN
                RETURN;
            END IF;
            seqs := '{}';
            fseqs := '{}';
            body := NULL;
            last_seq := NULL;
            final := true;
            win := l.window_start;
        ELSIF n_keep OPERATOR(pg_catalog.=) 0 THEN
            IF h.ending_seq IS NOT NULL AND NOT COALESCE(more, false) THEN
                UPDATE @extschema@._esm_shards e SET done = true
                 WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
                   AND e.lane OPERATOR(pg_catalog.=) l.lane;
                finished := true;
            END IF;
            RETURN;
        ELSE
            win := COALESCE(l.window_start, @extschema@._esm_window(first_created, width));
            -- final when the window holds no more records: a later one has
            -- come, or the window is over, or the shard is closed and read
            final := NOT EXISTS (SELECT FROM @extschema@._esm_candidates(m, s, l, last_seq, NULL, 1000) c
                                  WHERE c.keep AND @extschema@._esm_window(c.created_at, width) OPERATOR(pg_catalog.=) win)
                     AND (next_created IS NOT NULL
                          OR now_ts OPERATOR(pg_catalog.>=) (win OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width))
                          OR h.ending_seq IS NOT NULL
                          OR EXISTS (SELECT FROM @extschema@._esm_candidates(m, s, l, last_seq, NULL, 1000) c
                                      WHERE @extschema@._esm_window(c.created_at, width) OPERATOR(pg_catalog.>) win));
        END IF;
    ELSIF n_keep OPERATOR(pg_catalog.=) 0 THEN
        IF h.ending_seq IS NOT NULL AND NOT COALESCE(more, false) THEN
            UPDATE @extschema@._esm_shards e SET done = true
             WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
               AND e.lane OPERATOR(pg_catalog.=) l.lane;
            finished := true;
        END IF;
        RETURN;
    END IF;
    -- maximum_batching_window_in_seconds: wait for a full batch (or a full
    -- payload) up to the window, counted from the creation of its first record
    IF NOT final AND m.maximum_batching_window_in_seconds OPERATOR(pg_catalog.>) 0
       AND n_keep OPERATOR(pg_catalog.<) m.batch_size AND NOT COALESCE(more, false) AND h.ending_seq IS NULL
       AND l.attempts OPERATOR(pg_catalog.=) 0 AND pg_catalog.cardinality(l.bisect_ends) OPERATOR(pg_catalog.=) 0
       AND now_ts OPERATOR(pg_catalog.<) (first_created
           OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => m.maximum_batching_window_in_seconds)) THEN
        RETURN;
    END IF;
    INSERT INTO @extschema@._esm_batches (mapping, shard_id, lane, seqs, filtered_seqs, last_seq, attempt,
                                          window_start, window_final, leased_until)
    VALUES (l.mapping, l.shard_id, l.lane, COALESCE(seqs, '{}'), COALESCE(fseqs, '{}'), last_seq,
            l.attempts OPERATOR(pg_catalog.+) 1, win, final,
            now_ts OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => lease_seconds))
    RETURNING _esm_batches.batch_id INTO batch_id;
    UPDATE @extschema@._esm_shards e
       SET batch_id = _esm_lease_lane.batch_id,
           leased_until = now_ts OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => lease_seconds),
           window_start = win, last_batch_at = now_ts
     WHERE e.mapping OPERATOR(pg_catalog.=) l.mapping AND e.shard_id OPERATOR(pg_catalog.=) l.shard_id
       AND e.lane OPERATOR(pg_catalog.=) l.lane;
    event := '{"Records":[' OPERATOR(pg_catalog.||) COALESCE(body, '') OPERATOR(pg_catalog.||) ']';
    IF width OPERATOR(pg_catalog.>) 0 THEN
        event := event OPERATOR(pg_catalog.||) ',"window":{"start":'
            OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(win))::text
            OPERATOR(pg_catalog.||) ',"end":'
            OPERATOR(pg_catalog.||) pg_catalog.to_json(@extschema@._esm_time(win OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => width)))::text
            OPERATOR(pg_catalog.||) '},"state":' OPERATOR(pg_catalog.||) COALESCE(l.window_state, '{}')
            OPERATOR(pg_catalog.||) ',"shardId":' OPERATOR(pg_catalog.||) pg_catalog.to_json(l.shard_id)::text
            OPERATOR(pg_catalog.||) ',"eventSourceARN":' OPERATOR(pg_catalog.||) pg_catalog.to_json(s.stream_arn)::text
            OPERATOR(pg_catalog.||) ',"isFinalInvokeForWindow":' OPERATOR(pg_catalog.||) final::text
            OPERATOR(pg_catalog.||) ',"isWindowTerminatedEarly":' OPERATOR(pg_catalog.||) l.window_early::text;
    END IF;
    event := event OPERATOR(pg_catalog.||) '}';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_lease_lane(@extschema@._event_source_mappings, @extschema@._streams,
                                                   @extschema@._esm_shards, integer) FROM PUBLIC;

-- The next batch of a mapping (zero or one row), leased for lease_seconds:
-- expired leases first count as failed attempts; then the lanes without a
-- batch in flight, parents before children, the first that has records.
CREATE FUNCTION @extschema@._lease_batch(mapping uuid, lease_seconds integer)
RETURNS TABLE (batch_id bigint, shard_id text, event json)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m @extschema@._event_source_mappings;
    s @extschema@._streams;
    l @extschema@._esm_shards;
    got record;
    outcome text;
    finished integer;
BEGIN
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) _lease_batch.mapping;
    IF NOT FOUND OR NOT m.enabled OR m.state IN ('Disabled', 'Disabling', 'Deleting') THEN
        RETURN;
    END IF;
    SELECT * INTO s FROM @extschema@._streams x WHERE x.stream_id OPERATOR(pg_catalog.=) m.stream_id;
    -- lanes to make: a shard newer than every shard with lanes (shard_no
    -- only grows), or a changed parallelization_factor
    IF (EXISTS (SELECT FROM @extschema@._shards h
                 WHERE h.stream_id OPERATOR(pg_catalog.=) m.stream_id
                   AND h.shard_no OPERATOR(pg_catalog.>) COALESCE((SELECT pg_catalog.max(e.shard_no)
                                                                  FROM @extschema@._esm_shards e
                                                                 WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid), 0))
        OR EXISTS (SELECT FROM @extschema@._esm_shards e
                    WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND NOT e.done
                      AND e.lanes OPERATOR(pg_catalog.<>) m.parallelization_factor))
       -- one session at a time makes lanes; the others go on without waiting
       AND pg_catalog.pg_try_advisory_xact_lock(72399392, pg_catalog.hashtext(m.uuid::text)) THEN
        PERFORM @extschema@._esm_init_shards(m.uuid);
    END IF;
    -- an expired lease is a failed attempt (a function timeout)
    FOR l IN SELECT * FROM @extschema@._esm_shards e
              WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND e.batch_id IS NOT NULL
                AND e.leased_until OPERATOR(pg_catalog.<) pg_catalog.clock_timestamp()
              ORDER BY e.shard_no, e.lane
              FOR UPDATE SKIP LOCKED LOOP
        outcome := @extschema@._esm_fail(l.batch_id, 'Unhandled', false);
    END LOOP;
    -- again while a pass finishes shards (their children become leasable)
    LOOP
        finished := 0;
        FOR l IN SELECT e.* FROM @extschema@._esm_shards e
                   JOIN @extschema@._shards h ON h.shard_no OPERATOR(pg_catalog.=) e.shard_no
                  WHERE e.mapping OPERATOR(pg_catalog.=) m.uuid AND NOT e.done AND e.batch_id IS NULL
                    AND (h.parent_shard_id IS NULL
                         OR NOT EXISTS (SELECT FROM @extschema@._esm_shards p
                                         WHERE p.mapping OPERATOR(pg_catalog.=) m.uuid
                                           AND p.shard_id OPERATOR(pg_catalog.=) h.parent_shard_id AND NOT p.done))
                  ORDER BY e.shard_no, e.lane
                  FOR UPDATE OF e SKIP LOCKED LOOP
            got := @extschema@._esm_lease_lane(m, s, l, lease_seconds);
            IF got.batch_id IS NOT NULL THEN
                batch_id := got.batch_id;
                shard_id := l.shard_id;
                event := got.event::json;
                RETURN NEXT;
                RETURN;
            ELSIF got.finished THEN
                finished := finished OPERATOR(pg_catalog.+) 1;
            END IF;
        END LOOP;
        EXIT WHEN finished OPERATOR(pg_catalog.=) 0;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._lease_batch(uuid, integer) FROM PUBLIC;

-- The batch b failed as a whole (the lane row locked by the caller):
-- function_error as the on-failure record's functionError (NULL: an
-- invalid partial response), bisect when enabled and allowed.  Returns
-- 'SPLIT', 'RETRY' or 'DISCARDED'.
CREATE FUNCTION @extschema@._esm_batch_failed(m @extschema@._event_source_mappings, b @extschema@._esm_batches,
                                              function_error text, may_bisect boolean)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := pg_catalog.cardinality(b.seqs);
    l @extschema@._esm_shards;
BEGIN
    SELECT * INTO l FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    DELETE FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) b.batch_id;
    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Function call failed');
    IF may_bisect AND m.bisect_batch_on_function_error AND n OPERATOR(pg_catalog.>) 1 THEN
        -- halves in order: the first floor(n/2) records, then the rest;
        -- splits do not consume retries
        UPDATE @extschema@._esm_shards e
           SET batch_id = NULL, leased_until = NULL,
               bisect_ends = ARRAY[b.seqs[n OPERATOR(pg_catalog./) 2]]
                   OPERATOR(pg_catalog.||) CASE WHEN e.bisect_ends[1] OPERATOR(pg_catalog.=) b.last_seq
                                                THEN e.bisect_ends ELSE b.last_seq OPERATOR(pg_catalog.||) e.bisect_ends END
         WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
           AND e.lane OPERATOR(pg_catalog.=) b.lane;
        RETURN 'SPLIT';
    END IF;
    IF m.maximum_retry_attempts OPERATOR(pg_catalog.<>) -1
       AND l.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>) m.maximum_retry_attempts THEN
        IF n OPERATOR(pg_catalog.>) 0 THEN
            PERFORM @extschema@._esm_write_failure(m, b.shard_id, b.seqs, 'RetryAttemptsExhausted',
                                                   l.attempts OPERATOR(pg_catalog.+) 1, function_error, b.request_id);
        END IF;
        PERFORM @extschema@._esm_settle(b, b.last_seq, true);
        RETURN 'DISCARDED';
    END IF;
    UPDATE @extschema@._esm_shards e
       SET batch_id = NULL, leased_until = NULL, attempts = e.attempts OPERATOR(pg_catalog.+) 1
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    RETURN 'RETRY';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_batch_failed(@extschema@._event_source_mappings, @extschema@._esm_batches,
                                                     text, boolean) FROM PUBLIC;

-- Settle batch b up to checkpoint upto (NULL: no record of it, an empty
-- final window invoke): the records at or before it count as processed
-- (or, discarded, as failed), the filtered ones as filtered; attempts
-- reset; finished halves of a bisect popped; the lane freed.
CREATE FUNCTION @extschema@._esm_settle(b @extschema@._esm_batches, upto text, discarded boolean,
                                        new_state text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n_del integer := (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.seqs) x WHERE x OPERATOR(pg_catalog.<=) upto);
    n_filt integer := (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.<=) upto);
    -- a final window invoke ends its window only when all of it is done
    final boolean := b.window_final AND upto IS NOT DISTINCT FROM b.last_seq;
BEGIN
    DELETE FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) b.batch_id;
    UPDATE @extschema@._esm_shards e
       SET batch_id = NULL, leased_until = NULL, attempts = 0,
           checkpoint_seq = GREATEST(e.checkpoint_seq, COALESCE(upto, '')),
           bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(x ORDER BY o), '{}')
                            FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(x, o)
                           WHERE upto IS NULL OR x OPERATOR(pg_catalog.>) upto),
           processed = e.processed OPERATOR(pg_catalog.+) CASE WHEN discarded THEN 0 ELSE n_del END,
           failed = e.failed OPERATOR(pg_catalog.+) CASE WHEN discarded THEN n_del ELSE 0 END,
           filtered = e.filtered OPERATOR(pg_catalog.+) n_filt,
           -- a final window invoke ends the window; an oversized state ends it early
           window_start = CASE WHEN final THEN NULL ELSE e.window_start END,
           window_state = CASE WHEN final THEN NULL
                               WHEN new_state IS NULL OR pg_catalog.octet_length(new_state) OPERATOR(pg_catalog.>) 1048576
                               THEN e.window_state ELSE new_state END,
           window_early = CASE WHEN final THEN false
                               ELSE e.window_early OR COALESCE(pg_catalog.octet_length(new_state) OPERATOR(pg_catalog.>) 1048576, false) END
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_settle(@extschema@._esm_batches, text, boolean, text) FROM PUBLIC;

-- A batch failed as a whole: lane locked, batch failed (see fail_batch).
CREATE FUNCTION @extschema@._esm_fail(batch_id bigint, function_error text, invalid_response boolean)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b @extschema@._esm_batches;
    m @extschema@._event_source_mappings;
BEGIN
    SELECT * INTO b FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) _esm_fail.batch_id;
    IF NOT FOUND THEN
        RETURN 'STALE';
    END IF;
    PERFORM FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane AND e.batch_id OPERATOR(pg_catalog.=) b.batch_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'STALE';
    END IF;
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) b.mapping;
    RETURN @extschema@._esm_batch_failed(m, b, CASE WHEN invalid_response THEN NULL ELSE function_error END,
                                         NOT invalid_response);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_fail(bigint, text, boolean) FROM PUBLIC;

-- AccessDeniedException unless the caller may consume the mapping: a
-- member of the role that created it.
CREATE FUNCTION @extschema@._esm_require_owner(m @extschema@._event_source_mappings) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
BEGIN
    IF pg_catalog.pg_has_role(who, m.owner::pg_catalog.oid, 'MEMBER') THEN
        RETURN true;
    END IF;
    ok := @extschema@._raise('AccessDeniedException',
        pg_catalog.format('User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s', who, m.function_arn),
        pg_catalog.format('Only members of the role %s, which created the event source mapping, may consume it.', m.owner));
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_require_owner(@extschema@._event_source_mappings) FROM PUBLIC;

-- SQL pull: the next batch of the function's enabled mappings (zero or
-- one row), leased for lease_seconds (the function's timeout).
CREATE FUNCTION @extschema@.receive_batch(function_name text, lease_seconds integer DEFAULT 30)
RETURNS TABLE (batch_id bigint, event json)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    m @extschema@._event_source_mappings;
    got record;
    found_one boolean := false;
BEGIN
    IF lease_seconds IS NULL OR lease_seconds < 1 OR lease_seconds > 900 THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('Invalid lease_seconds: %s', COALESCE(lease_seconds::text, 'null')),
            'lease_seconds (the function''s timeout) must be between 1 and 900.');
    END IF;
    FOR m IN SELECT * FROM @extschema@._event_source_mappings x
              WHERE x.function_name OPERATOR(pg_catalog.=) receive_batch.function_name
                 OR x.function_arn OPERATOR(pg_catalog.=) receive_batch.function_name
              -- the mapping served least recently first
              ORDER BY (SELECT pg_catalog.max(e.last_batch_at) FROM @extschema@._esm_shards e
                         WHERE e.mapping OPERATOR(pg_catalog.=) x.uuid) NULLS FIRST, x.uuid LOOP
        ok := @extschema@._esm_require_owner(m);
        found_one := true;
        SELECT * INTO got FROM @extschema@._lease_batch(m.uuid, lease_seconds) x;
        IF got.batch_id IS NOT NULL THEN
            batch_id := got.batch_id;
            event := got.event;
            RETURN NEXT;
            RETURN;
        END IF;
    END LOOP;
    IF NOT found_one THEN
        ok := @extschema@._raise('ResourceNotFoundException', 'The resource you requested does not exist.',
            pg_catalog.format('No event source mapping for function %s.', function_name));
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.receive_batch(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.receive_batch(text, integer) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.receive_batch(text, integer) IS
    'SQL pull: lease the next batch of a function''s event source mappings, as the Lambda event';

-- The leased batch and its mapping, checked (the caller may consume it),
-- and the lane locked; NULL when the batch is no longer leased (completed,
-- failed, or redelivered after its lease expired).
CREATE FUNCTION @extschema@._esm_batch_for(batch_id bigint, OUT b @extschema@._esm_batches,
                                           OUT m @extschema@._event_source_mappings)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF batch_id IS NULL THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'batch_id must not be null');
    END IF;
    SELECT * INTO b FROM @extschema@._esm_batches x WHERE x.batch_id OPERATOR(pg_catalog.=) _esm_batch_for.batch_id;
    IF NOT FOUND THEN
        b := NULL;
        RETURN;
    END IF;
    SELECT * INTO m FROM @extschema@._event_source_mappings x WHERE x.uuid OPERATOR(pg_catalog.=) b.mapping;
    ok := @extschema@._esm_require_owner(m);
    PERFORM FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane AND e.batch_id OPERATOR(pg_catalog.=) b.batch_id
       FOR UPDATE;
    IF NOT FOUND THEN
        b := NULL;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._esm_batch_for(bigint) FROM PUBLIC;

-- The function's response to a batch.  Without ReportBatchItemFailures
-- any response is success.  With it, the partial batch response table of
-- SPEC 4.7: success (checkpoint after the batch); failures naming
-- sequence numbers of the batch (checkpoint before the lowest, redeliver
-- from it, a retry); an itemIdentifier empty, null, missing or not of the
-- batch, or a response of another shape (the whole batch failed, no
-- bisect).  With tumbling windows a response without a state object
-- fails the whole batch in the same way.  Returns 'SUCCESS', 'PARTIAL', 'FAILED' (whole batch, to be
-- retried), 'SPLIT', 'DISCARDED' (retries exhausted: on-failure record
-- written) or 'STALE' (the batch is no longer leased: nothing done).
CREATE FUNCTION @extschema@.complete_batch(batch_id bigint, response jsonb DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got record;
    b @extschema@._esm_batches;
    m @extschema@._event_source_mappings;
    l @extschema@._esm_shards;
    failures jsonb;
    ids text[];
    lowest text;
    valid boolean := true;
    upto text;
    rest text[];
    new_state text;
BEGIN
    got := @extschema@._esm_batch_for(batch_id);
    b := got.b;
    m := got.m;
    IF b.batch_id IS NULL THEN
        RETURN 'STALE';
    END IF;
    IF m.tumbling_window_in_seconds OPERATOR(pg_catalog.>) 0 THEN
        -- with tumbling windows the response must carry state (an object):
        -- else the invocation failed (as an invalid response: not bisected)
        IF pg_catalog.jsonb_typeof(response OPERATOR(pg_catalog.->) 'state') IS DISTINCT FROM 'object' THEN
            RETURN CASE @extschema@._esm_batch_failed(m, b, NULL, false) WHEN 'RETRY' THEN 'FAILED' ELSE 'DISCARDED' END;
        END IF;
        new_state := (response OPERATOR(pg_catalog.->) 'state')::text;
    END IF;
    IF 'ReportBatchItemFailures' OPERATOR(pg_catalog.<>) ALL (m.function_response_types)
       OR response IS NULL OR response OPERATOR(pg_catalog.=) '{}'::jsonb OR response OPERATOR(pg_catalog.=) '[]'::jsonb
       OR pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.=) 'null' THEN
        PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
        PERFORM @extschema@._esm_result(m.uuid, 'OK');
        RETURN 'SUCCESS';
    END IF;
    IF pg_catalog.jsonb_typeof(response) OPERATOR(pg_catalog.<>) 'object' THEN
        valid := false;
    ELSE
        failures := response OPERATOR(pg_catalog.->) 'batchItemFailures';
        IF failures IS NULL OR pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.=) 'null'
           OR failures OPERATOR(pg_catalog.=) '[]'::jsonb THEN
            PERFORM @extschema@._esm_settle(b, b.last_seq, false, new_state);
            PERFORM @extschema@._esm_result(m.uuid, 'OK');
            RETURN 'SUCCESS';
        ELSIF pg_catalog.jsonb_typeof(failures) OPERATOR(pg_catalog.<>) 'array' THEN
            valid := false;
        ELSE
            SELECT pg_catalog.array_agg(CASE WHEN pg_catalog.jsonb_typeof(f) OPERATOR(pg_catalog.=) 'object'
                                              AND pg_catalog.jsonb_typeof(f OPERATOR(pg_catalog.->) 'itemIdentifier') OPERATOR(pg_catalog.=) 'string'
                                             THEN f OPERATOR(pg_catalog.->>) 'itemIdentifier' END)
              INTO ids FROM pg_catalog.jsonb_array_elements(failures) f;
            valid := NOT EXISTS (SELECT FROM pg_catalog.unnest(ids) i
                                  WHERE i IS NULL OR i OPERATOR(pg_catalog.<>) ALL (b.seqs));
            IF valid THEN
                SELECT pg_catalog.min(i COLLATE "C") INTO lowest FROM pg_catalog.unnest(ids) i;
            END IF;
        END IF;
    END IF;
    IF NOT valid THEN
        RETURN CASE @extschema@._esm_batch_failed(m, b, NULL, false) WHEN 'RETRY' THEN 'FAILED' ELSE 'DISCARDED' END;
    END IF;
    -- checkpoint just before the lowest failure; a retry of the rest
    SELECT * INTO l FROM @extschema@._esm_shards e
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    PERFORM @extschema@._esm_result(m.uuid, 'PROBLEM: Function call failed');
    SELECT pg_catalog.max(x COLLATE "C") INTO upto
      FROM pg_catalog.unnest(b.seqs OPERATOR(pg_catalog.||) b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.<) lowest COLLATE "C";
    IF m.maximum_retry_attempts OPERATOR(pg_catalog.<>) -1
       AND l.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>) m.maximum_retry_attempts THEN
        SELECT pg_catalog.array_agg(x ORDER BY x) INTO rest
          FROM pg_catalog.unnest(b.seqs) x WHERE x OPERATOR(pg_catalog.>=) lowest COLLATE "C";
        PERFORM @extschema@._esm_write_failure(m, b.shard_id, rest, 'RetryAttemptsExhausted',
                                               l.attempts OPERATOR(pg_catalog.+) 1, NULL, b.request_id);
        -- processed up to the failure, failed after it
        PERFORM @extschema@._esm_settle(b, upto, false, new_state);
        UPDATE @extschema@._esm_shards e
           SET checkpoint_seq = b.last_seq,
               failed = e.failed OPERATOR(pg_catalog.+) pg_catalog.cardinality(rest),
               filtered = e.filtered OPERATOR(pg_catalog.+)
                   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(b.filtered_seqs) x WHERE x OPERATOR(pg_catalog.>) lowest COLLATE "C"),
               bisect_ends = (SELECT COALESCE(pg_catalog.array_agg(x ORDER BY o), '{}')
                                FROM pg_catalog.unnest(e.bisect_ends) WITH ORDINALITY AS u(x, o)
                               WHERE x OPERATOR(pg_catalog.>) b.last_seq)
         WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
           AND e.lane OPERATOR(pg_catalog.=) b.lane;
        RETURN 'DISCARDED';
    END IF;
    -- (a window's state: the response's, as the records before the
    -- failure are done)
    PERFORM @extschema@._esm_settle(b, upto, false, new_state);
    -- with bisect_batch_on_function_error the batch is split at the
    -- failure: only its remaining records come again (not records after it)
    UPDATE @extschema@._esm_shards e SET attempts = l.attempts OPERATOR(pg_catalog.+) 1,
           bisect_ends = CASE WHEN m.bisect_batch_on_function_error
                               AND e.bisect_ends[1] IS DISTINCT FROM b.last_seq
                              THEN b.last_seq OPERATOR(pg_catalog.||) e.bisect_ends ELSE e.bisect_ends END
     WHERE e.mapping OPERATOR(pg_catalog.=) b.mapping AND e.shard_id OPERATOR(pg_catalog.=) b.shard_id
       AND e.lane OPERATOR(pg_catalog.=) b.lane;
    RETURN 'PARTIAL';
END
$$;
REVOKE ALL ON FUNCTION @extschema@.complete_batch(bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.complete_batch(bigint, jsonb) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.complete_batch(bigint, jsonb) IS
    'the function''s response to a leased batch (partial batch response rules)';

-- A function error on a leased batch (an exception, a non-2xx answer, a
-- timeout): the whole batch failed; bisected if the mapping says so,
-- else retried or, retries exhausted, discarded with an on-failure record
-- whose functionError is 'Unhandled' (or error when it is 'Handled').
-- Returns 'SPLIT', 'FAILED', 'DISCARDED' or 'STALE'.
CREATE FUNCTION @extschema@.fail_batch(batch_id bigint, error text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    got record;
    outcome text;
BEGIN
    got := @extschema@._esm_batch_for(batch_id);
    IF (got.b).batch_id IS NULL THEN
        RETURN 'STALE';
    END IF;
    outcome := @extschema@._esm_batch_failed(got.m, got.b,
                   CASE WHEN error OPERATOR(pg_catalog.=) 'Handled' THEN 'Handled' ELSE 'Unhandled' END, true);
    RETURN CASE outcome WHEN 'RETRY' THEN 'FAILED' ELSE outcome END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.fail_batch(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.fail_batch(bigint, text) TO PUBLIC;
COMMENT ON FUNCTION @extschema@.fail_batch(bigint, text) IS
    'a function error on a leased batch (retry, bisect or discard per the mapping)';

-- Checkpoints: per mapping, shard and lane, the checkpointed sequence
-- number, the iterator age (age of the oldest record still to deliver),
-- failed attempts, batches in flight and the state.
CREATE VIEW @extschema@.event_source_mapping_checkpoints AS
SELECT e.mapping AS uuid, m.function_name, e.shard_id, e.lane,
       NULLIF(e.checkpoint_seq, '') AS checkpoint_sequence_number,
       pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) nx.created_at AS iterator_age,
       e.attempts,
       (e.batch_id IS NOT NULL)::integer AS batches_in_flight,
       CASE WHEN e.done THEN 'Done'
            WHEN e.batch_id IS NOT NULL AND e.leased_until OPERATOR(pg_catalog.<) pg_catalog.clock_timestamp() THEN 'LeaseExpired'
            WHEN e.batch_id IS NOT NULL THEN 'InFlight'
            WHEN h.parent_shard_id IS NOT NULL
                 AND EXISTS (SELECT FROM @extschema@._esm_shards p
                              WHERE p.mapping OPERATOR(pg_catalog.=) e.mapping
                                AND p.shard_id OPERATOR(pg_catalog.=) h.parent_shard_id AND NOT p.done) THEN 'WaitingForParent'
            WHEN e.attempts OPERATOR(pg_catalog.>) 0 OR pg_catalog.cardinality(e.bisect_ends) OPERATOR(pg_catalog.>) 0 THEN 'Retrying'
            WHEN nx.created_at IS NOT NULL THEN 'Pending'
            ELSE 'CaughtUp' END AS state,
       e.processed, e.failed, e.filtered, e.last_batch_at
  FROM @extschema@._esm_shards e
  JOIN @extschema@._event_source_mappings m ON m.uuid OPERATOR(pg_catalog.=) e.mapping
  JOIN @extschema@._shards h ON h.shard_no OPERATOR(pg_catalog.=) e.shard_no
  LEFT JOIN LATERAL (
      SELECT r.created_at FROM @extschema@._records r
       WHERE r.shard_no OPERATOR(pg_catalog.=) e.shard_no
         AND r.sequence_number OPERATOR(pg_catalog.>) GREATEST(e.checkpoint_seq, COALESCE(h.trimmed_seq, '')) COLLATE "C"
         AND (e.lanes OPERATOR(pg_catalog.=) 1
              OR @extschema@._esm_lane(r.keys, (SELECT t.hash_key FROM @extschema@._tables t
                                                 JOIN @extschema@._streams s ON s.relid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid
                                                WHERE s.stream_id OPERATOR(pg_catalog.=) m.stream_id), e.lanes)
                 OPERATOR(pg_catalog.=) e.lane)
       ORDER BY r.sequence_number LIMIT 1) nx ON true;
COMMENT ON VIEW @extschema@.event_source_mapping_checkpoints IS
    'checkpoints of event source mappings, per shard and lane';
REVOKE ALL ON @extschema@.event_source_mapping_checkpoints FROM PUBLIC;

-- Metrics per mapping, in the manner of pgmq's metrics(): records
-- processed, failed (discarded to the on-failure table) and filtered out,
-- batches in flight, records still to deliver and the age of the oldest.
CREATE FUNCTION @extschema@.event_source_mapping_metrics(function_name text DEFAULT NULL)
RETURNS TABLE (uuid uuid, function_name text, records_processed bigint, records_failed bigint,
               records_filtered bigint, batches_in_flight bigint, oldest_unprocessed_age_sec integer,
               on_failure_records bigint, scrape_time timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.uuid, m.function_name,
           COALESCE(pg_catalog.sum(c.processed), 0)::bigint, COALESCE(pg_catalog.sum(c.failed), 0)::bigint,
           COALESCE(pg_catalog.sum(c.filtered), 0)::bigint, COALESCE(pg_catalog.sum(c.batches_in_flight), 0)::bigint,
           pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.max(c.iterator_age)))::integer,
           (SELECT pg_catalog.count(*) FROM @extschema@._esm_failures f WHERE f.mapping OPERATOR(pg_catalog.=) m.uuid),
           pg_catalog.clock_timestamp()
      FROM @extschema@._event_source_mappings m
      LEFT JOIN @extschema@.event_source_mapping_checkpoints c ON c.uuid OPERATOR(pg_catalog.=) m.uuid
     WHERE event_source_mapping_metrics.function_name IS NULL
        OR m.function_name OPERATOR(pg_catalog.=) event_source_mapping_metrics.function_name
     GROUP BY m.uuid, m.function_name
     ORDER BY m.function_name, m.uuid
$$;
REVOKE ALL ON FUNCTION @extschema@.event_source_mapping_metrics(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.event_source_mapping_metrics(text) IS
    'metrics of event source mappings: processed, failed, filtered, oldest unprocessed age';
