-- make dist: the source rock installs offline into a fresh tree (LuaRocks
-- for the Lua under test, --deps-mode=none) and the first script runs from
-- that tree against the sandbox; the tarball carries its versioned rockspec.
local env = require("support.env")
local checkout = require("support.checkout")
local ROOT = checkout.ROOT
local q = env.sh_quote

local LUA_BIN = env.LUA
local LUA_V = LUA_BIN == "luajit" and "5.1" or LUA_BIN:match("^lua(5%.%d)$") or "5.4"

local sh = checkout.sh

describe("make dist #novalgrind #packaging", function()
  local tmpdir = checkout.tmpdir_for_block{ setup = setup, teardown = teardown }

  it("writes a source rock that installs offline and runs the first script", function()
    local version = require("shoplive").VERSION
    local out_dir, tree = tmpdir.dir .. "/dist", tmpdir.dir .. "/tree"
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
