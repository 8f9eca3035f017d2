# test/t/083_streams_dump_log.pl: pg_dump and pg_restore keep the stream
# log.  A database whose log holds records of an item table and an
# ordinary table, with shards rolled over (closed parents and open
# children), is dumped (plain SQL and custom format) and restored on
# another cluster without a single error: the shards come back with their
# ids, lineage and sequence ranges (dynamo._shards is dumped with its
# rows), the day partitions of dynamo._records come back attached with
# their records and indexes, and GetRecords reads the same records as
# before, byte for byte.  After dynamo._raise_epoch() (the documented step
# for a database restored on another cluster, docs/output-plugin.md) the
# pump appends new records to the restored open shards, above the old
# ones.  What is not kept: the pump's slot and progress (a new cluster has
# its own WAL) and the iterator key (iterators of the old database are
# refused as invalid), docs/stream-log.md "Dump and restore".

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use DynamoStreamsTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $SHARDS = q{SELECT string_agg(concat_ws(' ', shard_no, stream_id, shard_id, hash_slot, slot_count,
                                            parent_shard_id, starting_seq, ending_seq, current, trimmed_seq,
                                            created_at, closed_at), E'\n' ORDER BY shard_no)
                 FROM dynamo._shards};
my $RECORDS = q{SELECT count(*) || ' ' || md5(string_agg(r::text, E'\n' ORDER BY shard_no, sequence_number))
                  FROM dynamo._records r};
# every shard of every stream read through GetRecords from TRIM_HORIZON:
# the Records of each page, in order
my $API = q{
	CREATE FUNCTION pg_temp.read_all() RETURNS text LANGUAGE plpgsql AS $$
	DECLARE
	    sh record;
	    it text;
	    page json;
	    out text := '';
	BEGIN
	    FOR sh IN SELECT s.stream_arn, l.shard_id FROM dynamo._streams s, dynamo.list_shards(s.stream_arn) l
	               ORDER BY s.stream_id, l.shard_id LOOP
	        it := dynamo.get_shard_iterator(sh.stream_arn, sh.shard_id, 'TRIM_HORIZON')->>'ShardIterator';
	        LOOP
	            page := dynamo.get_records(it, 7);
	            out := out || sh.shard_id || ' ' || (page->'Records')::text || E'\n';
	            it := page->>'NextShardIterator';
	            EXIT WHEN it IS NULL OR json_array_length(page->'Records') = 0;
	        END LOOP;
	    END LOOP;
	    RETURN out;
	END
	$$;
	SELECT md5(pg_temp.read_all()) || ' ' || length(pg_temp.read_all());
};

my $old = ds_new_node('dlog_old');
$old->safe_psql('postgres', q{
	SELECT dynamo.pump();
	SELECT dynamo.create_table('Logged', 'id', stream_view_type => 'NEW_IMAGE');
	CREATE TABLE rows_logged (id int PRIMARY KEY, v text);
	SELECT dynamo.enable_stream('rows_logged', 'NEW_AND_OLD_IMAGES');
	SELECT dynamo.pump();
	SELECT count(dynamo.put_item('Logged', jsonb_build_object('id', jsonb_build_object('S', 'k' || i))))
	  FROM generate_series(1, 20) i;
	INSERT INTO rows_logged SELECT i, 'v' || i FROM generate_series(1, 10) i;
	SELECT dynamo.pump();
	SELECT dynamo.rollover_shards(stream_arn) FROM dynamo._streams;
	UPDATE rows_logged SET v = v || '!';
	SELECT count(dynamo.put_item('Logged', jsonb_build_object('id', jsonb_build_object('S', 'k' || i), 'n', '{"N":"1"}'::jsonb)))
	  FROM generate_series(1, 20) i;
	SELECT dynamo.pump();
});
is($old->safe_psql('postgres', q{
	SELECT count(*) || ' records, ' || (SELECT count(*) FROM dynamo._shards WHERE ending_seq IS NOT NULL)
	       || ' closed and ' || (SELECT count(*) FROM dynamo._shards WHERE ending_seq IS NULL) || ' open shards'
	  FROM dynamo._records}), '60 records, 8 closed and 8 open shards', 'a log with closed and open shards');
my %before = (
	shards => $old->safe_psql('postgres', $SHARDS),
	records => $old->safe_psql('postgres', $RECORDS),
	api => $old->safe_psql('postgres', $API));
my $old_it = $old->safe_psql('postgres', q{
	SELECT dynamo.get_shard_iterator(s.stream_arn, l.shard_id, 'TRIM_HORIZON')->>'ShardIterator'
	  FROM dynamo._streams s, dynamo.list_shards(s.stream_arn) l ORDER BY 1 LIMIT 1});

my $plain = $old->basedir . '/log.sql';
my $custom = $old->basedir . '/log.dump';
$old->command_ok([ 'pg_dump', '-d', $old->connstr('postgres'), '-f', $plain ], 'pg_dump (plain) succeeds');
$old->command_ok([ 'pg_dump', '-Fc', '-d', $old->connstr('postgres'), '-f', $custom ], 'pg_dump (custom) succeeds');
$old->stop;

my $new = ds_new_node('dlog_new');
$new->safe_psql('postgres', 'CREATE DATABASE plain; CREATE DATABASE custom');
$new->command_ok([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-d', $new->connstr('plain'), '-f', $plain ],
	'the plain dump restores without an error');
$new->command_ok([ 'pg_restore', '--exit-on-error', '-d', $new->connstr('custom'), $custom ],
	'pg_restore restores the custom dump without an error');

for my $db ('plain', 'custom')
{
	is($new->safe_psql($db, $SHARDS), $before{shards}, "$db: every shard comes back with its lineage and range");
	is($new->safe_psql($db, $RECORDS), $before{records}, "$db: every record comes back");
	is($new->safe_psql($db, $API), $before{api}, "$db: GetRecords reads the same records, byte for byte");
	is($new->safe_psql($db, q{
		SELECT count(*) FROM pg_inherits i JOIN pg_index x ON x.indrelid = i.inhrelid
		 WHERE i.inhparent = 'dynamo._records'::regclass}), '3', "$db: the day partition is attached with its three indexes");
	my ($rc, $out, $err) = $new->psql($db, "SELECT dynamo.get_records('$old_it')");
	like($err, qr/Invalid ShardIterator/, "$db: an iterator of the old database is refused");
}

# writes after the restore: a new epoch, then the pump appends to the
# restored open shards, above their old records
$new->safe_psql('plain', q{
	SELECT dynamo._raise_epoch();
	SELECT dynamo.pump();
	SELECT count(dynamo.put_item('Logged', jsonb_build_object('id', jsonb_build_object('S', 'k' || i), 'n', '{"N":"2"}'::jsonb)))
	  FROM generate_series(1, 20) i;
	DELETE FROM rows_logged;
	SELECT dynamo.pump();
});
is($new->safe_psql('plain', q{
	SELECT count(*) || ' ' || bool_and(sh.ending_seq IS NULL AND r.shard_no <= 16) || ' '
	       || bool_and(r.sequence_number > COALESCE((SELECT max(o.sequence_number) FROM dynamo._records o
	                                                  WHERE o.shard_no = r.shard_no
	                                                    AND left(o.sequence_number, 3) = '100'), ''))
	  FROM dynamo._records r JOIN dynamo._shards sh USING (shard_no)
	 WHERE left(r.sequence_number, 3) = '101'}),
	'30 true true', 'new records go to the restored open shards, after their old records');
is($new->safe_psql('plain', q{
	SELECT count(*) FROM dynamo._shards}), '16', 'no shard was added by the restore or the pump');
$new->stop;
done_testing();
