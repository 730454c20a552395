--- The client: a small scheduler over a transport (libcurl's multi handle,
-- or nginx's cosockets), with the rate limiter, the statistics and the
-- requests in progress. Every way of making a request (blocking, many at
-- once, start/poll, the iterators, sync) submits requests and runs them
-- through the same pump, so retries, pacing, budgets and accounting behave
-- identically everywhere. `submit`, `run`, `cancel`, `flush` and `query`
-- are that scheduler's public face: paging and sync are built on them alone.
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
local util = require("shoplive.util")

-- Looked up at each call, not captured: a test can swap in a clock of its
-- own (core.now, core.sleep) after the client was made. The `clock` and
-- `sleep` options replace them.
local function now() return core.now() end
local function sleep(s) return core.sleep(s) end
local huge, min, max = math.huge, math.min, math.max
local tointeger = math.tointeger -- nil before 5.3

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
-- The least a wait hook is asked to wait: nginx's timers count whole
-- milliseconds, and an ngx.sleep under one is a sleep(0), which logs a
-- warning each time and hands the pump straight back (thousands a second
-- while a shared limiter's grant was a few microseconds away).
local MIN_NAP = 0.001

--- A sleep that ends early once interrupt() returns true.
local function interruptible_sleep(interrupt, clock, base)
  return function(s)
    local stop_at = clock() + s
    while not interrupt() do
      local left = stop_at - clock()
      if left <= 0 then return end
      base(min(left, INTERRUPT_SLICE))
    end
  end
end

--- The transport of opts.transport (shoplive.transport.select: "curl",
-- "cosocket", a module table, or by default what the host has), made with
-- what the C core takes.
local function make_transport(opts, version)
  return require("shoplive.transport.select")(opts, {
    api_key = opts.api_key,
    user_agent = opts.user_agent or ("shoplive/" .. version .. " libcurl/" .. core.curl_version),
    ca_file = opts.ca_file, proxy = opts.proxy,
    timeout = opts.timeout, connect_timeout = opts.connect_timeout,
    low_speed_limit = opts.low_speed_limit, low_speed_time = opts.low_speed_time,
    max_body = opts.max_body,
    debug = opts.debug ~= nil,
    http2 = opts.http2,
  })
end

local M = {}
local Client = {}
Client.__index = Client
M.Client = Client

function M.new(opts, version)
  local tr = make_transport(opts, version)
  local o = {}
  for k, v in pairs(opts) do
    if k ~= "api_key" then o[k] = v end -- the key lives only in the transport
  end
  local clock = o.clock or now
  local base_sleep = o.sleep or sleep
  local cl = setmetatable({
    _core = tr, _opts = o, _wait = o.wait, _debug = o.debug, base_url = o.base_url,
    _event_driven = tr.event_driven,
    _redact = function(s, cut) return tr:redact(s, cut) end,
    -- _active: requests not on the wire (queued, paced, backing off);
    -- _sending: transfer -> request, for the transfers the transport reports
    _active = {}, _sending = {}, _nsending = 0, _sent_times = {}, _sent_i = 0, _queued = 0,
    _params = setmetatable({}, { __mode = "k" }), -- query() results -> their URL parts
    _limiter = o.limiter or limiter.new(o.qps),
    _stats = { requests = 0, credits = 0, retries = 0, bytes = 0, cache_hits = 0, errors = {} },
    _latency = metrics.histogram(),
    -- the page source and sink (a store): cached_page(params, ttl), save_page(params, page, n, body)
    store = o.store, _cache_ttl = o.cache_ttl or 86400,
    _clock = clock, _interrupted = o.interrupt,
    _sleep = o.interrupt and interruptible_sleep(o.interrupt, clock, base_sleep) or base_sleep,
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

-- The methods called for every page (submit, run, poll, flush) test the
-- usual case inline (getmetatable(self) == Client and not self._closed) and
-- call the checks only to raise.

function Client:__tostring()
  return "shoplive client (" .. self.base_url .. (self._closed and ", closed)" or ")")
end

--- Ends req with page or err and tells its on_done.
local function done_with(req, page, err)
  req.state, req.page, req.err = "done", page, err
  if err and err.attempts == nil then err.attempts = req.attempts end
  local cb = req.on_done
  if cb then cb(req, page, err) end
end

--- Every request not finished yet, in one array (close and interrupt end them all).
-- @local
function Client:_unfinished()
  local all = {}
  for i, r in ipairs(self._active) do all[i] = r end
  for _, r in pairs(self._sending) do all[#all + 1] = r end
  return all
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
  local left = self:_unfinished()
  self._active, self._sending, self._nsending, self._late = {}, {}, 0, nil
  for _, req in ipairs(left) do
    req.xfer = nil
    done_with(req, nil, request.cancelled(req.attempts))
  end
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

--- The message of the budget that leaves no room for req, nil when none:
-- the client's own max_credits (the requests in flight may each still be
-- billed; a shared limiter keeps that budget in its backend instead:
-- reserve() in _send), or the call's (submit{ budget }).
-- @local
function Client:_budget_full(req)
  local mc = self._opts.max_credits
  if mc and not self._limiter.reserve and self._stats.credits + self._nsending >= mc then
    return "max_credits (" .. mc .. ") reached"
  end
  local b = req.budget
  if b and b:full() then return "max_credits (" .. b.max .. ") of this call reached" end
end

--- Ends req unsent. Like a page from the cache, it finished with nothing
-- in flight: _run must ask its condition again (livestreams_many lost the
-- budget errs of the queries it queued last, the LuaJIT "49 of 50").
-- @local
function Client:_refuse(req, err)
  self._cache_progress = true
  done_with(req, nil, err)
end

--- The budget err for req, naming the last failure it retried, if any.
local function budget_err(req, full)
  local last = req.last_err
  return errors.new{ kind = "budget", attempts = req.attempts, cause = last,
    message = full .. "; request not sent"
      .. (last and ("; the last attempt failed: " .. tostring(last.message)) or "") }
end

--- Send req now if its budgets and the limiter let it; else it waits
-- (req.not_before) or ends with a budget err.
-- @local
function Client:_send(req, t)
  local o = self._opts
  local lim = self._limiter
  local full = (o.max_credits or req.budget) and self:_budget_full(req)
  if full then return self:_refuse(req, budget_err(req, full)) end
  local wait, slot = lim:take(t)
  if wait > 0 then
    -- from now, not t: a shared limiter's take may have yielded (a
    -- cosocket) past t, and a due time already gone makes the pump spin
    req.not_before = self._clock() + wait
    return
  end
  -- a shared limiter counts the credits of every worker and host in its
  -- backend: reserve one before sending, give it back if not billed
  if o.max_credits and lim.reserve then
    if not lim:reserve(o.max_credits) then
      if slot then lim:sent(slot, 0) end -- not sent: its slot is free a window from now, not after adapt.HOLD
      return self:_refuse(req, errors.new{ kind = "budget", attempts = req.attempts,
        message = "max_credits (" .. o.max_credits .. ") reached by the workers sharing the limiter; request not sent" })
    end
    req.reserved = true
  end
  req.attempts = req.attempts + 1
  self._stats.requests = self._stats.requests + 1
  if req.budget then req.budget:sent() end
  -- the last 64 send times, in a ring (no shifting per request)
  local i = self._sent_i % 64 + 1
  self._sent_times[i], self._sent_i = t, i
  local x = self._core:start(req.url, req.fresh)
  req.xfer, req.fresh, req.state, req.slot = x, nil, "sending", slot
  self._sending[x] = req
  self._nsending = self._nsending + 1
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

--- Books a finished transfer's bytes and credit; returns its page or err
-- and, for an error, the info table.
-- @local
function Client:_account(req, x)
  -- A 200 needs only the body: the info table and the error mapping are
  -- built for the other outcomes alone.
  local ok, bytes, status, seconds = x:outcome()
  metrics.observe(self._latency, seconds)
  -- a shared limiter's window holds on the time the request left (issue
  -- 18.3): the transfer's time ago, or now when it opened a connection first
  -- (a transport that stamps its write says exactly when: sent_ago)
  if req.slot then
    local ago = x.sent_ago and x:sent_ago()
    if not ago then ago = x:info().connects == 0 and seconds or 0 end
    self._limiter:sent(req.slot, ago)
  end
  req.slot = nil
  local info, page, err
  if ok then
    page, err = response.from_body(x, req.params, self._redact)
  else
    info = x:info()
    page, err = response.from_transfer(x, info, req.params, self._redact)
  end
  local body = page and self.store and req.save ~= false and x:body() -- kept by the cache
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
  return page, err, info, body
end

--- A failed attempt: retried now, after a backoff, or the end of req.
-- @local
function Client:_failed(req, err, info, t)
  err.attempts = req.attempts
  local s = self._stats
  s.errors[err.kind] = (s.errors[err.kind] or 0) + 1 -- every failed attempt, retried or not
  local active = self._active
  if info and dead_pooled_connection(info) and not req.reconnected then
    req.reconnected, req.fresh = true, true
    req.state, req.not_before = "waiting", t
    active[#active + 1] = req
    return
  end
  if err.kind == "rate_limited" then self._limiter:on_rate_limited(t, self:_observed_rate(t)) end
  local again = err.retryable and req.attempts <= self._opts.max_retries
  if again and self:_budget_full(req) then
    -- a retry past max_credits: end now with the budget err (it names the
    -- failure), rather than after a backoff that could only end the same way
    req.last_err = err
    self:_send(req, t)
  elseif again then
    s.retries = s.retries + 1
    req.state = "waiting"
    req.not_before = t + retry.delay(err, req.attempts, self._opts)
    req.last_err = err
    active[#active + 1] = req
  else
    done_with(req, nil, err)
  end
end

--- A transfer of req finished: its page (saved to the sink unless the
-- request said otherwise), or its failure.
-- @local
function Client:_complete(req, x, t)
  req.xfer = nil
  self._nsending = self._nsending - 1
  local page, err, info, body = self:_account(req, x)
  if not page then return self:_failed(req, err, info, t) end
  self._limiter:on_success()
  local save = req.save
  if self.store and save ~= false then
    -- "later": the caller saves it with flush(req), once its next page is on its way
    if save == "later" then req.unsaved = { page, body } else self:_save(req, page, body) end
  end
  done_with(req, page)
end

--- Hand the transport's libcurl verbose lines (collected in C, Authorization
-- redacted, the key scrubbed) to the debug hook, where calling Lua is safe.
-- @local
function Client:_debug_lines()
  local text = self._core:debug_take()
  if text then
    for line in text:gmatch("[^\n]+") do self._debug(line) end
  end
end

--- Keep the transfers of completed (if any) for the next pump.
-- @local
function Client:_defer(completed)
  if completed and completed[1] then
    local late = self._late or {}
    for i = 1, #completed do late[#late + 1] = completed[i] end
    self._late = late
  end
end

--- Handle the transfers that finished (completed, from the transport's
-- perform) and send every waiting request that may go now. Returns the
-- seconds until the earliest waiting request may be sent (nil when none).
-- @local
function Client:_pump(completed)
  if self._debug then self:_debug_lines() end
  -- A shared limiter inside OpenResty talks to Redis over a cosocket, which
  -- yields: another request of the worker may call in meanwhile. One pump
  -- at a time; the other comes back after poll_interval.
  -- Transfers that finished meanwhile wait in _late for that next pump.
  if self._pumping then
    self:_defer(completed)
    return self._opts.poll_interval
  end
  -- who pumps: the running coroutine, or true for a main thread (which 5.1
  -- and LuaJIT give no handle for); _run only compares it with
  -- coroutine.running(): inside nginx, coroutine.status() calls another
  -- request's coroutine dead. Written out, not a helper: this runs every page
  local co, main = coroutine.running()
  self._pumping = main or co or true
  local t = self._clock()
  local late, sending = self._late, self._sending
  if late then -- handled first, with what this pump brings
    self._late = nil
    for i = 1, completed and #completed or 0 do late[#late + 1] = completed[i] end
    completed = late
  end
  for i = 1, completed and #completed or 0 do
    local x = completed[i]
    local req = sending[x]
    if req then
      sending[x] = nil
      self:_complete(req, x, t)
    end
  end
  -- The waiting requests move to a spare list (the previous pump's,
  -- emptied), not a new table: the pump runs at every step.
  local active, keep = self._active, self._spare or {}
  self._spare = nil
  local next_due = huge
  local n = #active
  for i = 1, n do
    local req = active[i]
    if req.state == "waiting" and t >= req.not_before then self:_send(req, t) end
    if req.state == "waiting" then
      next_due = min(next_due, req.not_before - t)
      keep[#keep + 1] = req
    end
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

--- Drive the transport for at most `timeout` seconds and pump what it
-- reports finished.
-- @local
function Client:_perform(timeout)
  local completed = self._core:perform(timeout)
  if completed[1] or self._active[1] or self._debug or self._late then return self:_pump(completed) end
  return nil
end

--- True once after a request was answered from the cache or refused unsent
-- (_refuse): the run's condition may have queued it and must be asked
-- again although nothing is in flight.
-- @local
function Client:_took_cached()
  local p = self._cache_progress
  self._cache_progress = nil
  return p
end

--- Every page paid for is saved (one transaction) before the caller sees
-- it (or at flush(req)); if saving fails the page is still handed out, with
-- page.store_err. Returns the save's { new =, changed = } or nil, err.
-- @local
function Client:_save(req, page, body)
  local res, err = self.store:save_page(req.params, page, 1, body)
  if not res then page.store_err = err end
  return res, err
end

--- Queue a request for checked params p (its URL built from parts when
-- given) and try to send it at once.
-- @local
function Client:_enqueue(p, parts, o)
  local req = setmetatable({ client = self, params = p, attempts = 0, state = "waiting", not_before = -huge },
    request.Request)
  if o then req.save, req.budget, req.on_done = o.save, o.budget, o.on_done end
  -- The page cache (the store): a query fetched within cache_ttl is
  -- answered from it, finished at once, costing nothing. A failed lookup
  -- fetches: it costs a credit, loses nothing.
  local store, ttl = self.store, self._cache_ttl
  local page = store and ttl > 0 and store:cached_page(p, ttl)
  if page then
    self._stats.cache_hits = self._stats.cache_hits + 1
    self._cache_progress = true
    done_with(req, page)
    return req
  end
  req.url = parts and (parts[1] .. p.page .. parts[2])
    or query.url(self.base_url, p) -- only a request that is sent needs it
  self._queued = self._queued + 1
  local active = self._active
  if active[1] or self._pumping then
    active[#active + 1] = req -- behind the requests already waiting
    self:_pump()
  else
    -- as the pump does: a shared limiter may yield inside _send (a cosocket),
    -- and another request of the worker must then queue behind this one
    local co, main = coroutine.running()
    self._pumping = main or co or true
    self:_send(req, self._clock())
    self._pumping = nil
    if req.state == "waiting" then active[#active + 1] = req end -- paced by the limiter
  end
  return req
end

--- The client's interrupt hook says stop: every request ends cancelled.
-- @local
function Client:_stop_all()
  for _, req in ipairs(self:_unfinished()) do self:cancel(req) end
end

--- One wait of _run when there is a wait hook (OpenResty, a user's
-- scheduler): never block in C; drive what is ready, then hand the time to
-- the host. Returns due, and true when nothing can change (or done(arg)
-- became true: third value).
-- @local
function Client:_hand_over(wait, due, left, done, arg)
  local tr = self._core
  local running = tr:running() > 0
  if running then
    due = self:_perform(0)
    if done(arg) then return due, false, true end
    running = tr:running() > 0
  end
  local interval = self._opts.poll_interval
  local d = running and min(interval, due or interval) or due
  if left then d = min(d or left, left) end
  if not d and not self:_took_cached() then return due, true end
  if d then wait(max(d, MIN_NAP)) end
  return nil, self._closed
end

--- One blocking step of _run without a wait hook: libcurl waits for the
-- network, or the client sleeps until a paced request or the deadline.
-- An event-driven transport (cosockets) comes here too, wait hook or not:
-- its perform itself yields until a transfer finishes, and nap (the wait
-- hook) covers the sleeps. Returns due, true when nothing can change, and
-- true when due is fresh.
-- @local
function Client:_block(due, left, nap)
  -- libcurl blocks in C: a second at most. An event-driven transport's
  -- wait ends at the transfer's own end (or a cancel): uncapped, it runs a
  -- lone transfer in this coroutine, without a light thread and a semaphore.
  -- (compared inline, not with math.min: this runs for every page)
  local cap = self._event_driven and huge or 1
  if left and left < cap then cap = left end
  if self._interrupted and INTERRUPT_SLICE < cap then cap = INTERRUPT_SLICE end
  if self._core:running() > 0 then return self:_perform(due and due < cap and due or cap), false, true end
  local d = due or left
  if d then
    d = min(d, left or d)
    if nap then nap(max(d, MIN_NAP)) else self._sleep(d) end
    return nil, false, false
  end
  return due, not self:_took_cached(), true -- nothing in flight, nothing scheduled
end

--- Drive all requests until done(arg) returns true (true), the interrupt
-- hook fires ("interrupted"), `seconds` pass ("timeout") or nothing can
-- change any more ("idle").
-- @local
function Client:_run(done, arg, seconds)
  local wait = self._wait
  -- false: the caller asked to block; no ngx, no host to ask (_run runs every page)
  if wait == nil and rawget(_G, "ngx") ~= nil then wait = host_wait() end
  local deadline = seconds and self._clock() + seconds
  local due, known = nil, false
  while true do
    -- opts.interrupt (the command line's Ctrl-C): end every request now
    -- (cancelled errs) and stop waiting
    local stop = self._interrupted
    if stop and stop() then
      self:_stop_all()
      return false, "interrupted"
    end
    local queued = self._queued
    if done(arg) then return true end
    -- done() may have queued requests that the limiter made wait: their
    -- due time is unknown until a pump
    local p = self._pumping
    if p and p ~= true and p ~= coroutine.running() then
      -- another coroutine's pump, suspended in a limiter's cosocket, may be
      -- finishing ours between its transfer and its answer: nothing runs
      -- and nothing waits, yet it is not idle; look again after a poll
      due = self._opts.poll_interval
    elseif not (self._active[1] or self._debug or self._late) then
      due = nil -- nothing waits: no pump needed to know it
    elseif not known or self._queued ~= queued then
      due = self:_pump()
    end
    local left = deadline and deadline - self._clock()
    if left and left <= 0 then return false, "timeout" end
    local idle, hit
    if wait and not self._event_driven then
      due, idle, hit = self:_hand_over(wait, due, left, done, arg)
      if hit then return true end
      known = false
    else
      due, idle, known = self:_block(due, left, wait)
    end
    if idle then return false, "idle" end
  end
end

-- ---- the scheduler's public face ---------------------------------------

-- A run condition that needs no closure per request.
local function finished(req) return req.state == "done" end
local function never() return false end

--- Check a query once, for many `submit`s: the checked params, whose pages
-- `submit(params, { page = n })` sends without checking again.
-- @function Client:query
-- @tparam table q a query, as for `Client:livestreams`
-- @tparam[opt="query"] string fname the function named in argument errors
-- @tparam[opt] table extra further keys q may hold (checked by the caller)
-- @treturn table the params
-- @usage local p = client:query{ seller_id = s, page_size = 10 }
-- local r1, r2 = client:submit(p, { page = 1 }), client:submit(p, { page = 2 })
function Client:query(q, fname, extra)
  check_open(self)
  local p = query.check(q, fname or "query", extra)
  -- the checked values as they are now: a caller that changes p later
  -- changes nothing that reaches a URL or the store
  local prefix, suffix = query.url_parts(self.base_url, p)
  self._params[p] = { prefix, suffix, seller_id = p.seller_id, sort_field = p.sort_field,
    sort_type = p.sort_type, page = p.page, page_size = p.page_size }
  return p
end

local SUBMIT_OPTS = { page = true, budget = true, on_done = true, save = true }
local SAVE = { now = true, later = true, [false] = true }

local function bad_submit_opts(o)
  if type(o) ~= "table" then raise("submit: argument 'opts' must be a table, got " .. type(o)) end
  for k in pairs(o) do
    if not SUBMIT_OPTS[k] then raise("submit: unknown option '" .. tostring(k) .. "'") end
  end
  if o.save ~= nil and not SAVE[o.save] then
    raise("submit: option 'save' must be \"now\", \"later\" or false, got " .. util.describe(o.save))
  end
  if o.on_done ~= nil and type(o.on_done) ~= "function" then
    raise("submit: option 'on_done' must be a function(req, page, err), got " .. type(o.on_done))
  end
  if o.budget ~= nil then
    raise("submit: option 'budget' must be a budget from shoplive.limiter.budget.new(n)")
  end
  raise("submit: option 'page' (with params from client:query) must be an integer from 1 to " .. query.MAX_PAGE
    .. ", got " .. util.describe(o.page))
end

--- opts as submit takes them (checked inline: submit runs for every page).
local function opts_ok(o, parts)
  if type(o) ~= "table" then return false end
  for k in next, o do
    if not SUBMIT_OPTS[k] then return false end
  end
  local save, cb, b, n = o.save, o.on_done, o.budget, o.page
  return (save == nil or SAVE[save] ~= nil) and (cb == nil or type(cb) == "function")
    and (b == nil or (type(b) == "table" and type(b.full) == "function"))
    and (n == nil or (parts ~= nil and type(n) == "number" and n % 1 == 0 and n >= 1 and n <= query.MAX_PAGE))
end

--- Submit one page request and return at once: the scheduler's way in.
-- The request is answered from the `store` when it holds the page (it is
-- then finished before `submit` returns), else it is sent as soon as the
-- limiter and the budgets allow; `run`, `poll` or a blocking call drive it.
-- @function Client:submit
-- @tparam table q a query as for `Client:livestreams`, or params from `Client:query`
-- @tparam[opt] table opts `page` (the page number, with params from
-- `query`), `budget` (a `shoplive.limiter.budget`: the call's own
-- max_credits), `on_done` (`function(req, page, err)`, called once when the
-- request finishes), `save` (with a store: `"now"`, the default, saves a
-- fetched page before it is handed out; `"later"` keeps it until
-- `Client:flush`; `false` never saves it)
-- @treturn Request a @{shoplive.request|request}: `done()`, `result()`, `cancel()`
-- @usage local req = client:submit({ seller_id = s }, { on_done = function(r, page) print(page) end })
-- client:run(function() return req:done() end)
function Client:submit(q, opts)
  if getmetatable(self) ~= Client or self._closed then check_open(self) end
  local parts = self._params[q]
  if opts ~= nil and not opts_ok(opts, parts) then bad_submit_opts(opts) end
  local p
  if parts then
    local n = opts and opts.page
    n = n and tointeger and tointeger(n) or n or parts.page
    p = { seller_id = parts.seller_id, sort_field = parts.sort_field, sort_type = parts.sort_type,
      page = n, page_size = parts.page_size }
  else
    p = query.check(q, "submit")
  end
  return self:_enqueue(p, parts, opts)
end

--- Drive every request until `until_fn()` returns true, `seconds` pass, the
-- `interrupt` hook fires (every request then ends `cancelled`) or, without
-- `seconds`, nothing can change any more. With `seconds` a client that has
-- nothing in flight waits them out (sync's queue waits so until its next
-- claim or lease renewal) and returns `"timeout"`. Blocks in the transport,
-- or hands each wait to the `wait` hook.
-- @function Client:run
-- @tparam[opt] function until_fn the condition, asked after each step
-- (default: never, so run until `seconds`, or without them until idle)
-- @tparam[opt] number seconds the longest run, >= 0
-- @treturn[1] boolean true when `until_fn` returned true
-- @treturn[2] boolean false otherwise
-- @treturn[2] string why: `"idle"`, `"timeout"` or `"interrupted"`
-- @usage client:run(function() return req:done() end)
function Client:run(until_fn, seconds)
  if getmetatable(self) ~= Client or self._closed then check_open(self) end
  if until_fn ~= nil and type(until_fn) ~= "function" then
    raise("run: argument 'until_fn' must be a function, got " .. type(until_fn))
  end
  if seconds ~= nil and (type(seconds) ~= "number" or not (seconds >= 0)) then
    raise("run: argument 'seconds' must be a number >= 0, got " .. type(seconds))
  end
  return self:_run(until_fn or never, nil, seconds)
end

--- Cancel a request: frees its transfer (a page cancelled after its HTTP
-- 200 status arrived is still billed); `result()` then gives a `cancelled`
-- err. `req:cancel()` calls this.
-- @function Client:cancel
-- @tparam Request req a request of this client
-- @treturn boolean true if the request was still running, false if it had finished
-- @usage client:cancel(req)
function Client:cancel(req)
  check_self(self)
  if req.state == "done" then return false end
  local x = req.xfer
  if x then
    -- a page cancelled after its 200 status line arrived is billed all the same
    local billed = x:info().status == 200
    if billed then
      self._stats.credits = self._stats.credits + 1
      req.credits = (req.credits or 0) + 1
    end
    if req.budget then req.budget:done(billed) end
    x:cancel()
    req.xfer = nil
    self._sending[x] = nil
    self._nsending = self._nsending - 1
    local errs = self._stats.errors
    errs.cancelled = (errs.cancelled or 0) + 1 -- sent, never answered
  else
    for i, r in ipairs(self._active) do
      if r == req then table.remove(self._active, i) break end
    end
  end
  done_with(req, nil, request.cancelled(req.attempts))
  return true
end

--- Save the page of a request submitted with `save = "later"` into the
-- store, once; sets `page.store_err` when saving fails.
-- @function Client:flush
-- @tparam Request req the request
-- @treturn[1] table `{ new = n, changed = n }` (livestreams saved); nil when
-- there was nothing to save
-- @treturn[2] nil
-- @treturn[2] table the err (kind `store`)
-- @usage local res = client:flush(req)
function Client:flush(req)
  if getmetatable(self) ~= Client then check_self(self) end
  local u = req.unsaved
  if not u then return nil end
  req.unsaved = nil
  local page = u[1]
  local res, err = self.store:save_page(req.params, page, 1, u[2])
  if not res then page.store_err = err end
  return res, err
end

--- The client's clock (the `clock` option), in seconds.
-- @function Client:now
-- @treturn number seconds
-- @usage local t0 = client:now()
function Client:now()
  return self._clock()
end

--- Scrub the API key from a text (what every err already went through).
-- @function Client:redact
-- @tparam string s the text
-- @treturn string the text with the key replaced
-- @usage log(client:redact(text))
function Client:redact(s)
  check_self(self)
  return self._redact(s)
end

-- ---- public request API ---------------------------------------------

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
  self:_run(finished, req)
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
  -- on the wire now; what finishes is handled by the next poll, as ever
  -- (start never ends the request it sends)
  if req.xfer then self:_defer(self._core:perform(0)) end
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
  if getmetatable(self) ~= Client or self._closed then check_open(self) end
  if seconds ~= nil and (type(seconds) ~= "number" or not (seconds >= 0)) then
    raise("poll: argument 'seconds' must be a number >= 0, got " .. type(seconds))
  end
  seconds = seconds or 0
  local due = (self._active[1] or self._debug or self._late) and self:_pump() or nil
  if self._core:running() > 0 then
    self:_perform(min(seconds, due or seconds))
  elseif due and seconds > 0 then
    self._sleep(min(due, seconds))
    self:_pump()
  end
  return #self._active + self._nsending
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
  self:_run(refill)
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
