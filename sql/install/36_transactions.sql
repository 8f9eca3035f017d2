-- dynamo_streams install script, part 36: transactions (C, src/transact.c):
-- TransactWriteItems and TransactGetItems.

CREATE FUNCTION @extschema@.transact_write_items(transact_items jsonb,
    client_request_token text DEFAULT NULL)
RETURNS jsonb LANGUAGE c AS 'MODULE_PATHNAME', 'dynamo_transact_write_items';

CREATE FUNCTION @extschema@.transact_get_items(transact_items jsonb)
RETURNS jsonb LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dynamo_transact_get_items';
