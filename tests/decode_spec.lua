-- decode_spec.lua - the typed JSON decoder (src/json.c) through
-- core.decode_response / core.json_decode, on Lua 5.1-5.4 and LuaJIT.
--   busted --lua=lua5.4 --cpath='build/5.4/?.so' tests/decode_spec.lua
-- Tests tagged #int64 need Lua 5.3+ integers; #noint64 ones check the
-- doubles-only mapping of 5.1/5.2/LuaJIT (tests/run picks the set). String
-- literals spell non-ASCII bytes as decimal escapes ("\240\159\152\128" is
-- U+1F600): Lua 5.1 has neither \x nor \u{}.
local core = require "shoplive.core"
local env = require "support.env"

local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local function body(name)
  local f = assert(io.open(here .. "fixtures/bodies/" .. name, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local decode, resp = core.json_decode, core.decode_response

-- decode_response on a one-record page whose record is `rec` (JSON text)
local function record(rec)
  local r, err = resp('{"code":0,"message":"success","data":[' .. rec .. '],"requestId":"r"}')
  assert.is_nil(err)
  return r.records[1]
end

-- math.type(v) or type(v); without an integer subtype an integral number
-- within +-2^53 counts as "integer" (see support/env.lua)
local itype = env.itype

-- both decoders must fail with a message matching `pat`
local function fails(s, pat, fn)
  local v, err = (fn or decode)(s)
  assert.is_nil(v)
  assert.is_string(err, "no error for " .. string.format("%q", s))
  assert.matches(pat, err)
  assert.is_nil(err:find("\n"))
  return err
end

describe("decode_response on the spec's example response", function()
  local r = assert(resp(body("example_page.json")))

  it("reports the envelope", function()
    assert.equal(0, r.code)
    assert.equal("integer", itype(r.code))
    assert.equal("success", r.message)
    assert.equal("dbab4133-4b72-4d7d-9579-7ac5107ab76a", r.request_id)
    assert.equal("array", r.data_type)
    assert.equal(1, #r.records)
    assert.is_nil(r.data)
    assert.is_nil(r.requestId)
  end)

  it("types all 16 fields", function()
    local rec = r.records[1]
    local want = {
      avatar = { "string", "https://p16-pu-useast8.tiktokcdn-us.com/tos-useast5-avt-0068-tx/8f39499ea4964ab3e77a8dd69de7ce73~tplv-tiktok-shrink:96:96.webp?s=PUBLISH&se=false&sh=96_96&sc=avatar&l=202403201000487587F9F97CCB1101112B" },
      cover_url = { "string", "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/8f39499ea4964ab3e77a8dd69de7ce73~c5_720x720.webp?x-expires=1694055600&x-signature=FSK9hz4bmN0vbprAxtkUmDe4avM%3D" },
      create_time = { "integer", 1693876970 },
      duration = { "integer", 8030 },
      finish_time = { "integer", 1693885000 },
      max_views_cnt = { "integer", 0 },
      nick_name = { "string", "\240\159\155\141ubeufashion\240\159\155\141" },
      region = { "string", "US" },
      room_id = { "string", "7275145563308362538" },
      seller_id = { "string", "7494818275540568755" },
      title = { "string", "TikTok Shop Fashion Review" },
      total_joins_cnt = { "integer", 2734 },
      total_sale_cnt = { "integer", 0 },
      total_sale_gmv_amt = { "integer", 0 },
      total_views_cnt = { "integer", 3132 },
      user_id = { "string", "6798340844577768453" },
    }
    local n = 0
    for k, v in pairs(rec) do
      n = n + 1
      assert.is_not_nil(want[k], "unexpected field " .. k)
      assert.equal(want[k][1], itype(v), k)
      assert.equal(want[k][2], v, k)
    end
    assert.equal(16, n)
  end)
end)

describe("fixture bodies", function()
  it("empty page", function()
    local r = assert(resp(body("empty_page.json")))
    assert.equal(0, r.code)
    assert.equal("array", r.data_type)
    assert.same({}, r.records)
    assert.equal("5f0c6a1e-2b8e-4f43-9d1a-6c2a1f7e9b10", r.request_id)
  end)

  it("error body with data null", function()
    local r = assert(resp(body("error_401.json")))
    assert.equal(401, r.code)
    assert.equal("integer", itype(r.code))
    assert.equal("apiKey is null", r.message)
    assert.equal("null", r.data_type)
    assert.is_nil(r.records)
    assert.is_nil(r.request_id)
  end)

  it("error body without data", function()
    local r = assert(resp(body("error_402_no_data.json")))
    assert.equal(402, r.code)
    assert.equal("missing", r.data_type)
    assert.is_nil(r.records)
    assert.equal("0b6f3c1d-8d0e-4a57-a0a4-3b5d7e6f9c21", r.request_id)
  end)

  it("compact page with escapes, numeric ids, floats and unknown fields", function()
    local r = assert(resp(body("quirky_page.json")))
    assert.equal(2, #r.records)
    assert.is_nil(r.server_time)
    local a, b = r.records[1], r.records[2]
    assert.equal("https://p16-sign-va.tiktokcdn.com/avt.webp?x=1&y=2", a.avatar)
    assert.is_nil(a.cover_url)
    assert.equal("integer", itype(a.create_time)); assert.equal(1693876970, a.create_time)
    assert.equal("integer", itype(a.finish_time)); assert.equal(1000000000, a.finish_time)
    assert.equal("Caf\195\169 \240\159\152\128 \"Live\"", a.nick_name)
    assert.equal("Line1\nLine2\tTab", a.title)
    assert.equal("7275145563308362538", a.room_id)
    assert.equal("6798340844577768453", a.user_id)
    assert.equal("float", itype(a.total_sale_gmv_amt)); assert.equal(1234.5, a.total_sale_gmv_amt)
    assert.same({ tags = { "a", "b" }, score = 0.75, flag = true }, a.extra)
    assert.equal("1", b.room_id)
    if env.INT64 then
      assert.equal(math.maxinteger, a.total_views_cnt)
      assert.equal(math.mininteger, b.total_views_cnt)
    else -- no integer subtype: an integer past 2^53 comes back as its exact digits
      assert.equal("9223372036854775807", a.total_views_cnt)
      assert.equal("-9223372036854775808", b.total_views_cnt)
    end
  end)
end)

describe("numbers", function()
  it("decodes integers exactly over the whole int64 range #int64", function()
    for _, c in ipairs{
      { "0", 0 }, { "-0", 0 }, { "1", 1 }, { "-1", -1 },
      { "9007199254740993", 9007199254740993 },
      { "-9007199254740993", -9007199254740993 },
      { "9223372036854775807", math.maxinteger },
      { "-9223372036854775808", math.mininteger },
      { "1234567890123456789", 1234567890123456789 },
    } do
      local v = decode(c[1])
      assert.equal("integer", math.type(v), c[1])
      assert.equal(c[2], v, c[1])
      assert.equal(c[1]:gsub("^%-0$", "0"), tostring(v))
    end
  end)

  it("integer literals beyond int64 become the float they are #int64", function()
    local v = decode("9223372036854775808")
    assert.equal("float", math.type(v))
    assert.equal(2.0 ^ 63, v)
    v = decode("-9223372036854775809")
    assert.equal("float", math.type(v))
    assert.equal(-(2.0 ^ 63), v)
    v = decode("123456789012345678901234567890")
    assert.equal("float", math.type(v))
    assert.equal(1.2345678901234568e29, v)
    v = decode(("9"):rep(300))           -- long token path
    assert.equal("float", math.type(v))
    assert.equal(1e300, v)
  end)

  it("without an integer subtype: exact numbers up to 2^53, exact digits beyond #noint64", function()
    -- Lua 5.1/5.2/LuaJIT: every number is a double. An integer literal within
    -- +-2^53 is exact; a larger one comes back as a string of its digits,
    -- never as a silently rounded number.
    for _, c in ipairs{
      { "0", 0 }, { "-0", 0 }, { "1", 1 }, { "-1", -1 }, { "1693876970", 1693876970 },
      { "9007199254740991", 2 ^ 53 - 1 }, { "9007199254740992", 2 ^ 53 }, { "-9007199254740992", -2 ^ 53 },
    } do
      local v = decode(c[1])
      assert.equal("number", type(v), c[1])
      assert.equal(c[2], v, c[1])
      assert.equal(c[1]:gsub("^%-0$", "0"), string.format("%d", v))
    end
    for _, s in ipairs{
      "9007199254740993", "-9007199254740993", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "-9223372036854775809", "1234567890123456789", "123456789012345678901234567890",
      ("9"):rep(300), ("9"):rep(400),      -- long token path
    } do
      assert.equal(s, decode(s))
    end
    assert.same({ 1, "9007199254740993", 12.5 }, decode("[1,9007199254740993,12.5]"))
    -- fraction/exponent syntax is a plain number (a double) as always
    assert.equal(9223372036854775808, decode("9223372036854775808.0"))
    assert.equal(1e300, decode("1e300"))
  end)

  it("non-integer syntax is a float (a plain number without an integer subtype)", function()
    for _, c in ipairs{
      { "12.5", 12.5 }, { "-0.25", -0.25 }, { "100.0", 100.0 }, { "1e3", 1000.0 },
      { "1E+2", 100.0 }, { "2.5e-3", 0.0025 }, { "1e-400", 0.0 },
      { "0." .. ("3"):rep(80), 1 / 3 },
    } do
      local v = decode(c[1])
      if env.INT64 then
        assert.equal("float", math.type(v), c[1])
      else -- 5.1/5.2/LuaJIT: no subtype to tell 100.0 from 100, a number is all there is
        assert.equal("number", type(v), c[1])
      end
      assert.equal(c[2], v, c[1])
    end
  end)

  it("integer fields: integral literals become integers, others stay floats #int64", function()
    local rec = record('{"duration":100.0,"create_time":1693876970.0,"finish_time":1e3,'
      .. '"max_views_cnt":9007199254740993.0,"total_joins_cnt":1.5e1,"total_sale_cnt":-0.0,'
      .. '"total_views_cnt":0.0001e4,"total_sale_gmv_amt":12.5,"x":100.0}')
    assert.equal("integer", math.type(rec.duration)); assert.equal(100, rec.duration)
    assert.equal("integer", math.type(rec.create_time)); assert.equal(1693876970, rec.create_time)
    assert.equal("integer", math.type(rec.finish_time)); assert.equal(1000, rec.finish_time)
    assert.equal("integer", math.type(rec.max_views_cnt)); assert.equal(9007199254740993, rec.max_views_cnt)
    assert.equal("integer", math.type(rec.total_joins_cnt)); assert.equal(15, rec.total_joins_cnt)
    assert.equal("integer", math.type(rec.total_sale_cnt)); assert.equal(0, rec.total_sale_cnt)
    assert.equal("integer", math.type(rec.total_views_cnt)); assert.equal(1, rec.total_views_cnt)
    assert.equal("float", math.type(rec.total_sale_gmv_amt)); assert.equal(12.5, rec.total_sale_gmv_amt)
    assert.equal("float", math.type(rec.x))   -- only the spec's integer fields
  end)

  it("integer fields: values outside int64 or non-integral stay floats #int64", function()
    local rec = record('{"duration":1e19,"create_time":9223372036854775808,'
      .. '"finish_time":-9223372036854775808.0,"max_views_cnt":1.0000001,"total_sale_cnt":1e-1}')
    assert.equal("float", math.type(rec.duration)); assert.equal(1e19, rec.duration)
    assert.equal("float", math.type(rec.create_time)); assert.equal(2.0 ^ 63, rec.create_time)
    assert.equal("integer", math.type(rec.finish_time)); assert.equal(math.mininteger, rec.finish_time)
    assert.equal("float", math.type(rec.max_views_cnt))
    assert.equal("float", math.type(rec.total_sale_cnt)); assert.equal(0.1, rec.total_sale_cnt)
  end)

  it("integer fields without an integer subtype: exact to 2^53, digits beyond, 12.5 stays #noint64", function()
    local rec = record('{"total_sale_gmv_amt":9007199254740993,"total_views_cnt":9007199254740992,'
      .. '"total_sale_cnt":12.5,"total_joins_cnt":-9007199254740993,"max_views_cnt":9223372036854775807,'
      .. '"create_time":1693876970,"duration":8030,"finish_time":-9007199254740992}')
    assert.equal("9007199254740993", rec.total_sale_gmv_amt)       -- a string: a double cannot hold it
    assert.equal("number", type(rec.total_views_cnt))
    assert.equal(9007199254740992, rec.total_views_cnt)             -- 2^53 exactly: still a number
    assert.equal("9007199254740992", string.format("%d", rec.total_views_cnt))
    assert.equal(12.5, rec.total_sale_cnt)
    assert.equal("-9007199254740993", rec.total_joins_cnt)
    assert.equal("9223372036854775807", rec.max_views_cnt)
    assert.equal(1693876970, rec.create_time)
    assert.equal(8030, rec.duration)
    assert.equal(-2 ^ 53, rec.finish_time)
    -- fraction/exponent syntax: the number it is (every number is a double;
    -- 9007199254740993.0 is the double 2^53, as any Lua 5.1 number would be)
    rec = record('{"duration":100.0,"create_time":1693876970.0,"finish_time":1e3,'
      .. '"max_views_cnt":9007199254740993.0,"total_joins_cnt":1.5e1,"total_sale_cnt":-0.0,'
      .. '"total_views_cnt":0.0001e4,"total_sale_gmv_amt":12.5,"x":100.0}')
    assert.equal(100, rec.duration); assert.equal(1693876970, rec.create_time); assert.equal(1000, rec.finish_time)
    assert.equal(2 ^ 53, rec.max_views_cnt); assert.equal(15, rec.total_joins_cnt); assert.equal(0, rec.total_sale_cnt)
    assert.equal(1, rec.total_views_cnt); assert.equal(12.5, rec.total_sale_gmv_amt); assert.equal(100, rec.x)
    rec = record('{"duration":1e19,"create_time":9223372036854775808,"max_views_cnt":1.0000001,"total_sale_cnt":1e-1}')
    assert.equal(1e19, rec.duration)
    assert.equal("9223372036854775808", rec.create_time)
    assert.equal(1.0000001, rec.max_views_cnt)
    assert.equal(0.1, rec.total_sale_cnt)
  end)

  it("integer fields: non-numbers are kept as decoded", function()
    local rec = record('{"duration":"8030","create_time":true,"finish_time":[1],"total_sale_cnt":null}')
    assert.equal("8030", rec.duration)
    assert.equal(true, rec.create_time)
    assert.same({ 1 }, rec.finish_time)
    assert.is_nil(rec.total_sale_cnt)
  end)

  it("id fields: integer literals become their exact digits", function()
    local rec = record('{"room_id":7275145563308362538,"seller_id":99999999999999999999999,'
      .. '"user_id":-5,"title":7275145563308362538}')
    assert.equal("7275145563308362538", rec.room_id)
    assert.equal("99999999999999999999999", rec.seller_id)
    assert.equal("-5", rec.user_id)
    if env.INT64 then
      assert.equal("integer", math.type(rec.title))   -- not an id field
    else -- not an id field either: past 2^53 it is the digit string of any integer
      assert.equal("7275145563308362538", rec.title)
      assert.equal(5, record('{"title":5}').title)     -- a number, where an id would be "5"
    end
    rec = record('{"room_id":"7275145563308362538","seller_id":1.5,"user_id":false}')
    assert.equal("7275145563308362538", rec.room_id)
    assert.equal(1.5, rec.seller_id)
    assert.equal(false, rec.user_id)
  end)

  it("typing applies to the record's own keys only #int64", function()
    local rec = record('{"extra":{"room_id":7275145563308362538,"duration":100.0}}')
    assert.equal("integer", math.type(rec.extra.room_id))
    assert.equal("float", math.type(rec.extra.duration))
    -- keys are matched after unescaping
    rec = record('{"room\\u005fid":123,"dur\\u0061tion":5.0}')
    assert.equal("123", rec.room_id)
    assert.equal("integer", math.type(rec.duration))
  end)

  it("typing applies to the record's own keys only (no integer subtype) #noint64", function()
    local rec = record('{"extra":{"room_id":123,"duration":100.5}}')
    assert.equal(123, rec.extra.room_id)         -- a number: id typing is for the record's own keys
    assert.equal(100.5, rec.extra.duration)
    -- keys are matched after unescaping
    rec = record('{"room\\u005fid":123,"dur\\u0061tion":5.0}')
    assert.equal("123", rec.room_id)
    assert.equal(5, rec.duration)
  end)

  it("rejects what JSON does not allow", function()
    fails("01", "^invalid number %(leading zero%) at byte 1$")
    fails("-01", "leading zero")
    fails("[00]", "leading zero%) at byte 2$")
    fails("+1", "^expected value but found invalid token at byte 1$")
    fails(".5", "invalid token at byte 1")
    fails("1.", "^unexpected end of input at byte 3$")
    fails("1.e5", "^invalid number at byte 1$")
    fails("[1e]", "^invalid number at byte 2$")
    fails("[-]", "^invalid number at byte 2$")
    fails("NaN", "invalid token at byte 1")
    fails("[nan]", "invalid token at byte 2")
    fails("Infinity", "invalid token at byte 1")
    fails("-Infinity", "^invalid number at byte 1$")
    fails("0x1F", "^trailing garbage at byte 2$")
  end)
end)

describe("strings", function()
  it("handles every escape", function()
    assert.equal("\"\\/\b\f\n\r\t", decode([["\"\\\/\b\f\n\r\t"]]))
    assert.equal("A\195\169\226\130\172", decode([["\u0041\u00e9\u20AC"]]))
  end)

  it("keeps embedded NUL bytes", function()
    local s = decode([["a\u0000b"]])
    assert.equal(3, #s)
    assert.equal("a\0b", s)
    assert.equal("\0", decode([["\u0000"]]))
  end)

  it("decodes surrogate pairs and raw UTF-8", function()
    assert.equal("\240\159\152\128", decode([["\ud83d\ude00"]]))
    assert.equal("\244\143\191\191", decode([["\uDBFF\uDFFF"]]))
    assert.equal("😀 é €", decode('"😀 é €"'))
    assert.equal("\244\143\191\191", decode('"\244\143\191\191"'))
  end)

  it("turns lone surrogates into U+FFFD", function()
    local fffd = "\239\191\189"
    assert.equal(fffd, decode([["\ud800"]]))
    assert.equal(fffd .. "x", decode([["\ud800x"]]))
    assert.equal(fffd, decode([["\udc00"]]))
    assert.equal(fffd .. "A", decode([["\ud83d\u0041"]]))
    assert.equal(fffd .. fffd, decode([["\ude00\ud83d"]]))
    assert.equal(fffd .. "\240\159\152\128", decode([["\ud83d\ud83d\ude00"]]))
  end)

  it("pushes long and escaped strings byte-exact", function()
    local long = ("x"):rep(100000)
    assert.equal(long, decode('"' .. long .. '"'))
    assert.equal(long .. "\n" .. long, decode('"' .. long .. '\\n' .. long .. '"'))
  end)

  it("rejects bad strings", function()
    fails('"a\1b"', "^control character in string at byte 3$")
    fails('"a\tb"', "^control character in string at byte 3$")
    fails('"a\\q"', "^invalid escape in string at byte 3$")
    fails('"\\u12G4"', "^invalid escape in string at byte 2$")
    fails('"\\ud83d\\uZZZZ"', "^invalid escape in string at byte 8$")
    fails('"\\u12', "^unexpected end of input at byte 6$")
    fails('"abc\\', "^unexpected end of input at byte 6$")
    fails('"abc', "^unexpected end of input at byte 5$")
    fails("'abc'", "invalid token at byte 1")
  end)

  it("keeps a number beyond a double as the string of its literal", function()
    -- (issue 14, item 19: it used to be the error "number out of range")
    assert.equal("1e400", decode("1e400"))
    assert.same({ 1, "-1e400" }, decode("[1, -1e400]"))
    -- 5.3+: past int64 an integer literal is a float, past a double its digits;
    -- 5.1/5.2/LuaJIT: past 2^53 it is its digit string anyway
    assert.equal(("9"):rep(400), decode(("9"):rep(400)))
    local r = assert(resp('{"code":0,"data":[{"duration":1e400,"title":"t"}]}'))
    assert.equal("1e400", r.records[1].duration)
    assert.same({ count = 1, fields = { { record = 1, field = "duration", reason = "number out of range" } } },
      r.repaired)
  end)

  it("replaces each invalid UTF-8 byte with U+FFFD", function()
    local R = "\239\191\189"
    for _, c in ipairs{
      { '"ab\128"', "ab" .. R },             -- stray continuation byte
      { '"\192\175"', R:rep(2) },          -- overlong '/'
      { '"\193\191"', R:rep(2) },          -- overlong
      { '"\224\128\175"', R:rep(3) },      -- overlong 3-byte
      { '"\240\128\128\175"', R:rep(4) },  -- overlong 4-byte
      { '"\237\160\128"', R:rep(3) },      -- UTF-8-encoded surrogate U+D800
      { '"\237\191\191"', R:rep(3) },      -- U+DFFF
      { '"\244\144\128\128"', R:rep(4) },  -- U+110000
      { '"\245\128\128\128"', R:rep(4) },
      { '"\255"', R },
      { '"x\195"', "x" .. R },             -- truncated by the quote
      { '"\226\130"', R:rep(2) },          -- truncated
      { '"\240\159\152"', R:rep(3) },
      { '"\195\040"', R .. "(" },          -- bad continuation
      { '"\\n\195\040"', "\n" .. R .. "(" }, -- same, on the escaped-string path
    } do
      assert.equal(c[2], decode(c[1]), string.format("%q", c[1]))
    end
    -- truncated by the end of input: still a grammar error
    fails('"\226\130', "^unexpected end of input at byte 4$")
    local r = assert(resp('{"code":0,"data":[{"nick_name":"\192\175"}]}'))
    assert.equal(R .. R, r.records[1].nick_name)
    assert.same({ count = 1, fields = { { record = 1, field = "nick_name", reason = "invalid UTF-8" } } }, r.repaired)
    assert.same({ [R] = 1 }, decode('{"\255":1}'))
    -- a clean page has no note
    assert.is_nil(assert(resp('{"code":0,"data":[{"nick_name":"caf\195\169"}]}')).repaired)
  end)

  it("counts every repair but keeps at most 64 notes", function()
    local recs = {}
    for i = 1, 40 do recs[i] = '{"title":"\255","n":1e999}' end
    local r = assert(resp('{"code":0,"message":"\255","data":[' .. table.concat(recs, ",") .. ']}'))
    assert.equal(81, r.repaired.count)
    assert.equal(64, #r.repaired.fields)
    assert.same({ field = "message", reason = "invalid UTF-8" }, r.repaired.fields[1])
    assert.same({ record = 1, field = "title", reason = "invalid UTF-8" }, r.repaired.fields[2])
    assert.equal(40, #r.records)
  end)
end)

describe("structure", function()
  it("decodes nested values", function()
    assert.same({ a = { 1, 2, { b = true } }, c = false, d = "" }, decode(' {"a":[1,2,{"b":true}],"c":false,"d":""} '))
    assert.same({}, decode("[]"))
    assert.same({}, decode("{ }"))
    assert.equal(true, decode("true"))
    assert.equal(false, decode("\t\r\n false \n"))
  end)

  it("null: nil at top level, holes in arrays, unset keys", function()
    local n = select("#", decode("null"))
    assert.equal(1, n)
    assert.is_nil(decode("null"))
    local t = decode("[1,null,3,null]")
    assert.equal(1, t[1]); assert.is_nil(t[2]); assert.equal(3, t[3]); assert.is_nil(t[4])
    t = decode('{"a":null,"b":1}')
    assert.same({ b = 1 }, t)
  end)

  it("duplicate keys: last wins", function()
    assert.same({ a = 2 }, decode('{"a":1,"a":2}'))
    assert.same({}, decode('{"a":1,"a":null}'))
    local rec = record('{"duration":1,"duration":2.0}')
    assert.equal("integer", itype(rec.duration)); assert.equal(2, rec.duration)
    local r = assert(resp('{"code":1,"code":0,"data":[{}],"data":null}'))
    assert.equal(0, r.code)
    assert.equal("null", r.data_type)
    assert.is_nil(r.records)
    r = assert(resp('{"data":"x","data":[{"room_id":1}]}'))
    assert.equal("array", r.data_type)
    assert.equal("1", r.records[1].room_id)
  end)

  it("nesting: 64 levels ok, 65 is an error", function()
    local ok = decode(("["):rep(64) .. ("]"):rep(64))
    assert.is_table(ok)
    fails(("["):rep(65) .. ("]"):rep(65), "^nesting deeper than 64 at byte 65$")
    fails(('{"a":'):rep(65) .. "1" .. ("}"):rep(65), "^nesting deeper than 64 at byte 321$")
    -- response: top object 1, data 2, record 3, then 61 more
    local deep = ("["):rep(61) .. ("]"):rep(61)
    assert.is_table(resp('{"data":[{"x":' .. deep .. '}]}'))
    fails('{"data":[{"x":[' .. deep .. ']}]}', "^nesting deeper than 64 at byte 76$", resp)
  end)

  it("100000-deep input is an error, not a crash", function()
    fails(("["):rep(100000), "^nesting deeper than 64 at byte 65$")
    fails(("["):rep(100000) .. ("]"):rep(100000), "^nesting deeper than 64 at byte 65$")
    fails(('{"a":'):rep(100000), "nesting deeper than 64")
    fails('{"data":[{"x":' .. ("["):rep(100000), "^nesting deeper than 64 at byte 76$", resp)
    fails('{"x":' .. ("["):rep(100000), "^nesting deeper than 64 at byte 69$", resp)
  end)

  it("rejects malformed documents", function()
    fails("", "^empty input at byte 1$")
    fails("   ", "^unexpected end of input at byte 4$")
    fails("\239\187\191{}", "^UTF%-8 byte order mark .* at byte 1$")
    fails("\239\187\191{}", "byte order mark", resp)
    fails("\255\254{\0}\0", "invalid token at byte 1")            -- UTF-16
    fails("[1,2", "^unexpected end of input at byte 5$")
    fails('{"a":1', "^unexpected end of input at byte 7$")
    fails('{"a":', "^unexpected end of input at byte 6$")
    fails('{"a"', "^unexpected end of input at byte 5$")
    fails("tru", "^unexpected end of input at byte 4$")
    fails("trUe", "^expected value but found invalid token at byte 1$")
    fails("[1,]", "^expected value but found invalid token at byte 4$")
    fails('{"a":1,}', "^expected string key at byte 8$")
    fails("{a:1}", "^expected string key at byte 2$")
    fails('{"a" 1}', "^expected ':' at byte 6$")
    fails("[1 2]", "^expected ',' or ']' at byte 4$")
    fails('{"a":1 "b":2}', "^expected ',' or '}' at byte 8$")
    fails("[1]x", "^trailing garbage at byte 4$")
    fails("[1] [2]", "^trailing garbage at byte 5$")
    fails("1 2", "^trailing garbage at byte 3$")
    fails("[1]\0", "^trailing garbage at byte 4$")
    fails("/* c */ 1", "invalid token at byte 1")
    fails("[1] // c", "trailing garbage at byte 5")
    fails("\f1", "invalid token at byte 1")                       -- not JSON whitespace
    fails("[\v]", "invalid token at byte 2")
  end)
end)

describe("decode_response envelope", function()
  it("requires a top-level object", function()
    for _, s in ipairs{ "[]", "null", '"x"', "1", "true", "<html><body>502 Bad Gateway</body></html>" } do
      fails(s, "^response is not a JSON object", resp)
    end
  end)

  it("requires each data element to be an object", function()
    fails('{"data":[{},{},3]}', "^data%[3%] is not an object at byte 16$", resp)
    fails('{"data":[null]}', "^data%[1%] is not an object", resp)
    fails('{"data":[[]]}', "^data%[1%] is not an object", resp)
    fails('{"data":[{},]}', "expected value but found invalid token at byte 13", resp)
  end)

  it("reports data_type and gives records only for arrays", function()
    for _, c in ipairs{
      { "null", "null" }, { '{"a":1}', "object" }, { '"x"', "string" },
      { "12", "number" }, { "-1.5", "number" }, { "true", "boolean" }, { "false", "boolean" },
      { "[]", "array" },
    } do
      local r = assert(resp('{"code":0,"message":"m","data":' .. c[1] .. ',"requestId":"q"}'))
      assert.equal(c[2], r.data_type, c[1])
      if c[2] == "array" then assert.same({}, r.records) else assert.is_nil(r.records, c[1]) end
      assert.equal(0, r.code); assert.equal("m", r.message); assert.equal("q", r.request_id)
    end
    local r = assert(resp("{}"))
    assert.equal("missing", r.data_type)
    assert.is_nil(r.records)
    assert.is_nil(r.code)
  end)

  it("keeps code/message as decoded and ignores other keys (still validated)", function()
    local r = assert(resp('{"code":"E42","message":null,"extra":{"x":[1,2]},"requestId":7}'))
    assert.equal("E42", r.code)
    assert.is_nil(r.message)
    assert.equal(7, r.request_id)
    assert.is_nil(r.extra)
    fails('{"code":0,"extra":[1,}', "invalid token at byte 22", resp)
    fails('{"code":0}x', "^trailing garbage at byte 11$", resp)
    fails('{"code":0', "^unexpected end of input at byte 10$", resp)
  end)

  it("errors leave nothing behind and keep the calling convention", function()
    local a, b, c = resp("[")
    assert.is_nil(a); assert.is_string(b); assert.is_nil(c)
    a, b, c = decode('{"a":"\\ud800\\q"}')
    assert.is_nil(a); assert.matches("invalid escape", b); assert.is_nil(c)
  end)
end)
