-- 085_worker: dynamo.start(), dynamo.stop() and the view dynamo.status
-- (issue 7: a background worker per database, launched without
-- shared_preload_libraries).  start() is idempotent (a second call returns
-- the same pid), stop() when nothing runs is a NOTICE, not an error, and
-- stop() waits until the worker has exited.  Restarts, crashes and the
-- worker's TTL sweeps: test/t/095_worker.pl.
\set VERBOSITY terse
-- wait_for(condition): poll up to 30 s (the worker runs on its own clock;
-- fixed sleeps made this suite flaky on a loaded machine)
CREATE FUNCTION pg_temp.wait_for(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1 .. 600 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXECUTE 'SELECT ' || cond INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END
$$;
-- nothing runs yet: one row, state stopped
SELECT pid, database = current_database() AS this_db, state, slot_name LIKE 'dynamo\_pump\_%' AS slot, lag_bytes, lag_time
  FROM dynamo.status;
SELECT dynamo.stop();
SELECT dynamo.start() AS pid \gset
SELECT :pid > 0 AS started, dynamo.start() = :pid AS same_pid;
-- the worker is a background worker of this database, shown by the view
SELECT backend_type, datname = current_database() AS this_db
  FROM pg_stat_activity WHERE pid = :pid;
SELECT pg_temp.wait_for('(SELECT last_pump_at IS NOT NULL FROM dynamo.status)') AS waited;
SELECT pid = :pid AS same_pid, state IN ('idle', 'pump', 'ttl', 'trim') AS running,
       started_at <= now() AS started_at, last_pump_at IS NOT NULL AS pumped,
       last_error
  FROM dynamo.status;
-- a commit that writes an item table wakes it (woke_at moves)
SELECT dynamo.create_table('Worker085', 'id') IS NOT NULL AS created;
SELECT COALESCE(woke_at, '-infinity') AS woke_before FROM dynamo.status \gset
SELECT dynamo.put_item('Worker085', '{"id": {"S": "a"}}') IS NOT NULL AS put;
SELECT pg_temp.wait_for(format('(SELECT woke_at > %L::timestamptz FROM dynamo.status)', :'woke_before')) AS woken;
-- stop: true, and the worker has exited when it returns (drop_slot: the
-- pump may have made its slot; a slot would keep DROP DATABASE from working)
SET client_min_messages = warning;
SELECT dynamo.stop(drop_slot => true);
RESET client_min_messages;
SELECT count(*) AS left_running FROM pg_stat_activity WHERE pid = :pid;
SELECT pid, state FROM dynamo.status;
SELECT dynamo.stop();
-- drop_slot drops the pump's slot once the worker is gone
SELECT 'dynamo_pump_' || oid AS slot FROM pg_database WHERE datname = current_database() \gset
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = 'dynamo_pump_' || (SELECT oid FROM pg_database WHERE datname = current_database())) THEN
        PERFORM pg_create_logical_replication_slot('dynamo_pump_' || (SELECT oid FROM pg_database WHERE datname = current_database()), 'dynamo_streams');
    END IF;
END
$$;
SELECT slot_name = :'slot' AS pump_slot, lag_bytes >= 0 AS lag_known, retained_wal_bytes >= 0 AS retained_known
  FROM dynamo.status;
SELECT dynamo.stop(drop_slot => true);
SELECT count(*) AS slots FROM pg_replication_slots WHERE slot_name = :'slot';
SELECT dynamo.stop(drop_slot => true);
-- start and stop are for superusers unless granted
CREATE ROLE regress_ds_worker;
SET ROLE regress_ds_worker;
SELECT dynamo.start();
SELECT dynamo.stop();
SELECT count(*) AS visible FROM dynamo.status;
RESET ROLE;
-- a worker runs as the role that started it, which must have LOGIN
GRANT EXECUTE ON FUNCTION dynamo.start(), dynamo.stop(boolean) TO regress_ds_worker;
SET ROLE regress_ds_worker;
SELECT dynamo.start();
RESET ROLE;
ALTER ROLE regress_ds_worker LOGIN;
SET ROLE regress_ds_worker;
SELECT dynamo.start() AS pid \gset
RESET ROLE;
SELECT usename FROM pg_stat_activity WHERE pid = :pid;
SET ROLE regress_ds_worker;
SELECT dynamo.stop();
RESET ROLE;
SET client_min_messages = warning;
SELECT dynamo.stop(drop_slot => true);
RESET client_min_messages;
REVOKE EXECUTE ON FUNCTION dynamo.start(), dynamo.stop(boolean) FROM regress_ds_worker;
DROP ROLE regress_ds_worker;
SELECT dynamo.delete_table('Worker085') IS NOT NULL AS deleted;
