--- One logical request (a page) through its attempts: waiting (for the
-- rate limiter or a backoff), sending (a core transfer in flight), done.
-- The client's pump moves requests between states; nothing here blocks.
local argcheck = require("shoplive.argcheck")
local errors = require("shoplive.errors")

local M = {}
local Request = {}
Request.__index = Request
M.Request = Request

function M.new(client, params, url)
  return setmetatable({
    client = client, params = params, url = url,
    attempts = 0, state = "waiting", not_before = -math.huge,
  }, Request)
end

-- req.done() (a dot for a colon) would fail inside this file on indexing
-- nil: name the mistake at the caller's line instead.
local function check_self(self)
  if getmetatable(self) ~= Request then
    argcheck.raise("shoplive: request method called on a " .. type(self) .. "; use req:method(...)")
  end
end

--- True once the request finished (page, err or cancelled).
function Request:done()
  check_self(self)
  return self.state == "done"
end

--- page | nil, err. Raises if the request is still running.
function Request:result()
  check_self(self)
  if self.state ~= "done" then
    argcheck.raise("shoplive: request not finished yet (drive it with client:poll() until req:done())")
  end
  if self.page then return self.page end
  return nil, self.err
end

--- Cancel: frees the transfer in flight (if any); result() then gives a
-- "cancelled" err. Returns true if the request was still running.
function Request:cancel()
  check_self(self)
  if self.state == "done" then return false end
  self.client:_cancel(self)
  return true
end

function Request:_finish(page, err)
  self.state, self.page, self.err = "done", page, err
  if err and err.attempts == nil then err.attempts = self.attempts end
end

function Request:__tostring()
  return "shoplive request (" .. self.state .. ", page " .. tostring(self.params.page) .. ")"
end

M.cancelled = function(attempts)
  return errors.new{ kind = "cancelled", message = "request cancelled", attempts = attempts }
end

return M
