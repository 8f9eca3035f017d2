-- dynamo_streams install script, part 83: pg_dump keeps the stream log.
--
-- The day partitions of dynamo._records are made by the pump, not by
-- CREATE EXTENSION, so they are no extension members: pg_dump dumps them,
-- their indexes and their records like any table, and a restore attaches
-- them to the _records that CREATE EXTENSION made (docs/stream-log.md,
-- "Dump and restore").  The shards the records belong to are extension
-- members: dumped with their rows here, like the streams (part 05), so
-- that a restored log keeps its ShardIds, lineage and sequence ranges.
SELECT pg_catalog.pg_extension_config_dump('@extschema@._shards', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@._shards_shard_no_seq', '');
