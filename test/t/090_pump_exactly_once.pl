# test/t/090_pump_exactly_once.pl: the stream log pump writes every record
# exactly once through crashes (issue 7, item 10).  Several writers commit
# transactions of several changes each (puts of new values, deletes, puts
# of an identical item, which are no-ops) on a shared set of items while a
# pump loop runs; each round crashes the pump in the middle of its work:
# kill -9 of the pump's backend (the postmaster restarts every backend) or
# an immediate stop of the server.  The writers then finish the round's
# share (their committed progress is in a table).  After the rounds the
# pump drains the slot, and the log must hold exactly the records of a
# full decode of the same WAL (a second slot made at the same time): each
# record once, with the same content; each item's records in write order
# (every OldImage is the previous NewImage); sequence numbers strictly
# increasing within every shard; the no-op counts those of the full
# decode.
#
# Settings: DS_PUMP_ROUNDS (default 20), DS_PUMP_WRITERS (default 3),
# DS_PUMP_CHANGES (changes per round, default 5000: about 100,000 in all).

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
my $changes = $ENV{DS_PUMP_CHANGES} || 5000;
my $per_txn = 8;
my $txns = int($changes / $writers / $per_txn) + 1;
# a killed backend makes the postmaster restart the others (Cluster.pm turns it off)
my $node = ds_new_node('pump_crash', extra_conf => "restart_after_crash = on\n");
$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('Crash', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');
	CREATE TABLE progress (round int, w int, done int NOT NULL DEFAULT 0, PRIMARY KEY (round, w));
	-- writer w's share of a round: txns transactions of per changes, from
	-- where its last committed transaction left off
	CREATE PROCEDURE writes(round int, w int, txns int, per int) LANGUAGE plpgsql AS $$
	DECLARE
	  start int;
	  k int;
	  key jsonb;
	BEGIN
	  INSERT INTO progress VALUES (round, w) ON CONFLICT DO NOTHING;
	  SELECT p.done INTO start FROM progress p WHERE p.round = writes.round AND p.w = writes.w;
	  COMMIT;
	  FOR i IN start + 1 .. txns LOOP
	    FOR j IN 1 .. per LOOP
	      k := (i * 31 + j * 17 + w * 7 + round) % 60;
	      key := jsonb_build_object('pk', jsonb_build_object('S', 'k' || (k % 12)),
	                                'sk', jsonb_build_object('N', (k / 12)::text));
	      IF (i + j) % 9 = 0 THEN
	        PERFORM dynamo.delete_item('Crash', key);
	      ELSIF (i + j) % 7 = 0 THEN
	        -- the item as it is: a no-op when it exists
	        PERFORM dynamo.put_item('Crash', coalesce(dynamo.get_item('Crash', key) -> 'Item', key));
	      ELSE
	        PERFORM dynamo.put_item('Crash', key || jsonb_build_object('v',
	                  jsonb_build_object('S', round || '/' || w || '/' || i || '/' || j)));
	      END IF;
	    END LOOP;
	    UPDATE progress p SET done = i WHERE p.round = writes.round AND p.w = writes.w;
	    COMMIT;
	  END LOOP;
	END $$;
	CREATE PROCEDURE pump_loop() LANGUAGE plpgsql AS $$
	BEGIN
	  LOOP
	    PERFORM dynamo.pump(500);
	    COMMIT;
	  END LOOP;
	END $$;
});
# the pump's slot, then the reference slot: nothing written in between
$node->safe_psql('postgres', 'SELECT dynamo.pump()');
$node->safe_psql('postgres', q{SELECT pg_create_logical_replication_slot('ref', 'dynamo_streams')});

my $connstr = $node->connstr('postgres');
my ($out, $err) = ('', '');
# start the writers of a round (and, unless $quiet, the pump loop)
sub start_round
{
	my ($round) = @_;
	my @procs = map {
		IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', "CALL writes($round, $_, $txns, $per_txn)" ],
			'>', \$out, '2>', \$err)
	} 1 .. $writers;
	push @procs, IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL pump_loop()' ],
		'>', \$out, '2>', \$err);
	return @procs;
}

for my $round (1 .. $rounds)
{
	my $before = $node->safe_psql('postgres', 'SELECT records FROM dynamo._pump');
	my @procs = start_round($round);
	# let them run a while, then crash the pump in the middle of its work
	$node->poll_query_until('postgres', "SELECT records > $before FROM dynamo._pump")
	  or die "the pump never wrote: $err";
	select(undef, undef, undef, 0.1 + rand(0.5));
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
	$_->finish for @procs;
	# the writers finish the round's share (the pump runs on, is stopped)
	@procs = start_round($round);
	$procs[$_]->finish for 0 .. $writers - 1;
	$procs[-1]->kill_kill;
	$node->safe_psql('postgres',
		q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pump_loop%' AND pid <> pg_backend_pid()});
	$node->poll_query_until('postgres',
		q{SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE '%pump_loop%' AND pid <> pg_backend_pid())})
	  or die 'the pump loop does not end';
}
is($node->safe_psql('postgres', 'SELECT count(*), sum(done) FROM progress'),
	($rounds * $writers) . '|' . ($rounds * $writers * $txns), 'every writer wrote its share');
# drain
for (1 .. 20)
{
	last if $node->safe_psql('postgres', 'SELECT dynamo.pump(100000)') eq '0';
}
# the full decode of the same WAL
$node->safe_psql('postgres', q{
	CREATE TABLE ref AS
	SELECT f[1] AS kind, f[2] AS seq, f[5] AS ev, f[12] AS keys, nullif(f[13], '') AS new_image,
	       nullif(f[14], '') AS old_image, f[6] AS noops
	  FROM (SELECT string_to_array(data, E'\t') f
	          FROM pg_logical_slot_peek_changes('ref', NULL, NULL, 'format', 'pump', 'tables', 'Crash')) x;
	CREATE TABLE log AS
	SELECT r.* FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'Crash';
});
my $nref = $node->safe_psql('postgres', q{SELECT count(*) FROM ref WHERE kind = 'R1'});
cmp_ok($nref, '>=', $rounds * $changes * 0.6, "the full decode has about as many records as changes ($nref)");
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT sequence_number) FROM log'),
	"$nref|$nref", 'the log has as many records, each once');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM ref f JOIN log l
	    ON l.sequence_number = f.seq AND l.event_name = f.ev AND l.keys = f.keys
	   AND l.new_image IS NOT DISTINCT FROM f.new_image AND l.old_image IS NOT DISTINCT FROM f.old_image
	 WHERE f.kind = 'R1'}), $nref, 'the log holds every record of the full decode, with the same content');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (
	  SELECT event_name, old_image, lag(new_image) OVER w AS prev_new, lag(event_name) OVER w AS prev_ev
	    FROM log WINDOW w AS (PARTITION BY keys ORDER BY sequence_number)) x
	 WHERE (event_name = 'INSERT' AND prev_ev IS NOT NULL AND prev_ev <> 'REMOVE')
	    OR (event_name <> 'INSERT' AND old_image IS DISTINCT FROM prev_new)}), '0',
	'each item\'s records are in write order (every OldImage is the previous NewImage)');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT r.sequence_number <= lag(r.sequence_number) OVER w AS bad
	                        FROM log r WINDOW w AS (PARTITION BY r.shard_no ORDER BY r.arrived_at, r.sequence_number)) x
	 WHERE bad}), '0', 'sequence numbers increase within every shard, in the order written');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM log r JOIN dynamo._shards sh USING (shard_no)
	 WHERE sh.hash_slot <> dynamo._hash_slot(r.key_hash, sh.slot_count)}), '0', 'every record in its key\'s shard');
my $noops = $node->safe_psql('postgres', q{SELECT sum(noops::bigint) FROM ref WHERE kind = 'N1'});
cmp_ok($noops, '>', 0, "the writers made no-op writes ($noops)");
is($node->safe_psql('postgres', q{
	SELECT sum(n.suppressed) FROM dynamo._noop_counts n JOIN dynamo._streams s USING (stream_id)
	 WHERE s.table_name = 'Crash'}), $noops, 'the no-op counts are those of the full decode, each once');
$node->safe_psql('postgres', q{SELECT dynamo._pump_drop_slot(); SELECT pg_drop_replication_slot('ref')});
$node->stop;
done_testing();
