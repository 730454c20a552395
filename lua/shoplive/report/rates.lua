--- Exchange rates the user gives the report (never fetched: the report
-- sends nothing), to put the GMV of shops in different currencies side by
-- side. A table { to = "USD", date = "2026-12-01", VND = 0.0000393, GBP =
-- 1.27, ... } (1 unit of each code is worth that many of `to`), or a file
-- of the same as lines: "to USD", "date 2026-12-01", "VND 0.0000393",
-- "# comments". Version-neutral (Lua 5.1-5.4, LuaJIT).
local currency = require("shoplive.currency")

local M = {}

local function is_code(k) return type(k) == "string" and k:find("^%u%u%u$") ~= nil end

--- The rates checked and normalized: { to =, date =, per = { CODE = rate },
-- codes = sorted codes }, or nil and a message naming what is wrong.
function M.check(t)
  if type(t) ~= "table" then return nil, "must be a table like { to = \"USD\", date = \"2026-12-01\", VND = 0.0000393 }" end
  if not is_code(t.to) then return nil, "needs 'to', the ISO 4217 code converted to (like \"USD\")" end
  if type(t.date) ~= "string" or not t.date:find("^%d%d%d%d%-%d%d%-%d%d$") then
    return nil, "needs 'date', the day the rates are of, as YYYY-MM-DD"
  end
  local R = { to = t.to, date = t.date, per = { [t.to] = 1 }, codes = {} }
  for k, v in pairs(t) do
    if k ~= "to" and k ~= "date" then
      if not is_code(k) then return nil, "has '" .. tostring(k) .. "': keys are to, date and ISO 4217 codes" end
      if type(v) ~= "number" or not (v > 0 and v < math.huge) then
        return nil, "rate of " .. k .. " must be a positive number"
      end
      R.per[k] = v
      if k ~= t.to then R.codes[#R.codes + 1] = k end
    end
  end
  table.sort(R.codes)
  return R
end

--- The rates of a file (see above) as a table for check(), or nil and a
-- message naming the file and line.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, "cannot read " .. tostring(err) end
  local t, n = {}, 0
  for line in f:lines() do
    n = n + 1
    line = line:gsub("#.*$", ""):gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" then
      local k, v = line:match("^(%S+)%s+(%S+)$")
      if not k then f:close() return nil, path .. ":" .. n .. ": expected \"CODE RATE\", \"to CODE\" or \"date DAY\"" end
      if k == "to" or k == "date" then t[k] = v else t[k] = tonumber(v) or v end
    end
  end
  f:close()
  return t
end

--- `amount` of region `region`'s currency in R.to, or nil when the
-- region's currency or its rate is not known.
function M.convert(R, amount, region)
  local c = currency.of(region)
  local r = c and R.per[c]
  if not r or type(amount) ~= "number" then return nil end
  return amount * r
end

return M
