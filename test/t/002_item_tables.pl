# Item tables across server configurations and pg_dump.
#
#  * With wal_level = replica, item tables work and enabling a stream fails
#    with a clear error and hint (SPEC 3).
#  * pg_dump of a database with item tables restores into a working copy:
#    the catalog rows, the relations, their trigger and the items.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Append the suite's server settings, minus the ones a test overrides.
sub configure
{
	my ($node, %override) = @_;
	my $conf = slurp_file($ENV{DS_TEST_CONF});
	$conf =~ s/^\s*$_\s*=.*$//mg for keys %override;
	$node->append_conf('postgresql.conf', $conf);
	$node->append_conf('postgresql.conf', "$_ = $override{$_}") for keys %override;
	return;
}

# --- wal_level = replica: items yes, streams no ---------------------------
my $plain = PostgreSQL::Test::Cluster->new('replica');
$plain->init;
configure($plain, wal_level => 'replica');
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION dynamo_streams');
$plain->safe_psql('postgres',
	q{SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S')});
$plain->safe_psql('postgres',
	q{SELECT dynamo.put_item('Music', '{"Artist":{"S":"A"},"SongTitle":{"S":"x"},"Year":{"N":"2001"}}')});
is( $plain->safe_psql('postgres',
		q{SELECT dynamo.get_item('Music', '{"Artist":{"S":"A"},"SongTitle":{"S":"x"}}') -> 'Item' -> 'Year' ->> 'N'}),
	'2001',
	'item tables work without wal_level = logical');

my ($rc, $out, $err) = $plain->psql('postgres',
	q{SELECT dynamo.update_table('Music', true, 'NEW_IMAGE')});
isnt($rc, 0, 'enabling a stream without wal_level = logical fails');
like($err, qr/ValidationException: .*wal_level/, 'the error names wal_level');
like($err, qr/HINT: .*wal_level = logical/, 'with a hint');

($rc, $out, $err) = $plain->psql('postgres',
	q{SELECT dynamo.create_table('Streamed', 'Id', 'N', stream_view_type => 'KEYS_ONLY')});
isnt($rc, 0, 'creating a table with a stream without wal_level = logical fails');
is($plain->safe_psql('postgres', q{SELECT count(*) FROM dynamo._tables WHERE table_name = 'Streamed'}),
	'0', 'and leaves nothing half-made');
$plain->safe_psql('postgres', 'CREATE TABLE accounts (id int PRIMARY KEY, owner text)');
($rc, $out, $err) = $plain->psql('postgres',
	q{SELECT dynamo.enable_stream('accounts', 'NEW_IMAGE')});
isnt($rc, 0, 'enable_stream on an ordinary table without wal_level = logical fails');
like($err, qr/wal_level/, 'and names wal_level');
is($plain->safe_psql('postgres', q{SELECT count(*) FROM dynamo._tables WHERE table_name = 'accounts'}),
	'0', 'and records nothing');
$plain->stop;

# --- pg_dump and restore --------------------------------------------------
my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
configure($node);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dynamo_streams');
$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('Orders', 'Customer', 'S', 'OrderNo', 'N', 'NEW_AND_OLD_IMAGES');
	SELECT dynamo.create_table('Blobs', 'Id', 'B');
	SELECT dynamo.put_item('Orders', jsonb_build_object('Customer', '{"S":"c1"}'::jsonb,
		'OrderNo', jsonb_build_object('N', i::text), 'Total', '{"N":"1.50"}'::jsonb))
	  FROM generate_series(1, 20) i;
	SELECT dynamo.put_item('Blobs', '{"Id":{"B":"AAEC"},"Tags":{"SS":["b","a"]}}');
});
my $before = $node->safe_psql('postgres',
	q{SELECT dynamo.query('Orders', 'Customer = :c', '{":c":{"S":"c1"}}')});

my $dump = $node->basedir . '/dump.sql';
$node->command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump succeeds');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-d', $node->connstr('restored'), '-f', $dump ],
	'the dump restores');

is($node->safe_psql('restored',
		q{SELECT dynamo.query('Orders', 'Customer = :c', '{":c":{"S":"c1"}}')}),
	$before, 'items and their order survive dump and restore');
like($node->safe_psql('restored', q{SELECT dynamo.describe_table('Orders')}),
	qr/"StreamViewType": "NEW_AND_OLD_IMAGES"/, 'stream settings survive');
is($node->safe_psql('restored',
		q{SELECT dynamo.get_item('Blobs', '{"Id":{"B":"AAEC"}}') -> 'Item' -> 'Tags'}),
	'{"SS": ["a", "b"]}', 'binary keys and sets survive');
($rc, $out, $err) = $node->psql('restored',
	q{INSERT INTO dynamo."Orders" (item) VALUES ('{"Customer":{"S":"c2"}}')});
like($err, qr/ValidationException/, 'the restored item table still enforces the key schema');
is($node->safe_psql('restored',
		q{SELECT relreplident FROM pg_class WHERE oid = 'dynamo."Orders"'::regclass}),
	'f', 'REPLICA IDENTITY FULL survives');

$node->stop;
done_testing();
