# test/t/020_stream_source.pl: a stream's records across a move of the
# database, and a stream's identity across the upgrade from 0.1.0.
#
#  * Moved database: a database dumped on one cluster and restored on
#    another keeps its streams' region, account and ARN; the new cluster's
#    LSNs are lower, so its sequence numbers would sort before the old
#    ones; dynamo._raise_epoch() raises the leading epoch field, after
#    which every new number sorts after every number of the old cluster.
#  * Upgrade from 0.1.0: existing streams get their identity from the
#    settings of the session that runs ALTER EXTENSION UPDATE; item tables
#    whose replica identity was changed under 0.1.0 get FULL back, so
#    their deletes stream again; WAL written before the upgrade still
#    decodes (with the reading session's region, as 0.1.0 did).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# The records of a slot (get), as [eventName, SequenceNumber, ARN, region].
sub slot_records
{
	my ($node, $slot) = @_;
	my $out = $node->safe_psql('postgres', qq{
		SELECT j->>'eventName', j->'dynamodb'->>'SequenceNumber', j->>'eventSourceARN', j->>'awsRegion'
		  FROM (SELECT data::jsonb j FROM pg_logical_slot_get_changes('$slot', NULL, NULL)) r});
	return [ map { [ split /\|/ ] } grep { $_ ne '' } split /\n/, $out ];
}

# --- a database moved to another cluster ------------------------------------

my $old = ds_new_node('old');
$old->safe_psql('postgres', q{
	SELECT pg_create_logical_replication_slot('s', 'dynamo_streams');
	SET dynamo_streams.region = 'eu-central-1';
	SET dynamo_streams.account_id = '123456789012';
	SELECT dynamo.create_table('Moved', 'id', stream_view_type => 'KEYS_ONLY');
});
# push the old cluster's WAL well ahead of a fresh cluster's
$old->safe_psql('postgres', 'SELECT pg_switch_wal()') for 1 .. 4;
$old->safe_psql('postgres', q{SELECT dynamo.put_item('Moved', '{"id":{"S":"old"}}')});
my $old_records = slot_records($old, 's');
is(scalar(@$old_records), 1, 'the old cluster streams');
my ($old_seq, $arn) = ($old_records->[0][1], $old_records->[0][2]);
like($arn, qr{^arn:aws:dynamodb:eu-central-1:123456789012:table/Moved/stream/},
	'the stream has the identity of its enabling');

my $dump = $old->basedir . '/moved.sql';
$old->command_ok([ 'pg_dump', '-d', $old->connstr('postgres'), '-f', $dump ], 'pg_dump succeeds');
$old->stop;

my $new = PostgreSQL::Test::Cluster->new('new');
$new->init(allows_streaming => 'logical');
$new->append_conf('postgresql.conf', slurp_file($ENV{DS_TEST_CONF})) if $ENV{DS_TEST_CONF};
my ($config) = run_command([ 'postgres', '--describe-config' ]);
$new->append_conf('postgresql.conf',
	"output_plugin_libraries = 'pgoutput, test_decoding, dynamo_streams'\n")
  if $config =~ /^output_plugin_libraries\t/m;
$new->start;
$new->command_ok([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-d', $new->connstr('postgres'), '-f', $dump ],
	'the dump restores on another cluster');
is($new->safe_psql('postgres', q{SELECT stream_arn FROM dynamo._tables WHERE table_name = 'Moved'}),
	$arn, 'the restored stream keeps its ARN (region and account of its enabling)');
is($new->safe_psql('postgres', q{SELECT dynamo.describe_table('Moved') #>> '{Table,LatestStreamArn}'}),
	$arn, 'describe_table reports it');

$new->safe_psql('postgres', q{
	SELECT pg_create_logical_replication_slot('s', 'dynamo_streams');
	SELECT dynamo.put_item('Moved', '{"id":{"S":"before raise"}}');
});
my $lower = slot_records($new, 's');
ok($lower->[0][1] lt $old_seq,
	'without a new epoch the new cluster\'s numbers sort before the old ones (lower LSNs)');
is($lower->[0][2], $arn, 'records on the new cluster carry the stored ARN');

is($new->safe_psql('postgres', 'SELECT dynamo._raise_epoch()'), '101', 'the epoch goes from 100 to 101');
$new->safe_psql('postgres', q{SELECT dynamo.put_item('Moved', '{"id":{"S":"after raise"}}')});
my $raised = slot_records($new, 's');
is(substr($raised->[0][1], 0, 3), '101', 'new numbers carry the new epoch');
ok($raised->[0][1] gt $old_seq && length($raised->[0][1]) == length($old_seq),
	'after the raise the numbers sort after every number of the old cluster');
$new->stop;

# --- the upgrade from 0.1.0 ------------------------------------------------

my $up = ds_new_node('upgrade', version => '0.1.0');
$up->safe_psql('postgres', q{
	SELECT pg_create_logical_replication_slot('u', 'dynamo_streams');
	SELECT dynamo.create_table('Upgraded', 'id', stream_view_type => 'KEYS_ONLY');
	SELECT dynamo.put_item('Upgraded', '{"id":{"S":"a"}}');
	SELECT dynamo.put_item('Upgraded', '{"id":{"S":"b"}}');
	ALTER TABLE dynamo."Upgraded" REPLICA IDENTITY DEFAULT;
	SELECT dynamo.delete_item('Upgraded', '{"id":{"S":"a"}}');
});
$up->safe_psql('postgres', q{
	SET dynamo_streams.region = 'eu-north-1';
	ALTER EXTENSION dynamo_streams UPDATE;
});
is($up->safe_psql('postgres', q{
	SELECT stream_region || ' ' || stream_account_id || ' ' ||
	       (stream_arn = 'arn:aws:dynamodb:eu-north-1:000000000000:table/Upgraded/stream/' || stream_label)
	  FROM dynamo._tables WHERE table_name = 'Upgraded'}),
	'eu-north-1 000000000000 true', 'the upgrade stores the identity from its session\'s settings');
is($up->safe_psql('postgres', q{SELECT relreplident FROM pg_class WHERE oid = 'dynamo."Upgraded"'::regclass}),
	'f', 'the upgrade gives the item table REPLICA IDENTITY FULL back');
$up->safe_psql('postgres', q{SELECT dynamo.delete_item('Upgraded', '{"id":{"S":"b"}}')});
my $recs = slot_records($up, 'u');
is(join(',', map { $_->[0] } @$recs), 'INSERT,INSERT,REMOVE,REMOVE',
	'WAL from before the upgrade decodes, the delete made under DEFAULT identity included (Keys from the key columns), and the delete after the upgrade streams');
like($recs->[0][2], qr{^arn:aws:dynamodb:us-east-1:000000000000:},
	'changes written before the upgrade use the reading session\'s settings');
like($recs->[-1][2], qr{^arn:aws:dynamodb:eu-north-1:000000000000:table/Upgraded/stream/},
	'changes after the upgrade use the stored identity');
ok(!(grep { $_->[1] !~ /^[1-9][0-9]{39}$/ } @$recs), 'all numbers have 40 digits');
$up->stop;

done_testing();
