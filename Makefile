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

PG_CONFIG ?= pg_config

CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)

PG_CPPFLAGS = -Isrc $(CURL_CFLAGS) $(JANSSON_CFLAGS)
SHLIB_LINK = $(CURL_LIBS) $(JANSSON_LIBS)

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
