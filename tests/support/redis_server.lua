--- Test helper: a redis-server of the test's own, on a free loopback port
-- with a temporary directory, stopped by :stop() (idempotent).
--   redis_server.start{ port = p }          -- a given port (a restart after stop())
--   redis_server.start{ password = "pw" }   -- requirepass; self.auth is "pw" for command()
local socket = require("socket")

local M = {}

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end
M.free_port = free_port

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

function M.start(o)
  o = o or {}
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  local port = o.port or free_port()
  local p = io.popen(string.format("env -u LD_PRELOAD redis-server --port %d --bind 127.0.0.1 --dir '%s' --save '' "
    .. "--appendonly no --logfile '%s/redis.log' %s >/dev/null 2>&1 </dev/null & echo $!", port, dir, dir,
    o.password and ("--requirepass " .. sh_quote(o.password)) or ""))
  local pid = tonumber(p:read("*l"))
  p:close()
  local self = { pid = pid, port = port, dir = dir, url = "redis://127.0.0.1:" .. port .. "/0", auth = o.password }
  function self.stop()
    if self.stopped then return end
    self.stopped = true
    os.execute("kill -TERM " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      local f = io.open("/proc/" .. pid .. "/stat")
      local st = f and f:read("*a") or ""
      if f then f:close() end
      if not f or st:match("^%d+ %b() (%a)") == "Z" then break end
      socket.sleep(0.05)
    end
    os.execute("rm -rf '" .. dir .. "'")
  end
  local deadline = socket.gettime() + 60 -- a loaded machine's start: see nginx_lua
  while socket.gettime() < deadline do
    local c = socket.connect("127.0.0.1", port)
    if c then
      c:send("PING\r\n")
      c:settimeout(1)
      local line = c:receive("*l")
      c:close()
      -- with requirepass, the refusal proves it is up just as well
      if line == "+PONG" or (line and line:find("^%-NOAUTH")) then return self end
    end
    socket.sleep(0.05)
  end
  self.stop()
  error("redis-server did not start on port " .. port)
end

--- A raw command (RESP inline) for checks; returns the first reply line.
-- password: AUTH first (a redis-server started with one: its self.auth).
function M.command(port, cmd, password)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(2)
  if password then
    -- AUTH as a RESP array: the password may hold anything
    c:send(string.format("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", #password, password))
    local ok = c:receive("*l")
    assert(ok == "+OK", "AUTH: " .. tostring(ok))
  end
  c:send(cmd .. "\r\n")
  local line = c:receive("*l")
  if line and line:sub(1, 1) == "$" and line ~= "$-1" then line = c:receive("*l") end
  c:close()
  return line
end

--- For a describe block: one redis-server for the block (fx.rs) and, before
-- each test, the run's sandbox reset (fx.sb) and Redis flushed. hooks: the
-- spec's busted setup, teardown and before_each (busted sets them in the
-- spec's environment only).
function M.flushed_each(hooks)
  local env = require("support.env")
  local fx = {}
  hooks.setup(function()
    fx.rs = M.start()
  end)
  hooks.teardown(function()
    if fx.rs then fx.rs.stop() end
    if fx.sb then fx.sb:reset() end
  end)
  hooks.before_each(function()
    fx.sb = env.sandbox()
    fx.sb:reset()
    M.command(fx.rs.port, "FLUSHALL")
  end)
  return fx
end

return M
