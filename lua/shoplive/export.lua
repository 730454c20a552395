--- shoplive.to_csv / csv_writer / to_json / to_ndjson / encode_record:
-- exports of record lists. Version-neutral (Lua 5.1-5.4, LuaJIT).
--
-- Numbers and JSON text come from shoplive.json (exact integers, shortest
-- round-trip floats); NaN and +-inf become null (JSON) or an empty cell (CSV).
local argcheck = require("shoplive.argcheck")
local json = require("shoplive.json")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local concat = table.concat
local format_number, cdata_int, path_text = json.number, json.cdata_int, json.path_text
local encode, new_ctx, encode_record_into = json.encode, json.ctx, json.record_into

--- The 16 fields the spec names, in the default CSV column order (a copy
-- of the schema's list: changing it changes nothing else).
-- @table FIELDS
-- @usage local csv = shoplive.to_csv(records, { "room_id", "title", "gmv" })
M.FIELDS = {}
for i, f in ipairs(schema.FIELDS) do M.FIELDS[i] = f end

-- Every error below names the caller's file:line, however deep it is raised.
local raise = argcheck.raise
local fail = raise

--- The CLI's table and summary format numbers the same way.
-- @local
M.format_number = function(v) return format_number(v, false) end

local check_records = argcheck.records

local function json_lines(records, fname, open, sep, close)
  local buf = { open }
  for i = 1, #records do
    if i > 1 then buf[#buf + 1] = sep end
    encode_record_into(records[i], buf, new_ctx(fname, "records[" .. i .. "]"))
  end
  buf[#buf + 1] = close
  return concat(buf)
end

--- JSON text of one record: an object with its keys sorted, nil fields
-- absent, integers exact, nested tables as arrays (sequences) or objects
-- (also `shoplive.encode_record`). A value JSON cannot hold (a function, a
-- cycle) raises, naming where it is.
-- @tparam table record a record
-- @treturn string the JSON object, no trailing newline
-- @usage io.write(shoplive.encode_record(page.records[1]), "\n")
function M.encode_record(record)
  if type(record) ~= "table" then
    raise("shoplive.encode_record: argument 'record' must be a record table, got " .. util.describe(record))
  end
  return json.record(record, "shoplive.encode_record")
end

--- JSON text of any value the decoder can return (a table, string, number,
-- boolean, nil); for showing a nested or unexpected value as text.
-- @local
function M.encode_value(v)
  return json.encode_value(v, "shoplive.encode_value")
end

--- A JSON array of the records (compact, no trailing newline); also
-- `shoplive.to_json`. Each record is written as `encode_record` does.
-- @tparam {table,...} records the records
-- @treturn string the JSON text (`[]` for none)
-- @usage assert(io.open("live.json", "w")):write(shoplive.to_json(records))
function M.to_json(records)
  check_records(records, "shoplive.to_json")
  local s = json_lines(records, "shoplive.to_json", "[", ",", "]")
  return s
end

--- NDJSON: one record object per line, each line ending in "\n" ("" for
-- none); also `shoplive.to_ndjson`.
-- @tparam {table,...} records the records
-- @treturn string the NDJSON text
-- @usage io.write(shoplive.to_ndjson(page.records))
function M.to_ndjson(records)
  check_records(records, "shoplive.to_ndjson")
  if #records == 0 then return "" end
  local s = json_lines(records, "shoplive.to_ndjson", "", "\n", "\n")
  return s
end

-------------------------------------------------------------------- CSV --

-- A text cell a spreadsheet would run as a formula starts with = + - @ TAB
-- or CR (OWASP "CSV injection"); a leading ' makes it text. A cell that is a
-- plain decimal number ("-5", "+1.5e3") is left alone: it is read as that
-- number, never as a formula.
local function neutralise(s)
  local c = s:sub(1, 1)
  if c == "=" or c == "+" or c == "-" or c == "@" or c == "\t" or c == "\r" then
    if c ~= "=" and c ~= "@" and s:find("^[-+]%d+%.?%d*$") then return s end
    if c ~= "=" and c ~= "@" and s:find("^[-+]%d*%.?%d+[eE][-+]?%d+$") then return s end
    return "'" .. s
  end
  return s
end

-- Quote a cell when it holds , " CR or LF, or starts or ends with a space
-- (RFC 4180; the spaces so that readers that trim keep them).
local function csv_quote(s)
  if s:find('[,"\r\n]') or s:sub(1, 1) == " " or s:sub(-1) == " " then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

-- Text of one CSV cell (before quoting). NUL bytes are dropped: many CSV
-- readers (and every C string API) end the cell there. Strings are
-- neutralised against formulas unless ctx.raw.
local function csv_text(v, ctx, field)
  local t = type(v)
  if t == "string" then
    if v:find("%z") then v = v:gsub("%z", "") end
    if ctx.raw then return v end
    return neutralise(v)
  end
  if t == "number" then return format_number(v, false) or "" end
  if t == "nil" then return "" end
  if t == "boolean" then return v and "true" or "false" end
  if t == "table" then
    local buf = {}
    encode(v, buf, ctx, field)
    return concat(buf)
  end
  if json.is_null(v) then return "" end
  if t == "cdata" and cdata_int(v) then return cdata_int(v) end
  fail(ctx.fname .. ": " .. path_text(ctx, field) .. " is a " .. t .. ", which cannot be exported")
end

local SPEC_FIELD = schema.KINDS
local ALIASES = schema.ALIASES
local ALIAS_OF = {} -- total_sale_gmv_amt -> gmv
for alias, f in pairs(ALIASES) do ALIAS_OF[f] = alias end
-- "views, sales, gmv": the aliases in spec field order
local ALIAS_TEXT
do
  local names = {}
  for _, f in ipairs(M.FIELDS) do names[#names + 1] = ALIAS_OF[f] end
  ALIAS_TEXT = concat(names, ", ")
end

-- One CSV line, CRLF-terminated. cfg: { fields = real names, column = set of
-- them, raw = bool, unknown = "error"|"ignore" }. A record may carry a
-- field under its alias (gmv); a key that is neither a spec field, an alias
-- nor a column would be silently lost, so it is an error unless ignored.
local function csv_row(record, cfg, ctx)
  if cfg.unknown ~= "ignore" then
    for k in pairs(record) do
      if not (SPEC_FIELD[k] or ALIASES[k] or cfg.column[k]) then
        fail(ctx.fname .. ": " .. ctx.root .. " has the key " .. util.describe(k)
          .. ", which matches no column (fields are the spec's names or the aliases " .. ALIAS_TEXT .. ";"
          .. " pass { unknown = \"ignore\" } to leave such keys out)")
      end
    end
  end
  ctx.raw = cfg.raw
  local fields = cfg.fields
  local cells = {}
  for i = 1, #fields do
    local f = fields[i]
    local v = record[f]
    if v == nil and ALIAS_OF[f] then v = record[ALIAS_OF[f]] end
    cells[i] = csv_quote(csv_text(v, ctx, f))
  end
  return concat(cells, ",") .. "\r\n"
end

local function csv_header(fields)
  local cells = {}
  for i = 1, #fields do cells[i] = csv_quote(fields[i]) end
  return concat(cells, ",") .. "\r\n"
end

-- fields (nil or an array of field names, aliases allowed) and opts ->
-- the writer's configuration (see csv_row).
local function csv_config(fields, opts, fname)
  local out = {}
  if fields == nil then
    for i = 1, #M.FIELDS do out[i] = M.FIELDS[i] end
  else
    if type(fields) ~= "table" or #fields == 0 then
      raise(fname .. ": argument 'fields' must be a non-empty array of field names, got " .. util.describe(fields))
    end
    for i = 1, #fields do
      local f = fields[i]
      if type(f) ~= "string" or f == "" then
        raise(fname .. ": argument 'fields' must hold field names (strings); fields[" .. i .. "] is "
          .. util.describe(f))
      end
      f = ALIASES[f] or f
      if not SPEC_FIELD[f] then
        raise(fname .. ": argument 'fields': fields[" .. i .. "] is " .. util.describe(fields[i])
          .. ", not a field of the spec (" .. concat(M.FIELDS, ", ") .. ") nor an alias (" .. ALIAS_TEXT .. ")")
      end
      out[i] = f
    end
  end
  if opts ~= nil and type(opts) ~= "table" then
    raise(fname .. ": argument 'opts' must be a table ({ raw = bool, unknown = \"error\"|\"ignore\" }), got "
      .. util.describe(opts))
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "raw" and k ~= "unknown" and k ~= "header" then
      raise(fname .. ": unknown option '" .. tostring(k) .. "' (accepted: header, raw, unknown)")
    end
  end
  if opts.raw ~= nil and type(opts.raw) ~= "boolean" then
    raise(fname .. ": option 'raw' must be a boolean, got " .. util.describe(opts.raw))
  end
  if opts.header ~= nil and type(opts.header) ~= "boolean" then
    raise(fname .. ": option 'header' must be a boolean, got " .. util.describe(opts.header))
  end
  if opts.unknown ~= nil and opts.unknown ~= "error" and opts.unknown ~= "ignore" then
    raise(fname .. ": option 'unknown' must be \"error\" or \"ignore\", got " .. util.describe(opts.unknown))
  end
  local column = {}
  for i = 1, #out do column[out[i]] = true end
  return { fields = out, column = column, raw = opts.raw == true, unknown = opts.unknown or "error",
    header = opts.header ~= false }
end

local function csv_rows(records, cfg, fname)
  local buf = { cfg.header and csv_header(cfg.fields) or nil }
  for i = 1, #records do
    buf[#buf + 1] = csv_row(records[i], cfg, new_ctx(fname, "records[" .. i .. "]"))
  end
  return concat(buf)
end

--- CSV text (RFC 4180, CRLF line ends, a header row) of the records;
-- also `shoplive.to_csv`. NUL bytes are dropped from cells; nested tables
-- become JSON text. A bad field name or option raises.
-- @tparam {table,...} records the records
-- @tparam[opt] {string,...} fields the columns: the spec's field names or the
-- aliases `views`, `sales`, `gmv` (the header shows the real name); default
-- `FIELDS`, all 16
-- @tparam[opt] table opts `header = false` leaves out the header row;
-- `raw = true` writes text cells as they are (by default a cell that starts
-- with `=`, `+`, `-`, `@`, TAB or CR and is not a plain number gets a
-- leading `'` so that spreadsheets do not run it as a formula);
-- `unknown = "ignore"` skips record keys that are neither a spec field, an
-- alias nor a column (by default, `"error"`, such a key raises)
-- @treturn string the CSV text
-- @usage local csv = shoplive.to_csv(records, { "room_id", "title", "gmv" }, { header = false })
function M.to_csv(records, fields, opts)
  check_records(records, "shoplive.to_csv")
  local cfg = csv_config(fields, opts, "shoplive.to_csv")
  local s = csv_rows(records, cfg, "shoplive.to_csv")
  return s
end

local Writer = {}
Writer.__index = Writer

-- w.write(r) / w.close() (a dot for a colon): say so, not "attempt to index".
local function check_self(self, fname)
  if getmetatable(self) ~= Writer then
    raise("shoplive.csv_writer: " .. fname .. " called on a " .. type(self) .. "; use writer:" .. fname .. "(...)")
  end
end

local function put(self, s)
  local ok, err = self.file:write(s)
  if ok == nil and err ~= nil then return nil, err end
  return true
end

local function put_header(self)
  if self.header_done or not self.cfg.header then return true end
  local ok, err = put(self, csv_header(self.cfg.fields))
  if not ok then return nil, err end
  self.header_done = true
  return true
end

--- Write one record as a CSV line (the header goes first, once).
-- A record that the writer's fields and options refuse raises.
-- @tparam table record a record
-- @treturn[1] Writer the writer itself
-- @treturn[2] nil when the file's write failed
-- @treturn[2] string the file's error message
-- @usage assert(w:write(rec))
function Writer:write(record)
  check_self(self, "write")
  if self.closed then raise("shoplive.csv_writer: write() after close()") end
  if type(record) ~= "table" then
    raise("shoplive.csv_writer: argument 'record' must be a record table, got " .. util.describe(record))
  end
  self.rows = self.rows + 1
  local ok, line = pcall(csv_row, record, self.cfg, new_ctx("shoplive.csv_writer", "record " .. self.rows))
  if not ok then self.rows = self.rows - 1; error(line, 0) end -- already positioned (argcheck)
  local done, err = put_header(self)
  if done then done, err = put(self, line) end
  if not done then self.rows = self.rows - 1; return nil, err end
  return self
end

--- Finish: writes the header if no record was written, flushes the file.
-- The file itself stays open (the caller opened it, and may be io.stdout).
-- Closing twice is harmless. Also `__close` (Lua 5.4).
-- @treturn[1] boolean true
-- @treturn[2] nil when a write or the flush failed
-- @treturn[2] string the file's error message
-- @usage assert(w:close())
function Writer:close()
  check_self(self, "close")
  if self.closed then return true end
  local ok, err = put_header(self)
  if not ok then return nil, err end
  self.closed = true
  local f = self.file
  local has_flush = pcall(function() return f.flush end) and type(f.flush) == "function"
  if has_flush then
    local fok, ferr = f:flush()
    if fok == nil and ferr ~= nil then return nil, ferr end
  end
  return true
end

Writer.__close = function(self) self:close() end -- Lua 5.4 to-be-closed variables

--- A streaming CSV writer on file (anything with a `:write(s)` method, e.g.
-- an io file); also `shoplive.csv_writer`. `w:write(record)` appends a line,
-- `w:close()` finishes; `w.rows` counts the records written. The same text,
-- fields and options as `to_csv`.
-- @param file where to write: an io file, or any value with a `:write(s)` method
-- @tparam[opt] {string,...} fields as for `to_csv`
-- @tparam[opt] table opts as for `to_csv`: `header`, `raw`, `unknown`
-- @treturn Writer the writer: `write`, `close`, `rows`
-- @usage local f = assert(io.open("live.csv", "wb"))
-- local w = shoplive.csv_writer(f, { "room_id", "title", "views", "gmv" })
-- for rec in client:each_livestream{ seller_id = s } do assert(w:write(rec)) end
-- assert(w:close()); f:close()
function M.csv_writer(file, fields, opts)
  local ok, w = pcall(function() return file.write end)
  if not ok or type(w) ~= "function" then
    raise("shoplive.csv_writer: argument 'file' must be a file handle (a value with a :write method), got "
      .. util.describe(file))
  end
  local cfg = csv_config(fields, opts, "shoplive.csv_writer")
  return setmetatable({ file = file, fields = cfg.fields, cfg = cfg, rows = 0, header_done = false, closed = false },
    Writer)
end

return M
