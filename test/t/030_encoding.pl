# test/t/030_encoding.pl: dynamo_streams refuses databases whose encoding
# is not UTF8 (DynamoDB strings are UTF-8; stream records must be valid
# UTF-8 whatever the database stores).
#
#  * CREATE EXTENSION in a LATIN1 or SQL_ASCII database fails with the
#    error and its hint, and leaves nothing behind;
#  * a 0.1.0 install made there before the check (0.1.0 had none) cannot
#    be used with the current library: item functions, the item guard of
#    plain SQL writes, attribute value functions and the output plugin all
#    refuse, and ALTER EXTENSION UPDATE fails and keeps 0.1.0;
#  * a UTF8 database in the same cluster is unaffected.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('encoding');
my $refusal = qr/ERROR:  dynamo_streams needs a database with encoding UTF8, not /;
my $hint = qr/HINT:  Create a UTF8 database, for example with CREATE DATABASE mydb ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0/;

# sql_fails(DB, SQL, ENCODING, NAME): SQL fails in DB with the refusal.
sub sql_fails
{
	my ($db, $sql, $encoding, $name) = @_;
	my ($ret, $stdout, $stderr) = $node->psql($db, $sql);
	isnt($ret, 0, "$name fails");
	like($stderr, qr/${refusal}\Q$encoding\E\n/, "$name: the error names the encoding");
	return $stderr;
}

for my $encoding ('LATIN1', 'SQL_ASCII')
{
	my $db = lc "enc_$encoding";
	$node->safe_psql('postgres',
		"CREATE DATABASE $db ENCODING '$encoding' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	my $stderr = sql_fails($db, 'CREATE EXTENSION dynamo_streams', $encoding,
		"CREATE EXTENSION in a $encoding database");
	like($stderr, qr/DETAIL:  DynamoDB strings are UTF-8/, "$encoding: detail");
	like($stderr, $hint, "$encoding: the hint says how to make a UTF8 database");
	is($node->safe_psql($db,
			"SELECT count(*) FROM pg_namespace WHERE nspname = 'dynamo'"),
		'0', "$encoding: nothing was created");
}

# A 0.1.0 install in a LATIN1 database, made before the check existed.
my $db = 'enc_latin1';
$node->safe_psql($db, "CREATE EXTENSION dynamo_streams VERSION '0.1.0'");
$node->safe_psql($db, "SELECT dynamo.create_table('Old', 'k')");
sql_fails($db, q{SELECT dynamo.put_item('Old', '{"k":{"S":"caf\u00e9"}}')},
	'LATIN1', 'put_item');
sql_fails($db, q{SELECT dynamo.get_item('Old', '{"k":{"S":"a"}}')},
	'LATIN1', 'get_item');
sql_fails($db,
	q{SELECT dynamo.batch_write_item('{"Old":[{"PutRequest":{"Item":{"k":{"S":"a"}}}}]}')},
	'LATIN1', 'batch_write_item');
sql_fails($db, q{INSERT INTO dynamo."Old" VALUES ('a', '{"k":{"S":"a"}}')},
	'LATIN1', 'a plain SQL write (the item guard)');
sql_fails($db, q{SELECT dynamo.item_size('{"a":{"S":"caf\u00e9"}}')},
	'LATIN1', 'item_size');
sql_fails($db,
	q{SELECT pg_create_logical_replication_slot('enc_slot', 'dynamo_streams')},
	'LATIN1', 'a dynamo_streams slot');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_replication_slots'),
	'0', 'no slot was left behind');
sql_fails($db, 'ALTER EXTENSION dynamo_streams UPDATE', 'LATIN1',
	'ALTER EXTENSION UPDATE');
is($node->safe_psql($db,
		"SELECT extversion FROM pg_extension WHERE extname = 'dynamo_streams'"),
	'0.1.0', 'the failed update kept 0.1.0');
is($node->safe_psql($db, 'SELECT count(*) FROM dynamo."Old"'),
	'0', 'the item table is still readable with plain SQL');

# The UTF8 database of the same cluster works.
is($node->safe_psql('postgres', 'SELECT getdatabaseencoding()'), 'UTF8',
	'the test database is UTF8');
$node->safe_psql('postgres', "SELECT dynamo.create_table('New', 'k')");
is($node->safe_psql('postgres',
		q{SELECT dynamo.put_item('New', '{"k":{"S":"caf\u00e9"}}', 'ALL_OLD')}),
	'{}', 'put_item works in the UTF8 database');
is($node->safe_psql('postgres',
		q{SELECT dynamo.item_size('{"k":{"S":"caf\u00e9"}}')}),
	'6', 'item_size counts UTF-8 bytes');

$node->stop;
done_testing();
