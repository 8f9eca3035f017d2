# test/t/051_upgrade_access_readopt.pl: what the 0.1.0 -> 0.2.0 upgrade
# adds for application roles and kept item tables, beyond the object
# fingerprint of 003_upgrade: row security and policies of the catalog and
# the schema's privileges equal a fresh install's, and an item table made
# under 0.1.0 gets its key schema in its comment, so that after DROP
# EXTENSION ... CASCADE a new CREATE EXTENSION adopts it with its items.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ACCESS = q{
SELECT c.relrowsecurity, n.nspacl::text,
       (SELECT string_agg(p.polname || ' ' || p.polcmd::text || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
                          || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), E'\n' ORDER BY p.polname)
          FROM pg_policy p WHERE p.polrelid = c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = 'dynamo._tables'::regclass
};

my $fresh = ds_new_node('fresh051');
my $want = $fresh->safe_psql('postgres', $ACCESS);
$fresh->stop;

my $node = ds_new_node('upgrade051', version => '0.1.0');
$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S');
	SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"Happy Day"}}');
});
$node->safe_psql('postgres', q{ALTER EXTENSION dynamo_streams UPDATE});
# (the upgrade gives every table a new, random TableId: compare from here)
my $before = $node->safe_psql('postgres',
	q{SELECT dynamo.describe_table('Music')->'Table'});
is($node->safe_psql('postgres', $ACCESS), $want,
	'row security, policies and schema privileges as in a fresh install');
like(
	$node->safe_psql('postgres',
		q{SELECT obj_description('dynamo."Music"'::regclass, 'pg_class')}),
	qr/^dynamo_streams item table \{.*"HashKey": "Artist".*"RangeKey": "SongTitle"/,
	'the upgrade wrote the key schema into the comment');

$node->safe_psql('postgres', q{DROP EXTENSION dynamo_streams CASCADE});
$node->safe_psql('postgres', q{CREATE EXTENSION dynamo_streams});
is( $node->safe_psql('postgres', q{SELECT dynamo.list_tables()}),
	'{"TableNames": ["Music"]}',
	'CREATE EXTENSION adopted the kept table');
is($node->safe_psql('postgres', q{SELECT dynamo.describe_table('Music')->'Table'}),
	$before, 'with the same description (TableId, CreationDateTime, keys, items)');
is( $node->safe_psql('postgres',
		q{SELECT dynamo.get_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"Happy Day"}}')}),
	'{"Item": {"Artist": {"S": "Acme"}, "SongTitle": {"S": "Happy Day"}}}',
	'and its items');

$node->stop;
done_testing();
