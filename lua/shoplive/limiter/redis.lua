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
-- local bucket at qps / peers (and its share of the credits left), says so
-- once through the client's debug hook and in stats().limiter, and tries
-- Redis again `retry` seconds later. When Redis answers again it says so
-- once too, and hands Redis the credits it spent meanwhile (restore below).
--
-- A password in the URL (redis://:PASSWORD@host or redis://USER:PASSWORD@host,
-- Redis 6 ACL) is kept out of the limiter's table, in `secrets`, so that no
-- dump of the limiter shows it, and is cut out of every error text.
local argcheck = require("shoplive.argcheck")
local bucket = require("shoplive.limiter.bucket")
local check_qps = require("shoplive.limiter.qps").check
local jitter = require("shoplive.limiter.jitter")

local M = {}
local R = {}
R.__index = R
R.kind = "redis"

local RETRY = 5         -- default seconds before trying an unreachable Redis again
local TIMEOUT = 0.5     -- default seconds to wait for Redis

-- limiter -> { user =, password = }: weak keys, so a limiter still goes
-- to the garbage collector
local secrets = setmetatable({}, { __mode = "k" })

local function fail(what)
  argcheck.raise("shoplive.limiter.redis: " .. what)
end

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- redis://[[USER]:PASSWORD@]host[:port][/db]. Returns the connection
-- { host, port, db } and the secret { user, password } (nil without one).
-- No error text quotes the URL: it may hold the password.
local function parse_url(url)
  if type(url) ~= "string" then fail("option 'url' must be a redis://host:port/db URL, got " .. type(url)) end
  local rest = url:match("^redis://(.+)$")
  if not rest or rest:find("[%s%c]") then fail("option 'url' must be a redis://host:port/db URL") end
  local auth, hostpart = rest:match("^(.*)@([^@]*)$")
  hostpart = hostpart or rest
  local secret
  if auth then
    local user, password = auth:match("^([^:]*):(.*)$")
    if not user then
      fail("option 'url': a user without a password; write redis://:PASSWORD@host/db "
        .. "(or redis://USER:PASSWORD@host/db), with %-escapes for reserved characters")
    end
    if password ~= "" or user ~= "" then
      secret = { user = user ~= "" and unescape(user) or nil, password = unescape(password) }
    end
  end
  local host, port, db = hostpart:match("^([%w%.%-]+):?(%d*)/?(%d*)$")
  if not host then fail("option 'url' must be a redis://host:port/db URL (host and port not understood)") end
  port = tonumber(port ~= "" and port or "6379")
  if port < 1 or port > 65535 then fail("option 'url': port must be 1..65535") end
  return { host = host, port = port, db = tonumber(db ~= "" and db or "0") }, secret
end

--- text with the password (and the user) cut out, for errors and debug lines
local function redact(self, text)
  text = tostring(text)
  local s = secrets[self]
  if s then
    for _, v in ipairs{ s.password, s.user or "" } do
      if #v > 0 then
        local from = text:find(v, 1, true)
        while from do
          text = text:sub(1, from - 1) .. "***" .. text:sub(from + #v)
          from = text:find(v, from + 3, true)
        end
      end
    end
  end
  return text
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
  error("shoplive.limiter.redis: cannot find " .. name .. " on package.path", 0)
end

--- src without its whole-line comments (neither file has a long string).
-- Redis 7 closes the connection of a client that has not authenticated
-- yet on a bulk argument over 16 KiB, before it could answer NOAUTH: the
-- script with its comments passed that.
local function code_only(src)
  return (("\n" .. src):gsub("\n[ \t]*%-%-[^\n]*", ""))
end

local script_source
local function script()
  if not script_source then
    script_source = "local adapt = (function()\n" .. code_only(read_module_source("shoplive.limiter.adapt"))
      .. "\nend)()\n" .. code_only(read_module_source("shoplive.limiter.redis_script"))
  end
  return script_source
end

function M.new(opts)
  if type(opts) ~= "table" then fail("expected a table { url =, qps =, key =, peers = }, got " .. type(opts)) end
  local known = { url = true, qps = true, key = true, peers = true, timeout = true, retry = true }
  for k in pairs(opts) do
    if not known[k] then
      fail("unknown option '" .. tostring(k) .. "' (accepted: key, peers, qps, retry, timeout, url)")
    end
  end
  local conn, secret = parse_url(opts.url)
  if opts.qps == nil then fail("option 'qps' is required (requests per second for every process together)") end
  check_qps("shoplive.limiter.redis", opts.qps)
  local key = opts.key == nil and "shoplive" or opts.key
  if type(key) ~= "string" or key == "" or key:find("[%c%s]") then
    fail("option 'key' must be a non-empty string without spaces, got " .. type(key))
  end
  local peers = opts.peers == nil and 1 or opts.peers
  if type(peers) ~= "number" or peers < 1 or peers % 1 ~= 0 or peers > 1e6 then
    fail("option 'peers' must be an integer >= 1 (processes sharing the key), got " .. tostring(peers))
  end
  local timeout = opts.timeout == nil and TIMEOUT or opts.timeout
  if type(timeout) ~= "number" or not (timeout > 0) or timeout > 3600 then
    fail("option 'timeout' must be a number of seconds > 0, got " .. tostring(timeout))
  end
  local retry = opts.retry == nil and RETRY or opts.retry
  if type(retry) ~= "number" or not (retry >= 0) or retry > 86400 then
    fail("option 'retry' must be a number of seconds >= 0, got " .. tostring(retry))
  end
  local ngx = rawget(_G, "ngx")
  local self = setmetatable({
    conn = conn, max_rate = opts.qps, prefix = "shoplive:" .. key, peers = peers, timeout = timeout,
    retry = retry, ngx = type(ngx) == "table" and ngx.socket and ngx or nil,
    fallback = bucket.new(opts.qps / peers), fallback_credits = 0, known_credits = 0,
    down_until = -math.huge, jitter = jitter.new(),
  }, R)
  secrets[self] = secret
  return self
end

function R:__tostring()
  return string.format("shoplive.limiter.redis(%s:%d/%d %s)", self.conn.host, self.conn.port, self.conn.db,
    self.prefix)
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
  local c, s = self.conn, secrets[self]
  -- connections authenticated as one user are pooled apart from another's
  local pool = "shoplive:" .. c.host .. ":" .. c.port .. ":" .. c.db
  if s then pool = pool .. ":" .. self.ngx.md5((s.user or "") .. "\0" .. s.password) end
  local ok, err = red:connect(c.host, c.port, { pool = pool })
  if not ok then return nil, err end
  if red:get_reused_times() == 0 then
    if s then
      if s.user then ok, err = red:auth(s.user, s.password) else ok, err = red:auth(s.password) end
      if not ok then
        red:close()
        return nil, "authentication refused: " .. tostring(err)
      end
    end
    if c.db ~= 0 then
      ok, err = red:select(c.db)
      if not ok then red:close() return nil, err end
    end
  end
  local res
  local reported = self:_reported()
  if self.sha then res, err = red:evalsha(self.sha, 1, self.prefix, op, self.max_rate, reported, ...) end
  if not self.sha or (not res and tostring(err):find("NOSCRIPT")) then
    res, err = red:eval(script(), 1, self.prefix, op, self.max_rate, reported, ...)
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
  error(redis, 0)
end

--- Plain Lua: one luasocket connection, reopened after an error.
function R:_call_socket(op, ...)
  local args = { self:_reported(), ... }
  local ok, res = pcall(function()
    if not self.client then
      local redis = require_redis_lua()
      local c, s = self.conn, secrets[self]
      local cl = redis.connect{ host = c.host, port = c.port, timeout = self.timeout }
      self.client = cl -- from here on an error closes it (below)
      if s then
        local oka, e
        if s.user then oka, e = pcall(cl.auth, cl, s.user, s.password) else oka, e = pcall(cl.auth, cl, s.password) end
        if not oka then error("authentication refused: " .. tostring(e), 0) end
      end
      if c.db ~= 0 then cl:select(c.db) end
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
  if self.client then
    -- not QUIT: a Redis that stopped answering would make it wait again
    pcall(function() self.client.network.socket:close() end)
  end
  self.client = nil
  return nil, res
end

function R:_transport(op, ...)
  if self.ngx and self.ngx.get_phase() ~= "init" and self.ngx.get_phase() ~= "init_worker" then
    return self:_call_resty(op, ...)
  end
  return self:_call_socket(op, ...)
end

function R:_say(line)
  if self.debug then pcall(self.debug, line) end
end

--- Run op on Redis; nil, err when Redis is unreachable or slow (then the
-- fallback serves until `retry` seconds have passed). Each outage is
-- reported once, and so is each return.
function R:_call(op, ...)
  local t = clock()
  if t < self.down_until then return nil end
  local res, err
  if self.falling_back then
    -- back from an outage: Redis first counts what this process spent
    -- meanwhile, then answers op (a reserve before it would be checked
    -- against a count that lacks those credits)
    res, err = self:_restore()
    if res ~= nil then res, err = self:_transport(op, ...) end
  else
    res, err = self:_transport(op, ...)
  end
  if res == nil then
    self.down_until = t + self.retry
    if not self.falling_back then
      self.falling_back, self.fallback_reported = true, true
      self.error = redact(self, err)
      self:_say(string.format("shoplive limiter: redis %s:%d unreachable (%s); local bucket at %g qps until it answers",
        self.conn.host, self.conn.port, self.error, self.max_rate / self.peers))
    end
    return nil
  end
  if self.falling_back then
    self.falling_back = false
    self:_say(string.format("shoplive limiter: redis %s:%d answers again; shared bucket at %g qps, "
      .. "%d credits spent meanwhile handed to it", self.conn.host, self.conn.port, self.max_rate,
      self.restored or 0))
  end
  return res
end

--- This process's part of the credits left when Redis last answered.
function R:_share()
  if not self.last_max then return 0 end
  return math.floor(math.max(0, self.last_max - self.known_credits) / self.peers)
end

--- Back from an outage: Redis counts the credits this process spent on its
-- own meanwhile, on top of at least the count it last saw (a Redis that
-- restarted empty gets the count back from its clients), and holds the
-- shares of the peers that may still be spending theirs without it (see
-- restore in redis_script.lua). Returns true, or nil, err: then the
-- credits stay local and the next return tries again.
function R:_restore()
  self.restored = 0
  if self.fallback_credits == 0 and self.known_credits == 0 then return true end
  -- the peers come back within their retry time, on their next request
  local hold = self.retry + self.timeout + 1
  local res, err = self:_transport("restore", self.known_credits, self.fallback_credits, self:_share(),
    self.peers - 1, hold)
  if res == nil then return nil, err end
  self.restored, self.fallback_credits, self.known_credits = self.fallback_credits, 0, tonumber(res) or 0
  return true
end

-- ---- the limiter -----------------------------------------------------

--- 0 and the grant's number (for sent()) when a request may go now, else
-- the seconds to wait.
function R:take(now)
  local res = self:_call("take")
  if res == nil then return self.fallback:take(now) end
  local wait, n = tostring(res):match("^(%S+) (%d+)$")
  if n then return tonumber(wait), tonumber(n) end
  return tonumber(res) or 0
end

--- Grant n's request left `ago` seconds ago (the client tells it when the
-- transfer ends, ago its time). Kept here, on this process's clock, and
-- told to Redis with the next call (the answer's success, usually), which
-- stamps it on Redis's clock: a round trip of its own per request would
-- cost as much as the take. The time told is moved later by this
-- process's measured jitter (limiter/jitter.lua), never past now.
function R:sent(n, ago)
  local r = self.reports or {}
  self.reports = r
  ago = ago or 0
  r[#r + 1] = n
  r[#r + 1] = clock() - ago + self.jitter:excess(ago)
end

--- The reported sends for the script's ARGV[3] ("N:AGO ..."), forgotten
-- here: a call that fails loses them, and Redis then counts those sends
-- as leaving adapt.PENDING after their grants.
function R:_reported()
  local r = self.reports
  if not r then return "" end
  self.reports = nil
  local t, out = clock(), {}
  for i = 1, #r, 2 do out[#out + 1] = string.format("%d:%.6f", r[i], math.max(0, t - r[i + 1])) end
  return table.concat(out, " ")
end

function R:on_success()
  if self:_call("ok") == nil then self.fallback:on_success() end
end

function R:on_rate_limited(now, observed)
  if self:_call("cut", observed or "") == nil then self.fallback:on_rate_limited(now, observed) end
end

function R:reserve(max)
  local res = self:_call("reserve", max)
  if res ~= nil then self.last_max = max end
  if res == nil then
    -- without Redis each process keeps to its share of what was left when
    -- it last heard from Redis
    self.last_max = self.last_max or max
    if self.fallback_credits + 1 > self:_share() then return false end
    self.fallback_credits = self.fallback_credits + 1
    return true
  end
  res = tonumber(res) or 0
  if res > 0 then self.known_credits = res end
  return res > 0
end

function R:release()
  local res = self:_call("release")
  if res == nil then
    if self.fallback_credits > 0 then self.fallback_credits = self.fallback_credits - 1 end
  else
    self.known_credits = tonumber(res) or self.known_credits
  end
end

--- The client is closing: a process that spent credits on its own and
-- ends before its retry time would take them away with it (Redis would
-- count less than was spent), so it tries Redis once more now, whatever
-- the retry time (at most `timeout`).
function R:settle()
  -- the sends not told yet: Redis would count each as leaving adapt.HOLD
  -- after its grant, and hold back the other processes until then
  if self.reports and not self.falling_back then self:_call("state") end
  if not self.falling_back or (self.fallback_credits == 0 and self.known_credits == 0) then return end
  self.down_until = -math.huge
  self:_call("state")
end

function R:stats()
  local res = self:_call("state")
  local st = { kind = "redis", qps = self.max_rate, peers = self.peers, fallback = self.fallback_reported or nil,
    error = self.error, falling_back = self.falling_back or nil }
  if type(res) == "table" then
    st.rate, st.ceiling, st.credits = tonumber(res[1]), tonumber(res[2]), tonumber(res[3])
    self.known_credits = st.credits or self.known_credits
  else
    st.rate, st.ceiling = self.fallback.rate, self.fallback.ceiling
  end
  return st
end

return M
