-- decode_pieces_spec.lua - core.decode_response given the body as pieces of
-- strings ({s1, first1, last1, ...}, the cosocket transport's socket reads,
-- src/decode_pieces.c) rather than as one string: the same page, the same
-- errors (byte numbers count in the joined body), max_records, a body
-- past the reused buffer's 64 kB, and bad pieces refused naming the argument.
local core = require "shoplive.core"

local resp = core.decode_response

-- the spec's example page (tests/fixtures/bodies/example_page.json)
local function example_page()
  local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
  local f = assert(io.open(dir .. "fixtures/bodies/example_page.json", "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- body cut into pieces of `size` bytes, each inside a string with `pad`
-- bytes of junk on both sides (a read holds head or framing bytes too)
local function pieces(body, size, pad)
  local junk = string.rep("#", pad or 0)
  local t = {}
  for i = 1, #body, size do
    local s = junk .. body:sub(i, i + size - 1) .. junk
    t[#t + 1], t[#t + 2], t[#t + 3] = s, #junk + 1, #s - #junk
  end
  return t
end

-- every value of a decoded page, as sorted text (compares two pages)
local function dump(v)
  if type(v) ~= "table" then return type(v) .. ":" .. tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. "=" .. dump(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end

describe("decode_response on pieces of strings", function()
  local page = example_page()

  it("one piece (in place) or many (joined): the same page as the whole string", function()
    local want = dump(assert(resp(page)))
    for _, size in ipairs{ #page, 4096, 1000, 7, 1 } do
      local got = assert(resp(pieces(page, size, 3)))
      assert.equals(want, dump(got), "pieces of " .. size)
    end
  end)

  it("a second, different body after the first: nothing left of the first in the reused buffer", function()
    local short = '{"code":0,"message":"success","data":[],"requestId":"r2"}'
    assert(resp(pieces(page, 100, 2)))
    local r = assert(resp(pieces(short, 5, 2)))
    assert.equals("r2", r.request_id)
    assert.equals(0, #r.records)
  end)

  it("errors: the same message, byte numbers counted in the joined body", function()
    local bad = page:gsub('"duration":', '"duration":x', 1)
    local _, want = resp(bad)
    assert.is_string(want)
    local v, err = resp(pieces(bad, 13, 4))
    assert.is_nil(v)
    assert.equals(want, err)
  end)

  it("max_records applies to pieces as to a string", function()
    local three = '{"code":0,"message":"success","data":[{},{},{}],"requestId":"r"}'
    local a, b, c = resp(three, 2)
    local x, y, z = resp(pieces(three, 5, 1), 2)
    assert.equals("records", z)
    assert.is_nil(x)
    assert.equals(tostring(a), tostring(x))
    assert.equals(b, y)
    assert.equals(c, z)
  end)

  it("a body past 64 kB in pieces: joined in a buffer of its own", function()
    local big = '{"code":0,"message":"' .. string.rep("m", 100000) .. '","data":[],"requestId":"big"}'
    local r = assert(resp(pieces(big, 4096, 5)))
    assert.equals(100000, #r.message)
    r = assert(resp(pieces(page, 4096)))
    assert.equals(dump(assert(resp(page))), dump(r))
  end)

  it("no pieces: an empty body, refused as a string of none is", function()
    local _, want = resp("")
    local v, err = resp({})
    assert.is_nil(v)
    assert.equals(want, err)
  end)

  it("every input of the fuzz corpus, cut at seeded random places: the same result or message as whole", function()
    local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
    local ls = io.popen("ls '" .. dir .. "../fuzz/corpus/' '" .. dir .. "../fuzz/regressions/'")
    local files, folder = {}, nil
    for line in ls:lines() do
      if line:match(":$") then folder = line:sub(1, -2) .. "/"
      elseif line ~= "" then files[#files + 1] = folder .. line end
    end
    ls:close()
    assert.is_true(#files > 100)
    math.randomseed(18)
    for _, path in ipairs(files) do
      local f = assert(io.open(path, "rb"))
      local text = f:read("*a")
      f:close()
      local r1, e1, w1 = resp(text)
      for _ = 1, 3 do
        local r2, e2, w2 = resp(pieces(text, math.random(1, 64), math.random(0, 2)))
        assert.equals(r1 and dump(r1), r2 and dump(r2), path)
        assert.equals(e1, e2, path)
        assert.equals(w1, w2, path)
      end
    end
  end)

  it("a range outside its string or a piece that is not a string: an error naming argument #1", function()
    for _, bad in ipairs{ { "abc", 0, 2 }, { "abc", 2, 4 }, { "abc", 3, 1 }, { 42, 1, 1 }, { "{}", 1 }, { "{}", "1", 2 } } do
      local ok, err = pcall(resp, bad)
      assert.is_false(ok)
      assert.matches("#1", err)
      assert.matches("pieces must be", err)
    end
  end)
end)
