-- 120_http_targets: which URLs an event source mapping may push to, and who
-- may set one (docs/http-push.md, docs/security.md).  Only http and https,
-- a host, no user info, a host listed in dynamo_streams.http_allowed_hosts
-- (superuser-only); only superusers and members of dynamo_http_targets
-- create or change a mapping with a function_url; SigV4 credentials are
-- superuser-only and never shown.  Delivery itself is tested over real
-- HTTP in test/e2e/http-*.test.mjs and test/t/120_http_push_restart.pl.
\set VERBOSITY terse
-- an error as "SQLSTATE exception: message"
CREATE FUNCTION ht_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || coalesce(det, '') || ' ' || regexp_replace(msg,
           '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END $$;
GRANT EXECUTE ON FUNCTION ht_err(text) TO PUBLIC;
SELECT dynamo.create_table('HttpOrders', 'id', 'S', NULL, NULL, 'NEW_AND_OLD_IMAGES') IS NOT NULL AS created;
SELECT stream_arn AS arn FROM dynamo._streams WHERE table_name = 'HttpOrders' ORDER BY stream_id DESC LIMIT 1 \gset

-- the target type follows the path: the Lambda Invoke API or a webhook
SET dynamo_streams.http_allowed_hosts = '127.0.0.1, localhost:9000, *.example.com, [::1]';
SELECT u, dynamo._http_target_check(u) FROM (VALUES
  ('http://127.0.0.1:9001/2015-03-31/functions/orders/invocations'),
  ('http://127.0.0.1:9001/2015-03-31/functions/orders/invocations?Qualifier=live'),
  ('http://127.0.0.1/2015-03-31/functions//invocations'),
  ('http://127.0.0.1:9001/hook/orders'),
  ('HTTPS://api.example.com/hook'),
  ('http://localhost:9000/x'),
  ('http://[::1]:8080/2015-03-31/functions/f/invocations')) v(u);

-- refused: other protocols, no host, user info, hosts or ports not listed
SELECT u, ht_err(format('SELECT dynamo._http_target_check(%L)', u)) FROM (VALUES
  ('ftp://127.0.0.1/x'),
  ('file:///etc/passwd'),
  ('gopher://127.0.0.1:70/'),
  ('dict://127.0.0.1:11211/stat'),
  ('http://user:secret@127.0.0.1/x'),
  ('http:///nohost'),
  ('http://10.0.0.1/x'),
  ('http://localhost:9001/x'),
  ('http://example.com/x'),
  ('http://evil-example.com/x'),
  ('http://169.254.169.254/latest/meta-data/'),
  ('not a url')) v(u);
-- an empty list allows nothing; '*' everything
SET dynamo_streams.http_allowed_hosts = '';
SELECT ht_err($$SELECT dynamo._http_target_check('http://127.0.0.1/x')$$);
SET dynamo_streams.http_allowed_hosts = '*';
SELECT dynamo._http_target_check('http://10.1.2.3/x');
RESET dynamo_streams.http_allowed_hosts;
SHOW dynamo_streams.http_allowed_hosts;

-- create_event_source_mapping checks the URL (the guard trigger)
SELECT ht_err(format($$SELECT dynamo.create_event_source_mapping('http-fn', %L, 'LATEST',
  function_url => 'http://192.0.2.1/2015-03-31/functions/http-fn/invocations')$$, :'arn'));
SELECT dynamo.create_event_source_mapping('http-fn', :'arn', 'LATEST',
  function_url => 'http://127.0.0.1:9/2015-03-31/functions/http-fn/invocations') ->> 'UUID' AS fn_uuid \gset
SELECT ht_err(format($$SELECT dynamo.update_event_source_mapping(%L, function_url => 'http://192.0.2.1/hook')$$, :'fn_uuid'));
SELECT dynamo.update_event_source_mapping(:'fn_uuid', function_url => 'http://127.0.0.1:9/hook/http-fn') ->> 'FunctionUrl';
SELECT function_name, function_url, target_type, invokes, consecutive_errors FROM dynamo.http_push_metrics
 WHERE function_name = 'http-fn';
-- the catalog guards direct writes too
SELECT ht_err(format($$UPDATE dynamo._event_source_mappings SET function_url = 'gopher://127.0.0.1/' WHERE uuid = %L$$, :'fn_uuid'));

-- roles: a function_url needs superuser or membership in dynamo_http_targets
CREATE ROLE regress_http_app;
CREATE ROLE regress_http_admin;
GRANT SELECT ON dynamo."HttpOrders" TO regress_http_app, regress_http_admin;
GRANT dynamo_http_targets TO regress_http_admin;
SET ROLE regress_http_app;
SELECT ht_err(format($$SELECT dynamo.create_event_source_mapping('app-fn', %L, 'LATEST',
  function_url => 'http://127.0.0.1:9/hook/app')$$, :'arn'));
-- the same role may still consume by SQL pull
SELECT dynamo.create_event_source_mapping('app-fn', :'arn', 'LATEST') ->> 'UUID' AS app_uuid \gset
SELECT ht_err(format($$SELECT dynamo.update_event_source_mapping(%L, function_url => 'http://127.0.0.1:9/hook/app')$$, :'app_uuid'));
SELECT dynamo.update_event_source_mapping(:'app_uuid', batch_size => 5) ->> 'BatchSize' AS pull_update;
-- settings that decide where requests go are superuser-only
SELECT ht_err($$SET dynamo_streams.http_allowed_hosts = '*'$$);
SELECT ht_err($$SET dynamo_streams.http_verify_tls = off$$);
SELECT ht_err($$SELECT dynamo.update_function_configuration('app-fn', 10)$$);
-- credentials: neither settable nor readable
SELECT ht_err($$SELECT dynamo.set_http_credentials('*', 'AKIDEXAMPLE', 'secret')$$);
SELECT ht_err($$SELECT count(*) FROM dynamo._http_credentials$$);
SELECT count(*) AS push_metrics_visible FROM dynamo.http_push_metrics WHERE function_name LIKE '%-fn';
RESET ROLE;
SET ROLE regress_http_admin;
SELECT dynamo.create_event_source_mapping('admin-fn', :'arn', 'LATEST',
  function_url => 'http://127.0.0.1:9/2015-03-31/functions/admin-fn/invocations') ->> 'State' AS admin_created;
SELECT dynamo.update_function_configuration('admin-fn', 10);
SELECT ht_err($$SELECT dynamo.update_function_configuration('admin-fn', 901)$$);
SELECT ht_err($$SELECT dynamo.update_function_configuration('admin-fn', 0)$$);
-- members of the owner see their own mapping only
SELECT function_name, target_type FROM dynamo.http_push_metrics WHERE function_name LIKE '%-fn';
-- nor write the catalog directly
SELECT ht_err(format($$UPDATE dynamo._event_source_mappings SET function_url = 'http://127.0.0.1:9/x' WHERE uuid = %L$$, :'app_uuid'));
RESET ROLE;
-- a superuser neither: the owner (whom delivery acts for) must have the right
SELECT ht_err(format($$SELECT dynamo.update_event_source_mapping(%L, function_url => 'http://127.0.0.1:9/hook/app')$$, :'app_uuid'));
GRANT dynamo_http_targets TO regress_http_app;
SELECT dynamo.update_event_source_mapping(:'app_uuid', function_url => 'http://127.0.0.1:9/hook/app') ->> 'FunctionUrl' AS granted;
-- state-only changes (delivery's) pass even after the right is revoked
REVOKE dynamo_http_targets FROM regress_http_app;
UPDATE dynamo._event_source_mappings SET last_processing_result = 'OK' WHERE uuid = :'app_uuid';
SELECT ht_err(format($$SELECT dynamo.update_event_source_mapping(%L, batch_size => 6)$$, :'app_uuid'));

-- credentials: superusers only; stored, never shown by a view
SELECT dynamo.set_http_credentials('127.0.0.1', 'AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region => 'us-west-2');
SELECT ht_err($$SELECT dynamo.set_http_credentials('127.0.0.1', 'AKIDEXAMPLE', '')$$);
SELECT host, access_key_id, region FROM dynamo._http_credentials;
SELECT count(*) AS views_mentioning_secrets FROM pg_views
 WHERE schemaname = 'dynamo' AND definition ~ 'secret_access_key|_http_credentials';
SELECT has_table_privilege('public', 'dynamo._http_credentials', 'SELECT') AS public_reads_credentials;
SELECT dynamo.set_http_credentials('127.0.0.1', NULL) AS removed;
SELECT count(*) FROM dynamo._http_credentials;
SELECT * FROM dynamo._function_config ORDER BY 1;

SELECT dynamo.delete_event_source_mapping(m.uuid::text) IS NOT NULL AS deleted
  FROM dynamo._event_source_mappings m WHERE m.function_name IN ('http-fn', 'app-fn', 'admin-fn');
DELETE FROM dynamo._function_config;
SELECT dynamo.delete_table('HttpOrders') IS NOT NULL AS deleted;
DROP OWNED BY regress_http_app, regress_http_admin;
DROP ROLE regress_http_app, regress_http_admin;
DROP FUNCTION ht_err(text);
