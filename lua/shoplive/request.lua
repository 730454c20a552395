--- A request made by `client:start(q)`: one page through its attempts
-- (retries included), driven by `client:poll()`. Nothing here blocks.
-- (Internally: waiting for the rate limiter or a backoff, sending a core
-- transfer, done; the client's pump moves requests between states.)
-- @usage local reqs = {}
-- for i, s in ipairs(sellers) do reqs[i] = client:start{ seller_id = s } end
-- while client:poll(0.05) > 0 do end
-- for i, req in ipairs(reqs) do print(sellers[i], req:result()) end
local argcheck = require("shoplive.argcheck")
local errors = require("shoplive.errors")

local M = {}
local Request = {}
Request.__index = Request
M.Request = Request

-- (The client makes its requests itself: setmetatable({ client =, params =,
-- attempts = 0, state = "waiting", not_before = -math.huge }, Request).)

-- req.done() (a dot for a colon) would fail inside this file on indexing
-- nil: name the mistake at the caller's line instead.
local function check_self(self)
  if getmetatable(self) ~= Request then
    argcheck.raise("shoplive: request method called on a " .. type(self) .. "; use req:method(...)")
  end
end

--- True once the request finished (page, err or cancelled).
-- @treturn boolean
-- @usage while not req:done() do client:poll(0.05) end
function Request:done()
  check_self(self)
  return self.state == "done"
end

--- The outcome, once `req:done()`. Raises if the request is still running.
-- @treturn[1] table the page (see `shoplive.client`)
-- @treturn[2] nil on failure
-- @treturn[2] table the err (see `shoplive.errors`); kind `cancelled` after `cancel()`
-- @usage local page, err = req:result()
function Request:result()
  check_self(self)
  if self.state ~= "done" then
    argcheck.raise("shoplive: request not finished yet (drive it with client:poll() until req:done())")
  end
  if self.page then return self.page end
  return nil, self.err
end

--- Cancel: frees the transfer in flight (if any); `result()` then gives a
-- `cancelled` err. A page cancelled after its HTTP 200 status arrived is
-- still billed (and counted in `stats().credits`).
-- @treturn boolean true if the request was still running, false if it had finished
-- @usage if not req:done() then req:cancel() end
function Request:cancel()
  check_self(self)
  return self.client:cancel(self)
end

function Request:__tostring()
  return "shoplive request (" .. self.state .. ", page " .. tostring(self.params.page) .. ")"
end

M.cancelled = function(attempts)
  return errors.new{ kind = "cancelled", message = "request cancelled", attempts = attempts }
end

return M
