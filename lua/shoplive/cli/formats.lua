--- The command line's output formats: table, csv, json, ndjson for
-- records; text and json for summaries. Every writer writes through a sink
-- (cli/sink.lua) and can be closed after a failure, which ends its output
-- validly (JSON gets its closing bracket, the table is rendered). Every
-- string that reaches a terminal goes through util.clean first, and any
-- value the decoder can give (a float time, int64 max, a table) formats.
local export = require("shoplive.export")
local schema = require("shoplive.schema")
local textable = require("shoplive.textable")
local util = require("shoplive.util")

local M = {}

local floor, huge = math.floor, math.huge

-- field -> its alias (views, sales, gmv), for the aliases' order and the
-- table's headers
local ALIAS_OF = {}
for a, f in pairs(schema.ALIASES) do ALIAS_OF[f] = a end

--- The aliases in the order of their fields in the spec: views, sales, gmv.
M.ALIAS_NAMES = {}
for _, f in ipairs(schema.FIELDS) do M.ALIAS_NAMES[#M.ALIAS_NAMES + 1] = ALIAS_OF[f] end

local function fmt_num(v)
  -- an integer (5.3+), or an integral number within 2^53 on 5.1/5.2/LuaJIT,
  -- whose tostring() would give 15+ digit counters in exponent form
  if util.is_int_subtype(v) then return string.format("%d", v) end
  return export.format_number(v) or tostring(v)
end

--- Any value as one clean line of text ("" for nil).
local function cell(v)
  local t = type(v)
  if v == nil then return "" end
  if t == "number" then return fmt_num(v) end
  if t == "string" then return util.clean(v) end
  if t == "table" then
    local ok, s = pcall(export.encode_value, v)
    return util.clean(ok and s or tostring(v))
  end
  return util.clean(tostring(v))
end
M.cell = cell

--- A unix time as "YYYY-MM-DD HH:MM" (UTC); anything that is no
-- representable time (12.5 is one, 2^63-1 is not) is shown as its value.
local function fmt_time(t)
  if type(t) == "number" and t == t and t > -huge and t < huge then
    local ok, s = pcall(os.date, "!%Y-%m-%d %H:%M", floor(t))
    if ok and type(s) == "string" then return s end
  end
  return cell(t)
end
M.fmt_time = fmt_time

local function fmt_duration(d)
  if type(d) == "number" and d >= 0 and d < 2 ^ 53 then
    return string.format("%d:%02d", floor(d / 3600), floor(d % 3600 / 60))
  end
  return cell(d)
end

-- The table's headers that are neither the field's alias nor its name.
local HEADERS = { seller_id = "shop", create_time = "started (UTC)", finish_time = "finished (UTC)",
  duration = "hours", total_joins_cnt = "joins", max_views_cnt = "max views" }

-- How the table shows each field of the schema, from its kind: times as
-- dates, counters right-aligned; the duration as hours, the title takes
-- the width that is left.
local TABLE_COLUMNS = {}
for _, f in ipairs(schema.FIELDS) do
  local kind = schema.KINDS[f]
  TABLE_COLUMNS[f] = { header = HEADERS[f] or ALIAS_OF[f] or f, right = kind == "integer" or nil,
    fmt = kind == "time" and fmt_time or nil }
end
TABLE_COLUMNS.duration.fmt = fmt_duration
TABLE_COLUMNS.title.flex = true
-- The default columns; narrow terminals lose region, then hours, then the
-- start time.
local DEFAULT_TABLE = { "room_id", "create_time", "duration", "total_views_cnt", "total_sale_cnt",
  "total_sale_gmv_amt", "region", "title" }
local DROP = { region = 3, duration = 2, create_time = 1 }

--- --fields text -> array of spec field names (aliases resolved), or nil
-- and a message.
function M.parse_fields(text)
  local out = {}
  for name in (text .. ","):gmatch("([^,]*),") do
    name = name:match("^%s*(.-)%s*$")
    local f = schema.field(name)
    if not f then
      return nil, "--fields: '" .. util.clean(name) .. "' is not a field (" .. table.concat(schema.FIELDS, ", ")
        .. "; aliases " .. table.concat(M.ALIAS_NAMES, ", ") .. ")"
    end
    out[#out + 1] = f
  end
  return out
end

-- With more than one shop asked, rows of different shops must be told
-- apart: the fields get seller_id first when they lack it.
local function with_shop(fields, shops)
  if not shops or shops < 2 then return fields end
  for _, f in ipairs(fields) do
    if f == "seller_id" then return fields end
  end
  local out = { "seller_id" }
  for _, f in ipairs(fields) do out[#out + 1] = f end
  return out
end

local function table_writer(sink, o)
  local fields = with_shop(o.fields or DEFAULT_TABLE, o.shops)
  local cols, rows = {}, {}
  for i, f in ipairs(fields) do
    local c = TABLE_COLUMNS[f] or {}
    cols[i] = { header = c.header or f, right = c.right, flex = c.flex, drop = not o.fields and DROP[f] or nil,
      fmt = c.fmt or cell }
  end
  local w = { rows = 0 }
  function w.write(_, r)
    local row = {}
    for i, f in ipairs(fields) do row[i] = cols[i].fmt(r[f]) end
    rows[#rows + 1] = row
    w.rows = w.rows + 1
  end
  function w.close()
    local text = textable.render(cols, rows, o.width)
    if o.no_header then text = text:gsub("^[^\n]*\n[^\n]*\n", "") end
    sink:write(text)
  end
  return w
end

local function json_writer(sink, ndjson)
  local w = { rows = 0 }
  function w.write(_, r)
    local text = export.encode_record(r)
    if ndjson then
      sink:write(text, "\n")
    else
      sink:write(w.rows == 0 and "[\n" or ",\n", text)
    end
    w.rows = w.rows + 1
  end
  function w.close()
    if not ndjson then sink:write(w.rows == 0 and "[]\n" or "\n]\n") end
  end
  return w
end

local function csv_writer(sink, o)
  -- export's writer reports a failed write as nil, err: the sink raises
  -- before that, so the fetch stops at the first failed write
  local cw = export.csv_writer(sink, o.fields and with_shop(o.fields, o.shops),
    { raw = o.raw, unknown = "ignore", header = not o.no_header })
  local w = { rows = 0 }
  function w.write(_, r)
    cw:write(r)
    w.rows = cw.rows
  end
  function w.close() cw:close() end
  return w
end

--- A record writer: w:write(record), w:close(), w.rows. o: { fields,
-- no_header, raw, width, shops (how many shops were asked: 2 or more add
-- a shop column to the table and to csv's --fields) }. json and ndjson
-- records carry seller_id already.
function M.writer(format, sink, o)
  if format == "csv" then return csv_writer(sink, o) end
  if format == "json" then return json_writer(sink, false) end
  if format == "ndjson" then return json_writer(sink, true) end
  return table_writer(sink, o)
end

-- The third value marks counts and sums (integers when every term is one).
local SUMMARY_LINES = {
  { "count", "livestreams", true }, { "total_views", "total views", true }, { "total_sales", "total sales", true },
  { "total_gmv", "total GMV", true }, { "mean_views", "mean views" }, { "mean_sales", "mean sales" },
  { "mean_gmv", "mean GMV" }, { "hours_live", "hours live" }, { "gmv_per_hour", "GMV per hour live" },
  { "sales_per_1000_views", "sales per 1000 views" },
}

local function fmt_figure(v, counted)
  if v == nil then return "-" end
  -- 5.3+: integers by subtype. 5.1/5.2/LuaJIT have none: an integral count or
  -- sum is printed as the integer it is there (a mean stays "%.2f")
  if util.is_int_subtype(v) and (math.type or counted) then return string.format("%d", v) end
  if type(v) == "number" and v == v and v > -huge and v < huge then return string.format("%.2f", v) end
  return cell(v)
end

-- The figures that add GMV, meaningless over several regions (currencies).
local GMV_FIGURES = { total_gmv = true, mean_gmv = true, gmv_per_hour = true, best = true }

-- A summary as JSON-ready fields: best as its room_id; with several
-- regions no cross-currency GMV figure, the regions' own instead.
local function summary_json(s, nested)
  local copy = {}
  local mixed = (s.region_count or 0) > 1
  for k, v in pairs(s) do
    if not (mixed and GMV_FIGURES[k]) and k ~= "regions" then copy[k] = v end
  end
  copy.best = not mixed and s.best and s.best.room_id or nil
  if not nested and s.regions then
    copy.regions = {}
    for r, rs in pairs(s.regions) do copy.regions[r] = summary_json(rs, true) end
  end
  return copy
end

local function region_names(s)
  local names = {}
  for r in pairs(s.regions or {}) do names[#names + 1] = r end
  table.sort(names)
  return names
end

-- Text lines { label, value } of one shop's summary.
local function summary_lines(s, info)
  local mixed = (s.region_count or 0) > 1
  local lines = { { "seller id", cell(info.seller_id) } }
  for _, l in ipairs(SUMMARY_LINES) do
    if not (mixed and GMV_FIGURES[l[1]]) then lines[#lines + 1] = { l[2], fmt_figure(s[l[1]], l[3]) } end
  end
  if mixed then
    -- one line per region: GMV is in each region's own currency
    for _, r in ipairs(region_names(s)) do
      local rs = s.regions[r]
      lines[#lines + 1] = { "GMV in " .. (r == "" and "(no region)" or cell(r)), string.format(
        "total %s, per hour live %s (%d livestream%s)", fmt_figure(rs.total_gmv, true), fmt_figure(rs.gmv_per_hour),
        rs.count, rs.count == 1 and "" or "s") }
    end
  end
  lines[#lines + 1] = { "first start (UTC)", s.first_start and fmt_time(s.first_start) or "-" }
  lines[#lines + 1] = { "last start (UTC)", s.last_start and fmt_time(s.last_start) or "-" }
  if s.best and not mixed then
    lines[#lines + 1] = { "best by GMV", string.format("%s (GMV %s) %s", cell(s.best.room_id),
      fmt_figure(s.best.total_sale_gmv_amt, true), cell(s.best.title)) }
  end
  if info.error then lines[#lines + 1] = { "partial", util.clean(tostring(info.error)) } end
  return lines
end

--- One shop's summary. s: shoplive.summarize's table; info: { seller_id,
-- error = err or nil }. Text: a block of aligned lines; json: one line.
-- A shop whose livestreams span regions gets its GMV figures per region
-- (each in its own currency), never summed over them.
function M.write_summary(sink, format, s, info)
  if format == "json" then
    local copy = summary_json(s)
    copy.seller_id = info.seller_id
    if info.error then
      copy.partial = true
      copy.error = { kind = info.error.kind, message = util.clean(tostring(info.error)) }
    end
    sink:write(export.encode_record(copy), "\n")
    return
  end
  local lines = summary_lines(s, info)
  local w = 0
  for _, l in ipairs(lines) do w = math.max(w, #l[1]) end
  for _, l in ipairs(lines) do sink:write(l[1], string.rep(" ", w - #l[1]), "  ", l[2], "\n") end
end

return M
