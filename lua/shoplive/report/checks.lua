--- The arguments of shoplive.report and report_file, checked before any
-- work: each error names the argument and points at the caller
-- (shoplive.argcheck). Version-neutral.
local argcheck = require("shoplive.argcheck")
local figures = require("shoplive.report.figures")
local rates = require("shoplive.report.rates")
local util = require("shoplive.util")

local M = {}

local concat = table.concat

-- True when v is a shoplive store (whose module is then loaded already).
function M.is_store(v)
  local store = package.loaded["shoplive.store"]
  return type(store) == "table" and store.is_store(v)
end

-- opts.sellers, since and until: only with a store.
local function check_store_opts(records, opts, fname)
  local store = M.is_store(records)
  for _, k in ipairs({ "sellers", "since", "until" }) do
    if opts[k] ~= nil and not store then
      argcheck.raise(fname .. ": option '" .. k .. "' is for a report from a store (argument 'records' is a list)")
    end
  end
  if opts.sellers ~= nil then
    if type(opts.sellers) ~= "table" then
      argcheck.raise(fname .. ": option 'sellers' must be an array of seller ids, got " .. util.describe(opts.sellers))
    end
    for i, id in ipairs(opts.sellers) do
      if type(id) ~= "string" or not id:find("^%d+$") then
        argcheck.raise(fname .. ": option 'sellers': sellers[" .. i .. "] must be a seller id (a string of digits), got "
          .. util.describe(id))
      end
    end
  end
  for _, k in ipairs({ "since", "until" }) do
    if opts[k] ~= nil and not util.is_integral(opts[k]) then
      argcheck.raise(fname .. ": option '" .. k .. "' must be epoch seconds (an integer), got " .. util.describe(opts[k]))
    end
  end
end

local function check_records(records, fname)
  if M.is_store(records) then return end
  argcheck.records(records, fname)
end

local function check_opts(opts, fname)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argcheck.raise(fname .. ": argument 'opts' must be a table, got " .. type(opts)) end
  if opts.title ~= nil and type(opts.title) ~= "string" then
    argcheck.raise(fname .. ": option 'title' must be a string, got " .. util.describe(opts.title))
  end
  if opts.top ~= nil and not (util.is_integral(opts.top) and opts.top >= 1) then
    argcheck.raise(fname .. ": option 'top' must be an integer >= 1, got " .. util.describe(opts.top))
  end
  if opts.period ~= nil and not (util.is_integral(opts.period) and opts.period >= 1 and opts.period <= 3660) then
    argcheck.raise(fname .. ": option 'period' must be a whole number of days from 1 to 3660, got "
      .. util.describe(opts.period))
  end
  if opts.rates ~= nil then
    local ok, msg = rates.check(opts.rates)
    if not ok then argcheck.raise(fname .. ": option 'rates' " .. msg) end
  end
  if opts.rank ~= nil and not figures.RANKS[opts.rank] then
    argcheck.raise(fname .. ": option 'rank' must be one of " .. concat(figures.RANK_NAMES, ", ") .. ", got "
      .. util.describe(opts.rank))
  end
  local off, msg = figures.parse_tz(opts.tz)
  if not off then argcheck.raise(fname .. ": option 'tz' " .. msg) end
  if opts.shops ~= nil and type(opts.shops) ~= "table" then
    argcheck.raise(fname .. ": option 'shops' must be an array of seller ids, got " .. util.describe(opts.shops))
  end
  return opts
end

--- opts checked (an empty table for nil) with records, for function
-- fname; raises naming the bad argument.
function M.all(records, opts, fname)
  check_records(records, fname)
  opts = check_opts(opts, fname)
  check_store_opts(records, opts, fname)
  return opts
end

return M
