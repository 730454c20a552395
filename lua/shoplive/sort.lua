--- shoplive.sort / shoplive.top: stable, multi-key record sorting.
-- "-key" sorts descending; views/sales/gmv alias the three sort fields; a
-- missing (nil) value sorts last whatever the direction.
local argcheck = require("shoplive.argcheck")
local schema = require("shoplive.schema")

local M = {}

local raise = argcheck.raise

-- kept for callers that read it here; the source is schema.ALIASES
M.ALIASES = schema.ALIASES

-- Values of different types still need a total order: numbers, then
-- strings, then booleans, then anything else.
local RANK = { number = 1, string = 2, boolean = 3 }

local function compare(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    return (RANK[ta] or 4) < (RANK[tb] or 4) and -1 or 1
  end
  if ta == "number" or ta == "string" then
    if a < b then return -1 elseif b < a then return 1 end
    return 0
  elseif ta == "boolean" then
    if a == b then return 0 end
    return a and 1 or -1
  end
  return 0
end

--- Parse keys (a string or an array of strings) into { {field, desc}, ... }.
-- @local
function M.parse_keys(keys, fname)
  if type(keys) == "string" then keys = { keys } end
  if type(keys) ~= "table" or #keys == 0 then
    raise(fname .. ": argument 'keys' must be a field name such as \"-gmv\" or an array of them")
  end
  local out = {}
  for i, k in ipairs(keys) do
    if type(k) ~= "string" or not k:find("^%-?[%w_]+$") then
      raise(fname .. ": sort key " .. i .. " must be a field name with an optional leading '-', got "
        .. (type(k) == "string" and string.format("%q", k) or type(k)))
    end
    local desc = k:sub(1, 1) == "-"
    local field = desc and k:sub(2) or k
    out[i] = { M.ALIASES[field] or field, desc }
  end
  return out
end

local function less_fn(parsed)
  return function(ra, rb)
    for i = 1, #parsed do
      local f, desc = parsed[i][1], parsed[i][2]
      local a, b = ra[1][f], rb[1][f]
      if a == nil or b == nil then
        if a ~= nil then return true end   -- present before missing
        if b ~= nil then return false end
      else
        local c = compare(a, b)
        if c ~= 0 then
          if desc then return c > 0 end
          return c < 0
        end
      end
    end
    return ra[2] < rb[2] -- stability: original position breaks ties
  end
end

local function check_records(records, fname)
  if type(records) ~= "table" then
    raise(fname .. ": argument 'records' must be an array of records, got " .. type(records))
  end
end

-- { record, index } of each record, sorted by the parsed keys (the index
-- makes the sort stable); a record that is not a table raises.
local function sorted_boxes(records, parsed, fname)
  local boxed = {}
  for i = 1, #records do
    local r = records[i]
    if type(r) ~= "table" then
      raise(fname .. ": records[" .. i .. "] is a " .. type(r) .. ", expected a record table")
    end
    boxed[i] = { r, i }
  end
  table.sort(boxed, less_fn(parsed))
  return boxed
end

--- Sort records in place (stable), also as `shoplive.sort`. A bad key or
-- a record that is not a table raises.
-- @tparam {table,...} records the records (e.g. `page.records`)
-- @tparam string|{string,...} keys a field name, `views`, `sales`, `gmv`,
-- or an array of them (later keys break ties); `-` in front sorts
-- descending; a missing value sorts last either way
-- @treturn {table,...} records, sorted
-- @usage shoplive.sort(records, "-gmv")
-- shoplive.sort(records, { "-gmv", "create_time" })
function M.sort(records, keys)
  check_records(records, "shoplive.sort")
  local boxed = sorted_boxes(records, M.parse_keys(keys, "shoplive.sort"), "shoplive.sort")
  for i = 1, #boxed do records[i] = boxed[i][1] end
  return records
end

--- A new array of at most n records, the first n by keys (records
-- untouched), also as `shoplive.top`.
-- @tparam {table,...} records the records
-- @tparam int n how many, >= 0
-- @tparam string|{string,...} keys as for `sort`
-- @treturn {table,...} a new array of at most n of the records
-- @usage for i, r in ipairs(shoplive.top(records, 5, "-views")) do print(i, r.title) end
function M.top(records, n, keys)
  check_records(records, "shoplive.top")
  if type(n) ~= "number" or n ~= math.floor(n) or n < 0 then
    raise("shoplive.top: argument 'n' must be an integer >= 0, got " .. tostring(n))
  end
  local boxed = sorted_boxes(records, M.parse_keys(keys, "shoplive.top"), "shoplive.top")
  local out = {}
  for i = 1, math.min(n, #boxed) do out[i] = boxed[i][1] end
  return out
end

return M
