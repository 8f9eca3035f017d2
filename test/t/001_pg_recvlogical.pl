# test/t/001_pg_recvlogical.pl: the dynamo_streams output plugin end to end
# through pg_recvlogical, across a server restart.
#
# pg_recvlogical creates a slot with -P dynamo_streams and streams it to a
# file with -o format=streams while item API writes happen; the file must
# hold one GetRecords record per changing write, in commit order, with the
# right keys and images and increasing sequence numbers.  After a clean
# restart of the server the same slot, streamed again, must continue with
# the later writes only: no record confirmed before the restart is sent
# again, none is missing, and sequence numbers keep increasing.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('recvlogical');
my $slot = 'tap_recvlogical';
my $connstr = $node->connstr('postgres');

$node->safe_psql('postgres',
	q{SELECT dynamo.create_table('TapItems', 'id', 'N', NULL, 'S', 'NEW_AND_OLD_IMAGES')});

command_ok(
	[
		'pg_recvlogical', '-d', $connstr, '--slot', $slot,
		'--create-slot', '-P', 'dynamo_streams'
	],
	'pg_recvlogical --create-slot -P dynamo_streams');
is( $node->safe_psql('postgres',
		"SELECT plugin FROM pg_replication_slots WHERE slot_name = '$slot'"),
	'dynamo_streams',
	'the slot uses the dynamo_streams plugin');

# put(id, value) / del(id): item API calls as SQL text.
sub put
{
	my ($id, $v) = @_;
	return "SELECT dynamo.put_item('TapItems', "
	  . "'{\"id\":{\"N\":\"$id\"},\"v\":{\"S\":\"$v\"}}');\n";
}

sub del
{
	my ($id) = @_;
	return "SELECT dynamo.delete_item('TapItems', '{\"id\":{\"N\":\"$id\"}}');\n";
}

# Start streaming the slot into FILE; returns the IPC::Run handle.
sub start_recv
{
	my ($file) = @_;
	my ($stdout, $stderr) = ('', '');
	my $h = IPC::Run::start(
		[
			'pg_recvlogical', '-d', $connstr, '--slot', $slot, '--start',
			'-f', $file, '-o', 'format=streams', '-F', '1', '-s', '1',
			'--no-loop'
		],
		'>', \$stdout, '2>', \$stderr);
	return $h;
}

# Wait until the slot has confirmed everything written so far and that
# position is on disk, then stop pg_recvlogical.
#
# On PostgreSQL 15 and 16 a confirmed position that moved alone stays in
# memory: the slot is written out only when its restart_lsn or xmin moves
# too, which follows the running-transactions records that checkpoints (and
# the bgwriter every 15 s) log.  A restart before that replays from the
# older position (at-least-once; the records are identical, see phase 3).
# CHECKPOINT logs such a record; once the slot's restart_lsn passed it, the
# slot was saved with the confirmed position.
sub stop_recv
{
	my ($h, $what) = @_;
	my $lsn = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
	my $slot_is = sub {
		$node->poll_query_until('postgres',
			"SELECT $_[0] >= '$lsn' FROM pg_replication_slots WHERE slot_name = '$slot'");
	};
	ok($slot_is->('confirmed_flush_lsn'), "$what: the slot confirmed the records");
	$node->safe_psql('postgres', 'CHECKPOINT');
	ok($slot_is->('restart_lsn'), "$what: the slot was saved");
	$h->signal('INT');
	$h->finish;
	return;
}

# The event names and key ids of records, as "INSERT 1" strings.
sub summary
{
	my ($records) = @_;
	return [ map { "$_->{eventName} $_->{dynamodb}{Keys}{id}{N}" } @$records ];
}

# Sequence numbers are decimal strings of equal length here (see
# docs/output-plugin.md), so string order is numeric order; check both.
sub check_sequence
{
	my ($records, $after, $what) = @_;
	my $prev = $after;
	my $ok = 1;
	for my $r (@$records)
	{
		my $seq = $r->{dynamodb}{SequenceNumber};
		$ok = 0 unless $seq =~ /^\d{21,40}$/;
		$ok = 0
		  if defined $prev
		  && (length($seq) < length($prev)
			|| (length($seq) == length($prev) && $seq le $prev));
		$prev = $seq;
	}
	ok($ok, "$what: sequence numbers are 21-40 digits and strictly increasing");
	return $prev;
}

my $dir = $PostgreSQL::Test::Utils::tmp_check;
my $file1 = "$dir/recvlogical_1.json";
my $file2 = "$dir/recvlogical_2.json";

# Phase 1: stream while writing.  Id 99 is a sentinel written last: once
# its record is in the file, every earlier one must be too.
my $recv = start_recv($file1);
$node->safe_psql('postgres',
	    join('', map { put($_, "v$_") } 1 .. 5)
	  . put(2, 'changed')
	  . put(3, 'v3')                          # identical: no record
	  . del(4)
	  . "BEGIN;\n" . put(5, 'rolled back') . "ROLLBACK;\n"
	  . del(42)                               # missing item: no record
	  . "BEGIN;\n" . put(6, 'v6') . put(7, 'v7') . del(1) . "COMMIT;\n"
	  . put(99, 'sentinel'));
my $records = ds_wait_for_record($file1, sub { $_[0]{dynamodb}{Keys}{id}{N} eq '99' });
stop_recv($recv, 'phase 1');
$records = ds_file_records($file1);

is_deeply(
	summary($records),
	[
		'INSERT 1', 'INSERT 2', 'INSERT 3', 'INSERT 4', 'INSERT 5', 'MODIFY 2',
		'REMOVE 4', 'INSERT 6', 'INSERT 7', 'REMOVE 1', 'INSERT 99'
	],
	'phase 1: one record per changing write, in commit order');
my $last = check_sequence($records, undef, 'phase 1');

my ($modify) = grep { $_->{eventName} eq 'MODIFY' } @$records;
is_deeply(
	$modify->{dynamodb}{NewImage},
	{ id => { N => '2' }, v => { S => 'changed' } },
	'MODIFY NewImage');
is_deeply(
	$modify->{dynamodb}{OldImage},
	{ id => { N => '2' }, v => { S => 'v2' } },
	'MODIFY OldImage');
is($modify->{dynamodb}{StreamViewType}, 'NEW_AND_OLD_IMAGES', 'StreamViewType');
my ($remove) = grep { $_->{eventName} eq 'REMOVE' } @$records;
ok(!exists $remove->{dynamodb}{NewImage}, 'REMOVE has no NewImage');
is_deeply($remove->{dynamodb}{OldImage}, { id => { N => '4' }, v => { S => 'v4' } },
	'REMOVE OldImage');
ok(!(grep { exists $_->{eventSourceARN} } @$records),
	'format=streams: no eventSourceARN');
like($records->[0]{eventID}, qr/^[0-9a-f]{32}$/, 'eventID is 32 lowercase hex digits');
like($records->[0]{dynamodb}{ApproximateCreationDateTime},
	qr/^\d+$/, 'ApproximateCreationDateTime is whole epoch seconds');

# The three records of one transaction share its commit but are distinct.
my %ids = map { $_->{eventID} => 1 } @$records;
is(scalar(keys %ids), scalar(@$records), 'eventIDs are distinct');

# Phase 2: restart, write more, stream the same slot again.
$node->restart;
$node->safe_psql('postgres',
	put(8, 'v8') . put(6, 'v6 changed') . del(7) . put(100, 'sentinel'));
$recv = start_recv($file2);
my $records2 = ds_wait_for_record($file2, sub { $_[0]{dynamodb}{Keys}{id}{N} eq '100' });
stop_recv($recv, 'phase 2');
$records2 = ds_file_records($file2);

is_deeply(
	summary($records2),
	[ 'INSERT 8', 'MODIFY 6', 'REMOVE 7', 'INSERT 100' ],
	'after the restart: exactly the later writes, nothing confirmed is sent again');
check_sequence($records2, $last,
	'after the restart (and above every record before it)');
is_deeply($records2->[1]{dynamodb}{OldImage}, { id => { N => '6' }, v => { S => 'v6' } },
	'MODIFY after the restart carries the image from before it');

# Decoding the same changes again gives the same sequence numbers and
# eventIDs (a fresh slot cannot go back in time, so peek the kept slot
# from a copy made before phase 3's writes).
$node->safe_psql('postgres',
	"SELECT pg_copy_logical_replication_slot('$slot', 'tap_copy')");
$node->safe_psql('postgres', put(9, 'v9') . del(9));
my $peek = $node->safe_psql('postgres',
	"SELECT string_agg(data, E'\\n') FROM pg_logical_slot_get_changes('tap_copy', NULL, NULL, 'format', 'streams')");
my @peeked = map { JSON::PP::decode_json($_) } split /\n/, $peek;
my $file3 = "$dir/recvlogical_3.json";
$recv = start_recv($file3);
my $records3 = ds_wait_for_record($file3, sub { $_[0]{eventName} eq 'REMOVE' });
stop_recv($recv, 'phase 3');
is_deeply(summary($records3), [ 'INSERT 9', 'REMOVE 9' ], 'phase 3 records');
is_deeply(
	[ map { "$_->{eventID} $_->{dynamodb}{SequenceNumber}" } @$records3 ],
	[ map { "$_->{eventID} $_->{dynamodb}{SequenceNumber}" } @peeked ],
	'pg_recvlogical and the SQL interface give the same eventIDs and sequence numbers');

$node->stop;
done_testing();
