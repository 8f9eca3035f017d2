# test/t/082_recvlogical_pump.pl: format=pump and hash-slots through the
# walsender (pg_recvlogical), as the pump and several pumps would read a
# stream: the pump rows are the SQL interface's rows, and readers with
# disjoint hash-slots get every record once, key-changing updates (a
# REMOVE and an INSERT from one change, which may fall in different slots)
# included.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('pump_recv');
my $connstr = $node->connstr('postgres');
$node->safe_psql('postgres', q{
	-- one slot per reader: pg_recvlogical confirms what it read
	SELECT pg_create_logical_replication_slot(s, 'dynamo_streams')
	  FROM unnest('{pump,all,part0,part1,part2,lambda}'::text[]) s;
	SELECT dynamo.create_table('Pumped', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');
	CREATE TABLE pumped_rows (id int PRIMARY KEY, v text);
	SELECT dynamo.enable_stream('pumped_rows', 'NEW_IMAGE');
	SELECT dynamo.put_item('Pumped', jsonb_build_object('pk', jsonb_build_object('S', 'k' || i % 7),
	                       'sk', jsonb_build_object('N', i::text), 'v', jsonb_build_object('S', repeat('x', i))))
	  FROM generate_series(1, 60) i;
	INSERT INTO pumped_rows SELECT i, 'v' || i FROM generate_series(1, 40) i;
	UPDATE pumped_rows SET id = id + 100 WHERE id <= 20;
	DELETE FROM pumped_rows WHERE id > 110;
});
my $endpos = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');

# pg_recvlogical to endpos with the given options; the rows it wrote
sub recv_rows
{
	my ($name, @opts) = @_;
	my $file = $node->basedir . "/$name.out";
	command_ok(
		[
			'pg_recvlogical', '-d', $connstr, '--slot', $name, '--start',
			'--endpos', $endpos, '--no-loop', '-f', $file,
			map { ('-o', $_) } @opts
		],
		"pg_recvlogical @opts");
	return [ grep { $_ ne '' } split /\n/, slurp_file($file) ];
}

my $sql = [ split /\n/, $node->safe_psql('postgres', q{
	SELECT data FROM pg_logical_slot_peek_changes('pump', NULL, NULL, 'format', 'pump')}) ];
is(scalar(@$sql), 60 + 40 + 40 + 10, 'the SQL interface gives every record');
my $all = recv_rows('all', 'format=pump');
is_deeply($all, $sql, 'pg_recvlogical gives the same pump rows');

my @ranges = ('0-2/8', '3/8', '4-7/8');
my @parts = map { recv_rows("part$_", 'format=pump', "hash-slots=$ranges[$_]") } 0 .. 2;
my %seen;
my $dup = 0;
for my $row (map { @$_ } @parts)
{
	my $seq = (split /\t/, $row)[1];
	$dup++ if $seen{$seq}++;
}
is($dup, 0, 'no record in two slot ranges');
is_deeply([ sort map { @$_ } @parts ], [ sort @$all ], 'the slot ranges together give every pump row');
ok((grep { scalar(@$_) > 0 } @parts) == 3, 'every slot range got records');

# the JSON formats take the option too
my $lambda = recv_rows('lambda', 'hash-slots=3/8');
is(scalar(@$lambda), scalar(@{ $parts[1] }), 'format=lambda with the same slots gives as many records');
$node->stop;
done_testing();
