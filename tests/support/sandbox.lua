-- Test helper: start/stop/control the shoplive sandbox (sandbox/run) from Lua
-- (5.1-5.4, LuaJIT).
--
--   local sandbox = require "support.sandbox"
--   local sb = sandbox.start{ latency = 0.2, qps = 10 }
--   sb.url                       --> "http://127.0.0.1:PORT"
--   sb:reset(); sb:config{ latency = 0, qps = 5, shift = 3 }
--   sb:fault{ type = "status", status = 503, count = 2, retry_after = "1" }
--   local st = sb:stats()
--   sb:stop()                    -- idempotent
--   sandbox.shared()             -- one sandbox for the whole test run
--                                   (or SHOPLIVE_SANDBOX_URL if set)
--
-- Extras for tests: sb:api(params, opts) does one API request;
-- sandbox.connect(url) is a raw HTTP/1.1 keep-alive client that also reports
-- partial bodies and connection errors (truncate/close/stall faults).
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {}

M.API_PATH = "/v1/tiktok/shop/livestreams/analytics"
M.DEFAULT_KEY = "sk_test_ok"

-- repo root from this file's path ---------------------------------------------
local function repo_root()
  local src = debug.getinfo(1, "S").source
  local path = src:sub(1, 1) == "@" and src:sub(2) or "tests/support/sandbox.lua"
  local dir = path:match("^(.*)/tests/support/[^/]+$")
  if not dir then
    if path:match("^tests/support/") then dir = "." else dir = path:match("^(.*)/[^/]+/[^/]+/[^/]+$") or "." end
  end
  local p = io.popen("cd '" .. dir:gsub("'", "'\\''") .. "' && pwd")
  local abs = p:read("*l")
  p:close()
  return abs or dir
end
M.root = repo_root()

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local read_file = require("support.files").read

-- true while process pid exists and is not a zombie (an orphaned launcher
-- may stay a zombie until init reaps it)
local function alive(pid)
  pid = string.format("%d", pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if f then
    local stat = f:read("*a") or ""
    f:close()
    local state = stat:match("^%d+ %b() (%a)")
    return state ~= nil and state ~= "Z" and state ~= "X"
  end
  -- os.execute: true on 5.2+, 0 on 5.1/LuaJIT when the command succeeded
  local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return r == true or r == 0
end
M.alive = alive

local function my_pid()
  local p = io.popen("echo $PPID")
  local pid = p:read("*l")
  p:close()
  return tonumber(pid)
end

-- URL encoding ----------------------------------------------------------------
function M.urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

--- Encode a table as a query string.  Keys are sorted for determinism; an
--- array value repeats the key.  Pass an array of {k, v} pairs to keep order.
function M.query(params)
  if type(params) == "string" then return params end
  local parts = {}
  if params and params[1] and type(params[1]) == "table" then
    for _, kv in ipairs(params) do
      parts[#parts + 1] = M.urlencode(kv[1]) .. "=" .. M.urlencode(kv[2])
    end
    return table.concat(parts, "&")
  end
  local keys = {}
  for k in pairs(params or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = params[k]
    if type(v) == "table" then
      for _, x in ipairs(v) do parts[#parts + 1] = M.urlencode(k) .. "=" .. M.urlencode(x) end
    else
      parts[#parts + 1] = M.urlencode(k) .. "=" .. M.urlencode(v)
    end
  end
  return table.concat(parts, "&")
end

-- simple GET with luasocket (one connection per request) ---------------------
local function get(url, headers, timeout)
  local chunks = {}
  http.TIMEOUT = timeout or 30
  local ok, code, resp_headers = http.request{
    url = url, method = "GET", headers = headers, sink = ltn12.sink.table(chunks),
    redirect = false,
  }
  local body = table.concat(chunks)
  if not ok then return nil, code, body end
  return code, body, resp_headers
end
M.get = get

-- sandbox object ----------------------------------------------------------------
local Sandbox = {}
Sandbox.__index = Sandbox

local function control(self, name, params)
  local q = params and M.query(params) or ""
  local url = self.url .. "/_sandbox/" .. name .. (q ~= "" and ("?" .. q) or "")
  local code, body = get(url, nil, 10)
  if code ~= 200 then
    error(string.format("sandbox %s failed: %s %s", name, tostring(code), tostring(body)), 3)
  end
  if name == "health" then return body end
  return cjson.decode(body)
end

function Sandbox:health() return control(self, "health") end
function Sandbox:reset() return control(self, "reset") end
function Sandbox:config(t) return control(self, "config", t) end
function Sandbox:fault(t) return control(self, "fault", t) end
function Sandbox:stats() return control(self, "stats") end
function Sandbox:per_second() return control(self, "per_second") end

--- One API request.  params: table or query string; opts.key (default
--- "sk_test_ok"; false = no Authorization header), opts.headers (extra).
--- Returns status, decoded body (or nil when not JSON), raw body, headers.
function Sandbox:api(params, opts)
  opts = opts or {}
  local headers = {}
  local key = opts.key
  if key == nil then key = M.DEFAULT_KEY end
  if key then headers["authorization"] = "Bearer " .. key end
  for k, v in pairs(opts.headers or {}) do headers[k:lower()] = v end
  local code, body, h = get(self.url .. M.API_PATH .. "?" .. M.query(params), headers, opts.timeout)
  local ok, decoded = pcall(cjson.decode, body or "")
  return code, ok and decoded or nil, body, h
end

function Sandbox:stop()
  if self.stopped or not self.pid then self.stopped = true; return end
  self.stopped = true
  os.execute(string.format("kill -TERM %d 2>/dev/null", self.pid))
  local deadline = socket.gettime() + 10
  while alive(self.pid) and socket.gettime() < deadline do socket.sleep(0.05) end
  if alive(self.pid) then os.execute(string.format("kill -KILL %d 2>/dev/null", self.pid)) end
  if self.out_file then os.remove(self.out_file) end
  if self.err_file then os.remove(self.err_file) end
end

--- Start a sandbox.  opts: latency, qps, shift, port, host, tls_cert, tls_key,
--- tls_port, tls_http2 (true: offer h2 on the TLS port), client_timeout (nginx's
--- idle, handshake and request-head timeout in s; under valgrind 600 by default:
--- a memchecked client beside another suite took over nginx's 60 s between its
--- handshake and its first request, and met a closed socket), timeout (default
--- 60 s: it returns as soon as the sandbox answers; the suite runs beside another
--- copy of itself on 2 cores, where a start with a TLS certificate took over 10 s).
function M.start(opts)
  opts = opts or {}
  local args = {}
  if opts.client_timeout == nil and os.getenv("SHOPLIVE_UNDER_VALGRIND") == "1" then
    args[1] = "--client-timeout 600"
  end
  for _, k in ipairs({ "port", "host", "latency", "qps", "shift", "prefix",
                       "tls_cert", "tls_key", "tls_port", "client_timeout" }) do
    if opts[k] ~= nil then
      args[#args + 1] = "--" .. k:gsub("_", "-") .. " " .. sh_quote(opts[k])
    end
  end
  if opts.tls_http2 then args[#args + 1] = "--tls-http2" end
  local out_file = os.tmpname()
  local err_file = out_file .. ".err"
  -- env -u: the suite may run with a sanitizer runtime preloaded; nginx must not.
  local cmd = string.format("env -u LD_PRELOAD %s --watch-pid %d %s </dev/null >%s 2>%s & echo $!",
    sh_quote(M.root .. "/sandbox/run"), my_pid(), table.concat(args, " "),
    sh_quote(out_file), sh_quote(err_file))
  local p = io.popen(cmd)
  local pid = tonumber(p:read("*l"))
  p:close()
  assert(pid, "could not start sandbox/run")
  local self = setmetatable({ pid = pid, out_file = out_file, err_file = err_file }, Sandbox)
  local deadline = socket.gettime() + (opts.timeout or 60)
  while socket.gettime() < deadline do
    local out = read_file(out_file) or ""
    local url = out:match("shoplive sandbox: (http://%S+)")
    if url and (not opts.tls_cert or out:match("shoplive sandbox tls: (https://%S+)")) then
      self.url = url
      self.tls_url = out:match("shoplive sandbox tls: (https://%S+)")
      local code, body = get(url .. "/_sandbox/health", nil, 2)
      if code == 200 and body == "ok" then return self end
    end
    if not alive(pid) then break end
    socket.sleep(0.05)
  end
  local err = read_file(err_file) or ""
  self:stop()
  error("sandbox did not start: " .. err, 2)
end

--- Object bound to an already running sandbox (stop() is a no-op).
function M.attach(url)
  return setmetatable({ url = url:gsub("/+$", ""), stopped = true }, Sandbox)
end

local shared_instance, shared_sentinel
function M.shared()
  if shared_instance then return shared_instance end
  local env = os.getenv("SHOPLIVE_SANDBOX_URL")
  if env and env ~= "" then
    shared_instance = M.attach(env)
  else
    shared_instance = M.start()
    -- stop at process exit (lua_close runs finalizers; the launcher also
    -- watches our pid as a fallback)
    local inst = shared_instance
    local function stop() inst:stop() end
    local newproxy = rawget(_G, "newproxy")
    if newproxy then -- Lua 5.1/LuaJIT: only userdata have finalizers
      shared_sentinel = newproxy(true)
      getmetatable(shared_sentinel).__gc = stop
    else
      shared_sentinel = setmetatable({}, { __gc = stop })
    end
    M._shared_sentinel = shared_sentinel
  end
  return shared_instance
end

-- raw HTTP/1.1 client (keep-alive, partial bodies) -----------------------------
local Conn = {}
Conn.__index = Conn

--- Open a TCP connection to the sandbox at url ("http://host:port").
function M.connect(url, timeout)
  local host, port = url:match("^http://([^:/]+):(%d+)")
  assert(host, "bad url " .. tostring(url))
  local s = socket.tcp()
  s:settimeout(timeout or 10)
  local ok, err = s:connect(host, tonumber(port))
  if not ok then return nil, err end
  s:setoption("tcp-nodelay", true)
  return setmetatable({ sock = s, host = host, port = port }, Conn)
end

--- Send one GET and read the response.  Returns a table:
--- { status=, headers= (lowercase keys), body=, err= (nil when complete),
---   chunked=bool, header_time=seconds until headers, time=total seconds }
function Conn:request(target, headers, timeout)
  local s = self.sock
  if timeout then s:settimeout(timeout) end
  local t0 = socket.gettime()
  local lines = { "GET " .. target .. " HTTP/1.1", "Host: " .. self.host .. ":" .. self.port }
  for k, v in pairs(headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  local ok, err = s:send(table.concat(lines, "\r\n") .. "\r\n\r\n")
  local res = { headers = {}, body = "" }
  if not ok then res.err = err; return res end
  local status_line, e = s:receive("*l")
  if not status_line then res.err = e; res.time = socket.gettime() - t0; return res end
  res.status = tonumber(status_line:match("^HTTP/1%.%d (%d%d%d)"))
  while true do
    local line, e2 = s:receive("*l")
    if not line then res.err = e2; return res end
    if line == "" then break end
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then res.headers[k:lower()] = v end
  end
  res.header_time = socket.gettime() - t0
  local parts = {}
  local cl = tonumber(res.headers["content-length"])
  if (res.headers["transfer-encoding"] or ""):lower():find("chunked") then
    res.chunked = true
    while true do
      local sz, e3 = s:receive("*l")
      if not sz then res.err = e3; break end
      local n = tonumber(sz:match("^%x+"), 16)
      if not n then res.err = "bad chunk size"; break end
      if n == 0 then s:receive("*l"); break end
      local data, e4, partial = s:receive(n)
      if not data then parts[#parts + 1] = partial; res.err = e4; break end
      parts[#parts + 1] = data
      s:receive("*l")
    end
  elseif cl then
    if cl > 0 then
      local data, e3, partial = s:receive(cl)
      if data then parts[1] = data else parts[1] = partial; res.err = e3 end
    end
  elseif res.status ~= 204 and res.status ~= 304 then
    local data, e3, partial = s:receive("*a")
    parts[1] = data or partial
    if not data then res.err = e3 end
  end
  res.body = table.concat(parts)
  res.time = socket.gettime() - t0
  return res
end

function Conn:close()
  if self.sock then self.sock:close(); self.sock = nil end
end

--- One-shot raw request (own connection).
function M.raw_get(url, target, headers, timeout)
  local c, err = M.connect(url, timeout)
  if not c then return { err = err, body = "" } end
  local res = c:request(target, headers, timeout)
  c:close()
  return res
end

return M
