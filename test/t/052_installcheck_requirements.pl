# test/t/052_installcheck_requirements.pl: `make installcheck` against a
# server without wal_level = logical stops at once with a message saying
# what to set, before pg_regress touches anything (the suites decode WAL).
# The passing path is the test command itself: test/run-tests.sh runs the
# suites through `make installcheck`.

use strict;
use warnings;

use FindBin;
use File::Basename qw(dirname);
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $src = dirname(dirname($FindBin::RealBin));
my $node = PostgreSQL::Test::Cluster->new('replica_level');
$node->init;
$node->append_conf('postgresql.conf', "wal_level = replica\n");
$node->start;

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'make', '-s', '-C', $src, 'installcheck' ],
	'>', \$stdout, '2>', \$stderr);
ok(!$ok, 'make installcheck fails on a server with wal_level = replica');
like(
	$stderr,
	qr/the server runs with wal_level = replica; the suites decode WAL and need wal_level = logical/,
	'and says why');
unlike($stdout . $stderr, qr/contrib_regression/, 'before pg_regress ran');

$node->stop;
done_testing();
