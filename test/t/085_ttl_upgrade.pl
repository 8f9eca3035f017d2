# test/t/085_ttl_upgrade.pl: TTL across the 0.1.0 -> 0.2.0 upgrade, a
# restart, and DROP EXTENSION ... CASCADE.
#
# 0.1.0 had the catalog columns ttl_attribute and ttl_enabled but nothing
# that used them: a table whose row was edited to enable TTL gets its TTL
# index from the upgrade and is swept from then on.  The replication origin
# dynamo_streams_ttl outlives a restart (origins are persistent), so
# sweeps after a restart still mark their REMOVE records.  DROP EXTENSION
# ... CASCADE drops the TTL indexes (they use dynamo._ttl_epoch); the table
# adopted again has TTL disabled and works.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $INDEXES = q{SELECT count(*) FROM pg_indexes WHERE schemaname = 'dynamo' AND indexname LIKE '\_ttl\_%'};
my $PUT_EXPIRED = q{
	SELECT dynamo.put_item('Sessions', jsonb_build_object('id', jsonb_build_object('S', 'gone-' || k),
	    'exp', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 60)::text)))
	  FROM generate_series(1, 3) k;
};

my $node = ds_new_node('ttl085', version => '0.1.0');
$node->safe_psql('postgres', qq{
	SELECT dynamo.create_table('Sessions', 'id', stream_view_type => 'KEYS_ONLY');
	$PUT_EXPIRED
	SELECT dynamo.put_item('Sessions', '{"id":{"S":"keep"},"exp":{"N":"9999999999"}}');
	UPDATE dynamo._tables SET ttl_enabled = true, ttl_attribute = 'exp' WHERE table_name = 'Sessions';
	SELECT 'slot' FROM pg_create_logical_replication_slot('ttl085', 'dynamo_streams');
});
$node->safe_psql('postgres', q{ALTER EXTENSION dynamo_streams UPDATE});
is( $node->safe_psql('postgres', q{SELECT dynamo.describe_time_to_live('Sessions')}),
	'{"TimeToLiveDescription": {"AttributeName": "exp", "TimeToLiveStatus": "ENABLED"}}',
	'a TTL setting written under 0.1.0 is described after the upgrade');
is($node->safe_psql('postgres', $INDEXES), '1', 'and the upgrade built its TTL index');
is($node->safe_psql('postgres', q{CALL dynamo.sweep_ttl()}), '3', 'the sweep deletes the expired items');

$node->restart;
$node->safe_psql('postgres', $PUT_EXPIRED);
is($node->safe_psql('postgres', q{CALL dynamo.sweep_ttl()}), '3', 'after a restart too');
is( $node->safe_psql('postgres', q{
	SELECT string_agg(data::jsonb ->> 'eventName' || ' ' || (data::jsonb ? 'userIdentity')::text, ',')
	  FROM pg_logical_slot_get_changes('ttl085', NULL, NULL)}),
	'REMOVE true,REMOVE true,REMOVE true,INSERT false,INSERT false,INSERT false,REMOVE true,REMOVE true,REMOVE true',
	'every sweep REMOVE is marked, before and after the restart');
is($node->safe_psql('postgres', q{SELECT pg_replication_origin_session_is_setup()}), 'f',
	'no origin is left set up');
$node->safe_psql('postgres', q{SELECT pg_drop_replication_slot('ttl085')});

$node->safe_psql('postgres', q{DROP EXTENSION dynamo_streams CASCADE});
is($node->safe_psql('postgres', $INDEXES), '0', 'DROP EXTENSION ... CASCADE drops the TTL index');
$node->safe_psql('postgres', q{CREATE EXTENSION dynamo_streams});
is( $node->safe_psql('postgres', q{SELECT dynamo.describe_time_to_live('Sessions')}),
	'{"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}',
	'the adopted table has TTL disabled');
is( $node->safe_psql('postgres', q{
	SELECT dynamo.update_time_to_live('Sessions', 'exp', true) IS NOT NULL;
	SELECT dynamo.put_item('Sessions', jsonb_build_object('id', '{"S":"late"}'::jsonb,
	    'exp', jsonb_build_object('N', (extract(epoch FROM now())::bigint - 60)::text)));
	CALL dynamo.sweep_ttl();
	SELECT string_agg(pk, ',') FROM dynamo."Sessions";}),
	"t\n{}\n1\nkeep", 'and TTL can be enabled on it again');

$node->stop;
done_testing();
