# test/lib.sh: shared set-up for the demo, the test suite and the benchmarks.
#
# Sourced by test/demo.sh, test/run-tests.sh and test/bench/*.sh.  It
#  * installs the Debian packages that are missing (needs root for that),
#  * builds the extension and installs it into a private copy of the server
#    installation under a throwaway work directory (never into /usr), so
#    that runs do not disturb each other or the machine,
#  * starts a throwaway server as an unprivileged user (initdb refuses
#    root) on a Unix socket only, with the settings in test/postgresql.conf,
#  * and removes everything again on exit (DS_KEEP=1 keeps the work dir).
#
# Variables it sets: DS_ROOT (the checkout), DS_WORK, DS_BIN (server
# binaries of the private install), DS_PGXS_DIR, DS_SOCK, DS_PORT, DS_DATA,
# DS_SRC (a copy of the checkout the server user can read and write).

set -euo pipefail

DS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_PG_MAJOR=${DS_PG_MAJOR:-15}
DS_SYS_BIN=/usr/lib/postgresql/$DS_PG_MAJOR/bin
DS_USER=${DS_USER:-dynamo_streams}
DS_PORT=${DS_PORT:-54329}

ds_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ds_need_packages PKG...: apt-get install whichever of PKG is missing.
ds_need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	ds_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages every run needs: server, headers, build tools, libraries.
ds_base_packages() {
	ds_need_packages postgresql-$DS_PG_MAJOR postgresql-server-dev-$DS_PG_MAJOR \
		postgresql-client-$DS_PG_MAJOR make gcc libc6-dev pkg-config \
		libcurl4-openssl-dev libjansson-dev zlib1g-dev
}

# ds_as_user CMD...: run CMD as the unprivileged server user.
ds_as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$DS_USER" -- env HOME="$DS_WORK/home" PATH="$DS_BIN:$PATH" "$@"
	else
		env HOME="$DS_WORK/home" PATH="$DS_BIN:$PATH" "$@"
	fi
}

# Make the work directory, the server user and a readable copy of the tree.
ds_setup_work() {
	DS_WORK=$(mktemp -d /tmp/dynamo_streams.XXXXXX)
	chmod 755 "$DS_WORK"
	trap ds_cleanup EXIT
	if [ "$(id -u)" -eq 0 ] && ! id "$DS_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$DS_USER"
	fi
	DS_SRC=$DS_WORK/src
	DS_SOCK=$DS_WORK/sock
	DS_DATA=$DS_WORK/data
	mkdir -p "$DS_SRC" "$DS_SOCK" "$DS_WORK/home"
	(cd "$DS_ROOT" && tar --exclude=.git --exclude=node_modules --exclude='*.o' \
		--exclude='*.so' --exclude=results --exclude=tmp_check -cf - .) | tar -C "$DS_SRC" -xf -
	[ "$(id -u)" -eq 0 ] && chown -R "$DS_USER" "$DS_WORK"
	return 0
}

# Build, then install into a private copy of the server installation.
ds_build_install() {
	local inst=$DS_WORK/inst
	ds_log "building dynamo_streams"
	make -C "$DS_ROOT" -s PG_CONFIG="$DS_SYS_BIN/pg_config" >/dev/null
	mkdir -p "$inst/usr/lib/postgresql" "$inst/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$DS_PG_MAJOR" "$inst/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$DS_PG_MAJOR" "$inst/usr/share/postgresql/"
	make -C "$DS_ROOT" -s PG_CONFIG="$DS_SYS_BIN/pg_config" DESTDIR="$inst" install >/dev/null
	DS_BIN=$inst/usr/lib/postgresql/$DS_PG_MAJOR/bin
	DS_PGXS_DIR=$inst/usr/lib/postgresql/$DS_PG_MAJOR/lib/pgxs
}

# The server settings for tests and the demo (test/postgresql.conf), plus
# output_plugin_libraries where this server knows the parameter.
ds_write_conf() {
	local conf=$1
	cat "$DS_ROOT/test/postgresql.conf" >>"$conf"
	if ds_as_user "$DS_BIN/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
		echo "output_plugin_libraries = 'pgoutput, test_decoding, dynamo_streams, wal2json'" >>"$conf"
	fi
}

# initdb and start the throwaway server.
ds_start_server() {
	ds_log "starting a throwaway server in $DS_DATA"
	ds_as_user "$DS_BIN/initdb" -D "$DS_DATA" -U postgres -A trust -E UTF8 --no-locale >/dev/null
	[ "$(id -u)" -eq 0 ] && chown "$DS_USER" "$DS_DATA/postgresql.conf"
	ds_write_conf "$DS_DATA/postgresql.conf"
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$DS_SOCK'"
		echo "port = $DS_PORT"
	} >>"$DS_DATA/postgresql.conf"
	ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" -l "$DS_WORK/server.log" -w start >/dev/null
	export PGHOST=$DS_SOCK PGPORT=$DS_PORT PGUSER=postgres
}

# ds_psql ARGS...: psql against the throwaway server.
ds_psql() {
	ds_as_user env PGHOST="$DS_SOCK" PGPORT="$DS_PORT" PGUSER=postgres \
		"$DS_BIN/psql" -X -v ON_ERROR_STOP=1 "$@"
}

ds_cleanup() {
	local rc=$?
	if [ -n "${DS_DATA:-}" ] && [ -f "$DS_DATA/postmaster.pid" ]; then
		ds_as_user "$DS_BIN/pg_ctl" -D "$DS_DATA" -m immediate stop >/dev/null 2>&1 || true
	fi
	if [ "${DS_KEEP:-0}" = 1 ]; then
		ds_log "kept $DS_WORK"
	elif [ -n "${DS_WORK:-}" ]; then
		rm -rf "$DS_WORK"
	fi
	exit $rc
}
