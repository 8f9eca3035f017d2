-- dynamo_streams install script, part 84: a disabled stream's shards close
-- only once its last records are in the log.
--
-- The plugin reads the catalog as of each change, so a transaction that
-- wrote to a table before its stream was disabled, and commits after,
-- still has records in that stream (with commit LSNs after the
-- disabling).  They belong to the stream's last shards, so those shards
-- are closed only when every transaction that was running when the
-- disabling committed has ended and the pump has passed their commits:
-- the pump first notes the xid horizon (disabled_xmax: every transaction
-- that wrote before the disabling committed has an xid below it), then,
-- once no other transaction below it is running, moves disabled_lsn to
-- the end of the WAL and closes the shards when it has pumped up to there
-- (in one pump step when none was running).  An
-- EndingSequenceNumber, once set, never moves (docs/stream-log.md,
-- "Shards").

-- the xid horizon of a disabled stream's writers; '0' once they ended
ALTER TABLE @extschema@._streams ADD COLUMN disabled_xmax pg_catalog.xid8;

-- May the pump close the shards of disabled stream st, the log having
-- reached pos?  Moves the stream along the steps above (the caller holds
-- the pump lock).
CREATE FUNCTION @extschema@._stream_drained(st @extschema@._streams, pos pg_catalog.pg_lsn) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    snap pg_catalog.pg_snapshot := pg_catalog.pg_current_snapshot();
    horizon pg_catalog.xid8 := st.disabled_xmax;
BEGIN
    IF st.disabled_lsn IS NULL THEN
        RETURN true;
    END IF;
    IF horizon IS NULL THEN
        -- the disabling has committed (the caller sees it): every
        -- transaction that wrote before it has an xid below the present xmax
        horizon := pg_catalog.pg_snapshot_xmax(snap);
        UPDATE @extschema@._streams s SET disabled_xmax = horizon
         WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
    END IF;
    IF horizon OPERATOR(pg_catalog.<>) '0'::pg_catalog.xid8 THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_snapshot_xip(snap) x
                    WHERE x OPERATOR(pg_catalog.<) horizon
                      AND x IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned()) THEN
            RETURN false;
        END IF;
        -- they have all ended, so their commits lie before the present end
        -- of the WAL: close once the log has reached it
        UPDATE @extschema@._streams s
           SET disabled_lsn = GREATEST(s.disabled_lsn, pg_catalog.pg_current_wal_insert_lsn()), disabled_xmax = '0'
         WHERE s.stream_id OPERATOR(pg_catalog.=) st.stream_id;
        RETURN false;
    END IF;
    RETURN st.disabled_lsn OPERATOR(pg_catalog.<=) pos;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._stream_drained(@extschema@._streams, pg_catalog.pg_lsn) FROM PUBLIC;
