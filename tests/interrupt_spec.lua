-- Issue 17 items 3 and 4: the command line's OS helpers (the SIGINT counter,
-- file kinds) are a module of their own, shoplive.clisys, that only the
-- command line loads; and the client's public `interrupt` option replaces
-- the command line writing the client's private fields.
local env = require("support.env")
local files = require("support.files")

local sh_quote = env.sh_quote

describe("shoplive.clisys is the command line's, not the library's", function()
  it("require('shoplive') and a request load no clisys, and the core has no sigint function", function()
    env.reset()
    local script = os.tmpname()
    files.write(script, [[
      local shoplive = require("shoplive")
      local c = shoplive.new{ api_key = arg[1], base_url = arg[2] }
      local page, err = c:livestreams{ seller_id = "237" }
      assert(page, tostring(err))
      c:close()
      local core = require("shoplive.core")
      local found = {}
      for k in pairs(core) do if k:find("sigint") or k == "file_kind" then found[#found + 1] = k end end
      for k in pairs(package.loaded) do if k:find("clisys") or k:find("^shoplive%.cli$") or k:find("^shoplive%.cli%.") then found[#found + 1] = k end end
      io.write(#page.records, " records; found: ", table.concat(found, " "))
    ]])
    local status, out = env.sh(env.lua_env() .. " " .. env.LUA .. " " .. sh_quote(script) .. " "
      .. sh_quote(env.KEY) .. " " .. sh_quote(env.sandbox().url) .. " 2>&1")
    os.remove(script)
    assert.equals(0, status, out)
    assert.equals("10 records; found: ", out)
  end)

  it("is built beside the core and gives the command line its counter", function()
    local clisys = require("shoplive.clisys")
    assert.equals(0, clisys.sigint_count())
    assert.equals("directory", clisys.file_kind("tests"))
    assert.equals("file", clisys.file_kind("tests/interrupt_spec.lua"))
    assert.is_nil(clisys.file_kind("tests/no such file"))
  end)
end)

describe("the client's interrupt option", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("ends a retry's backoff: the request is cancelled, no retry is sent", function()
    sb:fault{ type = "status", status = 503, count = 5, retry_after = "30" }
    local asked = 0
    -- true once the sandbox has answered the first request (503, Retry-After
    -- 30): the client is then in its 30 s backoff
    local function interrupt()
      asked = asked + 1
      local st = sb:stats()
      return st.requests >= 1 and st.log[1].status ~= 0
    end
    local c = env.client{ interrupt = interrupt, max_retries = 3 }
    local page, err = c:livestreams{ seller_id = "237" }
    c:close()
    assert.is_nil(page)
    assert.equals("cancelled", err.kind)
    assert.is_true(asked > 0)
    -- without the wake-up the retry would have gone out after 30 s
    assert.equals(1, env.requests())
  end)

  it("cancels a transfer in flight", function()
    sb:config{ latency = 30 }
    -- true once the sandbox holds the request (it answers after 30 s)
    local function interrupt() return env.requests() >= 1 end
    local c = env.client{ interrupt = interrupt, timeout = 60 }
    local page, err = c:livestreams{ seller_id = "237" }
    c:close()
    assert.is_nil(page)
    assert.equals("cancelled", err.kind)
    assert.equals(1, env.requests())
  end)

  it("is validated like every option", function()
    local ok, msg = pcall(env.client, { interrupt = 5 })
    assert.is_false(ok)
    assert.matches("option 'interrupt' must be a function%(%) returning true to cancel, got", msg)
    assert.is_nil(msg:find("traceback"))
  end)
end)
