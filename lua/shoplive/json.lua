--- The JSON encoder of the library (no lua-cjson): records and values as
-- JSON text, with exact numbers. A utility module: export (to_json,
-- to_ndjson, encode_record, CSV cells holding tables), the store (a record's
-- extra fields) and the CLI use it, so none of them depends on another.
--
-- Numbers: a Lua integer (5.3+) is printed with %d, exact over int64; so is an
-- integral number within +-2^53 on 5.1/LuaJIT (no integer subtype there). Any
-- other finite number gets the shortest of %.14g..%.17g that reads back equal.
-- NaN and +-inf have no JSON form: they become null.
--
-- Not lua-cjson: cjson 2.1 prints every number with "%.14g", so an integer
-- past 2^53 (or even past 10^14, e.g. 123456789012345678 -> 1.2345678901235e+17)
-- loses digits, and floats with more than 14 significant digits do not
-- round-trip. Strings are escaped here too (cjson would also turn "/" into
-- "\/"), so cjson is only used, when installed, to recognise its cjson.null
-- sentinel as null.
local argcheck = require("shoplive.argcheck")

local M = {}

local format, concat, floor, huge = string.format, table.concat, math.floor, math.huge
local math_type = math.type

local has_cjson, cjson = pcall(require, "cjson")
local JSON_NULL = has_cjson and type(cjson) == "table" and cjson.null or nil

-- A value JSON cannot hold raises at the caller's file:line, however deep.
local fail = argcheck.raise

---------------------------------------------------------------- numbers --

local FLOAT_FORMATS = { "%.14g", "%.15g", "%.16g", "%.17g" }

-- Shortest round-tripping text of a finite number.
local function shortest(v)
  local s
  for i = 1, #FLOAT_FORMATS do
    s = format(FLOAT_FORMATS[i], v)
    if tonumber(s) == v then break end
  end
  -- a locale with a decimal comma (os.setlocale) would give "1,5"
  if s:find(",", 1, true) then s = (s:gsub(",", ".")) end
  return s
end

--- Text of a number: exact for integers, shortest round-trip for floats, nil
-- for NaN and +-inf. json=true keeps a 5.3+ float a float in JSON ("3.0",
-- not "3", so that a decoder gives back a float).
local function format_number(v, json)
  if v ~= v or v == huge or v == -huge then return nil end
  if math_type then
    if math_type(v) == "integer" then return format("%d", v) end
    local s = shortest(v)
    if json and not s:find("[%.eEn]") then s = s .. ".0" end
    return s
  end
  if v == floor(v) and v >= -2 ^ 53 and v <= 2 ^ 53 then return format("%d", v) end
  return shortest(v)
end


-- LuaJIT boxed 64-bit integers (cdata int64_t / uint64_t) print as "123LL".
local function cdata_int(v)
  return (tostring(v):match("^(%-?%d+)U?LL$"))
end

------------------------------------------------------------------- JSON --

local ESC = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
for c = 0, 31 do
  local ch = string.char(c)
  if not ESC[ch] then ESC[ch] = format("\\u%04x", c) end
end
-- '"', '\' and the control characters 0x00-0x1f (RFC 8259 section 7); every
-- other byte, UTF-8 sequences included, is copied as it is. (%z is NUL for
-- Lua 5.1, where a pattern cannot hold a literal "\0"; 5.2+ still accept it.)
local ESC_PATTERN = '[%z\1-\31"\\]'

local function quote(s)
  return '"' .. s:gsub(ESC_PATTERN, ESC) .. '"'
end

local MAX_DEPTH = 1000

-- Path of the value being encoded, for error messages: records[3].extra[2].
local function path_text(ctx, key)
  local parts = { ctx.root }
  local stack = ctx.stack
  for i = 1, #stack + 1 do
    local k = stack[i]
    if i == #stack + 1 then k = key end
    if k ~= nil then
      if type(k) == "string" and k:find("^[%a_][%w_]*$") then
        parts[#parts + 1] = "." .. k
      elseif type(k) == "string" then
        parts[#parts + 1] = format("[%q]", k)
      else
        parts[#parts + 1] = "[" .. tostring(k) .. "]"
      end
    end
  end
  return concat(parts)
end

local encode -- forward

local KEY_RANK = { number = 1, string = 2, boolean = 3 }

local function key_before(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return (KEY_RANK[type(a[2])] or 4) < (KEY_RANK[type(b[2])] or 4)
end

-- Append the object form of table t: keys as strings, sorted.
local function encode_object(t, buf, ctx)
  local items = {}
  for k in pairs(t) do
    local tk, s = type(k), nil
    if tk == "string" then
      s = k
    elseif tk == "number" then
      s = format_number(k, false) or tostring(k)
    elseif tk == "boolean" then
      s = tostring(k)
    else
      fail(ctx.fname .. ": " .. path_text(ctx) .. " has a " .. tk .. " key, which JSON cannot represent")
    end
    items[#items + 1] = { s, k }
  end
  table.sort(items, key_before)
  buf[#buf + 1] = "{"
  for i = 1, #items do
    if i > 1 then buf[#buf + 1] = "," end
    buf[#buf + 1] = quote(items[i][1])
    buf[#buf + 1] = ":"
    encode(t[items[i][2]], buf, ctx, items[i][2])
  end
  buf[#buf + 1] = "}"
end

-- Append the JSON text of v; key is v's key in its parent (for errors).
encode = function(v, buf, ctx, key)
  local t = type(v)
  if t == "string" then
    buf[#buf + 1] = quote(v)
  elseif t == "number" then
    buf[#buf + 1] = format_number(v, true) or "null"
  elseif t == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif t == "table" then
    local stack = ctx.stack
    if ctx.seen[v] then
      fail(ctx.fname .. ": " .. path_text(ctx, key) .. " contains itself (a cycle), which JSON cannot represent")
    end
    if #stack >= MAX_DEPTH then
      fail(ctx.fname .. ": " .. path_text(ctx, key) .. " is nested more than " .. MAX_DEPTH .. " levels deep")
    end
    ctx.seen[v] = true
    stack[#stack + 1] = key
    -- a sequence 1..n (n > 0) is an array; anything else, {} included, an object
    local n, max, seq = 0, 0, true
    for k in pairs(v) do
      n = n + 1
      if type(k) == "number" and k >= 1 and k == floor(k) then
        if k > max then max = k end
      else
        seq = false
      end
    end
    if seq and n > 0 and max == n then
      buf[#buf + 1] = "["
      for i = 1, n do
        if i > 1 then buf[#buf + 1] = "," end
        encode(v[i], buf, ctx, i)
      end
      buf[#buf + 1] = "]"
    else
      encode_object(v, buf, ctx)
    end
    stack[#stack] = nil
    ctx.seen[v] = nil
  elseif v == nil or (JSON_NULL ~= nil and v == JSON_NULL) then
    buf[#buf + 1] = "null"
  elseif t == "cdata" and cdata_int(v) then
    buf[#buf + 1] = cdata_int(v)
  else
    fail(ctx.fname .. ": " .. path_text(ctx, key) .. " is a " .. t .. ", which JSON cannot represent")
  end
end

local function new_ctx(fname, root)
  return { fname = fname, root = root, stack = {}, seen = {} }
end

-- Append one record as a JSON object (always an object, keys sorted).
local function encode_record_into(r, buf, ctx)
  ctx.seen[r] = true
  encode_object(r, buf, ctx)
  ctx.seen[r] = nil
end


--- True for cjson.null (when lua-cjson is installed).
function M.is_null(v)
  return JSON_NULL ~= nil and v == JSON_NULL
end

--- Text of a number: exact for integers, shortest round-trip for floats, nil
-- for NaN and +-inf; json = true keeps a 5.3+ float a float ("3.0").
M.number = format_number
--- The digits of a LuaJIT boxed 64-bit integer, or nil.
M.cdata_int = cdata_int
--- Where a value sits, for errors: records[3].extra[2].
M.path_text = path_text
--- Append the JSON text of v to buf (ctx from M.ctx; key: v's key in its parent).
M.encode = encode
--- A fresh encoding context: fname names the public function in errors,
-- root the value ("records[3]").
M.ctx = new_ctx
--- Append record r as a JSON object (always an object, keys sorted).
M.record_into = encode_record_into

--- JSON text of record r: an object with its keys sorted (fname names the
-- public function in errors).
function M.record(r, fname)
  local buf = {}
  encode_record_into(r, buf, new_ctx(fname, "record"))
  return concat(buf)
end

--- JSON text of any value (a table, string, number, boolean, nil); fname
-- names the public function in errors.
function M.encode_value(v, fname)
  local buf = {}
  encode(v, buf, new_ctx(fname or "shoplive.encode_value", "value"))
  return concat(buf)
end

return M
