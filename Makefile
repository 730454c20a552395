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
SRCS       = $(wildcard src/*.c)
HDRS       = $(wildcard src/*.h)
BUILD      ?= build
SO         = $(BUILD)/shoplive/core.so

# Run Lua from the source tree: modules from lua/, the core from $(BUILD).
SRC_ENV    = LUA_PATH="$$PWD/lua/?.lua;$$PWD/lua/?/init.lua;;" LUA_CPATH="$$PWD/$(BUILD)/?.so;;"

.PHONY: luajit-core all test check clean sandbox demo deps bench asan lint install

all: $(SO)

$(SO): $(SRCS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(SRCS) $(LDFLAGS) $(CURL_LIBS)

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
	$(MAKE) LUA=luajit BUILD=build/luajit

test: all luajit-core $(HOST_BIN)
	LUA_BIN=$(LUA_BIN) tests/run

check: all asan luajit-core $(HOST_BIN)
	LUA_BIN=$(LUA_BIN) tests/check

sandbox:
	sandbox/run

clean:
	rm -rf build

deps:
	tools/install-deps

# A newcomer's first run: dependencies, build, then the first example against
# the sandbox server.
demo: deps
	$(MAKE) all
	$(SRC_ENV) tools/with-sandbox $(LUA_BIN) examples/first.lua

bench: all
	$(SRC_ENV) tools/with-sandbox $(LUA_BIN) bench/run.lua

lint:
	luacheck lua tests bin examples sandbox/lua bench
	luarocks lint shoplive-scm-1.rockspec
