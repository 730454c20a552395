-- make dist: the source rock installs offline into a fresh tree (LuaRocks
-- for the Lua under test, --deps-mode=none) and the first script runs from
-- that tree against the sandbox; the tarball carries its versioned rockspec.
local env = require("support.env")
local sandbox = require("support.sandbox")
local ROOT = sandbox.root
local q = env.sh_quote

local LUA_BIN = env.LUA
local LUA_V = LUA_BIN == "luajit" and "5.1" or LUA_BIN:match("^lua(5%.%d)$") or "5.4"

-- In the checkout, without the test run's LD_PRELOAD (an ASan run), BUILD and
-- Lua paths, so LuaRocks and the interpreter use their own.
local function sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && unset BUILD LD_PRELOAD LUA_PATH LUA_CPATH LUA_PATH_5_1 LUA_CPATH_5_1"
    .. " LUA_PATH_5_2 LUA_CPATH_5_2 LUA_PATH_5_3 LUA_CPATH_5_3 LUA_PATH_5_4 LUA_CPATH_5_4 && { " .. cmd .. "\n} 2>&1")
end

describe("make dist #novalgrind", function()
  local tmp
  setup(function()
    tmp = os.tmpname()
    os.remove(tmp)
    assert(env.sh_ok("mkdir -p " .. q(tmp)))
  end)
  teardown(function() os.execute("rm -rf " .. q(tmp)) end)

  it("writes a source rock that installs offline and runs the first script", function()
    local version = require("shoplive").VERSION
    local out_dir, tree = tmp .. "/dist", tmp .. "/tree"
    local status, out = sh("tools/dist " .. q(out_dir))
    assert.equals(0, status, out)
    local name = "shoplive-" .. version
    -- the tarball holds the sources and its versioned rockspec, not the scm one
    status, out = sh("tar -tzf " .. q(out_dir .. "/" .. name .. ".tar.gz"))
    assert.equals(0, status, out)
    for _, f in ipairs{ name .. "/" .. name .. "-1.rockspec", name .. "/src/json.c", name .. "/lua/shoplive/init.lua",
        name .. "/examples/first.lua", name .. "/Makefile" } do
      assert.truthy(out:find("\n" .. f:gsub("%p", "%%%0") .. "\n") or out:find("^" .. f:gsub("%p", "%%%0") .. "\n"), f)
    end
    assert.is_nil(out:find("shoplive-scm-1.rockspec", 1, true))
    -- a fresh tree, no network: the rock carries everything it builds from
    status, out = sh("luarocks --lua-version " .. LUA_V .. " --tree " .. q(tree) .. " install --deps-mode=none "
      .. q(out_dir .. "/" .. name .. "-1.src.rock"))
    assert.equals(0, status, out)
    assert.truthy(out:find(name:gsub("shoplive%-", "shoplive ") .. "-1 is now installed", 1, true), out)
    -- the first script, from the tree alone (`luarocks path` sets the paths)
    status, out = sh("eval \"$(luarocks --lua-version " .. LUA_V .. " --tree " .. q(tree) .. " path)\" && cd / && "
      .. "KEYAPI_BASE_URL=" .. q(env.sandbox().url) .. " KEYAPI_API_KEY=sk_test_anything " .. LUA_BIN
      .. " -e " .. q('print(debug.getinfo(require("shoplive").new, "S").source)')
      .. " && KEYAPI_BASE_URL=" .. q(env.sandbox().url) .. " KEYAPI_API_KEY=sk_test_anything " .. LUA_BIN .. " "
      .. q(ROOT .. "/examples/first.lua") .. " 237")
    assert.equals(0, status, out)
    assert.truthy(out:find("^@" .. tree:gsub("%p", "%%%0") .. "/share/lua/" .. LUA_V .. "/shoplive%.lua\n"), out)
    assert.matches("\nshop 237: 30 livestreams fetched, 3 credits spent\n1%. %d+  GMV %d+", out)
  end)
end)
