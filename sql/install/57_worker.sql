-- dynamo_streams install script, part 57: the background worker.
--
-- start() launches this database's worker (no shared_preload_libraries
-- needed), stop() ends it, and the view status shows it with the pump's
-- slot (C, src/worker*.c; docs/worker.md).  Only superusers may start or
-- stop it unless granted EXECUTE; a worker runs as the role that started
-- it.

CREATE FUNCTION @extschema@.start()
RETURNS integer LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'dynamo_worker_start';
REVOKE ALL ON FUNCTION @extschema@.start() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.start() IS
    'start the background worker of this database (if not running); returns its pid';

CREATE FUNCTION @extschema@.stop(drop_slot boolean DEFAULT false)
RETURNS boolean LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'dynamo_worker_stop';
REVOKE ALL ON FUNCTION @extschema@.stop(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.stop(boolean) IS
    'stop the background worker of this database; with drop_slot, drop the pump''s slot';

-- One row: the worker of this database (NULL pid when none runs) and the
-- pump's slot.  The worker publishes its status as JSON in its
-- pg_stat_activity.query, which only superusers, members of
-- pg_read_all_stats and the worker's role can read.
CREATE VIEW @extschema@.status AS
SELECT w.pid,
       pg_catalog.current_database() AS database,
       CASE WHEN w.pid IS NULL THEN 'stopped' ELSE COALESCE(w.s OPERATOR(pg_catalog.->>) 'state', 'unknown') END AS state,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'started_at')::pg_catalog.float8) AS started_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'woke_at')::pg_catalog.float8) AS woke_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'pump_at')::pg_catalog.float8) AS last_pump_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'ttl_at')::pg_catalog.float8) AS last_ttl_at,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'trim_at')::pg_catalog.float8) AS last_trim_at,
       (w.s OPERATOR(pg_catalog.->>) 'ttl_total')::pg_catalog.int8 AS ttl_deleted,
       w.s OPERATOR(pg_catalog.->>) 'error_job' AS last_error_job,
       pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'error_at')::pg_catalog.float8) AS last_error_at,
       w.s OPERATOR(pg_catalog.->>) 'error' AS last_error,
       c.slot_name,
       r.confirmed_flush_lsn,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.confirmed_flush_lsn) AS lag_bytes,
       pg_catalog.now() OPERATOR(pg_catalog.-)
           pg_catalog.to_timestamp((w.s OPERATOR(pg_catalog.->>) 'caught_up_at')::pg_catalog.float8) AS lag_time,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.restart_lsn) AS retained_wal_bytes
  FROM (SELECT ('dynamo_pump_' OPERATOR(pg_catalog.||) d.oid)::pg_catalog.name AS slot_name
          FROM pg_catalog.pg_database d
         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) c
  LEFT JOIN (SELECT a.pid,
                    CASE WHEN a.query OPERATOR(pg_catalog.~) '^\{.*\}$' THEN a.query::pg_catalog.jsonb END AS s
               FROM pg_catalog.pg_stat_activity a
              WHERE a.backend_type OPERATOR(pg_catalog.=) 'dynamo_streams worker'
                AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
              ORDER BY a.backend_start LIMIT 1) w ON true
  LEFT JOIN pg_catalog.pg_replication_slots r ON r.slot_name OPERATOR(pg_catalog.=) c.slot_name;
GRANT SELECT ON @extschema@.status TO PUBLIC;
COMMENT ON VIEW @extschema@.status IS
    'the background worker of this database and the pump''s slot: lag and retained WAL';
