# test/t/050_recvlogical_tables_option.pl: the plugin option "tables" with a
# name that matches no table, through pg_recvlogical (walsender), where the
# startup callback runs outside any transaction: the read must fail at once
# with ResourceNotFoundException naming the table, the server must keep
# running, and nothing may be consumed; a known name still streams.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('tables_option');
my $connstr = $node->connstr('postgres');

$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('TapTab', 'id', 'N', NULL, 'S', 'KEYS_ONLY');
	SELECT pg_create_logical_replication_slot('tap050', 'dynamo_streams');
	SELECT dynamo.put_item('TapTab', '{"id":{"N":"1"}}');
	SELECT dynamo.put_item('TapTab', '{"id":{"N":"2"}}');
});

my $out = "${PostgreSQL::Test::Utils::tmp_check}/050.json";
my ($ok, $stdout, $stderr) = (0, '', '');
$ok = IPC::Run::run(
	[
		'pg_recvlogical', '-d', $connstr, '--slot', 'tap050', '--start',
		'-f', $out, '-o', 'tables=TapTabb', '--no-loop',
		'-E', $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()')
	],
	'>', \$stdout, '2>', \$stderr);
ok(!$ok, 'pg_recvlogical with an unknown table name fails');
like(
	$stderr,
	qr/Requested resource not found: Table: TapTabb not found/,
	'the error names the table');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_logical_slot_peek_changes('tap050', NULL, NULL)}),
	'2',
	'nothing was consumed');

my $end = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
command_ok(
	[
		'pg_recvlogical', '-d', $connstr, '--slot', 'tap050', '--start',
		'-f', $out, '-o', 'tables=TapTab', '--no-loop', '-E', $end
	],
	'pg_recvlogical with a known table name streams');
my $records = ds_file_records($out);
is(scalar @$records, 2, 'both records arrived');

$node->stop;
done_testing();
