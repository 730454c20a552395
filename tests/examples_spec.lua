-- Every example runs against the sandbox, as a user would run it.
local env = require("support.env")

--- Run examples/script under the interpreter and build being tested; returns
-- status, stdout, stderr.
local function run(script, args, vars)
  local root = require("support.sandbox").root
  local assigns = {
    "KEYAPI_BASE_URL=" .. env.sandbox().url, "KEYAPI_API_KEY=" .. env.KEY, env.lua_env(root),
  }
  for k, v in pairs(vars or {}) do assigns[#assigns + 1] = k .. "=" .. v end
  local errfile = os.tmpname()
  local status, out = env.sh("cd " .. root .. " && " .. table.concat(assigns, " ") .. " "
    .. env.LUA .. " examples/" .. script .. " " .. (args or "") .. " 2>" .. errfile)
  local f = io.open(errfile)
  local err = f:read("*a")
  f:close()
  os.remove(errfile)
  return status, out, err
end

describe("examples", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("first.lua prints a shop's top 5 by GMV", function()
    local status, out, err = run("first.lua", "237")
    assert.equals(0, status, err)
    assert.matches("^shop 237: 30 livestreams fetched, 3 credits spent\n", out)
    local gmvs = {}
    for g in out:gmatch("GMV (%d+)") do gmvs[#gmvs + 1] = tonumber(g) end
    assert.equals(5, #gmvs)
    for i = 2, 5 do assert.is_true(gmvs[i - 1] >= gmvs[i]) end
  end)

  it("top_gmv_shops.lua ranks streams across shops as CSV", function()
    local status, out, err = run("top_gmv_shops.lua", "4 237 25 7494818275540568755")
    assert.equals(0, status, err)
    assert.matches("^seller_id,room_id,total_sale_gmv_amt,", out)
    local rows = select(2, out:gsub("\r\n%d", ""))
    assert.equals(4, rows)
    assert.matches("3 shops, 3 credits", err)
    -- cross-check against the library: the best stream overall is first
    local c = env.client()
    local all = {}
    for _, s in ipairs{ "237", "25", "7494818275540568755" } do
      for _, r in ipairs(assert(c:all_livestreams{ seller_id = s })) do all[#all + 1] = r end
    end
    local best = env.shoplive.top(all, 1, "-gmv")[1]
    assert.truthy(out:find("\r\n" .. best.seller_id .. "," .. best.room_id .. ",", 1, true))
    c:close()
  end)

  it("gmv_per_hour_by_region.lua prints one line per region, and no GMV summed over regions", function()
    local status, out, err = run("gmv_per_hour_by_region.lua", "7494818275540568755")
    assert.equals(0, status, err)
    assert.is_nil(out:find("\nall%s"))
    local regions = select(2, out:gsub("\n%u%u%s", ""))
    assert.is_true(regions >= 2)
    assert.truthy(out:find("\n755 livestreams, [%d.]+ hours live in " .. regions .. " regions"), out)
  end)

  it("export_csv.lua streams a shop to a file", function()
    local path = os.tmpname()
    local status, out, err = run("export_csv.lua", "237 " .. path)
    assert.equals(0, status, err)
    assert.matches("237 rows, 24 requests, 24 credits", out)
    local f = io.open(path, "rb")
    local text = f:read("*a")
    f:close()
    os.remove(path)
    local _, lines = text:gsub("\r\n%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d,237,", "")
    assert.equals(237, lines) -- every data row follows a CRLF (the header's or a row's)
  end)

  it("game_loop.lua hands every wait back to the frame loop #novalgrind", function()
    sb:config{ latency = 0.2 }
    local status, out, err = run("game_loop.lua", "237 20")
    sb:config{ latency = 0 }
    assert.equals(0, status, err)
    local recs, frames, late, worst, credits =
      out:match("records (%d+), frames (%d+), late frames (%d+), worst shoplive slice ([%d.]+) ms, credits (%d+)")
    assert.equals("237", recs)
    -- 24 pages, and up to 3 more: with 4 in flight, pages asked past the
    -- short last one before its answer was read (the frame loop of a loaded
    -- machine reads late) reached the server (paging.lua's stop rules)
    assert.is_true(tonumber(credits) >= 24 and tonumber(credits) <= 27, credits .. " credits")
    print(string.format("\n# game loop: %s frames, %s late, worst slice %s ms", frames, late, worst))
    -- Counted, not timed: a client that blocked would fetch the shop in one
    -- resume (one frame). With the wait hook, each 200 ms round of up to 4
    -- pages in flight hands the frame back at least once: 24 pages, >= 6 frames.
    assert.is_true(tonumber(frames) >= 24 / 4, frames .. " frames")
  end)

  it("report.lua writes an HTML report of the shops it is given", function()
    local path = os.tmpname()
    local status, out, err = run("report.lua", "25 0", { REPORT = path })
    assert.equals(0, status, err)
    assert.equals(path .. ": 25 livestreams of 2 shops, 4 credits\n", out)
    assert.equals(4, env.requests()) -- 3 pages for 25, 1 empty page for 0
    local f = assert(io.open(path, "rb"))
    local doc = f:read("*a")
    f:close()
    os.remove(path)
    assert.matches("^<!DOCTYPE html>", doc)
    assert.truthy(doc:find('<dd id="h-livestreams">25</dd>', 1, true))
    assert.truthy(doc:find('id="shop-0"', 1, true))
  end)
end)
