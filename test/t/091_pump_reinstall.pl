# test/t/091_pump_reinstall.pl: the pump after DROP EXTENSION and CREATE
# EXTENSION.  DROP EXTENSION cannot drop the pump's replication slot and
# origin (they are not database objects), so the next install finds them;
# its first pump must drop them and start its own slot, not decode WAL of
# the tables the old install had (which failed with "could not find
# pg_class entry").  A slot the install made itself is kept.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('pump_reinstall');
my $slot = $node->safe_psql('postgres', 'SELECT dynamo._pump_slot_name()');

$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('Old', 'id', 'S', stream_view_type => 'NEW_IMAGE');
	SELECT dynamo.pump();
	SELECT dynamo.put_item('Old', jsonb_build_object('id', jsonb_build_object('S', 'o' || i))) FROM generate_series(1, 20) i;
	SELECT dynamo.pump();
	-- more writes the old install never pumps: their WAL stays in its slot
	SELECT dynamo.put_item('Old', jsonb_build_object('id', jsonb_build_object('S', 'p' || i))) FROM generate_series(1, 5) i;
});
my $old_created = $node->safe_psql('postgres', 'SELECT slot_created_lsn FROM dynamo._pump');
isnt($old_created, '', 'the pump notes where the slot it made started');

$node->safe_psql('postgres', 'DROP EXTENSION dynamo_streams CASCADE');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'"), '1',
	'DROP EXTENSION leaves the slot behind');

$node->safe_psql('postgres', q{
	CREATE EXTENSION dynamo_streams;
	SELECT dynamo.create_table('New', 'id', 'S', stream_view_type => 'NEW_IMAGE');
});
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT dynamo.pump()');
is($rc, 0, 'the first pump of the new install succeeds') or diag $err;
like($err, qr/dropped the replication slot \Q$slot\E left by an earlier install/, 'and says it dropped the old slot');
cmp_ok($node->safe_psql('postgres', "SELECT slot_created_lsn > '$old_created' FROM dynamo._pump"), 'eq', 't',
	'the new install made a slot of its own');
$node->safe_psql('postgres', q{
	SELECT dynamo.put_item('New', jsonb_build_object('id', jsonb_build_object('S', 'n' || i))) FROM generate_series(1, 7) i;
});
is($node->safe_psql('postgres', 'SELECT dynamo.pump()'), '7', 'the new install pumps its own writes');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dynamo.stream_records WHERE table_name = 'New'}), '7',
	'they are in the log');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dynamo.stream_records WHERE table_name <> 'New'}), '0',
	'nothing of the old install is');

# the slot this install made is its own: kept across steps and restarts
my $created = $node->safe_psql('postgres', 'SELECT slot_created_lsn FROM dynamo._pump');
$node->restart;
$node->safe_psql('postgres', q{SELECT dynamo.put_item('New', '{"id":{"S":"after"}}')});
($rc, $out, $err) = $node->psql('postgres', 'SELECT dynamo.pump()');
is($out, '1', 'after a restart the same slot goes on');
unlike($err, qr/dropped the replication slot/, 'and is not dropped');
is($node->safe_psql('postgres', 'SELECT slot_created_lsn FROM dynamo._pump'), $created, 'its start is unchanged');

$node->safe_psql('postgres', 'SELECT dynamo._pump_drop_slot()');
$node->stop;
done_testing();
