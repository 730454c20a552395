-- The queue's statements cost the same on a big queue as on a small one:
-- the plans PostgreSQL actually runs for store:_claim, store:_queue_left and
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

--- Every node of plan tree p, depth first.
local function nodes(p, out)
  out = out or {}
  out[#out + 1] = p
  for _, c in ipairs(p.Plans or {}) do nodes(c, out) end
  return out
end

--- What a plan does with the queue table: the scans of it (node type and
-- index), the rows its filters threw away, whether anything sorts.
local function summary(plan)
  local s = { scans = {}, removed = 0, sorts = 0 }
  for _, n in ipairs(nodes(plan)) do
    if n["Relation Name"] == "queue" and n["Node Type"]:find("Scan") then
      s.scans[#s.scans + 1] = n["Node Type"] .. (n["Index Name"] and (" using " .. n["Index Name"]) or "")
      s.removed = s.removed + (n["Rows Removed by Filter"] or 0)
    end
    if n["Node Type"]:find("Sort") then s.sorts = s.sorts + 1 end
  end
  s.blocks = (plan["Shared Hit Blocks"] or 0) + (plan["Shared Read Blocks"] or 0)
  return s
end

local function set(list)
  local t = {}
  for _, v in ipairs(list) do t[v] = true end
  return t
end

describe("queue statements on a 100k-shop queue (EXPLAIN of what the store runs)", function()
  if not pg then
    it("needs PostgreSQL 15 (" .. tostring(pg_why) .. ")", function() error(pg_why) end)
    return
  end

  it("claims probe the partial indexes; status counts from an index: no Seq Scan, no Sort", function()
    local s = store.open(pg:database("plans"))
    local status, out = pg:psql(fill_sql(), "plans")
    assert.equals(0, status, out)
    -- what autovacuum does to a table this size: statistics, visibility map
    status, out = pg:psql("VACUUM ANALYZE queue", "plans")
    assert.equals(0, status, out)
    local function exec(sql) assert(s.db:exec(sql)) end
    local st = assert(s.db:prepare("SELECT CAST(pg_backend_pid() AS BIGINT)"))
    local pid = assert(st:rows())[1][1]
    st:finalize()
    exec("LOAD 'auto_explain'")
    exec("SET auto_explain.log_min_duration = 0")
    exec("SET auto_explain.log_analyze = on")
    exec("SET auto_explain.log_buffers = on")
    exec("SET auto_explain.log_timing = off")
    exec("SET auto_explain.log_format = json")

    -- the 5 expired leases first, then pending shops in order; past the
    -- 5th execution PostgreSQL may switch to its generic plan, and the last
    -- claims are made with it for certain
    local got = {}
    for i = 1, 12 do
      if i == 10 then exec("SET plan_cache_mode = force_generic_plan") end
      got[i] = assert(s:_claim("big", "w:2", 60))
    end
    assert.same({ "7000000090011", "7000000090012", "7000000090013", "7000000090014", "7000000090015",
      "7000000090021", "7000000090022" }, { got[1], got[2], got[3], got[4], got[5], got[6], got[7] })
    local pending, claimed = s:_queue_left("big")
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
      local why = what .. ": " .. table.concat(sum.scans, ", ") .. "; removed " .. sum.removed .. ", blocks "
        .. sum.blocks
      local bad = sum.sorts > 0 or #sum.scans == 0
      local allowed = what == "UPDATE claim" and set{ "Index Scan using queue_leases", "Index Scan using queue_pending",
          "Index Scan using queue_pkey" } -- the UPDATE finds its row by id
        or what == "SELECT tally" and set{ "Index Only Scan using queue_tally" }
        or set{ "Index Scan using queue_leases", "Index Scan using queue_failed",
          "Index Only Scan using queue_leases", "Index Only Scan using queue_pending",
          "Index Only Scan using queue_failed" }
      for _, scan in ipairs(sum.scans) do bad = bad or not allowed[scan] end
      -- no walk past done shops: the filters throw away a handful of rows,
      -- and a claim touches a few pages, however many shops the queue holds
      bad = bad or sum.removed > 10 or (what == "UPDATE claim" and sum.blocks > 200)
      if bad then problems[why] = true end
    end
    assert.same({}, problems)
    assert.same({ ["UPDATE claim"] = 12, ["SELECT left"] = 1, ["SELECT tally"] = 1, ["SELECT claimed"] = 1,
      ["SELECT failed"] = 1 }, seen)
  end)
end)
