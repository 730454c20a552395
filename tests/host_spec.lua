-- examples/host: a C program embedding Lua 5.4 in a 60 Hz loop fetches a shop
-- through start()/poll(0) without a tick ever waiting for an answer. Counted,
-- not timed (the machine is shared): the late frames and the worst tick are
-- printed as figures only.
local env = require("support.env")
local sandbox = require("support.sandbox")

describe("C host example #novalgrind #lua54", function()
  it("fetches a shop in the background, no tick waiting for an answer", function()
    local sb = env.reset()
    sb:config{ latency = 0.2 }
    local root = sandbox.root
    -- The host embeds Lua 5.4 (uninstrumented): it loads the plain 5.4 build.
    local build = root .. "/build/5.4"
    local host = root .. "/build/5.4/host"
    local cmd = string.format("cd %s && env -u LD_PRELOAD KEYAPI_BASE_URL=%s KEYAPI_API_KEY=%s"
      .. " LUA_PATH='%s/lua/?.lua;%s/lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' %s examples/host/fetch.lua 237 30",
      root, sb.url, env.KEY, root, root, build, host)
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    sb:config{ latency = 0 }
    local frames, late, worst, records = out:match("frames (%d+), late (%d+), worst tick ([%d.]+) ms, records (%d+)")
    assert.truthy(frames, out)
    print(string.format("\n# C host: %s frames, %s late, worst tick %s ms, %s records", frames, late, worst, records))
    assert.equals("237", records)
    assert.equals(24, env.requests())
    -- A tick that waited would start a page and finish it in the same tick
    -- (24 pages, 24 ticks). Each 200 ms answer arrives only after the tick
    -- that sent it returned: every page spans at least two ticks.
    assert.is_true(tonumber(frames) >= 2 * 24, frames .. " frames")
  end)
end)
