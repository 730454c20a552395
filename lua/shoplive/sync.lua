--- client:sync{ sellers = {...}, ... }: page every shop to its end into the
-- client's store. Shops run side by side (up to `concurrency` at once), each
-- one page at a time, so a shop's end is known before its next page is asked
-- for and no credit is spent past it. Every page goes through the cache: a
-- re-run within cache_ttl pays only for the pages the store does not hold.
-- With queue = NAME (a PostgreSQL store) the shops come from that queue
-- instead, shared by every worker on every host (sync_queue.lua).
local errors = require("shoplive.errors")
local query = require("shoplive.query")
local repeats = require("shoplive.repeats")
local util = require("shoplive.util")

-- argument errors name the caller of client:sync (argcheck walks past client.lua)
local raise = require("shoplive.argcheck").raise

local M = {}

local ARGS = { sellers = true, sort_by = true, order = true, page_size = true, max_credits = true,
  concurrency = true, on_page = true, queue = true, enqueue = true, lease = true, worker = true }

-- Failures that no other shop can get past.
local STOP_ALL = { auth = true, quota = true, budget = true, store = true, cancelled = true }

local function check(client, a)
  local fname = "sync"
  if type(a) ~= "table" then raise("sync: expected a table of arguments (sellers, ...), got " .. type(a)) end
  for k in pairs(a) do
    if not ARGS[k] then
      raise("sync: unknown argument '" .. tostring(k) .. "' (accepted: " .. util.keys(ARGS) .. ")")
    end
  end
  if not client._store then
    raise("sync: the client has no store (shoplive.new{ store = shoplive.store.open(...) })")
  end
  if client._store.readonly then
    -- every page bought would fail to save: refuse before the first one
    raise("sync: the client's store was opened with readonly = true; sync saves every page it fetches")
  end
  if a.queue ~= nil then
    client._store:_check_queue("sync", a.queue)
    if a.enqueue ~= nil and type(a.enqueue) ~= "boolean" then
      raise("sync: argument 'enqueue' must be a boolean, got " .. util.describe(a.enqueue))
    end
    if a.sellers ~= nil and not a.enqueue then
      raise("sync: with 'queue' the shops come from the queue; to add 'sellers' to it pass enqueue = true "
        .. "(or call store:enqueue)")
    end
    if a.worker ~= nil and (type(a.worker) ~= "string" or a.worker == "" or #a.worker > 200) then
      raise("sync: argument 'worker' must be a non-empty string (default host:pid), got " .. util.describe(a.worker))
    end
  else
    for _, k in ipairs{ "enqueue", "lease", "worker" } do
      if a[k] ~= nil then raise("sync: argument '" .. k .. "' goes with 'queue'") end
    end
  end
  local p0 = query.check({ seller_id = "0", sort_by = a.sort_by, order = a.order, page_size = a.page_size }, fname)
  p0.seller_id = nil
  if a.queue ~= nil and not a.enqueue then a = setmetatable({ sellers = {} }, { __index = a }) end
  if type(a.sellers) ~= "table" or (#a.sellers == 0 and a.queue == nil) then
    raise("sync: argument 'sellers' must be a non-empty array of seller ids, got " .. util.describe(a.sellers))
  end
  local queries, seen = {}, {}
  for i = 1, #a.sellers do
    local p = query.check({ seller_id = a.sellers[i], sort_by = a.sort_by, order = a.order, page_size = a.page_size },
      fname .. " (sellers[" .. i .. "])")
    if not seen[p.seller_id] then
      seen[p.seller_id] = true
      queries[#queries + 1] = p
    end
  end
  local function count(name, min, max, default)
    local v = a[name]
    if v == nil then return default end
    local n = util.tointeger(v)
    if not n or n < min or (max and n > max) then
      raise("sync: argument '" .. name .. "' must be an integer >= " .. min .. (max and (" and <= " .. max) or "")
        .. ", got " .. util.describe(v))
    end
    return n
  end
  local opts = {
    max_credits = count("max_credits", 0, nil, nil),
    concurrency = count("concurrency", 1, 64, 4),
    on_page = a.on_page,
    queue = a.queue, enqueue = a.enqueue, worker = a.worker, p0 = p0,
    lease = count("lease", 1, 86400, nil),
  }
  local mt = getmetatable(a.on_page)
  if a.on_page ~= nil and type(a.on_page) ~= "function" and not (type(mt) == "table" and mt.__call) then
    raise("sync: argument 'on_page' must be a function(page, seller_id), got " .. util.describe(a.on_page))
  end
  return queries, opts
end

--- Returns report, or nil, err when a failure stopped every shop (auth,
-- quota, budget, a store that cannot write); err.report then holds the
-- report of what was done.
function M.sync(client, a)
  local queries, opts = check(client, a)
  local src -- the queue, or nil: the shops of `queries`
  if opts.queue then
    if opts.enqueue and #queries > 0 then
      local ids = {}
      for i, p in ipairs(queries) do ids[i] = p.seller_id end
      local _, eerr = client._store:enqueue(opts.queue, ids)
      if eerr then
        eerr.report = { shops = 0, pages = 0, credits = 0, cache_hits = 0, new = 0, changed = 0, failed = {} }
        return nil, eerr
      end
    end
    opts.redact = client._redact
    src = require("shoplive.sync_queue").new(client._store, opts)
  end
  local stats0 = client:stats()
  local saved0 = { new = client._saved.new, changed = client._saved.changed }
  local report = { shops = 0, pages = 0, credits = 0, cache_hits = 0, new = 0, changed = 0, failed = {} }
  -- the sync's own budget, beside the client's (and a shared limiter's):
  -- requests past it end with a "budget" err before anything is sent;
  -- cached pages never count
  local budget = opts.max_credits and require("shoplive.limiter.budget").new(opts.max_credits)
  local running = {} -- seller -> { p =, req = }
  local nxt, stop_err = 1, nil

  local function start(job)
    local q = {}
    for k, v in pairs(job.p) do q[k] = v end
    q.page = job.page
    job.req = client:_enqueue(q, nil, true, budget)
  end

  -- a queued shop's end: its row says so (or hands it back), unless the
  -- claim was taken over meanwhile
  local function settle(job, state, err)
    if not src then return true end
    local ok, serr = src:finish(job, state, err)
    if ok == nil then stop_err = stop_err or serr end
    return ok
  end

  -- a shop stopped before its end: handed back to the queue; one with a
  -- page whose save failed is reported failed with that err, so that it is
  -- never counted done (the next run buys exactly its missing pages)
  local function unsaved(seller, job)
    if job.save_err then report.failed[seller] = report.failed[seller] or job.save_err end
    settle(job, "pending")
  end

  local function step()
    -- Ctrl-C (the command line's hook): start nothing more; requests in
    -- flight are cancelled by _run_until, pages already done are kept
    local interrupted = client._interrupted
    if not stop_err and interrupted and interrupted() then stop_err = require("shoplive.request").cancelled(0) end
    if src and next(running) then
      local ok, rerr = src:renew(running)
      if not ok then stop_err = stop_err or rerr end
    end
    for seller, job in pairs(running) do
      if job.req.state == "done" then
        local req = job.req
        local page, err = req:result()
        -- every 200 the shop's request got is billed, a truncated one too
        job.credits = job.credits + (req.credits or 0)
        if page then
          -- a server that ignores page_num would keep the shop going for
          -- ever, a credit a page: its first repeat ends the shop
          local rep = page.has_more and job.guard:check(page, page.page, job.seen)
          -- The shop's next page goes on the wire before this one is saved:
          -- the save then costs no time of its own while the server answers.
          -- The rule for asking is the same (a full page, no stop).
          local ahead = req.unsaved and page.has_more and not rep and not stop_err and not job.lost
          if ahead then
            job.page = job.page + 1
            start(job)
            client:_kick()
          end
          client:_save_now(req)
          -- a shop with a page missing is not done, whatever its later pages
          -- give: it ends failed with the save's err (below)
          if page.store_err then job.save_err = job.save_err or page.store_err end
          report.pages = report.pages + 1
          job.pages = job.pages + 1
          -- like the iterators, a repeated page is not handed out (it is
          -- saved: it was paid for)
          if opts.on_page and not rep then opts.on_page(page, seller) end
          if job.lost then
            running[seller] = nil -- another worker owns the shop now
            src.lost = src.lost + 1
            settle(job, "lost") -- books the credits this claim spent
          elseif page.store_err then
            -- a store that cannot write stops every shop; a page asked ahead
            -- is paid for: it still lands (and its save is tried)
            stop_err = stop_err or page.store_err
            if not ahead then
              running[seller] = nil
              unsaved(seller, job)
            end
          elseif rep then
            running[seller] = nil
            report.failed[seller] = rep
            settle(job, "failed", rep)
          elseif ahead then -- luacheck: ignore 542
            -- already asked for
          elseif page.has_more and not stop_err then
            job.page = job.page + 1
            start(job)
          elseif page.has_more then
            running[seller] = nil -- stopped: this shop is not done
            unsaved(seller, job)
          elseif job.save_err then
            running[seller] = nil
            unsaved(seller, job)
          else
            running[seller] = nil
            if settle(job, "done") then report.shops = report.shops + 1 end
          end
        else
          running[seller] = nil
          if STOP_ALL[err.kind] then
            stop_err = stop_err or err
            unsaved(seller, job)
          else
            report.failed[seller] = err
            settle(job, "failed", err)
          end
        end
      end
    end
    -- after a stop, pages already in flight still finish (and are saved):
    -- they were paid for
    while not stop_err do
      local n = 0
      for _ in pairs(running) do n = n + 1 end
      if n >= opts.concurrency then break end
      local job
      if src then
        local cerr
        job, cerr = src:claim(n)
        if cerr then stop_err = cerr end
        if not job then break end
      else
        if nxt > #queries then break end
        job = { p = queries[nxt] }
        nxt = nxt + 1
      end
      job.page, job.pages, job.credits = 1, 0, 0
      job.guard, job.seen = repeats.guard(), {}
      running[job.p.seller_id] = job
      start(job)
    end
    return next(running) == nil and (not src or src.exhausted or stop_err ~= nil)
  end

  -- Nothing running, the queue not finished: other workers hold shops.
  -- Wait for their claims to end or expire (Ctrl-C ends the wait).
  local function idle()
    local stop = client._interrupted
    if stop and stop() then
      stop_err = require("shoplive.request").cancelled(0)
      return
    end
    local d = math.max(0.01, src.next_claim - require("shoplive.core").now())
    local w = client._wait
    if type(w) == "function" then w(d) else (client._sleep or require("shoplive.core").sleep)(d) end
  end

  local ok, perr = pcall(function()
    -- a cached page finishes inside _enqueue: loop until nothing is left
    local now = require("shoplive.core").now
    while not step() do
      local busy = false
      for _, job in pairs(running) do
        if job.req.state ~= "done" then busy = true break end
      end
      if busy then
        client:_run_until(function()
          for _, job in pairs(running) do
            if job.req.state == "done" then return true end
          end
          if src then
            -- a lease to renew, or a free slot that may claim again
            local t, due = now(), src:renew_due(running)
            if due and t >= due then return true end
            if not src.exhausted and not stop_err and t >= src.next_claim then
              local n = 0
              for _ in pairs(running) do n = n + 1 end
              if n < opts.concurrency then return true end
            end
          end
          return false
        end)
      elseif src and next(running) == nil and not stop_err then
        idle()
      end
    end
  end)
  for _, job in pairs(running) do
    if job.req.state ~= "done" then
      job.req:cancel()
      job.credits = job.credits + (job.req.credits or 0)
    end
    if job.save_err then report.failed[job.p.seller_id] = report.failed[job.p.seller_id] or job.save_err end
    -- hand an unfinished shop back at once rather than at its lease's end
    if src then pcall(src.finish, src, job, "pending") end
  end
  local s = client:stats()
  report.credits = s.credits - stats0.credits
  report.cache_hits = s.cache_hits - stats0.cache_hits
  report.new = client._saved.new - saved0.new
  report.changed = client._saved.changed - saved0.changed
  if src then report.lost = src.lost end
  if not ok then error(perr, 0) end -- on_page raised, or an interrupt
  if stop_err then
    if not errors.is_err(stop_err) then stop_err = errors.new{ kind = "store", message = tostring(stop_err) } end
    stop_err.report = report
    return nil, stop_err
  end
  return report
end

return M
