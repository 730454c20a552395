--- Test helper: an nginx + lua module of the spec's own, with the given
-- http-block lines, main-context lines (o.main) and worker count, in a temporary prefix; :stop() ends it
-- (idempotent). shoplive's lua/ and build/luajit/ are on its paths.
--   local ngx_srv = nginx_lua.start{ workers = 4, http = [[ ... ]], env = { "KEYAPI_API_KEY" } }
--   ngx_srv.url  -- http://127.0.0.1:PORT
local sandbox = require("support.sandbox")
local socket = require("socket")

local M = {}

function M.is_root()
  local p = io.popen("id -u")
  local uid = p:read("*l")
  p:close()
  return uid == "0"
end

function M.start(o)
  local root = sandbox.root
  local prefix = os.tmpname()
  os.remove(prefix)
  assert(os.execute("mkdir -p '" .. prefix .. "'"))
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  local envs = {}
  for _, e in ipairs(o.env or {}) do envs[#envs + 1] = "env " .. e .. ";" end
  local conf = table.concat({
    "load_module /usr/share/nginx/modules/ndk_http_module.so;",
    "load_module /usr/share/nginx/modules/ngx_http_lua_module.so;",
    "worker_processes " .. (o.workers or 1) .. ";",
    "pid " .. prefix .. "/nginx.pid;",
    "error_log " .. prefix .. "/error.log warn;",
    M.is_root() and "user root root;" or "",
    table.concat(envs, "\n"),
    o.main or "", -- main-context lines (thread_pool ...)
    "events { worker_connections 1024; }",
    "http {",
    "  lua_package_path '" .. root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;/usr/share/lua/5.1/?.lua;;';",
    "  lua_package_cpath '" .. root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;';",
    "  access_log off;",
    "  client_body_temp_path " .. prefix .. "/cbt; proxy_temp_path " .. prefix .. "/pt;",
    "  fastcgi_temp_path " .. prefix .. "/ft; uwsgi_temp_path " .. prefix .. "/ut; scgi_temp_path " .. prefix .. "/st;",
    o.http,
    "  server { listen 127.0.0.1:" .. port .. ";",
    "    location = /health { return 200 'ok'; }",
    o.locations or "",
    "  }",
    "}",
  }, "\n")
  local f = assert(io.open(prefix .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  local p = io.popen(string.format("env -u LD_PRELOAD %s nginx -p '%s' -c '%s/nginx.conf' -g 'daemon off;' "
    .. ">'%s/out' 2>&1 </dev/null & echo $!", o.env_assign or "", prefix, prefix, prefix))
  local pid = tonumber(p:read("*l"))
  p:close()
  local self = { pid = pid, prefix = prefix, url = "http://127.0.0.1:" .. port }
  function self.stop()
    if self.stopped then return end
    self.stopped = true
    os.execute("kill -TERM " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      if not sandbox.alive(pid) then break end
      socket.sleep(0.05)
    end
    os.execute("rm -rf '" .. prefix .. "'")
  end
  function self.log()
    local lf = io.open(prefix .. "/error.log")
    local text = lf and lf:read("*a") or ""
    if lf then lf:close() end
    return text
  end
  -- up to 60 s: on a machine loaded by two suites a start took over 5
  local deadline = socket.gettime() + 60
  while socket.gettime() < deadline do
    local code = sandbox.get(self.url .. "/health", nil, 1)
    if code == 200 then return self end
    if not sandbox.alive(pid) then break end
    socket.sleep(0.05)
  end
  local text = self.log()
  local of = io.open(prefix .. "/out")
  text = text .. (of and of:read("*a") or "")
  self.stop()
  error("nginx did not start: " .. text)
end

return M
