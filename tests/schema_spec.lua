-- lua/shoplive/schema.lua is the single source of the endpoint's fields,
-- their kinds, the aliases, sort numbers, page bounds, the concurrency cap
-- and the option defaults: every consumer (the C decoder included) agrees
-- with it.
local env = require("support.env")
local cli = require("support.cli_run")
local schema = require("shoplive.schema")
local shoplive = env.shoplive

local KIND_NAMES = { id = true, integer = true, time = true, string = true }

describe("schema", function()
  it("names the spec's 16 fields once, each with a kind, and nothing else", function()
    assert.equals(16, #schema.FIELDS)
    local seen = {}
    for _, f in ipairs(schema.FIELDS) do
      assert.is_nil(seen[f], f)
      seen[f] = true
      assert.truthy(KIND_NAMES[schema.KINDS[f]], f)
    end
    for f in pairs(schema.KINDS) do assert.truthy(seen[f], f) end
    for alias, f in pairs(schema.ALIASES) do
      assert.truthy(schema.SORT_FIELDS[f], alias)
      assert.equals(f, schema.field(alias))
    end
    assert.is_nil(schema.field("nope"))
  end)

  it("src/schema_fields.h is what the generator makes from schema.lua", function()
    local status, out = env.sh(env.LUA .. " tools/gen-schema-header.lua lua/shoplive/schema.lua")
    assert.equals(0, status, out)
    assert.equals(out, cli.read("src/schema_fields.h"))
  end)

  it("the decoder types every field by its kind in the schema", function()
    local parts = {}
    for i, f in ipairs(schema.FIELDS) do parts[i] = string.format('"%s":%d', f, 1000 + i) end
    local page = assert(shoplive.decode('{"code":0,"message":"ok","data":[{' .. table.concat(parts, ",") .. '}]}'))
    local r = page.records[1]
    for i, f in ipairs(schema.FIELDS) do
      local kind = schema.KINDS[f]
      if kind == "id" then
        assert.equals(tostring(1000 + i), r[f], f)
      else
        assert.equals("integer", env.itype(r[f]), f)
        assert.equals(1000 + i, r[f], f)
      end
    end
    -- an integral float literal: an integer in integer and time fields, a
    -- float elsewhere (5.3+ tells them apart)
    parts = {}
    for i, f in ipairs(schema.FIELDS) do parts[i] = string.format('"%s":7.0', f) end
    r = assert(shoplive.decode('{"code":0,"message":"ok","data":[{' .. table.concat(parts, ",") .. '}]}')).records[1]
    for _, f in ipairs(schema.FIELDS) do
      local kind = schema.KINDS[f]
      if (kind == "integer" or kind == "time") and math.type then
        assert.equals("integer", math.type(r[f]), f)
      elseif kind == "string" and math.type then
        assert.equals("float", math.type(r[f]), f)
      end
    end
  end)

  it("query maps every sort_by spelling and order to the schema's numbers", function()
    local query = require("shoplive.query")
    for f, n in pairs(schema.SORT_FIELDS) do
      local url = query.url("http://h", query.check({ seller_id = "1", sort_by = f }, "t"))
      assert.truthy(url:find("seller_live_sort_field=" .. n, 1, true), url)
    end
    for a, f in pairs(schema.ALIASES) do
      assert.equals(schema.SORT_FIELDS[f], query.check({ seller_id = "1", sort_by = a }, "t").sort_field)
    end
    for o, n in pairs(schema.ORDERS) do
      assert.equals(n, query.check({ seller_id = "1", order = o }, "t").sort_type)
    end
    local p = query.check({ seller_id = "1" }, "t")
    assert.equals(schema.DEFAULT_PAGE_SIZE, p.page_size)
    assert.has_error(function() query.check({ seller_id = "1", page = schema.MAX_PAGE + 1 }, "t") end)
    assert.has_error(function() query.check({ seller_id = "1", page_size = schema.MAX_PAGE_SIZE + 1 }, "t") end)
  end)

  it("exports, analysis and --fields read the same fields and aliases", function()
    local header = {}
    for c in shoplive.to_csv({}):match("^(.-)\r\n"):gmatch("[^,]+") do header[#header + 1] = c end
    assert.same(schema.FIELDS, header)
    assert.same(schema.FIELDS, require("shoplive.export").FIELDS)
    local rec = {}
    for _, f in pairs(schema.ALIASES) do rec[f] = 5 end
    for a in pairs(schema.ALIASES) do
      local groups = shoplive.group_by({ rec }, a)
      assert.equals(1, groups[5].count, a)
    end
    local fields = require("shoplive.cli.formats").parse_fields("views,sales,gmv")
    assert.same({ schema.ALIASES.views, schema.ALIASES.sales, schema.ALIASES.gmv }, fields)
  end)

  it("one concurrency cap for livestreams_many, the iterators and the CLI", function()
    local c = env.client()
    local before = env.requests()
    -- no queries: validation only, nothing is sent
    assert.has_no.errors(function() c:livestreams_many({}, { concurrency = schema.MAX_CONCURRENCY }) end)
    assert.has_error(function() c:livestreams_many({}, { concurrency = schema.MAX_CONCURRENCY + 1 }) end,
      "livestreams_many: option 'concurrency' must be an integer from 1 to " .. schema.MAX_CONCURRENCY)
    assert.has_error(function()
      for _ in c:pages{ seller_id = "1", concurrency = schema.MAX_CONCURRENCY + 1 } do end
    end)
    c:close()
    assert.equals(before, env.requests())
    local status, _, err = cli.run("livestreams 1 --dry-run --concurrency " .. (schema.MAX_CONCURRENCY + 1))
    assert.equals(2, status)
    assert.matches("from 1 to " .. schema.MAX_CONCURRENCY, err)
    local _, help = cli.run("livestreams --help")
    assert.truthy(help:find("(1.." .. schema.MAX_CONCURRENCY .. ")", 1, true), help)
    assert.truthy(help:find("(1.." .. schema.MAX_PAGE_SIZE .. ")", 1, true), help)
  end)

  it("shoplive.new fills in the schema's defaults", function()
    local c = shoplive.new{ api_key = env.KEY, base_url = env.sandbox().url }
    for k, v in pairs(schema.DEFAULTS) do
      if k ~= "base_url" then assert.equals(v, c._opts[k], k) end
    end
    c:close()
    local ok, o = pcall(require("shoplive.options").check, { api_key = env.KEY }, function() return nil end)
    assert.is_true(ok)
    assert.equals(schema.DEFAULTS.base_url, o.base_url)
  end)
end)
