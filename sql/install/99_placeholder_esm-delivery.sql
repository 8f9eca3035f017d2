-- PLACEHOLDER (esm-delivery): deleted at merge, replaced by the filters
-- helper's C implementation.  Exact-value patterns only: every key of a
-- pattern must hold, a list of values is an OR, nested objects recurse.
CREATE FUNCTION @extschema@._placeholder_match(pattern jsonb, rec jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    v jsonb;
BEGIN
    FOR k, v IN SELECT * FROM pg_catalog.jsonb_each(pattern) LOOP
        IF pg_catalog.jsonb_typeof(v) = 'object' THEN
            IF NOT COALESCE(@extschema@._placeholder_match(v, rec -> k), false) THEN
                RETURN false;
            END IF;
        ELSIF NOT (v @> pg_catalog.jsonb_build_array(rec -> k)) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
CREATE FUNCTION @extschema@._filter_criteria_match(filter_criteria jsonb, record jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT filter_criteria IS NULL OR EXISTS (
        SELECT FROM pg_catalog.jsonb_array_elements(filter_criteria -> 'Filters') f
         WHERE @extschema@._placeholder_match((f ->> 'Pattern')::jsonb, record))
$$;
