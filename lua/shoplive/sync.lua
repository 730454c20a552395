--- client:sync{ sellers = {...}, ... }: page every shop to its end into the
-- client's store. Shops run side by side (up to `concurrency` at once), each
-- one page at a time, so a shop's end is known before its next page is asked
-- for and no credit is spent past it. Every page goes through the cache: a
-- re-run within cache_ttl pays only for the pages the store does not hold.
-- With queue = NAME (a PostgreSQL store) the shops come from that queue
-- instead, shared by every worker on every host (sync_queue.lua).
--
-- Built on the client's public scheduler alone: submit (with the sync's own
-- budget, save = "later" and an on_done that lists the finished shop), run,
-- flush, cancel and poll.
local args = require("shoplive.sync.args")
local budget = require("shoplive.limiter.budget")
local errors = require("shoplive.errors")
local repeats = require("shoplive.repeats")
local request = require("shoplive.request")

local M = {}

-- Failures that no other shop can get past.
local STOP_ALL = { auth = true, quota = true, budget = true, store = true, cancelled = true }

local Sync = {}
Sync.__index = Sync

local function new_report()
  return { shops = 0, pages = 0, credits = 0, cache_hits = 0, new = 0, changed = 0, failed = {} }
end

function Sync.new(client, queries, opts)
  local self = setmetatable({ client = client, queries = queries, opts = opts, nxt = 1,
    report = new_report(),
    running = {}, nrunning = 0, -- seller -> job { p =, page =, req =, ... }
    finished = {}, -- the jobs whose request ended, in order (on_done)
    -- the sync's own budget, beside the client's (and a shared limiter's):
    -- requests past it end with a "budget" err before anything is sent;
    -- cached pages never count
    at = { save = "later", budget = opts.max_credits and budget.new(opts.max_credits) },
  }, Sync)
  if opts.queue then
    local p0 = opts.p0
    opts.redact = function(s) return client:redact(s) end
    opts.clock = function() return client:now() end
    opts.params = function(seller)
      return client:query({ seller_id = seller, sort_by = p0.sort_field, order = p0.sort_type,
        page_size = p0.page_size }, "sync")
    end
    self.src = require("shoplive.sync_queue").new(client.store, opts)
  end
  self.wake = function() return self.finished[1] ~= nil end
  return self
end

--- Ask for the job's current page.
function Sync:start(job)
  local at = self.at
  at.page, at.on_done = job.page, job.on_done
  job.req = self.client:submit(job.p, at)
end

function Sync:drop(job)
  self.running[job.p.seller_id] = nil
  self.nrunning = self.nrunning - 1
end

--- A queued shop's end: its row says so (or hands it back), unless the
-- claim was taken over meanwhile.
function Sync:settle(job, state, err)
  if not self.src then return true end
  local ok, serr = self.src:finish(job, state, err)
  if ok == nil then self.stop_err = self.stop_err or serr end
  return ok
end

--- A shop stopped before its end: handed back to the queue; one with a
-- page whose save failed is reported failed with that err, so that it is
-- never counted done (the next run buys exactly its missing pages).
function Sync:unsaved(job)
  local failed, seller = self.report.failed, job.p.seller_id
  if job.save_err then failed[seller] = failed[seller] or job.save_err end
  self:settle(job, "pending")
end

--- The next shop to start (from the queue or the sellers), or nil.
function Sync:next_job()
  local src = self.src
  if src then
    local job, cerr = src:claim(self.nrunning)
    if cerr then self.stop_err = cerr end
    return job
  end
  local p = self.queries[self.nxt]
  if not p then return nil end
  self.nxt = self.nxt + 1
  return { p = p }
end

--- Start shops until `concurrency` run. After a stop, pages already in
-- flight still finish (and are saved): they were paid for.
function Sync:fill()
  local finished = self.finished
  while not self.stop_err and self.nrunning < self.opts.concurrency do
    local job = self:next_job()
    if not job then return end
    job.page, job.pages, job.credits = 1, 0, 0
    job.guard, job.seen = repeats.guard(), {}
    job.on_done = function(_, page, err)
      job.got, job.err = page, err
      finished[#finished + 1] = job
    end
    self.running[job.p.seller_id] = job
    self.nrunning = self.nrunning + 1
    self:start(job)
  end
end

-- What becomes of a shop after one of its pages: the first rule that holds.
local function outcome(self, job, page, rep, ahead)
  if job.lost then return "lost" end
  if page.store_err then return "store_failed" end
  if rep then return "repeated" end
  if ahead then return "asked" end -- its next page is on its way already
  if page.has_more then return self.stop_err and "stopped" or "next" end
  return job.save_err and "stopped" or "done"
end

local OUTCOME = {
  lost = function(self, job) -- another worker owns the shop now
    self:drop(job)
    self.src.lost = self.src.lost + 1
    self:settle(job, "lost") -- books the credits this claim spent
  end,
  -- a store that cannot write stops every shop; a page asked ahead is paid
  -- for: it still lands (and its save is tried)
  store_failed = function(self, job, page, _, ahead)
    self.stop_err = self.stop_err or page.store_err
    if not ahead then
      self:drop(job)
      self:unsaved(job)
    end
  end,
  repeated = function(self, job, _, rep)
    self:drop(job)
    self.report.failed[job.p.seller_id] = rep
    self:settle(job, "failed", rep)
  end,
  asked = function() end,
  next = function(self, job)
    job.page = job.page + 1
    self:start(job)
  end,
  stopped = function(self, job) -- not done: a stop, or a page missing
    self:drop(job)
    self:unsaved(job)
  end,
  done = function(self, job)
    self:drop(job)
    if self:settle(job, "done") then self.report.shops = self.report.shops + 1 end
  end,
}

function Sync:on_page(job, req, page)
  local client, report = self.client, self.report
  -- a server that ignores page_num would keep the shop going for ever, a
  -- credit a page: its first repeat ends the shop
  local rep = page.has_more and job.guard:check(page, page.page, job.seen)
  -- The shop's next page goes on the wire before this one is saved: the
  -- save then costs no time of its own while the server answers. The rule
  -- for asking is the same (a full page, no stop).
  local ahead = req.unsaved and page.has_more and not rep and not self.stop_err and not job.lost
  if ahead then
    job.page = job.page + 1
    self:start(job)
    client:poll(0)
  end
  local saved = client:flush(req)
  if saved then report.new, report.changed = report.new + saved.new, report.changed + saved.changed end
  -- a shop with a page missing is not done, whatever its later pages give
  if page.store_err then job.save_err = job.save_err or page.store_err end
  report.pages = report.pages + 1
  job.pages = job.pages + 1
  -- like the iterators, a repeated page is not handed out (it is saved: it was paid for)
  if self.opts.on_page and not rep then self.opts.on_page(page, job.p.seller_id) end
  OUTCOME[outcome(self, job, page, rep, ahead)](self, job, page, rep, ahead)
end

function Sync:on_err(job, err)
  self:drop(job)
  if STOP_ALL[err.kind] then
    self.stop_err = self.stop_err or err
    self:unsaved(job)
  else
    self.report.failed[job.p.seller_id] = err
    self:settle(job, "failed", err)
  end
end

--- Every job whose request ended, in order (more may end meanwhile: a
-- page from the cache ends inside submit).
function Sync:handle_finished()
  local list, i = self.finished, 1
  while list[i] do
    local job = list[i]
    local req, page = job.req, job.got -- what req:result() gives, from on_done
    -- every 200 the shop's request got is billed, a truncated one too
    job.credits = job.credits + (req.credits or 0)
    if page then self:on_page(job, req, page) else self:on_err(job, job.err) end
    i = i + 1
  end
  for k = #list, 1, -1 do list[k] = nil end
end

--- Renew the queue's leases due (a failure stops the sync).
function Sync:renew()
  local src = self.src
  if src and self.nrunning > 0 then
    local ok, rerr = src:renew(self.running)
    if not ok then self.stop_err = self.stop_err or rerr end
  end
end

--- How long the client may wait for a page before the queue needs the
-- sync: a lease to renew, a free slot that may claim again (nil: no limit).
function Sync:queue_wait()
  local src = self.src
  if not src then return nil end
  local t = self.client:now()
  local due = src:renew_due(self.running)
  local d = due and due - t
  if not src.exhausted and not self.stop_err and self.nrunning < self.opts.concurrency then
    local c = src.next_claim - t
    d = d and math.min(d, c) or c
  end
  return d and math.max(d, 0.01)
end

function Sync:over()
  local src = self.src
  return self.nrunning == 0 and self.finished[1] == nil and (not src or src.exhausted or self.stop_err ~= nil)
end

function Sync:loop()
  self:fill()
  while not self:over() do
    -- Ctrl-C (the client's interrupt hook) cancels the requests in flight:
    -- start nothing more, pages already done are kept
    local _, why = self.client:run(self.wake, self:queue_wait())
    if why == "interrupted" then self.stop_err = self.stop_err or request.cancelled(0) end
    self:renew()
    self:handle_finished()
    self:fill()
  end
end

--- Cancel what still runs, hand unfinished shops back, fill the report.
function Sync:close(stats0)
  local client, report, src = self.client, self.report, self.src
  for seller, job in pairs(self.running) do
    local req = job.req
    if not req:done() then
      client:cancel(req)
      job.credits = job.credits + (req.credits or 0)
    end
    if job.save_err then report.failed[seller] = report.failed[seller] or job.save_err end
    -- hand an unfinished shop back at once rather than at its lease's end
    if src then pcall(src.finish, src, job, "pending") end
  end
  local s = client:stats()
  report.credits = s.credits - stats0.credits
  report.cache_hits = s.cache_hits - stats0.cache_hits
  if src then report.lost = src.lost end
end

--- With enqueue = true: the sellers go into the queue first. Returns an
-- err (with an empty report) when the store failed.
local function enqueue(store, queries, opts)
  if not (opts.queue and opts.enqueue and #queries > 0) then return nil end
  local ids = {}
  for i, p in ipairs(queries) do ids[i] = p.seller_id end
  local _, eerr = store:enqueue(opts.queue, ids)
  if eerr then eerr.report = new_report() end
  return eerr
end

--- Returns report, or nil, err when a failure stopped every shop (auth,
-- quota, budget, a store that cannot write); err.report then holds the
-- report of what was done.
function M.sync(client, a)
  local queries, opts = args.check(client, a)
  local eerr = enqueue(client.store, queries, opts)
  if eerr then return nil, eerr end
  local s = Sync.new(client, queries, opts)
  local stats0 = client:stats()
  local ok, perr = pcall(s.loop, s)
  s:close(stats0)
  if not ok then error(perr, 0) end -- on_page raised, or an interrupt
  local stop_err = s.stop_err
  if stop_err then
    if not errors.is_err(stop_err) then stop_err = errors.new{ kind = "store", message = tostring(stop_err) } end
    stop_err.report = s.report
    return nil, stop_err
  end
  return s.report
end

return M
