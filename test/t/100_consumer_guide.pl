# 100_consumer_guide.pl: the worked examples of docs/guides/consumers.md
# print what the guide shows.  The guide is run like the function
# reference (test/docs/run-examples.pl: one psql session on a fresh
# database, outputs compared after masking ids, times and sequence
# numbers), on a node of its own, so that the guide cannot drift from what
# event source mappings do.
use strict;
use warnings;

use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use DynamoStreamsTest;

my $src = File::Spec->rel2abs(dirname(__FILE__) . '/../..');
my $node = ds_new_node('guide');

# run-examples.pl reads a directory: README.md (its examples first) and
# the pages it links, in order
my $dir = PostgreSQL::Test::Utils::tempdir();
open my $fh, '>', "$dir/README.md" or die "$dir/README.md: $!";
print $fh "# consumer guide\n\n```sql\nCREATE EXTENSION dynamo_streams;\n```\n"
  . "```text\nCREATE EXTENSION\n```\n\n1. [consumers](consumers.md)\n";
close $fh;
copy("$src/docs/guides/consumers.md", "$dir/consumers.md") or die "copy: $!";

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
delete local $ENV{PGUSER};
local $ENV{DS_DOCS_DB} = 'consumer_guide';
local $ENV{DS_DOCS_UPDATE} = '';
my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'perl', "$src/test/docs/run-examples.pl", $dir ],
	'>', \$stdout, '2>', \$stderr);
ok($ok, 'every example of docs/guides/consumers.md prints what the guide shows')
  or diag("$stdout\n$stderr");
like($stdout, qr/examples on 2 pages: all as shown/, 'the guide\'s examples ran');

$node->stop;
done_testing();
