-- What a hostile server's strings and odd values do to terminals, logs and
-- spreadsheets (issue 14 items 13, 14, 15 and 20's object-valued title).
-- Fixtures: sandbox/fixtures/9990140.json (ESC/CR/LF/C1/bidi in room_id,
-- region and title, create_time 12.5 and int64 max, an object title, CSV
-- formula cells, a NUL) and 9990141.json (a code != 0 answer whose message
-- and requestId carry the same).
local env = require("support.env")
local cli = require("support.cli_run")
local util = require("shoplive.util")
local export = require("shoplive.export")

local run = cli.run

-- Bytes a terminal acts on: C0 controls (TAB, LF allowed as layout), DEL,
-- C1 controls in UTF-8 (U+0080-U+009F), bidi overrides and isolates.
local function hostile(s, allow_lf)
  local c0 = allow_lf and "[%z\1-\8\11-\31\127]" or "[%z\1-\31\127]"
  if s:find(c0) then return "C0 " .. string.format("%q", s:match(".?.?.?.?" .. c0 .. ".?.?.?.?")) end
  if s:find("\194[\128-\159]") then return "C1" end
  if s:find("\226\128[\170-\174]") or s:find("\226\129[\166-\169]") then return "bidi" end
  return nil
end

describe("terminal safety", function()
  before_each(function() env.reset() end)

  it("one cleaner: errors.clean is util.clean in its spaces mode, after redaction, before the cut", function()
    local errors = require("shoplive.errors")
    local s = "a\27[2Jb\r\n\194\155c\216\156d\226\128\142e\226\128\143f\255g"
    assert.equals(util.clean(s, true), errors.clean(s))
    -- spaces mode: each control one space, nothing merged
    assert.equals("a [2Jb   c d e f\239\191\189g", errors.clean(s))
    -- default mode: runs of C0 one space, other controls U+FFFD (U+061C and
    -- U+200E/F, the bidi marks, included)
    assert.equals("a [2Jb \239\191\189c\239\191\189d\239\191\189e\239\191\189f\239\191\189g", util.clean(s))
  end)

  it("util.clean removes ESC, CR/LF, C0, C1 and bidi controls, keeps UTF-8 text", function()
    assert.equals("a ]0;x b c", util.clean("a\27]0;x\7b\r\nc"))
    assert.equals("x\239\191\189y", util.clean("x\194\155y"))           -- U+009B, the 8-bit CSI
    assert.equals("x\239\191\189y", util.clean("x\226\128\174y"))       -- U+202E
    assert.equals("x\239\191\189y", util.clean("x\226\129\167y"))       -- U+2067
    assert.equals("x\239\191\189y", util.clean("x\255y"))               -- invalid UTF-8
    assert.equals("café 😀 日本 <b>", util.clean("café 😀 日本 <b>"))
    assert.equals("12.5", util.clean(12.5))
  end)

  it("the table and the summary print no control from the server, and format any value", function()
    for _, args in ipairs{ "livestreams 9990140", "summary 9990140", "summary 9990140 -f json",
        "livestreams 9990140 --fields room_id,title,region,create_time,finish_time,duration" } do
      local status, out, err = run(args .. " -q", { COLUMNS = "300" })
      assert.equals(0, status, args .. ": " .. err)
      assert.is_nil(hostile(out, true), args)
      assert.equals("", err)
    end
    local _, out = run("livestreams 9990140", { COLUMNS = "300" })
    assert.matches("1970%-01%-01 00:00", out)                 -- create_time 12.5
    assert.matches("9223372036854775807", out)                -- int64 max as a time and a duration
    assert.matches('{"en":"object title","n":1}', out, 1, true) -- not "table: 0x..."
    assert.is_nil(out:find("table: 0x", 1, true))
    local _, sum = run("summary 9990140")
    assert.matches("livestreams%s+4\n", sum)
    -- 5.1/LuaJIT: int64 max is a double there, shown as one
    assert.matches("last start %(UTC%)%s+9%.?22337203685477", sum)
  end)

  it("err lines (message, request_id) are cleaned too", function()
    local status, out, err = run("livestreams 9990141")
    assert.equals(1, status)
    assert.equals("", out)
    assert.equals(1, #cli.lines(err))
    assert.is_nil(hostile(err:sub(1, -2)))
    assert.matches("^shoplive: api: seller", err)
  end)
end)

describe("CSV cells a spreadsheet would run (item 15)", function()
  it("neutralises = + - @ TAB CR with a leading ', leaves numbers alone, drops NUL", function()
    local csv = export.to_csv({
      { title = "=1+1", region = "+cmd", nick_name = "-2+3", avatar = "@SUM(A1)", cover_url = "\tx", user_id = "\rx",
        total_views_cnt = -5, room_id = "-5", seller_id = "-1.5e3", total_sale_gmv_amt = -7.5 },
      { title = "NUL\0here", room_id = "plain" },
    }, { "title", "region", "nick_name", "avatar", "cover_url", "user_id", "views", "room_id", "seller_id", "gmv" })
    local rows = {}
    for l in csv:gmatch("(.-)\r\n") do rows[#rows + 1] = l end
    assert.equals("'=1+1,'+cmd,'-2+3,'@SUM(A1),'\tx,\"'\rx\",-5,-5,-1.5e3,-7.5", rows[2])
    assert.equals("NULhere,,,,,,,plain,,", rows[3])
  end)

  it("writes raw cells on request (library option and --csv-raw)", function()
    local csv = export.to_csv({ { title = "=1+1" } }, { "title" }, { raw = true })
    assert.equals("title\r\n=1+1\r\n", csv)
    local status, out = run("livestreams 9990140 -f csv --csv-raw --fields title,region")
    assert.equals(0, status)
    assert.matches('\r\n"=HYPERLINK%(', out)
    assert.matches(",@SUM%(1%+1%)\r\n", out)
    status, out = run("livestreams 9990140 -f csv --fields title,region")
    assert.equals(0, status)
    assert.matches('\r\n"\'=HYPERLINK%(', out)
    assert.matches(",'@SUM%(1%+1%)\r\n", out)
    assert.matches("\r\nNULhere,%-5\r\n", out)
  end)

  it("the csv writer streams the same neutralised text", function()
    local parts = {}
    local w = export.csv_writer({ write = function(_, s) parts[#parts + 1] = s return true end }, { "title" })
    w:write({ title = "@x" })
    w:close()
    assert.equals("title\r\n'@x\r\n", table.concat(parts))
  end)
end)

describe("CSV field names and record keys (issue 12)", function()
  it("reads a record's alias key into its column", function()
    assert.equals("room_id,total_sale_gmv_amt\r\n1,5\r\n", export.to_csv({ { room_id = "1", gmv = 5 } }, { "room_id", "gmv" }))
  end)

  it("a record key that matches no column is an error, unless ignored", function()
    local ok, msg = pcall(export.to_csv, { { room_id = "1", gmv_total = 5 } })
    assert.is_false(ok)
    assert.matches("records%[1%] has the key string \"gmv_total\", which matches no column", msg)
    assert.equals("room_id\r\n1\r\n", export.to_csv({ { room_id = "1", gmv_total = 5 } }, { "room_id" },
      { unknown = "ignore" }))
  end)

  it("field names are the spec's or the aliases", function()
    local ok, msg = pcall(export.to_csv, {}, { "room_id", "gmv_x" })
    assert.is_false(ok)
    assert.matches("fields%[2%] is string \"gmv_x\", not a field of the spec", msg)
    assert.equals("", export.to_csv({}, { "room_id" }, { header = false }))
  end)
end)
