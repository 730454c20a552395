-- A call's own budget, sync{ max_credits = N }: it counts that call's billed
-- answers, whatever the client spent before and whatever a shared limiter's
-- key-wide count says. Credits are counted by the sandbox server, the key
-- count by a real redis-server, the store is a real SQLite file.
local env = require("support.env")
local redis_server = require("support.redis_server")
local shoplive = env.shoplive

local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local CREDITS_KEY = "shoplive:acct:credits"

describe("sync{ max_credits } with a shared limiter", function()
  local rs, n = nil, 0
  local s, client
  setup(function()
    rs = redis_server.start()
  end)
  teardown(function()
    if rs then rs.stop() end
  end)
  before_each(function()
    n = n + 1
    redis_server.command(rs.port, "FLUSHALL")
    env.sandbox():reset()
    s = shoplive.store.open(tmp .. "/b" .. n .. ".db")
    client = env.client{ store = s, max_credits = 1000,
      limiter = shoplive.limiter.redis{ url = rs.url, qps = 1000, key = "acct" } }
  end)
  after_each(function()
    client:close()
    s:close()
  end)

  --- sync max_credits = 3 over a 24-page shop, one page at a time: the
  -- report, the err, the pages the server billed for it
  local function sync3(seller)
    local before = env.credits()
    local r, err = client:sync{ sellers = { seller }, max_credits = 3, concurrency = 1 }
    return r or err.report, err, env.credits() - before
  end

  it("after the key's count was reset for a new budget, spends 3, not the client's total + 3", function()
    -- the client spent 10 before; the key's count then starts again at 0
    for page = 1, 10 do assert.is_table((client:livestreams{ seller_id = "999", page = page })) end
    assert.equals("10", redis_server.command(rs.port, "GET " .. CREDITS_KEY))
    redis_server.command(rs.port, "SET " .. CREDITS_KEY .. " 0")
    local report, err, billed = sync3("237")
    assert.equals(3, billed)
    assert.equals(3, report.credits)
    assert.equals("budget", err and err.kind)
    assert.matches("max_credits %(3%) of this call reached", err.message)
    assert.equals("3", redis_server.command(rs.port, "GET " .. CREDITS_KEY))
  end)

  it("with the key's count at 5 (other workers), spends 3 rather than stopping at once", function()
    redis_server.command(rs.port, "SET " .. CREDITS_KEY .. " 5")
    local report, err, billed = sync3("237")
    assert.equals(3, billed)
    assert.equals(3, report.credits)
    assert.equals("budget", err and err.kind)
    assert.equals("8", redis_server.command(rs.port, "GET " .. CREDITS_KEY))
  end)

  it("the client's own max_credits still holds, and is not changed by the call", function()
    redis_server.command(rs.port, "SET " .. CREDITS_KEY .. " 998")
    local seen = {}
    local r, err = client:sync{ sellers = { "237" }, max_credits = 3, concurrency = 1,
      on_page = function() seen[#seen + 1] = client._opts.max_credits end }
    assert.is_nil(r)
    assert.equals("budget", err.kind)
    assert.equals(2, env.credits()) -- the key-wide budget of 1000 ended it first
    assert.same({ 1000, 1000 }, seen)
    assert.equals(1000, client._opts.max_credits)
  end)
end)

describe("sync{ max_credits } with the in-process limiter", function()
  it("counts the call's answers: a client that already spent 10 still gets 3", function()
    env.sandbox():reset()
    local s = shoplive.store.open(tmp .. "/local.db")
    local client = env.client{ store = s, max_credits = 100 }
    for page = 1, 10 do assert.is_table((client:livestreams{ seller_id = "999", page = page })) end
    local r, err = client:sync{ sellers = { "237" }, max_credits = 3, concurrency = 2 }
    assert.is_nil(r)
    assert.equals("budget", err.kind)
    assert.equals(3, err.report.credits)
    assert.equals(13, env.credits())
    assert.equals(100, client._opts.max_credits)
    client:close()
    s:close()
  end)
end)

describe("livestreams_many past a budget", function()
  -- a query refused unsent finishes inside the call that queued it, with
  -- nothing in flight: it still gets its err (it had neither page nor err)
  local function each_query_answered(limiter, max_credits)
    env.sandbox():reset()
    local client = env.client{ max_credits = max_credits, max_retries = 0, limiter = limiter }
    local qs = {}
    for i = 1, 10 do qs[i] = { seller_id = "999", page = i } end
    local pages, errs = client:livestreams_many(qs, { concurrency = 1 })
    client:close()
    local got, refused = 0, 0
    for i = 1, 10 do
      if pages[i] then got = got + 1 end
      if errs and errs[i] then
        assert.equals("budget", errs[i].kind)
        refused = refused + 1
      end
    end
    assert.equals(5, got)
    assert.equals(5, refused)
    assert.equals(5, env.credits())
  end

  it("the client's own max_credits: 5 pages, 5 budget errs", function()
    each_query_answered(nil, 5)
  end)

  it("a shared limiter's max_credits: 5 pages, 5 budget errs", function()
    local rs = redis_server.start()
    local ok, e = pcall(each_query_answered, shoplive.limiter.redis{ url = rs.url, qps = 1000, key = "acct" }, 5)
    rs.stop()
    assert(ok, e)
  end)
end)
