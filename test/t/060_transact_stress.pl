# test/t/060_transact_stress.pl: transact_write_items under load.
#
# Four pgbench clients run, in random request order:
#  * transfers between two random items of six in table Ledger (streamed),
#    and sweeps that delete two items if both are empty;
#  * in table Churn, puts of two random items of four, and deletes of two,
#    by transact_write_items and by batch_write_item, so that items keep
#    disappearing and being created again.  Two
#    transactions that create the same missing items in opposite orders
#    are the case a row lock cannot cover (there is no row to lock yet);
#    the items' advisory locks, taken in one canonical order, keep them
#    from deadlocking (without them this test sees "deadlock detected").
# Then: every pgbench transaction succeeded (a cancelled sweep is caught
# and counted, a deadlock is not), the balances still sum to zero (all or
# nothing), and the stream has one record per changed item, each
# transaction's records consecutive and in request order.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('transact', extra_conf => "deadlock_timeout = '50ms'\n");

$node->safe_psql(
	'postgres', q{
SELECT dynamo.create_table('Ledger', 'k', 'S', stream_view_type => 'NEW_AND_OLD_IMAGES');
SELECT pg_create_logical_replication_slot('tap_transact', 'dynamo_streams');
-- a transfer of 1 from a to b; both may be missing (if_not_exists)
CREATE TABLE transfers (n int);
CREATE FUNCTION transfer(a int, b int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO transfers VALUES (1);
  SELECT dynamo.transact_write_items(jsonb_build_array(
    jsonb_build_object('Update', jsonb_build_object('TableName', 'Ledger',
      'Key', jsonb_build_object('k', jsonb_build_object('S', 'k' || a)),
      'UpdateExpression', 'SET n = if_not_exists(n, :z) - :one',
      'ExpressionAttributeValues', '{":z": {"N": "0"}, ":one": {"N": "1"}}'::jsonb)),
    jsonb_build_object('Update', jsonb_build_object('TableName', 'Ledger',
      'Key', jsonb_build_object('k', jsonb_build_object('S', 'k' || b)),
      'UpdateExpression', 'SET n = if_not_exists(n, :z) + :one',
      'ExpressionAttributeValues', '{":z": {"N": "0"}, ":one": {"N": "1"}}'::jsonb))));
  SELECT
$$;
SELECT dynamo.create_table('Churn', 'k', 'S');
-- put or delete two items of Churn, in the order given, in a transaction
-- or (batch) with batch_write_item
CREATE FUNCTION churn(del boolean, batch boolean, a int, b int) RETURNS void LANGUAGE sql AS $$
  WITH w AS (SELECT o, CASE WHEN del
    THEN jsonb_build_object('Key', jsonb_build_object('k', jsonb_build_object('S', 'c' || x)))
    ELSE jsonb_build_object('Item', jsonb_build_object('k', jsonb_build_object('S', 'c' || x),
      'by', jsonb_build_object('N', pg_backend_pid()::text))) END r
    FROM unnest(ARRAY[a, b]) WITH ORDINALITY u(x, o))
  SELECT CASE WHEN batch
    THEN dynamo.batch_write_item(jsonb_build_object('Churn', (SELECT jsonb_agg(jsonb_build_object(
      CASE WHEN del THEN 'DeleteRequest' ELSE 'PutRequest' END, r) ORDER BY o) FROM w)))
    ELSE dynamo.transact_write_items((SELECT jsonb_agg(jsonb_build_object(
      CASE WHEN del THEN 'Delete' ELSE 'Put' END, r || '{"TableName": "Churn"}') ORDER BY o) FROM w)) END;
  SELECT
$$;
-- delete a and b if both are empty; a cancelled transaction is counted
CREATE TABLE cancelled (n int);
CREATE FUNCTION sweep(a int, b int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dynamo.transact_write_items((SELECT jsonb_agg(jsonb_build_object('Delete', jsonb_build_object(
    'TableName', 'Ledger', 'Key', jsonb_build_object('k', jsonb_build_object('S', 'k' || x)),
    'ConditionExpression', 'attribute_not_exists(n) OR n = :z',
    'ExpressionAttributeValues', '{":z": {"N": "0"}}'::jsonb)) ORDER BY o)
    FROM unnest(ARRAY[a, b]) WITH ORDINALITY u(x, o)));
EXCEPTION WHEN integrity_constraint_violation THEN
  INSERT INTO cancelled VALUES (1);
END $$;
});

my $script = $PostgreSQL::Test::Utils::tmp_check . '/transact.sql';
open my $fh, '>', $script or die $!;
print $fh <<'SQL';
\set a random(1, 6)
\set d random(1, 5)
\set b (:a + :d - 1) % 6 + 1
\set op random(0, 7)
\set c random(1, 4)
\set e random(1, 3)
\set f (:c + :e - 1) % 4 + 1
SELECT CASE WHEN :op = 0 THEN sweep(:a, :b)::text WHEN :op < 3 THEN transfer(:a, :b)::text
            ELSE churn(:op % 2 = 1, :op > 5, :c, :f)::text END;
SQL
close $fh;

my ($rc, $out, $err) = (0, '', '');
IPC::Run::run(
	[ 'pgbench', '-n', '-c', '4', '-j', '4', '-t', '2000', '-f', $script,
	  '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$out, '2>', \$err);
$rc = $?;
is($rc, 0, 'pgbench ran every transaction');
# pgbench 15 counts a deadlock as a failed transaction, older ones stop
unlike($out . $err, qr/deadlock|number of failed transactions: [1-9]/, 'no deadlock');
like($out, qr/number of transactions actually processed: 8000/, 'all 8000 transactions done')
  or diag($out . $err);

is($node->safe_psql('postgres', q{
  SELECT coalesce(sum((item->'n'->>'N')::int), 0) FROM dynamo."Ledger"}),
	'0', 'the balances sum to zero');

# A transfer changes both its items (INSERT or MODIFY each); a sweep
# removes the items it finds.  The records of one transaction are
# consecutive (one commit) and in request order: debit, then credit.
my $res = $node->safe_psql('postgres', q{
  WITH r AS (SELECT row_number() OVER () n, data::jsonb j
               FROM pg_logical_slot_get_changes('tap_transact', NULL, NULL)),
  w AS (SELECT n, j->>'eventName' ev, (j->'dynamodb'->'NewImage'->'n'->>'N')::int
               - coalesce((j->'dynamodb'->'OldImage'->'n'->>'N')::int, 0) delta FROM r)
  SELECT (SELECT count(*) FROM w WHERE ev <> 'REMOVE') = 2 * (SELECT count(*) FROM transfers),
         (SELECT count(*) FROM w WHERE ev <> 'REMOVE' AND delta NOT IN (-1, 1)) = 0,
         (SELECT count(*) FROM w a JOIN w b ON b.n = a.n + 1
           WHERE a.ev <> 'REMOVE' AND a.delta = -1 AND b.delta IS DISTINCT FROM 1) = 0,
         (SELECT count(*) FROM transfers), (SELECT count(*) FROM cancelled)});
my ($per_item, $deltas, $pairs, $transfers, $cancelled) = split /\|/, $res;
is($per_item, 't', "one record per changed item ($transfers transfers)");
is($deltas, 't', 'each transfer record moves 1');
is($pairs, 't', "each debit is followed by its credit ($cancelled sweeps cancelled)");

done_testing();
