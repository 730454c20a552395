-- bench/openresty/ways.lua - runs inside the client nginx of
-- bench/openresty/run.lua: the four ways to fetch one page and the /run
-- handler that drives one of them (light threads, latencies, ngx.sleep
-- calls). Loaded per worker by init_worker_by_lua.
local shoplive = require("shoplive")
local cjson = require("cjson")
local now = require("shoplive.core").now -- ngx.now() counts whole milliseconds

local M = {}

local KEY = os.getenv("KEYAPI_API_KEY")
local HEADERS = { Authorization = "Bearer " .. KEY, Accept = "application/json" }
local QUERY = "/v1/tiktok/shop/livestreams/analytics?seller_id=237&page_num=1&page_size=10"
local sleeps = 0 -- ngx.sleep calls made by shoplive's wait hook
local clients = {}

-- the client: one per worker, upstream and transport; its wait hook
-- (ngx.sleep) counted: libcurl polls through it, cosockets never call it
-- while a page is in flight
local function counting_sleep(s)
  sleeps = sleeps + 1
  return ngx.sleep(s)
end

local function client_for(base, transport)
  local c = clients[transport .. base]
  if not c then
    c = shoplive.new{ api_key = KEY, base_url = base, wait = counting_sleep, max_retries = 0, timeout = 10,
      transport = transport }
    clients[transport .. base] = c
  end
  return c
end

-- Each way: fetch page 1 of shop 237 from base, return its record count.
M.ways = {}

function M.ways.shoplive(base)
  local page = assert(client_for(base, "curl"):livestreams{ seller_id = "237", page = 1 })
  return #page.records
end

function M.ways.client_co(base)
  local page = assert(client_for(base, "cosocket"):livestreams{ seller_id = "237", page = 1 })
  return #page.records
end

function M.ways.cosocket(base)
  local res, kind, msg = require("shoplive.transport.cosocket").get(base .. QUERY, { headers = HEADERS })
  assert(res, kind and kind .. ": " .. tostring(msg))
  local page = assert(shoplive.decode(res.body))
  return #page.records
end

function M.ways.thread(base)
  local ok, status, body = ngx.run_worker_thread("shoplive", "shoplive.transport.worker_thread", "get",
    base .. QUERY, { api_key = KEY, timeout = 10 })
  assert(ok and status == 200, tostring(body))
  local page = assert(shoplive.decode(body))
  return #page.records
end

-- Parts of a way, for alloc.lua's split of the bytes per page (each
-- passes /run's check of 10 records): our bare GET, our decoder and cjson
-- on a page fetched once, lua-resty-http's GET without the decode.
local BODY
function M.ways.part_get(base)
  local res = assert(require("shoplive.transport.cosocket").get(base .. QUERY, { headers = HEADERS }))
  BODY = res.body
  return 10
end

function M.ways.part_decode(base)
  if not BODY then M.ways.part_get(base) end
  return #assert(shoplive.decode(BODY)).records
end

function M.ways.part_cjson(base)
  if not BODY then M.ways.part_get(base) end
  return #cjson.decode(BODY).data
end

-- (the yardstick's request as M.ways.resty makes it, without the decode)
function M.ways.part_resty_get(base)
  local httpc = require("resty.http").new()
  local res = assert(httpc:request_uri(base .. QUERY, { headers = HEADERS, keepalive_timeout = 60000,
    keepalive_pool = 16 }))
  return res.body and 10
end

function M.ways.resty(base)
  local httpc = require("resty.http").new()
  local res = assert(httpc:request_uri(base .. QUERY, { headers = HEADERS, keepalive_timeout = 60000,
    keepalive_pool = 16 }))
  return #cjson.decode(res.body).data
end

--- GET /run?way=&base=&threads=&pages=: `threads` light threads, each
-- fetching `pages` pages one after another. Answers JSON: elapsed seconds,
-- every page's latency (seconds), the ngx.sleep calls made meanwhile.
function M.run()
  local a = ngx.req.get_uri_args()
  local fetch = assert(M.ways[a.way], "unknown way")
  local threads, pages, base = tonumber(a.threads), tonumber(a.pages), a.base
  local lat = {}
  local function worker()
    for _ = 1, pages do
      local t0 = now()
      assert(fetch(base) == 10, "a page without 10 records")
      lat[#lat + 1] = now() - t0
    end
  end
  local s0 = sleeps
  local t0 = now()
  local th = {}
  for i = 1, threads do th[i] = ngx.thread.spawn(worker) end
  for i = 1, threads do
    local ok, err = ngx.thread.wait(th[i])
    if not ok then error(err) end
  end
  ngx.say(cjson.encode{ elapsed = now() - t0, lat = lat, sleeps = sleeps - s0 })
end

--- GET /alloc?way=&base=&pages=: the bytes of Lua heap one way allocates per
-- page (collectgarbage("count") across `pages` pages with the collector
-- stopped, so nothing is freed meanwhile), after a full collection; the
-- collector runs again before the answer.
function M.alloc()
  local a = ngx.req.get_uri_args()
  local fetch = assert(M.ways[a.way], "unknown way")
  local pages, base = tonumber(a.pages), a.base
  collectgarbage()
  collectgarbage("stop")
  local k0 = collectgarbage("count")
  for _ = 1, pages do assert(fetch(base) == 10, "a page without 10 records") end
  local bytes = (collectgarbage("count") - k0) * 1024 / pages
  collectgarbage("restart")
  collectgarbage()
  ngx.say(string.format("%.1f", bytes))
end

--- GET /gc: a full collection (answers the heap left, KB), asked for before each batch outside its
-- measured window, so that no batch pays the garbage the previous way left
-- in the worker's one LuaJIT heap.
function M.gc()
  collectgarbage()
  ngx.say(string.format("%.0f", collectgarbage("count"))) -- the live heap, KB
end

--- GET /profile?way=&base=&pages=&threads=&rounds=&mode=&out=: as /run (`rounds` times), with
-- LuaJIT's profiler (mode "p:<jit.p options>") or trace log (mode "v")
-- writing to the file `out` (bench/openresty/profile.lua reads it).
function M.profile()
  local a = ngx.req.get_uri_args()
  local fetch = assert(M.ways[a.way], "unknown way")
  local threads, pages, base = tonumber(a.threads) or 1, tonumber(a.pages), a.base
  local function worker()
    for _ = 1, pages do assert(fetch(base) == 10, "a page without 10 records") end
  end
  local tool = a.mode == "v" and require("jit.v") or require("jit.p")
  -- traces from the first page on; the profile after a warm-up
  if a.mode == "v" then tool.start(a.out) else worker(); tool.start(a.mode:sub(3), a.out) end
  for _ = 1, tonumber(a.rounds) or 1 do -- fresh light threads each round (the "8 at once" case)
    local th = {}
    for i = 1, threads do th[i] = ngx.thread.spawn(worker) end
    for i = 1, threads do assert(ngx.thread.wait(th[i])) end
  end
  if a.mode == "v" then tool.off() else tool.stop() end
  ngx.say("ok")
end

--- GET /jitv?out=FILE starts LuaJIT's trace log (jit.v) into FILE, from
-- then on, over whatever the worker runs; /jitv stops it.
function M.jitv()
  local out = ngx.req.get_uri_args().out
  if out then require("jit.v").start(out) else require("jit.v").off() end
  ngx.say("ok")
end

return M
