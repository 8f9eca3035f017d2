# test/t/120_http_push_restart.pl: push delivery through restarts (issue
# 10, item 5).  A mapping pushes a stream of 4 shards to the Lambda Invoke
# API stub (test/e2e/lib/lambda-stub.mjs, answering after 300 ms, so that
# a batch per shard is in flight most of the time) while writers keep
# adding items.  The stub is killed (SIGKILL) and restarted three times,
# then PostgreSQL itself is stopped in immediate mode and started again.
# Afterwards:
#   * no record is lost: every record of the stream was answered by the
#     function, and every shard's checkpoint is its last record;
#   * none is skipped: per shard, the records answered so far always form
#     a prefix of the shard (a batch never starts past an unconfirmed one);
#   * only unconfirmed batches are delivered again: a record answered more
#     than once was in a batch in flight when PostgreSQL went down (its
#     completion had not committed); across stub restarts no answered
#     batch is delivered again.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

my $stub_js = "$FindBin::RealBin/../e2e/lib/lambda-stub.mjs";
my $log = "${PostgreSQL::Test::Utils::tmp_check}/stub120.log";
my $port = PostgreSQL::Test::Cluster::get_free_port();
unlink $log, "$log.out";

my $node = ds_new_node('http120', extra_conf => qq{
dynamo_streams.worker_naptime = 100
dynamo_streams.http_allowed_hosts = '127.0.0.1'
dynamo_streams.http_retry_backoff = 50
dynamo_streams.http_retry_max_backoff = 1000
});

# the stub: node lambda-stub.mjs PORT LOGFILE DELAYMS
my $stub_pid;
sub start_stub
{
	$stub_pid = fork();
	die "fork: $!" unless defined $stub_pid;
	if ($stub_pid == 0)
	{
		open(STDOUT, '>>', "$log.out");
		exec('node', $stub_js, $port, $log, 300) or die "exec node: $!";
	}
	# wait until it listens
	for (1 .. 100)
	{
		last if -e "$log.out" && slurp_file("$log.out") =~ /listening $port/;
		usleep(50_000);
	}
}
sub kill_stub
{
	kill 'KILL', $stub_pid;
	waitpid($stub_pid, 0);
	unlink "$log.out";
}

my $recv_count = sub {
	return 0 unless -e $log;
	return scalar(() = slurp_file($log) =~ /"ev":"recv"/g);
};

start_stub();
$node->safe_psql('postgres', qq{
	SELECT dynamo.create_table('Pushed', 'id', 'S', NULL, 'S', 'NEW_IMAGE');
	SELECT dynamo.pump();
	SELECT dynamo.create_event_source_mapping('ok',
	    (SELECT stream_arn FROM dynamo._streams WHERE table_name = 'Pushed'), 'TRIM_HORIZON',
	    batch_size => 10,
	    function_url => 'http://127.0.0.1:$port/2015-03-31/functions/ok/invocations');
	SELECT dynamo.update_function_configuration('ok', 2);
	SELECT dynamo.start();
});

# writers: 10 transactions of 20 items now, more between the restarts
my $next = 0;
sub write_items
{
	my ($txns) = @_;
	for (1 .. $txns)
	{
		my $from = $next;
		$next += 20;
		$node->safe_psql('postgres', qq{
			SELECT dynamo.put_item('Pushed', jsonb_build_object('id', jsonb_build_object('S', 'k' || g)))
			  FROM generate_series($from, $from + 19) g;
		});
	}
}
write_items(10);

# three stub restarts, each while requests are in flight
for my $round (1 .. 3)
{
	my $seen = $recv_count->();
	for (1 .. 200)
	{
		last if $recv_count->() > $seen + 3;
		usleep(20_000);
	}
	usleep(150_000);    # mid-answer (the stub answers after 300 ms)
	kill_stub();
	write_items(3);
	sleep(1);           # connections refused meanwhile: function errors
	start_stub();
}

# PostgreSQL stops in immediate mode with batches in flight
write_items(5);
{
	my $seen = $recv_count->();
	for (1 .. 200)
	{
		last if $recv_count->() > $seen + 3;
		usleep(20_000);
	}
}
usleep(100_000);
my $crash_at = time() * 1000;
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', 'SELECT dynamo.start()');
write_items(2);

my $total = $next;
ok( $node->poll_query_until('postgres', qq{
	SELECT count(*) = $total FROM dynamo._records r JOIN dynamo._shards h ON h.shard_no = r.shard_no
	  JOIN dynamo._streams s ON s.stream_id = h.stream_id WHERE s.table_name = 'Pushed'}),
	"all $total records are in the stream log");
# leases of the batches in flight at the crash expire (2 s timeout + 1 s
# back-off + 10 s), then those batches are delivered again
ok( $node->poll_query_until('postgres', q{
	SELECT bool_and(c.checkpoint_sequence_number IS NOT DISTINCT FROM
	                (SELECT max(r.sequence_number) FROM dynamo._records r JOIN dynamo._shards h ON h.shard_no = r.shard_no
	                  WHERE h.shard_id = c.shard_id))
	  FROM dynamo.event_source_mapping_checkpoints c}),
	'every shard is checkpointed at its last record');
kill_stub();

# the stub's log: deliveries and answers
my (%recv, %answered);
for my $l (split /\n/, slurp_file($log))
{
	my $e = decode_json($l);
	$recv{ $e->{id} } = $e if $e->{ev} eq 'recv';
	$answered{ $e->{id} } = $e->{t} if $e->{ev} eq 'answered';
}
my %shard_of = map { split /\|/ } split /\n/, $node->safe_psql('postgres', q{
	SELECT r.sequence_number || '|' || h.shard_id FROM dynamo._records r JOIN dynamo._shards h ON h.shard_no = r.shard_no});
my %shard_seqs;
push @{ $shard_seqs{ $shard_of{$_} } }, $_ for sort keys %shard_of;

# no record lost
my %answers;
for my $id (keys %answered)
{
	$answers{$_}++ for @{ $recv{$id}{seqs} };
}
my @lost = grep { !$answers{$_} } keys %shard_of;
is(scalar(@lost), 0, 'no record lost: every record was answered by the function');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dynamo.event_source_mapping_failures'), '0',
	'no batch was discarded');

# none skipped: answered batches of a shard, in answer order, only ever
# extend a prefix of the shard (or repeat part of it)
my $skips = 0;
my %prefix;    # shard -> index of the first record not yet answered
for my $id (sort { $answered{$a} <=> $answered{$b} } keys %answered)
{
	my @seqs = @{ $recv{$id}{seqs} };
	my $shard = $shard_of{ $seqs[0] };
	my $list = $shard_seqs{$shard};
	my ($first) = grep { $list->[$_] eq $seqs[0] } 0 .. $#$list;
	my $p = $prefix{$shard} // 0;
	if ($first > $p)
	{
		$skips++;
		diag("batch $id of $shard starts at record $first of the shard, answered so far up to $p; recv at $recv{$id}{t}, answered at $answered{$id}");
	}
	$prefix{$shard} = $first + @seqs if $first + @seqs > $p;
}
is($skips, 0, 'none skipped: every answered batch starts within the answered prefix of its shard');

# redeliveries only of unconfirmed batches
my @twice = grep { $answers{$_} > 1 } keys %answers;
my $unexplained = 0;
for my $seq (@twice)
{
	my @times = sort { $a <=> $b } map { $recv{$_}{t} }
	  grep { grep { $_ eq $seq } @{ $recv{$_}{seqs} } } keys %answered;
	# all but the last answered delivery were in flight at the crash
	if (grep { $_ < $crash_at - 3000 || $_ > $crash_at } @times[ 0 .. $#times - 1 ])
	{
		$unexplained++;
		diag("record $seq answered at deliveries received at @times (crash at $crash_at)") if $unexplained < 5;
	}
}
is($unexplained, 0, 'records answered twice were only those in flight when PostgreSQL stopped ('
	  . scalar(@twice) . ' records)');
my $unanswered = grep { !exists $answered{$_} } keys %recv;
ok($unanswered > 0, "requests cut off by the stub restarts were delivered again ($unanswered cut off)");

$node->safe_psql('postgres', 'SELECT dynamo.stop()');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'dynamo_streams%'}), '0',
	'stop() ends the delivery worker too');
$node->stop;
done_testing();
