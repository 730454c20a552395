-- No module reads or writes another object's `_`-prefixed members: every
-- file under lua/, bin/ and examples/ may touch `self._x` (its own object)
-- and the `_x` of a table it declares itself (`local M = {}`, `local
-- Client = {}`, a `function X:_y` it defines), nothing else. client._store
-- in sync.lua, or the CLI writing a client's private fields, fails here
-- naming file:line.
local files = require("support.files")

local ROOT = debug.getinfo(1, "S").source:match("^@(.*)tests/[^/]*$") or "./"

--- Where the comment or string literal that starts at k ends (k itself
-- when none starts there: a lone "-" or "[").
local function literal_end(src, k)
  local c = src:sub(k, k)
  local comment = src:sub(k, k + 1) == "--"
  local level = src:match("^%[(=*)%[", comment and k + 2 or k)
  if level then -- a long string or comment: [[...]], --[==[...]==]
    local _, e = src:find("]" .. level .. "]", k, true)
    return e or #src
  end
  if comment then return (src:find("\n", k, true) or #src + 1) - 1 end
  if c ~= '"' and c ~= "'" then return k end
  local from = k + 1
  while true do -- to the closing quote, past escapes; a newline ends it too
    local q = src:find("[\\\n" .. c .. "]", from)
    if not q or src:sub(q, q) ~= "\\" then return q or #src end
    from = q + 2
  end
end

--- src with every comment and string literal blanked (newlines kept, so
-- line numbers stay), leaving only code to scan.
local function code_only(src)
  local out, i = {}, 1
  while true do
    local k = src:find("[-%[\"']", i)
    if not k then break end
    local e = literal_end(src, k)
    out[#out + 1] = src:sub(i, k - 1)
    out[#out + 1] = e > k and src:sub(k, e):gsub("[^\n]", " ") or src:sub(k, k)
    i = e + 1
  end
  out[#out + 1] = src:sub(i)
  return table.concat(out)
end

--- The names of the tables a file declares itself at its top level or
-- defines methods on: their `_` members are the file's own.
local function own_tables(code)
  local own = { self = true }
  for name in code:gmatch("\nlocal%s+([%a_][%w_]*)%s*=%s*[{s]") do own[name] = true end
  for name in code:gmatch("function%s+([%a_][%w_]*)[.:]") do own[name] = true end
  return own
end

--- Every access to another object's `_` member in src: { line = n, text = "client._store" }.
local function violations(src)
  local code = code_only("\n" .. src)
  local own, found = own_tables(code), {}
  for pos, member in code:gmatch("()[.:](_%a[%w_]*)") do
    local before = code:sub(1, pos - 1)
    local base = before:match("([%a_][%w_%.]*)$")
    local defining = before:match("function%s+[%a_][%w_%.]*$")
    if not defining and member:sub(1, 2) ~= "__" and not (base and own[base]) then
      local _, nl = before:gsub("\n", "")
      found[#found + 1] = { line = nl, text = (base or "(...)") .. code:sub(pos, pos) .. member }
    end
  end
  return found
end

local function lua_files()
  local list = {}
  local p = io.popen("cd '" .. ROOT .. "' && find lua bin examples -type f \\( -name '*.lua' -o -path 'bin/*' \\) | sort")
  for path in p:lines() do list[#list + 1] = path end
  p:close()
  return list
end

describe("private members #novalgrind", function()
  it("no file under lua/, bin/ or examples/ touches another object's _ members", function()
    local bad, n = {}, 0
    for _, path in ipairs(lua_files()) do
      n = n + 1
      for _, v in ipairs(violations(assert(files.read(ROOT .. path)))) do
        bad[#bad + 1] = path .. ":" .. v.line .. ": " .. v.text
      end
    end
    assert.is_true(n > 40, "found only " .. n .. " files to scan")
    assert.same({}, bad, "private members touched from outside their object:\n" .. table.concat(bad, "\n"))
  end)

  it("the scan finds another object's members and leaves a file's own alone", function()
    local src = table.concat({
      "local M = {}",
      "local Sync = {}",
      "function Sync:_step() return self._n end",      -- a definition and self: fine
      "M._script = 1",                                 -- the module's own table: fine
      "local s = client._store",                       -- line 5
      "client:_run_until(f)",                          -- line 6
      "self.store:_claim(x)",                          -- line 7: self's store is another object
      "local t = get()._x",                            -- line 8
      "-- client._store in a comment, and '" .. "client._x' in a string",
      "local mt = { __index = M }; local y = mt.__index",
    }, "\n")
    local got = {}
    for _, v in ipairs(violations(src)) do got[#got + 1] = v.line .. " " .. v.text end
    assert.same({ "5 client._store", "6 client:_run_until", "7 self.store:_claim", "8 (...)._x" }, got)
  end)
end)
