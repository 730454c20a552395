--- The currency of a TikTok Shop region: the API gives GMV in the local
-- currency of the shop's region, and names the region only (ISO 3166
-- alpha-2), so the code (ISO 4217) comes from this table. A region not in
-- it has no known currency: callers say so rather than guess.
-- Version-neutral (Lua 5.1-5.4, LuaJIT).
local M = {}

--- Region -> ISO 4217 code, for the markets TikTok Shop sells in.
M.BY_REGION = {
  US = "USD", GB = "GBP", ID = "IDR", MY = "MYR", PH = "PHP", TH = "THB", VN = "VND", SG = "SGD",
  MX = "MXN", BR = "BRL", JP = "JPY", ES = "EUR", DE = "EUR", FR = "EUR", IT = "EUR", IE = "EUR",
}

--- The currency code of region `r`, or nil when it is not known.
function M.of(r)
  if type(r) ~= "string" then return nil end
  return M.BY_REGION[r:upper()]
end

return M
