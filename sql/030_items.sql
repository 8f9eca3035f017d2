-- 030_items: put_item, get_item, delete_item, and plain SQL writes through
-- the _item_guard trigger.
\set VERBOSITY terse
SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S') IS NOT NULL AS created;

-- put_item: NONE returns {}; the stored item is normalised (numbers, sets).
SELECT dynamo.put_item('Music', '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"},
                                  "Year": {"N": "02015.50"}, "Tags": {"SS": ["b", "a"]}}');
SELECT pk, sk, item FROM dynamo."Music";
SELECT dynamo.get_item('Music', '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}}');
SELECT dynamo.get_item('Music', '{"SongTitle": {"S": "Call Me Today"}, "Artist": {"S": "No One You Know"}}', true);
SELECT dynamo.get_item('Music', '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Missing"}}');

-- ALL_OLD returns the replaced item, or {} when there was none.
SELECT dynamo.put_item('Music', '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "2016"}}', 'ALL_OLD');
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}', 'ALL_OLD');
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}, "Plays": {"N": "1"}}', return_values => 'NONE');
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}, "Plays": {"N": "2"}}', NULL);
SELECT sk, item FROM dynamo."Music" ORDER BY pk, sk;

-- A put that leaves the item identical (after normalisation, set order
-- ignored) writes no new row version; a real change does.
SELECT dynamo.put_item('Music', '{"Artist": {"S": "Multi"}, "SongTitle": {"S": "Sets"}, "N": {"NS": ["3", "1.0", "2"]}, "S": {"SS": ["y", "x"]}}');
SELECT ctid AS before_ctid, xmin AS before_xmin FROM dynamo."Music" WHERE pk = 'Multi' \gset
SELECT dynamo.put_item('Music', '{"S": {"SS": ["x", "y"]}, "N": {"NS": ["2", "1", "3.00"]}, "SongTitle": {"S": "Sets"}, "Artist": {"S": "Multi"}}', 'ALL_OLD');
SELECT ctid = :'before_ctid' AS same_ctid, xmin = :'before_xmin' AS same_xmin FROM dynamo."Music" WHERE pk = 'Multi';
SELECT dynamo.put_item('Music', '{"S": {"SS": ["x", "y", "z"]}, "N": {"NS": ["2", "1", "3.00"]}, "SongTitle": {"S": "Sets"}, "Artist": {"S": "Multi"}}');
SELECT ctid = :'before_ctid' AS same_ctid, item FROM dynamo."Music" WHERE pk = 'Multi';

-- delete_item: NONE → {}, ALL_OLD → the deleted item, {} when missing.
SELECT dynamo.delete_item('Music', '{"Artist": {"S": "Multi"}, "SongTitle": {"S": "Sets"}}');
SELECT dynamo.delete_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}', 'ALL_OLD');
SELECT dynamo.delete_item('Music', '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}', 'ALL_OLD');
SELECT dynamo.delete_item('Music', '{"Artist": {"S": "Nobody"}, "SongTitle": {"S": "Nothing"}}');
SELECT count(*) FROM dynamo."Music";

-- N and B keys: the key is the normalised value (1.50 = 1.5), B is bytes.
SELECT dynamo.create_table('Readings', 'Sensor', 'N', 'Raw', 'B') IS NOT NULL AS created;
SELECT dynamo.put_item('Readings', '{"Sensor": {"N": "1.50"}, "Raw": {"B": "AAEC"}, "v": {"N": "1"}}');
SELECT dynamo.put_item('Readings', '{"Sensor": {"N": "1.5"}, "Raw": {"B": "AAEC"}, "v": {"N": "2"}}', 'ALL_OLD');
SELECT pk, sk, item FROM dynamo."Readings";
SELECT dynamo.get_item('Readings', '{"Sensor": {"N": "15E-1"}, "Raw": {"B": "AAEC"}}');
SELECT dynamo.delete_item('Readings', '{"Sensor": {"N": "1.500"}, "Raw": {"B": "AAEC"}}', 'ALL_OLD');

-- Plain SQL: the trigger validates, normalises and sets pk/sk from the item,
-- whatever the statement put there.
INSERT INTO dynamo."Music" (pk, sk, item)
VALUES ('ignored', 'ignored', '{"Artist": {"S": "SQL"}, "SongTitle": {"S": "Insert"}, "n": {"N": "1e2"}}');
INSERT INTO dynamo."Music" (item)
VALUES ('{"Artist": {"S": "SQL"}, "SongTitle": {"S": "Item only"}}');
SELECT pk, sk, item FROM dynamo."Music" WHERE pk = 'SQL' ORDER BY sk;
-- UPDATE of the item moves the key columns with it; UPDATE of pk alone is
-- undone (the key lives in the item).
UPDATE dynamo."Music" SET item = item || '{"SongTitle": {"S": "Renamed"}}' WHERE sk = 'Insert';
UPDATE dynamo."Music" SET pk = 'elsewhere' WHERE sk = 'Item only';
SELECT pk, sk, item FROM dynamo."Music" WHERE pk = 'SQL' ORDER BY sk;
SELECT dynamo.get_item('Music', '{"Artist": {"S": "SQL"}, "SongTitle": {"S": "Renamed"}}');
-- Upsert in plain SQL, like put_item.
INSERT INTO dynamo."Music" AS t (item) VALUES ('{"Artist": {"S": "SQL"}, "SongTitle": {"S": "Renamed"}, "n": {"N": "7"}}')
ON CONFLICT (pk, sk) DO UPDATE SET item = EXCLUDED.item;
SELECT item FROM dynamo."Music" WHERE pk = 'SQL' AND sk = 'Renamed';
-- Bad items are rejected with put_item's messages.
INSERT INTO dynamo."Music" (item) VALUES ('{"Artist": {"S": "SQL"}}');
INSERT INTO dynamo."Music" (item) VALUES ('{"Artist": {"S": "SQL"}, "SongTitle": {"N": "1"}}');
INSERT INTO dynamo."Music" (item) VALUES ('{"Artist": {"S": ""}, "SongTitle": {"S": "x"}}');
INSERT INTO dynamo."Music" (item) VALUES ('{"Artist": {"S": "SQL"}, "SongTitle": {"S": "x"}, "bad": {"SS": []}}');
INSERT INTO dynamo."Music" (item) VALUES (NULL);
INSERT INTO dynamo."Music" (item) VALUES ('[1]');
UPDATE dynamo."Music" SET item = item - 'Artist' WHERE pk = 'SQL';
UPDATE dynamo."Music" SET item = item || '{"x": {"NULL": false}}' WHERE pk = 'SQL';
SELECT count(*) FROM dynamo."Music" WHERE pk = 'SQL';
-- Writes through SQL and through the API see each other.
SELECT dynamo.put_item('Music', '{"Artist": {"S": "SQL"}, "SongTitle": {"S": "Item only"}, "api": {"BOOL": true}}', 'ALL_OLD');

-- A hash-only table.
SELECT dynamo.create_table('Simple', 'id', 'B') IS NOT NULL AS created;
SELECT dynamo.put_item('Simple', '{"id": {"B": "/w=="}, "x": {"L": [{"S": "a"}, {"M": {"k": {"NULL": true}}}]}}');
SELECT pk, item FROM dynamo."Simple";
SELECT dynamo.get_item('Simple', '{"id": {"B": "/w=="}}');
SELECT dynamo.delete_item('Simple', '{"id": {"B": "/w=="}}', 'ALL_OLD');
SELECT dynamo.get_item('Simple', '{"id": {"B": "/w=="}}');

-- Writes in a rolled-back transaction leave nothing.
BEGIN;
SELECT dynamo.put_item('Simple', '{"id": {"B": "AQ=="}}');
ROLLBACK;
SELECT dynamo.get_item('Simple', '{"id": {"B": "AQ=="}}');

SELECT dynamo.delete_table(t)->'TableDescription'->>'TableStatus' FROM unnest(ARRAY['Music', 'Readings', 'Simple']) t;
