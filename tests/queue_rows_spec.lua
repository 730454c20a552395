-- #serial (tests/run): its assertions count requests per second or a lease's
-- renewals, which CPU starvation from specs beside it can tip over
-- What a queue row says about its shop is what happened to it: the credits
-- sync spent on the shop (a billed 200 whose body was cut off too), and a
-- shop whose page could not be saved is never marked done. Against the
-- sandbox's faults and a PostgreSQL 15 cluster this spec starts itself.
local env = require("support.env")
local pgsupport = require("support.postgres")
local store = env.shoplive.store

local pg, pg_why = pgsupport.start()
teardown(function()
  if pg then pg:stop() end
end)

describe("queue rows", function()
  if pgsupport.missing(pg, pg_why, it) then return end

  local fx = pgsupport.store_each(pg, "rows", { before_each = before_each, after_each = after_each })

  --- The rows of queue q as "seller state pages credits", by seller.
  local function rows(q)
    local status, out = pg:psql("SELECT seller_id || ' ' || state || ' ' || COALESCE(pages, -1) || ' ' || "
      .. "COALESCE(credits, -1) FROM queue WHERE queue = '" .. q .. "' ORDER BY seller_id", fx.name)
    assert.equals(0, status, out)
    local t = {}
    for line in out:gmatch("[^\n]+") do t[#t + 1] = line end
    return t
  end

  it("a row's credits are every 200 billed for its shop, cut-off bodies and retries included", function()
    local c = env.client{ store = fx.s, max_retries = 3 }
    -- shop 5: four 200s cut off halfway, then out of retries (failed);
    -- shop 3: one page
    env.sandbox():fault{ type = "truncate", count = 4 }
    local r = assert(c:sync{ queue = "q", sellers = { "5", "3" }, enqueue = true, concurrency = 1 })
    assert.equals("transport", r.failed["5"].kind)
    assert.equals(5, r.credits)
    assert.equals(5, env.credits())
    assert.same({ "3 done 1 1", "5 failed 0 4" }, rows("q"))
    local q = assert(fx.s:queue_status("q"))
    assert.same({ 1, 5 }, { q.pages, q.credits }) -- status sums what sync reported

    -- a new round: shop 5's first two answers cut off, the third whole: done
    -- after 3 credits for its one page
    assert.equals(2, fx.s:enqueue("q", { "5", "3" }))
    env.sandbox():reset()
    env.sandbox():fault{ type = "truncate", count = 2 }
    local c2 = env.client{ store = fx.s, max_retries = 3, cache_ttl = 0 }
    r = assert(c2:sync{ queue = "q", concurrency = 1 })
    assert.same({ 2, 4, 4 }, { r.shops, r.credits, env.credits() })
    assert.same({ "3 done 1 1", "5 done 1 3" }, rows("q"))
    c:close()
    c2:close()
  end)

  it("a claim taken over books what it spent on the shop's row: the row sums every worker's credits", function()
    -- 15 records: pages of 10 and 5. The worker asks for page 2 as it saves
    -- page 1; meanwhile another worker ("thief") takes the shop over and
    -- finishes it. Page 2 takes the sandbox's 0.5 s latency, past the
    -- worker's next renewal (lease 1 s, renewed every 1/3 s): that renewal
    -- fails, so page 2 lands for a claim the worker has lost
    local shop = "7000001015"
    env.sandbox():config{ latency = 0.5 }
    local thief = store.open(fx.s.target)
    local c = env.client{ store = fx.s }
    local stolen
    local r = assert(c:sync{ queue = "q", sellers = { shop }, enqueue = true, concurrency = 1, lease = 1,
      page_size = 10, on_page = function(page)
        if page.page ~= 1 then return end
        assert.equals(0, (pg:psql("UPDATE queue SET lease_until = 0 WHERE seller_id = '" .. shop .. "'", fx.name)))
        local seller, token = thief:claim("q", "thief:1", 600)
        assert.equals(shop, seller)
        stolen = assert(thief:finish("q", shop, "thief:1", token, "done", { pages = 2, credits = 0 }))
      end })
    assert.is_true(stolen)
    assert.same({ 0, 1, 2 }, { r.shops, r.lost, r.credits })
    assert.equals(2, env.credits())
    assert.same({ shop .. " done 2 2" }, rows("q"))
    thief:close()
    c:close()
  end)

  it("a shop whose page could not be saved is not done: handed back, and the next worker completes it", function()
    -- 25 records: pages of 10, 10 and 5. Page 2's save fails (a trigger
    -- standing in for a full disk) while page 3, asked ahead, is saved
    local shop = "7000001025"
    -- (quoted with '', not $$: psql's command line goes through the shell)
    local status, out = pg:psql("CREATE FUNCTION no_page_2() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN "
      .. "IF NEW.page = 2 THEN RAISE EXCEPTION ''could not extend file: No space left on device''; END IF; "
      .. "RETURN NEW; END'; CREATE TRIGGER no_page_2 BEFORE INSERT ON pages FOR EACH ROW "
      .. "EXECUTE FUNCTION no_page_2()", fx.name)
    assert.equals(0, status, out)
    local c = env.client{ store = fx.s }
    local r, err = c:sync{ queue = "q", sellers = { shop }, enqueue = true, concurrency = 1, page_size = 10 }
    assert.is_nil(r)
    assert.equals("store", err.kind)
    assert.equals(3, err.report.credits)
    local row = rows("q")[1]
    assert.is_nil(row:find(" done ", 1, true), row)
    -- handed back: pending, its 3 credits booked (or failed, with its reason)
    assert.truthy(row == shop .. " pending -1 3" or row:find("^" .. shop .. " failed "), row)
    assert.equals(15, #assert(fx.s:livestreams{ seller_id = shop })) -- pages 1 and 3: a hole
    c:close()

    -- the disk has room again: another worker takes the shop and fills the hole
    assert.equals(0, (pg:psql("DROP TRIGGER no_page_2 ON pages", fx.name)))
    if row:find(" failed ") then assert.equals(1, fx.s:enqueue("q", { shop })) end
    c = env.client{ store = fx.s, cache_ttl = 3600 }
    r = assert(c:sync{ queue = "q", concurrency = 1, page_size = 10 })
    assert.equals(1, r.shops)
    assert.equals(1, r.credits) -- page 2 alone: pages 1 and 3 come from the cache
    assert.equals(25, #assert(fx.s:livestreams{ seller_id = shop }))
    local q = assert(fx.s:queue_status("q"))
    assert.same({ 1, 0, 0 }, { q.done, q.pending, #q.failed })
    c:close()
  end)
end)
