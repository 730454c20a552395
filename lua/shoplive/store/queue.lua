--- The work queue of a PostgreSQL store: the shops a crawl split across
-- processes and hosts has to sync (client:sync{ queue = }, `shoplive sync
-- --queue`, `shoplive queue status`). One row per (queue, seller_id):
--
--   pending --claim--> claimed --> done | failed
--      ^                  |  lease expired: claimable again
--      +---- release -----+  (a worker stopped by auth, quota, budget, Ctrl-C)
--
-- A worker claims the next pending shop (or one whose lease expired) with
-- SELECT ... FOR UPDATE SKIP LOCKED, so claimers never wait on each other nor
-- take the same row; it renews the lease while paging. Every time is the
-- database server's clock, so the hosts' clocks need not agree. A claim is
-- identified by (claimed_by, attempts): a worker whose lease was taken over
-- can no longer renew, finish or release the shop.
local query = require("shoplive.query")
local util = require("shoplive.util")

local M = {}

-- epoch seconds on the server's clock (now() would be the transaction's start)
local NOW = "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"

local SQL = {
  enqueue = "INSERT INTO queue AS q (queue, seller_id, state, enqueued_at, attempts) VALUES (?, ?, 'pending', "
    .. NOW .. ", 0) ON CONFLICT (queue, seller_id) DO UPDATE SET state = 'pending', enqueued_at = excluded.enqueued_at, "
    .. "claimed_by = NULL, claimed_at = NULL, lease_until = NULL, finished_at = NULL, pages = NULL, credits = NULL, "
    .. "err_kind = NULL, err = NULL WHERE q.state IN ('done', 'failed')",
  claim = "UPDATE queue AS q SET state = 'claimed', claimed_by = ?, claimed_at = " .. NOW .. ", lease_until = "
    .. NOW .. " + ?i, attempts = q.attempts + 1 WHERE q.id = (SELECT id FROM queue WHERE queue = ? AND "
    .. "(state = 'pending' OR (state = 'claimed' AND lease_until < " .. NOW .. ")) ORDER BY id LIMIT 1 "
    .. "FOR UPDATE SKIP LOCKED) RETURNING q.seller_id, q.attempts",
  renew = "UPDATE queue SET lease_until = " .. NOW .. " + ?i WHERE queue = ? AND seller_id = ? AND state = 'claimed' "
    .. "AND claimed_by = ? AND attempts = ?i",
  finish = "UPDATE queue SET state = ?, finished_at = " .. NOW .. ", lease_until = NULL, pages = ?i, credits = ?i, "
    .. "err_kind = ?, err = ? WHERE queue = ? AND seller_id = ? AND state = 'claimed' AND claimed_by = ? "
    .. "AND attempts = ?i",
  release = "UPDATE queue SET state = 'pending', claimed_by = NULL, claimed_at = NULL, lease_until = NULL "
    .. "WHERE queue = ? AND seller_id = ? AND state = 'claimed' AND claimed_by = ? AND attempts = ?i",
  left = "SELECT CAST(COUNT(*) FILTER (WHERE state = 'pending') AS BIGINT), "
    .. "CAST(COUNT(*) FILTER (WHERE state = 'claimed') AS BIGINT) FROM queue WHERE queue = ?",
  status = "SELECT seller_id, state, claimed_by, claimed_at, lease_until, attempts, finished_at, pages, credits, "
    .. "err_kind, err, " .. NOW .. " FROM queue WHERE queue = ? ORDER BY id",
}

--- Who claims: host:pid (the pid from /proc/self/stat where there is one).
function M.identity()
  local host
  for _, path in ipairs{ "/proc/sys/kernel/hostname", "/etc/hostname" } do
    local f = io.open(path, "r")
    if f then
      host = (f:read("*l") or ""):match("^%s*(%S+)")
      f:close()
      if host then break end
    end
  end
  host = host or os.getenv("HOSTNAME") or "localhost"
  local pid
  local f = io.open("/proc/self/stat", "r")
  if f then
    pid = (f:read("*l") or ""):match("^(%d+)")
    f:close()
  end
  -- without procfs: a random number stands in for the pid (unique enough to
  -- tell two workers of one host apart)
  pid = pid or tostring(math.random(1, 2 ^ 30))
  return host .. ":" .. pid
end

--- Raise unless name is a usable queue name (the caller's argument).
function M.check_name(fname, name, level)
  if type(name) ~= "string" or not name:find("^[%w_.:-]+$") or #name > 64 then
    error(fname .. ": argument 'queue' must be a name of 1 to 64 letters, digits, '_', '.', ':' or '-', got "
      .. util.describe(name), level + 1)
  end
end

--- Raise unless store s can hold a queue (PostgreSQL).
function M.check_store(fname, s, level)
  if s.dialect.name ~= "postgresql" then
    error(fname .. ": a queue needs a PostgreSQL store (shoplive.store.open(\"postgresql://...\")): SQLite has no "
      .. "SELECT ... FOR UPDATE SKIP LOCKED to share work between hosts", level + 1)
  end
end

--- Add the store's queue methods (store.lua calls this). h: store_err,
-- check_open.
function M.install(Store, h)
  local store_err, check_open = h.store_err, h.check_open

  local function run(self, name, ...)
    local ok, st = pcall(self._st, self, SQL[name])
    if not ok then return nil, st end
    local n, msg, code = st:run(...)
    if not n then return nil, store_err(self, msg, code) end
    return n
  end

  local function rows(self, name, ...)
    local ok, st = pcall(self._st, self, SQL[name])
    if not ok then return nil, st end
    local r, msg, code = st:rows(...)
    if not r then return nil, store_err(self, msg, code) end
    return r
  end

  --- Put sellers (an array of seller ids) on queue name, as pending. A shop
  -- already done or failed there is queued again (a new round); one pending
  -- or claimed is left as it is. Returns the number of shops queued (new or
  -- again), or nil, err (kind "store").
  function Store:enqueue(name, sellers)
    check_open(self, "enqueue")
    M.check_store("store:enqueue", self, 2)
    M.check_name("store:enqueue", name, 2)
    if type(sellers) ~= "table" or #sellers == 0 then
      error("store:enqueue: argument 'sellers' must be a non-empty array of seller ids, got "
        .. util.describe(sellers), 2)
    end
    local ids = {}
    for i = 1, #sellers do
      ids[i] = query.check({ seller_id = sellers[i] }, "store:enqueue (sellers[" .. i .. "])", nil, 2).seller_id
    end
    return self:_tx(function()
      local n = 0
      for i = 1, #ids do
        local k, err = run(self, "enqueue", name, ids[i])
        if not k then error(err, 0) end
        n = n + k
      end
      return n
    end)
  end

  --- Claim the next shop of queue name for worker for lease seconds.
  -- Returns seller_id, token; false when no shop is claimable now; nil, err.
  function Store:_claim(name, worker, lease)
    local r, err = rows(self, "claim", worker, lease, name)
    if not r then return nil, err end
    if not r[1] then return false end
    return r[1][1], r[1][2]
  end

  --- Extend a claim's lease. true, or false when the claim is no longer this
  -- worker's (its lease expired and another worker took the shop).
  function Store:_renew(name, seller, worker, token, lease)
    local n, err = run(self, "renew", lease, name, seller, worker, token)
    if not n then return nil, err end
    return n > 0
  end

  --- End a claim: state "done" or "failed" (with r.pages, r.credits,
  -- r.err_kind, r.err), or "pending" to hand the shop back. false when the
  -- claim was no longer this worker's.
  function Store:_finish(name, seller, worker, token, state, r)
    local n, err
    if state == "pending" then
      n, err = run(self, "release", name, seller, worker, token)
    else
      n, err = run(self, "finish", state, r.pages, r.credits, r.err_kind, r.err, name, seller, worker, token)
    end
    if not n then return nil, err end
    return n > 0
  end

  --- How many shops of queue name are pending and claimed (by anyone).
  function Store:_queue_left(name)
    local r, err = rows(self, "left", name)
    if not r then return nil, err end
    return r[1][1], r[1][2]
  end

  --- The state of queue name: { pending = n, claimed = { {seller_id =,
  -- claimed_by =, claimed_at =, lease_until =, attempts = }, ... }, done = n,
  -- failed = { {seller_id =, err_kind =, err =, attempts =, finished_at = },
  -- ... }, total = n, now = the database's clock }. Or nil, err.
  function Store:queue_status(name)
    check_open(self, "queue_status")
    M.check_store("store:queue_status", self, 2)
    M.check_name("store:queue_status", name, 2)
    local r, err = rows(self, "status", name)
    if not r then return nil, err end
    local out = { pending = 0, claimed = {}, done = 0, failed = {}, total = #r, pages = 0, credits = 0 }
    for _, row in ipairs(r) do
      local state = row[2]
      out.now = row[12]
      if state == "pending" then
        out.pending = out.pending + 1
      elseif state == "claimed" then
        out.claimed[#out.claimed + 1] = { seller_id = row[1], claimed_by = row[3], claimed_at = row[4],
          lease_until = row[5], attempts = row[6] }
      elseif state == "done" then
        out.done = out.done + 1
      else
        out.failed[#out.failed + 1] = { seller_id = row[1], claimed_by = row[3], attempts = row[6],
          finished_at = row[7], err_kind = row[10], err = row[11] }
      end
      if state == "done" or state == "failed" then
        out.pages, out.credits = out.pages + (row[8] or 0), out.credits + (row[9] or 0)
      end
    end
    return out
  end
end

return M
