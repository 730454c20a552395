-- The report stays bounded and finishes whatever the records hold (issue
-- 21): a start in milliseconds, at the int64 limits, at 1e300, before 1970,
-- strings that read like NaN, negative durations, an end before the start.
-- Such records are set aside and listed under Data quality; the others are
-- reported as usual. Also through the CLI, from a store holding them.
local shoplive = require("shoplive")
local env = require("support.env")
local cli = require("support.cli_run")
local records = require("support.report_records")

local sh_quote = env.sh_quote

-- int64's limits as the decoder gives them: integers on 5.3+, digits on
-- 5.1/LuaJIT (past 2^53)
local HALF = math.tointeger and math.tointeger(2 ^ 62) -- integer arithmetic from here
local BIG = HALF and (HALF - 1 + HALF) or "9223372036854775807"
local SMALL = HALF and (-HALF * 2) or "-9223372036854775808"

local rec = records.maker{ room_id = "7000", title = "ok" }

-- Every odd record (room_id = its case) and two sound ones.
local function odd_records()
  return {
    rec{ room_id = "good-1" },
    rec{ room_id = "good-2", create_time = 1700086400, finish_time = 1700090000 },
    rec{ room_id = "ms", create_time = 1700000000000, finish_time = 1700003600000 },
    rec{ room_id = "max64", create_time = BIG },
    rec{ room_id = "min64", create_time = SMALL },
    rec{ room_id = "e300", create_time = 1e300 },
    rec{ room_id = "dur-e300", duration = 1e300 },
    rec{ room_id = "minus1", create_time = -1 },
    rec{ room_id = "negdur", duration = -3600 },
    rec{ room_id = "endfirst", finish_time = 1699990000 },
    rec{ room_id = "views64", total_views_cnt = BIG },
  }
end

local NAN_LIKE = { "NaN", "nan", "-inf", "Infinity", "1e999" }

-- The rows of the report's odd-values table, as "room_id|field|effect".
local function odd_rows(doc)
  local tbl = assert(doc:match('<h3 id="odd%-values">.-</table>'), "no odd-values table")
  local out = {}
  for row in tbl:gmatch("<tr>(.-)</tr>") do
    local cells = {}
    for c in row:gmatch("<td[^>]*>(.-)</td>") do cells[#cells + 1] = c end
    if #cells > 0 then out[cells[2] .. "|" .. cells[4] .. "|" .. cells[7]] = true end
  end
  return out
end

describe("the report on values no livestream can have", function()
  it("finishes, stays under 200 kB and lists every odd record under Data quality", function()
    local recs = odd_records()
    for i, s in ipairs(NAN_LIKE) do
      recs[#recs + 1] = rec{ room_id = "nanlike-" .. i, create_time = s, duration = s, total_sale_gmv_amt = s }
    end
    local doc = shoplive.report(recs, { generated_at = 1700100000 })
    assert.is_true(#doc < 200 * 1024, "size " .. #doc)
    -- the two sound ones, the one whose end is ignored and the NaN-like ones
    -- (read as missing) are reported
    assert.truthy(doc:find('<dd id="h-livestreams">8</dd>', 1, true))
    assert.truthy(doc:find('<dd id="h-aside">8 records with values no livestream can have', 1, true))
    local rows = odd_rows(doc)
    for _, key in ipairs({ "ms|create_time|set aside", "max64|create_time|set aside", "min64|create_time|set aside",
      "e300|create_time|set aside", "dur-e300|duration|set aside", "minus1|create_time|set aside",
      "negdur|duration|set aside", "endfirst|finish_time|value ignored", "views64|total_views_cnt|set aside" }) do
      assert.is_true(rows[key], key)
    end
    for i = 1, #NAN_LIKE do
      assert.is_true(rows["nanlike-" .. i .. "|create_time|value ignored"], NAN_LIKE[i])
      assert.is_true(rows["nanlike-" .. i .. "|duration|value ignored"], NAN_LIKE[i])
    end
    assert.truthy(doc:find("create_time is in milliseconds, not seconds", 1, true))
    for key in pairs(rows) do assert.is_nil(key:find("^good"), key) end -- sound records are not listed
    -- the weekly chart spans the sound records' one week only
    local weekly = assert(doc:match('<figure id="fig%-weekly%-1">.-</figure>'))
    assert.truthy(weekly:find("2023-11-13", 1, true))
    local _, weeks = weekly:gsub("<tr>", "")
    assert.equals(2, weeks) -- header and one week
  end)

  it("keeps a report of one stray millisecond start as small as without it", function()
    local sound = { rec{ room_id = "a" }, rec{ room_id = "b", create_time = 1690000000, finish_time = 1690003600 } }
    local base = shoplive.report(sound, { generated_at = 1700100000 })
    sound[3] = rec{ room_id = "stray", create_time = 1700000000123, finish_time = nil }
    local doc = shoplive.report(sound, { generated_at = 1700100000 })
    assert.is_true(#doc < #base + 4096, #doc .. " bytes against " .. #base)
    assert.truthy(odd_rows(doc)["stray|create_time|set aside"])
  end)

  it("gives a shop whose only record is set aside a card saying so", function()
    local doc = shoplive.report({ rec{ seller_id = "9", create_time = BIG } }, { shops = { "9" } })
    assert.truthy(doc:find("No usable livestreams: 1 set aside (see Data quality).", 1, true))
    assert.truthy(doc:find("nothing to place on a timeline", 1, true))
  end)
end)

describe("shoplive report --offline from a store holding odd records", function()
  local tmp = cli.tmpdir_each(before_each, after_each)

  it("exits 0 and lists them", function()
    local db = tmp.dir .. "/odd.db"
    local s = assert(shoplive.store.open(db))
    local recs = odd_records()
    for _, r in ipairs(recs) do r.seller_id = "77" end
    assert(s:save_page({ seller_id = "77", page = 1, page_size = 20 }, { request_id = "odd", records = recs }, 1))
    s:close()
    local path = tmp.dir .. "/r.html"
    local status, out, err = cli.run("report 77 --db " .. sh_quote(db) .. " --offline -q -o " .. sh_quote(path),
      { KEYAPI_API_KEY = "" })
    assert.equals(0, status, err)
    assert.equals(path .. "\n", out)
    assert.equals("", err)
    assert.equals(0, env.requests())
    local doc = assert(cli.read(path))
    assert.is_true(#doc < 200 * 1024, "size " .. #doc)
    assert.truthy(doc:find('<dd id="h-livestreams">3</dd>', 1, true))
    local rows = odd_rows(doc)
    assert.is_true(rows["max64|create_time|set aside"])
    assert.is_true(rows["e300|create_time|set aside"])
    assert.is_true(rows["ms|create_time|set aside"])
  end)
end)
