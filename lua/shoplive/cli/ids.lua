--- Seller ids from the command line: the arguments, then --from FILE ('-'
-- = standard input; one id per line, '#' comments, blank lines skipped).
-- Every command checks them here, with the rule the library applies
-- (query.check: 1 to 32 digits), so an id the library would refuse is a
-- usage error (exit 2) before anything is opened or sent, never a traceback.
local query = require("shoplive.query")
local util = require("shoplive.util")

local M = {}

-- id as given, or a usage error naming it (and where it came from).
local function check(id, where, usage_error)
  local ok = type(id) == "string" and id:find("^%d+$") and pcall(query.check, { seller_id = id }, "shoplive")
  if not ok then
    local shown = #id > 40 and (id:sub(1, 40) .. "... (" .. #id .. " characters)") or id
    usage_error("SELLER_ID must be 1 to 32 digits, got '" .. util.clean(shown) .. "'" .. (where or ""))
  end
  return id
end

--- list: the ids given as arguments (or nil); from: the --from value (or
-- nil); env.stdin for '-'; usage_error(msg) raises. Returns the ids (maybe
-- none: the caller says what it needs).
function M.read(list, from, env, usage_error)
  local ids = {}
  for _, id in ipairs(list or {}) do ids[#ids + 1] = check(id, nil, usage_error) end
  if from then
    local f, ferr
    if from == "-" then f = env.stdin or io.stdin else f, ferr = io.open(from, "rb") end
    if not f then usage_error("--from: cannot read " .. util.clean(tostring(ferr))) end
    local n = 0
    for line in f:lines() do
      n = n + 1
      line = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
      if line ~= "" then ids[#ids + 1] = check(line, " (" .. util.clean(from) .. " line " .. n .. ")", usage_error) end
    end
    if f ~= (env.stdin or io.stdin) then f:close() end
  end
  return ids
end

return M
