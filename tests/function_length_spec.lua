-- No function of the project's Lua is longer than 80 lines, counted from its
-- `function` line to its matching `end` by a real lexer (strings, long
-- strings and comments, nested functions: tests/support/lua_lexer.lua).
-- A long function is split into named steps rather than allowed here.
local env = require("support.env")
local files = require("support.files")
local lexer = require("support.lua_lexer")

local ROOT = debug.getinfo(1, "S").source:match("^@(.*)tests/[^/]*$") or "./"
local MAX = 80

-- The library, the command, the sandbox and the benchmarks (not the
-- vendored lua-resty-http under bench/, a peer that is not ours).
local FIND = "find lua sandbox/lua -name '*.lua'; ls bin/*; ls bench/*.lua"

-- Functions of files that other branches of issue 17 are rewriting now
-- ("path:name"). The lead empties this at merge; an entry whose function is
-- no longer too long fails the spec, so the list only shrinks.
local KNOWN = {
}

local function checked_files()
  local p = io.popen("cd " .. env.sh_quote(ROOT) .. " && { " .. FIND .. "; } | sort")
  local out = {}
  for path in p:lines() do out[#out + 1] = path end
  p:close()
  return out
end

--- "path:line: name is N lines (max 80)" for each function of source s
-- over MAX lines, and "path:name" -> true for all of them.
local function too_long(path, s)
  local out, names = {}, {}
  for _, fn in ipairs(lexer.functions(s)) do
    assert(fn.length, path .. ":" .. fn.line .. ": function " .. fn.name .. " has no matching end")
    if fn.length > MAX then
      local key = path .. ":" .. fn.name
      names[key] = true
      if not KNOWN[key] then
        out[#out + 1] = path .. ":" .. fn.line .. ": " .. fn.name .. " is " .. fn.length .. " lines (max " .. MAX .. ")"
      end
    end
  end
  return out, names
end

-- A source with one function of n lines (the `function` and `end` lines
-- included) whose body holds what would fool a line-based count.
local function source_of(n)
  local body = {
    "  local s = 'end' .. \"function\" -- end end",
    "  local t = [==[",
    "  function if do",
    "  ]==]",
    "  --[[ end",
    "  end ]]",
    "  local g = function() if s then return t end end",
    "  while s do s = nil end",
    "  for _ = 1, 2 do repeat local _ = 0 until true end",
  }
  local lines = { "#!/usr/bin/env lua", "local M = {}", "function M.f()" }
  for i = 1, n - 2 do lines[#lines + 1] = body[i] or ("  local x" .. i .. " = " .. i) end
  lines[#lines + 1] = "end"
  lines[#lines + 1] = "return M"
  return table.concat(lines, "\n")
end

describe("the lexer behind the function length check #novalgrind", function()
  it("counts a function from its line to its matching end, past strings, comments and nested blocks", function()
    local fns = lexer.functions(source_of(12))
    assert.same({ "M.f", "g" }, { fns[1].name, fns[2].name })
    assert.same({ 3, 14, 12 }, { fns[1].line, fns[1].last, fns[1].length })
    assert.same({ 10, 10, 1 }, { fns[2].line, fns[2].last, fns[2].length })
  end)

  it("flags a function of 81 lines and passes one of 80", function()
    assert.same({}, (too_long("x.lua", source_of(80))))
    assert.same({ "x.lua:3: M.f is 81 lines (max 80)" }, (too_long("x.lua", source_of(81))))
  end)

  it("names local, method and assigned functions", function()
    local fns = lexer.functions("local function a() end\nfunction T:b() end\nlocal c = function() end\n"
      .. "f(function() end)")
    assert.same({ "a", "T:b", "c", "(anonymous)" }, { fns[1].name, fns[2].name, fns[3].name, fns[4].name })
  end)
end)

describe("every function of lua/, bin/, sandbox/lua/ and bench/*.lua #novalgrind", function()
  local paths = checked_files()

  it("was found (the library, the command, the sandbox, the benchmarks)", function()
    local seen = {}
    for _, p in ipairs(paths) do seen[p] = true end
    for _, p in ipairs{ "lua/shoplive/client.lua", "bin/shoplive", "sandbox/lua/shoplive_sandbox/faults.lua",
      "bench/run.lua" } do
      assert.is_true(seen[p], p)
    end
    for _, p in ipairs(paths) do assert.is_nil(p:find("lua%-resty%-http"), p) end
  end)

  it("is at most 80 lines long", function()
    local bad, over = {}, {}
    for _, path in ipairs(paths) do
      local found, names = too_long(path, assert(files.read(ROOT .. path)))
      for _, b in ipairs(found) do bad[#bad + 1] = b end
      for k in pairs(names) do over[k] = true end
    end
    assert(#bad == 0, "functions over " .. MAX .. " lines (split them into named steps):\n" .. table.concat(bad, "\n"))
    local stale = {}
    for k in pairs(KNOWN) do
      if not over[k] then stale[#stale + 1] = k end
    end
    table.sort(stale)
    assert(#stale == 0, "KNOWN entries no longer over " .. MAX .. " lines (remove them):\n" .. table.concat(stale, "\n"))
  end)
end)
