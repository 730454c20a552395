# make bench-openresty [OPENRESTY_CYCLES=n] [OPENRESTY_GC=1]: shoplive's transports inside Debian's nginx +
# lua-nginx-module against lua-resty-http + cjson (bench/openresty/run.lua): CPU per
# page as a ratio to resty per cycle of interleaved batches, median and quartiles.
# nginx loads the LuaJIT core; the driver runs on CPU 1, the client nginx on
# CPU 0 (the upstream on CPU 1 too: see the script's header).
.PHONY: bench-openresty
OPENRESTY_CYCLES ?= 20
bench-openresty:
	$(MAKE) -s LUA=luajit all
	taskset -c 1 lua5.4 bench/openresty/run.lua $(OPENRESTY_CYCLES)

# make profile-openresty PROFILE_WAY=client_co PROFILE_MODE=p:Fi1: where that way spends the worker's
# CPU (jit.p; PROFILE_MODE=v: jit.v's trace log) (bench/openresty/profile.lua)
.PHONY: profile-openresty
PROFILE_WAY ?= client_co
PROFILE_MODE ?= p:Fi1
PROFILE_PAGES ?= 3000
profile-openresty:
	$(MAKE) -s LUA=luajit all
	taskset -c 1 lua5.4 bench/openresty/profile.lua $(PROFILE_WAY) $(PROFILE_MODE) $(PROFILE_PAGES)

# make alloc-openresty: the Lua heap bytes per page of each way and of its
# parts inside the client nginx (bench/openresty/alloc.lua)
.PHONY: alloc-openresty
alloc-openresty:
	$(MAKE) -s LUA=luajit all
	taskset -c 1 lua5.4 bench/openresty/alloc.lua

# make gc-cycles-openresty: the collector cycles each way's batch completes,
# with the heap as left and after a full collection (bench/openresty/gc_cycles.lua)
.PHONY: gc-cycles-openresty
gc-cycles-openresty:
	$(MAKE) -s LUA=luajit all
	taskset -c 1 lua5.4 bench/openresty/gc_cycles.lua
