# test/t/070_upgrade_real_data.pl: the upgrade from 0.1.0 (0.2.0, then the
# current version) on a database
# that has lived a little, beyond 003_upgrade's tidy workload:
#  * an item table and a stream-enabled ordinary table owned by an
#    application role (0.1.0 style: plain grants on the catalog);
#  * tables whose REPLICA IDENTITY drifted away from FULL under 0.1.0;
#  * an item written around the guard trigger;
#  * a catalog row whose relation was dropped while event triggers were off
#    (session_replication_role = replica), so the row stayed;
#  * EXECUTE on get_item revoked from PUBLIC and granted to one role (the
#    upgrade drops and re-creates get_item with new parameters: the revoke
#    came undone).
# The upgrade must succeed (the comment back-fill failed on the stale row:
# COMMENT ON TABLE <oid>), keep every row and item, give the drifted tables
# REPLICA IDENTITY FULL back, and the tables must work afterwards.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('upgrade070', version => '0.1.0');
$node->safe_psql('postgres', q{
	CREATE ROLE app070 LOGIN;
	CREATE ROLE nobody070 LOGIN;
	REVOKE EXECUTE ON FUNCTION dynamo.get_item(text, jsonb, boolean) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION dynamo.get_item(text, jsonb, boolean) TO app070;
	GRANT USAGE, CREATE ON SCHEMA dynamo TO app070;
	GRANT SELECT, INSERT, UPDATE, DELETE ON dynamo._tables TO app070;
	CREATE SCHEMA app070 AUTHORIZATION app070;
	SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S', 'NEW_AND_OLD_IMAGES');
	SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"Happy Day"}}');
	SELECT dynamo.create_table('Gone', 'id');
	SET ROLE app070;
	SELECT dynamo.create_table('AppItems', 'id', 'N', stream_view_type => 'KEYS_ONLY');
	SELECT dynamo.put_item('AppItems', '{"id":{"N":"1"}}');
	CREATE TABLE app070.orders (id int PRIMARY KEY, total numeric);
	SELECT dynamo.enable_stream('app070.orders', 'NEW_IMAGE');
	INSERT INTO app070.orders VALUES (1, 9.5);
	RESET ROLE;
	ALTER TABLE dynamo."Music" REPLICA IDENTITY DEFAULT;
	ALTER TABLE app070.orders REPLICA IDENTITY DEFAULT;
	SET session_replication_role = replica;
	INSERT INTO dynamo."Music" VALUES ('x', 'y', '{"junk": 1}');
	DROP TABLE dynamo."Gone";
});
my $rows_before = $node->safe_psql('postgres',
	q{SELECT string_agg(table_name || ':' || kind || ':' || stream_enabled, ',' ORDER BY table_name) FROM dynamo._tables});
is($rows_before, 'AppItems:item:true,Gone:item:false,Music:item:true,orders:relation:true',
	'0.1.0 catalog: the stale row of Gone is there');

my ($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION dynamo_streams UPDATE');
is($rc, 0, 'the upgrade succeeds') or diag($err);
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'dynamo_streams'}),
	$node->safe_psql('postgres', q{SELECT default_version FROM pg_available_extensions WHERE name = 'dynamo_streams'}),
	'the extension is at the current version (through every upgrade script)');
is($node->safe_psql('postgres',
		q{SELECT string_agg(table_name || ':' || kind || ':' || stream_enabled, ',' ORDER BY table_name) FROM dynamo._tables}),
	$rows_before, 'every catalog row is kept (the stale one too: the upgrade does not delete)');
is($node->safe_psql('postgres',
		q{SELECT string_agg(relname || '=' || relreplident::text, ',' ORDER BY relname) FROM pg_class
		   WHERE oid IN ('dynamo."Music"'::regclass, 'dynamo."AppItems"'::regclass, 'app070.orders'::regclass)}),
	'AppItems=f,Music=f,orders=f', 'drifted tables have REPLICA IDENTITY FULL again');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dynamo."Music"}), '2',
	'the items are kept, the one written around the guard too');
like($node->safe_psql('postgres', q{SELECT obj_description('dynamo."AppItems"'::regclass, 'pg_class')}),
	qr/^dynamo_streams item table \{.*"HashKey": "id"/, 'the application role\'s item table has its key schema in its comment');
is($node->safe_psql('postgres', q{SELECT dynamo.describe_table('Music') -> 'Table' ->> 'ItemCount'}), '2',
	'describe_table counts the item written around the guard without failing');

# the application role goes on working (row security now limits it to its
# own rows)
is($node->safe_psql('postgres', q{
	SET ROLE app070;
	SELECT dynamo.put_item('AppItems', '{"id":{"N":"2"}}');
	SELECT dynamo.disable_stream('app070.orders') -> 'StreamSpecification' ->> 'StreamEnabled';
	SELECT dynamo.update_table('AppItems', false) -> 'TableDescription' -> 'StreamSpecification' ->> 'StreamEnabled';
	SELECT count(*) FROM dynamo."AppItems";
}), "{}\nfalse\nfalse\n2", 'the application role still uses its tables after the upgrade');

# privileges set on item functions that the upgrade re-creates are kept,
# as the administrator's own (not initial privileges: pg_dump dumps them)
is($node->safe_psql('postgres', q{
	SELECT has_function_privilege('nobody070', p.oid, 'EXECUTE'), has_function_privilege('app070', p.oid, 'EXECUTE'),
	       EXISTS (SELECT FROM pg_init_privs i WHERE i.objoid = p.oid)
	  FROM pg_proc p WHERE p.oid = 'dynamo.get_item'::regproc}),
	'f|t|f', 'get_item stays revoked from PUBLIC and granted to the role');
is($node->safe_psql('postgres', q{SELECT proacl IS NULL FROM pg_proc WHERE oid = 'dynamo.put_item'::regproc}),
	't', 'put_item, whose privileges were never changed, keeps the default privileges');
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE nobody070; SELECT dynamo.get_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"Happy Day"}}')});
like($err, qr/permission denied for function get_item/, 'a role without EXECUTE cannot call get_item after the upgrade');

$node->stop;
done_testing();
