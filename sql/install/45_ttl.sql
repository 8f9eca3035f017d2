-- dynamo_streams install script, part 45: time to live (TTL).
--
-- update_time_to_live and describe_time_to_live keep a table's TTL setting
-- in dynamo._tables (ttl_attribute, ttl_enabled, ttl_updated_at);
-- sweep_ttl deletes expired items in short transactions of their own,
-- marked as TTL deletes in stream records (C, src/ttl.c).  See
-- docs/functions/update_time_to_live.md, describe_time_to_live.md and
-- sweep_ttl.md.

-- The number an item holds in its top-level N attribute attribute, or
-- NULL (missing, another type).  Never fails: TTL indexes are built on it.
CREATE FUNCTION @extschema@._ttl_epoch(item jsonb, attribute text)
RETURNS numeric LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'dynamo_ttl_epoch';

-- The TTL index of an item table: a partial expression index on
-- _ttl_epoch(item, <TTL attribute>), so that a sweep finds expired items
-- without reading the table.  Its name starts with "_", as the names of
-- every object of dynamo_streams in the schema do, so it never takes a
-- TableName.  Created by update_time_to_live when TTL is enabled, dropped
-- when it is disabled (and with the table).
CREATE FUNCTION @extschema@._ttl_index(t @extschema@._tables, enabled boolean)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid)) IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP INDEX @extschema@.%I', '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid);
    END IF;
    IF enabled THEN
        EXECUTE pg_catalog.format('CREATE INDEX %I ON %s (@extschema@._ttl_epoch(item, %L)) WHERE @extschema@._ttl_epoch(item, %L) IS NOT NULL',
                                  '_ttl_' OPERATOR(pg_catalog.||) t.relid::pg_catalog.oid, t.relid,
                                  t.ttl_attribute, t.ttl_attribute);
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION @extschema@.update_time_to_live(table_name text, attribute_name text, enabled boolean)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    t @extschema@._tables;
    waited boolean;
BEGIN
    IF attribute_name IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'timeToLiveSpecification.attributeName', 'Member must not be null');
    ELSIF pg_catalog.length(attribute_name) OPERATOR(pg_catalog.<) 1 THEN
        ok := @extschema@._invalid_parameter(attribute_name, 'timeToLiveSpecification.attributeName',
                                             'Member must have length greater than or equal to 1');
    ELSIF pg_catalog.length(attribute_name) OPERATOR(pg_catalog.>) 255 THEN
        ok := @extschema@._invalid_parameter(attribute_name, 'timeToLiveSpecification.attributeName',
                                             'Member must have length less than or equal to 255');
    END IF;
    IF enabled IS NULL THEN
        ok := @extschema@._invalid_parameter(NULL, 'timeToLiveSpecification.enabled', 'Member must not be null');
    END IF;
    t := @extschema@._require_access(@extschema@._item_table(table_name), 'UpdateTimeToLive', '{OWNER,catalog UPDATE}');
    waited := @extschema@._lock_table_name(table_name);
    t := @extschema@._item_table(table_name, true);
    -- DynamoDB checks the state first, then how recent the last change is
    -- (test/alternator/test_ttl.py of ScyllaDB, run against DynamoDB).
    IF enabled AND t.ttl_enabled AND t.ttl_attribute OPERATOR(pg_catalog.=) attribute_name THEN
        ok := @extschema@._raise('ValidationException', 'TimeToLive is already enabled');
    ELSIF t.ttl_enabled AND t.ttl_attribute OPERATOR(pg_catalog.<>) attribute_name THEN
        ok := @extschema@._raise('ValidationException',
            'TimeToLive is active on a different AttributeName: current value of AttributeName is '
            OPERATOR(pg_catalog.||) t.ttl_attribute);
    ELSIF NOT enabled AND NOT t.ttl_enabled THEN
        ok := @extschema@._raise('ValidationException', 'TimeToLive is already disabled');
    ELSIF t.ttl_updated_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-)
              pg_catalog.current_setting('dynamo_streams.ttl_update_interval')::pg_catalog.interval) THEN
        ok := @extschema@._raise('ValidationException',
            'Time to live has been modified multiple times within a fixed interval',
            pg_catalog.format('The TTL setting of table %s was changed less than dynamo_streams.ttl_update_interval (%s) ago.',
                              table_name, pg_catalog.current_setting('dynamo_streams.ttl_update_interval')),
            'DynamoDB allows one change of a table''s TTL setting per hour; wait, or lower dynamo_streams.ttl_update_interval (superuser).');
    END IF;
    UPDATE @extschema@._tables c
       SET ttl_enabled = enabled,
           ttl_attribute = CASE WHEN enabled THEN attribute_name END,
           ttl_updated_at = pg_catalog.now()
     WHERE c.table_name OPERATOR(pg_catalog.=) t.table_name
    RETURNING * INTO t;
    ok := @extschema@._ttl_index(t, enabled);
    RETURN pg_catalog.jsonb_build_object('TimeToLiveSpecification',
        pg_catalog.jsonb_build_object('AttributeName', attribute_name, 'Enabled', enabled));
END
$$;

CREATE FUNCTION @extschema@.describe_time_to_live(table_name text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('TimeToLiveDescription',
               CASE WHEN t.ttl_enabled
                    THEN pg_catalog.jsonb_build_object('TimeToLiveStatus', 'ENABLED', 'AttributeName', t.ttl_attribute)
                    ELSE '{"TimeToLiveStatus": "DISABLED"}'::jsonb END)
      FROM @extschema@._require_access(@extschema@._item_table(table_name), 'DescribeTimeToLive', '{SELECT}') t
$$;

-- Delete at most max_items expired items of the TTL-enabled tables the
-- caller may SELECT, UPDATE and DELETE, committing every 100; deleted
-- returns how many.  CALL only, outside a transaction block.
CREATE PROCEDURE @extschema@.sweep_ttl(max_items int DEFAULT 100, INOUT deleted bigint DEFAULT NULL)
LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_sweep_ttl';
