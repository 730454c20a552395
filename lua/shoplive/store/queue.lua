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
local argcheck = require("shoplive.argcheck")
local query = require("shoplive.query")
local util = require("shoplive.util")

local M = {}

--- Shops per INSERT of store:enqueue: one statement a shop took 4 minutes
-- for a million.
M.ENQUEUE_BATCH = 1000

-- epoch seconds on the server's clock (now() would be the transaction's start)
local NOW = "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"
-- the same at the statement's start: stable, not volatile, so an index scan
-- can use it as a bound (a claim is a statement of its own)
local STMT_NOW = "CAST(FLOOR(EXTRACT(EPOCH FROM statement_timestamp())) AS BIGINT)"

-- Each statement is served by one of the indexes of schema version 3
-- (store/queue_schema.lua), whatever the queue's size; tests/queue_plan_spec.lua
-- checks the plans PostgreSQL makes for them on a 100k-shop queue.
local SQL = {
  -- a batch of shops per statement: their ids as one text array literal
  -- ('{1,2,3}': seller ids are digits), cast on the server
  enqueue = "INSERT INTO queue AS q (queue, seller_id, state, enqueued_at, attempts) SELECT ?, s, 'pending', "
    .. NOW .. ", 0 FROM unnest(CAST(CAST(? AS TEXT) AS TEXT[])) AS s ON CONFLICT (queue, seller_id) "
    .. "DO UPDATE SET state = 'pending', enqueued_at = excluded.enqueued_at, "
    .. "claimed_by = NULL, claimed_at = NULL, lease_until = NULL, finished_at = NULL, pages = NULL, credits = NULL, "
    .. "err_kind = NULL, err = NULL WHERE q.state IN ('done', 'failed')",
  -- Two probes, each the first entry of a partial index: a shop whose lease
  -- ran out (its worker died; taken over before new shops, so it does not
  -- wait behind a million), else the oldest pending one. One probe with
  -- "pending OR expired" could use neither index. COALESCE runs the second
  -- only when the first finds nothing.
  claim = "UPDATE queue AS q SET state = 'claimed', claimed_by = ?, claimed_at = " .. NOW .. ", lease_until = "
    .. NOW .. " + ?i, attempts = q.attempts + 1 WHERE q.id = COALESCE("
    .. "(SELECT id FROM queue WHERE queue = ? AND state = 'claimed' AND lease_until < " .. STMT_NOW
    .. " ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED), "
    .. "(SELECT id FROM queue WHERE queue = ? AND state = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)) "
    .. "RETURNING q.seller_id, q.attempts, q.enqueued_at",
  renew = "UPDATE queue SET lease_until = " .. NOW .. " + ?i WHERE queue = ? AND seller_id = ? AND state = 'claimed' "
    .. "AND claimed_by = ? AND attempts = ?i",
  -- credits add up over the shop's attempts in this round: what an attempt
  -- handed back spent is not lost when another finishes the shop
  finish = "UPDATE queue SET state = ?, finished_at = " .. NOW .. ", lease_until = NULL, pages = ?i, "
    .. "credits = COALESCE(credits, 0) + ?i, err_kind = ?, err = ? WHERE queue = ? AND seller_id = ? "
    .. "AND state = 'claimed' AND claimed_by = ? AND attempts = ?i",
  release = "UPDATE queue SET state = 'pending', claimed_by = NULL, claimed_at = NULL, lease_until = NULL, "
    .. "credits = COALESCE(credits, 0) + ?i WHERE queue = ? AND seller_id = ? AND state = 'claimed' "
    .. "AND claimed_by = ? AND attempts = ?i",
  -- a claim taken over still spent its credits on the shop: they go on the
  -- row whoever holds it now, if it is still the same round (not queued
  -- again since)
  spent = "UPDATE queue SET credits = COALESCE(credits, 0) + ?i WHERE queue = ? AND seller_id = ? "
    .. "AND enqueued_at = ?i",
  left = "SELECT (SELECT COUNT(*) FROM queue WHERE queue = ? AND state = 'pending'), "
    .. "(SELECT COUNT(*) FROM queue WHERE queue = ? AND state = 'claimed')",
  -- queue status: counts and sums in SQL (from queue_tally alone), then the
  -- claimed and failed shops one by one
  tally = "SELECT state, COUNT(*), CAST(SUM(pages) AS BIGINT), CAST(SUM(credits) AS BIGINT), " .. NOW
    .. " FROM queue WHERE queue = ? GROUP BY state",
  claimed = "SELECT seller_id, claimed_by, claimed_at, lease_until, attempts FROM queue WHERE queue = ? "
    .. "AND state = 'claimed' ORDER BY lease_until",
  failed = "SELECT seller_id, claimed_by, attempts, finished_at, err_kind, err FROM queue WHERE queue = ? "
    .. "AND state = 'failed' ORDER BY id",
}
M.SQL = SQL

--- Who claims: host:pid (util.identity; kept here for the queue's users).
M.identity = util.identity

--- Raise unless name is a usable queue name (the caller's argument).
function M.check_name(fname, name)
  if type(name) ~= "string" or not name:find("^[%w_.:-]+$") or #name > 64 then
    argcheck.raise(fname .. ": argument 'queue' must be a name of 1 to 64 letters, digits, '_', '.', ':' or '-', got "
      .. util.describe(name))
  end
end

--- Raise unless store s can hold a queue (PostgreSQL).
function M.check_store(fname, s)
  if s.dialect.name ~= "postgresql" then
    argcheck.raise(fname .. ": a queue needs a PostgreSQL store (shoplive.store.open(\"postgresql://...\")): SQLite has no "
      .. "SELECT ... FOR UPDATE SKIP LOCKED to share work between hosts")
  end
end

-- store.lua's helpers, given to M.install: the store's err objects, and
-- the check that a method was called on an open store
local store_err, check_open

-- st:run (rows changed) or st:rows (the rows) of statement SQL[name], or
-- nil, err (kind "store").
local function statement(self, how, name, ...)
  local ok, st = pcall(self._st, self, SQL[name])
  if not ok then return nil, st end
  local res, msg, code = st[how](st, ...)
  if not res then return nil, store_err(self, msg, code) end
  return res
end

local function run(self, name, ...) return statement(self, "run", name, ...) end
local function rows(self, name, ...) return statement(self, "rows", name, ...) end

-- Argument checks of the claim methods: each raises at the library's caller.
local function check_worker(fname, worker)
  if type(worker) ~= "string" or worker == "" or #worker > 200 then
    argcheck.raise(fname .. ": argument 'worker' must be a non-empty string of up to 200 bytes, got "
      .. util.describe(worker))
  end
end

local function check_whole(fname, argname, v, min, max, what)
  if not (util.is_integral(v) and v >= min and v <= max) then
    argcheck.raise(fname .. ": argument '" .. argname .. "' must be " .. what .. ", got " .. util.describe(v))
  end
end

local function check_lease(fname, lease)
  check_whole(fname, "lease", lease, 1, 86400, "whole seconds from 1 to 86400")
end

local function check_token(fname, token)
  check_whole(fname, "token", token, 1, 2 ^ 53, "a claim's token (a positive integer, as claim returns it)")
end

local function check_seller(fname, seller)
  return query.check({ seller_id = seller }, fname).seller_id
end

-- The queue method fname (without "store:") may run on self with queue name.
local function check_queue_call(self, fname, name)
  check_open(self, fname)
  M.check_store("store:" .. fname, self)
  M.check_name("store:" .. fname, name)
end

-- The methods M.install adds to the store.
local Q = {}

--- Raise (at the library's caller) unless name is a usable queue name and
-- this store can hold a queue (PostgreSQL). Sync checks its `queue`
-- argument so, through the store it was given, without requiring this
-- module (the store is an add-on above sync).
-- @function Store:check_queue
-- @tparam string fname the public function the check is for, named in the error ("sync")
-- @tparam string name the queue
function Q:check_queue(fname, name)
  -- not check_open: a closed store's sync fails as it did before, later
  if type(self) ~= "table" or not self.dialect then
    argcheck.raise("shoplive.store: check_queue called on a " .. type(self) .. "; use store:check_queue(...)")
  end
  if type(fname) ~= "string" or fname == "" then
    argcheck.raise("store:check_queue: argument 'fname' must be the name of the function checked, got "
      .. util.describe(fname))
  end
  M.check_name(fname, name)
  M.check_store(fname, self)
end

--- Put sellers (an array of seller ids) on queue name, as pending. A shop
-- already done or failed there is queued again (a new round); one pending
-- or claimed is left as it is. Returns the number of shops queued (new or
-- again), or nil, err (kind "store").
function Q:enqueue(name, sellers)
  check_queue_call(self, "enqueue", name)
  if type(sellers) ~= "table" or #sellers == 0 then
    argcheck.raise("store:enqueue: argument 'sellers' must be a non-empty array of seller ids, got "
      .. util.describe(sellers))
  end
  -- a shop given twice is queued once (one statement cannot upsert a
  -- row twice)
  local ids, seen = {}, {}
  for i = 1, #sellers do
    local id = check_seller("store:enqueue (sellers[" .. i .. "])", sellers[i])
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  return self:_tx(function()
    local n = 0
    for i = 1, #ids, M.ENQUEUE_BATCH do
      local k, err = run(self, "enqueue", name,
        "{" .. table.concat(ids, ",", i, math.min(i + M.ENQUEUE_BATCH - 1, #ids)) .. "}")
      if not k then error(err, 0) end
      n = n + k
    end
    return n
  end)
end

--- Claim the next shop of a queue for a worker (a shop whose lease ran
-- out first, else the oldest pending one).
-- @function Store:claim
-- @tparam string name the queue
-- @tparam string worker who claims (host:pid by default in sync)
-- @tparam integer lease seconds the claim stays the worker's unless renewed (1 to 86400)
-- @treturn[1] string the shop's seller_id
-- @treturn[1] integer the claim's token (for renew, finish)
-- @treturn[1] integer the round: when the shop was queued (for spent)
-- @treturn[2] false when no shop is claimable now
-- @treturn[3] nil on failure
-- @treturn[3] table an err of kind `store`
function Q:claim(name, worker, lease)
  check_queue_call(self, "claim", name)
  check_worker("store:claim", worker)
  check_lease("store:claim", lease)
  local r, err = rows(self, "claim", worker, lease, name, name)
  if not r then return nil, err end
  if not r[1] then return false end
  return r[1][1], r[1][2], r[1][3]
end

--- Add the credits spent by a claim that was taken over to the shop's row
-- of that round.
-- @function Store:spent
-- @tparam string name the queue
-- @tparam string seller the shop's seller_id
-- @tparam integer round the round claim returned
-- @tparam integer credits credits spent (0 or more)
-- @treturn[1] boolean true, or false when the shop was queued again since
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
function Q:spent(name, seller, round, credits)
  check_queue_call(self, "spent", name)
  seller = check_seller("store:spent", seller)
  check_whole("store:spent", "round", round, 0, 2 ^ 53, "the round claim returned (epoch seconds)")
  check_whole("store:spent", "credits", credits, 0, 2 ^ 53, "a count of credits (0 or more)")
  local n, err = run(self, "spent", credits, name, seller, round)
  if not n then return nil, err end
  return n > 0
end

--- Extend a claim's lease.
-- @function Store:renew
-- @tparam string name the queue
-- @tparam string seller the shop's seller_id
-- @tparam string worker the worker holding the claim
-- @tparam integer token the token claim returned
-- @tparam integer lease seconds from now (1 to 86400)
-- @treturn[1] boolean true, or false when the claim is no longer this
-- worker's (its lease expired and another worker took the shop)
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
function Q:renew(name, seller, worker, token, lease)
  check_queue_call(self, "renew", name)
  seller = check_seller("store:renew", seller)
  check_worker("store:renew", worker)
  check_token("store:renew", token)
  check_lease("store:renew", lease)
  local n, err = run(self, "renew", lease, name, seller, worker, token)
  if not n then return nil, err end
  return n > 0
end

local FINISH_STATES = { done = true, failed = true, pending = true }

local function check_outcome(state, r)
  if not FINISH_STATES[state] then
    argcheck.raise("store:finish: argument 'state' must be \"done\", \"failed\" or \"pending\", got "
      .. util.describe(state))
  end
  if type(r) ~= "table" then
    argcheck.raise("store:finish: argument 'r' must be a table (pages, credits, err_kind, err), got "
      .. util.describe(r))
  end
end

--- End a claim.
-- @function Store:finish
-- @tparam string name the queue
-- @tparam string seller the shop's seller_id
-- @tparam string worker the worker holding the claim
-- @tparam integer token the token claim returned
-- @tparam string state `"done"`, `"failed"`, or `"pending"` to hand the shop back
-- @tparam table r `pages`, `credits` (added to the row whatever the state),
-- `err_kind`, `err` (the failure's text)
-- @treturn[1] boolean true, or false when the claim was no longer this worker's
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
function Q:finish(name, seller, worker, token, state, r)
  check_queue_call(self, "finish", name)
  seller = check_seller("store:finish", seller)
  check_worker("store:finish", worker)
  check_token("store:finish", token)
  check_outcome(state, r)
  local n, err
  if state == "pending" then
    n, err = run(self, "release", r.credits or 0, name, seller, worker, token)
  else
    n, err = run(self, "finish", state, r.pages, r.credits or 0, r.err_kind, r.err, name, seller, worker, token)
  end
  if not n then return nil, err end
  return n > 0
end

--- How many shops of a queue are pending and claimed (by anyone).
-- @function Store:queue_left
-- @tparam string name the queue
-- @treturn[1] integer pending shops
-- @treturn[1] integer claimed shops
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
function Q:queue_left(name)
  check_queue_call(self, "queue_left", name)
  local r, err = rows(self, "left", name, name)
  if not r then return nil, err end
  return r[1][1], r[1][2]
end

--- The state of queue name: { pending = n, claimed = { {seller_id =,
-- claimed_by =, claimed_at =, lease_until =, attempts = }, ... }, done = n,
-- failed = { {seller_id =, err_kind =, err =, attempts =, finished_at = },
-- ... }, total = n, now = the database's clock }. Or nil, err.
function Q:queue_status(name)
  check_queue_call(self, "queue_status", name)
  return self:_tx(function()
    -- one snapshot: the counts and the lists agree with each other
    local ok, msg, code = self.db:exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if not ok then error(store_err(self, msg, code), 0) end
    return M.status_rows(function(key)
      local r, err = rows(self, key, name)
      if not r then error(err, 0) end
      return r
    end)
  end)
end

--- Add the store's queue methods (store.lua calls this). h: store_err,
-- check_open.
function M.install(Store, h)
  store_err, check_open = h.store_err, h.check_open
  for k, f in pairs(Q) do Store[k] = f end
end

--- The status table from the rows of the tally, claimed and failed
-- statements (fetch(key) gives them).
function M.status_rows(fetch)
  local out = { pending = 0, claimed = {}, done = 0, failed = {}, total = 0, pages = 0, credits = 0 }
  for _, row in ipairs(fetch("tally")) do
    local state, n = row[1], row[2]
    out.total, out.now = out.total + n, row[5]
    if state == "pending" or state == "done" then out[state] = n end
    if state == "done" or state == "failed" then
      out.pages, out.credits = out.pages + (row[3] or 0), out.credits + (row[4] or 0)
    end
  end
  for i, row in ipairs(fetch("claimed")) do
    out.claimed[i] = { seller_id = row[1], claimed_by = row[2], claimed_at = row[3], lease_until = row[4],
      attempts = row[5] }
  end
  for i, row in ipairs(fetch("failed")) do
    out.failed[i] = { seller_id = row[1], claimed_by = row[2], attempts = row[3], finished_at = row[4],
      err_kind = row[5], err = row[6] }
  end
  return out
end

return M
