-- bench/openresty/setup.lua - the two nginx of the OpenResty bench, shared
-- by run.lua (the measurements) and profile.lua (jit.p / jit.v of one way):
-- the upstream serving a fixed page, and the client nginx loading ways.lua.
local sandbox = require("support.sandbox")
local nginx_lua = require("support.nginx_lua")

local M = {}

M.KEY = "sk_bench_openresty" -- the sandbox-like upstream takes any key
local ROOT = sandbox.root

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
M.read_file = read_file

--- The fixed page: page 1 (10 records) of shop 237 as the sandbox serves
-- it, in a temporary file. Returns its path and size.
function M.page_body()
  local sb = sandbox.start{}
  local status, _, raw = sb:api{ seller_id = "237", page_num = 1, page_size = 10 }
  sb:stop()
  assert(status == 200, "sandbox page")
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(raw)
  f:close()
  return path, #raw
end

--- The upstream (CPU 1): the page at once, or after 200 ms under /slow/.
function M.start_upstream(body_path)
  return nginx_lua.start{
    env_assign = "taskset -c 1",
    http = "  init_by_lua_block { BODY = assert(io.open('" .. body_path .. "')):read('*a') }",
    locations = [[
    location ^~ /slow/ { content_by_lua_block { ngx.sleep(0.2); ngx.header.content_type = "application/json"; ngx.print(BODY) } }
    location / { content_by_lua_block { ngx.header.content_type = "application/json"; ngx.print(BODY) } }
]],
  }
end

--- The client nginx (1 worker, CPU 0): /run drives a way (ways.lua),
-- /profile profiles one, /jitv logs traces, /pid names the worker (srv.worker).
function M.start_client()
  local paths = ROOT .. "/bench/openresty/?.lua;" .. ROOT .. "/bench/lua-resty-http/lib/?.lua;"
    .. ROOT .. "/bench/lua-resty-http/shim/?.lua;"
  local srv = nginx_lua.start{
    main = "thread_pool shoplive threads=8;",
    env = { "KEYAPI_API_KEY" },
    env_assign = "KEYAPI_API_KEY=" .. M.KEY .. " taskset -c 0",
    http = "  init_by_lua_block { package.path = '" .. paths .. "' .. package.path; require('ways') }",
    locations = [[
    location = /run { content_by_lua_block { require("ways").run() } }
    location = /profile { content_by_lua_block { require("ways").profile() } }
    location = /alloc { content_by_lua_block { require("ways").alloc() } }
    location = /gc { content_by_lua_block { require("ways").gc() } }
    location = /gc_cycles { content_by_lua_block { require("gc_probe").run() } }
    location = /jitv { content_by_lua_block { require("ways").jitv() } }
    location = /pid { content_by_lua_block { ngx.say(ngx.worker.pid()) } }
]],
  }
  srv.worker = tonumber(sandbox.raw_get(srv.url, "/pid").body)
  return srv
end

--- run(srv, up) with both nginx started (the fixed page served), then
-- both stopped and the page's file removed, whether run failed or not.
function M.with_nginx(run)
  local body_path = M.page_body()
  local up = M.start_upstream(body_path)
  local ok, err = pcall(function()
    local srv = M.start_client()
    local rok, rerr = pcall(run, srv, up)
    srv.stop()
    assert(rok, rerr)
  end)
  up.stop()
  os.remove(body_path)
  if not ok then error(err, 0) end
end

return M
