# test/t/095_worker.pl: the background worker (issue 7, item 3 and item 8).
#
# dynamo.start() launches the worker without shared_preload_libraries; it
# sweeps expired TTL items by itself (no CALL), marked as TTL deletes in
# the stream; dynamo.stop() ends it.  With shared_preload_libraries and
# dynamo_streams.databases the launcher starts the workers at server start
# (also in a database without the extension, where the worker idles);
# after kill -9 of the worker the postmaster's crash restart brings it
# back; dynamo.stop(drop_slot => true) releases the pump's slot.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('worker095', extra_conf => qq{
dynamo_streams.ttl_interval = 1
dynamo_streams.worker_naptime = 100
dynamo_streams.ttl_update_interval = 0
restart_after_crash = on
});
my $WORKER_PID = q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dynamo_streams worker' AND datname = 'postgres'};

$node->safe_psql('postgres', q{
	SELECT 'slot' FROM pg_create_logical_replication_slot('w095', 'dynamo_streams');
	SELECT dynamo.create_table('Sessions', 'id', stream_view_type => 'KEYS_ONLY');
	SELECT dynamo.update_time_to_live('Sessions', 'exp', true);
	SELECT dynamo.put_item('Sessions', jsonb_build_object('id', jsonb_build_object('S', 'gone-' || k),
	    'exp', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 60)::text)))
	  FROM generate_series(1, 3) k;
	SELECT dynamo.put_item('Sessions', '{"id":{"S":"keep"},"exp":{"N":"9999999999"}}');
});

# start: the worker sweeps by itself
my $pid = $node->safe_psql('postgres', 'SELECT dynamo.start()');
ok($pid > 0, 'start returns a pid');
is($node->safe_psql('postgres', 'SELECT dynamo.start()'), $pid, 'start again: the same pid');
ok( $node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM dynamo."Sessions"}),
	'the worker deleted the expired items without a CALL');
is($node->safe_psql('postgres', q{SELECT item->'id'->>'S' FROM dynamo."Sessions"}), 'keep',
	'the item that has not expired is kept');
ok( $node->poll_query_until('postgres', q{SELECT ttl_deleted = 3 AND last_ttl_at IS NOT NULL FROM dynamo.status}),
	'status counts the TTL deletes');
my $changes = $node->safe_psql('postgres',
	q{SELECT string_agg(data, E'\n') FROM pg_logical_slot_get_changes('w095', NULL, NULL)});
my $marked = () = $changes =~ /dynamodb\.amazonaws\.com/g;
is($marked, 3, 'the three REMOVE records carry the TTL userIdentity');
$node->safe_psql('postgres', q{SELECT pg_drop_replication_slot('w095')});

# stop
is($node->safe_psql('postgres', 'SELECT dynamo.stop()'), 't', 'stop: it was running');
is($node->safe_psql('postgres', $WORKER_PID), '', 'stop: the worker has exited');
is($node->safe_psql('postgres', 'SELECT state FROM dynamo.status'), 'stopped', 'status: stopped');

# restart with the library preloaded: the launcher starts the workers
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dynamo_streams'
dynamo_streams.databases = 'postgres, other'
});
$node->restart;
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($WORKER_PID) w"),
	'after a restart the worker of postgres is back');
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dynamo_streams worker' AND datname = 'other'}),
	'and the worker of a database without the extension runs (idle)');
$pid = $node->safe_psql('postgres', $WORKER_PID);
is($node->safe_psql('postgres', 'SELECT dynamo.start()'), $pid, 'start finds the launched worker');
$node->safe_psql('postgres', q{
	SELECT dynamo.put_item('Sessions', jsonb_build_object('id', '{"S":"late"}'::jsonb,
	    'exp', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 5)::text)));
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM dynamo."Sessions"}),
	'the launched worker sweeps');

# kill -9: the postmaster restarts everything, and the worker comes back
kill 'KILL', $pid;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM ($WORKER_PID) w WHERE pid <> $pid"),
	'after kill -9 the worker is back with a new pid');
like($node->safe_psql('postgres', 'SELECT state FROM dynamo.status'), qr/^(idle|pump|ttl|trim)$/,
	'status shows it running');

# drop_slot releases the pump's slot once the worker has stopped
my $slot = $node->safe_psql('postgres', q{SELECT 'dynamo_pump_' || oid FROM pg_database WHERE datname = 'postgres'});
# (the pump makes it once the stream log is installed)
$node->safe_psql('postgres', qq{DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '$slot') THEN
		PERFORM pg_create_logical_replication_slot('$slot', 'dynamo_streams');
	END IF; END \$\$});
ok( $node->poll_query_until('postgres', qq{SELECT slot_name = '$slot' AND retained_wal_bytes >= 0 FROM dynamo.status}),
	'status shows the slot and the WAL it retains');
is($node->safe_psql('postgres', 'SELECT dynamo.stop(drop_slot => true)'), 't', 'stop with drop_slot');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'}),
	'0', 'the slot is dropped');
sleep(1);
is($node->safe_psql('postgres', $WORKER_PID), '', 'a stopped worker stays stopped (preloaded)');
$node->safe_psql('other', 'SELECT 1');

$node->stop;
done_testing();
