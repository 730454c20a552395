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
  return env.sh("cd " .. q(ROOT) .. " && unset BUILD LD_PRELOAD TEST_SERIAL TEST_JOBS && { " .. cmd .. "\n} 2>&1")
end


-- A spec that marks that it started, waits (up to 120 s, far beyond a
-- suite's start on a loaded machine) for a second mark, then marks that it
-- is done: it passes only beside another such spec running at once.
local function write_meet(file, dir, first_line)
  files.write(file, (first_line or "") .. ([[
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
        f = assert(io.open(dir .. "/done-" .. me:gsub("%%W", ""), "w"))
        f:close()
        assert.is_true(n >= 2, "alone: " .. n .. " mark")
      end)
    end)
  ]]):format(dir))
end

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(env.sh_ok("mkdir -p " .. q(dir)))
  return dir
end

-- a temporary directory, removed when the test ends (called in an it)
local function scratch()
  local dir = tmpdir()
  finally(function() os.execute("rm -rf " .. q(dir)) end)
  return dir
end

-- a spec file of one describe holding one empty test, at `file`
local function one_test_spec(file, title, test)
  files.write(file, ("describe(%q, function() it(%q, function() end) end)\n"):format(title, test))
end

describe("make check #novalgrind #harness", function()
  it("samples the allocation sweep and fuzzes briefly; the full runs are targets of their own", function()
    local status, out = sh("make -n alloc-test")
    assert.equals(0, status, out)
    assert.truthy(out:find("ALLOC_STRIDE=13 ALLOC_OFFSET=%d+ tools/with%-sandbox"), out)
    status, out = sh("make -n alloc-test-full")
    assert.equals(0, status, out)
    assert.truthy(out:find("ALLOC_STRIDE=1 tools/with-sandbox", 1, true), out)
    status, out = sh("make -n fuzz")
    assert.equals(0, status, out)
    assert.truthy(out:find("-max_total_time=60 ", 1, true), out)
    local check = assert(files.read(ROOT .. "/tests/check"))
    assert.truthy(check:find('make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"', 1, true))
    assert.truthy(check:find('make -s alloc-test ALLOC_STRIDE="${ALLOC_STRIDE:-13}"', 1, true))
    assert.truthy(check:find("make -s doc-links", 1, true), "the link check")
  end)

  it("tests/versions runs VERSIONS_JOBS suites side by side", function()
    local dir = os.tmpname()
    os.remove(dir)
    finally(function() os.execute("rm -rf " .. q(dir)) end)
    assert(env.sh_ok("mkdir -p " .. q(dir)))
    -- each run marks that it started, then waits (up to 120 s, far beyond a
    -- suite's start on a loaded machine) for two marks
    write_meet(dir .. "/meet_spec.lua", dir)
    local status, out = sh("VERSIONS='5.4 luajit' VERSIONS_JOBS=2 tests/versions " .. q(dir .. "/meet_spec.lua"))
    assert.equals(0, status, out)
    assert.matches("== 5%.4 %(lua5%.4, build/5%.4, %d+ s%): 1 passed, 0 failed\n", out)
    assert.matches("== luajit %(luajit, build/luajit, %d+ s%): 1 passed, 0 failed\n", out)
    assert.matches("\n2 passed, 0 failed\n$", out)
  end)

  it("tests/run with TEST_JOBS runs shards at once, then the #serial specs by themselves, and sums them", function()
    local dir = scratch()
    write_meet(dir .. "/meet_a_spec.lua", dir)
    write_meet(dir .. "/meet_b_spec.lua", dir)
    files.write(dir .. "/fails_spec.lua", [[
      describe("a failure", function()
        it("is counted", function() assert.equals(1, 2) end)
      end)
    ]])
    -- named to come first: the serial spec must still wait for the others
    -- the marker is a line of its own (written so that this file has none)
    files.write(dir .. "/a_serial_spec.lua", "-" .. "- #serial: waits for the others\n" .. ([[
      local dir = %q
      describe("by itself", function()
        it("runs once every shard is done", function()
          local p = io.popen("ls " .. dir .. " | grep -c '^done-'")
          local done = tonumber(p:read("*a"))
          p:close()
          assert.equals(2, done)
        end)
      end)
    ]]):format(dir))
    local specs = {}
    for _, name in ipairs({ "a_serial", "fails", "meet_a", "meet_b" }) do
      specs[#specs + 1] = q(dir .. "/" .. name .. "_spec.lua")
    end
    local status, out = sh("TEST_JOBS=2 tests/run " .. table.concat(specs, " "))
    assert.is_not.equals(0, status, out)
    assert.matches("# shard 1/2 started", out, 1, true)
    assert.matches("# shard 2/2 done in %d+ s", out)
    assert.matches("# serial done in %d+ s: 1 passed, 0 failed\n", out)
    assert.matches("\n3 passed, 1 failed\n$", out)
    -- tests/check's last phase: the #serial files alone, whatever TEST_JOBS
    status, out = sh("TEST_SERIAL=only TEST_JOBS=1 tests/run " .. table.concat(specs, " "))
    assert.equals(0, status, out)
    assert.matches("\n1 passed, 0 failed\n$", out)
  end)

  -- #packaging (luarocks and make in subprocesses) runs in the 5.4 and
  -- LuaJIT stages, not under ASan or valgrind, which reach none of those
  -- processes; #harness (this spec's nested checks) in the 5.4 stage only
  it("tests/check: #packaging specs in the plain stages, #harness in the 5.4 stage only", function()
    local dir = scratch()
    one_test_spec(dir .. "/plain_spec.lua", "plain", "runs everywhere")
    one_test_spec(dir .. "/pack_spec.lua", "packaging #packaging", "runs in the plain stages")
    one_test_spec(dir .. "/harness_spec.lua", "harness #harness", "runs in the 5.4 stage")
    local status, out = sh("TMPDIR=" .. q(dir) .. " LUA_BIN=lua5.4 CHECK_BUILD=no CHECK_ONLY=5.4,asan,valgrind,luajit "
      .. "CHECK_JOBS=4 TEST_JOBS=1 PLAIN_JOBS=1 VALGRIND_JOBS=1 tests/check " .. q(dir .. "/plain_spec.lua") .. " "
      .. q(dir .. "/pack_spec.lua") .. " " .. q(dir .. "/harness_spec.lua"))
    assert.equals(0, status, out)
    assert.matches("\n== busted: 3 passed, 0 failed", out)
    assert.matches("\n== busted, ASan%+UBSan build: 1 passed, 0 failed", out)
    assert.matches("\n== busted under valgrind memcheck: 1 passed, 0 failed", out)
    assert.matches("\n== busted, LuaJIT: 2 passed, 0 failed", out)
    assert.matches("\n7 passed, 0 failed\n$", out)
  end)

  -- a #serial group that weighs SERIAL_EARLY_MIN seconds or more (nginx's
  -- two-minute limiter run by default) starts with the stages, beside them;
  -- a lighter one once the last busted stage has started, beside it (it
  -- used to wait for every stage to end)
  it("tests/check: a heavy #serial group starts with the stages, a light one beside the last stage", function()
    local dir = scratch()
    files.write(dir .. "/plain_spec.lua", [[
      describe("plain", function() it("runs in the stage a while", function() os.execute("sleep 2") end) end)
    ]])
    files.write(dir .. "/early_serial_spec.lua", "-" .. "- #serial: weighs 5 s (not in tests/spec_times)\n" .. [[
      describe("early", function() it("runs as a group of its own", function() end) end)
    ]])
    -- CHECK_JOBS=1: the 5.4 stage, then the LuaJIT stage, one at a time
    local function check(early_min)
      local status, out = sh("TMPDIR=" .. q(dir) .. " LUA_BIN=lua5.4 CHECK_BUILD=no CHECK_ONLY=5.4,luajit CHECK_JOBS=1 "
        .. "TEST_JOBS=1 PLAIN_JOBS=1 SERIAL_EARLY_MIN=" .. early_min .. " tests/check " .. q(dir .. "/plain_spec.lua")
        .. " " .. q(dir .. "/early_serial_spec.lua"))
      assert.equals(0, status, out)
      assert.matches("\n4 passed, 0 failed\n$", out)
      return out:find("started: busted, #serial specs (early_serial_spec.lua)", 1, true),
        out:find("\n== busted: ", 1, true), out:find("\n== busted, LuaJIT: ", 1, true), out
    end
    local early, stage_end, _, out = check(5)
    assert.is_true(early < stage_end, out)
    local late, first_end, last_end, out2 = check(6)
    assert.is_true(first_end < late and late < last_end, out2)
  end)

  -- tests/check on three spec files of its own, in the 5.4 and LuaJIT
  -- stages: one burns 4.2 s of CPU, one is #serial and meets the other
  -- stage's copy of itself, one is #nginx. Each stage's line gives its own
  -- CPU (the #serial phase's used to add every stage before it), #nginx
  -- runs in the LuaJIT stage alone, and the two stages' #serial files run
  -- side by side.
  it("tests/check: each stage's own CPU; #nginx in the LuaJIT stage only; #serial side by side", function()
    local dir = scratch()
    files.write(dir .. "/burn_spec.lua", [[
      describe("burn", function()
        it("spends CPU", function()
          local t = os.clock()
          while os.clock() - t < 4.2 do end
        end)
      end)
    ]])
    write_meet(dir .. "/quiet_serial_spec.lua", dir, "-" .. "- #serial: after the others\n")
    one_test_spec(dir .. "/in_nginx_spec.lua", "in nginx #nginx", "runs once")
    -- TMPDIR: the nested #serial phase takes a lock of its own, not the one
    -- a check running beside this one may hold for minutes
    local status, out = sh("TMPDIR=" .. q(dir) .. " LUA_BIN=lua5.4 CHECK_BUILD=no CHECK_ONLY=5.4,luajit CHECK_JOBS=2 "
      .. "TEST_JOBS=1 tests/check " .. q(dir .. "/burn_spec.lua") .. " " .. q(dir .. "/quiet_serial_spec.lua")
      .. " " .. q(dir .. "/in_nginx_spec.lua"))
    assert.equals(0, status, out)
    local function stage(name)
      local p, f, cpu = out:match("\n== " .. name:gsub("%p", "%%%0") .. ": (%d+) passed, (%d+) failed %(%d+ s, (%d+) s CPU")
      assert.truthy(p, name .. " not in:\n" .. out)
      return tonumber(p), tonumber(f), tonumber(cpu)
    end
    local p, f, cpu = stage("busted")
    assert.same({ 1, 0 }, { p, f }) -- burn; in_nginx excluded
    assert.is_true(cpu >= 4, out)
    p, f, cpu = stage("busted, LuaJIT")
    assert.same({ 2, 0 }, { p, f }) -- burn and in_nginx
    assert.is_true(cpu >= 4, out)
    for _, name in ipairs({ "busted, #serial specs (quiet_serial_spec.lua)",
      "busted, LuaJIT, #serial specs (quiet_serial_spec.lua)" }) do
      p, f, cpu = stage(name)
      assert.same({ 1, 0 }, { p, f })
      assert.is_true(cpu < 4, name .. " counts CPU of other stages:\n" .. out)
    end
    -- the LuaJIT group (nginx's 1,200-page run) starts first
    assert.truthy(out:find("started: busted, LuaJIT, #serial specs", 1, true)
      < out:find("started: busted, #serial specs", 1, true), out)
    assert.matches("\n5 passed, 0 failed\n$", out)
  end)

  -- memcheck and ASan slow the specs that run C unevenly: their stages
  -- balance their shards by times of their own (tests/check's SPEC_TIMES)
  it("tests/shards weighs the spec files by SPEC_TIMES; the valgrind and ASan stages have theirs", function()
    local dir = scratch()
    local specs = {}
    for _, name in ipairs({ "a", "b", "c" }) do
      specs[#specs + 1] = q(dir .. "/" .. name .. "_spec.lua")
      one_test_spec(dir .. "/" .. name .. "_spec.lua", "x", "y")
    end
    files.write(dir .. "/times", "c_spec 10\na_spec 4\nb_spec 4\n")
    local function groups(c_spec) -- tests/shards' groups with c_spec.lua written as given
      files.write(dir .. "/c_spec.lua", c_spec)
      local status, out = sh("SPEC_TIMES=" .. q(dir .. "/times") .. " EXCLUDE_TAGS=nginx tests/shards 2 "
        .. table.concat(specs, " "))
      assert.equals(0, status, out)
      return (out:gsub(dir:gsub("%p", "%%%0") .. "/", ""))
    end
    local function describe_line(title)
      return ("describe(%q, function() it('x', function() end) end)\n"):format(title)
    end
    assert.equals("c_spec.lua\na_spec.lua b_spec.lua\n", groups(describe_line("x")))
    -- a file runs nothing (weighs 1) only when every top-level describe has
    -- an excluded tag (tests/runs_nothing.sh, tests/run's rule too), not
    -- when its first one has
    assert.equals("c_spec.lua\na_spec.lua b_spec.lua\n", groups(describe_line("in nginx #nginx") .. describe_line("plain")))
    assert.equals("a_spec.lua c_spec.lua\nb_spec.lua\n", groups(describe_line("in nginx #nginx") .. describe_line("more #nginx")))
    local check = assert(files.read(ROOT .. "/tests/check"))
    for _, stage in ipairs({ "valgrind", "asan" }) do
      local file = "tests/spec_times." .. stage
      assert.truthy(check:find("SPEC_TIMES=" .. file, 1, true), file .. " unused")
      local times = assert(files.read(ROOT .. "/" .. file), file)
      -- every spec the stage shards (not the #serial ones) has its weight
      local p = io.popen("cd " .. q(ROOT) .. " && grep -L '^-- #serial' tests/*_spec.lua")
      for spec in p:lines() do
        local name = spec:match("([%w_]+)%.lua$")
        if name ~= "shared_client_spec" then
          assert.truthy(times:find("\n" .. name .. " %d+\n"), name .. " not in " .. file)
        end
      end
      p:close()
    end
  end)

  -- a #serial file none of whose describes the stage runs (limiter_shared_dict
  -- is all #nginx; the 5.4 and 5.1 stages exclude it) is not even loaded
  it("tests/run skips a #serial file whose every describe has an excluded tag", function()
    local dir = scratch()
    -- (the describes start their lines in the files written, not in this
    -- one: tests/runs_nothing.sh reads this file's top-level describes too)
    files.write(dir .. "/all_nginx_spec.lua", "-" .. "- #serial: never loaded without nginx\n"
      .. ("local f = assert(io.open(%q, 'w'))\nf:close()\n"):format(dir .. "/loaded")
      .. 'describe("in nginx #nginx", function() it("runs in nginx", function() end) end)\n'
      .. 'describe("more #novalgrind #nginx", function() it("runs in nginx too", function() end) end)\n')
    files.write(dir .. "/mixed_spec.lua", "-" .. "- #serial: one part runs without nginx\n"
      .. 'describe("in nginx #nginx", function() it("runs in nginx", function() end) end)\n'
      .. 'describe("plain", function() it("runs in every stage", function() end) end)\n')
    local status, out = sh("TMPDIR=" .. q(dir) .. " LUA_BIN=lua5.4 BUILD=build/5.4 TEST_SERIAL=only TEST_JOBS=2 "
      .. "tests/run --exclude-tags=nginx " .. q(dir .. "/all_nginx_spec.lua") .. " " .. q(dir .. "/mixed_spec.lua"))
    assert.equals(0, status, out)
    assert.matches("all_nginx_spec.lua: every describe has an excluded tag, not run", out, 1, true)
    assert.is_nil(io.open(dir .. "/loaded"), "all_nginx_spec.lua was loaded:\n" .. out)
    assert.matches("\n1 passed, 0 failed\n$", out)
  end)
end)
