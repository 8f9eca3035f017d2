-- 011_numbers: DynamoDB numbers - syntax, limits, canonical text, size.
\set VERBOSITY terse

-- n(text): the number stored as attribute "n", its canonical text and its
-- size (item size minus the 1-byte name), or the error it raises.
CREATE FUNCTION pg_temp.n(num text, OUT canonical text, OUT size bigint,
                          OUT error text) LANGUAGE plpgsql AS $$
DECLARE item jsonb := jsonb_build_object('n', jsonb_build_object('N', num));
BEGIN
  canonical := dynamo.validate_item(item)->'n'->>'N';
  size := dynamo.item_size(item) - 1;
EXCEPTION WHEN others THEN
  error := SQLSTATE || ' ' || SQLERRM;
END $$;

-- Normalisation: plain notation, no leading or trailing zeros, no "+",
-- zero is "0" whatever its sign or spelling.
SELECT v AS input, (pg_temp.n(v)).* FROM (VALUES
  ('0'), ('-0'), ('+0'), ('0.000'), ('-0.0e5'), ('00'), ('0e125'), ('0E-130'),
  ('1'), ('+1'), ('1.50'), ('1E2'), ('1e+2'), ('0.00100'), ('0042.1200'), ('.5'),
  ('5.'), ('-.5'), ('100'), ('1010'), ('-1.0'), ('12.34e1'), ('12.34e-3'),
  ('1234.5E-2'), ('0.1E1'), ('1E125'), ('1E-130'), ('-1E-130'),
  ('9.9999999999999999999999999999999999999E+125'),
  ('-9.9999999999999999999999999999999999999E+125'),
  ('99999999999999999999999999999999999999'),
  ('12345678901234567890123456789012345678'),
  ('1234567890123456789012345678901234567800'),
  ('0.12345678901234567890123456789012345678'),
  ('1.000000000000000000000000000000000000000000000'),
  ('1e0000000000000000000000000000000000002'),
  ('99.999999999999999999999999999999999999E+124')
) t(v);

-- Rejected: syntax, more than 38 significant digits, overflow, underflow.
-- The wording is AWS's (PutItem), followed by the attribute.
SELECT v AS input, (pg_temp.n(v)).error FROM (VALUES
  ('abc'), (''), (' 1'), ('1 '), ('1.2.3'), ('0x10'), ('1e'), ('e5'), ('.'),
  ('-'), ('+-1'), ('NaN'), ('Infinity'), ('-Infinity'), ('1,5'), ('１'),
  ('1e9223372036854775808'),
  ('1234567890123456789012345678901234567890'),
  ('123456789012345678901234567890123456789'),
  ('1.23456789012345678901234567890123456789'),
  ('1E126'), ('1e126'), ('10E125'), ('-1E126'), ('1e2147483647'),
  ('1e2147483648'), ('1e99999999999'), ('-1e99999999999'), ('0e126'),
  ('1E-131'), ('0.1E-130'), ('-1E-131'), ('1e-2147483648'), ('1e-99999999999'),
  ('0e-131'), ('1e9223372036854775807')
) t(v);

-- Sizes that AWS reports (SPEC 4.2, issue #2, and public captures): 1 byte of
-- exponent plus one per base-100 digit pair aligned on the decimal point,
-- plus 1 for a negative number.
SELECT v AS input, (pg_temp.n(v)).size FROM (VALUES
  ('42'), ('101'), ('1723213300'), ('1762875051'), ('0'), ('-0'), ('1'), ('12'),
  ('123'), ('1234'), ('0042'), ('100'), ('1010'), ('0.0000001'), ('1E125'),
  ('1E-100'), ('1.5'), ('15'), ('1.2'), ('1.200'), ('1.234'), ('3.14159'),
  ('123456'), ('100.5'), ('0.15'), ('-42'),
  ('12345678901234567890123456789012345678')
) t(v);

-- Sizes where the pair alignment matters (not yet measured against AWS).
SELECT v AS input, (pg_temp.n(v)).size FROM (VALUES
  ('11000'), ('1100'), ('0.011'), ('0.11'), ('-1.5'),
  ('1.2345678901234567890123456789012345678'),
  ('-1.2345678901234567890123456789012345678'),
  ('-12345678901234567890123456789012345678')
) t(v);

-- The error names the attribute inside sets and maps too.
SELECT dynamo.validate_item('{"m": {"M": {"x": {"NS": ["1", "1E126"]}}}}');
SELECT dynamo.validate_item('{"m": {"L": [{"N": "1.234567890123456789012345678901234567890"}]}}');

-- NS canonical order is numeric order: compare with numeric's own sort over
-- many spellings (negative, fractions, exponents, values near 0 and 1).
WITH v AS (
  SELECT DISTINCT ON (x::numeric) x
    FROM (SELECT (CASE i % 4 WHEN 0 THEN '' ELSE '-' END)
                 || ((i * 7919) % 1000)::text || 'E' || ((i * 31) % 13 - 6)::text AS x
            FROM generate_series(1, 400) i
          UNION ALL
          SELECT unnest(ARRAY['0', '1', '1.0001', '0.9999', '-1', '-0.9999', '-1.0001',
                              '0.05', '0.5', '-0.05', '-0.5', '9.99', '10', '-9.99', '-10',
                              '1E-130', '-1E-130', '1E125', '-1E125'])) s
   ORDER BY x::numeric, x),
stored AS (
  SELECT dynamo.validate_item(jsonb_build_object('ns', jsonb_build_object('NS', jsonb_agg(x ORDER BY md5(x)))))
         -> 'ns' -> 'NS' AS ns
    FROM v)
SELECT (SELECT count(*) FROM v) AS members,
       (SELECT array_agg(e::numeric ORDER BY o) FROM stored, jsonb_array_elements_text(ns) WITH ORDINALITY AS t(e, o))
     = (SELECT array_agg(x::numeric ORDER BY x::numeric) FROM v) AS numeric_order;
