--- Inside nginx, the store's calls (those a client, sync and a queue worker
-- make, and the public reads and writes) run in nginx's thread pool
-- (ngx.run_worker_thread) instead of the worker:
-- SQLite and libpq block while they wait, and a worker blocked in a slow
-- INSERT serves no other request meanwhile (issue 18, item 4).
--
-- shoplive.store.open(target, { thread_pool = "shoplive" }) opens the store
-- in the worker as always (the checks, the migration and their errors stay
-- where the caller sees them) and then routes the methods below through the
-- pool: each runs in the thread's own Lua VM, which keeps one open store per
-- target between tasks (offload_task.lua). Where nginx cannot yield (init,
-- init_worker, set_by_lua, header and body filters, log) or outside nginx,
-- they run in place, as without the option. open and close stay in the
-- worker: open blocks it once (connect, migration check), so open the
-- store in init_worker_by_lua, before any request.
--
-- Only plain values cross into the thread and back: the page's records,
-- the query's fields, numbers and strings; an err comes back as its fields
-- and is made an err again here.
local argcheck = require("shoplive.argcheck")
local errors = require("shoplive.errors")
local util = require("shoplive.util")

local M = {}

-- the methods the client, sync and a queue worker call on their store,
-- and the public ones a handler may call
local ROUTED = { "cached_page", "save_page", "held", "empty_shop", "claim", "spent", "renew", "finish",
  "queue_left", "livestreams", "shops", "history", "credits", "enqueue", "queue_status" }

local YIELDABLE = { rewrite = true, access = true, content = true, timer = true, ssl_cert = true,
  ssl_session_fetch = true }

local unpack = table.unpack or rawget(_G, "unpack")

--- Plain copies of the arguments of method, for the thread.
local function plain_args(method, ...)
  local a = { n = select("#", ...), ... }
  if method == "save_page" then
    -- the store reads only these of the page (and sets fetched_at, below)
    a[2] = { records = a[2].records, request_id = a[2].request_id }
  elseif method == "finish" and a[6] then
    local r = a[6]
    a[6] = { pages = r.pages, credits = r.credits, err_kind = r.err_kind,
      err = r.err ~= nil and tostring(r.err) or nil }
  end
  return a
end

--- The method's results as the worker hands them on: an err (the second
-- result of nil, err) gets its metatable back.
local function results(r)
  if r[1] == nil and type(r[2]) == "table" then r[2] = errors.new(r[2]) end
  return unpack(r, 1, r.n)
end

local function can_yield(ngx)
  if not YIELDABLE[ngx.get_phase()] then return false end
  local isy = rawget(coroutine, "isyieldable")
  return isy == nil or isy()
end

--- Raise (at the caller of store.open) unless pool can name a thread pool
-- and this Lua runs inside nginx; returns this module.
function M.check(pool)
  if type(pool) ~= "string" or not pool:match("^[%w_%-]+$") then
    argcheck.raise("shoplive.store.open: option 'thread_pool' must name a thread_pool of nginx.conf, got "
      .. util.describe(pool))
  end
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" or type(ngx.run_worker_thread) ~= "function" then
    argcheck.raise("shoplive.store.open: option 'thread_pool' needs nginx with the lua module 0.10.23 or later "
      .. "(ngx.run_worker_thread); outside nginx leave it out")
  end
  return M
end

--- Route store's methods through the pool named pool. spec: what the
-- thread needs to open the same store: target (the dialect's connection
-- string), timeout, readonly.
function M.install(store, pool, spec)
  local ngx = rawget(_G, "ngx")
  local run = type(ngx) == "table" and ngx.run_worker_thread
  if not run then return store end
  local Store = getmetatable(store).__index
  for _, method in ipairs(ROUTED) do
    local direct = Store[method]
    store[method] = function(self, ...)
      -- a closed store raises as it always did (the thread's stays open)
      if type(self) ~= "table" or not self.db or not can_yield(ngx) then return direct(self, ...) end
      local ok, r = run(pool, "shoplive.store.offload_task", "call", spec, self.clock(), method,
        plain_args(method, ...))
      if not ok then
        -- the pool is missing or the thread failed: an err of the store,
        -- as a statement that failed
        return nil, errors.new{ kind = "store", message = "thread pool '" .. pool .. "': " .. tostring(r) }
      end
      if r.raised_err then error(errors.new(r.raised_err), 0) end
      if r.raised then
        -- an argument error raised in the thread: at the caller's line here
        -- (its position there is the thread's)
        argcheck.raise((r.raised:gsub("^[^\n]-%.lua:%d+: ", "", 1)))
      end
      if method == "save_page" and r[1] then (select(2, ...)).fetched_at = r.fetched_at end
      return results(r)
    end
  end
  return store
end

return M
