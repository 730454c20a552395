--- The err object: how a failure of the server, the network, the budget
-- or the store is reported (bad arguments raise a string instead). The
-- kinds, which are retried, and which calls return `nil, err` or raise it
-- are in errors.md. (The mapping from a finished transfer to a page or an
-- err is response.lua.)
local util = require("shoplive.util")

local M = {}

local Err = {}
Err.__index = Err
M.Err = Err

local RETRYABLE = { rate_limited = true, server = true, timeout = true, transport = true }

function Err.__tostring(e)
  local extra = {}
  if e.status then extra[#extra + 1] = "HTTP " .. e.status end
  if e.code ~= nil and e.code ~= e.status then extra[#extra + 1] = "code " .. tostring(e.code) end
  if e.request_id then extra[#extra + 1] = "request_id " .. tostring(e.request_id) end
  if e.attempts then extra[#extra + 1] = e.attempts .. (e.attempts == 1 and " attempt" or " attempts") end
  local s = "shoplive: " .. tostring(e.kind) .. ": " .. tostring(e.message)
  if #extra > 0 then s = s .. " (" .. table.concat(extra, ", ") .. ")" end
  return s
end

-- `"failed: " .. err` and `err .. "\n"` join its one-line text (Lua
-- concatenates only strings and numbers without this).

--- A failure, as a value. `tostring(err)` gives one line without the API
-- key (`shoplive: auth: apiKey is invalid (HTTP 401, 1 attempt)`), and an
-- err concatenates as that line.
-- @table err
-- @tfield string kind `auth` (401), `quota` (402), `rate_limited` (429),
-- `bad_request` (400), `server` (5xx), `http` (any other status),
-- `api` (HTTP 200 whose JSON `code` is not 0), `decode`, `timeout`,
-- `transport`, `too_large`, `budget`, `repeated_page`, `store`, `cancelled`
-- @tfield string message the server's message (one line, at most 300 bytes,
-- the key scrubbed) or a description
-- @tfield boolean retryable true for `rate_limited`, `server`, `timeout`, `transport`
-- @tfield int attempts requests sent for the call (0 for `shoplive.decode`,
-- and for a `budget` err with nothing sent)
-- @tfield ?int status the HTTP status, when a response arrived
-- @tfield ?number code the JSON body's `code`, when it had one
-- @tfield ?string request_id the body's `requestId`, when it had one
-- @tfield ?string retry_after the `Retry-After` header of the last attempt
-- @tfield ?int curl_code libcurl's error code, for `timeout` and `transport`
-- @tfield ?{table,...} records `all_livestreams` only: the records fetched before the failure
-- @tfield ?int page `repeated_page` only: the page number that repeated
-- @tfield ?table report `client:sync` only: the report so far
-- @usage local page, err = client:livestreams{ seller_id = s }
-- if not page then
--   if err.retryable then print("try later: " .. err) else error(tostring(err)) end
-- end
function Err.__concat(a, b)
  return tostring(a) .. tostring(b)
end

--- Make an err from fields (kind and message required).
-- @local
function M.new(f)
  f.retryable = RETRYABLE[f.kind] or false
  return setmetatable(f, Err)
end

--- True when v is a shoplive err (also `shoplive.is_err`): tells an err
-- raised by an iterator from any other error.
-- @param v any value
-- @treturn boolean
-- @usage local ok, e = pcall(function() for r in client:each_livestream(q) do use(r) end end)
-- if not ok and not shoplive.is_err(e) then error(e, 0) end
function M.is_err(v)
  return getmetatable(v) == Err
end

-- Server texts in an err: at most MAX_TEXT bytes are shown; at most
-- MAX_INPUT are looked at (a hostile server may send megabytes).
local MAX_TEXT, MAX_INPUT = 300, 4096
--- A server-supplied text as one printable line of bounded length, with the
-- API key redacted first and cut afterwards, so no cut can split the key
-- and leave a piece of it (redact(s, cut) also removes a key prefix at the
-- end of a text cut from a longer one). Then util.clean in its `spaces`
-- mode: every control becomes one space and nothing is deleted, so no two
-- pieces of a redacted key can join up again. Returns nil for a non-string.
local function clean(s, redact)
  if type(s) ~= "string" then return nil end
  local cut = #s > MAX_INPUT
  if cut then s = s:sub(1, MAX_INPUT) end
  if redact then s = redact(s, cut) end
  s = util.clean(s, true)
  if #s > MAX_TEXT then
    local n = MAX_TEXT
    while n > 0 and s:byte(n + 1) >= 0x80 and s:byte(n + 1) <= 0xBF do n = n - 1 end -- whole characters
    s = s:sub(1, n) .. "..."
  end
  return s
end
M.clean = clean

return M
