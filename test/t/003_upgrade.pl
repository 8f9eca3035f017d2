# test/t/003_upgrade.pl: every release upgrades to the current one without
# losing anything, and ends up exactly like a fresh install.
#
# For each earlier release R (a frozen sql/dynamo_streams--R.sql):
#  * install R, make item tables (hash and hash + range keys, with and
#    without a stream), an ordinary stream-enabled table and a slot, and
#    write items;
#  * walk the upgrade chain with ALTER EXTENSION ... UPDATE;
#  * check that the items, the catalog rows and the slot's records are all
#    still there, that new writes still stream, and that the extension's
#    objects (functions with their bodies and settings, tables with their
#    columns, constraints, indexes and triggers, views, event triggers,
#    comments, privileges) are identical to those of a fresh install.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Everything about the extension's own objects that an upgrade script must
# reproduce, one line each, in a fixed order.
my $FINGERPRINT = q{
WITH members AS (
  SELECT d.classid, d.objid
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND e.extname = 'dynamo_streams'
), lines AS (
  SELECT pg_describe_object(classid, objid, 0) AS what, '' AS detail FROM members
  UNION ALL
  SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '')
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
   WHERE p.prokind <> 'a'
  UNION ALL
  SELECT c.oid::regclass::text || '.' || a.attname,
         format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
           || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
           || ' num=' || a.attnum::text
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
  UNION ALL
  SELECT c.oid::regclass::text, 'kind=' || c.relkind::text || ' options=' || coalesce(c.reloptions::text, '')
           || ' acl=' || coalesce(c.relacl::text, '') || ' replident=' || c.relreplident::text
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
           || ' view=' || coalesce(CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END, '')
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT con.conrelid::regclass::text || ' constraint', pg_get_constraintdef(con.oid)
    FROM members m JOIN pg_constraint con ON m.classid = 'pg_class'::regclass AND con.conrelid = m.objid
  UNION ALL
  SELECT i.indrelid::regclass::text || ' index', pg_get_indexdef(i.indexrelid)
    FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
  UNION ALL
  SELECT t.tgrelid::regclass::text || ' trigger', pg_get_triggerdef(t.oid)
    FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
   WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'event trigger ' || evtname, evtevent || ' ' || evtfoid::regproc::text || ' '
           || coalesce(evttags::text, '') || ' ' || evtenabled::text
    FROM members m JOIN pg_event_trigger et ON m.classid = 'pg_event_trigger'::regclass AND et.oid = m.objid
  UNION ALL
  SELECT 'config dump', array_to_string(extconfig::regclass[]::text[], ',') || ' '
           || coalesce(array_to_string(extcondition, ','), '')
    FROM pg_extension WHERE extname = 'dynamo_streams'
)
SELECT what || E'\t' || detail FROM lines ORDER BY what COLLATE "C", detail COLLATE "C"
};

# The workload: the same on every release (only 0.1.0's API is used).
my $WRITES = q{
SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S', 'NEW_AND_OLD_IMAGES');
SELECT dynamo.create_table('Counters', 'Id', 'N');
SELECT dynamo.create_table('Blobs', 'Id', 'B', stream_view_type => 'KEYS_ONLY');
CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric);
SELECT dynamo.enable_stream('accounts', 'NEW_IMAGE');
SELECT dynamo.put_item('Music', jsonb_build_object('Artist', '{"S":"Acme"}'::jsonb,
	'SongTitle', jsonb_build_object('S', 'Song ' || i), 'Plays', jsonb_build_object('N', i::text)))
  FROM generate_series(1, 50) i;
SELECT dynamo.put_item('Counters', jsonb_build_object('Id', jsonb_build_object('N', i::text), 'Tags', '{"SS":["b","a"]}'::jsonb))
  FROM generate_series(1, 30) i;
SELECT dynamo.put_item('Blobs', '{"Id":{"B":"AAEC"},"Size":{"N":"3"}}');
INSERT INTO accounts SELECT i, 'owner ' || i, i * 1.5 FROM generate_series(1, 10) i;
};

# What must survive, as one text: items, catalog rows, table descriptions.
my $STATE = q{
SELECT dynamo.query('Music', 'Artist = :a', '{":a":{"S":"Acme"}}')::text
UNION ALL SELECT dynamo.scan('Counters')::text
UNION ALL SELECT dynamo.get_item('Blobs', '{"Id":{"B":"AAEC"}}')::text
UNION ALL SELECT string_agg(t::text, ',' ORDER BY t) FROM accounts t
UNION ALL SELECT string_agg(table_name || ':' || kind || ':' || stream_enabled || ':'
                            || coalesce(stream_view_type, '') || ':' || relid::regclass::text,
                            ',' ORDER BY table_name) FROM dynamo._tables
};

my $current = PostgreSQL::Test::Cluster->new('fresh');
$current->init(allows_streaming => 'logical');
$current->start;
$current->safe_psql('postgres', 'CREATE EXTENSION dynamo_streams');
my $default_version = $current->safe_psql('postgres',
	q{SELECT extversion FROM pg_extension WHERE extname = 'dynamo_streams'});
my $fresh = $current->safe_psql('postgres', $FINGERPRINT);
$current->stop;
ok($fresh ne '', "a fresh $default_version install has a fingerprint");

my $available = PostgreSQL::Test::Cluster->new('versions');
$available->init;
$available->start;
my @old = split /\n/, $available->safe_psql('postgres', qq{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'dynamo_streams' AND version <> '$default_version' ORDER BY version});
$available->stop;
ok(scalar(@old) >= 1, 'earlier releases are installable: ' . join(', ', @old));

for my $release (@old)
{
	my $node = ds_new_node("from_$release", version => $release);
	is($node->safe_psql('postgres',
			q{SELECT extversion FROM pg_extension WHERE extname = 'dynamo_streams'}),
		$release, "$release installs");
	$node->safe_psql('postgres',
		q{SELECT pg_create_logical_replication_slot('upgrade', 'dynamo_streams')});
	# a release with the stream log: its pump's slot exists before the writes
	# (made by that release's own SQL), so the log must get them after the
	# upgrade, none lost
	my $has_log = $node->safe_psql('postgres',
		q{SELECT to_regprocedure('dynamo._pump_ensure_slot()') IS NOT NULL}) eq 't';
	$node->safe_psql('postgres', 'SELECT dynamo._pump_ensure_slot()') if $has_log;
	$node->safe_psql('postgres', $WRITES);
	my $before = $node->safe_psql('postgres', $STATE);
	my $records_before = $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_logical_slot_peek_changes('upgrade', NULL, NULL)});
	is($records_before, 61, "$release: the writes produced stream records (50 + 1 + 10; Counters has no stream)");

	$node->safe_psql('postgres', 'ALTER EXTENSION dynamo_streams UPDATE');
	is($node->safe_psql('postgres',
			q{SELECT extversion FROM pg_extension WHERE extname = 'dynamo_streams'}),
		$default_version, "$release: ALTER EXTENSION UPDATE reaches $default_version");

	is($node->safe_psql('postgres', $STATE), $before,
		"$release: items, rows and catalog are unchanged by the upgrade");
	is($node->safe_psql('postgres', $FINGERPRINT), $fresh,
		"$release: the upgraded objects are exactly those of a fresh install");
	if ($has_log)
	{
		$node->safe_psql('postgres', 'SELECT dynamo.pump()');
		is($node->safe_psql('postgres', 'SELECT count(*) FROM dynamo.stream_records'), '61',
			"$release: the pump's slot is kept: every write before the upgrade reaches the log");
	}
	# Tables made before the upgrade get a TableId: distinct version-4 UUIDs.
	is($node->safe_psql('postgres', q{
		SELECT count(DISTINCT table_id) = count(*) AND bool_and(table_id::text ~ '^.{14}4.{3}-[89ab]')
		  FROM dynamo._tables}), 't', "$release: existing tables get random version-4 TableIds");

	# Records written before the upgrade are still decodable, and new
	# writes to every table stream after it.
	$node->safe_psql('postgres', q{
		SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"After"}}');
		SELECT dynamo.delete_item('Counters', '{"Id":{"N":"1"}}');  -- no stream: no record
		UPDATE accounts SET balance = balance + 1 WHERE id = 1;
		SELECT dynamo.put_item('Blobs', '{"Id":{"B":"AAEC"},"Size":{"N":"4"}}');
	});
	my $records = $node->safe_psql('postgres',
		q{SELECT string_agg(data::jsonb ->> 'eventName' || ' ' || (data::jsonb -> 'eventSourceARN')::text, E'\n')
		    FROM pg_logical_slot_get_changes('upgrade', NULL, NULL)});
	my @lines = split /\n/, $records;
	is(scalar(@lines), $records_before + 3, "$release: every record before and after the upgrade is delivered");
	like($lines[-3], qr{^INSERT .*table/Music/stream/}, "$release: item table writes stream after the upgrade");
	like($records, qr{MODIFY .*table/accounts/stream/}, "$release: ordinary tables stream after the upgrade");
	like($lines[-1], qr{^MODIFY .*table/Blobs/stream/}, "$release: a KEYS_ONLY table streams after the upgrade");
	$node->stop;
}

done_testing();
