-- bench/calls_per_page.lua - the Lua work per page, counted exactly: a
-- debug hook on call events counts the Lua function calls and the calls of
-- C functions (crossings into C) made while the client syncs SHOP's pages
-- into a fresh SQLite store, and while it fetches the same pages one by one
-- with client:livestreams. Figures per page; the counts involve no timing,
-- so the shared machine's noise does not touch them. Then, without the
-- hook, the CPU time (os.clock) per page of the same two runs, median of 5.
--
--   tools/with-sandbox lua5.4 bench/calls_per_page.lua [PAGES] [cpu]   (cpu: the CPU figures only)
--     with LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;"
local shoplive = require("shoplive")

local SHOP = "999"   -- 999 records: pages 1..100 of 10
local PAGES = tonumber(arg[1]) or 100

if not os.getenv("KEYAPI_BASE_URL") then
  io.stderr:write("bench/calls_per_page.lua: no sandbox; run it under tools/with-sandbox\n")
  os.exit(2)
end

-- The store's own work (SQLite statements, row building) is the same
-- before and after a change to the client: its calls are counted apart.
local function in_store(source)
  return source:find("shoplive/store", 1, true) ~= nil
end

--- Runs fn under a call hook; returns the Lua calls and the C calls it
-- made outside the store, then those inside it (a C function counts where
-- its caller is).
local function count(fn)
  local n = { lua = 0, c = 0, store_lua = 0, store_c = 0 }
  local getinfo = debug.getinfo
  debug.sethook(function()
    local f = getinfo(2, "S")
    if f.what == "C" then
      local caller = getinfo(3, "S")
      if caller and in_store(caller.source) then n.store_c = n.store_c + 1 else n.c = n.c + 1 end
    elseif in_store(f.source) then
      n.store_lua = n.store_lua + 1
    else
      n.lua = n.lua + 1
    end
  end, "c")
  fn()
  debug.sethook()
  return n
end

local function tmp_db()
  local name = os.tmpname()
  os.remove(name)
  return name .. ".db"
end

local function report(what, pages, n)
  print(("%-12s %4d pages  client: %6.1f Lua calls/page %6.1f C calls/page   store: %6.1f Lua %6.1f C"):format(
    what, pages, n.lua / pages, n.c / pages, n.store_lua / pages, n.store_c / pages))
end

--- sync: one shop, every page fetched (a fresh store) and saved; wrap
-- runs it (count, or cpu). Returns wrap's result and the pages.
local function sync_run(wrap)
  local db = tmp_db()
  local store = shoplive.store.open(db)
  local client = shoplive.new{ store = store }
  local r
  local res = wrap(function() r = assert(client:sync{ sellers = { SHOP } }) end)
  client:close()
  store:close()
  os.remove(db)
  return res, r.pages
end

local pages = math.min(PAGES, 100)

--- livestreams: the same pages, one blocking call each, no store.
local function livestreams_run(wrap)
  local client = shoplive.new{}
  local res = wrap(function()
    for p = 1, pages do assert(client:livestreams{ seller_id = SHOP, page = p }) end
  end)
  client:close()
  return res, pages
end

local function cpu(fn)
  local t0 = os.clock()
  fn()
  return os.clock() - t0
end

local function median_cpu(run)
  local t, n = {}, nil
  for i = 1, 5 do t[i], n = run(cpu) end
  table.sort(t)
  return t[3] / n * 1e6
end

if arg[2] ~= "cpu" then
  local n, p = sync_run(count)
  report("sync", p, n)
  n, p = livestreams_run(count)
  report("livestreams", p, n)
end
print(("CPU per page (median of 5): sync %.0f us, livestreams %.0f us"):format(median_cpu(sync_run),
  median_cpu(livestreams_run)))
