#!/usr/bin/env bash
# test/demo.sh: the README's demo.  Builds dynamo_streams, starts a throwaway
# local server (test/lib.sh: private install, unprivileged user, Unix socket
# only, removed on exit) and runs test/demo.sql through psql with every query
# echoed: an item table with a stream, item writes and reads, what bad items
# get, the DynamoDB Streams records the writes produced, and the same records
# read from the stream log through the Streams API (get_records), a
# consumer, push delivery to a local webhook, and history.
#
# Run as root on a fresh Debian 12 machine (it installs the Debian packages
# it needs), or as any user who has them.  DS_KEEP=1 keeps the work dir.
source "$(dirname "$0")/lib.sh"

ds_base_packages
ds_setup_work
ds_build_install
ds_start_server

# the webhook that section 11 pushes batches to (test/demo_webhook.pl)
webhook_port=$((DS_PORT + 1))
webhook_log="$DS_WORK/webhook.log"
: >"$webhook_log" && chmod 644 "$webhook_log"
perl "$DS_ROOT/test/demo_webhook.pl" "$webhook_port" "$webhook_log" &
webhook_pid=$!
trap 'rc=$?; kill $webhook_pid 2>/dev/null; (exit $rc); ds_cleanup' EXIT

ds_log "running test/demo.sql (queries are echoed, output follows each)"
ds_psql --echo-queries -d postgres -v webhook_port="$webhook_port" -v webhook_log="$webhook_log" \
	<"$DS_ROOT/test/demo.sql"
ds_log "demo finished; the server and its files are removed now"
