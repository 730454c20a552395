--- The one time-zone parser of the library and the command line (the
-- report's --tz and opts.tz, group_by's opts.tz): nil, "UTC", "utc" or "Z",
-- or a UTC offset "+HH:MM", "+HHMM" or "+HH" (sign required) from -14:00
-- to +14:00, the range real zones use.
local M = {}

M.MAX = 14 * 3600

--- Returns the offset in seconds east of UTC and a label ("UTC",
-- "UTC+07:00"), or nil and a message saying what is accepted.
function M.parse(tz)
  if tz == nil or tz == "UTC" or tz == "utc" or tz == "Z" then return 0, "UTC" end
  local bad = "must be \"UTC\" or an offset like \"+07:00\" (-14:00..+14:00)"
  if type(tz) ~= "string" then return nil, bad end
  local sign, hh, mm = tz:match("^([+-])(%d%d):?(%d%d)$")
  if not sign then
    sign, hh = tz:match("^([+-])(%d%d)$")
    mm = "00"
  end
  local off = sign and (tonumber(hh) * 3600 + tonumber(mm) * 60)
  if not off or tonumber(mm) > 59 or off > M.MAX then
    return nil, bad .. ", got \"" .. require("shoplive.util").clean(tz) .. "\""
  end
  if off == 0 then return 0, "UTC" end
  return sign == "-" and -off or off, string.format("UTC%s%s:%s", sign, hh, mm)
end

return M
