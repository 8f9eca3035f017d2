# test/t/090_pump_exactly_once.pl: the stream log pump writes every record
# exactly once through crashes.  A writer commits many small transactions
# (puts, updates, deletes, multi-item transactions) while a pump loop runs;
# each round crashes the pump mid-way: kill -9 of the pump's backend (the
# postmaster restarts every backend) or an immediate stop of the server.
# After the rounds the pump drains the slot, and the log must hold exactly
# the records of a full decode of the same WAL (a second slot made at the
# same time): each record once, the same content, sequence numbers
# strictly increasing in every shard.  DS_PUMP_ROUNDS sets the rounds
# (default 20) and DS_PUMP_WRITERS the concurrent writers (default 3).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rounds = $ENV{DS_PUMP_ROUNDS} || 20;
my $writers = $ENV{DS_PUMP_WRITERS} || 3;
# a killed backend makes the postmaster restart the others (Cluster.pm turns it off)
my $node = ds_new_node('pump_crash', extra_conf => "restart_after_crash = on\n");
$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('Crash', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');
	CREATE PROCEDURE writes(round int, n int) LANGUAGE plpgsql AS $$
	BEGIN
	  FOR i IN 1 .. n LOOP
	    IF i % 7 = 0 THEN
	      PERFORM dynamo.delete_item('Crash', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 13)),
	                                 'sk', jsonb_build_object('N', ((i + round) % 5)::text)));
	    ELSIF i % 5 = 0 THEN
	      PERFORM dynamo.put_item('Crash', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 13)),
	                              'sk', jsonb_build_object('N', ((i + round) % 5)::text), 'v', jsonb_build_object('N', (i * round)::text)))
	        FROM generate_series(1, 3);
	    ELSE
	      PERFORM dynamo.put_item('Crash', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 13)),
	                              'sk', jsonb_build_object('N', ((i + round) % 5)::text), 'v', jsonb_build_object('S', round || '/' || i)));
	    END IF;
	    COMMIT;
	  END LOOP;
	END $$;
	CREATE PROCEDURE pump_loop() LANGUAGE plpgsql AS $$
	BEGIN
	  LOOP
	    PERFORM dynamo.pump(37);
	    COMMIT;
	  END LOOP;
	END $$;
});
# the pump's slot, then the reference slot: nothing written in between
$node->safe_psql('postgres', 'SELECT dynamo.pump()');
$node->safe_psql('postgres', q{SELECT pg_create_logical_replication_slot('ref', 'dynamo_streams')});

my $connstr = $node->connstr('postgres');
for my $round (1 .. $rounds)
{
	my ($out, $err) = ('', '');
	my @writer = map {
		my $w = $_;
		IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL writes(' . ($round * 10 + $w) . ', 400)' ],
			'>', \$out, '2>', \$err)
	} 1 .. $writers;
	my $pumper = IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL pump_loop()' ],
		'>', \$out, '2>', \$err);
	# let both run a while, then crash the pump in the middle of its work
	$node->poll_query_until('postgres',
		q{SELECT records > 0 FROM dynamo._pump}) or die "the pump never wrote: $err";
	select(undef, undef, undef, 0.2 + rand(0.6));
	if ($round % 2)
	{
		my $pid = $node->safe_psql('postgres',
			q{SELECT pid FROM pg_stat_activity WHERE query LIKE '%pump_loop%' AND pid <> pg_backend_pid()});
		ok($pid, "round $round: the pump runs");
		kill 'KILL', $pid if $pid;
		$node->poll_query_until('postgres', 'SELECT true') or die 'no restart';
	}
	else
	{
		$node->stop('immediate');
		$node->start;
		pass("round $round: immediate stop");
	}
	$_->finish for @writer;
	$pumper->finish;
	# the interrupted writer: write the rest of the round again
	$node->safe_psql('postgres', "CALL writes($round, 50)");
}
# drain
for (1 .. 1000)
{
	last if $node->safe_psql('postgres', 'SELECT dynamo.pump(100000)') eq '0';
}
# the log against the full decode: sequence number, event, keys, images
my $ref = $node->safe_psql('postgres', q{
	SELECT string_agg(f[2] || ' ' || f[5] || ' ' || f[12] || ' ' || f[13] || ' ' || f[14], E'\n' ORDER BY f[2])
	  FROM (SELECT string_to_array(data, E'\t') f
	          FROM pg_logical_slot_peek_changes('ref', NULL, NULL, 'format', 'pump', 'tables', 'Crash')) x});
my $log = $node->safe_psql('postgres', q{
	SELECT string_agg(r.sequence_number || ' ' || r.event_name || ' ' || r.keys || ' ' || coalesce(r.new_image, '')
	                  || ' ' || coalesce(r.old_image, ''), E'\n' ORDER BY r.sequence_number)
	  FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'Crash'});
my @ref = split /\n/, $ref;
my @log = split /\n/, $log;
cmp_ok(scalar(@ref), '>', 1000, 'the full decode has many records (' . scalar(@ref) . ')');
is(scalar(@log), scalar(@ref), 'the log has as many records');
is($log, $ref, 'the log holds every record of the full decode exactly once');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT r.sequence_number <= lag(r.sequence_number) OVER w AS bad
	                        FROM dynamo._records r WINDOW w AS (PARTITION BY r.shard_no ORDER BY r.arrived_at, r.sequence_number)) x
	 WHERE bad}), '0', 'sequence numbers increase within every shard, in the order written');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no)
	 WHERE sh.hash_slot <> dynamo._hash_slot(r.key_hash, sh.slot_count)}), '0', 'every record in its key\'s shard');
$node->safe_psql('postgres', q{SELECT dynamo._pump_drop_slot(); SELECT pg_drop_replication_slot('ref')});
$node->stop;
done_testing();
