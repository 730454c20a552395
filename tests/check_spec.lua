-- make check's own plumbing: the long robustness runs have targets of their
-- own while check runs their short forms, and tests/versions really runs
-- two versions' suites at once (proved by order of events: each of two
-- suites waits for the other to have started, which one after the other
-- can never see).
local env = require("support.env")
local files = require("support.files")
local sandbox = require("support.sandbox")
local ROOT = sandbox.root
local q = env.sh_quote

local function sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && unset BUILD LD_PRELOAD && { " .. cmd .. "\n} 2>&1")
end

describe("make check #novalgrind", function()
  it("samples the allocation sweep and fuzzes briefly; the full runs are targets of their own", function()
    local status, out = sh("make -n alloc-test")
    assert.equals(0, status, out)
    assert.truthy(out:find("ALLOC_STRIDE=7 tools/with-sandbox", 1, true), out)
    status, out = sh("make -n alloc-test-full")
    assert.equals(0, status, out)
    assert.truthy(out:find("ALLOC_STRIDE=1 tools/with-sandbox", 1, true), out)
    status, out = sh("make -n fuzz")
    assert.equals(0, status, out)
    assert.truthy(out:find("-max_total_time=60 ", 1, true), out)
    local check = assert(files.read(ROOT .. "/tests/check"))
    assert.truthy(check:find('make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"', 1, true))
    assert.truthy(check:find('make -s alloc-test ALLOC_STRIDE="${ALLOC_STRIDE:-7}"', 1, true))
    assert.truthy(check:find("make -s doc-links", 1, true), "the link check")
  end)

  it("tests/versions runs VERSIONS_JOBS suites side by side", function()
    local dir = os.tmpname()
    os.remove(dir)
    finally(function() os.execute("rm -rf " .. q(dir)) end)
    assert(env.sh_ok("mkdir -p " .. q(dir)))
    -- each run marks that it started, then waits (up to 120 s, far beyond a
    -- suite's start on a loaded machine) for two marks
    files.write(dir .. "/meet_spec.lua", ([[
      local dir = %q
      describe("meet", function()
        it("sees the other suite running", function()
          local me = os.tmpname()
          os.remove(me)
          local f = assert(io.open(dir .. "/mark-" .. me:gsub("%%W", ""), "w"))
          f:close()
          local n, deadline = 0, os.time() + 120
          while os.time() < deadline do
            local p = io.popen("ls " .. dir .. " | grep -c '^mark-'")
            n = tonumber(p:read("*a"))
            p:close()
            if n >= 2 then break end
            os.execute("sleep 0.1")
          end
          assert.is_true(n >= 2, "alone: " .. n .. " mark")
        end)
      end)
    ]]):format(dir))
    local status, out = sh("VERSIONS='5.4 luajit' VERSIONS_JOBS=2 tests/versions " .. q(dir .. "/meet_spec.lua"))
    assert.equals(0, status, out)
    assert.matches("== 5%.4 %(lua5%.4, build/5%.4, %d+ s%): 1 passed, 0 failed\n", out)
    assert.matches("== luajit %(luajit, build/luajit, %d+ s%): 1 passed, 0 failed\n", out)
    assert.matches("\n2 passed, 0 failed\n$", out)
  end)
end)
