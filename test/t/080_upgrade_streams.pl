# test/t/080_upgrade_streams.pl: the upgrade from 0.1.0 gives the streams
# catalog (dynamo._streams) a row for every stream 0.1.0 knew: the enabled
# stream of each table as ENABLED, the last stream of a table whose stream
# was disabled as DISABLED, with the ARNs that the plugin and describe_table
# use.  Streams enabled after the upgrade get rows of their own, and
# records written before the upgrade still decode in the pump format and
# render back through dynamo.render_record to the plugin's own JSON.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = ds_new_node('streams_upgrade', version => '0.1.0');
$node->safe_psql('postgres',
	q{SELECT pg_create_logical_replication_slot('up080', 'dynamo_streams')});
$node->safe_psql('postgres', q{
SELECT dynamo.create_table('Music', 'Artist', 'S', 'SongTitle', 'S', 'NEW_AND_OLD_IMAGES');
SELECT dynamo.create_table('Plain', 'Id', 'N');
SELECT dynamo.create_table('Gone', 'Id', 'S', stream_view_type => 'KEYS_ONLY');
SELECT dynamo.update_table('Gone', false);
CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);
SELECT dynamo.enable_stream('accounts', 'NEW_IMAGE');
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"One"}}');
INSERT INTO accounts VALUES (1, 1.50);
});
$node->safe_psql('postgres', 'ALTER EXTENSION dynamo_streams UPDATE');

is($node->safe_psql('postgres', q{
	SELECT string_agg(s.table_name || ':' || s.stream_status || ':' || s.stream_view_type || ':'
	                  || (s.stream_arn = t.stream_arn) || ':' || (s.disabled_at IS NOT NULL)
	                  || ':' || (s.relid = t.relid::oid), ',' ORDER BY s.table_name)
	  FROM dynamo._streams s JOIN dynamo._tables t USING (table_name)}),
	'Gone:DISABLED:KEYS_ONLY:true:true:true,Music:ENABLED:NEW_AND_OLD_IMAGES:true:false:true,'
	  . 'accounts:ENABLED:NEW_IMAGE:true:false:true',
	'each stream of 0.1.0 has its row: enabled ones ENABLED, a disabled one DISABLED; none for a table without a stream');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM jsonb_array_elements(dynamo.list_streams()->'Streams')}),
	'3', 'list_streams lists them');
is($node->safe_psql('postgres', q{
	SELECT dynamo.describe_table('Music')->'Table'->>'LatestStreamArn'
	       = (SELECT stream_arn FROM dynamo._streams WHERE table_name = 'Music')}),
	't', 'describe_table names the same stream');

# after the upgrade: enabling again makes a new stream, disabling ends one
$node->safe_psql('postgres', q{
SELECT dynamo.update_table('Gone', true, 'NEW_IMAGE');
SELECT dynamo.disable_stream('accounts');
});
is($node->safe_psql('postgres', q{
	SELECT string_agg(table_name || ':' || stream_status || ':' || stream_view_type, ','
	                  ORDER BY table_name, stream_id) FROM dynamo._streams}),
	'Gone:DISABLED:KEYS_ONLY,Gone:ENABLED:NEW_IMAGE,Music:ENABLED:NEW_AND_OLD_IMAGES,'
	  . 'accounts:DISABLED:NEW_IMAGE',
	'streams enabled and disabled after the upgrade are recorded');

# records written before the upgrade: pump rows render to the plugin's JSON
$node->safe_psql('postgres', q{
SELECT dynamo.put_item('Music', '{"Artist":{"S":"Acme"},"SongTitle":{"S":"Two"}}');
});
my $same = $node->safe_psql('postgres', q{
WITH l AS (SELECT row_number() OVER () n, data FROM pg_logical_slot_peek_changes('up080', NULL, NULL)),
     p AS (SELECT row_number() OVER () n, string_to_array(data, E'\t') f
             FROM pg_logical_slot_peek_changes('up080', NULL, NULL, 'format', 'pump'))
SELECT count(*) || ':' || count(*) FILTER (WHERE l.data = dynamo.render_record('lambda',
         p.f[11]::json #>> '{}', s.stream_view_type, p.f[5], p.f[2],
         '2000-01-01 00:00:00+00'::timestamptz + (p.f[6]::bigint / 1000000) * interval '1 second',
         p.f[12], nullif(p.f[13], ''), nullif(p.f[14], ''), p.f[8]::bigint,
         p.f[9] LIKE '%t%', nullif(p.f[10], ''), p.f[9] LIKE '%n%'))
  FROM l JOIN p USING (n) JOIN dynamo._streams s ON s.stream_arn = p.f[11]::json #>> '{}'});
is($same, '3:3', 'records from before and after the upgrade render identically from pump rows');

$node->stop;
done_testing();
