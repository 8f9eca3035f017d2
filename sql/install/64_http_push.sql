-- dynamo_streams install script, part 64: push delivery over HTTP.
--
-- An event source mapping with a function_url is pushed to that URL by the
-- delivery worker (C, src/http*.c; docs/http-push.md): the Lambda Invoke
-- API (a URL ending in /2015-03-31/functions/<name>/invocations) or any
-- other http(s) URL as a webhook.  A URL is a request-forgery vector, so
-- only superusers and members of the role dynamo_http_targets may create
-- or change a mapping with one, and its host must be listed in
-- dynamo_streams.http_allowed_hosts (superuser-only).  SigV4 credentials
-- live in a table only superusers can read; the worker reads them through
-- C, never through a view.

-- The role whose members may create and change mappings with a function_url
-- (roles are cluster-wide: made once, kept by DROP EXTENSION).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'dynamo_http_targets') THEN
        CREATE ROLE dynamo_http_targets NOLOGIN;
    END IF;
END
$$;

-- Check a function_url (http/https, a host, no user info, an allowed
-- host); InvalidParameterValueException if refused.  Returns 'Invoke' or
-- 'Webhook'.
CREATE FUNCTION @extschema@._http_target_check(url text)
RETURNS text LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'dynamo_http_target_check';

-- May role r own or change a mapping with an HTTP target?
CREATE FUNCTION @extschema@._http_target_right(r name)
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles a
                    WHERE a.rolname OPERATOR(pg_catalog.=) r AND a.rolsuper)
        OR (EXISTS (SELECT FROM pg_catalog.pg_roles a
                     WHERE a.rolname OPERATOR(pg_catalog.=) 'dynamo_http_targets')
            AND pg_catalog.pg_has_role(r, 'dynamo_http_targets', 'USAGE'))
$$;

-- Trigger on the mapping catalog: creating a mapping with a function_url,
-- or changing the configuration of one that has (or gets) one, needs the
-- right (the caller's and the owner's), and a new or changed URL is
-- checked.  Changes of the state columns alone (delivery) pass.
CREATE FUNCTION @extschema@._http_target_guard()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
    state_cols text[] := ARRAY['state', 'state_transition_reason', 'last_processing_result', 'last_modified'];
BEGIN
    IF NEW.function_url IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) state_cols)
           OPERATOR(pg_catalog.=) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) state_cols) THEN
        RETURN NEW;
    END IF;
    IF NOT @extschema@._http_target_right(who) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to create or change an event source mapping with a function_url', who),
            NULL, 'Only superusers and members of the role dynamo_http_targets may; see docs/security.md.');
    END IF;
    IF NOT @extschema@._http_target_right(NEW.owner::name) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to own an event source mapping with a function_url', NEW.owner),
            NULL, 'The mapping''s owner must be a superuser or a member of the role dynamo_http_targets; see docs/security.md.');
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR NEW.function_url IS DISTINCT FROM OLD.function_url THEN
        PERFORM @extschema@._http_target_check(NEW.function_url);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER _http_target_guard
    BEFORE INSERT OR UPDATE ON @extschema@._event_source_mappings
    FOR EACH ROW EXECUTE FUNCTION @extschema@._http_target_guard();

-- Function configuration that push delivery needs (Lambda's
-- UpdateFunctionConfiguration): the timeout of one invocation.
CREATE TABLE @extschema@._function_config (
    function_name     text PRIMARY KEY,
    -- seconds, Lambda's range and default
    timeout           integer NOT NULL DEFAULT 3 CHECK (timeout BETWEEN 1 AND 900)
);
COMMENT ON TABLE @extschema@._function_config IS
    'dynamo_streams push delivery: per-function settings (timeout)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@._function_config', '');
REVOKE ALL ON @extschema@._function_config FROM PUBLIC;

-- Set a function's timeout (seconds, 1-900; Lambda's default 3).
CREATE FUNCTION @extschema@.update_function_configuration(function_name text, timeout integer DEFAULT 3)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    who name := @extschema@._stream_caller();
    name text := function_name;
BEGIN
    IF NOT @extschema@._http_target_right(who) THEN
        ok := @extschema@._raise('AccessDeniedException',
            pg_catalog.format('User: %s is not authorized to perform: lambda:UpdateFunctionConfiguration on resource: %s', who, name),
            NULL, 'Only superusers and members of the role dynamo_http_targets may; see docs/security.md.');
    END IF;
    IF name IS NULL OR name OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'FunctionName must not be empty.');
    END IF;
    IF timeout IS NULL OR timeout OPERATOR(pg_catalog.<) 1 OR timeout OPERATOR(pg_catalog.>) 900 THEN
        ok := @extschema@._raise('InvalidParameterValueException',
            pg_catalog.format('1 validation error detected: Value ''%s'' at ''timeout'' failed to satisfy constraint: Member must have value between 1 and 900', timeout));
    END IF;
    INSERT INTO @extschema@._function_config AS c (function_name, timeout) VALUES (name, timeout)
    ON CONFLICT ON CONSTRAINT _function_config_pkey DO UPDATE SET timeout = EXCLUDED.timeout;
    RETURN pg_catalog.jsonb_build_object('FunctionName', name, 'Timeout', timeout);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.update_function_configuration(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.update_function_configuration(text, integer) TO dynamo_http_targets;

-- SigV4 credentials per host ('*': any host).  Only superusers can read or
-- write this table (no grant, no view); it is not part of pg_dump's
-- extension data either, so secrets do not end up in dumps.
CREATE TABLE @extschema@._http_credentials (
    host              text PRIMARY KEY,
    access_key_id     text NOT NULL,
    secret_access_key text NOT NULL,
    session_token     text,
    -- the signing region; NULL: dynamo_streams.region
    region            text
);
COMMENT ON TABLE @extschema@._http_credentials IS
    'dynamo_streams push delivery: SigV4 credentials per target host (superusers only)';
REVOKE ALL ON @extschema@._http_credentials FROM PUBLIC;

-- Store (or with access_key_id NULL remove) the credentials for a host.
-- Superusers only: the function runs as its caller and the table is theirs.
CREATE FUNCTION @extschema@.set_http_credentials(host text, access_key_id text,
    secret_access_key text DEFAULT NULL, session_token text DEFAULT NULL, region text DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ok boolean;
    h text := pg_catalog.lower(host);
BEGIN
    IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        ok := @extschema@._raise('AccessDeniedException',
            'Only superusers may set HTTP signing credentials', NULL, 'See docs/security.md.');
    END IF;
    IF h IS NULL OR h OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'host must name a host or be ''*''.');
    END IF;
    IF access_key_id IS NULL THEN
        DELETE FROM @extschema@._http_credentials c WHERE c.host OPERATOR(pg_catalog.=) h;
        RETURN FOUND;
    END IF;
    IF secret_access_key IS NULL OR secret_access_key OPERATOR(pg_catalog.=) '' THEN
        ok := @extschema@._raise('InvalidParameterValueException', 'secret_access_key must not be empty.');
    END IF;
    INSERT INTO @extschema@._http_credentials AS c VALUES (h, access_key_id, secret_access_key, session_token, region)
    ON CONFLICT ON CONSTRAINT _http_credentials_pkey DO UPDATE
        SET access_key_id = EXCLUDED.access_key_id, secret_access_key = EXCLUDED.secret_access_key,
            session_token = EXCLUDED.session_token, region = EXCLUDED.region;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.set_http_credentials(text, text, text, text, text) FROM PUBLIC;

-- Push delivery metrics per mapping, written by the delivery worker in the
-- transaction that completes or fails each batch.
CREATE TABLE @extschema@._http_metrics (
    mapping           uuid PRIMARY KEY REFERENCES @extschema@._event_source_mappings ON DELETE CASCADE,
    invokes           bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    consecutive_errors integer NOT NULL DEFAULT 0,
    last_invoke_at    timestamptz,
    -- 'OK' or the error: 'Unhandled', 'timeout', 'HTTP 500', ...
    last_status       text,
    last_http_status  integer,
    last_error        text,
    last_error_at     timestamptz,
    -- the latest (at most 200) invoke latencies, in milliseconds
    recent_latencies_ms real[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE @extschema@._http_metrics IS
    'dynamo_streams push delivery: invoke counts, errors and latencies per mapping';
REVOKE ALL ON @extschema@._http_metrics FROM PUBLIC;

-- Record one invoke (by the worker).  error NULL: it succeeded.
CREATE FUNCTION @extschema@._http_record_invoke(mapping uuid, http_status integer,
    latency_ms real, error text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m uuid := mapping;
    e text := pg_catalog.left(error, 1000);
BEGIN
    INSERT INTO @extschema@._http_metrics AS h (mapping) VALUES (m) ON CONFLICT DO NOTHING;
    UPDATE @extschema@._http_metrics h
       SET invokes = h.invokes OPERATOR(pg_catalog.+) 1,
           errors = h.errors OPERATOR(pg_catalog.+) (e IS NOT NULL)::integer,
           consecutive_errors = CASE WHEN e IS NULL THEN 0 ELSE h.consecutive_errors OPERATOR(pg_catalog.+) 1 END,
           last_invoke_at = pg_catalog.clock_timestamp(),
           last_status = COALESCE(pg_catalog.split_part(e, ':', 1), 'OK'),
           last_http_status = http_status,
           last_error = COALESCE(e, h.last_error),
           last_error_at = CASE WHEN e IS NULL THEN h.last_error_at ELSE pg_catalog.clock_timestamp() END,
           recent_latencies_ms = (h.recent_latencies_ms OPERATOR(pg_catalog.||) latency_ms)
               [GREATEST(1, pg_catalog.cardinality(h.recent_latencies_ms) OPERATOR(pg_catalog.-) 198):]
     WHERE h.mapping OPERATOR(pg_catalog.=) m;
    UPDATE @extschema@._event_source_mappings x
       SET last_processing_result = CASE WHEN e IS NULL THEN 'OK' ELSE 'PROBLEM: Function call failed' END
     WHERE x.uuid OPERATOR(pg_catalog.=) m
       AND x.last_processing_result IS DISTINCT FROM CASE WHEN e IS NULL THEN 'OK' ELSE 'PROBLEM: Function call failed' END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._http_record_invoke(uuid, integer, real, text) FROM PUBLIC;

-- A problem that stops delivery of a mapping (its target refused at
-- delivery time): shown as LastProcessingResult and in the metrics.
CREATE FUNCTION @extschema@._http_record_problem(mapping uuid, problem text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m uuid := mapping;
    p text := 'PROBLEM: ' OPERATOR(pg_catalog.||) pg_catalog.left(problem, 1000);
BEGIN
    INSERT INTO @extschema@._http_metrics AS h (mapping) VALUES (m) ON CONFLICT DO NOTHING;
    UPDATE @extschema@._http_metrics h SET last_error = problem, last_error_at = pg_catalog.clock_timestamp()
     WHERE h.mapping OPERATOR(pg_catalog.=) m AND h.last_error IS DISTINCT FROM problem;
    UPDATE @extschema@._event_source_mappings x SET last_processing_result = p
     WHERE x.uuid OPERATOR(pg_catalog.=) m AND x.last_processing_result IS DISTINCT FROM p;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._http_record_problem(uuid, text) FROM PUBLIC;

-- One row per mapping with a function_url that the caller may see
-- (members of its owner): state, the latest invoke and latency percentiles
-- over the latest 200 invokes.  The URL is shown without its query string.
CREATE VIEW @extschema@.http_push_metrics AS
SELECT m.uuid,
       m.function_name,
       pg_catalog.regexp_replace(m.function_url, '[?#].*$', '') AS function_url,
       CASE WHEN m.function_url OPERATOR(pg_catalog.~) '/2015-03-31/functions/[^/]+/invocations([?#]|$)'
            THEN 'Invoke' ELSE 'Webhook' END AS target_type,
       m.state,
       m.state_transition_reason,
       m.last_processing_result,
       COALESCE(h.invokes, 0) AS invokes,
       COALESCE(h.errors, 0) AS errors,
       COALESCE(h.consecutive_errors, 0) AS consecutive_errors,
       h.last_invoke_at,
       h.last_status,
       h.last_http_status,
       h.last_error,
       h.last_error_at,
       p.p50 AS latency_p50_ms,
       p.p90 AS latency_p90_ms,
       p.p99 AS latency_p99_ms
  FROM @extschema@._event_source_mappings m
  LEFT JOIN @extschema@._http_metrics h ON h.mapping OPERATOR(pg_catalog.=) m.uuid
  LEFT JOIN LATERAL (
        SELECT pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY l) AS p50,
               pg_catalog.percentile_cont(0.9) WITHIN GROUP (ORDER BY l) AS p90,
               pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY l) AS p99
          FROM pg_catalog.unnest(h.recent_latencies_ms) l) p ON true
 WHERE m.function_url IS NOT NULL
   AND pg_catalog.pg_has_role(@extschema@._stream_caller(), m.owner, 'USAGE');
GRANT SELECT ON @extschema@.http_push_metrics TO PUBLIC;
COMMENT ON VIEW @extschema@.http_push_metrics IS
    'push delivery per mapping: state, last invoke status and error, consecutive errors, latency percentiles';
