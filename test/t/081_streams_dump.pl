# test/t/081_streams_dump.pl: the streams catalog survives pg_dump and a
# restore on another cluster: every stream (enabled and disabled, of item
# tables and ordinary tables) comes back with its ARN, status and id, the
# _tables trigger does not add a second row for restored enabled streams,
# and streams enabled after the restore get new ids.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $STREAMS = q{SELECT string_agg(stream_id || ' ' || stream_arn || ' ' || stream_status || ' '
                                  || stream_view_type || ' ' || (disabled_at IS NOT NULL) || ' ' || created_at,
                                  E'\n' ORDER BY stream_id) FROM dynamo._streams};

my $old = ds_new_node('dump_old');
$old->safe_psql('postgres', q{
	SELECT dynamo.create_table('Dumped', 'id', stream_view_type => 'KEYS_ONLY');
	SELECT dynamo.update_table('Dumped', false);
	SELECT dynamo.update_table('Dumped', true, 'NEW_IMAGE');
	CREATE TABLE rows_dumped (id int PRIMARY KEY);
	SELECT dynamo.enable_stream('rows_dumped', 'OLD_IMAGE');
	SELECT dynamo.create_table('GoneBefore', 'id', stream_view_type => 'KEYS_ONLY');
	SELECT dynamo.delete_table('GoneBefore');
});
my $before = $old->safe_psql('postgres', $STREAMS);
is(scalar(split /\n/, $before), 4, 'four streams before the dump');
my $dump = $old->basedir . '/streams.sql';
$old->command_ok([ 'pg_dump', '-d', $old->connstr('postgres'), '-f', $dump ], 'pg_dump succeeds');
$old->stop;

my $new = ds_new_node('dump_new');
$new->safe_psql('postgres', 'CREATE DATABASE restored');
$new->command_ok([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-d', $new->connstr('restored'), '-f', $dump ],
	'the dump restores');
is($new->safe_psql('restored', $STREAMS), $before, 'every stream comes back as it was, once');
$new->safe_psql('restored', q{
	SELECT dynamo.update_table('Dumped', false);
	SELECT dynamo.update_table('Dumped', true, 'OLD_IMAGE');
});
is($new->safe_psql('restored', q{
	SELECT count(*) || ' ' || count(DISTINCT stream_id) || ' ' || (max(stream_id) = 5)
	       || ' ' || count(*) FILTER (WHERE stream_status = 'ENABLED')
	  FROM dynamo._streams}),
	'5 5 true 2', 'a stream enabled after the restore gets the next id');
$new->stop;
done_testing();
