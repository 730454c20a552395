local raised = require("support.raised")
local export = require("shoplive.export")
local core = require("shoplive.core")
local cjson = require("cjson")

local has_int = math.type ~= nil

-- A 19-digit int64 beyond 2^53 without relying on 5.3 literals when absent.
local BIG = has_int and math.tointeger(9223372036854775807) or 2 ^ 53

local function sample()
  return {
    {
      room_id = "7275145563308362538", seller_id = "7494818275540568755", user_id = "6798340844577768453",
      nick_name = "🛍ubeufashion🛍", title = "TikTok Shop Fashion Review", region = "US",
      create_time = 1693876970, finish_time = 1693885000, duration = 8030,
      total_views_cnt = 3132, total_joins_cnt = 2734, max_views_cnt = 0,
      total_sale_cnt = 0, total_sale_gmv_amt = BIG,
      avatar = "https://p16.example/a.webp?s=PUBLISH&se=false", cover_url = "https://p16.example/c.webp",
    },
    {
      room_id = "7275145563308362539", seller_id = "7494818275540568755", user_id = nil,
      nick_name = "quote \"me\", ok", title = "line1\r\nline2", region = nil,
      create_time = 1693958399, finish_time = nil, duration = 12.5,
      total_views_cnt = 10, total_joins_cnt = nil, max_views_cnt = 3,
      total_sale_cnt = 2, total_sale_gmv_amt = 1,
      avatar = nil, cover_url = " leading space",
      extra = { tags = { "a", "b" }, meta = { z = 1, y = false }, empty = {} },
    },
  }
end

local function lines(s, sep)
  local out = {}
  local start = 1
  while true do
    local i, j = s:find(sep, start, true)
    if not i then break end
    out[#out + 1] = s:sub(start, i - 1)
    start = j + 1
  end
  assert.equals("", s:sub(start)) -- every line is terminated
  return out
end

local function tmpfile_contents(fn)
  local path = os.tmpname()
  local fh = assert(io.open(path, "wb"))
  fn(fh)
  fh:close()
  fh = assert(io.open(path, "rb"))
  local s = fh:read("*a")
  fh:close()
  os.remove(path)
  return s
end

describe("shoplive.export.to_csv", function()
  it("writes a header of the 16 spec fields by default, CRLF line ends", function()
    local csv = export.to_csv(sample(), nil, { unknown = "ignore" })
    local header = "room_id,seller_id,user_id,nick_name,title,region,create_time,finish_time,duration,"
      .. "total_views_cnt,total_joins_cnt,max_views_cnt,total_sale_cnt,total_sale_gmv_amt,avatar,cover_url\r\n"
    assert.equals(header, csv:sub(1, #header))
    assert.equals(16, #export.FIELDS)
    assert.equals("\r\n", csv:sub(-2))
    local first = "7275145563308362538,7494818275540568755,6798340844577768453,🛍ubeufashion🛍,"
      .. "TikTok Shop Fashion Review,US,1693876970,1693885000,8030,3132,2734,0,0,"
      .. (has_int and "9223372036854775807" or "9007199254740992")
      .. ",https://p16.example/a.webp?s=PUBLISH&se=false,https://p16.example/c.webp\r\n"
    local second = "7275145563308362539,7494818275540568755,,\"quote \"\"me\"\", ok\",\"line1\r\nline2\",,"
      .. "1693958399,,12.5,10,,3,2,1,,\" leading space\"\r\n"
    assert.equals(header .. first .. second, csv)
  end)

  it("gives just the header for no records", function()
    assert.equals("room_id,total_sale_gmv_amt\r\n", export.to_csv({}, { "room_id", "gmv" }))
  end)

  it("quotes comma, quote, CR, LF and leading/trailing spaces only", function()
    local cases = {
      { "a,b", '"a,b"' },
      { 'say "hi"', '"say ""hi"""' },
      { "cr\rhere", '"cr\rhere"' },
      { "lf\nhere", '"lf\nhere"' },
      { " lead", '" lead"' },
      { "trail ", '"trail "' },
      { "in side", "in side" },
      { "plain", "plain" },
      { "", "" },
      { "tab\there", "tab\there" },
    }
    for _, c in ipairs(cases) do
      assert.equals("title\r\n" .. c[2] .. "\r\n", export.to_csv({ { title = c[1] } }, { "title" }))
    end
  end)

  it("uses aliases in fields, with the real field name in the header", function()
    local csv = export.to_csv({ { total_views_cnt = 7, total_sale_cnt = 8, total_sale_gmv_amt = 9, room_id = "1" } },
      { "room_id", "views", "sales", "gmv" })
    assert.equals("room_id,total_views_cnt,total_sale_cnt,total_sale_gmv_amt\r\n1,7,8,9\r\n", csv)
  end)

  it("prints int64 integers exactly and ids as text #int64", function()
    local csv = export.to_csv({ { total_sale_gmv_amt = math.tointeger(9007199254740993), room_id = "7275145563308362538",
      max_views_cnt = math.mininteger } }, { "gmv", "room_id", "max_views_cnt" })
    assert.equals("total_sale_gmv_amt,room_id,max_views_cnt\r\n9007199254740993,7275145563308362538,-9223372036854775808\r\n", csv)
    assert.is_nil(csv:find("e+", 1, true))
  end)

  it("keeps the exact digits the decoder gives past 2^53, numbers to 2^53 with %d #noint64", function()
    -- 5.1/5.2/LuaJIT: core gives integers past 2^53 as strings of their digits
    local page = core.decode_response('{"code":0,"data":[{"room_id":7275145563308362538,'
      .. '"total_sale_gmv_amt":9007199254740993,"total_views_cnt":9007199254740992,"total_sale_cnt":12.5,'
      .. '"max_views_cnt":-9223372036854775808}]}')
    local recs = page.records
    assert.equals("9007199254740993", recs[1].total_sale_gmv_amt)
    local csv = export.to_csv(recs, { "room_id", "gmv", "views", "sales", "max_views_cnt" })
    assert.equals("room_id,total_sale_gmv_amt,total_views_cnt,total_sale_cnt,max_views_cnt\r\n"
      .. "7275145563308362538,9007199254740993,9007199254740992,12.5,-9223372036854775808\r\n", csv)
    assert.is_nil(csv:find("e+", 1, true))
    -- JSON: the digits stay exact, as the JSON string the value is
    assert.equals('{"max_views_cnt":"-9223372036854775808","room_id":"7275145563308362538",'
      .. '"total_sale_cnt":12.5,"total_sale_gmv_amt":"9007199254740993","total_views_cnt":9007199254740992}',
      export.encode_record(recs[1]))
    assert.equals(export.encode_record(recs[1]) .. "\n", export.to_ndjson(recs))
    assert.same(recs, core.json_decode(export.to_json(recs)))
    -- 2^53 and below: %d, never exponent form
    assert.equals('{"a":9007199254740992,"b":-9007199254740992,"c":123456789012345}',
      export.encode_record({ a = 2 ^ 53, b = -2 ^ 53, c = 123456789012345 }))
  end)

  it("prints floats in the shortest form that reads back equal", function()
    local expect = {
      [0.1] = "0.1", [12.5] = "12.5", [0.1 + 0.2] = "0.30000000000000004", [1e20] = "1e+20",
      [1 / 3] = "0.3333333333333333", [5e-324] = "4.9406564584125e-324", [-2.5] = "-2.5",
    }
    for v, text in pairs(expect) do
      local got = export.to_csv({ { total_sale_cnt = v } }, { "sales" }):match("^total_sale_cnt\r\n(.*)\r\n$")
      assert.equals(text, got)
      assert.equals(v, tonumber(got))
    end
    for _, v in ipairs({ math.pi, 2 ^ 63, 123456.789, 1e-7, 2 ^ 53 + 2, 9.5367431640625e-07 }) do
      local got = export.to_csv({ { total_sale_cnt = v } }, { "sales" }):match("^total_sale_cnt\r\n(.*)\r\n$")
      assert.equals(v, tonumber(got))
    end
  end)

  it("writes nil and NaN/inf as empty, booleans as true/false, tables as JSON", function()
    local csv = export.to_csv({ { title = true, region = false, total_views_cnt = 0 / 0, total_sale_cnt = math.huge,
      avatar = { 1, "x" }, cover_url = { k = "v,w" } } },
      { "room_id", "title", "region", "views", "sales", "avatar", "cover_url" })
    assert.equals('room_id,title,region,total_views_cnt,total_sale_cnt,avatar,cover_url\r\n'
      .. ',true,false,,,"[1,""x""]","{""k"":""v,w""}"\r\n', csv)
  end)

  it("leaves UTF-8 and emoji untouched, drops NUL bytes", function()
    local s = "😀 café \0 日本"
    local csv = export.to_csv({ { title = s } }, { "title" })
    assert.equals("title\r\n😀 café  日本\r\n", csv)
  end)

  it("rejects bad arguments naming them, at the caller's line", function()
    assert.matches("shoplive.to_csv: argument 'records'", raised(export.to_csv, "x"), 1, true)
    assert.matches("records%[1%]", raised(export.to_csv, { 5 }))
    assert.matches("argument 'fields'.*fields%[2%]", raised(export.to_csv, {}, { "room_id", 5 }))
    assert.matches("argument 'fields'", raised(export.to_csv, {}, "room_id"), 1, true)
    assert.matches("argument 'fields'", raised(export.to_csv, {}, {}), 1, true)
    assert.matches("export_spec.lua:%d+: shoplive.to_csv: records%[1%]%.title is a function", raised(function() export.to_csv({ { title = print } }, { "title" }) end))
  end)
end)

describe("shoplive.export.csv_writer", function()
  it("streams to a file exactly what to_csv returns", function()
    local recs = sample()
    local got = tmpfile_contents(function(fh)
      local w = export.csv_writer(fh, nil, { unknown = "ignore" })
      for _, r in ipairs(recs) do assert.equals(w, w:write(r)) end
      assert.equals(2, w.rows)
      assert.is_true(w:close())
      assert.is_true(w:close()) -- twice is harmless
    end)
    assert.equals(export.to_csv(recs, nil, { unknown = "ignore" }), got)
  end)

  it("writes the header even for no records, and honours fields", function()
    local got = tmpfile_contents(function(fh)
      local w = export.csv_writer(fh, { "room_id", "gmv" })
      assert.is_true(w:close())
    end)
    assert.equals("room_id,total_sale_gmv_amt\r\n", got)
  end)

  it("writes to any object with a :write method and reports its failures", function()
    local parts = {}
    local sink = { write = function(_, s) parts[#parts + 1] = s; return true end }
    local w = export.csv_writer(sink, { "title" })
    w:write({ title = "a,b" })
    w:close()
    assert.equals('title\r\n"a,b"\r\n', table.concat(parts))

    local broken = { write = function() return nil, "disk full" end }
    w = export.csv_writer(broken, { "title" })
    local ok, err = w:write({ title = "x" })
    assert.is_nil(ok)
    assert.equals("disk full", err)
    assert.equals(0, w.rows)
  end)

  it("rejects bad arguments and writes after close", function()
    assert.matches("shoplive.csv_writer: argument 'file'", raised(export.csv_writer, nil), 1, true)
    assert.matches("argument 'fields'", raised(export.csv_writer, io.stdout, { true }), 1, true)
    local w = export.csv_writer({ write = function() return true end })
    assert.matches("argument 'record'", raised(w.write, w, "nope"), 1, true)
    w:close()
    assert.matches("export_spec.lua:%d+: .*after close", raised(function() w:write({}) end))
  end)
end)

describe("shoplive.export JSON", function()
  it("round-trips records exactly through core.json_decode (int64 included)", function()
    local recs = sample()
    local text = export.to_json(recs)
    assert.equals("[", text:sub(1, 1))
    assert.equals("]", text:sub(-1))
    local back = core.json_decode(text)
    assert.same(recs, back)
    if has_int then
      assert.is_true(back[1].total_sale_gmv_amt == math.maxinteger)
      assert.equals("integer", math.type(back[1].total_sale_gmv_amt))
      assert.equals("float", math.type(back[2].duration))
    end
    assert.truthy(text:find('"total_sale_gmv_amt":' .. (has_int and "9223372036854775807" or "9007199254740992"), 1, true))
    assert.truthy(text:find('"room_id":"7275145563308362538"', 1, true))
  end)

  it("round-trips through cjson.decode for numbers below 2^53", function()
    local recs = sample()
    recs[1].total_sale_gmv_amt = 2 ^ 53 - 1
    if has_int then recs[1].total_sale_gmv_amt = math.tointeger(recs[1].total_sale_gmv_amt) end
    recs[2].x = 0.1 + 0.2
    local back = cjson.decode(export.to_json(recs))
    for i, r in ipairs(recs) do
      for k, v in pairs(r) do
        if type(v) == "number" then
          assert.is_true(back[i][k] == v, k .. ": " .. tostring(back[i][k]) .. " ~= " .. tostring(v))
        end
      end
      assert.equals(r.title, back[i].title)
      assert.equals(r.nick_name, back[i].nick_name)
    end
  end)

  it("prints int64 integers with %d, not in exponent form #int64", function()
    local n = math.tointeger(123456789012345678)
    assert.equals('{"a":123456789012345678,"b":-9223372036854775808,"c":9007199254740993}',
      export.encode_record({ a = n, b = math.mininteger, c = math.tointeger(9007199254740993) }))
    -- floats stay floats
    assert.equals('{"f":3.0,"g":12.5,"h":1e+20,"z":-0.0}', export.encode_record({ f = 3.0, g = 12.5, h = 1e20, z = -0.0 }))
    local back = core.json_decode(export.encode_record({ f = 3.0 }))
    assert.equals("float", math.type(back.f))
  end)

  it("escapes per RFC 8259 and leaves UTF-8 alone", function()
    local s = "q\"b\\s/\n\r\t\b\f\1\31\0é😀\127"
    local text = export.encode_record({ s = s })
    assert.equals('{"s":"q\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u0000é😀\127"}', text)
    assert.equals(s, core.json_decode(text).s)
    assert.equals(s, cjson.decode(text).s)
  end)

  it("writes null for NaN and infinities, omits nil fields", function()
    assert.equals('{"a":null,"b":null,"c":null}', export.encode_record({ a = 0 / 0, b = math.huge, c = -math.huge, d = nil }))
    assert.equals("{}", export.encode_record({}))
    assert.equals('{"n":null}', export.encode_record({ n = cjson.null }))
  end)

  it("encodes nested unknown fields: sequences as arrays, other tables as objects", function()
    local text = export.encode_record({ extra = { tags = { "a", "b" }, meta = { z = 1, y = false }, empty = {},
      sparse = { [1] = "a", [3] = "c" }, deep = { { { 1 } } } } })
    assert.equals('{"extra":{"deep":[[[1]]],"empty":{},"meta":{"y":false,"z":1},"sparse":{"1":"a","3":"c"},'
      .. '"tags":["a","b"]}}', text)
  end)

  it("orders keys deterministically whatever the insertion order", function()
    local a, b = {}, {}
    local keys = { "b", "a", "total_views_cnt", "room_id", "z", "A", "_" }
    for i = 1, #keys do a[keys[i]] = i end
    for i = #keys, 1, -1 do b[keys[i]] = i end
    local ta = export.encode_record(a)
    assert.equals(ta, export.encode_record(b))
    assert.equals('{"A":6,"_":7,"a":2,"b":1,"room_id":4,"total_views_cnt":3,"z":5}', ta)
  end)

  it("writes NDJSON: one object per line, each line newline-terminated", function()
    local recs = sample()
    recs[3] = { room_id = "3", title = "multi\nline" }
    local text = export.to_ndjson(recs)
    local ls = lines(text, "\n")
    assert.equals(3, #ls)
    for i, line in ipairs(ls) do
      assert.equals(export.encode_record(recs[i]), line)
      assert.same(recs[i], core.json_decode(line))
    end
    assert.equals("", export.to_ndjson({}))
    assert.equals("[]", export.to_json({}))
  end)

  it("rejects what JSON cannot represent, naming where", function()
    assert.matches("shoplive.to_json: argument 'records'", raised(export.to_json, "x"), 1, true)
    assert.matches("shoplive.to_ndjson: argument 'records'", raised(export.to_ndjson, nil), 1, true)
    assert.matches("shoplive.encode_record: argument 'record'", raised(export.encode_record, 5), 1, true)
    assert.matches("export_spec.lua:%d+: shoplive.to_json: records%[2%]%.extra%.list%[2%] is a function", raised(function() export.to_json({ {}, { extra = { list = { 1, print } } } }) end))
    local cyc = {}
    cyc.self = cyc
    local msg = raised(export.encode_record, { c = cyc })
    assert.matches("record.c.self", msg, 1, true)
    assert.matches("cycle", msg, 1, true)
    assert.matches("table key", raised(export.encode_record, { [{}] = 1 }), 1, true)
  end)
end)
