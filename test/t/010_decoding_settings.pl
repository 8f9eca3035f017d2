# test/t/010_decoding_settings.pl: the output plugin's records depend on
# the WAL only, whatever the server's and the reading session's settings,
# and a record that cannot be built never stops a pg_recvlogical stream.
#
# One slot, one set of writes covering the types whose text used to follow
# a setting.  The records are read through SQL with the defaults, then by
# pg_recvlogical with hostile settings in PGOPTIONS, then (after a restart
# with hostile settings in the server's configuration and ALTER DATABASE)
# through SQL and pg_recvlogical again: every read must be byte-identical.
# sql/045_decoding_settings.sql covers SET and ALTER ROLE and every mapped
# type.  Last, with -o max-record-bytes=1kB a record over the cap arrives
# without its images, marked "omitted", the stream goes on with the next
# one, and pg_recvlogical shows the WARNING.

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

my $node = ds_new_node('settings');
my $slot = 'tap_settings';
my $dir = $PostgreSQL::Test::Utils::tmp_check;

$node->safe_psql(
	'postgres', q{
CREATE SCHEMA s;
CREATE TABLE s.target (id int);
CREATE TABLE kinds (id int PRIMARY KEY, f4 float4, f8 float8, tstz timestamptz, ts timestamp,
  d date, iv interval, mon money, b bytea, f8a float8[], tstza timestamptz[], ba bytea[],
  iva interval[], mona money[], rc regclass, pt point);
SELECT dynamo.enable_stream('kinds', 'NEW_AND_OLD_IMAGES');
SELECT pg_create_logical_replication_slot('tap_settings', 'dynamo_streams');
INSERT INTO kinds VALUES (1, 1.1, 0.1::float8 + 0.2::float8, '2026-01-02 03:04:05.678+00',
  '2026-01-02 03:04:05', '2026-01-02', '1 year 2 days 03:04:05', 1234.5, '\x00ff',
  ARRAY[0.1::float8 + 0.2::float8, 1e-7], '{"2026-01-02 03:04:05+00"}', '{"\\\\x41"}',
  '{"1 day"}', '{1.5}', 's.target', '(0.1,0.2)');
UPDATE kinds SET f8 = 0.3;
UPDATE kinds SET f8 = 0.1::float8 + 0.2::float8;
DELETE FROM kinds;
});
my $endpos = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');

# All records of the slot through SQL, one per line.
sub sql_read
{
	my ($what) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(data, E'\\n') FROM pg_logical_slot_peek_changes('$slot', '$endpos', NULL)"
	) . "\n";
}

# All records of the slot through pg_recvlogical (which confirms nothing
# here: --no-loop, stopped at the end position, and the slot is peeked
# again afterwards from a copy).  Returns the file's text and stderr.
my $n = 0;

sub recv_read
{
	my ($options, @opts) = @_;
	my $copy = 'tap_settings_copy_' . ++$n;
	$node->safe_psql('postgres',
		"SELECT pg_copy_logical_replication_slot('$slot', '$copy')");
	my $file = "$dir/settings_$n.json";
	my ($out, $err) = ('', '');
	local $ENV{PGOPTIONS} = $options;
	IPC::Run::run(
		[
			'pg_recvlogical', '-d', $node->connstr('postgres'), '--slot', $copy,
			'--start', '--no-loop', '-E', $endpos, '-f', $file, '-s', '1', @opts
		],
		'>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('$copy')");
	return (-e $file ? slurp_file($file) : '', $err);
}

my $defaults = sql_read();
my @records = map { decode_json($_) } split /\n/, $defaults;
is_deeply([ map { $_->{eventName} } @records ],
	[ 'INSERT', 'MODIFY', 'MODIFY', 'REMOVE' ],
	'every change is a record, 0.3 and 0.1 + 0.2 are different values');
is_deeply(
	$records[0]{dynamodb}{NewImage}{f8},
	{ N => '0.30000000000000004' },
	'float8 as its shortest exact decimal');

my $hostile =
	'-c extra_float_digits=-15 -c DateStyle=SQL,DMY -c IntervalStyle=sql_standard '
  . '-c TimeZone=Asia/Kathmandu -c bytea_output=escape -c search_path=s,public '
  . '-c quote_all_identifiers=on';
my ($recv, $err) = recv_read($hostile);
is($recv, $defaults,
	'pg_recvlogical with hostile settings in PGOPTIONS: byte-identical records');

# hostile settings in the server's configuration and the database's
$node->append_conf(
	'postgresql.conf', q{
timezone = 'Pacific/Chatham'
datestyle = 'German, DMY'
intervalstyle = 'postgres_verbose'
extra_float_digits = 3
bytea_output = 'escape'
lc_monetary = 'C.UTF-8'
});
$node->restart;
$node->safe_psql('postgres',
	q{ALTER DATABASE postgres SET extra_float_digits = 0; ALTER DATABASE postgres SET search_path = s, public});
is($node->safe_psql('postgres', 'SHOW DateStyle') . ' '
	  . $node->safe_psql('postgres', 'SHOW extra_float_digits'),
	'German, DMY 0', 'the server and database settings are in force');
is(sql_read(), $defaults,
	'SQL read under hostile server and database settings: byte-identical records');
($recv, $err) = recv_read('');
is($recv, $defaults,
	'pg_recvlogical under hostile server and database settings: byte-identical records');
($recv, $err) = recv_read($hostile);
is($recv, $defaults, 'and with PGOPTIONS on top');

# a record over max-record-bytes does not stop the stream
$node->safe_psql('postgres',
	    q{SELECT pg_replication_slot_advance('tap_settings', pg_current_wal_lsn());}
	  . q{CREATE TABLE wide (id int PRIMARY KEY, t text);}
	  . q{SELECT dynamo.enable_stream('wide', 'NEW_IMAGE');}
	  . q{INSERT INTO wide VALUES (1, repeat(chr(1), 2000));}
	  . q{INSERT INTO wide VALUES (2, 'after');});
$endpos = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
($recv, $err) = recv_read('', '-o', 'max-record-bytes=1kB');
@records = map { decode_json($_) } split /\n/, $recv;
is_deeply(
	[
		map { join ' ', $_->{dynamodb}{Keys}{id}{N}, $_->{omitted} // '-',
			exists $_->{dynamodb}{NewImage} ? 'image' : 'no image' } @records
	],
	[ '1 max-record-bytes no image', '2 - image' ],
	'pg_recvlogical: the record over max-record-bytes comes without images, the next one whole');
like($err, qr/WARNING:  dynamo_streams record of table "wide" is sent without its images/,
	'pg_recvlogical shows the WARNING');
ok((grep { length($_) <= 1024 } split /\n/, $recv) == 2, 'each record within max-record-bytes');

$node->stop;
done_testing();
