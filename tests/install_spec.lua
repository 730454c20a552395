-- Packaging: each Lua version builds in its own directory, `make install`
-- puts files where the interpreter looks, `luarocks make` installs a working
-- rock and leaves the checkout clean, and `luarocks test` runs busted under the
-- Lua that --lua-version picks.
local env = require("support.env")
local read_file = require("support.files").read
local checkout = require("support.checkout")
local ROOT = checkout.ROOT

-- Checked for the interpreter under test (tests/run exports it):
-- LUA=5.1|5.2|5.3|5.4|luajit, its build directory build/<LUA>, the command
-- shoplive (5.4) or shoplive-<LUA>.
local LUA_BIN = env.LUA
local LUA = LUA_BIN == "luajit" and "luajit" or LUA_BIN:match("^lua(5%.%d)$") or "5.4"
local LUA_V = LUA == "luajit" and "5.1" or LUA
local CMD = LUA == "5.4" and "shoplive" or "shoplive-" .. LUA
local q = env.sh_quote

local sh = checkout.sh

-- A file of the checkout, which must exist.
local function read(path)
  return assert(read_file(ROOT .. "/" .. path), "cannot read " .. path)
end

local function read_first_line(path)
  local f = assert(io.open(path, "rb"))
  local line = f:read("*l")
  f:close()
  return line
end

-- The files of the checkout git does not track or ignores (build/ aside):
-- what a build left behind.
local function stray_files()
  local status, out = sh("git status --porcelain --ignored --untracked-files=all -- . ':!build' ':!tests/fixtures'")
  assert.equals(0, status, out)
  return out
end

-- A Lua chunk that mirrors the interpreter's own package.path/cpath into
-- DESTDIR (every absolute template gets DESTDIR in front, the relative ones
-- are dropped), then loads shoplive and prints where each part came from.
local function mirror_chunk(destdir)
  return ([[
    local d = %q
    local function mirror(p)
      local t = {}
      for e in p:gmatch("[^;]+") do if e:sub(1, 1) == "/" then t[#t + 1] = d .. e end end
      return table.concat(t, ";")
    end
    package.path, package.cpath = mirror(package.path), mirror(package.cpath)
    local s = require("shoplive")
    local core = require("shoplive.core")
    print(s.VERSION, debug.getinfo(s.new, "S").source, type(core.decode_response))
  ]]):format(destdir)
end

-- #packaging: not in the ASan and valgrind stages (tests/check): what runs
-- here is luarocks, make and the core they build, in subprocesses
describe("packaging #packaging", function()
  local tmpdir = checkout.tmpdir_for_block{ setup = setup, teardown = teardown }

  describe("the rockspecs", function()
    -- Lua 5.1 and LuaJIT give a chunk its environment with setfenv
    local setfenv, loadstring = rawget(_G, "setfenv"), rawget(_G, "loadstring")
    local function load_rockspec(file)
      local t = {}
      local chunk
      if setfenv then
        chunk = assert(loadstring(read(file)))
        setfenv(chunk, t)
      else
        chunk = assert(load(read(file), file, "t", t))
      end
      chunk()
      return t
    end

    it("are only shoplive-scm-1 and rockspecs of tags that exist", function()
      local _, tags = sh("git tag")
      local _, ls = sh("ls *.rockspec")
      local n = 0
      for file in ls:gmatch("%S+") do
        n = n + 1
        local spec = load_rockspec(file)
        if spec.version ~= "scm-1" then
          assert.truthy(spec.source.tag, file .. " has no tag")
          assert.truthy(("\n" .. tags):find("\n" .. spec.source.tag .. "\n", 1, true), file .. ": no tag " .. spec.source.tag)
        end
      end
      assert.is_true(n >= 1)
      assert.truthy(io.open(ROOT .. "/shoplive-scm-1.rockspec"))
    end)

    it("lint clean, a busted test section, lua-cjson optional, a source URL marked as a placeholder", function()
      local status, out = sh("luarocks lint shoplive-scm-1.rockspec")
      assert.equals(0, status, out)
      local spec = load_rockspec("shoplive-scm-1.rockspec")
      assert.same({ type = "busted" }, spec.test)
      assert.same({ "busted" }, spec.test_dependencies)
      for _, dep in ipairs(spec.dependencies) do
        assert.falsy(dep:find("cjson"), dep)
      end
      -- no public home yet: the URL names no real organisation, and says so
      assert.matches("^git%+https://placeholder%.invalid/", spec.source.url)
      assert.truthy(read("shoplive-scm-1.rockspec"):find("PLACEHOLDER", 1, true))
    end)
  end)

  it("each Lua version builds in its own directory", function()
    for _, v in ipairs{ "5.1", "5.2", "5.3", "5.4", "luajit" } do
      local status, out = sh("make -n -B LUA=" .. v)
      assert.equals(0, status, out)
      assert.truthy(out:find("-o build/" .. v .. "/shoplive/core.so", 1, true), out)
    end
    local status, out = sh("make -n -B")
    assert.equals(0, status, out)
    assert.truthy(out:find("-o build/5.4/shoplive/core.so", 1, true), out)
  end)

  it("luarocks --lua-version <V> make installs a working module and command, and leaves the checkout clean", function()
    local before = stray_files()
    local rocks = tmpdir.dir .. "/rocks"
    local status, out = sh("luarocks --lua-version " .. LUA_V .. " --tree " .. q(rocks)
      .. " make --deps-mode=none shoplive-scm-1.rockspec")
    assert.equals(0, status, out)
    assert.equals(before, stray_files())
    -- 9007199254740993 prints as itself everywhere: an integer on 5.3+, the
    -- string of its digits where Lua has only doubles
    status, out = sh(LUA_BIN .. " -e " .. q('package.path="' .. rocks .. "/share/lua/" .. LUA_V .. '/?.lua;"..package.path '
      .. 'package.cpath="' .. rocks .. "/lib/lua/" .. LUA_V .. '/?.so;"..package.cpath local s=require("shoplive") '
      .. 'print(s.VERSION, tostring(require("shoplive.core")'
      .. '.decode_response("{\\"code\\":0,\\"data\\":[{\\"duration\\":9007199254740993}]}").records[1].duration))'))
    assert.equals(0, status, out)
    assert.matches("^%d+%.%d+%.%d+\t9007199254740993\n", out)
    -- a tree of one's own is found through `luarocks path`, as LuaRocks documents
    status, out = sh("eval \"$(luarocks --lua-version " .. LUA_V .. " --tree " .. q(rocks) .. " path)\" && "
      .. q(rocks .. "/bin/shoplive") .. " livestreams 5 --dry-run --pages 1")
    assert.equals(0, status, out)
    assert.matches("seller_id=5&page_num=1&page_size=10", out)
  end)

  it("luarocks --lua-version <V> test runs busted under that Lua #novalgrind", function()
    -- Offline there is no busted rock to fetch: Debian's busted (the same
    -- runner) goes into the test tree as a rock, so LuaRocks' own busted
    -- test type finds it there.
    local rocks, shim = tmpdir.dir .. "/test-rocks", tmpdir.dir .. "/busted-rock"
    assert(env.sh_ok("mkdir -p " .. q(shim) .. " && cp /usr/bin/busted " .. q(shim .. "/busted")))
    local f = assert(io.open(shim .. "/busted-2.1.1-1.rockspec", "w"))
    f:write('package = "busted"\nversion = "2.1.1-1"\nsource = { url = "." }\n',
      'build = { type = "builtin", modules = {}, install = { bin = { busted = "busted" } } }\n')
    f:close()
    local status, out = sh("cd " .. q(shim) .. " && luarocks --lua-version " .. LUA_V .. " --tree " .. q(rocks)
      .. " make --deps-mode=none busted-2.1.1-1.rockspec")
    assert.equals(0, status, out)
    -- decode_spec has #int64 tests that fail without Lua 5.3+ integers and
    -- #noint64 ones that fail with them: it passes only if busted ran under
    -- the Lua asked for and .busted left out the right tag for it.
    -- .busted loads the core from build/<V>
    status, out = sh("make -s LUA=" .. LUA_V)
    assert.equals(0, status, out)
    -- `luarocks test` looks for its busted in the configured trees only
    f = assert(io.open(tmpdir.dir .. "/luarocks.cfg", "w"))
    f:write(("rocks_trees = { { name = 'test', root = %q } }\n"):format(rocks))
    f:close()
    status, out = sh("unset SHOPLIVE_TEST_LUA SHOPLIVE_TEST_BUILD; LUAROCKS_CONFIG=" .. q(tmpdir.dir .. "/luarocks.cfg")
      .. " luarocks --lua-version " .. LUA_V .. " test shoplive-scm-1.rockspec -- -o TAP tests/decode_spec.lua")
    assert.equals(0, status, out)
    assert.matches("\nok %d+ ", out)
    assert.not_matches("not ok", out)
  end)

  it("make install with the default PREFIX puts everything where the interpreter looks", function()
    local dest = tmpdir.dir .. "/dest"
    local status, out = sh(("make -s install LUA=%s LUA_BIN=%s DESTDIR=%s"):format(LUA, LUA_BIN, q(dest)))
    assert.equals(0, status, out)
    -- from /, with nothing but the interpreter's own paths (mirrored into DESTDIR)
    status, out = env.sh("cd / && env -u LD_PRELOAD -u LUA_PATH -u LUA_CPATH " .. LUA_BIN .. " -e " .. q(mirror_chunk(dest)))
    assert.equals(0, status, out)
    assert.matches("^%d+%.%d+%.%d+\t@" .. dest:gsub("%p", "%%%0") .. "/usr/local/share/lua/" .. LUA_V .. "/shoplive%.lua\tfunction\n$", out)
    local cmd = dest .. "/usr/local/bin/" .. CMD
    assert.truthy(io.open(cmd), cmd)
    assert.equals("#!/usr/bin/env " .. LUA_BIN, read_first_line(cmd))
    -- the man page, where man looks under the prefix
    local man = dest .. "/usr/local/share/man/man1/shoplive.1"
    assert.truthy(io.open(man), man)
    assert.matches("^%.TH SHOPLIVE 1", read_first_line(man))
  end)

  it("make install LUA=<V> installs that version's core", function()
    local other = LUA == "5.1" and "5.4" or "5.1"
    local other_bin = "lua" .. other
    local dest = tmpdir.dir .. "/dest-" .. other
    local status, out = sh(("make -s install LUA=%s LUA_BIN=%s DESTDIR=%s"):format(other, other_bin, q(dest)))
    assert.equals(0, status, out)
    status, out = env.sh("cd / && env -u LD_PRELOAD -u LUA_PATH -u LUA_CPATH " .. other_bin .. " -e " .. q(mirror_chunk(dest)))
    assert.equals(0, status, out)
    assert.matches("/usr/local/share/lua/" .. other .. "/shoplive%.lua\tfunction\n$", out)
  end)

  it("make install PREFIX=<own dir> installs a command that finds its modules", function()
    local status, out = sh(("make -s install LUA=%s LUA_BIN=%s PREFIX=%s/usr"):format(LUA, LUA_BIN, q(tmpdir.dir)))
    assert.equals(0, status, out)
    for _, f in ipairs{ "/usr/lib/lua/" .. LUA_V .. "/shoplive/core.so", "/usr/share/lua/" .. LUA_V .. "/shoplive.lua",
        "/usr/share/lua/" .. LUA_V .. "/shoplive/client.lua", "/usr/bin/" .. CMD } do
      assert.truthy(io.open(tmpdir.dir .. f), f)
    end
    status, out = sh("cd / && " .. q(tmpdir.dir .. "/usr/bin/" .. CMD) .. " livestreams 7 --dry-run --pages 2")
    assert.equals(0, status, out)
    assert.matches("at most 2 credits", out)
  end)
end)
