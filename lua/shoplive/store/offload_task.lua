--- The thread side of store/offload.lua: runs in a Lua VM of nginx's thread
-- pool (ngx.run_worker_thread), which lives on between tasks, so the store
-- opened for a target by one task serves the next ones: one connection per
-- thread and target, not one per call.
local store = require("shoplive.store")

local M = {}

local unpack = table.unpack or rawget(_G, "unpack")
local function pack(...) return { n = select("#", ...), ... } end

-- "target\0timeout\0readonly" -> an open store
local open = {}

local function store_for(spec)
  local key = spec.target .. "\0" .. tostring(spec.timeout) .. "\0" .. tostring(spec.readonly)
  local s = open[key]
  if not s then
    s = store.open(spec.target, { timeout = spec.timeout, readonly = spec.readonly })
    open[key] = s
  end
  return s
end

--- store[method](args) on this thread's store for spec, at the worker's
-- clock `now`. Returns the results in one table (n: their count; an err as
-- its plain fields; fetched_at: what save_page set on its page), or what
-- the method raised: { raised = message } or { raised_err = err fields }.
function M.call(spec, now, method, args)
  local ok, s = pcall(store_for, spec)
  if not ok then
    -- store.open raises an err (the database went away since the worker
    -- opened it): the call fails as a statement would
    local e = type(s) == "table" and s or { kind = "store", message = tostring(s) }
    return { n = 2, nil, { kind = "store", message = e.message, code = e.code } }
  end
  s.clock = function() return now end
  local r = pack(pcall(s[method], s, unpack(args, 1, args.n)))
  if not r[1] then
    local e = r[2]
    if type(e) == "table" then return { raised_err = { kind = e.kind, message = e.message, code = e.code } } end
    return { raised = tostring(e) }
  end
  for i = 1, r.n - 1 do r[i] = r[i + 1] end
  r[r.n] = nil
  r.n = r.n - 1
  if r[1] == nil and type(r[2]) == "table" then
    local e = r[2]
    r[2] = { kind = e.kind, message = e.message, code = e.code }
  end
  if method == "save_page" then r.fetched_at = args[2].fetched_at end
  return r
end

return M
