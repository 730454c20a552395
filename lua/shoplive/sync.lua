--- client:sync{ sellers = {...}, ... }: page every shop to its end into the
-- client's store. Shops run side by side (up to `concurrency` at once), each
-- one page at a time, so a shop's end is known before its next page is asked
-- for and no credit is spent past it. Every page goes through the cache: a
-- re-run within cache_ttl pays only for the pages the store does not hold.
local errors = require("shoplive.errors")
local query = require("shoplive.query")
local util = require("shoplive.util")

local M = {}

local ARGS = { sellers = true, sort_by = true, order = true, page_size = true, max_credits = true,
  concurrency = true, on_page = true }

-- Failures that no other shop can get past.
local STOP_ALL = { auth = true, quota = true, budget = true, store = true, cancelled = true }

local function check(client, a)
  local fname = "sync"
  if type(a) ~= "table" then error("sync: expected a table of arguments (sellers, ...), got " .. type(a), 4) end
  for k in pairs(a) do
    if not ARGS[k] then
      error("sync: unknown argument '" .. tostring(k) .. "' (accepted: " .. util.keys(ARGS) .. ")", 4)
    end
  end
  if not client._store then
    error("sync: the client has no store (shoplive.new{ store = shoplive.store.open(...) })", 4)
  end
  if type(a.sellers) ~= "table" or #a.sellers == 0 then
    error("sync: argument 'sellers' must be a non-empty array of seller ids, got " .. util.describe(a.sellers), 4)
  end
  local queries, seen = {}, {}
  for i = 1, #a.sellers do
    local p = query.check({ seller_id = a.sellers[i], sort_by = a.sort_by, order = a.order, page_size = a.page_size },
      fname .. " (sellers[" .. i .. "])", nil, 4)
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
      error("sync: argument '" .. name .. "' must be an integer >= " .. min .. (max and (" and <= " .. max) or "")
        .. ", got " .. util.describe(v), 5)
    end
    return n
  end
  local opts = {
    max_credits = count("max_credits", 0, nil, nil),
    concurrency = count("concurrency", 1, 64, 4),
    on_page = a.on_page,
  }
  local mt = getmetatable(a.on_page)
  if a.on_page ~= nil and type(a.on_page) ~= "function" and not (type(mt) == "table" and mt.__call) then
    error("sync: argument 'on_page' must be a function(page, seller_id), got " .. util.describe(a.on_page), 4)
  end
  return queries, opts
end

--- Returns report, or nil, err when a failure stopped every shop (auth,
-- quota, budget, a store that cannot write); err.report then holds the
-- report of what was done.
function M.sync(client, a)
  local queries, opts = check(client, a)
  local stats0 = client:stats()
  local saved0 = { new = client._saved.new, changed = client._saved.changed }
  local report = { shops = 0, pages = 0, credits = 0, cache_hits = 0, new = 0, changed = 0, failed = {} }
  local o = client._opts
  local cap0 = o.max_credits
  if opts.max_credits then
    -- the sync's budget rides on the client's own: requests past it end with
    -- a "budget" err before anything is sent; cached pages never count
    local cap = stats0.credits + opts.max_credits
    o.max_credits = cap0 and math.min(cap0, cap) or cap
  end
  local running = {} -- seller -> { p =, req = }
  local nxt, stop_err = 1, nil

  local function start(job)
    local q = {}
    for k, v in pairs(job.p) do q[k] = v end
    q.page = job.page
    job.req = client:_enqueue(q)
  end

  local function step()
    for seller, job in pairs(running) do
      if job.req.state == "done" then
        local page, err = job.req:result()
        if page then
          report.pages = report.pages + 1
          if opts.on_page then opts.on_page(page, seller) end
          if page.store_err then
            running[seller] = nil
            stop_err = stop_err or page.store_err
          elseif page.has_more and not stop_err then
            job.page = job.page + 1
            start(job)
          elseif page.has_more then
            running[seller] = nil -- stopped: this shop is not done
          else
            running[seller] = nil
            report.shops = report.shops + 1
          end
        else
          running[seller] = nil
          if STOP_ALL[err.kind] then stop_err = stop_err or err else report.failed[seller] = err end
        end
      end
    end
    -- after a stop, pages already in flight still finish (and are saved):
    -- they were paid for
    while nxt <= #queries and not stop_err do
      local n = 0
      for _ in pairs(running) do n = n + 1 end
      if n >= opts.concurrency then break end
      local job = { p = queries[nxt], page = 1 }
      nxt = nxt + 1
      running[job.p.seller_id] = job
      start(job)
    end
    return next(running) == nil
  end

  local ok, perr = pcall(function()
    -- a cached page finishes inside _enqueue: loop until nothing is left
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
          return false
        end)
      end
    end
  end)
  for _, job in pairs(running) do
    if job.req.state ~= "done" then job.req:cancel() end
  end
  o.max_credits = cap0
  local s = client:stats()
  report.credits = s.credits - stats0.credits
  report.cache_hits = s.cache_hits - stats0.cache_hits
  report.new = client._saved.new - saved0.new
  report.changed = client._saved.changed - saved0.changed
  if not ok then error(perr, 0) end -- on_page raised, or an interrupt
  if stop_err then
    if not errors.is_err(stop_err) then stop_err = errors.new{ kind = "store", message = tostring(stop_err) } end
    stop_err.report = report
    return nil, stop_err
  end
  return report
end

return M
