--- tests/c/alloc_scenario.lua URL BODY_FILE: the scenario tests/c/alloc_fail.c
-- runs again and again with the Nth Lua allocation failing. Every step checks
-- its result, so a memory error that turns into a wrong answer (instead of
-- propagating as an error) fails the run with a "scenario: ..." message.
-- Returns "ok" when everything went through.
local url, body_file = ...
local function check(cond, what)
  if not cond then error("scenario: " .. what, 0) end
end

local shoplive = require("shoplive")

local f = assert(io.open(body_file, "rb"))
local body = f:read("a")
f:close()

-- one page, blocking
local c = shoplive.new{ api_key = "sk_test_alloc", base_url = url, timeout = 5, max_retries = 0 }
local page, err = c:livestreams{ seller_id = "237" }
check(page, "livestreams failed: " .. tostring(err))
check(#page.records == 10, "page 1 of 237 has " .. #page.records .. " records")
check(page.records[1].seller_id == "237", "seller_id")

-- an iterator (coroutine plumbing, two requests in flight)
local n = 0
for rec in c:each_livestream{ seller_id = "12", concurrency = 2 } do
  check(rec.seller_id == "12", "iterator record")
  n = n + 1
end
check(n == 12, "iterator gave " .. n .. " records")

-- offline decode of a saved body, and of a bad one
local p2, e2 = shoplive.decode(body, { seller_id = "1", page = 1 })
check(p2 and #p2.records >= 1, "decode failed: " .. tostring(e2))
local p3, e3 = shoplive.decode('{"code":0,"data":[{},1]}')
check(p3 == nil and shoplive.is_err(e3) and e3.kind == "decode", "bad body: " .. tostring(e3))

-- a failing request: 401
local bad = shoplive.new{ api_key = "sk_test_invalid", base_url = url, timeout = 5, max_retries = 0 }
local p4, e4 = bad:livestreams{ seller_id = "237" }
check(p4 == nil and shoplive.is_err(e4) and e4.kind == "auth", "401: " .. tostring(e4))
check(tostring(e4):find("apiKey is invalid", 1, true), "401 message: " .. tostring(e4))

-- a request left in flight when the client closes
local req = c:start{ seller_id = "237", page = 2 }
bad:close()
c:close()
check(req:done(), "request still running after close")
local p5, e5 = req:result()
check(p5 == nil and e5.kind == "cancelled", "closed request: " .. tostring(e5))
local ok, msg = pcall(c.livestreams, c, { seller_id = "1" })
if msg == "not enough memory" then error(msg, 0) end -- pcall caught our injected failure: pass it on
check(not ok and msg:find("client is closed", 1, true), "use after close: " .. tostring(msg))
return "ok"
