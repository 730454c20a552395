--- Validation of query arguments and the request URL built from them.
-- Only validated values reach the URL, so nothing a caller passes can alter
-- the request beyond the five documented parameters.
local argcheck = require("shoplive.argcheck")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local PATH = schema.PATH
M.MAX_PAGE = schema.MAX_PAGE
M.MAX_PAGE_SIZE = schema.MAX_PAGE_SIZE

--- sort_by spellings (spec names and aliases) -> seller_live_sort_field
local SORT_FIELDS = {}
for f, n in pairs(schema.SORT_FIELDS) do SORT_FIELDS[f] = n end
for a, f in pairs(schema.ALIASES) do SORT_FIELDS[a] = schema.SORT_FIELDS[f] end
local ORDERS = schema.ORDERS

-- "views, sales, gmv, total_views_cnt, total_sale_cnt, total_sale_gmv_amt, 1, 2, 3"
local SORT_BY_TEXT, NSORT
do
  local by_number, aliases = {}, {}
  for f, n in pairs(schema.SORT_FIELDS) do by_number[n] = f end
  for a, f in pairs(schema.ALIASES) do aliases[schema.SORT_FIELDS[f]] = a end
  local words = {}
  for n = 1, #by_number do words[#words + 1] = aliases[n] end
  for n = 1, #by_number do words[#words + 1] = by_number[n] end
  for n = 1, #by_number do words[#words + 1] = tostring(n) end
  SORT_BY_TEXT, NSORT = table.concat(words, ", "), #by_number
end

local BASE_ARGS = { seller_id = true, sort_by = true, order = true, page = true, page_size = true }

local function fail(fname, msg)
  argcheck.raise(fname .. ": " .. msg)
end

local function check_range(fname, name, v, default, max)
  if v == nil then return default end
  local i = util.tointeger(v)
  if not i or i < 1 or i > max then
    fail(fname, "argument '" .. name .. "' must be an integer from 1 to " .. max .. ", got " .. util.describe(v))
  end
  return i
end

--- Check q for function `fname`; `extra` is a set of further accepted keys.
-- Errors are raised at the caller of the library (argcheck).
-- Returns { seller_id = "digits", sort_field = 1..3|nil, sort_type = 0|1|nil,
--           page = n, page_size = n }.
function M.check(q, fname, extra)
  if type(q) ~= "table" then
    fail(fname, "expected a table of arguments (seller_id, sort_by, order, page, page_size), got " .. type(q))
  end
  for k in pairs(q) do
    if not BASE_ARGS[k] and not (extra and extra[k]) then
      local accepted = {}
      for a in pairs(BASE_ARGS) do accepted[a] = true end
      for a in pairs(extra or {}) do accepted[a] = true end
      fail(fname, "unknown argument '" .. tostring(k) .. "' (accepted: " .. util.keys(accepted) .. ")")
    end
  end
  local p = {}
  local s = q.seller_id
  if type(s) == "string" and s:find("^%d+$") and #s <= 32 then
    p.seller_id = s
  elseif util.is_int_subtype(s) and s >= 0 then
    p.seller_id = string.format("%d", s)
  elseif s == nil then
    fail(fname, "argument 'seller_id' is required (a string of digits or an integer)")
  else
    fail(fname, "argument 'seller_id' must be a string of digits or a non-negative integer, got " .. util.describe(s))
  end

  local sb = q.sort_by
  if sb ~= nil then
    local field = SORT_FIELDS[sb]
    if not field and util.is_int_subtype(sb) and sb >= 1 and sb <= NSORT then field = util.tointeger(sb) end
    if not field then
      fail(fname, "argument 'sort_by' must be one of " .. SORT_BY_TEXT .. "; got " .. util.describe(sb))
    end
    p.sort_field = field
  end

  local o = q.order
  if o ~= nil then
    local st = ORDERS[o]
    if st == nil and util.is_int_subtype(o) and (o == 0 or o == 1) then st = util.tointeger(o) end
    if st == nil then fail(fname, "argument 'order' must be \"desc\" or \"asc\" (or 1 / 0), got " .. util.describe(o)) end
    p.sort_type = st
  end

  p.page = check_range(fname, "page", q.page, 1, M.MAX_PAGE)
  p.page_size = check_range(fname, "page_size", q.page_size, schema.DEFAULT_PAGE_SIZE, M.MAX_PAGE_SIZE)
  return p
end

-- a function of the module, not a closure per call: LuaJIT cannot compile
-- the creation of a closure, and the URL is built for every page
local function percent(c) return string.format("%%%02X", c:byte()) end

local function encode(s)
  return (tostring(s):gsub("[^%w%-._~]", percent))
end

--- The request URL for validated params p, in two parts around the page
-- number: url_parts(base_url, p) .. page .. suffix. An iterator builds them
-- once and only splices the page number in for each page.
function M.url_parts(base_url, p)
  local prefix = base_url .. PATH .. "?seller_id=" .. encode(p.seller_id)
  if p.sort_field then prefix = prefix .. "&seller_live_sort_field=" .. p.sort_field end
  if p.sort_type then prefix = prefix .. "&sort_type=" .. p.sort_type end
  return prefix .. "&page_num=", string.format("&page_size=%d", p.page_size)
end

-- url_parts of the last query url() was asked for: a client asks for page
-- after page of one shop
local last = {}

function M.url(base_url, p)
  local l = last
  if l.base_url ~= base_url or l.seller_id ~= p.seller_id or l.sort_field ~= p.sort_field
    or l.sort_type ~= p.sort_type or l.page_size ~= p.page_size then
    l = { base_url = base_url, seller_id = p.seller_id, sort_field = p.sort_field, sort_type = p.sort_type,
      page_size = p.page_size }
    l.prefix, l.suffix = M.url_parts(base_url, p)
    last = l
  end
  return l.prefix .. string.format("%d", p.page) .. l.suffix
end

return M
