-- dynamo_streams install script, part 50: privileges for application roles.
--
-- Item functions and table functions run with the caller's privileges (see
-- docs/security.md).  Every role may look up functions in the schema, so
-- that a role without the privileges a call needs gets AccessDeniedException
-- from the function rather than "permission denied for schema".  Writing the
-- catalog is limited by row security to rows of relations the role owns, so
-- a role given grant_access can create tables and manage its own tables'
-- streams, and nobody else's.

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

ALTER TABLE @extschema@._tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY _tables_read ON @extschema@._tables FOR SELECT USING (true);
CREATE POLICY _tables_own ON @extschema@._tables
    USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid OPERATOR(pg_catalog.=) relid), 'USAGE'));

-- Let role create item tables and manage (update, delete, stream) the ones
-- it owns: CREATE on the schema, INSERT/UPDATE/DELETE on the catalog (row
-- security limits them to its own tables).  Runs with the caller's
-- privileges, so only a role that may grant these (the extension's owner,
-- a superuser) can call it.
CREATE FUNCTION @extschema@.grant_access(role regrole)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF role IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'role must not be null');
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE, CREATE ON SCHEMA @extschema@ TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@._tables TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb), '
        '@extschema@.get_shard_iterator(text, text, text, text, timestamptz), '
        '@extschema@.get_records(text, int), @extschema@.list_shards(text), '
        '@extschema@.shard_for(text, jsonb) TO %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.grant_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.grant_access(regrole) IS
    'let a role create item tables and manage the ones it owns';

-- Undo grant_access (the role keeps the tables it owns and their items).
CREATE FUNCTION @extschema@.revoke_access(role regrole)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF role IS NULL THEN
        ok := @extschema@._raise('ValidationException',
            'role must not be null');
    END IF;
    EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA @extschema@ FROM %s', role);
    EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE ON @extschema@._tables FROM %s', role);
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION @extschema@.describe_stream(text, int, text, jsonb), '
        '@extschema@.get_shard_iterator(text, text, text, text, timestamptz), '
        '@extschema@.get_records(text, int), @extschema@.list_shards(text), '
        '@extschema@.shard_for(text, jsonb) FROM %s', role);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.revoke_access(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_access(regrole) IS
    'undo grant_access';
