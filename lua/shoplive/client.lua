--- The client: owns a core client (libcurl multi handle), the rate limiter,
-- the statistics and the requests in progress. Every way of making a request
-- (blocking, many at once, start/poll) goes through the same pump, so
-- retries, pacing, budgets and accounting behave identically everywhere.
local argcheck = require("shoplive.argcheck")
local core = require("shoplive.core")
local errors = require("shoplive.errors")
local limiter = require("shoplive.limiter")
local metrics = require("shoplive.metrics")
local query = require("shoplive.query")
local request = require("shoplive.request")
local response = require("shoplive.response")
local retry = require("shoplive.retry")
local schema = require("shoplive.schema")

-- Looked up at each call, not captured: a test can swap in a clock of its
-- own (core.now, core.sleep) after the client was made.
local function now() return core.now() end
local function sleep(s) return core.sleep(s) end
local huge, min, max = math.huge, math.min, math.max

-- Inside OpenResty the phases where nginx may suspend the request's Lua
-- thread (lua-nginx-module's "yieldable" contexts, and the stream module's
-- preread): there ngx.sleep waits without blocking the worker. Everywhere
-- else (init, init_worker, set, header/body filters, log, balancer) it
-- raises, so the client blocks there as it does outside nginx.
local NGX_YIELDABLE = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

--- The wait hook used when the client has none: ngx.sleep where nginx
-- allows it, else nil (block in libcurl). Decided per call, not at
-- creation: a client made in init_worker serves requests and timers later.
local function host_wait()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.get_phase) == "function" and NGX_YIELDABLE[ngx.get_phase()] then
    return ngx.sleep
  end
  return nil
end

-- How often a blocked client asks its `interrupt` hook (opts.interrupt):
-- sleeps are cut into slices this long, libcurl waits no longer.
local INTERRUPT_SLICE = 0.1

--- A sleep that ends early once interrupt() returns true.
local function interruptible_sleep(interrupt)
  return function(s)
    local stop_at = now() + s
    while not interrupt() do
      local left = stop_at - now()
      if left <= 0 then return end
      sleep(min(left, INTERRUPT_SLICE))
    end
  end
end

local M = {}
local Client = {}
Client.__index = Client
M.Client = Client

function M.new(opts, version)
  local c = require("shoplive.transport.select")(opts, {
    api_key = opts.api_key,
    user_agent = opts.user_agent or ("shoplive/" .. version .. " libcurl/" .. core.curl_version),
    ca_file = opts.ca_file, proxy = opts.proxy,
    timeout = opts.timeout, connect_timeout = opts.connect_timeout,
    low_speed_limit = opts.low_speed_limit, low_speed_time = opts.low_speed_time,
    max_body = opts.max_body,
    debug = opts.debug ~= nil,
    http2 = opts.http2,
  })
  local o = {}
  for k, v in pairs(opts) do
    if k ~= "api_key" then o[k] = v end -- the key lives only in the C core
  end
  local cl = setmetatable({
    _core = c, _opts = o, _wait = o.wait, _debug = o.debug, base_url = o.base_url,
    _redact = function(s, cut) return c:redact(s, cut) end,
    _active = {}, _inflight = 0, _sent_times = {}, _sent_i = 0, _queued = 0,
    _limiter = o.limiter or limiter.new(o.qps),
    _stats = { requests = 0, credits = 0, retries = 0, bytes = 0, cache_hits = 0, errors = {} },
    _latency = metrics.histogram(),
    _store = o.store, _cache_ttl = o.cache_ttl or 86400, _saved = { new = 0, changed = 0 },
    -- opts.interrupt: checked at each step of a blocking wait (sync.lua too)
    _interrupted = o.interrupt, _sleep = o.interrupt and interruptible_sleep(o.interrupt),
  }, Client)
  -- a shared limiter reports its fallback through the debug hook and stops
  -- waiting on its backend after the client's timeout
  if o.limiter and o.limiter.attach then o.limiter:attach(o.debug, o.timeout) end
  return cl
end

local raise = argcheck.raise

local function check_self(self)
  if getmetatable(self) ~= Client then
    raise("shoplive: method called on a " .. type(self) .. "; use client:method(...)")
  end
end

local function check_open(self)
  check_self(self)
  if self._closed then raise("shoplive: client is closed") end
end

function Client:__tostring()
  return "shoplive client (" .. self.base_url .. (self._closed and ", closed)" or ")")
end

--- Free the connection and every transfer; idempotent. Requests still
-- running end with a "cancelled" err. Also `__gc`, and `__close` (Lua 5.4
-- `local client <close> = shoplive.new{}`). Any other method of a closed
-- client raises.
-- @function Client:close
-- @usage client:close()
function Client:close()
  check_self(self)
  if self._closed then return end
  for _, req in ipairs(self._active) do
    req:_finish(nil, request.cancelled(req.attempts))
  end
  self._active = {}
  self._closed = true
  self._core:close()
  -- a shared limiter hands Redis the credits it spent without it
  local lim = self._limiter
  if lim.settle then lim:settle() end
end
Client.__close = Client.close
-- A finalizer must not allocate (it may run because memory ran out): the
-- core's close frees every transfer and handle without creating Lua values.
function Client:__gc()
  self._core:close()
end

--- Counters since the client was made (a new table each call; see @{stats}).
-- @function Client:stats
-- @treturn table the @{stats} table
-- @usage local s = client:stats()
-- print(s.requests .. " requests, " .. s.credits .. " credits")
function Client:stats()
  check_self(self)
  local s = self._stats
  local l = self._limiter
  local errs = {}
  for kind, n in pairs(s.errors) do errs[kind] = n end
  return { requests = s.requests, credits = s.credits, retries = s.retries, bytes = s.bytes,
    cache_hits = s.cache_hits, errors = errs, latency = metrics.snapshot(self._latency),
    limiter = l.stats and l:stats() or nil }
end

-- ---- the pump -------------------------------------------------------

--- Requests per second sent during the last second (feeds the limiter when
-- the server rate-limits a client that has no qps set).
-- @local
function Client:_observed_rate(t)
  local n = 0
  for _, s in ipairs(self._sent_times) do
    if t - s <= 1 then n = n + 1 end
  end
  return n
end

--- True when max_credits leaves no room for one more request (the requests
-- in flight may each still be billed). A shared limiter keeps the budget in
-- its backend instead (reserve() in _send).
-- @local
function Client:_over_budget()
  local mc = self._opts.max_credits
  return mc and not self._limiter.reserve and self._stats.credits + self._inflight >= mc
end

--- The message of the budget that leaves no room for req (the client's
-- own max_credits, or the call's: sync{ max_credits }), nil when none.
-- @local
function Client:_budget_full(req)
  if self:_over_budget() then return "max_credits (" .. self._opts.max_credits .. ") reached" end
  local b = req.budget
  if b and b:full() then return "max_credits (" .. b.max .. ") of this call reached" end
end

--- Ends req unsent. Like a page from the cache, it finished with nothing
-- in flight: _run_until must ask done() again (livestreams_many lost the
-- budget errs of the queries it queued last, the LuaJIT "49 of 50").
-- @local
function Client:_refuse(req, err)
  self._cache_progress = true
  req:_finish(nil, err)
end

function Client:_send(req, t)
  local o = self._opts
  local lim = self._limiter
  local shared_budget = o.max_credits and lim.reserve
  local full = self:_budget_full(req)
  if full then
    local last = req.last_err
    self:_refuse(req, errors.new{ kind = "budget", attempts = req.attempts, cause = last,
      message = full .. "; request not sent"
        .. (last and ("; the last attempt failed: " .. tostring(last.message)) or "") })
    return
  end
  local wait = lim:take(t)
  if wait > 0 then
    req.not_before = t + wait
    return
  end
  -- a shared limiter counts the credits of every worker and host in its
  -- backend: reserve one before sending, give it back if not billed
  if shared_budget then
    if not lim:reserve(o.max_credits) then
      self:_refuse(req, errors.new{ kind = "budget", attempts = req.attempts,
        message = "max_credits (" .. o.max_credits .. ") reached by the workers sharing the limiter; request not sent" })
      return
    end
    req.reserved = true
  end
  req.attempts = req.attempts + 1
  self._stats.requests = self._stats.requests + 1
  self._inflight = self._inflight + 1
  if req.budget then req.budget:sent() end
  -- the last 64 send times, in a ring (no shifting per request)
  local i = self._sent_i % 64 + 1
  self._sent_times[i], self._sent_i = t, i
  req.xfer = self._core:start(req.url, req.fresh)
  req.fresh = nil
  req.state = "sending"
end

--- A pooled keep-alive connection that the server closed just before we
-- reused it fails with a reset or an empty answer before a single response
-- byte: the request never reached the API. Like Go's net/http and urllib3,
-- send it again at once on a new connection, once, outside max_retries.
-- libcurl's codes for that: 52 got nothing, 55 send error, 56 receive error
-- (a refused or timed-out connect is not one: no connection was reused).
local DEAD_CONNECTION = { [52] = true, [55] = true, [56] = true }
local function dead_pooled_connection(info)
  return DEAD_CONNECTION[info.curl_code] and info.connects == 0 and not info.status and info.bytes == 0
end

function Client:_complete(req, t)
  local x = req.xfer
  req.xfer = nil
  self._inflight = self._inflight - 1
  -- A 200 needs only the body: the info table and the error mapping are
  -- built for the other outcomes alone.
  local ok, bytes, status, seconds = x:outcome()
  metrics.observe(self._latency, seconds)
  local info, page, err
  if ok then
    page, err = response.from_body(x, req.params, self._redact)
  else
    info = x:info()
    page, err = response.from_transfer(x, info, req.params, self._redact)
  end
  local body = page and self._store and x:body() -- kept by the cache
  x:release()
  local s = self._stats
  s.bytes = s.bytes + bytes
  -- A credit is every answer with status 200 (headers received), whatever
  -- became of its body: cut off, over max_body, a bad chunk or encoding.
  if req.budget then req.budget:done(status == 200) end
  if status == 200 then
    s.credits = s.credits + 1
    req.credits = (req.credits or 0) + 1 -- over its retries: sync books them to the shop
  elseif req.reserved then
    self._limiter:release() -- not billed (a 200 always is, whatever its body)
  end
  req.reserved = nil
  if page then
    self._limiter:on_success()
    if self._store then
      -- sync saves it itself, once the shop's next page is on its way
      if req.save_later then req.unsaved = { page, body } else self:_save(req, page, body) end
    end
    req:_finish(page)
    return
  end
  err.attempts = req.attempts
  s.errors[err.kind] = (s.errors[err.kind] or 0) + 1 -- every failed attempt, retried or not
  if info and dead_pooled_connection(info) and not req.reconnected then
    req.reconnected, req.fresh = true, true
    req.state, req.not_before = "waiting", t
    return
  end
  if err.kind == "rate_limited" then self._limiter:on_rate_limited(t, self:_observed_rate(t)) end
  if err.retryable and req.attempts <= self._opts.max_retries and self:_budget_full(req) then
    -- a retry past max_credits: end now with the budget err (it names the
    -- failure), rather than after a backoff that could only end the same way
    req.last_err = err
    self:_send(req, t)
  elseif err.retryable and req.attempts <= self._opts.max_retries then
    s.retries = s.retries + 1
    req.state = "waiting"
    req.not_before = t + retry.delay(err, req.attempts, self._opts)
    req.last_err = err
  else
    req:_finish(nil, err)
  end
end

--- Move every request as far as it can go now. Returns the seconds until
-- the earliest waiting request may be sent (nil when none waits).
-- @local
function Client:_pump()
  if self._debug then
    -- libcurl's verbose lines, collected in C (Authorization redacted, the
    -- key scrubbed), delivered here where calling Lua is safe
    local text = self._core:debug_take()
    if text then
      for line in text:gmatch("[^\n]+") do self._debug(line) end
    end
  end
  -- A shared limiter inside OpenResty talks to Redis over a cosocket, which
  -- yields: another request of the worker may call in meanwhile. One pump
  -- at a time; the other comes back after poll_interval.
  if self._pumping then return self._opts.poll_interval end
  self._pumping = true
  local t = now()
  -- The requests still going move to a spare list (the previous pump's,
  -- emptied), not a new table: the pump runs several times a page.
  local active, keep = self._active, self._spare or {}
  self._spare = nil
  local next_due = huge
  local n = #active
  for i = 1, n do
    local req = active[i]
    if req.state == "sending" and req.xfer:done() then self:_complete(req, t) end
    if req.state == "waiting" and t >= req.not_before then self:_send(req, t) end
    if req.state == "waiting" then next_due = min(next_due, req.not_before - t) end
    if req.state ~= "done" then keep[#keep + 1] = req end
  end
  for i = n + 1, #active do -- queued by another coroutine while this one yielded
    keep[#keep + 1] = active[i]
  end
  self._active = keep
  for i = #active, 1, -1 do active[i] = nil end
  self._spare = active
  self._pumping = nil
  if next_due == huge then return nil end
  return max(0, next_due)
end

function Client:_cancel(req)
  if req.xfer then
    -- a page cancelled after its 200 status line arrived is billed all the same
    local billed = req.xfer:info().status == 200
    if billed then
      self._stats.credits = self._stats.credits + 1
      req.credits = (req.credits or 0) + 1
    end
    if req.budget then req.budget:done(billed) end
    req.xfer:cancel()
    req.xfer = nil
    self._inflight = self._inflight - 1
    local errs = self._stats.errors
    errs.cancelled = (errs.cancelled or 0) + 1 -- sent, never answered
  end
  req:_finish(nil, request.cancelled(req.attempts))
  for i, r in ipairs(self._active) do
    if r == req then table.remove(self._active, i) break end
  end
end

--- The page cache (shoplive.store): a query fetched within cache_ttl is
-- answered from the store, finished at once, costing nothing.
-- @local
function Client:_from_cache(req)
  if self._cache_ttl <= 0 then return false end
  local page = self._store:cached_page(req.params, self._cache_ttl)
  if not page then return false end -- a failed lookup fetches: it costs a credit, loses nothing
  self._stats.cache_hits = self._stats.cache_hits + 1
  self._cache_progress = true
  req:_finish(page)
  return true
end

--- True once after a request was answered from the cache or refused unsent
-- (_refuse): done() may have queued it and must be asked again although
-- nothing is in flight.
-- @local
function Client:_took_cached()
  local p = self._cache_progress
  self._cache_progress = nil
  return p
end

--- Every page paid for is saved (one transaction) before the caller sees
-- it (sync's just after asking for the shop's next page: _save_now); if
-- saving fails the page is still handed out, with page.store_err.
-- @local
function Client:_save(req, page, body)
  local res, err = self._store:save_page(req.params, page, 1, body)
  if res then
    local sv = self._saved
    sv.new, sv.changed = sv.new + res.new, sv.changed + res.changed
  else
    page.store_err = err
  end
end

--- Save the page of a request made with save_later (sync's), if it is not
-- saved yet; sets page.store_err when saving fails.
-- @local
function Client:_save_now(req)
  local u = req.unsaved
  if u then
    req.unsaved = nil
    self:_save(req, u[1], u[2])
  end
end

--- Put requests just queued on the wire now, without waiting: the caller
-- has other work (saving a page) to do while the server answers.
-- @local
function Client:_kick()
  if self._core:running() > 0 then self._core:perform(0) end
end

--- Queue a request for validated params p and try to send it at once; its
-- URL is built from p unless the caller built it (an iterator does, once).
-- save_later: a store's page waits in req.unsaved for _save_now (sync).
-- @local
function Client:_enqueue(p, url, save_later, budget)
  local req = request.new(self, p, nil)
  if self._store and self:_from_cache(req) then return req end
  req.save_later, req.budget = save_later, budget
  req.url = url or query.url(self.base_url, p) -- only a request that is sent needs it
  self._active[#self._active + 1] = req
  self._queued = self._queued + 1
  self:_pump()
  return req
end

--- Drive all requests until done(arg) returns true. Blocks in libcurl (or
-- in the user's wait hook when one was given) between steps.
-- @local
function Client:_run_until(done, arg)
  local core_client, wait, interval = self._core, self._wait, self._opts.poll_interval
  if wait == nil then wait = host_wait() end -- false: the caller asked to block
  while true do
    -- opts.interrupt (the command line's Ctrl-C): end every request now
    -- (cancelled errs) and stop waiting.
    local stop = self._interrupted
    if stop and stop() then
      for i = #self._active, 1, -1 do self:_cancel(self._active[i]) end
      return
    end
    local due = self:_pump()
    local queued = self._queued
    if done(arg) then return end
    -- done() may have queued requests that the limiter made wait: without
    -- this their due time is unknown and the loop would return early (only
    -- then: a pump more on every step would cost each page a fourth one)
    if not due and self._queued ~= queued then due = self:_pump() end
    local running = core_client:running() > 0
    if running and core_client.event_driven then
      -- the transport yields to nginx until a transfer ends: no poll timer
      core_client:perform(min(due or huge, stop and INTERRUPT_SLICE or huge))
      if self._closed then return end
    elseif wait then
      -- Never block in C: drive what is ready, then hand the time to the host.
      if running then
        core_client:perform(0)
        due = self:_pump()
        if done(arg) then return end
        running = core_client:running() > 0
      end
      local d = running and min(interval, due or interval) or due
      if not d and not self:_took_cached() then return end
      if d then wait(d) end
      if self._closed then return end
    elseif running then
      core_client:perform(min(due or 1, stop and INTERRUPT_SLICE or 1))
    elseif due then
      (self._sleep or sleep)(due)
    elseif not self:_took_cached() then
      return -- nothing in flight, nothing scheduled: done() can never change
    end
  end
end

-- ---- public request API ---------------------------------------------

-- A done() for _run_until that needs no closure per request.
local function finished(req) return req.state == "done" end

--- A page: what `Client:livestreams`, `req:result()`, `Client:pages` and
-- `shoplive.decode` give.
-- @table page
-- @tfield {table,...} records the records, in server order. A record holds
-- the response's fields under their own names: integer fields are Lua
-- integers (exact over int64 on 5.3+; on 5.1/LuaJIT a value past 2^53 is
-- the string of its digits), ids (`room_id`, `seller_id`, `user_id`) are
-- strings, `null` is nil, unknown fields are kept as decoded
-- @tfield int page the page number asked for (absent from `shoplive.decode`
-- without `q`)
-- @tfield int page_size the page size asked for (likewise)
-- @tfield ?string request_id the response's `requestId`
-- @tfield boolean has_more true when `#records == page_size` and `page` < 100000
-- (likewise)
-- @tfield ?boolean cached true when the `store` answered it (no request, no credit)
-- @tfield ?int fetched_at with a `store`: when the page was fetched (epoch seconds)
-- @tfield ?table repaired set when the decoder replaced invalid UTF-8 or kept an
-- out-of-range number as a string: `{ count = n, fields = { { record = i,
-- field = name, reason = why }, ... } }` (at most 64 entries in `fields`)
-- @tfield ?table store_err the err (kind `store`) when saving the page to the
-- `store` failed; the page is handed out all the same
-- @tfield ?int duplicates the iterators with `dedup`: records dropped from
-- this page because an earlier page had their `room_id`
-- @usage local page = assert(client:livestreams{ seller_id = s })
-- if page.has_more then next_page = page.page + 1 end

--- What `Client:stats` returns: counters since the client was made.
-- @table stats
-- @tfield int requests requests sent (retries included; cache hits not)
-- @tfield int credits requests the server answered with HTTP 200, whatever
-- their JSON `code`: what keyapi bills
-- @tfield int retries extra attempts after a retryable failure
-- @tfield int bytes response body bytes received
-- @tfield int cache_hits queries answered from the `store` (no credit)
-- @tfield table errors requests sent that failed, by err kind (`{ rate_limited = 2 }`):
-- every failed attempt, a retried one too, and `cancelled` for a request
-- cancelled in flight; once nothing is in flight `requests` equals the
-- answered pages plus the sum of `errors`
-- @tfield table latency the histogram of the seconds each sent request took
-- (libcurl's total time, retries observed one by one): `le` (upper bounds,
-- ascending), `counts` (`counts[i]` requests that took at most `le[i]`,
-- cumulative), `count` (all of them, the `+Inf` bucket), `sum` (seconds)
-- @tfield ?table limiter the limiter's state: `kind` (`"local"`,
-- `"shared_dict"`, `"redis"`), `rate` (requests/s it paces to now, nil for
-- none), `qps` (the configured rate), `ceiling` (a rate the server refused
-- with 429, nil when none), and for shared limiters `credits` (counted in
-- the backend); the Redis one adds `peers`, `fallback`, `falling_back`, `error`
-- @usage print(client:stats().credits)

--- One page (1 credit; none when answered from the `store` cache).
-- Blocks until the page or the err (retries included), or hands the waits
-- to the `wait` option's function. A bad argument raises before anything
-- is sent.
-- @function Client:livestreams
-- @tparam table q the query: `seller_id` (required), `sort_by`, `order`,
-- `page`, `page_size` (see options.md, "Query arguments")
-- @treturn[1] table the @{page}
-- @treturn[2] nil on failure
-- @treturn[2] table the @{shoplive.errors.err|err}
-- @usage local page, err = client:livestreams{ seller_id = "7494818275540568755", sort_by = "gmv", order = "desc" }
-- if not page then error(tostring(err)) end
-- for _, r in ipairs(page.records) do print(r.room_id, r.total_sale_gmv_amt) end
function Client:livestreams(q)
  check_open(self)
  local p = query.check(q, "livestreams")
  local req = self:_enqueue(p)
  self:_run_until(finished, req)
  return req:result()
end

--- Send a request and return at once; drive it with `client:poll()`.
-- The query is checked (and raises) as for `livestreams`.
-- @function Client:start
-- @tparam table q the query, as for `Client:livestreams`
-- @treturn Request a @{shoplive.request|request}: `done()`, `result()`, `cancel()`
-- @usage local req = client:start{ seller_id = "7494818275540568755" }
-- while not req:done() do client:poll(0.05) end
-- local page, err = req:result()
function Client:start(q)
  check_open(self)
  local p = query.check(q, "start")
  local req = self:_enqueue(p)
  if req.xfer then self._core:perform(0) end
  return req
end

--- Drive every request in flight, waiting at most `seconds` (default 0:
-- never blocks).
-- @function Client:poll
-- @tparam[opt=0] number seconds the longest wait, >= 0
-- @treturn int the number of requests still unfinished
-- @usage client:start(q1); client:start(q2)
-- while client:poll(0.1) > 0 do end
function Client:poll(seconds)
  check_open(self)
  if seconds ~= nil and (type(seconds) ~= "number" or not (seconds >= 0)) then
    raise("poll: argument 'seconds' must be a number >= 0, got " .. type(seconds))
  end
  seconds = seconds or 0
  local due = self:_pump()
  if self._core:running() > 0 then
    self._core:perform(min(seconds, due or seconds))
  elseif due and seconds > 0 then
    sleep(min(due, seconds))
  end
  self:_pump()
  return #self._active
end

--- Fetch many pages at once, at most `opts.concurrency` in flight.
-- Results keep query order. Every query is checked (and raises) before
-- anything is sent.
-- @function Client:livestreams_many
-- @tparam {table,...} queries queries, as for `Client:livestreams`
-- @tparam[opt] table opts `{ concurrency = n }`: 1-64, default 4
-- @treturn {table,...} pages: `pages[i]` is the @{page} of `queries[i]`, nil when it failed
-- @treturn ?table errs: `errs[i]` the err of each query that failed; nil when all succeeded
-- @usage local pages, errs = client:livestreams_many({ { seller_id = "1" }, { seller_id = "2" } },
--   { concurrency = 8 })
-- for i, e in pairs(errs or {}) do print("query " .. i .. ": " .. e) end
function Client:livestreams_many(queries, opts)
  check_open(self)
  if type(queries) ~= "table" then
    raise("livestreams_many: argument 'queries' must be an array of query tables, got " .. type(queries))
  end
  if opts ~= nil and type(opts) ~= "table" then
    raise("livestreams_many: argument 'opts' must be a table ({ concurrency = N }), got " .. type(opts))
  end
  local conc = opts and opts.concurrency or schema.DEFAULT_CONCURRENCY_MANY
  if type(conc) ~= "number" or conc ~= math.floor(conc) or conc < 1 or conc > schema.MAX_CONCURRENCY then
    raise("livestreams_many: option 'concurrency' must be an integer from 1 to " .. schema.MAX_CONCURRENCY)
  end
  local params = {}
  for i = 1, #queries do
    params[i] = query.check(queries[i], "livestreams_many (query " .. i .. ")")
  end
  local n, nxt = #params, 1
  local pages, errs = {}, nil
  local running = {} -- query index -> request, at most conc of them
  local pending = 0
  local function refill()
    for i, r in pairs(running) do
      if r.state == "done" then
        running[i] = nil
        pending = pending - 1
        local page, err = r:result()
        if page then pages[i] = page else errs = errs or {}; errs[i] = err end
      end
    end
    while pending < conc and nxt <= n do
      running[nxt] = self:_enqueue(params[nxt])
      nxt, pending = nxt + 1, pending + 1
    end
    return pending == 0 and nxt > n
  end
  self:_run_until(refill)
  return pages, errs
end

--- Page every shop of `a.sellers` to its end into the client's `store`.
-- Shops run side by side (up to `a.concurrency`), each one page at a time,
-- so no credit is spent past a shop's end; pages held in the store within
-- `cache_ttl` cost nothing. A shop's next page is asked for once the page
-- before it is known to be full, before that page is saved and passed to
-- `on_page`, so saving overlaps the server's answer. A client without a store, or a bad argument,
-- raises.
-- @function Client:sync
-- @tparam table a `sellers` (array of seller ids, required), `sort_by`,
-- `order`, `page_size`, `max_credits` (credits this sync may spend),
-- `concurrency` (shops at once, 1-64, default 4), `on_page`
-- (`function(page, seller_id)`, called for every page but a repeated one,
-- see `repeated_page`); with a PostgreSQL store, `queue` (a queue name:
-- the shops come from that queue, shared by every worker on every host,
-- instead of `sellers`), `enqueue` (true: add
-- `sellers` to the queue first), `lease` (seconds a claim outlives its last
-- renewal, default 120) and `worker` (the claims' owner, default host:pid)
-- @treturn[1] table report: `shops` (shops done), `pages`, `credits`,
-- `cache_hits`, `new` and `changed` (livestreams), `failed`
-- (`{ [seller_id] = err }`); with `queue`, this worker's share, and `lost`
-- (shops another worker took over after this one's lease ran out)
-- @treturn[2] nil when auth, quota, the budget or the store stopped every shop
-- @treturn[2] table the err; `err.report` holds the report so far
-- @usage local client = shoplive.new{ store = shoplive.store.open("shops.db") }
-- local report, err = client:sync{ sellers = { "1", "2" }, max_credits = 100 }
-- print((report or err.report).credits .. " credits")
-- -- on every host: the shops of a shared PostgreSQL queue
-- local report = client:sync{ queue = "daily", concurrency = 2 }
function Client:sync(a)
  check_open(self)
  local report, err = require("shoplive.sync").sync(self, a)
  return report, err
end

-- ---- many pages ------------------------------------------------------

-- Written out (grep and LDoc see them); argument errors name the caller's
-- file:line on every Lua version (argcheck), tail calls or not.
local paging = require("shoplive.paging")

--- Every page of a shop, in order, fetched lazily. Starts at `q.page`
-- (default 1) and stops after a page shorter than `page_size`, at page
-- 100000, at `max_pages` or at `limit` records. With `concurrency` > 1 up
-- to that many pages are in flight; pages still come in order. Records seen
-- on an earlier page are dropped (`dedup`, default true; `page.duplicates`
-- counts them). A failure **raises the err** (a generic `for` cannot
-- receive `nil, err`); see errors.md.
-- @function Client:pages
-- @tparam table q the query as for `Client:livestreams`, plus `max_pages`,
-- `limit`, `concurrency` (1-64, default 1), `dedup`
-- @treturn function an iterator giving each @{page}
-- @usage for page in client:pages{ seller_id = "7494818275540568755", max_pages = 5 } do
--   print(page.page, #page.records)
-- end
function Client:pages(q)
  check_open(self)
  local f, s, v, closer = paging.pages(self, q)
  return f, s, v, closer
end

--- Every record of a shop, each `room_id` once, in page order; paged
-- as `Client:pages` does. A failure **raises the err**.
-- @function Client:each_livestream
-- @tparam table q as for `Client:pages`
-- @treturn function an iterator giving each record table
-- @usage for rec in client:each_livestream{ seller_id = s, limit = 100, concurrency = 4 } do
--   print(rec.room_id, rec.title)
-- end
function Client:each_livestream(q)
  check_open(self)
  local f, s, v, closer = paging.each_livestream(self, q)
  return f, s, v, closer
end

--- Every record of a shop as one array, paged as `Client:pages` does.
-- @function Client:all_livestreams
-- @tparam table q as for `Client:pages`
-- @treturn[1] {table,...} the records
-- @treturn[2] nil on failure
-- @treturn[2] table the err; `err.records` holds the records fetched before the failure
-- @usage local recs, err = client:all_livestreams{ seller_id = s, sort_by = "views" }
-- if not recs then print("failed: " .. err .. " after " .. #err.records .. " records") end
function Client:all_livestreams(q)
  check_open(self)
  local recs, err = paging.all_livestreams(self, q)
  return recs, err
end

return M
