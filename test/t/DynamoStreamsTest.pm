# test/t/DynamoStreamsTest.pm: shared set-up for the dynamo_streams TAP tests.
#
# ds_new_node() makes and starts a PostgreSQL::Test::Cluster node configured
# like the test server of test/run-tests.sh: wal_level = logical, the
# settings of the file named by $DS_TEST_CONF (test/postgresql.conf), and
# output_plugin_libraries listing dynamo_streams where this server has that
# parameter (older minors refuse to start with an unknown one).  The other
# helpers read JSON records written by pg_recvlogical and wait for them.

package DynamoStreamsTest;

use strict;
use warnings;

use Exporter 'import';
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

our @EXPORT = qw(ds_new_node ds_file_records ds_wait_for_record ds_sql_json);

# The plugins a node may use: the whole list, since the setting replaces it.
my $PLUGINS = 'pgoutput, test_decoding, dynamo_streams, wal2json';

# ds_new_node(NAME[, extra_conf => TEXT][, version => V]): an initialised,
# started node with the extension (the default version, or V) created in
# database postgres.
sub ds_new_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init(allows_streaming => 'logical');
	$node->append_conf('postgresql.conf', slurp_file($ENV{DS_TEST_CONF}))
	  if $ENV{DS_TEST_CONF};
	my ($stdout) = run_command([ 'postgres', '--describe-config' ]);
	$node->append_conf('postgresql.conf',
		"output_plugin_libraries = '$PLUGINS'\n")
	  if $stdout =~ /^output_plugin_libraries\t/m;
	$node->append_conf('postgresql.conf', $opts{extra_conf})
	  if $opts{extra_conf};
	$node->start;
	my $version = $opts{version} ? " VERSION '$opts{version}'" : '';
	$node->safe_psql('postgres', "CREATE EXTENSION dynamo_streams$version");
	return $node;
}

# ds_file_records(PATH): the JSON records in a file of one record per line
# (as pg_recvlogical writes them), decoded; [] when the file is missing.
sub ds_file_records
{
	my ($path) = @_;
	return [] unless -e $path;
	my @lines = grep { $_ ne '' } split /\n/, slurp_file($path);
	return [ map { decode_json($_) } @lines ];
}

# ds_wait_for_record(PATH, CODE): wait until a record for which CODE returns
# true is in the file; returns all records then.  Fails the test (and
# returns what is there) after the TAP timeout.
sub ds_wait_for_record
{
	my ($path, $match) = @_;
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (time() < $deadline)
	{
		# Only complete lines: pg_recvlogical may be half-way through one.
		if (-e $path)
		{
			my $text = slurp_file($path);
			$text =~ s/[^\n]*\z//;
			my $records = [ map { decode_json($_) } grep { $_ ne '' } split /\n/, $text ];
			return $records if grep { $match->($_) } @$records;
		}
		usleep(100_000);
	}
	fail("timed out waiting for a record in $path");
	return ds_file_records($path);
}

# ds_sql_json(NODE, SQL): the single jsonb/json value SQL returns, decoded.
sub ds_sql_json
{
	my ($node, $sql) = @_;
	return decode_json($node->safe_psql('postgres', $sql));
}

1;
