--- Where client:sync{ queue = } takes its shops: the queue table of a
-- PostgreSQL store (store/queue.lua), shared by every worker on every host.
-- A worker claims one shop per free slot, renews the claims it holds every
-- lease/3 seconds while paging, marks each shop done or failed (with its err
-- text), and hands a shop back when a failure stops the whole sync. It ends
-- when the queue holds nothing pending or claimed: while another worker
-- still holds a claim it waits, and takes the shop over if that claim's
-- lease runs out (a worker killed mid-shop); the pages the dead worker saved
-- come from the cache, so they are not bought again.
local util = require("shoplive.util")

local M = {}

--- Seconds between two claim attempts while nothing is claimable but
-- other workers still hold shops.
M.POLL = 0.5
M.DEFAULT_LEASE = 120

local Source = {}
Source.__index = Source

--- opts: queue (name), lease (seconds), worker (claimed_by), params
-- (seller id -> the shop's query params), redact, clock (the client's).
function M.new(store, opts)
  return setmetatable({ store = store, name = opts.queue, lease = opts.lease or M.DEFAULT_LEASE,
    worker = opts.worker or util.identity(), params = opts.params, redact = opts.redact,
    clock = opts.clock, next_claim = 0, exhausted = false, lost = 0 }, Source)
end

--- The next shop's job { p =, token =, renew_at = }, or nil when none can be
-- claimed now (self.exhausted says whether one ever will be), or nil, err.
function Source:claim(running_n)
  local t = self.clock()
  if self.exhausted or t < self.next_claim then return nil end
  local seller, token, round = self.store:claim(self.name, self.worker, self.lease)
  if seller == nil then return nil, token end
  if seller then
    return { p = self.params(seller), token = token, round = round, renew_at = t + self.lease / 3 }
  end
  -- nothing claimable: done when no shop is pending or claimed beyond ours
  local pending, claimed = self.store:queue_left(self.name)
  if pending == nil then return nil, claimed end
  if pending == 0 and claimed <= running_n then
    self.exhausted = true
  else
    self.next_claim = t + M.POLL
  end
  return nil
end

--- Renew the leases due among running jobs (seller -> job). A job whose
-- claim was taken over is marked lost: its page in flight still lands in
-- the store, and the shop is left to its new owner. Returns nil, err when
-- the store failed.
function Source:renew(running)
  local t = self.clock()
  for seller, job in pairs(running) do
    if not job.lost and t >= job.renew_at then
      -- the next try is scheduled whatever this one gives: a renewal that
      -- stays due would end every wait for transfers at once
      job.renew_at = t + self.lease / 3
      local ok, err = self.store:renew(self.name, seller, self.worker, job.token, self.lease)
      if ok == nil then return nil, err end
      if not ok then job.lost = true end
    end
  end
  return true
end

--- The earliest renewal due among running jobs, or nil.
function Source.renew_due(_, running)
  local due
  for _, job in pairs(running) do
    if not job.lost and (not due or job.renew_at < due) then due = job.renew_at end
  end
  return due
end

--- End job's claim: "done", "failed" (err) or "pending" (handed back);
-- job.credits, every credit the claim spent, go on the row whatever the
-- state. Returns true, false when the claim had been taken over, or nil, err.
function Source:finish(job, state, err)
  if job.lost then return self:book_lost(job) end
  -- a page of the shop that could not be saved (a full disk) leaves a hole
  -- however the shop's paging ended: the shop goes back to be synced again,
  -- never marked done
  if job.save_err and state ~= "failed" then state = "pending" end
  local r = { pages = job.pages, credits = job.credits }
  if err then
    r.err_kind = err.kind
    -- one clean line; errs never hold the key, and the client's redaction
    -- runs over it once more before it is stored where others read it
    local text = util.clean(tostring(err))
    r.err = self.redact and self.redact(text) or text
  end
  local ok, serr = self.store:finish(self.name, job.p.seller_id, self.worker, job.token, state, r)
  if ok == false then
    self.lost = self.lost + 1
    job.lost = true
    return self:book_lost(job)
  end
  return ok, serr
end

--- A job whose claim another worker took over: the credits it spent are
-- still the shop's, booked on its row once. Returns false (the claim was
-- not this worker's), or nil, err.
function Source:book_lost(job)
  if not job.booked and (job.credits or 0) > 0 then
    job.booked = true
    local ok, err = self.store:spent(self.name, job.p.seller_id, job.round, job.credits)
    if ok == nil then return nil, err end
  end
  return false
end

return M
