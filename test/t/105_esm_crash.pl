# test/t/105_esm_crash.pl: event source mapping delivery through crashes
# (issue 8g).  Consumers lease batches with receive_batch (1-second
# leases), and record the records they got together with complete_batch in
# one transaction, or answer fail_batch now and then; each round crashes
# them while batches are leased: kill -9 of a consumer's backend (the
# postmaster restarts every backend) or an immediate stop of the server.
# Leases lost in the crash expire and their records come again.  At the end
# every record of the log has been consumed exactly once (no checkpoint
# lost, no record skipped), each item's records in order, every lane is
# caught up and nothing is in flight.  DS_ESM_ROUNDS sets the rounds
# (default 8).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rounds = $ENV{DS_ESM_ROUNDS} || 8;
my $node = ds_new_node('esm_crash', extra_conf => "restart_after_crash = on\n");
$node->safe_psql('postgres', q{
	SELECT dynamo.create_table('EsmCrash', 'pk', 'S', 'sk', 'N', 'NEW_AND_OLD_IMAGES');
	SELECT dynamo.pump();
	CREATE TABLE consumed (n bigserial, seq text COLLATE "C", pk text, sk int, v int);
	CREATE PROCEDURE writes(round int, n int) LANGUAGE plpgsql AS $$
	BEGIN
	  FOR i IN 1 .. n LOOP
	    PERFORM dynamo.put_item('EsmCrash', jsonb_build_object('pk', jsonb_build_object('S', 'k' || (i % 11)),
	                            'sk', jsonb_build_object('N', (i % 3)::text),
	                            'v', jsonb_build_object('N', (round * 100000 + i)::text)));
	  END LOOP;
	END $$;
	-- one consumer: lease (committed), work a little, then record the
	-- records and answer in one transaction; every 5th batch fails once
	CREATE PROCEDURE consume(loops int) LANGUAGE plpgsql AS $$
	DECLARE b record; k int := 0; idle int := 0;
	BEGIN
	  WHILE k < loops AND idle < 40 LOOP
	    SELECT * INTO b FROM dynamo.receive_batch('crashfn', 1);
	    COMMIT;
	    IF b.batch_id IS NULL THEN
	      idle := idle + 1;
	      PERFORM pg_sleep(0.05);
	      CONTINUE;
	    END IF;
	    idle := 0;
	    k := k + 1;
	    PERFORM pg_sleep(random() * 0.02);
	    IF b.batch_id % 5 = 0 THEN
	      PERFORM dynamo.fail_batch(b.batch_id, 'Unhandled');
	    ELSIF dynamo.complete_batch(b.batch_id) = 'SUCCESS' THEN
	      INSERT INTO consumed (seq, pk, sk, v)
	      SELECT r->'dynamodb'->>'SequenceNumber', r->'dynamodb'->'Keys'->'pk'->>'S', (r->'dynamodb'->'Keys'->'sk'->>'N')::int,
	             (r->'dynamodb'->'NewImage'->'v'->>'N')::int
	        FROM json_array_elements(b.event->'Records') WITH ORDINALITY AS x(r, o) ORDER BY o;
	    END IF;
	    COMMIT;
	  END LOOP;
	END $$;
});
$node->safe_psql('postgres', q{
	SELECT dynamo.create_event_source_mapping('crashfn', s.stream_arn, 'TRIM_HORIZON', batch_size => 7,
	                                          parallelization_factor => 2)
	  FROM dynamo._streams s WHERE s.table_name = 'EsmCrash'});

my $connstr = $node->connstr('postgres');
for my $round (1 .. $rounds)
{
	$node->safe_psql('postgres', "CALL writes($round, 150)");
	$node->safe_psql('postgres', 'SELECT dynamo.pump()');
	my ($out, $err) = ('', '');
	my @consumers = map {
		IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL consume(100000)' ],
			'>', \$out, '2>', \$err)
	} 1 .. 2;
	# crash while batches are leased
	$node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM dynamo._esm_batches})
	  or die "no batch was leased: $err";
	select(undef, undef, undef, 0.1 + rand(0.3));
	my $leased = $node->safe_psql('postgres', 'SELECT count(*) FROM dynamo._esm_batches');
	if ($round % 2)
	{
		my $pid = $node->safe_psql('postgres',
			q{SELECT pid FROM pg_stat_activity WHERE query LIKE '%consume(%' AND pid <> pg_backend_pid() LIMIT 1});
		kill 'KILL', $pid if $pid;
		# the restart can break a poll's connection: poll again
		my $up = 0;
		for (1 .. 10)
		{
			sleep 1;
			$up = eval { $node->poll_query_until('postgres', 'SELECT true') };
			last if $up;
		}
		$up or die 'no restart';
		pass("round $round: killed a consumer ($leased batches leased)");
	}
	else
	{
		$node->stop('immediate');
		$node->start;
		pass("round $round: immediate stop ($leased batches leased)");
	}
	$_->finish for @consumers;
}
# drain: the leases lost in the crashes expire and come again
$node->safe_psql('postgres', 'CALL consume(100000)');

my $total = $node->safe_psql('postgres', q{
	SELECT count(*) FROM dynamo._records r JOIN dynamo._streams s USING (stream_id) WHERE s.table_name = 'EsmCrash'});
cmp_ok($total, '==', 150 * $rounds, "the log holds every write ($total)");
is($node->safe_psql('postgres', 'SELECT count(*) || \' \' || count(DISTINCT seq) FROM consumed'),
	"$total $total", 'every record consumed exactly once');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dynamo._records r JOIN dynamo._streams s USING (stream_id)
	 WHERE s.table_name = 'EsmCrash' AND r.sequence_number NOT IN (SELECT seq FROM consumed)}), '0',
	'no record skipped');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT v < lag(v) OVER (PARTITION BY pk, sk ORDER BY n) AS bad FROM consumed) x WHERE bad}),
	'0', 'each item\'s records consumed in the order written');
is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT state, ',' ORDER BY state) FROM dynamo.event_source_mapping_checkpoints
	 WHERE function_name = 'crashfn'}), 'CaughtUp', 'every lane caught up');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dynamo._esm_batches'), '0', 'nothing in flight');
cmp_ok($node->safe_psql('postgres', q{SELECT sum(processed) FROM dynamo.event_source_mapping_checkpoints
	 WHERE function_name = 'crashfn'}), '==', $total, 'checkpoints count every record once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dynamo.event_source_mapping_failures}), '0',
	'no on-failure record (retries are unlimited)');
$node->safe_psql('postgres', 'SELECT dynamo._pump_drop_slot()');
$node->stop;
done_testing();
