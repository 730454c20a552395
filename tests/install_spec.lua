-- Packaging: the rockspecs name every module and source, luarocks builds and
-- installs the scm rockspec offline, and make install lays out Debian's tree.
local sandbox = require("support.sandbox")
local ROOT = sandbox.root

-- `make install` is checked for the interpreter under test (tests/run exports
-- it): LUA=5.1|5.2|5.3|5.4|luajit, Debian's directory for that version, the
-- command shoplive (5.4) or shoplive-<LUA>.
local LUA_BIN = os.getenv("SHOPLIVE_TEST_LUA") or "lua5.4"
local LUA = LUA_BIN == "luajit" and "luajit" or LUA_BIN:match("^lua(5%.%d)$") or "5.4"
local LUA_V = LUA == "luajit" and "5.1" or LUA
local CMD = LUA == "5.4" and "shoplive" or "shoplive-" .. LUA
-- the plain build of that version (not an ASan one: the command runs without LD_PRELOAD)
local BUILD = LUA == "5.4" and "build" or "build/" .. LUA

local function sh(cmd)
  local p = io.popen("cd " .. ROOT .. " && unset LD_PRELOAD && " .. cmd .. " 2>&1; echo \"__status=$?\"")
  local out = p:read("*a")
  p:close()
  local status = tonumber(out:match("__status=(%d+)%s*$"))
  return status, out:gsub("__status=%d+%s*$", "")
end

local function read(path)
  local f = assert(io.open(ROOT .. "/" .. path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

describe("packaging", function()
  local tmp
  setup(function()
    tmp = os.tmpname()
    os.remove(tmp)
  end)
  teardown(function() os.execute("rm -rf " .. tmp) end)

  for _, spec in ipairs{ "shoplive-scm-1.rockspec", "shoplive-0.1.0-1.rockspec" } do
    it(spec .. " is lint-clean and lists every module and C source", function()
      local status, out = sh("luarocks lint " .. spec)
      assert.equals(0, status, out)
      local text = read(spec)
      local _, ls = sh("ls lua/shoplive/*.lua src/*.c")
      for file in ls:gmatch("%S+") do
        if file:find("^lua/") then
          local mod = file:match("^lua/(.-)%.lua$"):gsub("/init$", ""):gsub("/", ".")
          assert.truthy(text:find('["' .. mod .. '"] = "' .. file .. '"', 1, true), mod)
        else
          assert.truthy(text:find('"' .. file .. '"', 1, true), file)
        end
      end
    end)
  end

  it("luarocks --lua-version <V> make installs a working module and command offline", function()
    local rocks = tmp .. "/rocks"
    local status, out = sh("luarocks --lua-version " .. LUA_V .. " --tree " .. rocks
      .. " make --deps-mode=none shoplive-scm-1.rockspec")
    assert.equals(0, status, out)
    -- 9007199254740993 prints as itself everywhere: an integer on 5.3+, the
    -- string of its digits where Lua has only doubles
    status, out = sh(LUA_BIN .. " -e 'package.path=\"" .. rocks .. "/share/lua/" .. LUA_V .. "/?.lua;" .. rocks
      .. "/share/lua/" .. LUA_V .. "/?/init.lua;\"..package.path package.cpath=\"" .. rocks .. "/lib/lua/" .. LUA_V
      .. "/?.so;\"..package.cpath local s=require(\"shoplive\") print(s.VERSION, tostring(require(\"shoplive.core\")"
      .. ".decode_response(\"{\\\"code\\\":0,\\\"data\\\":[{\\\"duration\\\":9007199254740993}]}\").records[1].duration))'")
    assert.equals(0, status, out)
    assert.matches("^0%.1%.0\t9007199254740993\n", out)
    -- a tree of one's own is found through `luarocks path`, as LuaRocks documents
    status, out = sh("eval \"$(luarocks --lua-version " .. LUA_V .. " --tree " .. rocks .. " path)\" && " .. rocks
      .. "/bin/shoplive livestreams 5 --dry-run --pages 1")
    assert.equals(0, status, out)
    assert.matches("seller_id=5&page_num=1&page_size=10", out)
  end)

  it("make install PREFIX=... installs the core, the Lua files and the command", function()
    local status, out = sh(string.format("make -s install LUA=%s LUA_BIN=%s BUILD=%s PREFIX=%s/usr", LUA, LUA_BIN, BUILD, tmp))
    assert.equals(0, status, out)
    local _, arch = sh("cc -print-multiarch")
    arch = arch:gsub("%s+", "")
    for _, f in ipairs{ "/usr/lib/" .. arch .. "/lua/" .. LUA_V .. "/shoplive/core.so",
        "/usr/share/lua/" .. LUA_V .. "/shoplive.lua", "/usr/share/lua/" .. LUA_V .. "/shoplive/client.lua",
        "/usr/bin/" .. CMD } do
      assert.truthy(io.open(tmp .. f), f)
    end
    status, out = sh(tmp .. "/usr/bin/" .. CMD .. " livestreams 7 --dry-run --pages 2")
    assert.equals(0, status, out)
    assert.matches("at most 2 credits", out)
  end)
end)
