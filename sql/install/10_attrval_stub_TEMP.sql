-- TEMPORARY stand-in until the attrval branch is merged.
CREATE FUNCTION @extschema@.item_size(item jsonb) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
