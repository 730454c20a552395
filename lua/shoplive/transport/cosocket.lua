--- The cosocket transport: the client's transport inside OpenResty (the
-- default there). Each request is an HTTP/1.1 GET on an ngx.socket.tcp
-- cosocket (http1.lua), so nginx's event loop itself resumes the coroutine
-- doing it when bytes arrive: no poll timer. The transfer a coroutine waits
-- for alone runs in that coroutine; others run in light threads
-- (ngx.thread.spawn), and a coroutine waiting for any of them sleeps on an
-- ngx.semaphore that a finishing transfer posts.
-- Same interface and same transfer fields as the libcurl core client
-- (src/http.c), so the client and shoplive.response treat both alike.
-- Where nginx cannot yield (set_by_lua, init_worker, filters, log) a
-- request goes to a libcurl core client made with the same options, and
-- blocks as it does without this transport.
--
--   local tr = require("shoplive.transport.cosocket").new(core_opts)
--   local x = tr:start(url, fresh); tr:perform(seconds) -> finished transfers
local argcheck = require("shoplive.argcheck")
local core = require("shoplive.core")
local http1 = require("shoplive.transport.http1")
local phase = require("shoplive.transport.phase")

local now = require("shoplive.transport.clock") -- core.now's clock, compiled by LuaJIT
local huge, min = math.huge, math.min

local M = {}
local Transport = {}
Transport.__index = Transport
local Xfer = {}
Xfer.__index = Xfer

-- debug text kept between two debug_take calls at most (src/http.c's SL_DEBUG_MAX)
local DEBUG_MAX = 256 * 1024
local POOL_SIZE, KEEPALIVE = 16, 60 -- pooled connections per host:port, idle seconds

--- Why options `o` cannot go through cosockets, or nil: what only libcurl
-- does. options.lua refuses these with transport = "cosocket".
function M.unsupported(o)
  if o.proxy and o.proxy ~= "" then
    return "option 'proxy' needs transport = \"curl\" (cosockets connect directly, they cannot tunnel)"
  elseif o.ca_file then
    return "option 'ca_file' needs transport = \"curl\" (cosockets verify against nginx's"
      .. " lua_ssl_trusted_certificate; set the CA there)"
  elseif o.http2 == true then
    return "option 'http2' = true needs transport = \"curl\" (cosockets speak HTTP/1.1)"
  end
end

-- x no longer runs: out of the counts
local function settle(self, x)
  self._running = self._running - 1
  self._live[x] = nil
  -- a coroutine with none left leaves the table (light threads come and
  -- go with requests: a key per dead one would grow it until a GC cycle)
  local by_co, co = self._by_co, x.co
  local n = by_co[co] - 1
  by_co[co] = n > 0 and n or nil
end

-- every coroutine waiting in perform looks at what finished
local function wake(self)
  if self._waiting > 0 then self._sema:post(self._waiting) end
end

local function finish(self, x)
  x.time = now() - x.t0
  x.thread, x.sock = nil, nil
  if x.state ~= "running" then return end -- cancelled meanwhile
  x.state = "done"
  settle(self, x)
  local d = self._done
  d[#d + 1] = x
  wake(self)
end

-- one transfer, in a light thread of its own or in the caller's coroutine
local function run(self, x)
  local ok, err = pcall(http1.get, self._cfg, x, x.url, x.fresh, self._request, self._debug_line)
  if not ok then
    x.code, x.error = 2, "cosocket transport failed: " .. tostring(err) -- CURLE_FAILED_INIT
  end
  finish(self, x)
end

--- A transport for the client. o: what core.client takes (api_key,
-- user_agent, timeout, connect_timeout, low_speed_limit, low_speed_time,
-- max_body, debug; proxy, ca_file and http2 = true are refused).
function M.new(o)
  local why = M.unsupported(o)
  if why then argcheck.raise("shoplive.new: " .. why) end
  if not phase.has_cosockets() then
    argcheck.raise("shoplive.new: option 'transport' = \"cosocket\" works only inside OpenResty (ngx.socket.tcp)")
  end
  -- the key: inside the libcurl core client (which also redacts) and in
  -- this closure, never in a field
  local cc = core.client(o)
  -- the request as the pieces sock:send copies out (before it yields): one
  -- array per client, refilled per page, rather than a new string of the
  -- whole request built and interned for every page
  local req = { "GET ", "", "", " HTTP/1.1\r\nHost: ", "", "\r\nUser-Agent: " .. (o.user_agent or "shoplive")
    .. "\r\nAccept: application/json\r\nAuthorization: Bearer " .. o.api_key .. "\r\n\r\n" }
  local self = setmetatable({
    _cc = cc, _running = 0, _waiting = 0, _live = {}, _done = {}, _cx = {}, _pending = {}, _pending_spare = {},
    _sema = require("ngx.semaphore").new(0),
    _by_co = setmetatable({}, { __mode = "k" }), -- coroutine -> its transfers running
    _request = function(hostport, path, query)
      req[2], req[3], req[5] = path, query, hostport
      return req
    end,
    _cfg = {
      timeout = o.timeout or 30, connect_timeout = o.connect_timeout or 10,
      low_speed_limit = (o.low_speed_limit or 0) > 0 and o.low_speed_limit or nil,
      low_speed_time = o.low_speed_time or o.timeout or 30,
      max_body = o.max_body or 8388608, pool_size = POOL_SIZE, keepalive = KEEPALIVE,
    },
  }, Transport)
  if o.debug then
    local lines, size = {}, 0
    self._lines = lines
    self._debug_line = function(l)
      if size + #l > DEBUG_MAX then return end
      size = size + #l + 1
      lines[#lines + 1] = l
      if l:sub(1, 6) == "> GET " then
        lines[#lines + 1] = "> Authorization: [REDACTED]"
      end
    end
    self._debug_reset = function() size = 0 end
  end
  return self
end

Transport.event_driven = true

local function check_open(self)
  if self._closed then argcheck.raise("shoplive: client is closed") end
end

--- Starts a GET (sent at the next perform, perform(0) included); fresh:
-- not over a pooled connection.
function Transport:start(url, fresh)
  check_open(self)
  if not phase.yieldable() then
    local x = self._cc:start(url, fresh)
    self._cx[#self._cx + 1] = x
    return x
  end
  local t, co = now(), coroutine.running() or self -- (nginx runs yieldable code in coroutines)
  local x = setmetatable({ state = "running", code = 0, connects = 0, time = 0, t0 = t,
    deadline = t + self._cfg.timeout, owner = self, url = url, fresh = fresh, co = co }, Xfer)
  self._running = self._running + 1
  self._live[x] = true
  self._by_co[co] = (self._by_co[co] or 0) + 1
  local p = self._pending
  p[#p + 1] = x -- on the wire at the next perform, which the client calls next
  return x
end

-- Puts the transfers started since the last perform on the wire, each in a
-- light thread of its own; except when the caller is about to wait at least
-- as long as its one running transfer may take: that one runs in the
-- caller's own coroutine, woken by its socket (no thread, no semaphore).
local function launch(self, timeout)
  -- the two pending lists take turns (no new table per page): starts while
  -- this one is walked, or while the inline transfer yields, go to the other
  local p = self._pending
  self._pending = self._pending_spare
  local me, inline = coroutine.running() or self, nil
  for i = 1, #p do
    local x = p[i]
    p[i] = nil
    if x.state == "running" then
      if x.co == me and self._by_co[me] == 1 and timeout >= x.deadline - now() then
        inline = x
      else
        x.thread = ngx.thread.spawn(run, self, x)
      end
    end
  end
  self._pending_spare = p
  if inline then run(self, inline) end
end

-- A light thread dies with the request that spawned it: a transfer still
-- running a second past its own deadline lost its thread (its timeouts
-- would have ended it) and fails, so a request sharing the client waits
-- no longer for it.
local function reap(self)
  local t = now()
  for x in pairs(self._live) do
    if t > x.deadline + 1 then
      x.code, x.error = 2, "the request that started this transfer ended before it (nginx ended its light thread)"
      finish(self, x)
    end
  end
end

-- libcurl's transfers that finished, moved to the finished list
local function collect_curl(self)
  local cx, keep = self._cx, {}
  for _, x in ipairs(cx) do
    if x:done() then self._done[#self._done + 1] = x else keep[#keep + 1] = x end
  end
  self._cx = keep
end

--- Waits, yielding to nginx, until a transfer finished or `timeout`
-- seconds passed (0: never waits; nil: until one finishes). Returns the
-- transfers finished since the last call.
function Transport:perform(timeout)
  check_open(self)
  timeout = timeout or huge
  -- a transfer ends by the client's timeout: no wait needs to be longer
  local cap = min(timeout, self._cfg.timeout + 1)
  if #self._pending > 0 then launch(self, timeout) end
  if #self._cx > 0 then
    -- libcurl's transfers block, as they do without this transport
    local idle = #self._done == 0 and (self._running == 0 or not phase.yieldable())
    self._cc:perform(idle and cap or 0)
    collect_curl(self)
  end
  if #self._done == 0 and self._running > 0 and cap > 0 and phase.yieldable() then
    self._waiting = self._waiting + 1
    local woken = self._sema:wait(cap)
    self._waiting = self._waiting - 1
    if not woken then reap(self) end
  end
  local done = self._done
  self._done = {}
  return done
end

-- Finished transfers not yet handed out by perform count as running, as
-- libcurl's do until its next perform: a transfer that a light thread
-- finished while the client's coroutine waited elsewhere (a store call in
-- the thread pool) would otherwise never be asked for.
function Transport:running()
  return self._running + #self._cx + #self._done
end

-- libcurl asks to be called back by a deadline; cosockets never do
function Transport.timeout() return nil end

--- text with the API key (and every long piece of it) replaced, as the
-- libcurl client redacts.
function Transport:redact(s, cut)
  return self._cc:redact(s, cut)
end

--- The debug lines since the last call (the key scrubbed), or nil.
function Transport:debug_take()
  local parts = {}
  local lines = self._lines
  if lines and #lines > 0 then
    parts[1] = self._cc:redact(table.concat(lines, "\n") .. "\n")
    for i = #lines, 1, -1 do lines[i] = nil end
    self._debug_reset()
  end
  local curl = self._cc:debug_take()
  if curl then parts[#parts + 1] = curl end
  return parts[1] and table.concat(parts) or nil
end

--- Cancels every transfer; idempotent.
function Transport:close()
  if self._closed then return end
  self._closed = true
  for x in pairs(self._live) do x:cancel() end
  for _, x in ipairs(self._cx) do x:cancel() end
  self._cx = {}
  self._cc:close()
end

function Transport:closed()
  return self._closed == true
end

-- ---- a transfer --------------------------------------------------------

function Xfer:done() return self.state ~= "running" end

--- ok (status 200, a whole body, no failure), bytes, status (0: none), seconds
function Xfer:outcome()
  local ok = self.state == "done" and self.code == 0 and self.status == 200
  return ok, self.len or 0, self.status or 0, self.time
end

--- The fields of the libcurl transfer's info() (src/http.c l_xfer_info).
function Xfer:info()
  local failed = self.state ~= "running" and (self.code ~= 0 or self.state == "cancelled")
  return {
    state = self.state, status = self.status, curl_code = self.code,
    error = failed and self.error or nil,
    too_large = self.too_large == true, out_of_memory = false,
    headers_too_large = self.headers_too_large == true,
    retry_after = self.retry_after, content_type = self.content_type,
    bytes = self.len or 0, connects = self.connects, time = self.time,
  }
end

function Xfer:decode(max_records)
  return core.decode_response(self.parts or self.data or "", max_records)
end

--- Seconds since the request was handed to the socket, or nil when it
-- never was: a shared limiter times the request from then (its grant may
-- be older by however long the worker was busy before the write).
function Xfer:sent_ago()
  local left = self.left
  return left and now() - left
end

function Xfer:body() return http1.body(self) or "" end

function Xfer:release() self.data, self.parts, self.len = nil, nil, nil end

--- Ends the transfer if it still runs; returns whether it did.
function Xfer:cancel()
  local was = self.state == "running"
  if was then
    self.state, self.error = "cancelled", "request cancelled"
    local tr = self.owner
    settle(tr, self)
    wake(tr) -- a coroutine waiting in perform learns of it now, not at its timeout
    -- only the coroutine that spawned it may kill it; else its socket ends it
    if self.thread then pcall(ngx.thread.kill, self.thread) end
    if self.sock then pcall(self.sock.close, self.sock) end
  end
  self:release()
  return was
end

-- ---- a bare GET (the bench's "cosocket-raw" way) ------------------------

--- GET url with headers (a table), no client: { status, body, reused } or
-- nil, kind ("timeout" | "too_large" | "transport"), message.
function M.get(url, opts)
  opts = opts or {}
  local t = now()
  local x = { t0 = t, deadline = t + (opts.timeout or 30) }
  local lines = {}
  for k, v in pairs(opts.headers or {}) do lines[#lines + 1] = k .. ": " .. v .. "\r\n" end
  local head = table.concat(lines) .. "\r\n"
  http1.get({ timeout = opts.timeout or 30, connect_timeout = 10, low_speed_time = 30,
    max_body = opts.max_body or 8388608, pool_size = POOL_SIZE, keepalive = KEEPALIVE }, x, url, false,
    function(hostport, path, query) return "GET " .. path .. query .. " HTTP/1.1\r\nHost: " .. hostport .. "\r\n" .. head end)
  if x.code then
    return nil, x.too_large and "too_large" or x.code == http1.CODE.timeout and "timeout" or "transport", x.error
  end
  return { status = x.status, body = http1.body(x), reused = x.connects == 0 }
end

return M
