--- A strict parser of the Prometheus text exposition format (0.0.4), for
-- specs: written from the format's description, independent of
-- lua/shoplive/metrics.lua, and stricter than Prometheus where the format
-- says "must". It rejects (error naming the line):
--   * metric names outside [a-zA-Z_:][a-zA-Z0-9_:]*, label names outside
--     [a-zA-Z_][a-zA-Z0-9_]* or starting with "__", a label twice in a sample;
--   * label values with a raw newline or an escape other than \\ \" \n;
--   * values that are not Go floats (NaN, +Inf, -Inf included), timestamps
--     that are not integers, text after them, a last line without "\n";
--   * HELP or TYPE twice for a family, HELP/TYPE after the family's first
--     sample, an unknown TYPE, a family whose lines are not one group, the
--     same series twice;
--   * counters below 0 or NaN; histograms: a bucket without le, buckets not
--     cumulative (counts decreasing as le grows), no le="+Inf" bucket,
--     +Inf bucket ~= _count, a missing _sum or _count.
-- parse(text) -> { families = { [name] = { type =, help =, samples = { { name =,
-- labels = {}, value = } } } }, order = { names } }; M.value(p, name, labels).
local M = {}

local TYPES = { counter = true, gauge = true, histogram = true, summary = true, untyped = true }
local NAME = "^[%a_:][%w_:]*$"

local function fail(n, msg, line)
  error(string.format("promtext: line %d: %s: %q", n, msg, line), 0)
end

-- A Go ParseFloat-style value: decimal or exponent notation, NaN, +-Inf.
local function parse_float(s)
  if s == "NaN" then return 0 / 0 end
  if s == "+Inf" or s == "Inf" then return math.huge end
  if s == "-Inf" then return -math.huge end
  if not s:find("^[+-]?%d*%.?%d*[eE]?[+-]?%d*$") or not s:find("%d") then return nil end
  if s:find("[eE]") and not s:find("^[+-]?%d*%.?%d*[eE][+-]?%d+$") then return nil end
  return tonumber(s)
end
M.parse_float = parse_float

-- The {...} of a sample from position i (just after "{"): labels, next position.
local function parse_labels(line, i, n)
  local labels = {}
  while true do
    i = line:find("[^ \t]", i) or #line + 1
    if line:sub(i, i) == "}" then return labels, i + 1 end
    local name, j = line:match("^([%a_][%w_]*)[ \t]*=[ \t]*()\"", i)
    if not name then fail(n, "bad label name or missing '=\"'", line) end
    if name:sub(1, 2) == "__" then fail(n, "reserved label name " .. name, line) end
    if labels[name] then fail(n, "label " .. name .. " twice", line) end
    local buf, k = {}, j + 1
    while true do
      local c = line:sub(k, k)
      if c == "" then fail(n, "unterminated label value", line) end
      if c == "\"" then break end
      if c == "\\" then
        local e = line:sub(k + 1, k + 1)
        local out = ({ ["\\"] = "\\", ["\""] = "\"", n = "\n" })[e]
        if not out then fail(n, "bad escape \\" .. e .. " in a label value", line) end
        buf[#buf + 1], k = out, k + 2
      else
        buf[#buf + 1], k = c, k + 1
      end
    end
    labels[name] = table.concat(buf)
    i = line:find("[^ \t]", k + 1) or #line + 1
    local c = line:sub(i, i)
    if c == "," then i = i + 1 elseif c ~= "}" then fail(n, "expected ',' or '}' after a label", line) end
  end
end

local function parse_sample(line, n)
  local name, i = line:match("^([^{ \t]+)()")
  if not name or not name:find(NAME) then fail(n, "bad metric name", line) end
  local labels = {}
  if line:sub(i, i) == "{" then labels, i = parse_labels(line, i + 1, n) end
  local rest = line:sub(i)
  local v, ts = rest:match("^[ \t]+(%S+)[ \t]*(%S*)$")
  if not v then fail(n, "missing value or text after it", line) end
  local value = parse_float(v)
  if not value then fail(n, "bad value " .. v, line) end
  if ts ~= "" and not ts:find("^%-?%d+$") then fail(n, "bad timestamp " .. ts, line) end
  return { name = name, labels = labels, value = value }
end

local function series_key(name, labels, skip)
  local ks = {}
  for k, v in pairs(labels) do if k ~= skip then ks[#ks + 1] = k .. "=" .. string.format("%q", v) end end
  table.sort(ks)
  return name .. "{" .. table.concat(ks, ",") .. "}"
end

-- The family a sample belongs to: a histogram's or summary's declared base
-- name for its _bucket/_sum/_count samples, else the sample's own name.
local function family_of(fams, name)
  for _, suf in ipairs({ "_bucket", "_sum", "_count" }) do
    if name:sub(-#suf) == suf then
      local base = fams[name:sub(1, -#suf - 1)]
      if base and (base.type == "histogram" or (base.type == "summary" and suf ~= "_bucket")) then
        return name:sub(1, -#suf - 1)
      end
    end
  end
  return name
end

local function check_histogram(fname, fam)
  local groups, order = {}, {}
  for _, s in ipairs(fam.samples) do
    local key = series_key("", s.labels, "le")
    local g = groups[key]
    if not g then g = { buckets = {} }; groups[key] = g; order[#order + 1] = key end
    local suf = s.name:sub(#fname + 1)
    if suf == "_bucket" then
      local le = s.labels.le and parse_float(s.labels.le)
      if not le then error("promtext: " .. fname .. ": a bucket without a valid le label", 0) end
      g.buckets[#g.buckets + 1] = { le = le, count = s.value }
    elseif suf == "_sum" then g.sum = s.value
    elseif suf == "_count" then g.count = s.value
    else error("promtext: " .. fname .. ": sample " .. s.name .. " in a histogram", 0) end
  end
  for _, key in ipairs(order) do
    local g = groups[key]
    table.sort(g.buckets, function(a, b) return a.le < b.le end)
    local prev, inf = -1, nil
    for _, b in ipairs(g.buckets) do
      if b.count < prev then error("promtext: " .. fname .. key .. ": bucket le=" .. b.le .. " below a smaller le's", 0) end
      prev = b.count
      if b.le == math.huge then inf = b.count end
    end
    if not inf then error("promtext: " .. fname .. key .. ": no le=\"+Inf\" bucket", 0) end
    if not g.sum or not g.count then error("promtext: " .. fname .. key .. ": _sum or _count missing", 0) end
    if inf ~= g.count then error("promtext: " .. fname .. key .. ": +Inf bucket " .. inf .. " ~= _count " .. g.count, 0) end
  end
end

local function check_family(fname, fam)
  if fam.type == "counter" then
    for _, s in ipairs(fam.samples) do
      if s.value ~= s.value or s.value < 0 then error("promtext: counter " .. s.name .. " is " .. s.value, 0) end
    end
  elseif fam.type == "histogram" then
    check_histogram(fname, fam)
  end
end

-- One "# HELP" / "# TYPE" line into p; other comments are ignored.
local function meta(p, st, line, n)
  local kw, name, rest = line:match("^#[ \t]+(%u+)[ \t]+(%S+)[ \t]?(.*)$")
  if kw ~= "HELP" and kw ~= "TYPE" then return end
  if not name:find(NAME) then fail(n, "bad metric name in " .. kw, line) end
  local fam = p.families[name]
  if fam and st.closed[name] then fail(n, kw .. " for a family whose group ended", line) end
  if not fam then
    fam = { type = "untyped", samples = {} }
    p.families[name], p.order[#p.order + 1] = fam, name
  end
  if st.current and st.current ~= name then st.closed[st.current] = true end
  st.current = name
  if #fam.samples > 0 then fail(n, kw .. " after the family's samples", line) end
  if kw == "HELP" then
    if fam.help then fail(n, "HELP twice", line) end
    local help = rest:gsub("\\(.?)", function(e)
      local out = ({ ["\\"] = "\\", n = "\n" })[e]
      if not out then fail(n, "bad escape \\" .. e .. " in HELP", line) end
      return out
    end)
    fam.help = help
  else
    if fam.typed then fail(n, "TYPE twice", line) end
    if not TYPES[rest] then fail(n, "unknown TYPE " .. rest, line) end
    fam.type, fam.typed = rest, true
  end
end

function M.parse(text)
  assert(type(text) == "string", "promtext.parse: text must be a string")
  if text ~= "" and text:sub(-1) ~= "\n" then error("promtext: the last line does not end with \\n", 0) end
  local p = { families = {}, order = {} }
  local st = { closed = {}, current = nil, seen = {} }
  local n = 0
  for line in text:gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find("^#") then
      meta(p, st, line, n)
    elseif line:find("%S") then
      local s = parse_sample(line, n)
      local fname = family_of(p.families, s.name)
      if st.closed[fname] then fail(n, "family " .. fname .. " is not one group", line) end
      if st.current and st.current ~= fname then st.closed[st.current] = true end
      st.current = fname
      local fam = p.families[fname]
      if not fam then
        fam = { type = "untyped", samples = {} }
        p.families[fname], p.order[#p.order + 1] = fam, fname
      end
      if fam.type ~= "histogram" and fam.type ~= "summary" and s.name ~= fname then
        fail(n, "sample name differs from its family", line)
      end
      if fam.type == "histogram" and s.name == fname then fail(n, "a histogram sample needs a suffix", line) end
      local key = series_key(s.name, s.labels)
      if st.seen[key] then fail(n, "the same series twice", line) end
      st.seen[key] = true
      fam.samples[#fam.samples + 1] = s
    end
  end
  for _, name in ipairs(p.order) do check_family(name, p.families[name]) end
  return p
end

--- The value of the sample `name` whose labels are exactly `labels`
-- (nil when there is none).
function M.value(p, name, labels)
  local want = series_key(name, labels or {})
  for _, fam in pairs(p.families) do
    for _, s in ipairs(fam.samples) do
      if series_key(s.name, s.labels) == want then return s.value end
    end
  end
  return nil
end

return M
