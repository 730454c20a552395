# make bench-openresty [OPENRESTY_RUNS=n]: shoplive's transports inside Debian's nginx +
# lua-nginx-module against lua-resty-http + cjson (bench/openresty/run.lua).
# nginx loads the LuaJIT core; the driver runs on CPU 1, the client nginx on
# CPU 0 (the upstream on CPU 1 too: see the script's header).
.PHONY: bench-openresty
OPENRESTY_RUNS ?= 3
bench-openresty:
	$(MAKE) -s LUA=luajit all
	taskset -c 1 lua5.4 bench/openresty/run.lua $(OPENRESTY_RUNS)
