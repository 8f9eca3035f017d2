# Makefile for dynamo_streams (PGXS).
#
# The version comes from dynamo_streams.control; the install script is
# assembled from the fragments in sql/install/ in file-name order, so that
# each topic keeps its own file.  C sources are every src/*.c.

EXTENSION = dynamo_streams
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = dynamo_streams
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

INSTALL_SQL = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA_built = $(INSTALL_SQL)
# Install scripts of earlier releases (kept frozen, so that users and the
# upgrade test can install them) and the upgrade scripts between releases.
DATA = $(filter-out $(INSTALL_SQL),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress suites: sql/NNN_topic.sql -> expected/NNN_topic.out
REGRESS = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/$(EXTENSION)--%,$(wildcard sql/[0-9]*.sql))))
ISOLATION = $(sort $(patsubst test/isolation/specs/%.spec,%,$(wildcard test/isolation/specs/*.spec)))

# `make installcheck` runs both against the server that PGHOST, PGPORT and
# PGUSER (or libpq's defaults) point to, as a superuser.  The specs and
# their expected outputs live under test/isolation, not next to this file.
# The suites need wal_level = logical (checked first, below); pg_regress
# creates and drops the databases contrib_regression and
# isolation_regression there.
ISOLATION_OPTS = --inputdir=test/isolation

PG_CONFIG ?= pg_config

CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)

PG_CPPFLAGS = -Isrc $(CURL_CFLAGS) $(JANSSON_CFLAGS)
# zlib: the gzip-compressed data files of table exports (src/export_files.c)
SHLIB_LINK = $(CURL_LIBS) $(JANSSON_LIBS) -lz

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PostgreSQL 13 or later is required.
PG_MAJOR := $(shell $(PG_CONFIG) --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
ifeq ($(shell test "$(PG_MAJOR)" -ge 13 2>/dev/null && echo ok),)
$(error dynamo_streams needs PostgreSQL 13 or later; $(PG_CONFIG) reports $(shell $(PG_CONFIG) --version))
endif
ifeq ($(shell pkg-config --exists libcurl jansson && echo ok),)
$(error dynamo_streams needs libcurl and jansson headers: apt-get install libcurl4-openssl-dev libjansson-dev pkg-config)
endif

$(INSTALL_SQL): $(sort $(wildcard sql/install/*.sql)) $(EXTENSION).control
	cat $(sort $(wildcard sql/install/*.sql)) > $@

# Fail at once, with the reason, on a server that cannot run the suites.
.PHONY: installcheck-requirements
installcheck: installcheck-requirements
installcheck-requirements:
	@level=$$('$(bindir)/psql' -X -At -d postgres -c 'SHOW wal_level') || \
		{ echo 'make installcheck: cannot connect to the server (set PGHOST, PGPORT and PGUSER)' >&2; exit 1; }; \
	[ "$$level" = logical ] || \
		{ echo "make installcheck: the server runs with wal_level = $$level; the suites decode WAL and need wal_level = logical (see README, Installing into your own server)" >&2; exit 1; }

.PHONY: test demo bench
test:
	bash test/run-tests.sh
demo:
	bash test/demo.sh
bench:
	bash test/bench/run.sh

# PGXS tracks no header dependencies out of tree: rebuild every object when
# any header changes (a stale object silently decodes with an old layout).
$(OBJS): $(wildcard src/*.h)
