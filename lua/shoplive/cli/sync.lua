--- The store's part of the `shoplive` command (its options are declared in
-- cli/parser.lua):
--   shoplive sync [SELLER_ID...] [--from FILE|-] [--db PATH|URL] [--ttl SECONDS]
--       [--max-credits N] [--concurrency N] [--dry-run]
--       [--queue NAME [--enqueue] [--lease SECONDS]]
-- and --db / --offline (declared in cli/parser.lua) for livestreams and summary.
-- Exit status of sync: 0 every shop done, 1 any shop failed or the sync
-- stopped, 2 bad usage, 130 interrupted by Ctrl-C.
local check = require("shoplive.cli.args")
local clisys = require("shoplive.clisys")
local core = require("shoplive.core")
local plural = require("shoplive.cli.plural")
local util = require("shoplive.util")

local M = {}

-- --ttl's bound: the store keeps epoch seconds; 2^31 - 1 is past 68 years
local MAX_SECONDS = 2 ^ 31 - 1

-- The usage errors and value readers every command shares (cli/args.lua);
-- kept under their old names for callers of this module.
M.Usage = check.Usage
M.usage_error = check.usage_error
local usage_error = check.usage_error

--- Seller ids from the arguments and --from (a file or '-' for stdin),
-- checked as the library checks them (cli/ids.lua).
function M.sellers(args, env)
  return check.sellers(args.seller_ids, args.from, env, "no seller ids: give them as arguments or with --from FILE|-")
end

--- The store of --db (or the default one), or nil after writing its error
-- line. A --db that is neither a file path nor a postgresql:// URL is bad
-- usage (exit 2). readonly: for --offline, which only reads (a read-only
-- snapshot works).
function M.open_store(target, env, readonly)
  if target then
    local kind, why = require("shoplive.store.target").parse(target)
    if not kind then usage_error("option '--db': " .. why) end
  end
  -- Ctrl-C also ends a wait for the database (a lock, a stalled server)
  local ok, s = pcall(require("shoplive.store").open, target,
    { readonly = readonly or nil, interrupt = function() return clisys.sigint_count() > 0 end })
  if not ok then
    env.stderr:write(tostring(s):gsub("^[^:]*:%d+: ", ""), "\n")
    return nil
  end
  return s
end

local function dry_run(args, ids, s, ttl, env)
  local query = require("shoplive.query")
  local complete, at_least = 0, 0
  for _, id in ipairs(ids) do
    local p = query.check({ seller_id = id, sort_by = args.sort, order = args.order }, "sync --dry-run")
    local held, done = s:held(p, ttl)
    if not held then
      -- a store that cannot answer must not pass for an empty one
      env.stderr:write("shoplive: ", tostring(done), "\n")
      return 1
    end
    if done then
      complete = complete + 1
      env.stdout:write(id, ": ", held, " pages held, complete: 0 credits\n")
    else
      at_least = at_least + 1
      env.stdout:write(id, ": ", held, " pages held; fetching from page ", held + 1, " costs at least 1 credit\n")
    end
  end
  env.stdout:write(string.format("%d shops, %d complete in the store; the sync would cost at least %d credit%s "
    .. "(a shop's page count is known only once its last page is fetched)\n", #ids, complete, at_least,
    at_least == 1 and "" or "s"))
  return 0
end

-- -v: one page more for the shop (in the order shops first answered).
local function count_page(per_shop, page, seller_id)
  local id = tostring(seller_id)
  local c = per_shop[id]
  if not c then
    c = { 0, 0 }
    per_shop[id] = c
    per_shop.order[#per_shop.order + 1] = id
  end
  c[1] = c[1] + 1
  if page and page.cached then c[2] = c[2] + 1 end
end

-- What the sync did: -v's line per shop and a line per failed shop on
-- stderr, the closing line on stdout. Returns how many shops failed.
local function tell(args, env, r, err, nids, per_shop, interrupted)
  local failed, nfailed = {}, 0
  for id in pairs(r.failed) do failed[#failed + 1] = id end
  table.sort(failed)
  for _, id in ipairs(per_shop.order) do
    local c = per_shop[id]
    env.stderr:write("shoplive: shop ", id, ": ", plural(c[1], "page"), " (", plural(c[2], "cache hit"), ")\n")
  end
  for _, id in ipairs(failed) do
    nfailed = nfailed + 1
    -- one prefix: tostring(err) starts "shoplive: " already
    env.stderr:write("shoplive: shop ", id, ": ", util.clean((tostring(r.failed[id]):gsub("^shoplive: ", ""))), "\n")
  end
  local stopped = ""
  if interrupted then
    stopped = ", interrupted"
  elseif err then
    env.stderr:write(tostring(err), "\n")
    stopped = ", stopped (" .. err.kind .. ")"
  end
  local counts = string.format("%s, %s, %s, %d new, %d changed, %d failed%s", plural(r.pages, "page"),
    plural(r.credits, "credit"), plural(r.cache_hits, "cache hit"), r.new, r.changed, nfailed, stopped)
  if args.queue then
    env.stdout:write(string.format("sync: queue %s: this worker did %s, %s\n", args.queue, plural(r.shops, "shop"),
      counts))
  else
    env.stdout:write(string.format("sync: %d/%d shop%s done, %s\n", r.shops, nids, nids == 1 and "" or "s", counts))
  end
  return nfailed
end

--- `shoplive sync`: returns the exit status.
function M.run(args, env)
  if not args.queue then
    for _, o in ipairs{ "enqueue", "lease" } do
      if args[o] and (o ~= "lease" or args.lease ~= "120") then usage_error("--" .. o .. " goes with --queue") end
    end
  elseif args.dry_run then
    usage_error("--dry-run does not go with --queue (see: shoplive queue status)")
  elseif not args.enqueue and (#(args.seller_ids or {}) > 0 or args.from) then
    usage_error("with --queue the shops come from the queue: add --enqueue to add these to it first")
  end
  local ids = (not args.queue or args.enqueue) and M.sellers(args, env) or {}
  local ttl = check.seconds(args.ttl, "--ttl", 0, MAX_SECONDS)
  local max_credits = check.integer(args.max_credits, "--max-credits", 0, 2 ^ 53)
  local concurrency = check.integer(args.concurrency, "--concurrency", 1, 64)
  local lease = args.queue and check.seconds(args.lease, "--lease", 1, 86400)
  if args.queue then check.queue_name(args.queue) end
  local store = M.open_store(args.db, env)
  if not store then return 1 end
  if args.queue and store.dialect.name ~= "postgresql" then
    store:close()
    usage_error("--queue needs a PostgreSQL store (--db postgresql://...): SQLite cannot share work between hosts")
  end
  if args.dry_run then
    local status = dry_run(args, ids, store, ttl, env)
    store:close()
    return status
  end
  local key = env.getenv("KEYAPI_API_KEY")
  if not key or key == "" then
    store:close()
    env.stderr:write("shoplive: no API key: set KEYAPI_API_KEY (export KEYAPI_API_KEY=sk_live_...)\n")
    return 1
  end
  local base = env.getenv("KEYAPI_BASE_URL")
  local shoplive = require("shoplive")
  -- Ctrl-C (a counter, src/clisys.c) cancels the requests in flight and
  -- starts no more; every page fetched before is in the store, so a re-run
  -- pays only for the rest. With --queue it also ends the wait for other
  -- workers' claims, and the unfinished shops go back to the queue.
  local function interrupted() return clisys.sigint_count() > 0 end
  local ok, client = pcall(shoplive.new, { api_key = key, base_url = base ~= "" and base or nil, store = store,
    cache_ttl = ttl, interrupt = interrupted })
  if not ok then
    store:close()
    env.stderr:write(tostring(client):gsub("^[^:]*:%d+: ", ""), "\n")
    return 1
  end
  local tty = not args.quiet and env.isatty(2)
  local pages, last, t0 = 0, 0, core.now()
  local per_shop = { order = {} } -- for -v: seller_id -> { pages, cache hits }
  local report, err = client:sync{ sellers = #ids > 0 and ids or nil, sort_by = args.sort, order = args.order,
    max_credits = max_credits, queue = args.queue, enqueue = args.queue and args.enqueue or nil, lease = lease,
    concurrency = concurrency, on_page = function(page, seller_id)
      pages = pages + 1
      if args.verbose then count_page(per_shop, page, seller_id) end
      local clock = core.now()
      if tty and clock - last >= 0.1 then
        last = clock
        local st = client:stats()
        env.stderr:write(string.format("\r\27[Kpages %d, credits %d, cache hits %d, %.1fs", pages, st.credits,
          st.cache_hits, clock - t0))
        env.stderr:flush()
      end
    end }
  if tty then env.stderr:write("\r\27[K") end
  local outcome = report or err.report
  local was_interrupted = interrupted()
  local nfailed = tell(args, env, outcome, err, #ids, per_shop, was_interrupted)
  client:close()
  store:close()
  if was_interrupted then return 130 end
  return (err or nfailed > 0) and 1 or 0
end

-- ---- --db / --offline for livestreams and summary ----------------------------

--- A stand-in for the client with --offline: the shop's stored livestreams,
-- sorted as asked, as one page. Nothing is sent and no key is read.
local Offline = {}
Offline.__index = Offline

function Offline.stats(_) return { requests = 0, credits = 0, retries = 0, bytes = 0, cache_hits = 0 } end
function Offline:close() self.store:close() end

function Offline:pages(q)
  local recs, err = self.store:livestreams{ seller_id = q.seller_id }
  if not recs then error(err, 0) end
  local empty = false
  if #recs == 0 then
    -- a shop whose complete result is empty is an answer, not a miss
    local eerr
    empty, eerr = self.store:empty_shop(q.seller_id)
    if empty == nil then error(eerr, 0) end
  end
  if #recs == 0 and not empty then
    error(require("shoplive.errors").new{ kind = "store", message = self.store.name
      .. ": no stored livestreams for shop " .. q.seller_id .. " (run: shoplive sync " .. q.seller_id .. ")" }, 0)
  end
  if q.sort_by then
    require("shoplive.sort").sort(recs, (q.order == "asc" and "" or "-") .. q.sort_by)
  end
  local first = ((q.page or 1) - 1) * (q.page_size or 10) + 1
  local last = #recs
  if q.max_pages then last = math.min(last, first - 1 + q.max_pages * (q.page_size or 10)) end
  if q.limit then last = math.min(last, first - 1 + q.limit) end
  local out = {}
  for i = first, last do out[#out + 1] = recs[i] end
  local given = false
  return function()
    if given then return nil end
    given = true
    return { records = out, cached = true }
  end
end

--- The client for livestreams/summary: with --offline an Offline reader,
-- with --db a client reading through that store's cache, else nil (the
-- caller makes its usual client from opts). Returns client or nil, or
-- false after writing an error line (exit 1).
function M.client(args, env, opts)
  if not args.offline and not args.db then return nil end
  local store = M.open_store(args.db, env, args.offline)
  if not store then return false end
  if args.offline then return setmetatable({ store = store }, Offline) end
  local client_opts = {}
  for k, v in pairs(opts) do client_opts[k] = v end
  client_opts.store = store
  local ok, client = pcall(require("shoplive").new, client_opts)
  if not ok then
    store:close()
    env.stderr:write(tostring(client):gsub("^[^:]*:%d+: ", ""), "\n")
    return false
  end
  return client
end

return M
