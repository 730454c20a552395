--- The arguments of client:sync{}: checked before anything is sent or
-- claimed; every problem raises at the caller of client:sync (argcheck walks
-- past the library's frames).
local query = require("shoplive.query")
local util = require("shoplive.util")

local raise = require("shoplive.argcheck").raise

local M = {}

local ARGS = { sellers = true, sort_by = true, order = true, page_size = true, max_credits = true,
  concurrency = true, on_page = true, queue = true, enqueue = true, lease = true, worker = true }

--- The store the sync writes to: the client's, and writable.
local function check_store(store)
  if not store then
    raise("sync: the client has no store (shoplive.new{ store = shoplive.store.open(...) })")
  end
  if store.readonly then
    -- every page bought would fail to save: refuse before the first one
    raise("sync: the client's store was opened with readonly = true; sync saves every page it fetches")
  end
end

local function check_queue(store, a)
  if a.queue ~= nil then
    store:check_queue("sync", a.queue)
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
end

--- The shops' checked params, each seller once, in order (the client
-- keeps their URLs: each page is then only its number).
local function check_sellers(client, a)
  local sellers = a.sellers
  if a.queue ~= nil and not a.enqueue then sellers = {} end
  if type(sellers) ~= "table" or (#sellers == 0 and a.queue == nil) then
    raise("sync: argument 'sellers' must be a non-empty array of seller ids, got " .. util.describe(sellers))
  end
  local queries, seen = {}, {}
  for i = 1, #sellers do
    local p = client:query({ seller_id = sellers[i], sort_by = a.sort_by, order = a.order, page_size = a.page_size },
      "sync (sellers[" .. i .. "])")
    if not seen[p.seller_id] then
      seen[p.seller_id] = true
      queries[#queries + 1] = p
    end
  end
  return queries
end

local function count(a, name, min, max, default)
  local v = a[name]
  if v == nil then return default end
  local n = util.tointeger(v)
  if not n or n < min or (max and n > max) then
    raise("sync: argument '" .. name .. "' must be an integer >= " .. min .. (max and (" and <= " .. max) or "")
      .. ", got " .. util.describe(v))
  end
  return n
end

--- Returns the shops' params and the options of the sync.
function M.check(client, a)
  if type(a) ~= "table" then raise("sync: expected a table of arguments (sellers, ...), got " .. type(a)) end
  for k in pairs(a) do
    if not ARGS[k] then
      raise("sync: unknown argument '" .. tostring(k) .. "' (accepted: " .. util.keys(ARGS) .. ")")
    end
  end
  local store = client.store
  check_store(store)
  check_queue(store, a)
  -- the query every shop is synced with, checked once without a seller
  local p0 = query.check({ seller_id = "0", sort_by = a.sort_by, order = a.order, page_size = a.page_size }, "sync")
  p0.seller_id = nil
  local queries = check_sellers(client, a)
  local opts = {
    max_credits = count(a, "max_credits", 0, nil, nil),
    concurrency = count(a, "concurrency", 1, 64, 4),
    on_page = a.on_page,
    queue = a.queue, enqueue = a.enqueue, worker = a.worker, p0 = p0,
    lease = count(a, "lease", 1, 86400, nil),
  }
  local mt = getmetatable(a.on_page)
  if a.on_page ~= nil and type(a.on_page) ~= "function" and not (type(mt) == "table" and mt.__call) then
    raise("sync: argument 'on_page' must be a function(page, seller_id), got " .. util.describe(a.on_page))
  end
  return queries, opts
end

return M
