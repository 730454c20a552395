-- The reference stands in the repository: no document points outside it,
-- docs/ names every option and err kind the code has (with the defaults and
-- retry rule the code applies), and `make doc` lists the public modules and
-- nothing private.
local env = require("support.env")
local sandbox = require("support.sandbox")
local errors = require("shoplive.errors")
local options = require("shoplive.options")
local ROOT = sandbox.root
local q = env.sh_quote

local function read(path)
  local f = assert(io.open(ROOT .. "/" .. path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && { " .. cmd .. "\n} 2>&1")
end

-- Rows of the Markdown table whose first cell is `name`: name -> cells.
local function table_rows(text)
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local name, rest = line:match("^| `([%w_]+)` |(.*)$")
    if name then
      local cells = {}
      for cell in rest:gmatch("%s*([^|]-)%s*|") do cells[#cells + 1] = cell end
      rows[name] = rows[name] or cells
    end
  end
  return rows
end

describe("the reference", function()
  it("no tracked file points outside the repository", function()
    -- built by concatenation so that this file does not match itself
    local outside = { "../" .. "shared", "shared/" .. "API.md", "shared/" .. "spec", "/wo" .. "rk/" }
    local status, files = sh("git ls-files")
    assert.equals(0, status, files)
    local n = 0
    for file in files:gmatch("[^\n]+") do
      if file:match("%.md$") or file:match("%.lua$") or file:match("%.ld$") or file:match("%.rockspec$")
          or file == "Makefile" or file:match("^bin/") or file:match("^tests/[%w_]+$") or file:match("^tools/") then
        local text = read(file)
        n = n + 1
        for _, pat in ipairs(outside) do
          assert.is_nil(text:find(pat, 1, true), file .. " names " .. pat)
        end
      end
    end
    assert.is_true(n > 40, n .. " files read")
  end)

  it("README.md has no empty section heading", function()
    local prev
    for line in (read("README.md") .. "\n"):gmatch("([^\n]*)\n") do
      if line:match("^#+ ") and prev and prev:match("^#+ ") then
        error("empty heading: " .. prev)
      end
      if line ~= "" then prev = line end
    end
  end)

  it("docs/options.md documents every new{} option, with the default the code applies", function()
    local ok, msg = pcall(options.check, { api_key = "k", no_such_option = 1 }, function() return nil end)
    assert.is_false(ok)
    local accepted = assert(msg:match("accepted: ([^)]+)"), msg)
    local rows = table_rows(read("docs/options.md"))
    local defaults = options.check({ api_key = "k" }, function() return nil end)
    local n = 0
    for name in accepted:gmatch("[%w_]+") do
      n = n + 1
      local row = rows[name]
      assert.truthy(row, "docs/options.md has no row for " .. name)
      local d = defaults[name]
      if type(d) == "number" then
        assert.truthy(row[2]:find("^" .. tostring(d):gsub("%p", "%%%0") .. "%f[^%d.]"), name .. " default " .. d .. ": " .. row[2])
      elseif type(d) == "string" and name ~= "api_key" then
        assert.truthy(row[2]:find('"' .. d .. '"', 1, true), name .. " default " .. d)
      end
    end
    assert.is_true(n >= 18, accepted)
  end)

  it("docs/errors.md documents every err kind the code makes, with its retry rule", function()
    local kinds = {}
    local status, out = sh("cat lua/shoplive/*.lua")
    assert.equals(0, status, out)
    for k in out:gmatch('new{%s*kind = "([%w_]+)"') do kinds[k] = true end -- errors.new{ kind = ... }
    for k in out:gmatch('%[%d+%] = "([%w_]+)"') do kinds[k] = true end -- the status -> kind table
    -- the status and libcurl-code classifiers of errors.lua return kinds
    for k in read("lua/shoplive/errors.lua"):gmatch('return "([%w_]+)"') do kinds[k] = true end
    local rows = table_rows(read("docs/errors.md"))
    local n = 0
    for kind in pairs(kinds) do
      n = n + 1
      local row = rows[kind]
      assert.truthy(row, "docs/errors.md has no row for kind " .. kind)
      local retried = errors.new{ kind = kind, message = "x" }.retryable
      assert.equals(retried and "yes" or "no", row[2], kind)
    end
    assert.is_true(n >= 13, n .. " kinds found")
    -- the err's fields, each in the fields table
    for _, field in ipairs{ "kind", "message", "retryable", "attempts", "status", "code", "request_id",
        "retry_after", "curl_code", "records" } do
      assert.truthy(rows[field], "docs/errors.md has no row for field " .. field)
    end
  end)

  it("make doc lists every public module and nothing private #novalgrind", function()
    local dir = os.tmpname()
    os.remove(dir)
    finally(function() os.execute("rm -rf " .. q(dir)) end)
    local status, out = sh("ldoc -d " .. q(dir) .. " .")
    assert.equals(0, status, out)
    for line in out:gmatch("[^\n]+") do
      assert.truthy(line:match("^reading configuration") or line:match("^output written"), "ldoc said: " .. line)
    end
    local _, ls = sh("ls " .. q(dir .. "/modules") .. " " .. q(dir .. "/topics"))
    for _, page in ipairs{ "shoplive.html", "shoplive.client.html", "shoplive.request.html",
        "shoplive.errors.html", "shoplive.sort.html", "shoplive.analysis.html", "shoplive.export.html",
        "README.md.html", "options.md.html", "errors.md.html", "cli.md.html" } do
      assert.truthy(ls:find(page, 1, true), page .. " missing from:\n" .. ls)
    end
    local _, html = sh("cat " .. q(dir) .. "/index.html " .. q(dir) .. "/modules/*.html")
    for _, public in ipairs{ "livestreams_many", "each_livestream", "all_livestreams", "stats", "is_err",
        "csv_writer", "summarize", "group_by", "decode" } do
      assert.truthy(html:find(public, 1, true), public)
    end
    for _, private in ipairs{ "_pump", "_enqueue", "_run_until", "_observed_rate", "_send", "_complete",
        "from_transfer", "page_from_resp", "parse_keys", "format_number", "encode_value" } do
      assert.is_nil(html:find(private, 1, true), private)
    end
    -- no underscore-named (internal) function anywhere: "Client:_x", "M._x"
    for name in html:gmatch('<td class="name" nowrap><a href="#([^"]+)"') do
      assert.is_nil(name:match("[:.]_%a"), name .. " is internal (add -- @local to its comment)")
    end
    -- the internal modules have no page
    for _, internal in ipairs{ "paging", "options", "query", "retry", "limiter", "util", "schema", "argcheck",
        "textable", "cli" } do
      assert.is_nil(ls:find("shoplive." .. internal .. ".html", 1, true), internal)
    end
  end)
end)
