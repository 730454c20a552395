--- examples/openresty/run in front of an upstream (a sandbox), for specs.
local env = require("support.env")
local sandbox = require("support.sandbox")
local socket = require("socket")

local M = {}

--- Start the example against `upstream`; returns its URL and a stop()
-- that ends nginx and removes the log file (call it from teardown).
-- extra (optional): env = "NAME=value ..." for nginx, args = "--workers 4".
function M.start(upstream, extra)
  extra = extra or {}
  local out = os.tmpname()
  -- env -u: nginx must not inherit a sanitizer runtime the suite preloads
  local cmd = string.format("cd %s && env -u LD_PRELOAD KEYAPI_BASE_URL=%s KEYAPI_API_KEY=%s %s examples/openresty/run %s"
    .. " >%s 2>&1 </dev/null & echo $!", env.sh_quote(sandbox.root), env.sh_quote(upstream), env.sh_quote(env.KEY),
    extra.env or "", extra.args or "", env.sh_quote(out))
  local p = io.popen(cmd)
  local pid = assert(tonumber(p:read("*l")))
  p:close()
  local function stop()
    os.execute("kill -TERM " .. pid .. " 2>/dev/null")
    os.remove(out)
  end
  local text = ""
  local deadline = socket.gettime() + 60 -- a loaded machine's start: see nginx_lua
  while socket.gettime() < deadline do
    local f = io.open(out)
    text = f and f:read("*a") or ""
    if f then f:close() end
    local url = text:match("shoplive openresty: (http://%S+)")
    if url then return url, stop end
    socket.sleep(0.05)
  end
  stop()
  error("openresty example did not start: " .. text)
end

return M
