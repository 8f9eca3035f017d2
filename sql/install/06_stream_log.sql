-- dynamo_streams install script, part 06: the stream log (docs/stream-log.md).
--
-- The pump (src/pump.c, dynamo.pump(), the background worker) reads the
-- output plugin's records (format=pump) from its own logical slot and
-- writes them here exactly once: the records and the pump's progress (the
-- replication origin dynamo_streams_pump_<database oid>) commit in one
-- transaction, and whole transactions at or below the origin's progress
-- are skipped when they are decoded again.
--
--   dynamo._shards   one row per shard of a stream: its ShardId, the hash
--                    slot it serves, its lineage and its sequence range.
--   dynamo._records  one row per record, partitioned by the day the pump
--                    wrote it (arrived_at), so that trimming drops whole days.
--   dynamo.stream_records  the documented view of the log (typed columns).
--
-- Sequence numbers are the plugin's 40-digit strings, kept as text in the
-- "C" collation: fixed width, so string order is numeric order.

-- When a stream is disabled: the WAL position, so that the pump closes its
-- shards once it has pumped everything written before it.
ALTER TABLE @extschema@._streams ADD COLUMN disabled_lsn pg_catalog.pg_lsn;

CREATE TABLE @extschema@._shards (
    shard_no          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id         bigint NOT NULL REFERENCES @extschema@._streams ON DELETE CASCADE,
    -- 'shardId-' + 20 digits (creation time, ms since 1970) + '-' + 8 hex
    shard_id          text NOT NULL,
    -- the records whose key hash modulo slot_count is hash_slot
    hash_slot         integer NOT NULL,
    slot_count        integer NOT NULL,
    parent_shard_id   text,
    starting_seq      text COLLATE "C" NOT NULL,
    -- set when the shard is closed (rolled over, or its stream disabled)
    ending_seq        text COLLATE "C",
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at         timestamptz,
    -- the shard of its slot that new records go to (the newest)
    current           boolean NOT NULL DEFAULT true,
    -- records at or below this sequence number are trimmed (gone or hidden)
    trimmed_seq       text COLLATE "C",
    UNIQUE (stream_id, shard_id),
    CHECK ((ending_seq IS NULL) = (closed_at IS NULL)),
    CHECK (hash_slot >= 0 AND hash_slot < slot_count)
);
CREATE UNIQUE INDEX _shards_current ON @extschema@._shards (stream_id, hash_slot) WHERE current;

COMMENT ON TABLE @extschema@._shards IS
    'dynamo_streams stream log: the shards of every stream, with their lineage';
-- (dumped with its rows: sql/install/83_log_dump.sql)

CREATE TABLE @extschema@._records (
    stream_id         bigint NOT NULL,
    shard_no          bigint NOT NULL,
    sequence_number   text COLLATE "C" NOT NULL,
    commit_lsn        pg_catalog.pg_lsn NOT NULL,
    event_name        text NOT NULL,
    -- commit time of the change (ApproximateCreationDateTime)
    created_at        timestamptz NOT NULL,
    key_hash          bigint NOT NULL,
    size_bytes        bigint NOT NULL,
    ttl               boolean NOT NULL,
    -- '' as NULL, 'max-record-bytes' or 'error' (docs/output-plugin.md)
    omitted           text,
    -- AttributeValue JSON text exactly as the plugin wrote it
    keys              text NOT NULL,
    new_image         text,
    old_image         text,
    -- when the pump wrote it: the partition key, and what retention counts
    arrived_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
) PARTITION BY RANGE (arrived_at);
-- Its indexes, (shard_no, sequence_number), (stream_id, created_at) and
-- (key_hash, stream_id) (an item's history, part 72),
-- are made on each day partition (_records_partition), not on the parent:
-- the partitions are not extension members, so pg_dump dumps them with
-- their indexes, and a restore attaches them to the parent that CREATE
-- EXTENSION made; with indexes on the parent, ATTACH would build the
-- partition's indexes itself and the dump's own CREATE INDEX would then
-- fail (docs/stream-log.md, "Dump and restore").

COMMENT ON TABLE @extschema@._records IS
    'dynamo_streams stream log: every record the pump wrote, partitioned by day';

-- The pump's state: one row.  pumped_through: every transaction that
-- committed before it is in the log (set when a step drained the slot).
CREATE TABLE @extschema@._pump (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pumped_through    pg_catalog.pg_lsn,
    last_step_at      timestamptz,
    records           bigint NOT NULL DEFAULT 0,
    -- where the slot this install made started (NULL: none made yet), so
    -- that a slot left by an earlier install is told apart (_pump_ensure_slot)
    slot_created_lsn  pg_catalog.pg_lsn
);
INSERT INTO @extschema@._pump DEFAULT VALUES;

REVOKE ALL ON @extschema@._shards, @extschema@._records, @extschema@._pump FROM PUBLIC;
-- shards, like streams (dynamo._streams), are no secret (ids, lineage,
-- sequence ranges); the records are not readable
GRANT SELECT ON @extschema@._shards TO PUBLIC;

-- The pump's slot and replication origin (per database: origins and slots
-- are cluster-wide).
CREATE FUNCTION @extschema@._pump_slot_name() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_pump_' OPERATOR(pg_catalog.||) d.oid::text FROM pg_catalog.pg_database d
     WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
$$;
CREATE FUNCTION @extschema@._pump_origin_name() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'dynamo_streams_pump_' OPERATOR(pg_catalog.||) d.oid::text FROM pg_catalog.pg_database d
     WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
$$;

-- The LSN just after lsn (pg_lsn + numeric needs PostgreSQL 14).
CREATE FUNCTION @extschema@._lsn_next(lsn pg_catalog.pg_lsn) RETURNS pg_catalog.pg_lsn
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT (pg_catalog.to_hex(pg_catalog.div(n, 4294967296)::bigint) OPERATOR(pg_catalog.||) '/'
            OPERATOR(pg_catalog.||) pg_catalog.to_hex(pg_catalog.mod(n, 4294967296)::bigint))::pg_catalog.pg_lsn
      FROM (SELECT (lsn OPERATOR(pg_catalog.-) '0/0'::pg_catalog.pg_lsn) OPERATOR(pg_catalog.+) 1 AS n) x
$$;

-- The SequenceNumber below every record committed at or after lsn
-- (change number 0; see src/record_seq.c for the layout).
CREATE FUNCTION @extschema@._seq_at_lsn(lsn pg_catalog.pg_lsn) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE((SELECT s.epoch::text FROM @extschema@._source s LIMIT 1), '100')
           OPERATOR(pg_catalog.||) pg_catalog.lpad((lsn OPERATOR(pg_catalog.-) '0/0'::pg_lsn)::text, 20, '0')
           OPERATOR(pg_catalog.||) '00000000000000000'
$$;

-- The hash slot (0..n-1) of a key hash: its unsigned 64-bit value modulo n,
-- as the plugin's hash-slots option computes it.
CREATE FUNCTION @extschema@._hash_slot(h bigint, n integer) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_hash_slot';

-- A new ShardId: 'shardId-' + creation time (ms since 1970, 20 digits) +
-- '-' + 8 hex digits that tell apart the shards made at once.
CREATE FUNCTION @extschema@._new_shard_id(stream_id bigint, hash_slot integer) RETURNS text
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'shardId-'
           OPERATOR(pg_catalog.||) pg_catalog.lpad(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())
                                                   OPERATOR(pg_catalog.*) 1000)::bigint::text, 20, '0')
           OPERATOR(pg_catalog.||) '-'
           OPERATOR(pg_catalog.||) pg_catalog.substr(pg_catalog.md5(stream_id::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) hash_slot::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) pg_catalog.clock_timestamp()::text OPERATOR(pg_catalog.||) '/'
                OPERATOR(pg_catalog.||) pg_catalog.random()::text), 1, 8)
$$;

-- Close the current shards of a stream (all, or those older than
-- older_than) at the log's present position; when reopen, each gets a
-- child (ParentShardId) that takes over its slot.  Returns the number of
-- shards closed.  Callers hold the pump lock (_pump_lock).
CREATE FUNCTION @extschema@._close_shards(stream_id bigint, reopen boolean,
                                          older_than timestamptz DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    sh @extschema@._shards;
    start_seq text;
    n integer := 0;
BEGIN
    SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_id OPERATOR(pg_catalog.=) _close_shards.stream_id;
    start_seq := @extschema@._seq_at_lsn(@extschema@._pump_position());
    FOR sh IN SELECT * FROM @extschema@._shards s
               WHERE s.stream_id OPERATOR(pg_catalog.=) _close_shards.stream_id AND s.current
                 AND s.ending_seq IS NULL
                 AND (older_than IS NULL OR s.created_at OPERATOR(pg_catalog.<=) older_than)
               ORDER BY s.hash_slot FOR UPDATE LOOP
        UPDATE @extschema@._shards s
           SET ending_seq = GREATEST(s.starting_seq,
                   (SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                     WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no)),
               closed_at = pg_catalog.now(),
               current = NOT reopen
         WHERE s.shard_no OPERATOR(pg_catalog.=) sh.shard_no;
        IF reopen THEN
            INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, parent_shard_id, starting_seq)
            VALUES (sh.stream_id, @extschema@._new_shard_id(sh.stream_id, sh.hash_slot), sh.hash_slot,
                    sh.slot_count, sh.shard_id, GREATEST(start_seq, sh.starting_seq));
        END IF;
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN n;
END
$$;

-- The position the log has reached: every transaction that committed
-- before it is in the log, or was skipped as having no record.
CREATE FUNCTION @extschema@._pump_position() RETURNS pg_catalog.pg_lsn
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT GREATEST(
        (SELECT p.pumped_through FROM @extschema@._pump p),
        @extschema@._lsn_next(pg_catalog.pg_replication_origin_progress(@extschema@._pump_origin_name(), true)),
        (SELECT r.confirmed_flush_lsn FROM pg_catalog.pg_replication_slots r
          WHERE r.slot_name OPERATOR(pg_catalog.=) @extschema@._pump_slot_name()),
        '0/0'::pg_catalog.pg_lsn)
$$;

-- Serialise the pump, rollovers and trims of this database (transaction lock).
CREATE FUNCTION @extschema@._pump_lock() RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(7239939240701681457)
$$;

-- Shard upkeep before a pump step: every enabled stream has shard_count
-- current open shards; shards older than the rollover interval (setting
-- dynamo_streams.shard_rollover_interval) roll over; the shards of a
-- disabled stream close once the log has passed its disabling.
CREATE FUNCTION @extschema@._maintain_shards() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    pos pg_catalog.pg_lsn := @extschema@._pump_position();
    start_seq text;
    rollover interval := NULLIF(pg_catalog.current_setting('dynamo_streams.shard_rollover_interval', true)::interval,
                                interval '0');
    ok integer;
BEGIN
    start_seq := @extschema@._seq_at_lsn(pos);
    FOR st IN SELECT * FROM @extschema@._streams s ORDER BY s.stream_id LOOP
        IF st.stream_status OPERATOR(pg_catalog.=) 'DISABLED' THEN
            -- (once its last records are in: sql/install/84_stream_disable.sql)
            IF @extschema@._stream_drained(st, pos) THEN
                ok := @extschema@._close_shards(st.stream_id, false);
            END IF;
            CONTINUE;
        END IF;
        -- a changed shard_count: roll every shard over into the new count
        -- (the current shards of a stream always share one slot_count)
        IF EXISTS (SELECT FROM @extschema@._shards s
                    WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current
                      AND s.slot_count OPERATOR(pg_catalog.<>) st.shard_count) THEN
            ok := @extschema@._close_shards(st.stream_id, false);
            UPDATE @extschema@._shards s SET current = false
             WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current;
        ELSIF rollover IS NOT NULL THEN
            ok := @extschema@._close_shards(st.stream_id, true, pg_catalog.now() OPERATOR(pg_catalog.-) rollover);
        END IF;
        INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, parent_shard_id, starting_seq)
        SELECT st.stream_id, @extschema@._new_shard_id(st.stream_id, g), g, st.shard_count,
               (SELECT p.shard_id FROM @extschema@._shards p
                 WHERE p.stream_id OPERATOR(pg_catalog.=) st.stream_id AND p.hash_slot OPERATOR(pg_catalog.=) g
                   AND p.slot_count OPERATOR(pg_catalog.<>) st.shard_count
                 ORDER BY p.shard_no DESC LIMIT 1),
               start_seq
          FROM pg_catalog.generate_series(0, st.shard_count OPERATOR(pg_catalog.-) 1) g
         WHERE NOT EXISTS (SELECT FROM @extschema@._shards s
                            WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id AND s.current
                              AND s.hash_slot OPERATOR(pg_catalog.=) g);
    END LOOP;
END
$$;

-- The partition of _records for the day of at (UTC), created if missing.
-- Created on its own and then attached: ATTACH PARTITION takes only a
-- SHARE UPDATE EXCLUSIVE lock on _records, so readers and writers go on.
CREATE FUNCTION @extschema@._records_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    day date := (at AT TIME ZONE 'UTC')::date;
    name text := '_records_' OPERATOR(pg_catalog.||) pg_catalog.to_char(day, 'YYYYMMDD');
    lo timestamptz := pg_catalog.timezone('UTC', day::timestamp);
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') OPERATOR(pg_catalog.||) '.'
                              OPERATOR(pg_catalog.||) name) IS NULL THEN
        EXECUTE pg_catalog.format('CREATE TABLE @extschema@.%I (LIKE @extschema@._records INCLUDING DEFAULTS)', name);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CHECK (arrived_at >= %L AND arrived_at < %L)',
                                  name, lo, lo OPERATOR(pg_catalog.+) interval '1 day');
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (shard_no, sequence_number)',
                                  name OPERATOR(pg_catalog.||) '_shard_no_sequence_number_idx', name);
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (stream_id, created_at)',
                                  name OPERATOR(pg_catalog.||) '_stream_id_created_at_idx', name);
        EXECUTE pg_catalog.format('CREATE INDEX %I ON @extschema@.%I (key_hash, stream_id)',
                                  name OPERATOR(pg_catalog.||) '_key_hash_stream_id_idx', name);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@._records ATTACH PARTITION @extschema@.%I FOR VALUES FROM (%L) TO (%L)',
                                  name, lo, lo OPERATOR(pg_catalog.+) interval '1 day');
    END IF;
    RETURN name;
END
$$;

-- Create the pump's slot (and replication origin) if missing.  A logical
-- slot cannot be created in a transaction that has written, hence not in
-- CREATE EXTENSION: the first dynamo.pump() or dynamo.start() makes it.
-- Returns the slot's name.
CREATE FUNCTION @extschema@._pump_ensure_slot() RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
    mine boolean := (SELECT p.slot_created_lsn IS NOT NULL FROM @extschema@._pump p);
    stale boolean := false;
BEGIN
    IF NOT mine AND EXISTS (SELECT FROM pg_catalog.pg_replication_slots r
                             WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        -- DROP EXTENSION keeps slots and origins: this one was made by an
        -- earlier install, its WAL and progress are of tables gone since
        -- (decoding them fails), and nothing of this install is in it
        -- (the origin after the new slot: dropping it writes, and a
        -- logical slot cannot be made in a transaction that has written)
        PERFORM pg_catalog.pg_drop_replication_slot(slot);
        stale := true;
        RAISE NOTICE 'dropped the replication slot % left by an earlier install of dynamo_streams', slot;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        IF pg_catalog.txid_current_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'the pump''s replication slot does not exist'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'A logical slot cannot be created in a transaction that has written: call dynamo.pump() or dynamo.start() first in a transaction of its own.';
        END IF;
        PERFORM pg_catalog.pg_create_logical_replication_slot(slot, 'dynamo_streams');
        UPDATE @extschema@._pump p SET slot_created_lsn = r.confirmed_flush_lsn
          FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
    END IF;
    IF stale AND EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_drop(origin);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_create(origin);
    END IF;
    RETURN slot;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_ensure_slot() FROM PUBLIC;

-- Drop the pump's slot and origin (dynamo.stop(drop_slot => true)).  The
-- log stays; a later pump starts again from the present WAL position,
-- without the changes made while there was no slot.
CREATE FUNCTION @extschema@._pump_drop_slot() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    slot text := @extschema@._pump_slot_name();
    origin text := @extschema@._pump_origin_name();
    found_one boolean := false;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_replication_slots r WHERE r.slot_name OPERATOR(pg_catalog.=) slot) THEN
        PERFORM pg_catalog.pg_drop_replication_slot(slot);
        found_one := true;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_replication_origin o WHERE o.roname OPERATOR(pg_catalog.=) origin) THEN
        PERFORM pg_catalog.pg_replication_origin_drop(origin);
    END IF;
    UPDATE @extschema@._pump SET pumped_through = NULL;
    RETURN found_one;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_drop_slot() FROM PUBLIC;

-- The start of a pump step (src/pump.c; the step runs in the caller's
-- transaction, with the pump's replication origin set up for the session):
-- the pump lock, shard upkeep, the day's partition of _records.  Returns the
-- progress (transactions that committed at or below it are skipped when
-- decoded again), the partition and the slot.  The pump then moves the
-- slot just past the progress, decodes it in its own process and writes the
-- records (src/pump_decode.c).
CREATE FUNCTION @extschema@._pump_begin(OUT done pg_catalog.pg_lsn, OUT part pg_catalog.regclass, OUT slot text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    origin text := @extschema@._pump_origin_name();
    confirmed pg_catalog.pg_lsn;
BEGIN
    slot := @extschema@._pump_slot_name();
    PERFORM @extschema@._pump_lock();
    done := COALESCE(pg_catalog.pg_replication_origin_progress(origin, true), '0/0');
    SELECT r.confirmed_flush_lsn INTO confirmed FROM pg_catalog.pg_replication_slots r
     WHERE r.slot_name OPERATOR(pg_catalog.=) slot;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the pump''s replication slot does not exist'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'dynamo.pump() and dynamo.start() create it.';
    END IF;
    PERFORM @extschema@._maintain_shards();
    part := pg_catalog.format('@extschema@.%I', @extschema@._records_partition(pg_catalog.now()))::pg_catalog.regclass;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_begin() FROM PUBLIC;

-- The end of a pump step, after its records are written: the no-op counts
-- (per stream and hour of commit), the progress (last_lsn, the commit LSN
-- of the last transaction taken) committing with them through the origin,
-- closed shards that got late records, the pump's row; when caught up, the
-- shards of disabled streams closed.
CREATE FUNCTION @extschema@._pump_end(pumped bigint, last_lsn pg_catalog.pg_lsn, more boolean,
                                      upto pg_catalog.pg_lsn, taken boolean, noop_streams bigint[],
                                      noop_buckets timestamptz[], noop_counts bigint[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF taken THEN
        -- progress commits with the records (the session has the origin)
        PERFORM pg_catalog.pg_replication_origin_xact_setup(last_lsn, pg_catalog.now());
    END IF;
    IF pg_catalog.cardinality(noop_streams) OPERATOR(pg_catalog.>) 0 THEN
        INSERT INTO @extschema@._noop_counts AS n (stream_id, bucket, suppressed)
        SELECT u.s, u.b, u.c
          FROM ROWS FROM (pg_catalog.unnest(noop_streams), pg_catalog.unnest(noop_buckets),
                          pg_catalog.unnest(noop_counts)) u(s, b, c)
            ON CONFLICT (stream_id, bucket) DO UPDATE
           SET suppressed = n.suppressed OPERATOR(pg_catalog.+) excluded.suppressed;
    END IF;
    IF pumped OPERATOR(pg_catalog.>) 0 THEN
        -- a closed shard that got late records (a transaction that
        -- committed after its stream was disabled) ends at the last of them
        UPDATE @extschema@._shards sh
           SET ending_seq = (SELECT pg_catalog.max(r.sequence_number) FROM @extschema@._records r
                              WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no)
         WHERE sh.current AND sh.ending_seq IS NOT NULL
           AND EXISTS (SELECT FROM @extschema@._records r
                        WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no
                          AND r.sequence_number OPERATOR(pg_catalog.>) sh.ending_seq);
    END IF;
    UPDATE @extschema@._pump p
       SET pumped_through = CASE WHEN more THEN GREATEST(p.pumped_through, @extschema@._lsn_next(last_lsn))
                                 ELSE GREATEST(p.pumped_through, upto) END,
           last_step_at = pg_catalog.now(),
           records = p.records OPERATOR(pg_catalog.+) pumped;
    IF NOT more THEN
        -- caught up: close the shards of streams disabled before upto now
        PERFORM @extschema@._maintain_shards();
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._pump_end(bigint, pg_catalog.pg_lsn, boolean, pg_catalog.pg_lsn, boolean,
                                             bigint[], timestamptz[], bigint[]) FROM PUBLIC;

-- dynamo.pump(max_changes): one synchronous pump step (docs/functions/pump.md).
CREATE FUNCTION @extschema@.pump(max_changes bigint DEFAULT NULL) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sql_pump';
REVOKE ALL ON FUNCTION @extschema@.pump(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.pump(bigint) IS
    'one synchronous step of the stream log pump: returns the records written';
CREATE OR REPLACE FUNCTION @extschema@._tables_streams() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' AND OLD.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NOT NEW.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        UPDATE @extschema@._streams s
           SET stream_status = 'DISABLED', disabled_at = pg_catalog.now(),
               disabled_lsn = pg_catalog.pg_current_wal_insert_lsn()
         WHERE s.stream_arn OPERATOR(pg_catalog.=) OLD.stream_arn
           AND s.stream_status OPERATOR(pg_catalog.<>) 'DISABLED';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' AND NEW.stream_enabled
       AND (TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR NOT OLD.stream_enabled
            OR NEW.stream_arn IS DISTINCT FROM OLD.stream_arn) THEN
        -- (a catalog table takes no ON CONFLICT; a restored dump has the row)
        INSERT INTO @extschema@._streams
               (stream_arn, table_name, relid, table_id, stream_label, stream_view_type, created_at)
        SELECT NEW.stream_arn, NEW.table_name, NEW.relid::pg_catalog.oid, NEW.table_id,
               NEW.stream_label, NEW.stream_view_type,
               @extschema@._stream_label_time(NEW.stream_label)
         WHERE NOT EXISTS (SELECT FROM @extschema@._streams s
                            WHERE s.stream_arn OPERATOR(pg_catalog.=) NEW.stream_arn);
        -- its first shards (the stream log), open from here on
        INSERT INTO @extschema@._shards (stream_id, shard_id, hash_slot, slot_count, starting_seq)
        SELECT s.stream_id, @extschema@._new_shard_id(s.stream_id, g), g, s.shard_count,
               @extschema@._seq_at_lsn(pg_catalog.pg_current_wal_insert_lsn())
          FROM @extschema@._streams s,
               pg_catalog.generate_series(0, s.shard_count OPERATOR(pg_catalog.-) 1) g
         WHERE s.stream_arn OPERATOR(pg_catalog.=) NEW.stream_arn
           AND s.stream_status OPERATOR(pg_catalog.<>) 'DISABLED'
           AND NOT EXISTS (SELECT FROM @extschema@._shards x WHERE x.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    END IF;
    RETURN NULL;
END
$$;

-- The change history: every record of the log that is not trimmed, with
-- typed columns (docs/stream-log.md, "The history view").  Stable: columns
-- are only ever added at the end.
CREATE VIEW @extschema@.stream_records AS
SELECT s.stream_arn, s.table_name, sh.shard_id, r.sequence_number, r.event_name,
       r.keys::jsonb AS keys, r.new_image::jsonb AS new_image, r.old_image::jsonb AS old_image,
       r.created_at, r.size_bytes, r.commit_lsn, s.stream_view_type, r.ttl, r.arrived_at,
       r.stream_id, r.shard_no, r.key_hash
  FROM @extschema@._records r
  JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
  JOIN @extschema@._streams s ON s.stream_id OPERATOR(pg_catalog.=) r.stream_id
 WHERE sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq;
COMMENT ON VIEW @extschema@.stream_records IS
    'the stream log as rows: every record not yet trimmed, with typed columns';

-- Raise TrimmedDataAccessException when sequence_number of shard shard_no
-- is below the shard's trim horizon (no longer readable).  Returns true.
-- The Streams API (get_shard_iterator, get_records) calls it.
CREATE FUNCTION @extschema@._check_not_trimmed(shard_no bigint, sequence_number text)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sh @extschema@._shards;
    st @extschema@._streams;
    ok boolean;
BEGIN
    SELECT * INTO sh FROM @extschema@._shards s WHERE s.shard_no OPERATOR(pg_catalog.=) _check_not_trimmed.shard_no;
    IF sh.trimmed_seq IS NOT NULL AND sequence_number COLLATE "C" OPERATOR(pg_catalog.<=) sh.trimmed_seq THEN
        SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_id OPERATOR(pg_catalog.=) sh.stream_id;
        ok := @extschema@._raise('TrimmedDataAccessException',
            'The data you are trying to access has been trimmed',
            'Sequence number ' OPERATOR(pg_catalog.||) sequence_number
            OPERATOR(pg_catalog.||) ' of shard ' OPERATOR(pg_catalog.||) sh.shard_id
            OPERATOR(pg_catalog.||) ' in stream ' OPERATOR(pg_catalog.||) st.stream_arn
            OPERATOR(pg_catalog.||) ' is at or below the trim horizon ' OPERATOR(pg_catalog.||) sh.trimmed_seq
            OPERATOR(pg_catalog.||) '.');
    END IF;
    RETURN true;
END
$$;

-- The key hash of a normalised item's Keys, as the plugin computes it.
CREATE FUNCTION @extschema@._key_hash(item jsonb, hash_key text, range_key text) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_key_hash';

-- The stream of an ARN, or ResourceNotFoundException.
CREATE FUNCTION @extschema@._stream_by_arn(stream_arn text) RETURNS @extschema@._streams
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams;
    ok boolean;
BEGIN
    SELECT * INTO st FROM @extschema@._streams s WHERE s.stream_arn OPERATOR(pg_catalog.=) _stream_by_arn.stream_arn;
    IF NOT FOUND THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Stream: ' OPERATOR(pg_catalog.||) COALESCE(stream_arn, '')
            OPERATOR(pg_catalog.||) ' not found');
    END IF;
    RETURN st;
END
$$;

-- The shards of a stream with their lineage, oldest first (trimmed
-- shards are gone).  Access as DescribeStream (docs/security.md): SELECT
-- on the stream's table.  docs/functions/list_shards.md
CREATE FUNCTION @extschema@.list_shards(stream_arn text)
RETURNS TABLE (shard_id text, parent_shard_id text, starting_sequence_number text,
               ending_sequence_number text, hash_slot integer, slot_count integer,
               created_at timestamptz, closed_at timestamptz, trim_horizon text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean := @extschema@._stream_require_read(st, 'DescribeStream');
BEGIN
    RETURN QUERY
    SELECT sh.shard_id, sh.parent_shard_id, sh.starting_seq::text, sh.ending_seq::text, sh.hash_slot,
           sh.slot_count, sh.created_at, sh.closed_at, sh.trimmed_seq::text
      FROM @extschema@._shards sh
     WHERE sh.stream_id OPERATOR(pg_catalog.=) st.stream_id
     ORDER BY sh.shard_no;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.list_shards(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.list_shards(text) IS
    'the shards of a stream, with ParentShardId and sequence number range, oldest first';

-- Roll a stream's open shards over now: each is closed (EndingSequenceNumber)
-- and replaced by a child.  Returns the number of shards rolled over.
-- docs/functions/rollover_shards.md
CREATE FUNCTION @extschema@.rollover_shards(stream_arn text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean;
BEGIN
    IF st.stream_status OPERATOR(pg_catalog.=) 'DISABLED' THEN
        ok := @extschema@._raise('ValidationException',
            'The stream is disabled: its shards are closed', st.stream_arn);
    END IF;
    PERFORM @extschema@._pump_lock();
    RETURN @extschema@._close_shards(st.stream_id, true);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.rollover_shards(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.rollover_shards(text) IS
    'close the open shards of a stream now and open a child shard for each';

-- The open shard of the table's current stream that an item (or row)
-- with this key goes to now.  table_name: an item table, or a
-- stream-enabled ordinary table (its TableName, the relation's name); key:
-- the Keys as AttributeValue JSON (for an ordinary table its primary key
-- columns, as its records carry them).  Access as DescribeStream: SELECT
-- on the table.  docs/functions/shard_for.md
CREATE FUNCTION @extschema@.shard_for(table_name text, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t @extschema@._tables;
    who name := @extschema@._stream_caller();
    cols text[];
    item jsonb;
    h bigint;
    ok boolean;
    result text;
BEGIN
    SELECT * INTO t FROM @extschema@._tables x WHERE x.table_name OPERATOR(pg_catalog.=) shard_for.table_name;
    IF NOT FOUND OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid) THEN
        ok := @extschema@._raise('ResourceNotFoundException',
            'Requested resource not found: Table: ' OPERATOR(pg_catalog.||) COALESCE(table_name, '') OPERATOR(pg_catalog.||) ' not found');
    END IF;
    IF NOT pg_catalog.has_table_privilege(who, t.relid::pg_catalog.oid, 'SELECT') THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: dynamodb:DescribeStream on resource: %s',
                              who, @extschema@._table_arn(t.table_name)),
            pg_catalog.format('shard_for needs the SELECT privilege on the table %s.', t.relid),
            'The table''s owner can grant it; see docs/security.md.');
    END IF;
    IF NOT t.stream_enabled THEN
        ok := @extschema@._raise('ValidationException',
            'Table ' OPERATOR(pg_catalog.||) table_name OPERATOR(pg_catalog.||) ' has no stream enabled');
    END IF;
    item := @extschema@.validate_item(key);
    IF t.kind OPERATOR(pg_catalog.=) 'item' THEN
        h := @extschema@._key_hash(item, t.hash_key, t.range_key);
        IF h IS NULL OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key))
                        OPERATOR(pg_catalog.<>) (CASE WHEN t.range_key IS NULL THEN 1 ELSE 2 END)
           OR NOT ((key OPERATOR(pg_catalog.->) t.hash_key) OPERATOR(pg_catalog.?) t.hash_key_type::text)
           OR NOT (t.range_key IS NULL
                   OR (key OPERATOR(pg_catalog.->) t.range_key) OPERATOR(pg_catalog.?) t.range_key_type::text) THEN
            ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema');
        END IF;
    ELSE
        -- the primary key columns in column order, as the plugin writes Keys
        SELECT COALESCE(pg_catalog.array_agg(a.attname::text ORDER BY a.attnum), '{}') INTO cols
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                                        AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[])
         WHERE i.indrelid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid AND i.indisprimary;
        h := @extschema@._key_hash_columns(item, cols);
        IF h IS NULL OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(key))
                        OPERATOR(pg_catalog.<>) pg_catalog.cardinality(cols) THEN
            ok := @extschema@._raise('ValidationException', 'The provided key element does not match the schema',
                'The key of ' OPERATOR(pg_catalog.||) t.relid::text OPERATOR(pg_catalog.||) ' is its primary key columns: '
                OPERATOR(pg_catalog.||) pg_catalog.array_to_string(cols, ', ') OPERATOR(pg_catalog.||) '.');
        END IF;
    END IF;
    SELECT sh.shard_id INTO result
      FROM @extschema@._streams s
      JOIN @extschema@._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id AND sh.current
     WHERE s.stream_arn OPERATOR(pg_catalog.=) t.stream_arn AND sh.ending_seq IS NULL
       AND sh.hash_slot OPERATOR(pg_catalog.=) @extschema@._hash_slot(h, sh.slot_count);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.shard_for(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.shard_for(text, jsonb) IS
    'the open shard of the table''s stream that a key maps to now';

-- The key hash of the Keys made of the attributes named by columns, in
-- that order (an ordinary table's primary key), as the plugin computes it;
-- NULL when one is missing.
CREATE FUNCTION @extschema@._key_hash_columns(item jsonb, columns text[]) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'dynamo_sql_key_hash_columns';

-- Retention (docs/stream-log.md#retention): move every shard's trim
-- horizon past the records older than its stream's retention (by the time
-- the pump wrote them), forget shards and disabled streams trimmed
-- entirely, and drop whole days of _records that no stream keeps.  Never
-- waits: a partition is dropped only if its lock is free at once (else the
-- next trim drops it), and trims do not queue behind each other.  Returns
-- the number of records newly trimmed.  Run it in a transaction of its own.
-- docs/functions/trim.md
CREATE FUNCTION @extschema@.trim() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    trimmed bigint := 0;
    keep interval;
    part record;
    hi timestamptz;
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(7239939240701681458) THEN
        RETURN 0;
    END IF;
    -- horizons: the newest record of each shard that is past retention
    WITH h AS (
        SELECT r.shard_no, pg_catalog.max(r.sequence_number) seq, pg_catalog.count(*) n
          FROM @extschema@._records r
          JOIN @extschema@._shards sh ON sh.shard_no OPERATOR(pg_catalog.=) r.shard_no
          JOIN @extschema@._streams s ON s.stream_id OPERATOR(pg_catalog.=) sh.stream_id
         WHERE s.retention IS NOT NULL
           AND r.arrived_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
           AND (sh.trimmed_seq IS NULL OR r.sequence_number OPERATOR(pg_catalog.>) sh.trimmed_seq)
         GROUP BY r.shard_no),
    u AS (
        UPDATE @extschema@._shards sh SET trimmed_seq = h.seq
          FROM h WHERE sh.shard_no OPERATOR(pg_catalog.=) h.shard_no
        RETURNING h.n)
    SELECT COALESCE(pg_catalog.sum(u.n), 0) INTO trimmed FROM u;
    -- closed shards past retention with nothing left: gone (DescribeStream
    -- no longer lists them)
    DELETE FROM @extschema@._shards sh
     USING @extschema@._streams s
     WHERE s.stream_id OPERATOR(pg_catalog.=) sh.stream_id AND s.retention IS NOT NULL
       AND sh.closed_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
       AND NOT EXISTS (SELECT FROM @extschema@._records r
                        WHERE r.shard_no OPERATOR(pg_catalog.=) sh.shard_no
                          AND r.sequence_number OPERATOR(pg_catalog.>) COALESCE(sh.trimmed_seq, ''));
    -- disabled streams past retention with no shard left: gone
    DELETE FROM @extschema@._streams s
     WHERE s.stream_status OPERATOR(pg_catalog.=) 'DISABLED' AND s.retention IS NOT NULL
       AND s.disabled_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) s.retention)
       AND NOT EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    -- whole days older than every stream's retention (none while a stream
    -- with records keeps them for ever)
    IF EXISTS (SELECT FROM @extschema@._streams s WHERE s.retention IS NULL
                 AND EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id)) THEN
        RETURN trimmed;
    END IF;
    SELECT COALESCE(pg_catalog.max(s.retention), interval '0') INTO keep FROM @extschema@._streams s
     WHERE EXISTS (SELECT FROM @extschema@._shards sh WHERE sh.stream_id OPERATOR(pg_catalog.=) s.stream_id);
    FOR part IN SELECT c.relname FROM pg_catalog.pg_inherits i
                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
                 WHERE i.inhparent OPERATOR(pg_catalog.=) '@extschema@._records'::pg_catalog.regclass
                   AND c.relname OPERATOR(pg_catalog.~) '^_records_[0-9]{8}$'
                 ORDER BY c.relname LOOP
        hi := pg_catalog.timezone('UTC', pg_catalog.to_date(pg_catalog.substr(part.relname, 10), 'YYYYMMDD')::timestamp)
              OPERATOR(pg_catalog.+) interval '1 day';
        EXIT WHEN hi OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) keep);
        BEGIN
            LOCK TABLE @extschema@._records IN ACCESS EXCLUSIVE MODE NOWAIT;
            EXECUTE pg_catalog.format('DROP TABLE @extschema@.%I', part.relname);
        EXCEPTION WHEN lock_not_available THEN
            EXIT;
        END;
    END LOOP;
    RETURN trimmed;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.trim() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.trim() IS
    'apply every stream''s retention to the stream log: returns the records trimmed';

-- Set how long a stream's records are kept (NULL: for ever).
-- docs/functions/set_stream_retention.md
CREATE FUNCTION @extschema@.set_stream_retention(stream_arn text, retention interval) RETURNS interval
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st @extschema@._streams := @extschema@._stream_by_arn(stream_arn);
    ok boolean;
BEGIN
    IF retention IS NOT NULL AND retention OPERATOR(pg_catalog.<=) interval '0' THEN
        ok := @extschema@._invalid_parameter(retention::text, 'retention',
            'Member must be a positive interval, or NULL to keep records for ever');
    END IF;
    UPDATE @extschema@._streams s SET retention = set_stream_retention.retention
     WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
    RETURN retention;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.set_stream_retention(text, interval) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_stream_retention(text, interval) IS
    'set how long the stream log keeps a stream''s records (NULL: for ever)';
