--- A limiter shared by every worker of one nginx: shoplive.limiter.shared_dict{
-- dict = "shoplive", qps = 10, key = "acct" } with `lua_shared_dict shoplive 1m;`
-- in nginx.conf. Only atomic shared-dict operations (incr with an initial
-- value and a ttl, add), no locks: a worker never blocks on another.
--
-- Pacing: a log of the sends of every worker (grant n's time at "at:n",
-- the time its request left at "out:n", the last n at "seq", the settled
-- prefix at "settled"), held to adapt.log_wait: at most floor(rate) sends
-- in any adapt.WINDOW seconds by the time they left. Of the workers ready to send
-- the same n, add() lets one through. A worker that sent late pushes the
-- next ones later rather than sending close to them. The adaptive state (rate, ceiling, calm) and the
-- credit count live in the dict too: one worker's 429 slows every worker,
-- and max_credits counts the credits of all of them.
local adapt = require("shoplive.limiter.adapt")
local argcheck = require("shoplive.argcheck")
local check_qps = require("shoplive.limiter.qps").check
local jitter = require("shoplive.limiter.jitter")

local M = {}
local D = {}
D.__index = D
D.kind = "shared_dict"

local function fail(what)
  argcheck.raise("shoplive.limiter.shared_dict: " .. what)
end

function M.new(opts)
  if type(opts) ~= "table" then fail("expected a table { dict =, qps =, key = }, got " .. type(opts)) end
  for k in pairs(opts) do
    if k ~= "dict" and k ~= "qps" and k ~= "key" then
      fail("unknown option '" .. tostring(k) .. "' (accepted: dict, key, qps)")
    end
  end
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" or type(ngx.shared) ~= "table" then
    fail("needs OpenResty or nginx with the lua module (ngx.shared); outside nginx use shoplive.limiter.redis")
  end
  if type(opts.dict) ~= "string" or opts.dict == "" then
    fail("option 'dict' must name a lua_shared_dict, got " .. type(opts.dict))
  end
  local dict = ngx.shared[opts.dict]
  if not dict then fail("unknown lua_shared_dict '" .. opts.dict .. "' (declare it in nginx.conf)") end
  local key = opts.key == nil and "shoplive" or opts.key
  if type(key) ~= "string" or key == "" or key:find("[%c%s]") then
    fail("option 'key' must be a non-empty string without spaces, got " .. type(key))
  end
  if opts.qps == nil then fail("option 'qps' is required (requests per second for every worker together)") end
  check_qps("shoplive.limiter.shared_dict", opts.qps)
  return setmetatable({ dict = dict, ngx = ngx, max_rate = opts.qps, k = "shoplive:" .. key .. ":",
    jitter = jitter.new() }, D)
end

function D:_state()
  local d, k = self.dict, self.k
  return { rate = d:get(k .. "rate") or self.max_rate, ceiling = d:get(k .. "ceiling"), calm = d:get(k .. "calm") or 0 }
end

function D:_save(s)
  local d, k = self.dict, self.k
  -- a lost update between two workers only delays a cut or a step of
  -- recovery by one answer; the bucket itself never races
  d:set(k .. "rate", s.rate)
  d:set(k .. "ceiling", s.ceiling)
  d:set(k .. "calm", s.calm)
end

--- The latest time the sends up to grant `last` left (nil: none), after
-- moving the log's settled prefix on; nil and the time to look again while
-- one of them may not have left yet.
function D:_settled(last, t)
  local d, k = self.dict, self.k
  local p0, m0 = adapt.settled_parse(d:get(k .. "settled"))
  local p, m, again = adapt.settle(p0, m0, last, t, function(i)
    return d:get(k .. "at:" .. i), d:get(k .. "out:" .. i)
  end, self.max_rate)
  -- workers racing here write the same prefix, or a shorter one that the
  -- next take moves on again
  if p ~= p0 then d:set(k .. "settled", adapt.settled_text(p, m)) end
  if again then return nil, again end
  return m
end

--- 0 and the grant's number (for sent()) when a request may go now, else
-- the seconds to wait.
function D:take()
  local ngx, d, k = self.ngx, self.dict, self.k
  ngx.update_time()
  local t = ngx.now()
  local rate = d:get(k .. "rate") or self.max_rate
  local n = d:get(k .. "seq")
  if not n then -- a new log (or one the dict evicted): no prefix of an old one
    n = 0
    d:delete(k .. "settled")
  end
  local latest, again = self:_settled(adapt.bound(rate, n + 1), t)
  if again then return again - t end
  local w = adapt.log_wait(rate, t, d:get(k .. "at:" .. n), latest)
  if w > 0 then return w end
  -- send n + 1: add() lets one worker have it; the others look again. The
  -- claim outlives any pause between reading "seq" and add() (2 s) and no
  -- more: a dict of 1m holds the claims of 1000 QPS
  if not d:add(k .. "claim:" .. (n + 1), true, 2) then return 0.001 end
  d:set(k .. "at:" .. (n + 1), t, adapt.log_ttl(rate))
  d:set(k .. "seq", n + 1)
  d:incr(k .. "sent:" .. adapt.slot(t), 1, 0, 2)
  return 0, n + 1
end

--- Grant n's request left `ago` seconds ago (the client tells it when the
-- transfer ends, ago its time): the log holds this time, not the grant's,
-- moved later by this worker's measured jitter (limiter/jitter.lua).
function D:sent(n, ago)
  local ngx, d, k = self.ngx, self.dict, self.k
  ngx.update_time()
  ago = ago or 0
  local excess = self.jitter:excess(ago)
  local granted = d:get(k .. "at:" .. n)
  if not granted then return end -- too old to bound any grant
  local rate = d:get(k .. "rate") or self.max_rate
  local now = ngx.now()
  d:set(k .. "out:" .. n, math.min(now, math.max(granted, now - ago) + excess), adapt.log_ttl(rate))
end

function D:on_success()
  local s = self:_state()
  if adapt.success(s, self.max_rate) then self:_save(s) end
end

--- What every worker together sent in the last second.
function D:_sent_last_second()
  local ngx, dict, k = self.ngx, self.dict, self.k .. "sent:"
  ngx.update_time()
  return adapt.sent_last_second(function(i) return dict:get(k .. i) end, ngx.now())
end

function D:on_rate_limited(_, observed)
  if self.dict:get(self.k .. "burst") then return end
  -- the key's rate is what all workers sent, not this worker's share
  local all = self:_sent_last_second()
  if all > (observed or 0) then observed = all end
  local s = self:_state()
  -- add() is atomic: of the workers deciding to cut in one burst, one does
  if adapt.cut(s, observed, self.max_rate) and self.dict:add(self.k .. "burst", true, adapt.BURST) then
    self:_save(s)
  end
end

--- Reserve one credit of max (atomically, for every worker); false when
-- the budget is spent.
function D:reserve(max)
  local n = self.dict:incr(self.k .. "credits", 1, 0)
  if n and n > max then
    self.dict:incr(self.k .. "credits", -1, 0)
    return false
  end
  return true
end

--- The reserved request was not billed.
function D:release()
  self.dict:incr(self.k .. "credits", -1, 0)
end

--- Credits spent by every worker so far.
function D:credits()
  return self.dict:get(self.k .. "credits") or 0
end

function D:stats()
  local s = self:_state()
  return { kind = "shared_dict", rate = s.rate, qps = self.max_rate, ceiling = s.ceiling, credits = self:credits() }
end

return M
