--- A limiter shared by every process on every host: shoplive.limiter.redis{
-- url = "redis://127.0.0.1:6379/0", qps = 10, key = "acct", peers = 4 }.
-- Redis keeps the bucket, the adaptive state and the credit count; every
-- operation is one atomic script (limiter/redis_script.lua, by EVALSHA, EVAL
-- when Redis does not have it yet).
--
-- The Redis client is loaded on first use: inside OpenResty lua-resty-redis
-- over cosockets (Debian lua-nginx-redis, module nginx.redis), which never
-- blocks the worker; elsewhere redis-lua over luasocket (Debian lua-redis):
-- pure Lua, one small file, runs on 5.1-5.4 and LuaJIT, and Debian's is the
-- packaged, maintained one (it installs for 5.1-5.3 only; the same file
-- serves 5.4, found below).
--
-- Redis unreachable or slower than `timeout`: the limiter falls back to a
-- local bucket at qps / peers (and max_credits / peers), says so once
-- through the client's debug hook and in stats().limiter, and tries Redis
-- again RETRY seconds later.
local limiter = require("shoplive.limiter")

local M = {}
local R = {}
R.__index = R
R.kind = "redis"

local RETRY = 5         -- seconds before trying an unreachable Redis again
local TIMEOUT = 0.5     -- default seconds to wait for Redis

local function fail(what, level)
  error("shoplive.limiter.redis: " .. what, level + 1)
end

--- redis://[:password@]host[:port][/db]
local function parse_url(url, level)
  if type(url) ~= "string" then fail("option 'url' must be a redis://host:port/db URL, got " .. type(url), level) end
  local rest = url:match("^redis://(.+)$")
  if not rest or rest:find("[%s%c]") then fail("option 'url' must be a redis://host:port/db URL", level) end
  local auth, hostpart = rest:match("^(.*)@([^@]*)$")
  hostpart = hostpart or rest
  local password = auth and auth:match("^[^:]*:(.*)$") or auth
  local host, port, db = hostpart:match("^([%w%.%-]+):?(%d*)/?(%d*)$")
  if not host then fail("option 'url' must be a redis://host:port/db URL (host and port not understood)", level) end
  port = tonumber(port ~= "" and port or "6379")
  if port < 1 or port > 65535 then fail("option 'url': port must be 1..65535", level) end
  return { host = host, port = port, db = tonumber(db ~= "" and db or "0"), password = password ~= "" and password or nil }
end

local function read_module_source(name)
  local file = name:gsub("%.", "/")
  for pattern in package.path:gmatch("[^;]+") do
    local path = pattern:gsub("%?", file)
    local f = io.open(path, "rb")
    if f then
      local src = f:read("*a")
      f:close()
      return src
    end
  end
  error("shoplive.limiter.redis: cannot find " .. name .. " on package.path")
end

local script_source
local function script()
  if not script_source then
    script_source = "local adapt = (function()\n" .. read_module_source("shoplive.limiter.adapt")
      .. "\nend)()\n" .. read_module_source("shoplive.limiter.redis_script")
  end
  return script_source
end

function M.new(opts, level)
  level = (level or 1) + 1
  if type(opts) ~= "table" then fail("expected a table { url =, qps =, key =, peers = }, got " .. type(opts), level) end
  local known = { url = true, qps = true, key = true, peers = true, timeout = true }
  for k in pairs(opts) do
    if not known[k] then fail("unknown option '" .. tostring(k) .. "' (accepted: key, peers, qps, timeout, url)", level) end
  end
  local conn = parse_url(opts.url, level)
  if opts.qps == nil then fail("option 'qps' is required (requests per second for every process together)", level) end
  limiter.check_qps("shoplive.limiter.redis", opts.qps, level)
  local key = opts.key == nil and "shoplive" or opts.key
  if type(key) ~= "string" or key == "" or key:find("[%c%s]") then
    fail("option 'key' must be a non-empty string without spaces, got " .. type(key), level)
  end
  local peers = opts.peers == nil and 1 or opts.peers
  if type(peers) ~= "number" or peers < 1 or peers % 1 ~= 0 or peers > 1e6 then
    fail("option 'peers' must be an integer >= 1 (processes sharing the key), got " .. tostring(peers), level)
  end
  local timeout = opts.timeout == nil and TIMEOUT or opts.timeout
  if type(timeout) ~= "number" or not (timeout > 0) or timeout > 3600 then
    fail("option 'timeout' must be a number of seconds > 0, got " .. tostring(timeout), level)
  end
  local ngx = rawget(_G, "ngx")
  return setmetatable({
    conn = conn, max_rate = opts.qps, prefix = "shoplive:" .. key, peers = peers, timeout = timeout,
    ngx = type(ngx) == "table" and ngx.socket and ngx or nil,
    fallback = limiter.new(opts.qps / peers), fallback_credits = 0,
    down_until = -math.huge,
  }, R)
end

--- The client passes its debug hook and timeout.
function R:attach(debug, timeout)
  self.debug = debug
  if timeout and timeout < self.timeout then self.timeout = timeout end
end

local clock = require("shoplive.core").now
local unpack = table.unpack or rawget(_G, "unpack")

-- ---- the two transports ----------------------------------------------

--- OpenResty: a cosocket per call, kept alive in nginx's pool (a cosocket
-- cannot outlive the request that made it).
function R:_call_resty(op, ...)
  local redis = require("nginx.redis")
  local red = redis:new()
  red:set_timeout(math.ceil(self.timeout * 1000))
  local c = self.conn
  local ok, err = red:connect(c.host, c.port, { pool = "shoplive:" .. c.host .. ":" .. c.port .. ":" .. c.db })
  if not ok then return nil, err end
  if red:get_reused_times() == 0 then
    if c.password then
      ok, err = red:auth(c.password)
      if not ok then return nil, err end
    end
    if c.db ~= 0 then
      ok, err = red:select(c.db)
      if not ok then return nil, err end
    end
  end
  local res
  if self.sha then res, err = red:evalsha(self.sha, 1, self.prefix, op, self.max_rate, ...) end
  if not self.sha or (not res and tostring(err):find("NOSCRIPT")) then
    res, err = red:eval(script(), 1, self.prefix, op, self.max_rate, ...)
    if res ~= nil then self.sha = self.ngx.sha1_bin and self:_sha_hex() or nil end
  end
  if res == nil then red:close() return nil, err end
  red:set_keepalive(10000, 64)
  return res
end

function R:_sha_hex()
  local ngx = self.ngx
  return (ngx.sha1_bin(script()):gsub(".", function(ch) return string.format("%02x", ch:byte()) end))
end

local function require_redis_lua()
  local ok, redis = pcall(require, "redis")
  if ok then return redis end
  -- Debian's lua-redis installs the (version-independent) file for 5.1-5.3
  for _, dir in ipairs{ "/usr/share/lua/5.3/", "/usr/share/lua/5.1/" } do
    local f = io.open(dir .. "redis.lua")
    if f then
      f:close()
      local chunk = assert(loadfile(dir .. "redis.lua"))
      package.loaded.redis = chunk("redis")
      return package.loaded.redis
    end
  end
  error(redis)
end

--- Plain Lua: one luasocket connection, reopened after an error.
function R:_call_socket(op, ...)
  local args = { ... }
  local ok, res = pcall(function()
    if not self.client then
      local redis = require_redis_lua()
      local c = self.conn
      local cl = redis.connect{ host = c.host, port = c.port, timeout = self.timeout }
      if c.password then cl:auth(c.password) end
      if c.db ~= 0 then cl:select(c.db) end
      self.client = cl
      if not self.sha then self.sha = cl:script("load", script()) end
    end
    local okc, r = pcall(self.client.evalsha, self.client, self.sha, 1, self.prefix, op, self.max_rate,
      unpack(args))
    if not okc and tostring(r):find("NOSCRIPT") then
      return self.client:eval(script(), 1, self.prefix, op, self.max_rate, unpack(args))
    elseif not okc then
      error(r, 0)
    end
    return r
  end)
  if ok then return res end
  if self.client then pcall(self.client.quit, self.client) end
  self.client = nil
  return nil, res
end

--- Run op on Redis; nil, err when Redis is unreachable or slow (then the
-- fallback serves until RETRY seconds have passed).
function R:_call(op, ...)
  local t = clock()
  if t < self.down_until then return nil end
  local res, err
  if self.ngx and self.ngx.get_phase() ~= "init" and self.ngx.get_phase() ~= "init_worker" then
    res, err = self:_call_resty(op, ...)
  else
    res, err = self:_call_socket(op, ...)
  end
  if res == nil then
    self.down_until = t + RETRY
    if not self.fallback_reported then
      self.fallback_reported = true
      self.error = tostring(err)
      if self.debug then
        pcall(self.debug, string.format("shoplive limiter: redis %s:%d unreachable (%s); local bucket at %g qps until it answers",
          self.conn.host, self.conn.port, tostring(err), self.max_rate / self.peers))
      end
    end
    self.falling_back = true
    return nil
  end
  self.falling_back = false
  return res
end

-- ---- the limiter -----------------------------------------------------

function R:take(now)
  local res = self:_call("take")
  if res == nil then return self.fallback:take(now) end
  return tonumber(res) or 0
end

function R:on_success()
  if self:_call("ok") == nil then self.fallback:on_success() end
end

function R:on_rate_limited(now, observed)
  if self:_call("cut", observed or "") == nil then self.fallback:on_rate_limited(now, observed) end
end

function R:reserve(max)
  local res = self:_call("reserve", max)
  if res == nil then
    -- without Redis each process keeps to its share of the budget
    if self.fallback_credits + 1 > math.floor(max / self.peers) then return false end
    self.fallback_credits = self.fallback_credits + 1
    return true
  end
  return res == 1
end

function R:release()
  if self:_call("release") == nil and self.fallback_credits > 0 then
    self.fallback_credits = self.fallback_credits - 1
  end
end

function R:stats()
  local res = self:_call("state")
  local st = { kind = "redis", qps = self.max_rate, peers = self.peers, fallback = self.fallback_reported or nil,
    error = self.error, falling_back = self.falling_back or nil }
  if type(res) == "table" then
    st.rate, st.ceiling, st.credits = tonumber(res[1]), tonumber(res[2]), tonumber(res[3])
  else
    st.rate, st.ceiling = self.fallback.rate, self.fallback.ceiling
  end
  return st
end

M._script = script
M._parse_url = parse_url
return M
