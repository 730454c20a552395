-- The queue's statements cost the same on a big queue as on a small one:
-- the plans PostgreSQL actually runs for store:claim, store:queue_left and
-- store:queue_status on a 100k-shop queue (90k done, the way a long crawl
-- leaves it) beside a second queue. auto_explain logs each statement the
-- store's own connection runs, with the buffers it touched; the spec reads
-- them from the server log of the PostgreSQL 15 cluster it starts.
local env = require("support.env")
local pgsupport = require("support.postgres")
local core = require("shoplive.core")
local store = env.shoplive.store

local pg, pg_why = pgsupport.start()
teardown(function()
  if pg then pg:stop() end
end)

local BIG, DONE = 100000, 90000

--- 'big': DONE done shops first (lowest ids), 10 failed, 5 claimed with an
-- expired lease, 5 with a live one, the rest pending (done and failed shops
-- count 1 page and 2 credits each); 'other': 20k pending.
local FILL = [[
INSERT INTO queue (queue, seller_id, state, enqueued_at, attempts, claimed_by, lease_until, pages, credits)
SELECT 'big', (7000000000000 + g)::text,
  CASE WHEN g <= %d THEN 'done' WHEN g <= %d THEN 'failed' WHEN g <= %d THEN 'claimed' ELSE 'pending' END,
  0, CASE WHEN g <= %d THEN 1 ELSE 0 END,
  CASE WHEN g > %d AND g <= %d THEN 'w:1' END,
  CASE WHEN g > %d AND g <= %d THEN 1 WHEN g > %d AND g <= %d THEN 4000000000 END,
  CASE WHEN g <= %d THEN 1 END, CASE WHEN g <= %d THEN 2 END
FROM generate_series(1, %d) g;
INSERT INTO queue (queue, seller_id, state, enqueued_at, attempts)
SELECT 'other', (8000000000000 + g)::text, 'pending', 0, 0 FROM generate_series(1, 20000) g;
]]

local function fill_sql()
  local f, c = DONE + 10, DONE + 20
  return string.format(FILL, DONE, f, c, c, f, c, f, f + 5, f + 5, c, f, f, BIG)
end

--- The plans auto_explain logged for backend pid, from the server log:
-- { text = the statement, plan = the JSON plan }.
local function logged_plans(pid)
  local f = assert(io.open(pg.dir .. "/log"))
  local log = f:read("*a")
  f:close()
  local out = {}
  -- an entry starts with the log line prefix (a timestamp); the JSON plan
  -- runs over the lines after it
  local entries = {}
  for line in log:gmatch("[^\n]*") do
    if line:find("^%d%d%d%d%-%d%d%-%d%d %d") then
      entries[#entries + 1] = { line }
    elseif #entries > 0 then
      table.insert(entries[#entries], line)
    end
  end
  for _, e in ipairs(entries) do
    if e[1]:find("[" .. pid .. "] LOG:  duration:", 1, true) and e[1]:find("plan:%s*$") then
      local j = assert(core.json_decode(table.concat(e, "\n", 2)))
      out[#out + 1] = { text = j["Query Text"], plan = j.Plan }
    end
  end
  return out
end

--- From now on the store's connection logs each statement it runs with its
-- plan, as run (auto_explain). Returns the connection's backend pid.
local function explain_to_log(s)
  local st = assert(s.db:prepare("SELECT CAST(pg_backend_pid() AS BIGINT)"))
  local pid = assert(st:rows())[1][1]
  st:finalize()
  for _, sql in ipairs{ "LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
      "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on", "SET auto_explain.log_timing = off",
      "SET auto_explain.log_format = json" } do
    assert(s.db:exec(sql))
  end
  return pid
end

--- Every node of plan tree p, depth first.
local function nodes(p, out)
  out = out or {}
  out[#out + 1] = p
  for _, c in ipairs(p.Plans or {}) do nodes(c, out) end
  return out
end

--- Whether node n reads rows of the queue table itself: a scan of it
-- below n with no aggregate in between (sorting the four groups of a
-- GROUP BY state is no sort of the queue).
local function over_queue(n)
  for _, c in ipairs(n.Plans or {}) do
    if c["Relation Name"] == "queue" and c["Node Type"]:find("Scan") then return true end
    if c["Node Type"] ~= "Aggregate" and over_queue(c) then return true end
  end
  return false
end

--- What a plan does with the queue table: the scans of it (node type and
-- index), the rows its filters threw away, the sorts of its rows.
local function summary(plan)
  local s = { scans = {}, removed = 0, sorts = 0 }
  for _, n in ipairs(nodes(plan)) do
    if n["Relation Name"] == "queue" and n["Node Type"]:find("Scan") then
      s.scans[#s.scans + 1] = n["Node Type"] .. (n["Index Name"] and (" using " .. n["Index Name"]) or "")
      s.removed = s.removed + (n["Rows Removed by Filter"] or 0)
    end
    if n["Node Type"]:find("Sort") and over_queue(n) then s.sorts = s.sorts + 1 end
  end
  s.blocks = (plan["Shared Hit Blocks"] or 0) + (plan["Shared Read Blocks"] or 0)
  return s
end

describe("queue statements on a 100k-shop queue (EXPLAIN of what the store runs)", function()
  if pgsupport.missing(pg, pg_why, it) then return end

  it("claims probe the partial indexes; status counts from an index: no Seq Scan, no Sort", function()
    local s = store.open(pg:database("plans"))
    local status, out = pg:psql(fill_sql(), "plans")
    assert.equals(0, status, out)
    -- what autovacuum does to a table this size: statistics, visibility map
    status, out = pg:psql("VACUUM ANALYZE queue", "plans")
    assert.equals(0, status, out)
    local function exec(sql) assert(s.db:exec(sql)) end
    local pid = explain_to_log(s)

    -- the 5 expired leases first, then pending shops in order; past the
    -- 5th execution PostgreSQL may switch to its generic plan, and the last
    -- claims are made with it for certain
    local got = {}
    for i = 1, 12 do
      if i == 10 then exec("SET plan_cache_mode = force_generic_plan") end
      got[i] = assert(s:claim("big", "w:2", 60))
    end
    assert.same({ "7000000090011", "7000000090012", "7000000090013", "7000000090014", "7000000090015",
      "7000000090021", "7000000090022" }, { got[1], got[2], got[3], got[4], got[5], got[6], got[7] })
    local pending, claimed = s:queue_left("big")
    assert.same({ BIG - DONE - 20 - 7, 17 }, { pending, claimed })
    local q = assert(s:queue_status("big"))
    assert.same({ BIG, DONE, BIG - DONE - 20 - 7, 17, 10, DONE + 10, 2 * (DONE + 10) },
      { q.total, q.done, q.pending, #q.claimed, #q.failed, q.pages, q.credits })
    s:close()

    local seen, problems = {}, {}
    for _, p in ipairs(logged_plans(pid)) do
      local sum = summary(p.plan)
      local what = p.text:match("^%s*(%u+)") .. " " .. (p.text:match("state = 'claimed' AND lease_until") and "claim"
        or p.text:match("GROUP BY state") and "tally" or p.text:match("COUNT%(%*%) FROM queue") and "left"
        or p.text:match("AND state = '(%a+)' ORDER BY") or "?")
      seen[what] = (seen[what] or 0) + 1
      local why = what .. ": " .. table.concat(sum.scans, ", ") .. "; sorts " .. sum.sorts .. ", removed "
        .. sum.removed .. ", blocks " .. sum.blocks
      -- every read of the queue goes through an index (which one is the
      -- planner's choice: several fit some questions)
      local bad = sum.sorts > 0 or #sum.scans == 0
      for _, scan in ipairs(sum.scans) do
        bad = bad or not (scan:find("^Index Scan using queue_") or scan:find("^Index Only Scan using queue_"))
      end
      -- no walk past done shops: the filters throw away a handful of rows,
      -- and a claim touches a few pages, however many shops the queue holds
      bad = bad or sum.removed > 10 or (what == "UPDATE claim" and sum.blocks > 200)
      if bad then problems[why] = true end
    end
    assert.same({}, problems)
    assert.same({ ["UPDATE claim"] = 12, ["SELECT left"] = 1, ["SELECT tally"] = 1, ["SELECT claimed"] = 1,
      ["SELECT failed"] = 1 }, seen)
  end)

  it("store:enqueue sends a thousand shops a statement: 2,500 shops (one given twice) in 3 INSERTs", function()
    local s = store.open(pg:database("enq"))
    local ids = {}
    for i = 1, 2500 do ids[i] = tostring(7000000000000 + i) end
    ids[2501] = ids[1000] -- a batch's last, again in the next batch
    local pid = explain_to_log(s)
    assert.equals(2500, s:enqueue("q", ids))
    local inserts = 0
    for _, p in ipairs(logged_plans(pid)) do
      if p.text:find("^%s*INSERT INTO queue") then inserts = inserts + 1 end
    end
    assert.equals(3, inserts)
    -- claimed in the order given; pending and claimed shops are left alone,
    -- done ones queued again
    assert.equals(ids[1], (s:claim("q", "w:1", 60)))
    assert.equals(0, (pg:psql("UPDATE queue SET state = 'done' WHERE seller_id IN ('" .. ids[2] .. "', '" .. ids[2500]
      .. "')", "enq")))
    assert.equals(2, s:enqueue("q", ids))
    local q = assert(s:queue_status("q"))
    assert.same({ 2500, 2499, 1, 0 }, { q.total, q.pending, #q.claimed, q.done })
    assert.equals(ids[2], (s:claim("q", "w:1", 60)))
    s:close()
  end)

  --- A database as shoplive wrote it at schema version 2 (migrations 1 and
  -- 2, with the queue's old index), holding a queue of 3 shops.
  local function version2(db, dialect)
    local schema = require("shoplive.store.schema")
    local function exec(sql) assert(db:exec(sql)) end
    exec("CREATE TABLE meta (key " .. dialect.ID .. " PRIMARY KEY, value " .. dialect.ID .. ")")
    exec("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
    for v = 1, 2 do
      for _, stmt in ipairs(schema.migrations[v](dialect)) do exec(stmt) end
    end
    exec("INSERT INTO queue (queue, seller_id, state, enqueued_at, attempts, pages, credits) VALUES "
      .. "('q', '1', 'done', 0, 1, 2, 3), ('q', '2', 'pending', 0, 0, NULL, NULL), "
      .. "('q', '3', 'failed', 0, 1, 1, 4)")
  end

  it("a version 2 database gets the new indexes when opened (PostgreSQL and SQLite), its rows kept", function()
    local url = pg:database("v2")
    local raw = assert(require("shoplive.libpq").open(url, pgsupport.CONNECT_TIMEOUT * 1000))
    version2(raw, require("shoplive.store.postgres"))
    raw:close()
    local s = store.open(url)
    local _, idx = pg:psql("SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE "
      .. "tablename = 'queue'", "v2")
    assert.equals("queue_failed queue_leases queue_pending queue_pkey queue_shop queue_tally", idx:match("[%w_ ]+"))
    local _, v = pg:psql("SELECT value FROM meta WHERE key = 'schema_version'", "v2")
    assert.equals("3", v:match("%d+"))
    local q = assert(s:queue_status("q"))
    assert.same({ 3, 1, 1, 1, 3, 7 }, { q.total, q.done, q.pending, #q.failed, q.pages, q.credits })
    assert.equals("2", (s:claim("q", "w:1", 60)))
    s:close()

    local path = os.tmpname()
    local lite = require("shoplive.sqlite3")
    raw = assert(lite.open(path, "rwc"))
    version2(raw, require("shoplive.store.sqlite"))
    raw:close()
    s = store.open(path)
    s:close()
    raw = assert(lite.open(path, "rwc"))
    local st = assert(raw:prepare("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE "
      .. "type = 'index' AND tbl_name = 'queue' AND sql IS NOT NULL ORDER BY name)"))
    local names = assert(st:rows())[1][1]
    st:finalize()
    st = assert(raw:prepare("SELECT value FROM meta WHERE key = 'schema_version'"))
    local sv = assert(st:rows())[1][1]
    st:finalize()
    raw:close()
    os.remove(path)
    assert.equals("queue_failed queue_leases queue_pending queue_shop queue_tally", names)
    assert.equals("3", sv)
  end)
end)
