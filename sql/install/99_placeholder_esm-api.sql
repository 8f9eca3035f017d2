-- PLACEHOLDER (esm-api), deleted by the lead at merge: the filter engine's
-- check until the filters branch lands.  Structure only.
CREATE FUNCTION @extschema@._filter_criteria_check(filter_criteria jsonb)
RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    f jsonb;
    p jsonb;
BEGIN
    FOR f IN SELECT * FROM pg_catalog.jsonb_array_elements(filter_criteria -> 'Filters') LOOP
        BEGIN
            p := (f ->> 'Pattern')::jsonb;
        EXCEPTION WHEN OTHERS THEN
            p := NULL;
        END;
        IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
            ok := @extschema@._raise('InvalidParameterValueException', 'Invalid filter pattern definition.');
        END IF;
    END LOOP;
END
$$;
