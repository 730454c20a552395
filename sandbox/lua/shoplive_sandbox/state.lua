-- Shared state of the sandbox (lua_shared_dict "sandbox_state" and "sandbox_log").
-- Everything that /_sandbox/reset clears lives in these two dicts; the request
-- id counter and the reset's generation live in "sandbox_ids" and survive resets.
local cjson = require "cjson.safe"

local M = {}

local S = ngx.shared.sandbox_state
local L = ngx.shared.sandbox_log
local IDS = ngx.shared.sandbox_ids

M.LOG_MAX = 1000

-- startup defaults (set from nginx.conf init_by_lua_block)
M.defaults = { latency = 0, qps = 0, shift = 0 }
M.fixtures_dir = nil
M.instance = "00000000"

function M.init(opts)
  M.defaults.latency = tonumber(opts.latency) or 0
  M.defaults.qps = tonumber(opts.qps) or 0
  M.defaults.shift = tonumber(opts.shift) or 0
  M.fixtures_dir = opts.fixtures_dir
  M.token = opts.token or ""
  M.instance = string.format("%08x", (math.floor(ngx.now() * 1000) + (opts.port or 0)) % 4294967296)
end

-- settings -------------------------------------------------------------------
function M.setting(name)
  local v = S:get("set:" .. name)
  if v == nil then return M.defaults[name] end
  return v
end

function M.settings()
  -- window appears only when strict: the settings of the default mode read
  -- as they always did
  return { latency = M.setting("latency"), qps = M.setting("qps"), shift = M.setting("shift"),
    window = S:get("set:window") }
end

function M.set_setting(name, v)
  if name == "window" and v == "accepted" then v = nil end -- the default: no key
  S:set("set:" .. name, v)
  if name == "qps" or name == "window" then M.qps_reset() end
end

function M.reset()
  -- a request that arrived before the reset and ends after it (a cancelled
  -- client left it sleeping through its latency) belongs to the counts that
  -- were cleared, not to the next test's: finish_request skips it
  IDS:incr("generation", 1, 0)
  S:flush_all()
  L:flush_all()
  S:flush_expired()
  L:flush_expired()
end

-- request ids ----------------------------------------------------------------
function M.request_id()
  local n = IDS:incr("rid", 1, 0)
  return string.format("%s-%04x-4%03x-8%03x-%012x", M.instance,
    math.floor(n / 16777216) % 65536, math.floor(n / 4096) % 4096, n % 4096, n)
end

-- stats ----------------------------------------------------------------------
-- Called at the start of every API request: counts it, records the connection,
-- stores a pending log entry.  Returns the request sequence number.
function M.count_request()
  local seq = S:incr("requests", 1, 0)
  local conn = tonumber(ngx.var.connection)
  if S:add("conn:" .. conn, true) then
    S:incr("connections", 1, 0)
    -- One TLS handshake per connection; "r" when it resumed a session.
    if ngx.var.https == "on" then
      S:incr("tls_handshakes", 1, 0)
      if ngx.var.ssl_session_reused == "r" then S:incr("tls_resumed", 1, 0) end
    end
  end
  local h = ngx.req.get_headers(100)
  local function first(v) if type(v) == "table" then return v[1] end return v end
  local auth = first(h["authorization"])
  -- the arrival time, not the time nginx cached when its event loop last
  -- woke (stale by however long the worker was busy or descheduled): the
  -- limiter specs measure requests per second on this clock
  ngx.update_time()
  local entry = {
    seq = seq,
    method = ngx.req.get_method(),
    args = ngx.var.args or "",
    status = 0,
    connection = conn,
    connection_requests = tonumber(ngx.var.connection_requests),
    authorization = (type(auth) == "string" and auth:sub(1, 7) == "Bearer ") and true or false,
    user_agent = first(h["user-agent"]) or cjson.null,
    accept_encoding = first(h["accept-encoding"]) or cjson.null,
    t = ngx.now(),
  }
  -- per-second histogram of every request since the reset (the log keeps
  -- only the last LOG_MAX)
  local sec = math.floor(entry.t)
  S:add("sec:first", sec)
  S:incr("sec:" .. sec, 1, 0)
  ngx.ctx.sandbox_seq = seq
  ngx.ctx.sandbox_entry = entry
  ngx.ctx.sandbox_generation = IDS:get("generation") or 0
  L:set("log:" .. (seq % M.LOG_MAX), cjson.encode(entry))
  return seq
end

-- log phase: final status
function M.finish_request()
  local entry = ngx.ctx.sandbox_entry
  if not entry then return end
  if ngx.ctx.sandbox_generation ~= (IDS:get("generation") or 0) then -- from before a reset
    S:incr("stale", 1, 0)
    return
  end
  local status = tonumber(ngx.var.status) or ngx.status or 0
  entry.status = status
  if ngx.ctx.sandbox_fault then entry.fault = ngx.ctx.sandbox_fault end
  local key = "log:" .. (entry.seq % M.LOG_MAX)
  -- only overwrite if the slot still belongs to this request
  local cur = L:get(key)
  if cur then
    local old = cjson.decode(cur)
    if old and old.seq == entry.seq then
      L:set(key, cjson.encode(entry))
    end
  end
  local code = tostring(status)
  if S:add("status:" .. code, 0) then
    local list = S:get("statuses") or ""
    S:set("statuses", list .. code .. ",")
  end
  S:incr("status:" .. code, 1, 0)
end

function M.stats()
  local requests = S:get("requests") or 0
  local by_status = {}
  for code in (S:get("statuses") or ""):gmatch("([^,]+),") do
    by_status[code] = S:get("status:" .. code) or 0
  end
  local log = setmetatable({}, cjson.array_mt)
  for seq = math.max(1, requests - M.LOG_MAX + 1), requests do
    local e = L:get("log:" .. (seq % M.LOG_MAX))
    if e then
      local t = cjson.decode(e)
      if t and t.seq == seq then log[#log + 1] = t end
    end
  end
  return {
    requests = requests,
    by_status = by_status,
    connections = S:get("connections") or 0,
    tls_handshakes = S:get("tls_handshakes") or 0,
    tls_resumed = S:get("tls_resumed") or 0,
    faults_pending = M.faults_pending(),
    settings = M.settings(),
    max_window = S:get("win:max") or 0,
    stale = S:get("stale") or 0,
    log = log,
  }
end

--- API requests received in each whole second (epoch) since the reset:
-- { first = SECOND, counts = { n, n, ... } } (seconds from first to now).
function M.per_second()
  local first = S:get("sec:first")
  local counts = setmetatable({}, cjson.array_mt)
  if first then
    for sec = first, math.floor(ngx.now()) do counts[#counts + 1] = S:get("sec:" .. sec) or 0 end
  end
  return { first = first or cjson.null, counts = counts }
end

-- fault queue (FIFO) ---------------------------------------------------------
function M.push_fault(f, count)
  local tail = S:incr("fq:tail", 1, 0)  -- index of the new fault
  S:set("fq:f:" .. tail, cjson.encode(f))
  S:set("fq:n:" .. tail, count)
  return tail
end

function M.take_fault()
  local head = (S:get("fq:head") or 0) + 1
  local tail = S:get("fq:tail") or 0
  while head <= tail do
    local left = S:get("fq:n:" .. head) or 0
    if left > 0 then
      S:set("fq:n:" .. head, left - 1)
      local f = cjson.decode(S:get("fq:f:" .. head) or "null")
      if left - 1 == 0 then
        S:set("fq:head", head)
        S:delete("fq:f:" .. head)
        S:delete("fq:n:" .. head)
      end
      return f
    end
    S:set("fq:head", head)
    head = head + 1
  end
  return nil
end

function M.faults_pending()
  local head = (S:get("fq:head") or 0) + 1
  local tail = S:get("fq:tail") or 0
  local n = 0
  for i = head, tail do n = n + (S:get("fq:n:" .. i) or 0) end
  return n
end

-- QPS limit: at most qps accepted requests in any 1-second window ------------
function M.qps_reset()
  S:set("qps:k", 0)
  S:set("win:base", S:get("win:k") or 0)
end

function M.qps_allow()
  local q = M.setting("qps")
  local t = M.window_arrival()
  if not q or q <= 0 then return true end
  if S:get("set:window") == "strict" then
    -- every request counts, refused or not, in the closed second [t - 1, t]
    return M.window_count(t) <= q
  end
  ngx.update_time()
  local now = ngx.now()
  local k = S:get("qps:k") or 0
  local slot = "qps:t:" .. (k % q)
  if k >= q then
    local t0 = S:get(slot)
    if t0 and now - t0 < 1.0 then return false end
  end
  S:set(slot, now)
  S:set("qps:k", k + 1)
  return true
end

-- Sliding one-second windows as the server sees them ----------------------
-- The arrival stamps of the last WIN_MAX authenticated requests, in a ring:
-- the strict mode counts its window there, and stats() reports the busiest
-- window since the reset (max_window), whatever the mode.
M.WIN_MAX = 1000

--- Records this request's arrival (the stamp of its log entry); returns it.
function M.window_arrival()
  local e = ngx.ctx.sandbox_entry
  local t = e and e.t or ngx.now()
  local k = S:incr("win:k", 1, 0)
  S:set("win:t:" .. (k % M.WIN_MAX), t)
  local n = M.window_count(t)
  if n > (S:get("win:max") or 0) then S:set("win:max", n) end
  return t
end

--- Requests that arrived in the closed second [t - 1, t] (the newest ones
-- of the ring, from the last backwards).
function M.window_count(t)
  local k = S:get("win:k") or 0
  local n = 0
  for i = k, math.max((S:get("win:base") or 0) + 1, k - M.WIN_MAX + 1), -1 do
    local ti = S:get("win:t:" .. (i % M.WIN_MAX))
    if not ti or t - ti > 1.0 then break end
    n = n + 1
  end
  return n
end

-- shift counters -------------------------------------------------------------
function M.shift_count(shop)
  return S:get("shift:" .. shop) or 0
end

function M.shift_advance(shop, by)
  if by and by > 0 then S:incr("shift:" .. shop, by, 0) end
end

return M
