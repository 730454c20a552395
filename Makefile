# shoplive - build, test and check. See README.md.
LUA        ?= 5.4
LUA_PC     ?= $(if $(filter luajit,$(LUA)),luajit,lua$(LUA))
LUA_BIN    ?= $(if $(filter luajit,$(LUA)),luajit,lua$(LUA))
CC         ?= cc
PKG_CONFIG ?= pkg-config
LUA_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags $(LUA_PC))
CURL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libcurl)
CURL_LIBS  ?= $(shell $(PKG_CONFIG) --libs libcurl)
WARN       = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS     ?= -O2 -g
ALL_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden $(WARN) $(CFLAGS) $(LUA_CFLAGS) $(CURL_CFLAGS)
LDFLAGS    ?=
# src/clisys.c is the command line's module (shoplive.clisys), not the core's.
SRCS       = $(filter-out src/clisys.c,$(wildcard src/*.c))
HDRS       = $(wildcard src/*.h)
# Each Lua version builds in its own directory: `make LUA=luajit` after `make`
# builds a LuaJIT core instead of finding the 5.4 one up to date.
BUILD      ?= build/$(LUA)
SO         = $(BUILD)/shoplive/core.so
# The store's database bindings are modules of their own (src/db/): SQLite is
# required (the store's default), PostgreSQL is built only when pkg-config
# finds libpq, so neither the core nor the SQLite store depends on it.
SQLITE_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags sqlite3)
SQLITE_LIBS ?= $(shell $(PKG_CONFIG) --libs sqlite3)
HAVE_LIBPQ ?= $(shell $(PKG_CONFIG) --exists libpq && echo yes)
PQ_CFLAGS  ?= $(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null)
PQ_LIBS    ?= $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)
SQLITE_SO  = $(BUILD)/shoplive/sqlite3.so
PQ_SO      = $(BUILD)/shoplive/libpq.so
DB_SOS     = $(SQLITE_SO) $(if $(filter yes,$(HAVE_LIBPQ)),$(PQ_SO))
# The command line's OS helpers (SIGINT counter, file kinds): loaded by
# shoplive.cli only, so require("shoplive") never installs a signal handler.
CLISYS_SO  = $(BUILD)/shoplive/clisys.so

# Run Lua from the source tree: modules from lua/, the core from $(BUILD).
SRC_ENV    = LUA_PATH="$$PWD/lua/?.lua;$$PWD/lua/?/init.lua;;" LUA_CPATH="$$PWD/$(BUILD)/?.so;;"

# fuzz, fuzz-regress, alloc-test, thread-test, helgrind-test (see fuzz/README.md)
include mk/robustness.mk

.PHONY: man doc doc-links install install-modules install-man rock-install luajit-core all test check clean sandbox demo deps bench bench-floor asan lint dist

all: $(SO) $(DB_SOS) $(CLISYS_SO)

$(SO): $(SRCS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(SRCS) $(LDFLAGS) $(CURL_LIBS)

$(SQLITE_SO): src/db/sqlite3.c src/db/db_common.h src/db/dbval.h src/compat.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SQLITE_CFLAGS) -shared -o $@ src/db/sqlite3.c $(LDFLAGS) $(SQLITE_LIBS)

$(CLISYS_SO): src/clisys.c src/clisys.h src/compat.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ src/clisys.c $(LDFLAGS)

$(PQ_SO): src/db/libpq.c src/db/db_common.h src/db/dbval.h src/compat.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PQ_CFLAGS) -shared -o $@ src/db/libpq.c $(LDFLAGS) $(PQ_LIBS)
# The decoder's field hints, generated from the schema (committed too, so
# builds without make compile the same hints; tests/schema_spec.lua checks
# the two agree). Without an interpreter the committed header is kept.
$(SO): src/schema_fields.h
src/schema_fields.h: lua/shoplive/schema.lua tools/gen-schema-header.lua
	@if command -v $(LUA_BIN) >/dev/null 2>&1; then \
	  $(LUA_BIN) tools/gen-schema-header.lua lua/shoplive/schema.lua > $@.tmp && mv $@.tmp $@; \
	else touch $@; fi

# ASan+UBSan build of the same sources, loaded into the stock interpreter
# through LD_PRELOAD (see tests/run).
asan:
	$(MAKE) BUILD=build/asan CC=gcc CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined"

# The C host example (examples/host): Lua 5.4 embedded in a 60 Hz loop.
HOST_BIN = $(BUILD)/host
$(HOST_BIN): examples/host/host.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -O2 $(WARN) $(LUA_CFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs $(LUA_PC)) -lm

# The OpenResty example (tests/openresty_spec.lua) loads the LuaJIT build.
luajit-core:
	$(MAKE) LUA=luajit

# make test: the quick loop, the 5.4 suite in TEST_JOBS busted processes at
# once (most of its time is waiting, so more shards than cores pay);
# make check: every stage, CHECK_JOBS at once (tests/check, docs/testing.md).
TEST_JOBS ?= 3
test: all luajit-core $(HOST_BIN)
	LUA_BIN=$(LUA_BIN) BUILD=$(BUILD) TEST_JOBS=$(TEST_JOBS) tests/run

check: all asan luajit-core $(HOST_BIN)
	LUA_BIN=$(LUA_BIN) BUILD=$(BUILD) tests/check

# make sandbox [SANDBOX_PORT=8080]: the sandbox server in the foreground
# (any non-empty API key works against it; see sandbox/README.md).
sandbox:
	sandbox/run $(if $(SANDBOX_PORT),--port $(SANDBOX_PORT))

clean:
	rm -rf build

deps:
	tools/install-deps

# A newcomer's first run: dependencies, build, then the first example against
# the sandbox server.
demo: deps
	$(MAKE) all
	$(SRC_ENV) tools/with-sandbox $(LUA_BIN) examples/first.lua
	@echo 'Next, an HTML report with charts (README, "The HTML report"): examples/report.lua, e.g.'
	@echo '  LUA_PATH="$$PWD/lua/?.lua;$$PWD/lua/?/init.lua;;" LUA_CPATH="$$PWD/$(BUILD)/?.so;;" tools/with-sandbox $(LUA_BIN) examples/report.lua 237 999 0'

# Benchmarks (see BENCHMARKS.md): installs the comparators' packages if
# missing, then runs every benchmark against a fresh sandbox (~5 minutes) and
# rewrites the results block of BENCHMARKS.md.
bench: all bench-floor
	tools/install-deps --bench
	$(SRC_ENV) FLOOR_BIN=$(FLOOR_BIN) tools/with-sandbox $(LUA_BIN) bench/run.lua

# The raw libcurl floor program of bench/floor_bench.lua.
FLOOR_BIN = $(BUILD)/floor
bench-floor: $(FLOOR_BIN)
$(FLOOR_BIN): bench/floor/floor.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -O2 $(WARN) $(CURL_CFLAGS) -o $@ $< $(CURL_LIBS)

# The man page of the command line, built from the same definitions as its
# --help (lua/shoplive/cli/parser.lua). `make install` builds it too, and
# tests/versions runs suites side by side that install: each writes a
# temporary file of its own.
man: $(BUILD)/shoplive.1
$(BUILD)/shoplive.1: lua/shoplive/cli/parser.lua lua/shoplive/cli.lua $(SO) $(CLISYS_SO)
	$(SRC_ENV) $(LUA_BIN) -e 'io.write(require("shoplive.cli").man())' > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@

# The API reference (LDoc, config.ld) in build/doc: the public modules and the
# pages of docs/.
# tools/doc-html.lua then points the pages' links between Markdown files at
# the pages LDoc wrote for them (and names the rest as repository paths),
# gives each topic its summary, and tools/check-links.lua checks that every
# relative href and src resolves to a file and every #fragment to an id.
doc:
	rm -rf build/doc
	ldoc .
	$(MAKE) --no-print-directory doc-links

doc-links:
	lua5.4 tools/doc-html.lua build/doc config.ld
	lua5.4 tools/check-links.lua build/doc

lint:
	luacheck lua tests bin examples sandbox/lua bench
	luarocks lint shoplive-scm-1.rockspec

# make dist: build/dist/shoplive-<version>-1.src.rock, shoplive-<version>.tar.gz
# and its versioned rockspec, from the tracked files (tools/dist). The rock
# installs offline: luarocks --lua-version 5.4 --deps-mode=none install
# build/dist/shoplive-<version>-1.src.rock
dist:
	tools/dist build/dist

# make install [PREFIX=/usr/local] [LUA=5.4|5.3|5.2|5.1|luajit] [DESTDIR=]
# Installs where the interpreter looks: the directories under PREFIX that its
# own package.cpath / package.path name (Debian's lua5.4 searches
# /usr/local/lib/lua/5.4 and /usr/local/share/lua/5.4, and for PREFIX=/usr the
# multiarch /usr/lib/<multiarch>/lua/5.4). A PREFIX the interpreter does not
# search gets Lua's own layout, lib/lua/<V> and share/lua/<V>, and the command
# puts those directories on its paths. The command is bin/shoplive (LUA=5.4)
# or bin/shoplive-<LUA>.
PREFIX    ?= /usr/local
LUA_V      = $(if $(filter luajit,$(LUA)),5.1,$(LUA))
# tools/install-dir.lua asks the interpreter which directories it searches
# (its built-in paths: the LUA_PATH/LUA_CPATH variables are left out).
NO_LUA_ENV = env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_$(subst .,_,$(LUA_V)) -u LUA_CPATH_$(subst .,_,$(LUA_V))
INST_LIBDIR ?= $(or $(shell $(NO_LUA_ENV) $(LUA_BIN) tools/install-dir.lua cpath $(PREFIX) 2>/dev/null),$(PREFIX)/lib/lua/$(LUA_V))
INST_LUADIR ?= $(or $(shell $(NO_LUA_ENV) $(LUA_BIN) tools/install-dir.lua path $(PREFIX) 2>/dev/null),$(PREFIX)/share/lua/$(LUA_V))
INST_BINDIR ?= $(PREFIX)/bin
INST_MANDIR ?= $(PREFIX)/share/man/man1
INST_CMD   = $(if $(filter 5.4,$(LUA)),shoplive,shoplive-$(LUA))

install: install-modules install-man
	install -d $(DESTDIR)$(INST_BINDIR)
	{ echo '#!/usr/bin/env $(LUA_BIN)'; \
	  echo 'package.path = "$(INST_LUADIR)/?.lua;$(INST_LUADIR)/?/init.lua;" .. package.path'; \
	  echo 'package.cpath = "$(INST_LIBDIR)/?.so;" .. package.cpath'; \
	  echo 'os.exit(require("shoplive.cli").main({ ... }))'; } > $(DESTDIR)$(INST_BINDIR)/$(INST_CMD)
	chmod 0755 $(DESTDIR)$(INST_BINDIR)/$(INST_CMD)

# The man page, built for the version being installed ($(BUILD)/shoplive.1).
install-man: $(BUILD)/shoplive.1
	install -d $(DESTDIR)$(INST_MANDIR)
	install -m 0644 $(BUILD)/shoplive.1 $(DESTDIR)$(INST_MANDIR)/shoplive.1

# The core and the Lua modules alone (LuaRocks installs the command itself).
install-modules: $(SO) $(DB_SOS) $(CLISYS_SO)
	install -d $(DESTDIR)$(INST_LIBDIR)/shoplive $(DESTDIR)$(INST_LUADIR)/shoplive
	install -m 0755 $(SO) $(DESTDIR)$(INST_LIBDIR)/shoplive/core.so
	install -m 0755 $(DB_SOS) $(CLISYS_SO) $(DESTDIR)$(INST_LIBDIR)/shoplive/
	install -m 0644 lua/shoplive/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/
	install -d $(DESTDIR)$(INST_LUADIR)/shoplive/store
	install -m 0644 lua/shoplive/store/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/store/
	install -d $(DESTDIR)$(INST_LUADIR)/shoplive/limiter
	install -m 0644 lua/shoplive/limiter/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/limiter/
	install -d $(DESTDIR)$(INST_LUADIR)/shoplive/report $(DESTDIR)$(INST_LUADIR)/shoplive/cli
	install -m 0644 lua/shoplive/report/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/report/
	install -m 0644 lua/shoplive/cli/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/cli/
	install -d $(DESTDIR)$(INST_LUADIR)/shoplive/transport $(DESTDIR)$(INST_LUADIR)/shoplive/sync
	install -m 0644 lua/shoplive/transport/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/transport/
	install -m 0644 lua/shoplive/sync/*.lua $(DESTDIR)$(INST_LUADIR)/shoplive/sync/
	mv $(DESTDIR)$(INST_LUADIR)/shoplive/init.lua $(DESTDIR)$(INST_LUADIR)/shoplive.lua

# LuaRocks' install pass (shoplive-scm-1.rockspec, build.type = "make"): the
# core is compiled in a temporary directory, so `luarocks make` leaves no
# object in the checkout. The rockspec passes INST_LIBDIR, INST_LUADIR and
# LUA_CFLAGS for the Lua it builds for.
rock-install:
	@tmp=$$(mktemp -d) && { $(MAKE) --no-print-directory BUILD="$$tmp" install-modules; rc=$$?; rm -rf "$$tmp"; exit $$rc; }

# make bench-openresty (after `all`: an included target must not become the default goal)
include mk/bench-openresty.mk
